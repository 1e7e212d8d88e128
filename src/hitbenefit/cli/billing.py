"""``hitbenefit dispensing ...``, ``hitbenefit claims build`` and ``hitbenefit which-benefit``:
the month's HIT claims from the stored visits and drugs dispensed, and which benefit pays a visit.

Mount with ``register(app)``. A problem exits with status 2 and one line naming the file, the
record and the field; never a traceback.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from hitbenefit.care.fields import CareInputError
from hitbenefit.cli.common import DbOpt, fail, fail_with_errors, group, open_store
from hitbenefit.money import loads_exact
from hitbenefit.store.records import SYSTEM_CONTRACTOR

dispensing_app = group("Record the home infusion drugs dispensed (the claims' J-code lines).")
claims_app = group("Build the month's HIT claims from the stored visits.")

BillingSupplierOpt = Annotated[Optional[str], typer.Option("--supplier", help="The billing supplier's NPI.")]


class BuildFormat(str, Enum):
    json = "json"
    table = "table"
    x837 = "837"


def _read_json(path: Path) -> Any:
    try:
        return loads_exact(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise fail(f"{path}: cannot be read ({exc.__class__.__name__}: {exc})") from None
    except ValueError as exc:  # not UTF-8, or not JSON (loads_exact)
        raise fail(f"{path}: not valid JSON ({exc})") from None


@dispensing_app.command("record")
def dispensing_record(
    mbi: Annotated[str, typer.Option("--mbi", help="The beneficiary's MBI.")],
    dispensed: Annotated[str, typer.Option("--date", help="Date dispensed, YYYY-MM-DD.")],
    hcpcs: Annotated[str, typer.Option("--hcpcs", help="The drug's J-code (J7799/J7999 with --drug-name).")],
    units: Annotated[str, typer.Option("--units", help="Billing units dispensed.")],
    supplier: BillingSupplierOpt = None,
    charge: Annotated[Optional[str], typer.Option("--charge", help="The DME-side charge (kept; the HIT claim carries $0.00).")] = None,
    drug_name: Annotated[Optional[str], typer.Option("--drug-name", help="The drug's name (required for NOC codes, FAQ 17).")] = None,
    ndc: Annotated[Optional[str], typer.Option("--ndc", help="National Drug Code.")] = None,
    category: Annotated[Optional[int], typer.Option("--category", help="Payment category 1-3, when known.")] = None,
    db: DbOpt = None,
) -> None:
    """Record one drug dispensed to a beneficiary."""
    from hitbenefit.care.dispensing import dispensing_from_json
    from hitbenefit.store.billing import record_dispensing

    try:
        record = dispensing_from_json({"mbi": mbi, "dispensed_date": dispensed, "hcpcs": hcpcs, "units": units,
                                       "charge": charge, "drug_name": drug_name, "ndc": ndc, "category": category})
    except CareInputError as exc:
        raise fail(str(exc).replace("field ", "--", 1).replace("_", "-")) from None
    with open_store(db) as store:
        [(record_id, created)] = record_dispensing(store, [record], SYSTEM_CONTRACTOR, supplier)
    typer.echo(f"dispensing record {record_id} {'stored' if created else 'already stored'}")


@dispensing_app.command("import")
def dispensing_import(
    file: Annotated[Path, typer.Argument(metavar="FILE.csv", help="CSV: mbi,dispensed_date,hcpcs,units[,charge,drug_name,ndc,category].")],
    supplier: BillingSupplierOpt = None,
    db: DbOpt = None,
) -> None:
    """Import dispensing records from CSV; every bad row is named and nothing is stored then."""
    from hitbenefit.care.dispensing import read_dispensing_csv
    from hitbenefit.store.billing import record_dispensing

    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"{file}: cannot be read ({exc.__class__.__name__}: {exc})") from None
    records, errors = read_dispensing_csv(text, str(file))
    if errors:
        raise fail_with_errors(errors)
    with open_store(db) as store:
        results = record_dispensing(store, records, SYSTEM_CONTRACTOR, supplier)
    created = sum(1 for _, new in results if new)
    typer.echo(f"{file}: {len(results)} records, {created} stored, {len(results) - created} already stored")


def _month(text: str) -> date:
    try:
        year, month = text.split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        raise fail(f"--month: expected YYYY-MM, found {text!r}") from None


@claims_app.command("build")
def claims_build(
    month: Annotated[str, typer.Option("--month", help="The month to bill, YYYY-MM.")],
    supplier: BillingSupplierOpt = None,
    profile: Annotated[Optional[Path], typer.Option("--profile", help="Supplier profile JSON: {supplier: {npi, specialty, ...}, charges: {G0068: 300.00, ...}, home_health_agency, place_of_service}.")] = None,
    patients: Annotated[Optional[Path], typer.Option("--patients", help="Patients JSON: a list of {beneficiary: {mbi, part_b, medicare_advantage, institutional_stays, ...}, service_locality, home_health: [{from, to}], homebound}.")] = None,
    db: DbOpt = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="Write the output here (with --format 837: the ready claims as an 837P).")] = None,
    format: Annotated[Optional[BuildFormat], typer.Option("--format", help="json, table (default on a terminal) or 837 (the ready claims; held claims are listed on standard error).")] = None,
    sender: Annotated[str, typer.Option("--sender", help="With --format 837: submitter id (ISA06).")] = "PLACEHOLDER",
    receiver: Annotated[str, typer.Option("--receiver", help="With --format 837: receiver (MAC) id (ISA08).")] = "PLACEHOLDER",
) -> None:
    """Build the month's claims: one G-code line per payment category per infusion day, scrubbed by the engine."""
    from hitbenefit.care.claim_builder import Patient, SupplierProfile, patient_from_json, profile_from_json
    from hitbenefit.claims.model import Supplier
    from hitbenefit.service import load_tables
    from hitbenefit.store.billing import build_month_from_store, supplier_specialty

    first = _month(month)
    chosen = format or (BuildFormat.table if sys.stdout.isatty() and out is None else BuildFormat.json)
    try:
        known: SupplierProfile | None = profile_from_json(_read_json(profile), str(profile)) if profile else None
        people: dict[str, Patient] = {}
        if patients:
            raw = _read_json(patients)
            if not isinstance(raw, list):
                raise CareInputError("patients", "expected a list of patients")
            for i, item in enumerate(raw):
                found = patient_from_json(item, f"{patients}, record {i + 1}")
                people[found.beneficiary.mbi] = found
    except CareInputError as exc:
        raise fail(str(exc).replace("field ", "", 1)) from None
    npi = supplier or (known.supplier.npi if known else None)
    if not npi:
        raise fail("name the supplier: --supplier NPI or --profile FILE")
    if known is not None and known.supplier.npi != npi:
        raise fail(f"--supplier {npi} differs from the profile's supplier {known.supplier.npi}")
    tables = load_tables()

    with open_store(db) as store:
        chosen_profile = known or SupplierProfile(Supplier(npi, supplier_specialty(store, npi)))
        built = build_month_from_store(store, SYSTEM_CONTRACTOR, chosen_profile, first, tables, people)
    if chosen is BuildFormat.x837:
        _write_837(built, out, sender, receiver)
    elif chosen is BuildFormat.table:
        _print_table(built, out)
    else:
        import simplejson

        _emit(simplejson.dumps(built.to_json(), use_decimal=True, indent=2, ensure_ascii=False) + "\n", out)


def _emit(text: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(text)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise fail(f"{out}: cannot be written ({exc.__class__.__name__}: {exc})") from None


def _write_837(built, out: Path | None, sender: str, receiver: str) -> None:
    from hitbenefit.x12.envelope import X12WriteError
    from hitbenefit.x12.write_837 import claims_to_837

    ready = [c.claim for c in built.claims if c.ready]
    for held in (c for c in built.claims if not c.ready):
        keys = sorted({r.key for line in held.decision.lines for r in line.reasons
                       if r.outcome in ("rejected", "denied")})
        typer.echo(f"hitbenefit: held {held.claim.claim_id}: {', '.join(keys)}", err=True)
    for note in built.notes:
        if note.kind == "not_billable":
            typer.echo(f"hitbenefit: not billed {note.day}: {note.key}", err=True)
    if not ready:
        raise fail(f"no claim of {built.month:%Y-%m} is ready to send")
    try:
        text = claims_to_837(ready, sender_id=sender, receiver_id=receiver, submitter_name="HIT SUPPLIER",
                             receiver_name="MEDICARE PART B")
    except X12WriteError as exc:
        raise fail(str(exc)) from None
    if out is None:
        sys.stdout.write(text)
    else:
        try:
            out.write_text(text, encoding="latin-1")
        except (OSError, UnicodeEncodeError) as exc:
            raise fail(f"{out}: cannot be written ({exc.__class__.__name__}: {exc})") from None


def _print_table(built, out: Path | None) -> None:
    from rich.console import Console
    from rich.table import Table

    from hitbenefit.money import dollars

    console = Console(file=out.open("w", encoding="utf-8") if out else None,
                      width=None if out is None and sys.stdout.isatty() else 120)
    for item in built.claims:
        claim, decision = item.claim, item.decision
        table = Table("Line", "Date", "Code", "Mod", "Units", "Charge", "Status", "Paid", "Reasons",
                      title=f"{claim.claim_id} ({claim.beneficiary.mbi}): {decision.status}"
                            f"{'' if item.ready else ' - HELD'}", header_style="bold")
        for line, ld in zip(claim.lines, decision.lines):
            table.add_row(str(line.line), line.service_date.isoformat(), line.hcpcs, " ".join(line.modifiers),
                          str(line.units), str(line.charge), ld.status, dollars(ld.paid) if ld.kind == "visit" else "",
                          ", ".join(r.key for r in ld.reasons))
        console.print(table)
    if built.notes:
        table = Table("Date", "Patient", "Kind", "Key", "Why", "Citations", title="Visits not billed, and notes",
                      header_style="bold")
        for note in built.notes:
            table.add_row(note.day.isoformat(), note.mbi, note.kind, note.key, note.message, "; ".join(note.citations))
        console.print(table)


def which_benefit_command(
    situation: Annotated[Optional[Path], typer.Option("--situation", help="A JSON object of the situation's fields (docs/billing.md).")] = None,
    visit: Annotated[Optional[int], typer.Option("--visit", help="A stored visit's id: one answer per drug given (the patient's situation from the other options).")] = None,
    db: DbOpt = None,
    on: Annotated[Optional[str], typer.Option("--date", help="Date of the visit, YYYY-MM-DD.")] = None,
    drug: Annotated[Optional[str], typer.Option("--drug", help="The drug's HCPCS J-code.")] = None,
    drug_name: Annotated[Optional[str], typer.Option("--drug-name", help="The drug's name (for J7799/J7999).")] = None,
    hit_minutes: Annotated[Optional[int], typer.Option("--hit-minutes", help="Minutes of HIT services.")] = None,
    hh_minutes: Annotated[int, typer.Option("--hh-minutes", help="Minutes of home health services in the same visit.")] = 0,
    remote: Annotated[bool, typer.Option("--remote", help="A remote contact, not an in-person visit.")] = False,
    no_drug_given: Annotated[bool, typer.Option("--no-drug-given", help="No drug was administered during the visit.")] = False,
    medicare_advantage: Annotated[bool, typer.Option("--medicare-advantage", help="A Medicare Advantage member on the date.")] = False,
    no_part_b: Annotated[bool, typer.Option("--no-part-b", help="No Part B on the date.")] = False,
    stay: Annotated[Optional[str], typer.Option("--stay", help="An inpatient or SNF stay on the date: hospital, cah or snf.")] = None,
    home_health_plan: Annotated[bool, typer.Option("--home-health-plan", help="Under a home health plan of care.")] = False,
    homebound: Annotated[Optional[bool], typer.Option("--homebound/--not-homebound", help="Homebound status, when known.")] = None,
    hha: Annotated[bool, typer.Option("--hha", help="The visit is by a home health agency.")] = False,
    not_hit_supplier: Annotated[bool, typer.Option("--not-hit-supplier", help="The agency is not enrolled as a qualified HIT supplier.")] = False,
    no_pump: Annotated[bool, typer.Option("--no-pump", help="The drug is not given through a DME pump.")] = False,
    self_administered: Annotated[bool, typer.Option("--self-administered", help="The drug is self-administered (SAD list).")] = False,
    format: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
) -> None:
    """Which benefit pays for a visit: HIT, home health, both (time split), Part D, the MA plan, or none."""
    from hitbenefit.care.which_benefit import situation_from_json, situation_of_visit, which_benefit
    from hitbenefit.parameters.load import bundled_parameters

    if visit is not None:
        from hitbenefit.care.visits import with_drug_categories
        from hitbenefit.store.care import get_visit

        if stay not in (None, "hospital", "cah", "snf"):
            raise fail(f"--stay: must be hospital, cah or snf, not {stay!r}")
        params = bundled_parameters()
        with open_store(db) as store:
            found = with_drug_categories(get_visit(store, visit, SYSTEM_CONTRACTOR).visit, params)
        facts = {"medicare_advantage": medicare_advantage, "part_b": not no_part_b, "institutional_stay": stay,
                 "under_home_health_plan": home_health_plan, "homebound": homebound, "furnished_by_hha": hha,
                 "qualified_hit_supplier": not not_hit_supplier, "through_dme_pump": not no_pump,
                 "self_administered": self_administered}
        answers = [which_benefit(situation_of_visit(found, drug, **facts), params) for drug in found.drugs or (None,)]
        if format == "json":
            typer.echo(json.dumps([a.to_json() for a in answers], indent=2, ensure_ascii=False))
        else:
            typer.echo("\n\n".join(_answer_text(a) for a in answers))
        return
    if situation is not None:
        data = _read_json(situation)
        where = str(situation)
    else:
        if on is None:
            raise fail("give --date (or --situation FILE)")
        data = {"service_date": on, "drug_code": drug, "drug_name": drug_name, "hit_minutes": hit_minutes,
                "home_health_minutes": hh_minutes, "in_person": not remote, "drug_administered": not no_drug_given,
                "medicare_advantage": medicare_advantage, "part_b": not no_part_b, "institutional_stay": stay,
                "under_home_health_plan": home_health_plan, "homebound": homebound, "furnished_by_hha": hha,
                "qualified_hit_supplier": not not_hit_supplier, "through_dme_pump": not no_pump,
                "self_administered": self_administered}
        where = "options"
    try:
        answer = which_benefit(situation_from_json(data), bundled_parameters())
    except CareInputError as exc:
        raise fail(f"{where}, {exc}") from None
    if format == "json":
        typer.echo(json.dumps(answer.to_json(), indent=2, ensure_ascii=False))
        return
    if format != "text":
        raise fail(f"--format must be text or json, not {format!r}")
    typer.echo(_answer_text(answer))


def _answer_text(answer) -> str:
    lines = [f"{answer.benefit} ({answer.key}, confidence {answer.confidence})", answer.reason,
             f"Citations: {'; '.join(answer.citations)}"]
    if answer.hit_minutes is not None or answer.home_health_minutes is not None:
        lines.append(f"Minutes: HIT {answer.hit_minutes or 0}, home health {answer.home_health_minutes or 0}")
    lines += list(answer.notes)
    if answer.notice:
        lines += ["Notice the agency must give the beneficiary:", answer.notice, f"({answer.notice_reference})"]
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    """Add ``dispensing``, ``claims`` and ``which-benefit`` to ``app``."""
    app.add_typer(dispensing_app, name="dispensing", help="Record the home infusion drugs dispensed.")
    app.add_typer(claims_app, name="claims", help="Build the month's HIT claims from the stored visits.")
    app.command("which-benefit")(which_benefit_command)

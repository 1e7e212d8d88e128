"""``hitbenefit plans|visits|monitoring ...``: the supplier's day on the command line (docs/care.md).

Mount with ``app.add_typer(plans_app, name="plans")`` and likewise ``visits_app`` and
``monitoring_app``. Every command takes ``--db URL`` (as ``hitbenefit db``) and acts as the
system contractor, or as the supplier named by ``--supplier NPI`` (who then sees only its own
patients). Bad input exits with status 2 and one line per problem naming the file, the record and
the field; nothing is stored then.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from hitbenefit.cli.common import DbOpt, SupplierOpt, acting_as, fail, group, open_store

plans_app = group("Plans of care: create, change, sign, review, status (FAQ 10-11).")
visits_app = group("Visits: record and list (FAQ 7, 12-13).")
monitoring_app = group("Remote monitoring: readings and alerts (FAQ 14).")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of lines for people.")]


def _day(option: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value) if len(value) == 10 else date.fromisoformat("x")
    except ValueError:
        raise fail(f"{option}: expected a date YYYY-MM-DD, not {value!r}") from None


def _print(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def _records(path: str) -> list[tuple[int, Any]]:
    """The JSON records of a file (one object, an array, or JSON Lines); exits 2 naming the file."""
    from hitbenefit.claims.read_json import ClaimInputError, iter_json_records
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"{path}: cannot read ({exc.__class__.__name__})") from None
    try:
        records = list(iter_json_records(text, path))
    except ClaimInputError as exc:
        raise fail(str(exc)) from None
    for _, value in records:
        if isinstance(value, ClaimInputError):
            raise fail(str(value))
    return records


def _read(path: str, record: int, reader, *args, **kw):
    from hitbenefit.care.fields import CareInputError
    try:
        return reader(*args, **kw)
    except CareInputError as exc:
        raise fail(f"{path}, record {record}, {exc}") from None


def _care_call(fn, *args, **kw):
    """A store call whose input problems (``CareInputError``) exit 2 naming the field."""
    from hitbenefit.care.fields import CareInputError
    try:
        return fn(*args, **kw)
    except CareInputError as exc:
        raise fail(str(exc)) from None


def _one_plan(path: str):
    from hitbenefit.care.plan import plan_from_json
    records = _records(path)
    if len(records) != 1:
        raise fail(f"{path}: expected one plan of care object, found {len(records)} records")
    return _read(path, 1, plan_from_json, records[0][1])


def _plan_summary(record) -> str:
    p = record.plan
    last = p.versions[-1]
    signed = f"signed {last.signed_date} by {last.signer or '-'}" if last.signed_date else "unsigned"
    return f"plan {p.plan_id}, version {last.version} ({signed})"


# ---- plans -----------------------------------------------------------------------------------------
@plans_app.command("create")
def plans_create(
    plan_file: Annotated[str, typer.Argument(metavar="PLAN.json", help="The plan: the contract's plan_of_care fields plus orders, physician_name, options_notice_date, dme_contacts, thresholds.")],
    mbi: Annotated[str, typer.Option("--mbi", help="The patient's MBI.")],
    supplier: SupplierOpt = None, db: DbOpt = None, as_json: JsonOpt = False,
) -> None:
    """Create a plan of care (version 1, unsigned)."""
    from hitbenefit.store import care
    plan = _one_plan(plan_file)
    with open_store(db) as store:
        record = care.create_care_plan(store, mbi, plan, acting_as(supplier))
    _print(record.to_json()) if as_json else typer.echo(_plan_summary(record))


@plans_app.command("version")
def plans_version(
    plan_id: Annotated[int, typer.Argument(help="The plan's id.")],
    plan_file: Annotated[str, typer.Argument(metavar="PLAN.json", help="The changed plan, whole.")],
    supplier: SupplierOpt = None, db: DbOpt = None, as_json: JsonOpt = False,
) -> None:
    """A changed plan: a new unsigned version (see `plans status` for whether it needs a signature)."""
    from hitbenefit.store import care
    plan = _one_plan(plan_file)
    with open_store(db) as store:
        record = care.add_care_version(store, plan_id, plan, acting_as(supplier))
    _print(record.to_json()) if as_json else typer.echo(_plan_summary(record))


@plans_app.command("sign")
def plans_sign(
    plan_id: Annotated[int, typer.Argument(help="The plan's id.")],
    version: Annotated[int, typer.Option("--version", help="The version signed.")],
    signed: Annotated[str, typer.Option("--date", help="The date the physician signed (YYYY-MM-DD).")],
    signer: Annotated[str, typer.Option("--signer", help="The physician who signed.")],
    supplier: SupplierOpt = None, db: DbOpt = None,
) -> None:
    """Record the physician's signature and date on one version (FAQ 10 C)."""
    day = _day("--date", signed)
    with open_store(db) as store:
        v = store.sign_plan_version(plan_id, version, signer, day, acting_as(supplier))
    typer.echo(f"plan {plan_id}, version {v.version}: signed {v.signed_date} by {v.signer}")


@plans_app.command("review")
def plans_review(
    plan_id: Annotated[int, typer.Argument(help="The plan's id.")],
    version: Annotated[int, typer.Option("--version", help="The version reviewed.")],
    reviewed: Annotated[str, typer.Option("--date", help="The date of the physician's review (YYYY-MM-DD).")],
    supplier: SupplierOpt = None, db: DbOpt = None,
) -> None:
    """Record the physician's periodic review of one version (FAQ 10 D)."""
    day = _day("--date", reviewed)
    with open_store(db) as store:
        v = store.review_plan_version(plan_id, version, day, acting_as(supplier))
    typer.echo(f"plan {plan_id}, version {v.version}: reviewed {', '.join(map(str, v.reviewed_dates))}")


@plans_app.command("status")
def plans_status(
    plan_id: Annotated[int, typer.Argument(help="The plan's id.")],
    on: Annotated[Optional[str], typer.Option("--on", help="The date (YYYY-MM-DD); default today (UTC).")] = None,
    interval: Annotated[Optional[int], typer.Option("--review-interval-days", help="Days between reviews; default the dated parameter plan_review_interval_days.")] = None,
    supplier: SupplierOpt = None, db: DbOpt = None, as_json: JsonOpt = False,
) -> None:
    """The plan's status on a date: complete, incomplete, unsigned, awaiting re-signature, review overdue."""
    from hitbenefit.parameters.load import bundled_parameters
    from hitbenefit.store import care
    day = _day("--on", on) or datetime.now(timezone.utc).date()
    with open_store(db) as store:
        status = _care_call(care.care_plan_status, store, plan_id, day, acting_as(supplier), bundled_parameters(),
                            interval)
    if as_json:
        _print({"plan_id": plan_id, **status.to_json()})
    else:
        words = status.status.replace("_", " ").replace("resignature", "re-signature")
        typer.echo(f"plan {plan_id} on {day}: {words}. {status.reason} "
                   f"[{'; '.join(status.citations)}]")


@plans_app.command("show")
def plans_show(plan_id: Annotated[int, typer.Argument(help="The plan's id.")],
               supplier: SupplierOpt = None, db: DbOpt = None) -> None:
    """The plan with every version, its details, signature and reviews (JSON)."""
    from hitbenefit.store import care
    with open_store(db) as store:
        record = care.get_care_plan(store, plan_id, acting_as(supplier))
    _print(record.to_json())


# ---- visits ----------------------------------------------------------------------------------------
@visits_app.command("record")
def visits_record(
    visits_file: Annotated[str, typer.Argument(metavar="VISITS.json", help="One visit object, an array, or JSON Lines.")],
    supplier: SupplierOpt = None, db: DbOpt = None,
) -> None:
    """Record visits. Every record is checked first; any problem stores nothing."""
    from hitbenefit.care.visits import visit_from_json, with_drug_categories
    from hitbenefit.parameters.load import bundled_parameters
    from hitbenefit.store import care
    visits = [with_drug_categories(_read(visits_file, n, visit_from_json, value, supplier_npi=supplier),
                                   bundled_parameters()) for n, value in _records(visits_file)]
    principal = acting_as(supplier)
    with open_store(db) as store:
        for n, visit in enumerate(visits, start=1):
            try:
                record = care.record_visit(store, visit, principal)
            except Exception as exc:  # noqa: BLE001 - reported with where it happened, then re-raised
                from hitbenefit.care.fields import CareInputError
                if isinstance(exc, CareInputError):
                    raise fail(f"{visits_file}, record {n}, {exc} ({n - 1} earlier records were stored)") from None
                raise
            typer.echo(f"visit {record.id}: {visit.visit_date} {visit.clinician_name} ({visit.discipline}, "
                       f"{visit.mode.replace('_', ' ')}, {visit.hit_minutes} min)")


@visits_app.command("list")
def visits_list(
    mbi: Annotated[Optional[str], typer.Option("--mbi", help="One patient.")] = None,
    start: Annotated[Optional[str], typer.Option("--from", help="First date (YYYY-MM-DD).")] = None,
    end: Annotated[Optional[str], typer.Option("--to", help="Last date (YYYY-MM-DD).")] = None,
    supplier: SupplierOpt = None, db: DbOpt = None, as_json: JsonOpt = False,
) -> None:
    """Visits, oldest first (a supplier: only its own)."""
    from hitbenefit.store import care
    first, last = _day("--from", start), _day("--to", end)
    with open_store(db) as store:
        visits = care.list_visits(store, acting_as(supplier), mbi, supplier, first, last)
    if as_json:
        _print([v.to_json() for v in visits])
        return
    for r in visits:
        v = r.visit
        drugs = ",".join(d.hcpcs for d in v.drugs) or "-"
        typer.echo(f"{r.id:>6}  {v.visit_date}  {v.supplier_npi}  {v.clinician_name} ({v.discipline})  "
                   f"{v.mode.replace('_', ' ')}  HIT {v.hit_minutes} min, HH {v.home_health_minutes} min  drugs {drugs}  "
                   f"training {','.join(v.training_topics) or '-'}")


# ---- monitoring ------------------------------------------------------------------------------------
def _alert_line(a) -> str:
    x = a.alert
    done = f"; {x.status} by {x.resolved_by or x.acknowledged_by}" if x.status != "open" else ""
    action = f": {x.action}" if x.action else ""
    return f"alert {a.id} [{x.status}] {x.reason}{done}{action}"


@monitoring_app.command("record")
def monitoring_record(
    mbi: Annotated[str, typer.Option("--mbi", help="The patient's MBI.")],
    kind: Annotated[str, typer.Option("--kind", help="weight, systolic_bp, diastolic_bp, heart_rate or temperature.")],
    value: Annotated[str, typer.Option("--value", help="The value as reported.")],
    taken_at: Annotated[str, typer.Option("--taken-at", help="When the patient took it (ISO 8601; UTC unless a zone is given).")],
    channel: Annotated[str, typer.Option("--channel", help="phone or electronic.")],
    unit: Annotated[Optional[str], typer.Option("--unit", help="kg or lb, C or F; default the canonical unit.")] = None,
    plan: Annotated[Optional[int], typer.Option("--plan", help="The plan whose thresholds apply; default the patient's newest plan with the supplier.")] = None,
    supplier: SupplierOpt = None, db: DbOpt = None,
) -> None:
    """Record a self-reported vital sign; one outside the plan's thresholds raises an alert."""
    from hitbenefit.care.monitoring import reading_from_json
    from hitbenefit.parameters.load import bundled_parameters
    from hitbenefit.store import care
    if supplier is None:
        raise fail("--supplier: name the supplier whose patient reported the reading")
    reading = _care_call(reading_from_json, {"kind": kind, "value": value, "unit": unit, "taken_at": taken_at,
                                             "channel": channel})
    with open_store(db) as store:
        stored, alert = _care_call(care.record_reading, store, mbi, supplier, reading, acting_as(supplier),
                                   bundled_parameters(), plan)
    typer.echo(f"reading {stored.id}: {reading.kind} {reading.value} {reading.unit} ({reading.channel})")
    if alert is not None:
        typer.echo(_alert_line(alert))


@monitoring_app.command("alerts")
def monitoring_alerts(
    status: Annotated[Optional[str], typer.Option("--status", help="open, acknowledged or resolved.")] = None,
    mbi: Annotated[Optional[str], typer.Option("--mbi", help="One patient.")] = None,
    supplier: SupplierOpt = None, db: DbOpt = None, as_json: JsonOpt = False,
) -> None:
    """Alerts, oldest first (a supplier: only its own)."""
    from hitbenefit.care.monitoring import ALERT_STATUSES
    from hitbenefit.store import care
    if status is not None and status not in ALERT_STATUSES:
        raise fail(f"--status: must be one of {', '.join(ALERT_STATUSES)}, not {status!r}")
    with open_store(db) as store:
        alerts = care.list_alerts(store, acting_as(supplier), status, mbi)
    if as_json:
        _print([a.to_json() for a in alerts])
        return
    for a in alerts:
        typer.echo(_alert_line(a))


@monitoring_app.command("ack")
def monitoring_ack(
    alert_id: Annotated[int, typer.Argument(help="The alert's id.")],
    clinician: Annotated[str, typer.Option("--clinician", help="Who acknowledges it.")],
    note: Annotated[Optional[str], typer.Option("--note", help="A note.")] = None,
    supplier: SupplierOpt = None, db: DbOpt = None,
) -> None:
    """The clinician has seen an open alert."""
    from hitbenefit.store import care
    with open_store(db) as store:
        alert = _care_call(care.acknowledge_alert, store, alert_id, clinician, acting_as(supplier), note)
    typer.echo(_alert_line(alert))


@monitoring_app.command("resolve")
def monitoring_resolve(
    alert_id: Annotated[int, typer.Argument(help="The alert's id.")],
    clinician: Annotated[str, typer.Option("--clinician", help="Who acted.")],
    action: Annotated[str, typer.Option("--action", help="What was done (e.g. plan adjusted, physician told).")],
    supplier: SupplierOpt = None, db: DbOpt = None,
) -> None:
    """The clinician records what was done and closes the alert."""
    from hitbenefit.store import care
    with open_store(db) as store:
        alert = _care_call(care.resolve_alert, store, alert_id, clinician, action, acting_as(supplier))
    typer.echo(_alert_line(alert))

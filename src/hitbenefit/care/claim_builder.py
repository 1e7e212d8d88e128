"""Build a month's HIT services claims from the visits and the drugs dispensed, then scrub them with
the engine (FAQ 7, 17, 19-25; RULES VIS, CLM, DRUG, UNITS, HH).

For each patient, in date order, every in-person visit on which a home infusion drug was given is an
infusion drug administration calendar day: one G-code line per payment category of the drugs given
(FAQ 19, 25), the initial-visit code when the beneficiary's history has no HIT visit in the look-back
(FAQ 24), units from the HIT minutes in 15-minute increments (FAQ 25), the visit's home health minutes
kept apart (FAQ 7). Each category's drug J-code line comes from the dispensing records (at most the
drug window before the visit; JB for category 2, the name for a NOC code). Visits go on one claim per
patient and plan-of-care object (a plan changed and not yet re-signed gets its own claim, held). A
visit that cannot be billed gets a note saying why, with its citations. Pure: no I/O.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Iterable, Mapping, Sequence

from hitbenefit.care import fields as f
from hitbenefit.care.dispensing import DispensingRecord
from hitbenefit.care.fields import CareInputError
from hitbenefit.care.plan import PlanVersionState, claim_plan_of_care
from hitbenefit.care.visits import Visit, with_drug_categories
from hitbenefit.care.which_benefit import BOTH_SPLIT, Answer, situation_of_visit, which_benefit
from hitbenefit.claims.history import EMPTY_HISTORY, BeneficiaryHistory, ClaimsHistory
from hitbenefit.claims.model import Beneficiary, Claim, ClaimLine, Decision, Period, Supplier
from hitbenefit.claims.read_json import ClaimInputError, claim_from_json
from hitbenefit.claims.write_json import claim_to_json
from hitbenefit.engine.adjudicate import adjudicate_batch
from hitbenefit.engine.tables import Tables
from hitbenefit.money import ZERO
from hitbenefit.parameters.model import GCode, Parameters
from hitbenefit.rules.units import units_for_minutes

ONE_DAY = timedelta(days=1)
NOT_BILLABLE, NOTE = "not_billable", "note"


@dataclass(frozen=True, slots=True)
class SupplierProfile:
    """The billing supplier: its contract ``supplier`` object, its charge per G-code, and whether it
    is a home health agency (then its visits may split time with home health, FAQ 7)."""

    supplier: Supplier
    charges: Mapping[str, Decimal] = field(default_factory=dict)
    home_health_agency: bool = False
    place_of_service: str = "12"

    @property
    def qualified(self) -> bool:
        """Enrolled as a qualified HIT supplier (specialty D6), or not known to be otherwise."""
        return self.supplier.specialty in (None, "D6")


@dataclass(frozen=True, slots=True)
class Patient:
    """What the biller knows of a beneficiary beyond the visits: the claim's ``beneficiary`` object,
    the payment locality of the home, home health periods of care and homebound status."""

    beneficiary: Beneficiary
    service_locality: str | None = None
    home_health: tuple[Period, ...] = ()
    homebound: bool | None = None

    def situation(self, day: date) -> dict[str, Any]:
        b = self.beneficiary
        stay = next((s.kind for s in b.institutional_stays if s.period.covers(day)), None)
        return {"part_b": b.part_b is None or any(p.covers(day) for p in b.part_b),
                "medicare_advantage": any(p.covers(day) for p in b.medicare_advantage),
                "institutional_stay": stay, "homebound": self.homebound,
                "under_home_health_plan": any(p.covers(day) for p in self.home_health)}


@dataclass(frozen=True, slots=True)
class Note:
    """Why a visit (or part of it) is not on a HIT claim, or what else the biller must do."""

    kind: str  # not_billable | note
    mbi: str
    day: date
    key: str
    message: str
    citations: tuple[str, ...]
    benefit: str | None = None
    notice: str | None = None

    def to_json(self) -> dict[str, Any]:
        out = {"kind": self.kind, "mbi": self.mbi, "date": self.day.isoformat(), "key": self.key,
               "message": self.message, "citations": list(self.citations), "benefit": self.benefit}
        if self.notice:
            out["notice"] = self.notice
        return out


@dataclass(slots=True)
class BuiltClaim:
    claim: Claim
    decision: Decision

    @property
    def ready(self) -> bool:
        """Nothing rejected or denied: the claim can be sent as built."""
        return all(line.status in ("paid", "informational") for line in self.decision.lines)

    def to_json(self) -> dict[str, Any]:
        return {"claim": claim_to_json(self.claim), "decision": self.decision.to_json(), "ready": self.ready}


@dataclass(slots=True)
class MonthBuild:
    month: date
    claims: list[BuiltClaim]
    notes: list[Note]

    def to_json(self) -> dict[str, Any]:
        return {"month": self.month.strftime("%Y-%m"), "claims": [c.to_json() for c in self.claims],
                "not_billable": [n.to_json() for n in self.notes if n.kind == NOT_BILLABLE],
                "notes": [n.to_json() for n in self.notes if n.kind == NOTE]}


def month_days(month: date) -> tuple[date, date]:
    """The first and last day of ``month`` (any day in it)."""
    first = month.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - ONE_DAY
    return first, last


def gcode_for(category: int, initial: bool, day: date, params: Parameters) -> GCode:
    """The G-code of a payment category and visit type in force on ``day`` (FAQ 23, 24)."""
    wanted = "initial" if initial else "subsequent"
    for code in params.gcodes.values():
        if code.category == category and code.visit_type == wanted and code.valid_on(day):
            return code
    raise LookupError(f"no {wanted} G-code of category {category} on {day}")


def visit_units(minutes: int, day: date, params: Parameters) -> int:
    """HIT minutes as 15-minute units (parameters ``minutes_per_unit``, ``units_rounding``), at least
    the minimum and at most the maximum (FAQ 25; RULES CLM-7)."""
    nearest, begun = units_for_minutes(minutes, params.value("minutes_per_unit", day))
    units = begun if params.value("units_rounding", day) == "begun" else nearest
    return max(params.value("units_minimum", day), min(units, params.value("units_maximum", day)))


def claim_id_for(supplier_npi: str, mbi: str, month: date, part: int) -> str:
    """A stable claim id (the same month built twice gives the same ids; no MBI in it)."""
    digest = hashlib.sha256(f"{supplier_npi}:{mbi}".encode()).hexdigest()[:10].upper()
    return f"HIT{month:%Y%m}-{digest}-{part}"


@dataclass(slots=True)
class _Day:
    visit: Visit
    categories: list[int]
    plan: dict[str, Any] | None
    answer: Answer


def build_month(visits: Iterable[Visit], dispensing: Iterable[DispensingRecord],
                history: Mapping[str, BeneficiaryHistory], plans: Mapping[int, Sequence[PlanVersionState]],
                supplier: SupplierProfile, month: date, tables: Tables,
                patients: Mapping[str, Patient] | None = None) -> MonthBuild:
    """The month's claims of ``supplier`` with the engine's decisions, and notes on what is not billed.

    ``history`` holds each beneficiary's accepted HIT lines before the month (every supplier's);
    ``plans`` the versions of each plan of care by plan id; ``patients`` what is known of each MBI.
    """
    params = tables.params
    patients = patients or {}
    first, last = month_days(month)
    notes: list[Note] = []
    by_mbi: dict[str, list[Visit]] = {}
    for visit in visits:
        if visit.supplier_npi == supplier.supplier.npi and first <= visit.visit_date <= last:
            by_mbi.setdefault(visit.mbi, []).append(visit)
    drugs_by_mbi: dict[str, list[DispensingRecord]] = {}
    for record in dispensing:
        drugs_by_mbi.setdefault(record.mbi, []).append(record)
    claims: list[Claim] = []
    for mbi in sorted(by_mbi):
        patient = patients.get(mbi) or Patient(Beneficiary(mbi))
        days = [_classify(v, patient, supplier, plans, params, notes)
                for v in sorted(by_mbi[mbi], key=lambda v: (v.visit_date, v.hit_minutes))]
        claims += _claims_of(mbi, [d for d in days if d is not None], patient, supplier, month,
                             history.get(mbi, EMPTY_HISTORY), drugs_by_mbi.get(mbi, []), params, notes)
    seeded = ClaimsHistory()
    for mbi, past in history.items():
        target = seeded.for_update(mbi)
        for day in past.visit_dates:
            target.visit_dates.append(day)
        target.category_days |= past.category_days
        for category, dates in past.drug_dates.items():
            target.drug_dates[category] = list(dates)
    decisions = adjudicate_batch(claims, tables, history=seeded)
    notes = sorted(dict.fromkeys(notes), key=lambda n: (n.mbi, n.day, n.key))
    return MonthBuild(first, [BuiltClaim(c, d) for c, d in zip(claims, decisions)], notes)


def _classify(visit: Visit, patient: Patient, supplier: SupplierProfile, plans: Mapping[int, Sequence[PlanVersionState]],
              params: Parameters, notes: list[Note]) -> _Day | None:
    """Which categories of this visit go on a HIT claim; a note for each part that does not."""
    visit = with_drug_categories(visit, params)
    facts = dict(patient.situation(visit.visit_date), furnished_by_hha=supplier.home_health_agency,
                 qualified_hit_supplier=supplier.qualified)
    answers = [which_benefit(situation_of_visit(visit, drug, **facts), params) for drug in (visit.drugs or (None,))]
    categories: list[int] = []
    billed: Answer | None = None
    for drug, answer in zip(visit.drugs or (None,), answers):
        if not answer.hit_billable or answer.key == "HH_TIME_NOT_SEPARATED":
            notes.append(Note(NOT_BILLABLE, visit.mbi, visit.visit_date, answer.key, answer.reason, answer.citations,
                              answer.benefit, answer.notice))
            continue
        category = answer.drug_category if answer.drug_category is not None else (drug.category if drug else None)
        if category is None and drug is None:
            notes.append(Note(NOT_BILLABLE, visit.mbi, visit.visit_date, "DRUG_NOT_RECORDED",
                              "The visit records a drug administration but not which drug: the G-code's payment "
                              "category follows the drug (record its HCPCS code).", ("FAQ 22", "FAQ 23", "RULES DRUG-1")))
            continue
        if category is None:
            notes.append(Note(NOT_BILLABLE, visit.mbi, visit.visit_date, "NOC_CATEGORY_UNKNOWN",
                              f"{drug.hcpcs} {drug.name or '(unnamed)'}: the contractor has assigned no payment "
                              "category; ask it before billing.", ("FAQ 17", "RULES DRUG-3")))
            continue
        if category not in categories:
            categories.append(category)
        billed = answer
    if not categories or billed is None:
        return None
    if billed.benefit == BOTH_SPLIT:
        notes.append(Note(NOTE, visit.mbi, visit.visit_date, "HH_AND_HIT_SPLIT",
                          f"Bill the {visit.home_health_minutes} home health minutes on the home health claim "
                          f"(HH PPS); the {visit.hit_minutes} HIT minutes are on the HIT claim.", billed.citations,
                          billed.benefit))
    plan = claim_plan_of_care(plans[visit.plan_id], visit.visit_date) if visit.plan_id in plans else None
    return _Day(visit, sorted(categories), plan, billed)


def _claims_of(mbi: str, days: list[_Day], patient: Patient, supplier: SupplierProfile, month: date,
               past: BeneficiaryHistory, dispensed: list[DispensingRecord], params: Parameters,
               notes: list[Note]) -> list[Claim]:
    """One claim per plan-of-care object; lines in date order, each category's drug line once."""
    built_visits: list[date] = []
    groups: dict[str, list[tuple[str, Any]]] = {}
    plans: dict[str, dict[str, Any] | None] = {}
    used: dict[str, set[int]] = {}
    for entry in days:
        visit, day = entry.visit, entry.visit.visit_date
        window = params.days("initial_visit_lookback_days", day)
        recent = past.last_visit_between(day - window, day - ONE_DAY) or next(
            (d for d in reversed(built_visits) if day - window <= d < day), None)
        initial = recent is None
        key = repr(sorted(entry.plan.items())) if entry.plan else ""
        plans[key] = entry.plan
        group = groups.setdefault(key, [])
        drug_window = params.days("drug_window_days", day)
        placed = False
        for category in entry.categories:
            record = _dispensed(dispensed, category, day - drug_window, day, params)
            if record is None and past.drug_between(category, day - drug_window, day) is None:
                notes.append(Note(NOT_BILLABLE, mbi, day, "NO_QUALIFYING_DRUG",
                                  f"No category {category} drug dispensed from {day - drug_window} to {day}: record "
                                  "the dispensing before billing this day.",
                                  ("FAQ 15", "FAQ 21", "MLN MM11880", "RULES CLM-3")))
                continue
            gcode = gcode_for(category, initial, day, params)
            minutes = visit.hit_minutes
            group.append(("visit", (gcode.code, day, visit, visit_units(minutes, day, params) if minutes else
                                    params.value("units_minimum", day))))
            if not minutes:
                notes.append(Note(NOTE, mbi, day, "MINUTES_NOT_RECORDED",
                                  f"No HIT minutes recorded: {gcode.code} billed with the minimum units; record the "
                                  "visit's length (units report it in 15-minute increments).", ("FAQ 25", "RULES CLM-7")))
            if record is not None:
                seen = used.setdefault(key, set())
                if id(record) not in seen:
                    seen.add(id(record))
                    group.append(("drug", record))
            placed = True
        if placed:
            built_visits.append(day)
    out = []
    for part, (key, entries) in enumerate(groups.items(), start=1):
        if not any(kind == "visit" for kind, _ in entries):
            continue
        out.append(_claim(mbi, part, entries, plans[key], patient, supplier, month, params))
    return out


def _dispensed(records: list[DispensingRecord], category: int, first: date, last: date,
               params: Parameters) -> DispensingRecord | None:
    """The latest record of ``category`` dispensed from ``first`` to ``last``."""
    found = [r for r in records if first <= r.dispensed_date <= last and r.payment_category(params) == category]
    return max(found, key=lambda r: r.dispensed_date) if found else None


def _claim(mbi: str, part: int, entries: list[tuple[str, Any]], plan: dict[str, Any] | None, patient: Patient,
           supplier: SupplierProfile, month: date, params: Parameters) -> Claim:
    lines: list[ClaimLine] = []
    ordered = sorted(entries, key=lambda e: (e[1][1] if e[0] == "visit" else e[1].dispensed_date, e[0] == "drug",
                                             e[1][0] if e[0] == "visit" else e[1].hcpcs))
    for kind, value in ordered:
        n = len(lines) + 1
        if kind == "visit":
            code, day, visit, units = value
            lines.append(ClaimLine(n, code, Decimal(units), day, supplier.charges.get(code, ZERO),
                                   place_of_service=supplier.place_of_service, visit=visit.line_visit()))
        else:
            line = value.claim_line(n, params)
            lines.append(ClaimLine(n, line.hcpcs, line.units, line.service_date, line.charge, line.modifiers,
                                   supplier.place_of_service, line.visit, line.drug_name))
    body = claim_to_json(Claim(claim_id_for(supplier.supplier.npi, mbi, month, part), supplier.supplier,
                               patient.beneficiary, tuple(lines), service_locality=patient.service_locality))
    body["plan_of_care"] = plan
    for line in body["lines"]:
        if line["hcpcs"] not in params.gcodes:
            line.pop("visit")
    return claim_from_json(body, "<claim builder>")


def patient_from_json(data: Any, where: str = "patient") -> Patient:
    """A ``Patient`` from ``{"beneficiary": {...CONTRACT §1...}, "service_locality", "home_health":
    [{"from", "to"}], "homebound"}``; ``CareInputError`` names the field."""
    data = f.obj(where, data, ("beneficiary", "service_locality", "home_health", "homebound"), ("beneficiary",))
    probe = {"claim_id": "probe", "supplier": {"npi": "0000000000"}, "beneficiary": data["beneficiary"],
             "service_locality": data.get("service_locality"),
             "lines": [{"line": 1, "hcpcs": "G0068", "units": 1, "service_date": "2021-01-01", "charge": 0}]}
    try:
        claim = claim_from_json(probe, where)
    except ClaimInputError as exc:
        raise CareInputError(f"{where}.{exc.field or 'beneficiary'}", exc.problem) from None
    periods = []
    raw = data.get("home_health") or []
    if not isinstance(raw, list):
        raise CareInputError(f"{where}.home_health", f"expected a list of periods, found {f.kind(raw)}")
    for i, period in enumerate(raw):
        at = f"{where}.home_health[{i}]"
        period = f.obj(at, period, ("from", "to"), ("from",))
        periods.append(Period(f.day(f"{at}.from", period["from"]), f.day(f"{at}.to", period.get("to"), optional=True)))
    homebound = data.get("homebound")
    if homebound is not None and not isinstance(homebound, bool):
        raise CareInputError(f"{where}.homebound", f"expected true or false, found {f.kind(homebound)}")
    return Patient(claim.beneficiary, claim.service_locality, tuple(periods), homebound)


def profile_from_json(data: Any, where: str = "supplier") -> SupplierProfile:
    """A ``SupplierProfile`` from ``{"supplier": {...CONTRACT §1...}, "charges": {"G0068": 300.00},
    "home_health_agency": false, "place_of_service": "12"}``."""
    data = f.obj(where, data, ("supplier", "charges", "home_health_agency", "place_of_service"), ("supplier",))
    probe = {"claim_id": "probe", "supplier": data["supplier"], "beneficiary": {"mbi": "probe"},
             "lines": [{"line": 1, "hcpcs": "G0068", "units": 1, "service_date": "2021-01-01", "charge": 0,
                        "place_of_service": data.get("place_of_service", "12")}]}
    try:
        claim = claim_from_json(probe, where)
    except ClaimInputError as exc:
        raise CareInputError(f"{where}.{exc.field or 'supplier'}", exc.problem) from None
    charges = {}
    raw = f.obj(f"{where}.charges", data.get("charges") or {}, [code for code in data.get("charges") or {}])
    for code, amount in raw.items():
        value = f.number(f"{where}.charges.{code}", amount)
        if value < 0 or value != value.quantize(Decimal("0.01")):
            raise CareInputError(f"{where}.charges.{code}", f"expected dollars with at most two decimals, found {amount}")
        charges[code.upper()] = value.quantize(Decimal("0.01"))
    hha = data.get("home_health_agency", False)
    if not isinstance(hha, bool):
        raise CareInputError(f"{where}.home_health_agency", f"expected true or false, found {f.kind(hha)}")
    return SupplierProfile(claim.supplier, charges, hha, claim.lines[0].place_of_service)

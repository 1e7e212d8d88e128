"""A parsed claim written back as the contract's claim JSON (CONTRACT §1), every field written out,
and a decision as one line of compact decision JSON (CONTRACT §2).

Claims travel as contract JSON wherever one read from X12 or FHIR must (the store's canonical body,
batch spill files); decision lines are the batch's ``decisions.jsonl``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import orjson

from hitbenefit.claims.model import Claim, Decision, LineDecision, Period
from hitbenefit.money import CENT, ZERO


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _money(value: Decimal | None) -> Decimal | None:
    return value.quantize(CENT) if value is not None else None


def _number(value: Decimal) -> int | Decimal:
    return int(value) if value == value.to_integral_value() else value.normalize()


def _periods(periods: tuple[Period, ...] | None) -> list | None:
    if periods is None:
        return None
    return [{"from": _day(p.start), "to": _day(p.end)} for p in periods]


def claim_to_json(claim: Claim) -> dict[str, Any]:
    """The contract JSON (CONTRACT §1) of a parsed claim, with every field written out."""
    s, b, plan = claim.supplier, claim.beneficiary, claim.plan_of_care
    out: dict[str, Any] = {
        "claim_id": claim.claim_id,
        "received_date": _day(claim.received_date),
        "payer": claim.payer,
        "supplier": {"npi": s.npi, "specialty": s.specialty, "accreditation_expires": _day(s.accreditation_expires),
                     "licensed_states": list(s.licensed_states) if s.licensed_states is not None else None},
        "beneficiary": {"mbi": b.mbi, "part_b": _periods(b.part_b), "medicare_advantage": _periods(b.medicare_advantage),
                        "institutional_stays": [{"from": _day(st.period.start), "to": _day(st.period.end),
                                                 "kind": st.kind} for st in b.institutional_stays],
                        "deductible_remaining": _money(b.deductible_remaining)},
        "plan_of_care": None,
        "service_locality": claim.service_locality,
        "lines": [{"line": ln.line, "hcpcs": ln.hcpcs, "modifiers": list(ln.modifiers), "units": _number(ln.units),
                   "service_date": _day(ln.service_date), "place_of_service": ln.place_of_service,
                   "charge": _money(ln.charge),
                   "visit": {"in_person": ln.visit.in_person, "drug_administered": ln.visit.drug_administered,
                             "minutes": ln.visit.minutes, "hh_minutes": ln.visit.hh_minutes},
                   "drug_name": ln.drug_name} for ln in claim.lines],
    }
    if plan is not None:
        out["plan_of_care"] = {
            "established_by": {"npi": plan.established_by_npi, "role": plan.established_by_role},
            "care_provider_role": plan.care_provider_role, "therapy_type": plan.therapy_type,
            "medication": plan.medication, "dosage": plan.dosage, "frequency": plan.frequency,
            "duration": plan.duration, "professional_services": list(plan.professional_services),
            "visit_frequency": plan.visit_frequency, "discipline": plan.discipline,
            "signed_date": _day(plan.signed_date), "last_changed": _day(plan.last_changed),
            "last_reviewed": _day(plan.last_reviewed)}
    if claim.extra is not None:
        out["extra"] = claim.extra
    return out


def _exact_number(value: Any) -> orjson.Fragment:
    """Money as its exact decimal text (196.10 stays 196.10), never a float."""
    if isinstance(value, Decimal):
        return orjson.Fragment(str(value))
    raise TypeError(f"{type(value).__name__} is not JSON")


_LINES: dict[tuple, tuple[orjson.Fragment, tuple]] = {}
_PAYMENTS_OWN, _ALL_ZERO = -1, -2  # a line's amounts, named (ids are never negative)


def _line_json(line: LineDecision) -> orjson.Fragment:
    """``line.to_json()`` as compact JSON, remembered: lines repeat (the same payment, the same reasons).

    The key holds everything ``to_json`` reads: the plain fields by value, the payment, the amounts and the
    reasons (all immutable) by identity, kept alive by the entry so no other object takes their ids while it
    lasts. Amounts that are the payment's own (a priced line) or all ``ZERO`` (a line not priced) are named so."""
    payment, allowed, deductible, coinsurance = line.payment, line.allowed, line.deductible, line.coinsurance
    sequestration, paid = line.sequestration, line.paid
    if payment is None and allowed is ZERO and deductible is ZERO and coinsurance is ZERO and sequestration is ZERO \
            and paid is ZERO:
        amounts: Any = _ALL_ZERO
    elif payment is not None and allowed is payment.allowed and deductible is payment.deductible \
            and coinsurance is payment.coinsurance and sequestration is payment.sequestration and paid is payment.paid:
        amounts = _PAYMENTS_OWN
    else:
        amounts = (id(allowed), id(deductible), id(coinsurance), id(sequestration), id(paid))
    reasons = line.reasons
    key = (line.line, line.hcpcs, line.status, line.category, line.visit_type, line.kind, line.drug_name,
           id(payment) if payment is not None else None, amounts, tuple(map(id, reasons)) if reasons else ())
    known = _LINES.get(key)
    if known is None:
        if len(_LINES) > 4096:
            _LINES.clear()
        known = _LINES[key] = (orjson.Fragment(orjson.dumps(line.to_json(), default=_exact_number)),
                               (payment, allowed, deductible, coinsurance, sequestration, paid, *reasons))
    return known[0]


def decision_json_line(decision: Decision) -> bytes:
    """The contract decision as one line of compact JSON (UTF-8, newline-terminated), money as exact
    decimal numbers: ``decision.to_json()`` as ``hitbenefit adjudicate --format jsonl`` writes it,
    without the spaces between tokens."""
    return orjson.dumps(decision.to_json(_line_json), default=_exact_number, option=orjson.OPT_APPEND_NEWLINE)

"""Write FHIR R4: a contract claim as a ``Claim``; a decision as a ``ClaimResponse`` and as a CARIN Blue
Button ``ExplanationOfBenefit`` (Professional/NonClinician, shaped like the CARIN BB 1.2.0 example);
a batch as a ``Bundle`` (docs/fhir.md has the mapping tables).

Output is plain dicts holding ``Decimal`` money; ``decisions_to_fhir`` writes them with simplejson
(``use_decimal=True``) so that amounts are exact decimals, never floats. The dicts are not run through
the fhir.resources models here (slow for big batches, and ``model_dump`` turns Decimal into float);
the tests parse every kind back with the R4B models.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Iterable

import simplejson

from hitbenefit.claims.model import Claim, ClaimLine, Decision, LineDecision, Period, Reason, DEFAULT_VISIT
from hitbenefit.fhir import codes
from hitbenefit.money import ZERO

_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_NAMESPACE = uuid.UUID("0d6f5a8e-6c1b-5d1e-9a57-6869746265ef")  # fixed: the same claim gives the same urn:uuid
INSURER_NAME = "Medicare Part B (original Medicare fee-for-service)"


def _usd(amount: Decimal) -> dict:
    return {"value": amount, "currency": "USD"}


def _coding(system: str, code: str, display: str | None = None) -> dict:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def _concept(system: str, code: str, display: str | None = None, text: str | None = None) -> dict:
    out: dict[str, Any] = {"coding": [_coding(system, code, display)]}
    if text:
        out["text"] = text
    return out


def _ext(url: str, kind: str, value: Any) -> dict:
    return {"url": url, kind: value}


def _period(period: Period) -> dict:
    out = {"start": period.start.isoformat()}
    if period.end is not None:
        out["end"] = period.end.isoformat()
    return out


def _procedure_system(code: str) -> str:
    """CPT for codes that start with a digit (HCPCS level I), the CMS HCPCS system otherwise (level II)."""
    return codes.CPT if code[:1].isdigit() else codes.HCPCS


def _urn(*parts: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, '|'.join(parts))}"


# ---------------------------------------------------------------------------------------------------
# Claim

def claim_to_fhir(claim: Claim) -> dict:
    """A contract claim as a FHIR R4 ``Claim`` (professional) with its Patient, Organization and Coverage
    contained; ``claims_from_fhir`` reads it back to an equal claim (docs/fhir.md: ``received_date``
    absent comes back as its default, ``extra`` is not carried).

    ValueError for the one contract fact FHIR extensions cannot carry here: an empty (given but empty)
    ``part_b`` or ``licensed_states`` list.
    """
    supplier, beneficiary = claim.supplier, claim.beneficiary
    if beneficiary.part_b == ():
        raise ValueError(f"claim {claim.claim_id}: beneficiary.part_b is an empty list (no Part B at all), which "
                         "the FHIR mapping cannot express; omit it or give the periods")
    if supplier.licensed_states == ():
        raise ValueError(f"claim {claim.claim_id}: supplier.licensed_states is an empty list, which the FHIR "
                         "mapping cannot express; omit it or give the states")
    patient: dict[str, Any] = {"resourceType": "Patient", "id": "patient",
                               "identifier": [{"type": _concept(codes.V2_0203, "MC", "Patient's Medicare number"),
                                               "system": codes.MBI, "value": beneficiary.mbi}]}
    p_ext = [_ext(codes.EXT_PART_B, "valuePeriod", _period(p)) for p in beneficiary.part_b or ()]
    p_ext += [_ext(codes.EXT_MEDICARE_ADVANTAGE, "valuePeriod", _period(p)) for p in beneficiary.medicare_advantage]
    p_ext += [{"url": codes.EXT_INSTITUTIONAL_STAY,
               "extension": [_ext("period", "valuePeriod", _period(s.period)), _ext("kind", "valueCode", s.kind)]}
              for s in beneficiary.institutional_stays]
    if p_ext:
        patient["extension"] = p_ext
    provider: dict[str, Any] = {"resourceType": "Organization", "id": "provider",
                                "identifier": [{"type": _concept(codes.V2_0203, "NPI", "National provider identifier"),
                                                "system": codes.NPI, "value": supplier.npi}]}
    s_ext = []
    if supplier.specialty is not None:
        s_ext.append(_ext(codes.EXT_SPECIALTY, "valueCode", supplier.specialty))
    if supplier.accreditation_expires is not None:
        s_ext.append(_ext(codes.EXT_ACCREDITATION_EXPIRES, "valueDate", supplier.accreditation_expires.isoformat()))
    s_ext += [_ext(codes.EXT_LICENSED_STATE, "valueCode", state) for state in supplier.licensed_states or ()]
    if s_ext:
        provider["extension"] = s_ext
    coverage = {"resourceType": "Coverage", "id": "coverage", "status": "active",
                "subscriberId": beneficiary.mbi, "beneficiary": {"reference": "#patient"},
                "payor": [{"display": INSURER_NAME}]}
    c_ext = [_ext(codes.EXT_PAYER, "valueCode", claim.payer)]
    if claim.service_locality is not None:
        c_ext.append(_ext(codes.EXT_SERVICE_LOCALITY, "valueString", claim.service_locality))
    if beneficiary.deductible_remaining is not None:
        c_ext.append(_ext(codes.EXT_DEDUCTIBLE_REMAINING, "valueMoney", _usd(beneficiary.deductible_remaining)))
    if claim.plan_of_care is not None:
        c_ext.append(_plan_extension(claim))
    out: dict[str, Any] = {"resourceType": "Claim"}
    if _ID.fullmatch(claim.claim_id):
        out["id"] = claim.claim_id
    out.update({
        "contained": [patient, provider, coverage],
        "extension": c_ext,
        "identifier": [{"system": codes.CLAIM_ID, "value": claim.claim_id}],
        "status": "active",
        "type": _concept(codes.CLAIM_TYPE, "professional", "Professional"),
        "use": "claim",
        "patient": {"reference": "#patient"},
        "created": claim.received.isoformat(),
        "provider": {"reference": "#provider"},
        "priority": _concept(codes.PROCESS_PRIORITY, "normal", "Normal"),
        "insurance": [{"sequence": 1, "focal": True, "coverage": {"reference": "#coverage"}}],
        "item": [_claim_item(line) for line in claim.lines],
        "total": _usd(sum((line.charge for line in claim.lines), ZERO)),
    })
    return out


def _plan_extension(claim: Claim) -> dict:
    plan = claim.plan_of_care
    values = {"established_by.npi": plan.established_by_npi, "established_by.role": plan.established_by_role}
    subs = []
    for field, url, kind in codes.PLAN_FIELDS:
        value = values[field] if field in values else getattr(plan, field)
        if field == "professional_services":
            subs += [_ext(url, kind, service) for service in value]
        elif value is not None:
            subs.append(_ext(url, kind, value.isoformat() if isinstance(value, date) else value))
    return {"url": codes.EXT_PLAN_OF_CARE, "extension": subs}


def _product(line: ClaimLine | None, hcpcs: str) -> dict:
    product: dict[str, Any] = {"coding": [_coding(_procedure_system(hcpcs), hcpcs)]}
    if line is not None and line.drug_name is not None:
        product["text"] = line.drug_name
    return product


def _claim_item(line: ClaimLine) -> dict:
    item: dict[str, Any] = {"sequence": line.line}
    if line.visit != DEFAULT_VISIT:
        defaults = {"in_person": True, "drug_administered": True, "minutes": None, "hh_minutes": 0}
        subs = [_ext(url, kind, getattr(line.visit, field)) for field, url, kind in codes.VISIT_FIELDS
                if getattr(line.visit, field) != defaults[field]]
        item["extension"] = [{"url": codes.EXT_VISIT, "extension": subs}]
    item["productOrService"] = _product(line, line.hcpcs)
    if line.modifiers:
        item["modifier"] = [{"coding": [_coding(codes.HCPCS, m)]} for m in line.modifiers]
    item["servicedDate"] = line.service_date.isoformat()
    item["locationCodeableConcept"] = {"coding": [_coding(codes.POS, line.place_of_service)]}
    item["quantity"] = {"value": line.units}
    item["net"] = _usd(line.charge)
    return item


# ---------------------------------------------------------------------------------------------------
# Decision: the parties the EOB and ClaimResponse reference

def parties_to_fhir(claim: Claim) -> list[dict]:
    """Bundle entries (fullUrl, resource) for the Patient, supplier, insurer and Coverage that
    ``decision_to_eob`` and ``decision_to_claim_response`` reference by ``urn:uuid``."""
    refs = _refs(claim)
    return [
        {"fullUrl": refs["patient"], "resource": {
            "resourceType": "Patient", "id": refs["patient"][9:],
            "identifier": [{"type": _concept(codes.V2_0203, "MC", "Patient's Medicare number"),
                            "system": codes.MBI, "value": claim.beneficiary.mbi}]}},
        {"fullUrl": refs["provider"], "resource": {
            "resourceType": "Organization", "id": refs["provider"][9:], "active": True,
            "identifier": [{"type": _concept(codes.V2_0203, "NPI", "National provider identifier"),
                            "system": codes.NPI, "value": claim.supplier.npi}],
            "name": f"Home infusion therapy supplier NPI {claim.supplier.npi}"}},
        {"fullUrl": refs["insurer"], "resource": {
            "resourceType": "Organization", "id": refs["insurer"][9:], "active": True,
            "type": [_concept(codes.ORGANIZATION_TYPE, "pay", "Payer")], "name": INSURER_NAME}},
        {"fullUrl": refs["coverage"], "resource": {
            "resourceType": "Coverage", "id": refs["coverage"][9:], "status": "active",
            "subscriberId": claim.beneficiary.mbi, "beneficiary": {"reference": refs["patient"]},
            "payor": [{"reference": refs["insurer"], "display": INSURER_NAME}]}},
    ]


def _refs(claim: Claim) -> dict[str, str]:
    return {"patient": _urn("Patient", claim.beneficiary.mbi), "provider": _urn("Organization", claim.supplier.npi),
            "insurer": _urn("Organization", "medicare-part-b"),
            "coverage": _urn("Coverage", claim.beneficiary.mbi, claim.payer)}


# ---------------------------------------------------------------------------------------------------
# Decision: adjudication amounts and reasons

_CATEGORY = {
    "submitted": (codes.ADJUDICATION, "submitted", "Submitted Amount"),
    "eligible": (codes.ADJUDICATION, "eligible", "Eligible Amount"),
    "deductible": (codes.ADJUDICATION, "deductible", "Deductible"),
    "coinsurance": (codes.C4BB_ADJUDICATION, "coinsurance", "Co-insurance"),
    "sequestration": (codes.HIT_ADJUDICATION, "sequestration", "Sequestration reduction"),
    "benefit": (codes.ADJUDICATION, "benefit", "Benefit Amount"),
    "noncovered": (codes.C4BB_ADJUDICATION, "noncovered", "Noncovered"),
    "memberliability": (codes.C4BB_ADJUDICATION, "memberliability", "Member liability"),
}
SEQUESTRATION_CARC = "253"  # X12 CARC 253: sequestration - reduction in federal payment


def _amount(category: str, amount: Decimal, reason: dict | None = None) -> dict:
    out: dict[str, Any] = {"category": _concept(*_CATEGORY[category])}
    if reason is not None:
        out["reason"] = reason
    out["amount"] = _usd(amount)
    return out


def _noncovered(line: ClaimLine | None, d: LineDecision) -> Decimal:
    """The charge this benefit does not cover: all of it on a line not paid, none on a paid line."""
    if d.status == "paid" or line is None:
        return ZERO
    return line.charge


def _reason_ext(reason: Reason) -> list[dict]:
    out = [_ext(codes.EXT_REASON_KEY, "valueCode", reason.key)]
    if reason.group:
        out.append(_ext(codes.EXT_ADJUSTMENT_GROUP, "valueCode", reason.group))
    return out


def _reason_text(reason: Reason) -> str:
    x12 = "-".join(part for part in (reason.group, reason.carc) if part)
    codes_ = ", ".join(part for part in (x12, f"RARC {reason.rarc}" if reason.rarc else None) if part)
    return f"{reason.key}{f' ({codes_})' if codes_ else ''}: {reason.message}"


def _line_adjudication(line: ClaimLine | None, d: LineDecision, carin: bool) -> list[dict]:
    out = [_amount("submitted", line.charge if line is not None else ZERO)]
    for category, value in (("eligible", d.allowed), ("deductible", d.deductible),
                            ("coinsurance", d.coinsurance)):
        if value is not None:
            out.append(_amount(category, value))
    if d.sequestration is not None:
        out.append(_amount("sequestration", d.sequestration,
                           _concept(codes.CARC, SEQUESTRATION_CARC, text="CO-253 sequestration")
                           if d.sequestration else None))
    if d.paid is not None:
        out.append(_amount("benefit", d.paid))
    denial = next((r for r in d.reasons if r.carc and r.outcome in ("denied", "rejected")), None) \
        or next((r for r in d.reasons if r.carc), None)
    noncovered = _amount("noncovered", _noncovered(line, d),
                         _concept(codes.CARC, denial.carc, text=_reason_text(denial))
                         if denial and d.status != "paid" else None)
    out.append(noncovered)
    for reason in d.reasons:
        if reason.carc:
            out.append({"extension": _reason_ext(reason),
                        "category": _concept(codes.C4BB_DISCRIMINATOR, "denialreason", "Denial Reason"),
                        "reason": _concept(codes.CARC, reason.carc, text=_reason_text(reason))})
        if reason.rarc:
            out.append({"extension": _reason_ext(reason),
                        "category": _concept(codes.HIT_ADJUDICATION, "remark", "Remittance advice remark"),
                        "reason": _concept(codes.RARC, reason.rarc, text=_reason_text(reason))})
    if carin:
        out.append({"category": _concept(codes.C4BB_PAYER_STATUS, "other", "Other",
                                         "Original Medicare has no network: neither in nor out of network")})
    return out


def _totals(claim: Claim, decision: Decision) -> list[dict]:
    lines = {line.line: line for line in claim.lines}
    add = lambda attr: sum((getattr(d, attr) for d in decision.lines if getattr(d, attr) is not None), ZERO)  # noqa: E731
    totals = decision.totals
    return [
        _amount("submitted", totals["charge"]),
        _amount("eligible", totals["allowed"]),
        _amount("deductible", add("deductible")),
        _amount("coinsurance", add("coinsurance")),
        _amount("sequestration", add("sequestration")),
        _amount("benefit", totals["paid"]),
        _amount("noncovered", sum((_noncovered(lines.get(d.line), d) for d in decision.lines), ZERO)),
        _amount("memberliability", totals["patient"]),
    ]


class _Notes:
    """processNote entries, one per distinct reason, numbered from 1; items point at them."""

    def __init__(self, decision: Decision) -> None:
        self.notes: list[dict] = []
        self.numbers: dict[str, int] = {}
        rates = decision.rates or {}
        if rates.get("status") == "estimate":
            self._add("rates", f"Priced with an ESTIMATED rate table, not a CMS publication: {rates.get('source')}")

    def _add(self, key: str, text: str) -> int:
        if key not in self.numbers:
            self.numbers[key] = len(self.notes) + 1
            self.notes.append({"number": self.numbers[key], "type": "display", "text": text})
        return self.numbers[key]

    def for_line(self, d: LineDecision) -> list[int]:
        numbers = [self._add(r.key, f"{_reason_text(r)} [{'; '.join(r.citations)}]") for r in d.reasons]
        return sorted(set(numbers))


def _outcome(decision: Decision) -> str:
    return "error" if decision.status == "rejected" else "complete"


def _created(created: date | datetime | None) -> str:
    return (created or date.today()).isoformat()


def _header_ext(decision: Decision) -> list[dict]:
    out = [_ext(codes.EXT_DECISION_STATUS, "valueCode", decision.status)]
    rates = decision.rates or {}
    if rates.get("status"):
        out.append(_ext(codes.EXT_RATE_STATUS, "valueCode", str(rates["status"])))
    if rates.get("source"):
        out.append(_ext(codes.EXT_RATE_SOURCE, "valueString", str(rates["source"])))
    return out


def _payment(decision: Decision) -> dict:
    return {"type": _concept(codes.PAYMENT_TYPE, "complete", "Complete"), "amount": _usd(decision.totals["paid"])}


def _check(claim: Claim, decision: Decision) -> None:
    if claim.claim_id != decision.claim_id:
        raise ValueError(f"decision for claim {decision.claim_id} given with claim {claim.claim_id}")


# ---------------------------------------------------------------------------------------------------
# ClaimResponse

def decision_to_claim_response(claim: Claim, decision: Decision, *, created: date | datetime | None = None) -> dict:
    """The decision as a FHIR R4 ``ClaimResponse``; ``created`` defaults to today."""
    _check(claim, decision)
    refs, lines, notes = _refs(claim), {line.line: line for line in claim.lines}, _Notes(decision)
    items = []
    for d in decision.lines:
        item: dict[str, Any] = {"extension": [_ext(codes.EXT_LINE_STATUS, "valueCode", d.status)],
                                "itemSequence": d.line}
        numbers = notes.for_line(d)
        if numbers:
            item["noteNumber"] = numbers
        item["adjudication"] = _line_adjudication(lines.get(d.line), d, carin=False)
        items.append(item)
    out: dict[str, Any] = {
        "resourceType": "ClaimResponse", "id": _urn("ClaimResponse", claim.claim_id)[9:],
        "extension": _header_ext(decision),
        "identifier": [{"system": codes.CLAIM_ID, "value": claim.claim_id}],
        "status": "active",
        "type": _concept(codes.CLAIM_TYPE, "professional", "Professional"),
        "use": "claim",
        "patient": {"reference": refs["patient"]},
        "created": _created(created),
        "insurer": {"reference": refs["insurer"], "display": INSURER_NAME},
        "requestor": {"reference": refs["provider"]},
        "request": {"identifier": {"system": codes.CLAIM_ID, "value": claim.claim_id}},
        "outcome": _outcome(decision),
        "disposition": f"Claim {decision.status}",
        "item": items,
        "total": _totals(claim, decision),
    }
    if out["outcome"] == "complete":
        out["payment"] = _payment(decision)
    if notes.notes:
        out["processNote"] = notes.notes
    return out


# ---------------------------------------------------------------------------------------------------
# ExplanationOfBenefit (CARIN BB Professional/NonClinician)

def decision_to_eob(claim: Claim, decision: Decision, *, created: date | datetime | None = None) -> dict:
    """The decision as a CARIN BB ``C4BB-ExplanationOfBenefit-Professional-NonClinician`` (the shape of
    the CARIN 1.2.0 example); ``created`` defaults to today. References are ``urn:uuid`` entries that
    ``parties_to_fhir`` (and so ``decisions_to_fhir``) supplies."""
    _check(claim, decision)
    refs, lines, notes = _refs(claim), {line.line: line for line in claim.lines}, _Notes(decision)
    items = []
    for d in decision.lines:
        line = lines.get(d.line)
        item: dict[str, Any] = {"extension": [_ext(codes.EXT_LINE_STATUS, "valueCode", d.status)],
                                "sequence": d.line}
        numbers = notes.for_line(d)
        if numbers:
            item["noteNumber"] = numbers
        item["productOrService"] = _product(line, d.hcpcs)
        if line is not None:
            if line.modifiers:
                item["modifier"] = [{"coding": [_coding(codes.HCPCS, m)]} for m in line.modifiers]
            item["servicedDate"] = line.service_date.isoformat()
            item["locationCodeableConcept"] = {"coding": [_coding(codes.POS, line.place_of_service)]}
            item["quantity"] = {"value": line.units}
            item["net"] = _usd(line.charge)
        item["adjudication"] = _line_adjudication(line, d, carin=True)
        items.append(item)
    out: dict[str, Any] = {
        "resourceType": "ExplanationOfBenefit", "id": _urn("ExplanationOfBenefit", claim.claim_id)[9:],
        "meta": {"profile": [codes.C4BB_EOB_PROFESSIONAL]},
        "extension": _header_ext(decision),
        "identifier": [{"type": _concept(codes.C4BB_IDENTIFIER_TYPE, "uc", "Unique Claim ID"),
                        "system": codes.CLAIM_ID, "value": claim.claim_id}],
        "status": "active",
        "type": _concept(codes.CLAIM_TYPE, "professional", "Professional"),
        "use": "claim",
        "patient": {"reference": refs["patient"]},
        "billablePeriod": {"start": claim.earliest_service_date.isoformat(),
                           "end": max(line.service_date for line in claim.lines).isoformat()},
        "created": _created(created),
        "insurer": {"reference": refs["insurer"], "display": INSURER_NAME},
        "provider": {"reference": refs["provider"]},
        "payee": {"type": _concept(codes.PAYEE_TYPE, "provider", "Provider"), "party": {"reference": refs["provider"]}},
        "outcome": _outcome(decision),
        "disposition": f"Claim {decision.status}",
        "supportingInfo": [{"sequence": 1,
                            "category": _concept(codes.C4BB_SUPPORTING_INFO, "clmrecvddate", "Claim Received Date"),
                            "timingDate": claim.received.isoformat()}],
        "insurance": [{"focal": True, "coverage": {"reference": refs["coverage"]}}],
        "item": items,
        "total": _totals(claim, decision),
    }
    if out["outcome"] == "complete":
        out["payment"] = _payment(decision)
    if notes.notes:
        out["processNote"] = notes.notes
    return out


# ---------------------------------------------------------------------------------------------------
# Bundle

def decisions_to_bundle(claims: Iterable[Claim], decisions: Iterable[Decision], *,
                        created: date | datetime | None = None) -> dict:
    """A ``Bundle`` (type collection): per claim its EOB then its ClaimResponse, then each party once."""
    entries, parties = [], {}
    claims, decisions = list(claims), list(decisions)
    if len(claims) != len(decisions):
        raise ValueError(f"{len(claims)} claims but {len(decisions)} decisions")
    stamp = created or date.today()
    for claim, decision in zip(claims, decisions):
        for resource in (decision_to_eob(claim, decision, created=stamp),
                         decision_to_claim_response(claim, decision, created=stamp)):
            entries.append({"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource})
        for entry in parties_to_fhir(claim):
            parties.setdefault(entry["fullUrl"], entry)
    return {"resourceType": "Bundle", "id": str(uuid.uuid4()), "type": "collection",
            "timestamp": datetime.now().astimezone().isoformat(timespec="seconds"),
            "entry": entries + list(parties.values())}


def decisions_to_fhir(claims: Iterable[Claim], decisions: Iterable[Decision], *,
                      created: date | datetime | None = None) -> str:
    """``decisions_to_bundle`` as JSON text, money as exact decimals."""
    return dumps(decisions_to_bundle(claims, decisions, created=created))


def dumps(resource: Any) -> str:
    """FHIR JSON text with exact decimal money (simplejson ``use_decimal``)."""
    return simplejson.dumps(resource, use_decimal=True, ensure_ascii=False, indent=2) + "\n"

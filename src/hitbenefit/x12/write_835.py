"""Decisions as an X12 835 (005010X221A1) remittance: what the MAC tells the supplier it paid and why.

One interchange per payer run; in it one transaction (ST...SE) per payee (the claim's
``supplier.npi``), because an 835 carries one payment (BPR/TRN) to one payee. Each transaction has
one LX group and one CLP per claim, with every line's SVC, its CAS adjustments, REF*6R (the
contract line number, as sent in the 837P), AMT*B6 (allowed) and LQ*HE (remark codes).

Adjustments (all at the line; the claim's CAS are their sum, so none are repeated on the claim):

* paid line: CO-45 charge - allowed, PR-1 deductible, PR-2 coinsurance, CO-253 sequestration;
* denied, rejected or informational line: the whole charge under the group/CARC of the reason that
  decided the line (the first reason whose outcome is the line's status), and every adjusting
  reason's RARC as LQ*HE.

Rejected claims (every G-code line rejected: "returned as unprocessable") are written, as Medicare
Part B remits unprocessable claims: CLP02 ``4`` (denied), each line adjusted by its own reason
(CO-16, CO-181, CO-109 ...), and claim remark MA130 in MOA, which tells the supplier the claim has
no appeal rights and must be corrected and sent as a new claim.

Every amount balances and is checked before anything is returned: for each SVC and each CLP,
charge - sum(CAS) = paid; BPR02 = sum(CLP04). An unbalanced decision raises ``X12WriteError``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from typing import Iterable, Mapping, Sequence

from hitbenefit.claims.model import Claim, ClaimLine, Decision, LineDecision, Reason
from hitbenefit.money import ZERO
from hitbenefit.x12.envelope import Builder, X12WriteError, amount, d8, fit, interchange, naming, quantity
from hitbenefit.x12.segments import Delimiters, Segment
from hitbenefit.x12.write_837 import PLACEHOLDERS as PLACEHOLDERS_837
from hitbenefit.x12.write_837 import extra_part, procedure

VERSION = "005010X221A1"
CLAIM_STATUS = {"paid": "1", "partial": "1", "denied": "4", "rejected": "4"}
"""CLP02: 1 processed as primary; 4 denied (a rejected claim is remitted as denied, with MA130)."""
UNPROCESSABLE = "MA130"
RATE_REDUCTION = ("CO", "45")      # charge exceeds the fee schedule
DEDUCTIBLE = ("PR", "1")
COINSURANCE = ("PR", "2")
SEQUESTRATION = ("CO", "253")


def _adjusting_reason(decision: LineDecision) -> Reason:
    """The reason that decides an unpaid line: the first whose outcome is the line's status."""
    with_code = [r for r in decision.reasons if r.group and r.carc]
    for reason in with_code:
        if reason.outcome == decision.status:
            return reason
    if with_code:
        return with_code[0]
    raise X12WriteError(f"line {decision.line} is {decision.status} but carries no reason with an X12 "
                        "group and CARC to report")


def line_adjustments(decision: LineDecision, charge: Decimal) -> list[tuple[str, str, Decimal]]:
    """The line's ``(group, CARC, amount)`` adjustments, in the order they are written."""
    if decision.status == "paid":
        if decision.allowed is None or decision.paid is None:
            raise X12WriteError(f"line {decision.line} is paid but not priced (NO_RATE): an 835 needs its "
                                "amounts; adjudicate with a rate table for the year and locality")
        found = [(*RATE_REDUCTION, charge - decision.allowed), (*DEDUCTIBLE, decision.deductible or ZERO),
                 (*COINSURANCE, decision.coinsurance or ZERO), (*SEQUESTRATION, decision.sequestration or ZERO)]
        return [a for a in found if a[2] != ZERO]
    reason = _adjusting_reason(decision)
    return [(reason.group, reason.carc, charge)]


def _remarks(decision: LineDecision) -> list[str]:
    out: list[str] = []
    for reason in decision.reasons:
        if reason.rarc and reason.outcome != "warning" and reason.rarc not in out:
            out.append(reason.rarc)
    return out


def _cas(build: Builder, adjustments: list[tuple[str, str, Decimal]]) -> list[Segment]:
    """One CAS per group, up to six reason/amount pairs each (the guide's rule), groups in first-use order."""
    by_group: dict[str, list[tuple[str, Decimal]]] = defaultdict(list)
    for group, carc, value in adjustments:
        by_group[group].append((carc, value))
    out = []
    for group, pairs in by_group.items():
        for start in range(0, len(pairs), 6):
            elements: list[str] = [group]
            for carc, value in pairs[start:start + 6]:
                elements += [carc, amount(value), ""]
            out.append(build("CAS", *elements[:-1]))
    return out


def _service(build: Builder, line: ClaimLine,
             decision: LineDecision) -> tuple[list[Segment], list[tuple[str, str, Decimal]], Decimal]:
    adjustments = line_adjustments(decision, line.charge)
    paid = decision.paid if decision.status == "paid" else ZERO
    adjusted = sum((a[2] for a in adjustments), ZERO)
    if line.charge - adjusted != paid:
        raise X12WriteError(f"charge {line.charge} - adjustments {adjusted} != paid {paid}")
    out = [build("SVC", procedure(line), amount(line.charge), amount(paid), "", quantity(line.units)),
           build("DTM", "472", d8(line.service_date)),
           *_cas(build, adjustments),
           build("REF", "6R", str(line.line))]
    if decision.status == "paid":
        out.append(build("AMT", "B6", amount(decision.allowed)))
    remarks = _remarks(decision)
    if remarks:
        out += [build("LQ", "HE", remark) for remark in remarks]
    return out, adjustments, paid


def _patient_name(claim: Claim) -> tuple[str, str]:
    party = extra_part(claim, "subscriber")
    party = party if isinstance(party, Mapping) else {}
    return (fit(party.get("last_name") or PLACEHOLDERS_837.subscriber_last_name, 60, "subscriber last name"),
            fit(party.get("first_name") or "", 35, "subscriber first name"))


def _claim(build: Builder, claim: Claim, decision: Decision) -> tuple[list[Segment], Decimal]:
    if decision.status not in CLAIM_STATUS:
        raise X12WriteError(f"claim status {decision.status!r} has no 835 claim status code")
    by_line = {d.line: d for d in decision.lines}
    services, adjustments, paid = [], [], ZERO
    for line in claim.lines:
        line_decision = by_line.get(line.line)
        if line_decision is None:
            raise X12WriteError(f"line {line.line} has no decision")
        with naming(f"line {line.line}"):
            segments, line_adjustments_, line_paid = _service(build, line, line_decision)
        services += segments
        adjustments += line_adjustments_
        paid += line_paid
    charge = sum((line.charge for line in claim.lines), ZERO)
    adjusted = sum((a[2] for a in adjustments), ZERO)
    patient = sum((a[2] for a in adjustments if a[0] == "PR"), ZERO)
    if charge - adjusted != paid:
        raise X12WriteError(f"claim charge {charge} - adjustments {adjusted} != paid {paid}")
    totals = decision.totals or {}
    for key, value in (("charge", charge), ("paid", paid), ("patient", patient)):
        if totals.get(key) is not None and Decimal(totals[key]) != value:
            raise X12WriteError(f"the lines give {key} {value} but the decision's total {key} is {totals[key]}")
    last, first = _patient_name(claim)
    out = [build("CLP", fit(claim.claim_id, 38, "claim_id (CLP01)"), CLAIM_STATUS[decision.status],
                 amount(charge), amount(paid), amount(patient), "MB", fit(claim.claim_id, 50, "claim_id (CLP07)"),
                 claim.lines[0].place_of_service, str(extra_part(claim, "frequency_code") or "1")),
           build("NM1", "QC", "1", last, first, "", "", "", "MI", fit(claim.beneficiary.mbi, 80, "beneficiary.mbi"))]
    if decision.status == "rejected":
        out.append(build("MOA", "", "", UNPROCESSABLE))
    out.append(build("DTM", "050", d8(claim.received)))
    return out + services, paid


def _pair(claims: Sequence[Claim], decisions: Sequence[Decision]) -> list[tuple[Claim, Decision]]:
    if len(claims) != len(decisions):
        raise X12WriteError(f"{len(claims)} claims but {len(decisions)} decisions")
    pairs = list(zip(claims, decisions))
    for claim, decision in pairs:
        if claim.claim_id != decision.claim_id:
            raise X12WriteError(f"claim {claim.claim_id} is paired with the decision for {decision.claim_id}: "
                                "give the decisions in the claims' order")
    return pairs


def decisions_to_835(claims: Sequence[Claim], decisions: Sequence[Decision], *, payer_name: str, payer_id: str,
                     payee_name: str | None = None, check_number: str | None = None,
                     payment_date: date | None = None, control_number: int = 1,
                     delimiters: Delimiters = Delimiters(), date_time: datetime | None = None,
                     sender_id: str | None = None, receiver_id: str | None = None,
                     payer_tax_id: str = "000000000", payer_phone: str = "0000000000",
                     payer_address: tuple[str, str, str, str] = ("PLACEHOLDER ADDRESS", "PLACEHOLDER", "DC",
                                                                 "000000000"),
                     usage: str = "P") -> str:
    """One 005010X221A1 interchange remitting ``decisions`` (paired in order with ``claims``).

    One transaction per payee (supplier NPI): BPR02 its total paid (``CHK``, or ``NON`` with BPR01
    ``H`` when nothing is paid), TRN02 ``check_number`` (suffixed ``-2``, ``-3`` ... for further
    payees; default ``<control_number>-<n>``), BPR16 ``payment_date`` (default today).
    ``payee_name`` defaults to the claim's ``extra`` billing provider name, else a placeholder.
    ``sender_id``/``receiver_id`` (ISA06/ISA08) default to ``payer_id`` and the first payee's NPI.
    ``payer_tax_id`` (TRN03 is ``1`` + it), ``payer_phone`` (PER*BL) and ``payer_address`` (N3/N4:
    street, city, state, ZIP) are placeholders unless given. Raises ``X12WriteError`` on a decision
    that cannot be remitted (not priced, unbalanced, claim/decision mismatch).
    """
    build = Builder(delimiters)
    stamp = date_time or datetime.now()
    paid_on = payment_date or stamp.date()
    by_payee: dict[str, list[tuple[Claim, Decision]]] = {}
    for claim, decision in _pair(claims, decisions):
        by_payee.setdefault(claim.supplier.npi, []).append((claim, decision))
    if not by_payee:
        raise X12WriteError("no decisions to write")
    street, city, state, zip_code = payer_address
    transactions = []
    for number, (npi, pairs) in enumerate(by_payee.items(), start=1):
        body, total = [], ZERO
        for claim, decision in pairs:
            with naming(f"claim {claim.claim_id}"):
                segments, paid = _claim(build, claim, decision)
            body += segments
            total += paid
        trace = (check_number if number == 1 else f"{check_number}-{number}") if check_number \
            else f"{control_number}-{number}"
        if total > ZERO:
            bpr = build("BPR", "I", amount(total), "C", "CHK", *[""] * 11, d8(paid_on))
        else:
            bpr = build("BPR", "H", amount(total), "C", "NON", *[""] * 11, d8(paid_on))
        billing = extra_part(pairs[0][0], "billing_provider")
        name = payee_name or (billing.get("name") if isinstance(billing, Mapping) else None) \
            or PLACEHOLDERS_837.billing_name
        header = [
            bpr,
            build("TRN", "1", fit(trace, 50, "check number (TRN02)"), fit("1" + payer_tax_id, 10, "payer tax id")),
            build("N1", "PR", fit(payer_name, 60, "payer name")),
            build("N3", fit(street, 55, "payer address")),
            build("N4", fit(city, 30, "payer city"), fit(state, 2, "payer state"), fit(zip_code, 15, "payer zip")),
            build("REF", "2U", fit(payer_id, 50, "payer id")),
            build("PER", "BL", "", "TE", fit(payer_phone, 256, "payer phone")),
            build("N1", "PE", fit(name, 60, "payee name"), "XX", fit(npi, 80, "supplier.npi")),
            build("LX", "1"),
        ]
        transactions.append(("835", header + body))
    sender = sender_id or payer_id
    receiver = receiver_id or next(iter(by_payee))
    text = interchange(transactions, functional_id="HP", version=VERSION, sender_id=sender, receiver_id=receiver,
                       control_number=control_number, date_time=stamp, delimiters=delimiters, usage=usage,
                       st03=False)
    return text


def check_balanced(segments: Iterable[Segment]) -> None:
    """Check an 835's arithmetic from its segments: every SVC and CLP balances, BPR02 = sum(CLP04).

    Raises ``X12WriteError`` naming the segment. The writer never writes PLB, so BPR02 is compared
    with the CLP04 sum directly (a file with PLB adjustments is not for this check).
    """
    bpr: Decimal | None = None
    clp_total = ZERO
    clp: Segment | None = None
    svc: Segment | None = None
    adjust_svc = adjust_clp = ZERO

    def close_svc() -> None:
        nonlocal svc, adjust_svc
        if svc is not None and Decimal(svc.get(2)) - adjust_svc != Decimal(svc.get(3)):
            raise X12WriteError(f"SVC {svc.get(1)} (segment {svc.position}) does not balance: "
                                f"{svc.get(2)} - {adjust_svc} != {svc.get(3)}")
        svc, adjust_svc = None, ZERO

    def close_clp() -> None:
        nonlocal clp, adjust_clp
        close_svc()
        if clp is not None and Decimal(clp.get(3)) - adjust_clp != Decimal(clp.get(4)):
            raise X12WriteError(f"CLP {clp.get(1)} (segment {clp.position}) does not balance: "
                                f"{clp.get(3)} - {adjust_clp} != {clp.get(4)}")
        clp, adjust_clp = None, ZERO

    def close_transaction() -> None:
        nonlocal bpr, clp_total
        close_clp()
        if bpr is not None and bpr != clp_total:
            raise X12WriteError(f"BPR02 {bpr} != sum of CLP04 {clp_total}")
        bpr, clp_total = None, ZERO

    for segment in segments:
        if segment.id == "BPR":
            close_transaction()
            bpr = Decimal(segment.get(2))
        elif segment.id == "CLP":
            close_clp()
            clp = segment
            clp_total += Decimal(segment.get(4))
        elif segment.id == "SVC":
            close_svc()
            svc = segment
        elif segment.id == "CAS":
            total = sum((Decimal(segment.get(n)) for n in range(3, 19, 3) if segment.get(n)), ZERO)
            if svc is not None:
                adjust_svc += total
            adjust_clp += total
        elif segment.id == "SE":
            close_transaction()
    close_transaction()

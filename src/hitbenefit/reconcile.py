"""Reconcile what the payer paid (835 remittances) with what the engine said it would pay.

The expectations are the supplier's own ``hitbenefit adjudicate`` output (contract decision JSON,
read back with :func:`decisions_from_json`). Claims are matched by claim id (CLP01); within a claim,
each 835 service line is matched to an expected line by its REF*6R line item control number when
that is one of our line numbers (the 837 writer sends ``REF*6R*<line>``), else by procedure code
(the submitted code: SVC06 when the payer changed it) in line order, narrowed by service date and
modifiers when the claims themselves are supplied (a decision carries neither).

Every line and claim gets one status:

- ``paid_as_expected``: the payer paid what the engine expected, to the cent (also an expected
  denial/rejection/informational line paid $0.00);
- ``underpaid`` / ``overpaid``: paid less / more (``difference`` = remitted - expected);
- ``denied``: the payer paid $0.00 where the engine expected payment, with an adjustment other
  than cost sharing (PR-1 deductible, PR-2 coinsurance, PR-3 copay) and the fee-schedule
  reductions CO-45 / CO-253 (sequestration); the payer's group/CARC and RARCs are shown, with
  the meaning of the CARC when it is one of the engine's own reason codes;
- ``not_in_remittance``: expected, not (yet) on any 835 read;
- ``unexpected``: on an 835, not in the expectations;
- ``not_priced``: the engine could not price the line (reason NO_RATE), so there is nothing to compare.

Several CLPs for one claim (a reversal, CLP02 22, and its correction) add up: their amounts net.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Iterable, Sequence

from hitbenefit.claims.model import Claim, Decision, LineDecision, Reason
from hitbenefit.money import loads_exact
from hitbenefit.parameters.load import bundled_parameters
from hitbenefit.parameters.model import ReasonSpec
from hitbenefit.x12.read_835 import Adjustment, ClaimPayment, Remittance, ServicePayment

ZERO = Decimal("0.00")
PAID, UNDER, OVER, DENIED, MISSING, UNEXPECTED, NOT_PRICED = (
    "paid_as_expected", "underpaid", "overpaid", "denied", "not_in_remittance", "unexpected", "not_priced")
STATUSES = (PAID, UNDER, OVER, DENIED, MISSING, UNEXPECTED, NOT_PRICED)
NOT_A_DENIAL = frozenset({("PR", "1"), ("PR", "2"), ("PR", "3"), ("CO", "45"), ("CO", "253")})
"""Adjustments that reduce a payment without denying it: cost sharing, fee schedule, sequestration."""


# ------------------------------------------------------------------------------- reading decisions


class DecisionInputError(ValueError):
    """Decision JSON that cannot be read; ``str()`` names the file, the decision and the field."""

    def __init__(self, problem: str, source: str, record: int | None = None, claim_id: str | None = None,
                 field: str | None = None) -> None:
        self.problem, self.source, self.record, self.claim_id, self.field = problem, source, record, claim_id, field
        super().__init__(str(self))

    def __str__(self) -> str:
        where = [self.source]
        if self.record is not None:
            where.append(f"decision {self.record}")
        if self.claim_id is not None:
            where.append(f"claim {self.claim_id}")
        if self.field is not None:
            where.append(f"field {self.field}")
        return f"{', '.join(where)}: {self.problem}"


DECISION_FIELDS = {"claim_id", "status", "lines", "totals", "rates"}
LINE_FIELDS = {"line", "hcpcs", "status", "category", "visit_type", "allowed", "deductible", "coinsurance",
               "sequestration", "paid", "reasons", "trace"}
LINE_REQUIRED = {"line", "hcpcs", "status", "paid"}
REASON_FIELDS = {"key", "group", "carc", "rarc", "message", "citations"}
TOTAL_FIELDS = {"charge", "allowed", "paid", "patient"}
CLAIM_STATUSES = {"paid", "partial", "denied", "rejected"}
LINE_STATUSES = {"paid", "denied", "rejected", "informational"}
MONEY_FIELDS = ("allowed", "deductible", "coinsurance", "sequestration", "paid")


def _records(text: str, source: str) -> list[Any]:
    """One object, an array of objects, or JSON Lines; numbers with a fraction as Decimal."""
    stripped = text.strip()
    if not stripped:
        raise DecisionInputError("the file is empty: expected decision JSON (hitbenefit adjudicate --format json)", source)
    try:
        value = loads_exact(stripped)
    except ValueError as exc:
        if not (isinstance(exc, json.JSONDecodeError) and exc.msg == "Extra data"):
            raise DecisionInputError(f"not JSON ({exc})", source) from None
        value = []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    value.append(loads_exact(line))
                except ValueError as err:
                    raise DecisionInputError(f"line {number} is not JSON ({err})", source) from None
    return value if isinstance(value, list) else [value]


class _DecisionReader:
    def __init__(self, source: str, reasons: dict[str, ReasonSpec]) -> None:
        self.source, self.reasons = source, reasons
        self.record: int | None = None
        self.claim_id: str | None = None

    def fail(self, problem: str, field: str | None = None) -> DecisionInputError:
        return DecisionInputError(problem, self.source, self.record, self.claim_id, field)

    def obj(self, value: Any, name: str, allowed: set[str], required: set[str]) -> dict:
        if not isinstance(value, dict):
            raise self.fail(f"must be an object, not {type(value).__name__}", name or None)
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise self.fail(f"unknown field {unknown[0]!r}", f"{name}.{unknown[0]}" if name else unknown[0])
        missing = sorted(required - set(value))
        if missing:
            raise self.fail("is required", f"{name}.{missing[0]}" if name else missing[0])
        return value

    def text(self, value: Any, name: str, nullable: bool = False) -> str | None:
        if value is None and nullable:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail("must be a non-empty string", name)
        return value

    def money(self, value: Any, name: str, nullable: bool = True) -> Decimal | None:
        if value is None and nullable:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
            raise self.fail(f"must be a number of dollars, not {json.dumps(value, default=str)[:30]}", name)
        amount = Decimal(value)
        if not amount.is_finite() or amount.as_tuple().exponent < -2:
            raise self.fail(f"{value} has more than two decimals", name)
        return amount.quantize(Decimal("0.01"))

    def decision(self, value: Any) -> Decision:
        self.claim_id = None
        self.obj(value, "", DECISION_FIELDS, DECISION_FIELDS - {"rates"})
        self.claim_id = self.text(value["claim_id"], "claim_id")
        status = value["status"]
        if status not in CLAIM_STATUSES:
            raise self.fail(f"{status!r} is not one of {', '.join(sorted(CLAIM_STATUSES))}", "status")
        lines = value["lines"]
        if not isinstance(lines, list) or not lines:
            raise self.fail("must be a non-empty array of lines", "lines")
        totals = self.obj(value["totals"], "totals", TOTAL_FIELDS, TOTAL_FIELDS)
        rates = value.get("rates")
        if rates is not None and not isinstance(rates, dict):
            raise self.fail("must be an object or null", "rates")
        read = [self.line(line, f"lines[{i}]") for i, line in enumerate(lines)]
        numbers = [line.line for line in read]
        if len(set(numbers)) != len(numbers):
            raise self.fail("two lines have the same line number", "lines")
        return Decision(self.claim_id, status, read,
                        {k: self.money(totals[k], f"totals.{k}", nullable=False) for k in ("charge", "allowed", "paid", "patient")},
                        rates)

    def line(self, value: Any, name: str) -> LineDecision:
        self.obj(value, name, LINE_FIELDS, LINE_REQUIRED)
        number = value["line"]
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            raise self.fail("must be a whole number from 1", f"{name}.line")
        status = value["status"]
        if status not in LINE_STATUSES:
            raise self.fail(f"{status!r} is not one of {', '.join(sorted(LINE_STATUSES))}", f"{name}.status")
        category = value.get("category")
        if category is not None and (isinstance(category, bool) or not isinstance(category, int)):
            raise self.fail("must be a whole number or null", f"{name}.category")
        reasons = value.get("reasons", [])
        if not isinstance(reasons, list):
            raise self.fail("must be an array", f"{name}.reasons")
        trace = value.get("trace", [])
        if not isinstance(trace, list) or not all(isinstance(step, str) for step in trace):
            raise self.fail("must be an array of strings", f"{name}.trace")
        amounts = {k: self.money(value.get(k), f"{name}.{k}") for k in MONEY_FIELDS}
        return LineDecision(line=number, hcpcs=self.text(value["hcpcs"], f"{name}.hcpcs"), status=status,
                            category=category, visit_type=self.text(value.get("visit_type"), f"{name}.visit_type", True),
                            reasons=[self.reason(r, f"{name}.reasons[{i}]") for i, r in enumerate(reasons)], **amounts)

    def reason(self, value: Any, name: str) -> Reason:
        self.obj(value, name, REASON_FIELDS, {"key"})
        key = self.text(value["key"], f"{name}.key")
        spec = self.reasons.get(key)
        if spec is None:
            raise self.fail(f"{key!r} is not a reason key of the contract", f"{name}.key")
        codes = {}
        for part in ("group", "carc", "rarc"):
            codes[part] = self.text(value.get(part, getattr(spec, part)), f"{name}.{part}", nullable=True)
        citations = value.get("citations", list(spec.citations))
        if not isinstance(citations, list) or not all(isinstance(c, str) for c in citations):
            raise self.fail("must be an array of strings", f"{name}.citations")
        message = self.text(value.get("message", spec.message), f"{name}.message")
        return Reason(key, spec.outcome, codes["group"], codes["carc"], codes["rarc"], message, tuple(citations))


def decisions_from_json(text: str, source: str = "<input>") -> list[Decision]:
    """Decisions from contract decision JSON (an array, one object, or JSON Lines), strictly:
    unknown fields, missing fields, money with more than two decimals and unknown reason keys are
    errors naming the decision and the field. Money is Decimal."""
    reader = _DecisionReader(source, dict(bundled_parameters().reasons))
    decisions, seen = [], set()
    for record, value in enumerate(_records(text, source), start=1):
        reader.record = record
        decision = reader.decision(value)
        if decision.claim_id in seen:
            raise reader.fail("the claim appears twice in the expectations", "claim_id")
        seen.add(decision.claim_id)
        decisions.append(decision)
    return decisions


# ------------------------------------------------------------------------------------- the report


@dataclass(slots=True)
class PayerReason:
    """An adjustment the payer gave, with what it means when the CARC is one the engine uses."""

    group: str
    carc: str
    amount: Decimal
    remark_codes: tuple[str, ...] = ()
    our_keys: tuple[str, ...] = ()  # the engine's reason keys that map to this group/CARC
    meaning: str | None = None  # the engine's message for it

    @property
    def code(self) -> str:
        return f"{self.group}-{self.carc}"

    def to_json(self) -> dict:
        return {"group": self.group, "carc": self.carc, "amount": self.amount, "rarcs": list(self.remark_codes),
                "our_keys": list(self.our_keys), "meaning": self.meaning}


@dataclass(slots=True)
class LineResult:
    claim_id: str
    line: int | None  # our line number; None for a line only the payer has
    hcpcs: str
    status: str
    expected_status: str | None  # the engine's line status (paid, denied, rejected, informational)
    expected: Decimal | None  # what the engine expected paid; None when not priced / not expected
    remitted: Decimal | None  # what the 835s paid; None when not in any
    difference: Decimal | None = None  # remitted - expected
    service_date: date | None = None
    modifiers: tuple[str, ...] = ()
    line_control_number: str | None = None
    payer_allowed: Decimal | None = None
    adjustments: list[Adjustment] = field(default_factory=list)
    remark_codes: list[str] = field(default_factory=list)
    our_reasons: list[str] = field(default_factory=list)
    payer_reasons: list[PayerReason] = field(default_factory=list)  # set on denied lines
    where: list[str] = field(default_factory=list)  # "file, segment N (SVC)" of every 835 line matched
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"claim_id": self.claim_id, "line": self.line, "hcpcs": self.hcpcs, "status": self.status,
                "expected_status": self.expected_status, "expected": self.expected, "remitted": self.remitted,
                "difference": self.difference,
                "service_date": self.service_date.isoformat() if self.service_date else None,
                "modifiers": list(self.modifiers), "line_control_number": self.line_control_number,
                "payer_allowed": self.payer_allowed,
                "adjustments": [{"group": a.group, "carc": a.reason, "amount": a.amount,
                                 "quantity": a.quantity} for a in self.adjustments],
                "rarcs": list(self.remark_codes), "our_reasons": list(self.our_reasons),
                "payer_reasons": [p.to_json() for p in self.payer_reasons], "where": list(self.where),
                "notes": list(self.notes)}


@dataclass(slots=True)
class ClaimResult:
    claim_id: str
    status: str
    expected_status: str | None
    expected: Decimal | None
    remitted: Decimal | None
    difference: Decimal | None
    lines: list[LineResult]
    payer_status: list[str] = field(default_factory=list)  # CLP02 of each claim payment
    payer_claim_control_numbers: list[str] = field(default_factory=list)  # CLP07
    patient: str | None = None
    adjustments: list[Adjustment] = field(default_factory=list)  # claim-level CAS
    remark_codes: list[str] = field(default_factory=list)  # MOA/MIA
    where: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"claim_id": self.claim_id, "status": self.status, "expected_status": self.expected_status,
                "expected": self.expected, "remitted": self.remitted, "difference": self.difference,
                "payer_status": list(self.payer_status),
                "payer_claim_control_numbers": list(self.payer_claim_control_numbers), "patient": self.patient,
                "adjustments": [{"group": a.group, "carc": a.reason, "amount": a.amount, "quantity": a.quantity}
                                for a in self.adjustments],
                "rarcs": list(self.remark_codes), "where": list(self.where),
                "lines": [line.to_json() for line in self.lines]}


@dataclass(slots=True)
class StatusTotal:
    count: int = 0
    expected: Decimal = ZERO
    remitted: Decimal = ZERO

    @property
    def difference(self) -> Decimal:
        return self.remitted - self.expected

    def add(self, expected: Decimal | None, remitted: Decimal | None) -> None:
        self.count += 1
        self.expected += expected or ZERO
        self.remitted += remitted or ZERO

    def to_json(self) -> dict:
        return {"count": self.count, "expected": self.expected, "remitted": self.remitted,
                "difference": self.difference}


@dataclass(slots=True)
class DenialGroup:
    """Denied lines that share the payer's group/CARC and RARCs."""

    group: str
    carc: str
    remark_codes: tuple[str, ...]
    our_keys: tuple[str, ...]
    meaning: str | None
    lines: int = 0
    expected: Decimal = ZERO
    claims: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"group": self.group, "carc": self.carc, "rarcs": list(self.remark_codes),
                "our_keys": list(self.our_keys), "meaning": self.meaning, "lines": self.lines,
                "expected": self.expected, "claims": list(self.claims)}


@dataclass(slots=True)
class ReconciliationReport:
    claims: list[ClaimResult]
    remittances: list[dict]  # one summary per 835 transaction read
    warnings: list[str] = field(default_factory=list)

    @property
    def lines(self) -> list[LineResult]:
        return [line for claim in self.claims for line in claim.lines]

    def by_status(self, level: str = "lines") -> dict[str, StatusTotal]:
        out = {status: StatusTotal() for status in STATUSES}
        for item in (self.lines if level == "lines" else self.claims):
            out[item.status].add(item.expected, item.remitted)
        return out

    def totals(self) -> dict[str, Decimal]:
        expected = sum((c.expected or ZERO for c in self.claims if c.status != UNEXPECTED), ZERO)
        matched = [c for c in self.claims if c.status not in (UNEXPECTED, MISSING)]
        expected_in = sum((c.expected or ZERO for c in matched), ZERO)
        remitted_in = sum((c.remitted or ZERO for c in matched), ZERO)
        unexpected = sum((c.remitted or ZERO for c in self.claims if c.status == UNEXPECTED), ZERO)
        missing = sum((c.expected or ZERO for c in self.claims if c.status == MISSING), ZERO)
        plb = sum((Decimal(str(r["provider_adjustments"])) for r in self.remittances), ZERO)
        payments = sum((Decimal(str(r["amount"])) for r in self.remittances), ZERO)
        return {"expected": expected, "expected_on_remitted_claims": expected_in,
                "remitted": remitted_in + unexpected, "remitted_on_expected_claims": remitted_in,
                "difference_on_remitted_claims": remitted_in - expected_in,
                "not_in_remittance": missing, "unexpected": unexpected,
                "provider_adjustments": plb, "payments": payments}

    def biggest_differences(self, limit: int = 10) -> list[LineResult]:
        """Lines the payer paid differently from the expectation, largest dollar difference first."""
        differing = [line for line in self.lines
                     if line.status in (UNDER, OVER, DENIED, UNEXPECTED) and line.difference]
        differing.sort(key=lambda line: (-abs(line.difference), line.claim_id, line.line or 0))
        return differing[:limit]

    def denials(self) -> list[DenialGroup]:
        """Denied lines grouped by the payer's reason (group, CARC, RARCs), most expected dollars first."""
        groups: dict[tuple, DenialGroup] = {}
        for line in self.lines:
            if line.status != DENIED:
                continue
            for reason in line.payer_reasons:
                key = (reason.group, reason.carc, reason.remark_codes)
                found = groups.get(key)
                if found is None:
                    found = groups[key] = DenialGroup(reason.group, reason.carc, reason.remark_codes,
                                                      reason.our_keys, reason.meaning)
                found.lines += 1
                found.expected += line.expected or ZERO
                if line.claim_id not in found.claims:
                    found.claims.append(line.claim_id)
        return sorted(groups.values(), key=lambda g: (-g.expected, -g.lines, g.group, g.carc))

    def summary(self) -> dict:
        return {"lines": {k: v.to_json() for k, v in self.by_status("lines").items()},
                "claims": {k: v.to_json() for k, v in self.by_status("claims").items()},
                "totals": self.totals(),
                "biggest_differences": [
                    {"claim_id": l.claim_id, "line": l.line, "hcpcs": l.hcpcs, "status": l.status,
                     "expected": l.expected, "remitted": l.remitted, "difference": l.difference}
                    for l in self.biggest_differences()],
                "denials": [g.to_json() for g in self.denials()]}

    def to_json(self) -> dict:
        return {"summary": self.summary(), "remittances": self.remittances, "warnings": list(self.warnings),
                "claims": [c.to_json() for c in self.claims]}


# ------------------------------------------------------------------------------------- matching


@dataclass(slots=True)
class _Expected:
    decision: LineDecision
    service_date: date | None = None
    modifiers: tuple[str, ...] | None = None
    payments: list[ServicePayment] = field(default_factory=list)


def _line_number(ref: str | None) -> int | None:
    if ref and ref.isdigit() and len(ref) <= 6:
        return int(ref)
    return None


def _where(remittance: Remittance, position: int, segment_id: str) -> str:
    return f"{remittance.source}, segment {position} ({segment_id})"


def _compatible(expected: _Expected, service: ServicePayment, strict: bool) -> bool:
    code = expected.decision.hcpcs
    if code not in (service.submitted_code, service.procedure_code):
        return False
    if expected.service_date is not None and service.service_date is not None:
        end = service.service_end_date or service.service_date
        if not service.service_date <= expected.service_date <= end:
            return False
    if strict and expected.modifiers is not None and set(expected.modifiers) != set(service.submitted_modifiers):
        return False
    return True


def _match(expected: list[_Expected], payment: ClaimPayment) -> list[ServicePayment]:
    """Attach the claim payment's service lines to expected lines; return the ones that match none."""
    by_number = {e.decision.line: e for e in expected}
    taken: set[int] = set()
    rest = []
    for service in payment.services:
        target = by_number.get(_line_number(service.line_control_number))
        if target is not None and target.decision.line not in taken:
            taken.add(target.decision.line)
            target.payments.append(service)
        else:
            rest.append(service)
    unmatched = []
    for service in rest:
        target = None
        for strict in (True, False):
            target = next((e for e in expected if e.decision.line not in taken and _compatible(e, service, strict)), None)
            if target is not None:
                break
        if target is None:
            unmatched.append(service)
        else:
            taken.add(target.decision.line)
            target.payments.append(service)
    return unmatched


class _Meanings:
    """What a payer's group/CARC means when the engine uses it for one of its reason keys."""

    def __init__(self) -> None:
        self.by_code: dict[tuple[str, str], list[ReasonSpec]] = defaultdict(list)
        for spec in bundled_parameters().reasons.values():
            if spec.group and spec.carc:
                self.by_code[(spec.group, spec.carc)].append(spec)

    def reason(self, adjustment: Adjustment, rarcs: Sequence[str]) -> PayerReason:
        specs = self.by_code.get((adjustment.group, adjustment.reason), [])
        exact = [s for s in specs if s.rarc and s.rarc in rarcs] or specs
        meaning = exact[0].message if len(exact) == 1 else ("; ".join(f"{s.key}: {s.message}" for s in exact) or None)
        return PayerReason(adjustment.group, adjustment.reason, adjustment.amount, tuple(rarcs),
                           tuple(s.key for s in exact), meaning)


def _is_denial(adjustment: Adjustment) -> bool:
    return (adjustment.group, adjustment.reason) not in NOT_A_DENIAL and adjustment.amount != 0


def _status(expected: Decimal | None, remitted: Decimal | None, adjustments: Iterable[Adjustment],
            payer_denied: bool = False) -> str:
    if remitted is None:
        return MISSING
    if expected is None:
        return NOT_PRICED
    if remitted == expected:
        return PAID
    if remitted == 0 and expected > 0 and (payer_denied or any(_is_denial(a) for a in adjustments)):
        return DENIED
    return UNDER if remitted < expected else OVER


def _expected_paid(line: LineDecision) -> Decimal | None:
    if line.paid is not None:
        return line.paid
    return None if line.status == "paid" else ZERO


def _service_result(claim_id: str, remittance: Remittance, service: ServicePayment, meanings: _Meanings) -> LineResult:
    paid = service.paid or ZERO
    result = LineResult(claim_id, None, service.procedure_code, UNEXPECTED, None, None, paid, paid,
                        service.service_date, service.modifiers, service.line_control_number, service.allowed,
                        list(service.adjustments), list(service.remark_codes),
                        where=[_where(remittance, service.position, "SVC")])
    result.payer_reasons = [meanings.reason(a, service.remark_codes) for a in service.adjustments if _is_denial(a)]
    return result


def reconcile(expected: Sequence[Decision], remittances: Iterable[Remittance],
              claims: Sequence[Claim] | None = None) -> ReconciliationReport:
    """Compare the engine's decisions with the payer's 835 remittances, claim by claim and line by line.

    ``claims`` (optional) are the claims the decisions were made from: their service dates and
    modifiers make line matching exact where the 835 carries no REF*6R line numbers.
    """
    meanings = _Meanings()
    source_claims = {c.claim_id: c for c in claims or ()}
    payments: dict[str, list[tuple[Remittance, ClaimPayment]]] = defaultdict(list)
    summaries, warnings, order = [], [], []
    for remittance in remittances:
        summaries.append({"source": remittance.source, "payer": remittance.payer_name, "payer_id": remittance.payer_id,
                          "payee": remittance.payee_name, "payee_npi": remittance.payee_npi,
                          "trace_number": remittance.trace_number, "amount": remittance.amount,
                          "payment_date": remittance.payment_date.isoformat() if remittance.payment_date else None,
                          "claims": len(remittance.claims),
                          "provider_adjustments": sum((p.amount for p in remittance.provider_adjustments), ZERO)})
        warnings.extend(remittance.warnings)
        if remittance.balance != remittance.amount:
            warnings.append(f"{remittance.source}, segment {remittance.position} (ST): BPR02 pays {remittance.amount}, "
                            f"the claims less provider adjustments come to {remittance.balance}")
        for claim_payment in remittance.claims:
            if claim_payment.claim_id not in payments:
                order.append(claim_payment.claim_id)
            payments[claim_payment.claim_id].append((remittance, claim_payment))

    results = []
    for decision in expected:
        source = source_claims.get(decision.claim_id)
        claim_lines = {line.line: line for line in source.lines} if source else {}
        lines = [_Expected(d, claim_lines[d.line].service_date if d.line in claim_lines else None,
                           claim_lines[d.line].modifiers if d.line in claim_lines else None)
                 for d in decision.lines]
        found = payments.get(decision.claim_id, [])
        extra: list[LineResult] = []
        for remittance, payment in found:
            for service in _match(lines, payment):
                extra.append(_service_result(decision.claim_id, remittance, service, meanings))
                if source:
                    extra[-1].notes.append("no line of the claim has this code and date")
        places = {id(s): _where(r, s.position, "SVC") for r, p in found for s in p.services}
        line_results = [_line_result(decision.claim_id, e, found, places, meanings) for e in lines] + extra
        results.append(_claim_result(decision, found, line_results, meanings))

    expected_ids = {d.claim_id for d in expected}
    for claim_id in order:
        if claim_id in expected_ids:
            continue
        found = payments[claim_id]
        line_results = [_service_result(claim_id, r, s, meanings) for r, p in found for s in p.services]
        remitted = sum((p.paid for _, p in found), ZERO)
        result = ClaimResult(claim_id, UNEXPECTED, None, None, remitted, remitted, line_results)
        _payer_facts(result, found)
        results.append(result)
    return ReconciliationReport(results, summaries, warnings)


def _line_result(claim_id: str, e: _Expected, found: list, places: dict[int, str], meanings: _Meanings) -> LineResult:
    d = e.decision
    expected = _expected_paid(d)
    result = LineResult(claim_id, d.line, d.hcpcs, MISSING, d.status, expected, None,
                        service_date=e.service_date, modifiers=e.modifiers or (), our_reasons=d.keys())
    if not e.payments:
        if found:
            result.notes.append("the claim is on the remittance, this line is not")
        return result
    result.remitted = sum((s.paid or ZERO for s in e.payments), ZERO)
    for s in e.payments:
        result.adjustments.extend(s.adjustments)
        result.remark_codes.extend(c for c in s.remark_codes if c not in result.remark_codes)
        result.where.append(places[id(s)])
        if s.paid is None:
            result.notes.append(f"{places[id(s)]}: SVC03 paid amount is empty, read as $0.00")
        if s.original_code and s.original_code != s.procedure_code:
            result.notes.append(f"the payer adjudicated {s.procedure_code} for the {s.original_code} billed")
    last = e.payments[-1]
    result.service_date = result.service_date or last.service_date
    result.modifiers = result.modifiers or last.modifiers
    result.line_control_number = last.line_control_number
    result.payer_allowed = last.allowed
    result.status = _status(expected, result.remitted, result.adjustments)
    result.difference = None if expected is None else result.remitted - expected
    if result.status == DENIED or (result.remitted == 0 and any(_is_denial(a) for a in result.adjustments)):
        result.payer_reasons = [meanings.reason(a, result.remark_codes) for a in result.adjustments if _is_denial(a)]
    return result


def _payer_facts(result: ClaimResult, found: list[tuple[Remittance, ClaimPayment]]) -> None:
    for remittance, payment in found:
        result.payer_status.append(payment.status)
        result.payer_claim_control_numbers.append(payment.payer_claim_control_number)
        result.adjustments.extend(payment.adjustments)
        result.remark_codes.extend(c for c in payment.remark_codes if c not in result.remark_codes)
        result.where.append(_where(remittance, payment.position, "CLP"))
        result.patient = result.patient or payment.patient_name or None


def _claim_result(decision: Decision, found: list, lines: list[LineResult], meanings: _Meanings) -> ClaimResult:
    expected: Decimal | None = decision.totals.get("paid", ZERO)
    if any(line.status == NOT_PRICED or (line.expected is None and line.expected_status == "paid") for line in lines):
        expected = None
    if not found:
        return ClaimResult(decision.claim_id, MISSING, decision.status, expected, None, None, lines)
    remitted = sum((p.paid for _, p in found), ZERO)
    denied = any(p.denied for _, p in found) or any(line.status == DENIED for line in lines)
    claim_adjustments = [a for _, p in found for a in p.adjustments]
    status = _status(expected, remitted, claim_adjustments, payer_denied=denied)
    result = ClaimResult(decision.claim_id, status, decision.status, expected, remitted,
                         None if expected is None else remitted - expected, lines)
    _payer_facts(result, found)
    return result

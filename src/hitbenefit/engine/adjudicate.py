"""Adjudicate one claim against a beneficiary's history, and a batch in contract order (CONTRACT §2-5).

Pure and deterministic: the same claim, history and tables give the same decision; nothing here
reads files, the clock or global state, and the history passed in is never changed by
``adjudicate_claim`` (``adjudicate_batch`` keeps its own).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Sequence

from hitbenefit.claims.history import BeneficiaryHistory, ClaimsHistory
from hitbenefit.claims.model import OTHER, VISIT, Claim, ClaimLine, Decision, LineDecision, PlanOfCare, Reason
from hitbenefit.engine.payment import price_line, unpaid
from hitbenefit.engine.tables import Tables
from hitbenefit.money import ZERO
from hitbenefit.parameters.model import GCode, Parameters, ReasonSpec
from hitbenefit.rates.model import RateTable
from hitbenefit.rules.catalogue import (BENEFIT_START_RULE, DRUG_CODE_RULE, DRUG_RULES, ENROLLMENT_RULES, OTHER_RULES,
                                        PLAN_RULES, VISIT_RULES)
from hitbenefit.rules.cite import Finding, RuleInfo
from hitbenefit.rules.drugs import drug_category, drug_kind
from hitbenefit.rules.facts import DrugLine, Lookback, VisitLine

PAID, DENIED, REJECTED, INFORMATIONAL = "paid", "denied", "rejected", "informational"
_SEVERITY = {"rejected": 3, "denied": 2, "informational": 1, "warning": 0}
_STATUS_OF = {3: REJECTED, 2: DENIED}


_REASONS: dict[Finding, tuple[ReasonSpec, Reason]] = {}


def _reason(params: Parameters, found: Finding) -> Reason:
    """The contract's reason for a rule's finding (key, detail), its message completed with the detail (the
    same spec and detail give the same immutable reason, remembered)."""
    key, detail = found
    spec = params.reasons[key]
    known = _REASONS.get(found)
    if known is None or known[0] is not spec:
        if len(_REASONS) > 4096:
            _REASONS.clear()
        known = _REASONS[found] = (spec, Reason(key, spec.outcome, spec.group, spec.carc, spec.rarc,
                                                f"{spec.message} {detail}" if detail else spec.message,
                                                spec.citations))
    return known[1]


def _status(reasons: list[Reason], default: str) -> str:
    """The worst outcome among the reasons (rejected > denied), or ``default`` (CONTRACT §3)."""
    worst = 0
    for reason in reasons:
        severity = _SEVERITY[reason.outcome]
        if severity > worst:
            worst = severity
    return _STATUS_OF.get(worst, default)


DrugCheck = tuple[str, int | None, tuple[str, ...], str, tuple[Reason, ...]]
"""A drug line's kind, payment category, failed reason keys, status and reasons."""

_DRUG_CHECKS: dict[tuple, tuple[Parameters, DrugCheck]] = {}


def _check_drug(line: ClaimLine, params: Parameters) -> DrugCheck | None:
    """The checks of a drug J-code line, or None when the line's code is not a drug's. Remembered by what
    they read (see ``DRUG_RULES``): the code, date of service, drug name and modifiers, and the parameters."""
    key = (line.hcpcs, line.service_date, line.drug_name, line.modifiers)
    known = _DRUG_CHECKS.get(key)
    if known is not None and known[0] is params:
        return known[1]
    kind = drug_kind(line, params)
    if kind is None:
        return None
    drug = DrugLine(line, kind, drug_category(line, kind, params))
    found = DRUG_CODE_RULE(drug, params)
    if found:
        reasons = [_reason(params, found)]
    else:
        reasons = []
        for check in DRUG_RULES:
            found = check(drug, params)
            if found:
                reasons.append(_reason(params, found))
    status = _status(reasons, INFORMATIONAL)
    failed = tuple([r.key for r in reasons if r.outcome in ("rejected", "denied")]) if status != INFORMATIONAL else ()
    if len(_DRUG_CHECKS) > 4096:
        _DRUG_CHECKS.clear()
    checked = (kind, drug.category, failed, status, tuple(reasons))
    _DRUG_CHECKS[key] = (params, checked)
    return checked


def _check_other(line: ClaimLine, params: Parameters) -> LineDecision:
    for check in OTHER_RULES:
        found = check(line, params)
        if found:
            reasons = [_reason(params, found)]
            return LineDecision(line.line, line.hcpcs, _status(reasons, REJECTED), None, None,
                                ZERO, ZERO, ZERO, ZERO, ZERO, reasons, OTHER)
    raise AssertionError(f"no rule classified {line.hcpcs}")  # known_hit_code always finds something


_PLAN_FINDINGS: dict[int, tuple[PlanOfCare | None, tuple[Finding, ...]]] = {}


def _plan_findings(plan: PlanOfCare | None) -> tuple[Finding, ...]:
    """What ``PLAN_RULES`` find on ``plan``, remembered by identity (a plan never changes; the entry keeps it alive)."""
    known = _PLAN_FINDINGS.get(id(plan))
    if known is None or known[0] is not plan:
        findings = []
        for check in PLAN_RULES:
            found = check(plan)
            if found:
                findings.append(found)
        if len(_PLAN_FINDINGS) > 4096:
            _PLAN_FINDINGS.clear()
        known = _PLAN_FINDINGS[id(plan)] = (plan, tuple(findings))
    return known[1]


def _check_visit(visit: VisitLine, params: Parameters) -> LineDecision:
    gcode, line = visit.gcode, visit.line
    found = BENEFIT_START_RULE(visit)
    if found:
        reasons = [_reason(params, found)]
    else:
        reasons = []
        for check in ENROLLMENT_RULES:
            found = check(visit)
            if found:
                reasons.append(_reason(params, found))
        for found in _plan_findings(visit.plan):
            reasons.append(_reason(params, found))
        for check in VISIT_RULES:
            found = check(visit)
            if found:
                reasons.append(_reason(params, found))
    return LineDecision(line.line, line.hcpcs, _status(reasons, PAID) if reasons else PAID, gcode.category,
                        gcode.visit_type, None, None, None, None, None, reasons, VISIT)


def all_rules() -> list[RuleInfo]:
    """Every rule's identity and citations in the engine's order, payment (PAY-13) last."""
    checks = (BENEFIT_START_RULE, *ENROLLMENT_RULES, *PLAN_RULES, *VISIT_RULES, DRUG_CODE_RULE, *DRUG_RULES,
              *OTHER_RULES, price_line)
    return [check.info for check in checks]


def claim_status(visit_decisions: Sequence[LineDecision], all_lines: Sequence[LineDecision]) -> str:
    """Paid, partial, denied or rejected, by the G-code lines alone (CONTRACT §2); a claim without a
    G-code line pays nothing: rejected if a line is rejected, else denied."""
    if len(visit_decisions) == 1:
        return visit_decisions[0].status  # a G-code line is paid, denied or rejected, as its claim then is
    if not visit_decisions:
        for d in all_lines:
            if d.status == REJECTED:
                return REJECTED
        return DENIED
    paid = rejected = 0
    for d in visit_decisions:
        if d.status == PAID:
            paid += 1
        elif d.status == REJECTED:
            rejected += 1
    if paid == len(visit_decisions):
        return PAID
    if paid:
        return "partial"
    return REJECTED if rejected == len(visit_decisions) else DENIED


Visit = tuple[int, ClaimLine, GCode]
"""A G-code line to decide: its place on the claim, the line and its G-code."""


def _by_date_and_number(visit: Visit) -> tuple:
    return visit[1].service_date, visit[1].line


def _by_number(visit: Visit) -> int:
    return visit[1].line


def adjudicate_claim(claim: Claim, history: BeneficiaryHistory, tables: Tables) -> Decision:
    """Decide every line of ``claim`` given the beneficiary's earlier ``history`` (not changed)."""
    params = tables.params
    lookback = Lookback(history)
    gcodes = params.gcodes
    decisions: list = []  # in line order; a G-code line's place is filled once every drug line is known
    visits: list[Visit] = []
    drugs: list[DrugLine] = []
    charge = ZERO
    for line in claim.lines:
        charge += line.charge
        gcode = gcodes.get(line.hcpcs)
        if gcode is not None:
            visits.append((len(decisions), line, gcode))
            decisions.append(None)
            continue
        checked = _check_drug(line, params)
        if checked is None:
            decisions.append(_check_other(line, params))
            continue
        kind, category, failed, status, reasons = checked
        drugs.append(DrugLine(line, kind, category, failed))
        decisions.append(LineDecision(line.line, line.hcpcs, status, category, None,
                                      ZERO, ZERO, ZERO, ZERO, ZERO, list(reasons), kind, line.drug_name))
        if category is not None and not failed:
            lookback.drugs.append((line.service_date, category))

    visit_decisions = []
    if visits:
        if len(visits) > 1:
            visits.sort(key=_by_date_and_number)
        locality = claim.service_locality
        supplier = tables.supplier_for(claim.supplier)
        state = tables.locality_states.get(locality) if locality else None
        for i, line, gcode in visits:
            decision = decisions[i] = _check_visit(
                VisitLine(claim, params, supplier, state, drugs, lookback, line, gcode), params)
            if decision.status != REJECTED:
                lookback.visits.append((line.service_date, gcode.category))
            visit_decisions.append(decision)

    totals, rates_used = _price(claim, visits, decisions, tables, charge)
    return Decision(claim.claim_id, claim_status(visit_decisions, decisions), decisions, totals, rates_used)


def _price(claim: Claim, visits: list[Visit], decisions: list[LineDecision], tables: Tables,
           charge: Decimal) -> tuple[dict[str, Decimal], dict | None]:
    """Price the paid G-code lines in line order, the deductible consumed line by line (CONTRACT §4): the
    claim's totals (``charge``: its lines' charges added up) and the rate table used."""
    allowed = paid = patient = ZERO
    if not visits:
        return {"charge": charge, "allowed": allowed, "paid": paid, "patient": patient}, None
    priced = False
    params = tables.params
    locality = claim.service_locality
    deductible_left = claim.beneficiary.deductible_remaining
    known = deductible_left is not None
    if not known:
        deductible_left = ZERO
    if len(visits) > 1:
        visits = sorted(visits, key=_by_number)
    rates_used = None
    for i, line, _ in visits:
        decision = decisions[i]
        if decision.status != PAID:
            unpaid(decision)
            continue
        quote = tables.rates.quote(line.service_date.year, locality, line.hcpcs)
        if quote is None:
            decision.reasons.append(_reason(params, ("NO_RATE", _no_rate_detail(claim, line, tables))))
            continue
        payment = price_line(decision, line, quote, deductible_left, known, params)
        deductible_left = payment.deductible_left
        if priced:
            allowed += payment.allowed
            paid += payment.paid
            patient += payment.deductible + payment.coinsurance
        else:  # the same sums from 0.00, worked out once per payment
            allowed, paid, patient = payment.totals
            priced = True
        if rates_used is None:
            rates_used = _rates_json(quote.table, locality)
    if rates_used is None:
        table = tables.rates.table(min(line.service_date.year for _, line, _ in visits))
        if table is not None:
            rates_used = _rates_json(table, locality)
    return {"charge": charge, "allowed": allowed, "paid": paid, "patient": patient}, rates_used


def _rates_json(table: RateTable, locality: str | None) -> dict:
    return {"year": table.year, "source": table.source, "status": table.status, "locality": locality}


def _no_rate_detail(claim: Claim, line: ClaimLine, tables: Tables) -> str:
    year = line.service_date.year
    if claim.service_locality is None:
        return "The claim gives no service_locality."
    if tables.rates.table(year) is None:
        return f"No rate table for {year} (import CMS's file with `hitbenefit rates import`)."
    return f"The {year} table has no rate for {line.hcpcs} in locality {claim.service_locality}."


def record(claim: Claim, decision: Decision, history: BeneficiaryHistory, params: Parameters) -> None:
    """Add the claim's lines that were not rejected to the beneficiary's history (CONTRACT §5)."""
    for line, line_decision in zip(claim.lines, decision.lines):
        if line_decision.status == REJECTED or line_decision.category is None:
            continue
        if line_decision.visit_type is not None:
            history.add_visit(line.service_date, line_decision.category)
        elif line_decision.status == INFORMATIONAL:
            history.add_drug(line.service_date, line_decision.category)


def contract_order(claims: Sequence[Claim]) -> list[int]:
    """Indexes of ``claims`` in batch order: earliest service date, ties by claim_id (CONTRACT §5)."""
    keys = [(claim.earliest_service_date, claim.claim_id) for claim in claims]
    return sorted(range(len(keys)), key=keys.__getitem__)


def adjudicate_batch(claims: Sequence[Claim], tables: Tables, prior: Sequence[Claim] = (),
                     history: ClaimsHistory | None = None) -> list[Decision]:
    """Decide ``claims`` in contract order with history accumulating; decisions come back in input order.

    ``prior`` claims are earlier history from outside the batch: they are adjudicated first, in the
    same order, only to build the history. Each beneficiary's history keeps only what the longest
    look-back can still reach.
    """
    history = history if history is not None else ClaimsHistory()
    keep = timedelta(days=longest_lookback_days(tables.params))
    for i in contract_order(prior):
        _decide_and_record(prior[i], history, tables, prior[i].earliest_service_date - keep)
    decisions: list[Decision | None] = [None] * len(claims)
    swept = day = cut = None
    for i in contract_order(claims):
        claim = claims[i]
        if claim.earliest_service_date != day:
            day = claim.earliest_service_date
            cut = day - keep
            if swept is None or day - swept > keep:
                history.forget_all_before(cut)  # beneficiaries with no new claims keep nothing stale
                swept = day
        decisions[i] = _decide_and_record(claim, history, tables, cut)
    return decisions  # type: ignore[return-value]


def longest_lookback_days(params: Parameters) -> int:
    """The furthest back any look-back has ever reached: what a beneficiary's history must keep."""
    return max(v.value for name in ("initial_visit_lookback_days", "drug_window_days")
               for v in params.scalars[name].values)


def _decide_and_record(claim: Claim, history: ClaimsHistory, tables: Tables, cut: date) -> Decision:
    """Decide ``claim`` against its beneficiary's history, first trimmed to ``cut``, then ``record`` its accepted
    lines in that history (CONTRACT §5), as the store does."""
    beneficiary = history.for_update(claim.beneficiary.mbi)
    beneficiary.forget_before(cut)
    decision = adjudicate_claim(claim, beneficiary, tables)
    record(claim, decision, beneficiary, tables.params)
    return decision

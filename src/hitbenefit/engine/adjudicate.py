"""Adjudicate one claim against a beneficiary's history, and a batch in contract order (CONTRACT §2-5).

Pure and deterministic: the same claim, history and tables give the same decision; nothing here
reads files, the clock or global state, and the history passed in is never changed by
``adjudicate_claim`` (``adjudicate_batch`` keeps its own).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Sequence

from hitbenefit.claims.history import BeneficiaryHistory, ClaimsHistory
from hitbenefit.claims.model import OTHER, VISIT, Claim, ClaimLine, Decision, LineDecision, Reason
from hitbenefit.engine.payment import price_line, unpaid
from hitbenefit.engine.tables import Tables
from hitbenefit.money import ZERO
from hitbenefit.parameters.model import GCode, Parameters, ReasonSpec
from hitbenefit.rates.model import RateTable
from hitbenefit.rules.catalogue import BENEFIT_START_RULE, DRUG_CODE_RULE, DRUG_RULES, OTHER_RULES, VISIT_RULES
from hitbenefit.rules.cite import RuleInfo
from hitbenefit.rules.drugs import drug_category, drug_kind
from hitbenefit.rules.facts import ClaimFacts, DrugLine, Lookback, VisitLine

PAID, DENIED, REJECTED, INFORMATIONAL = "paid", "denied", "rejected", "informational"
_SEVERITY = {"rejected": 3, "denied": 2, "informational": 1, "warning": 0}
_STATUS_OF = {3: REJECTED, 2: DENIED}


_REASONS: dict[tuple[str, str], tuple[ReasonSpec, Reason]] = {}


def _reason(params: Parameters, key: str, detail: str) -> Reason:
    """The contract's reason for ``key``, its message completed with what this line shows (the same
    spec and detail give the same immutable reason, remembered)."""
    spec = params.reasons[key]
    known = _REASONS.get((key, detail))
    if known is None or known[0] is not spec:
        if len(_REASONS) > 4096:
            _REASONS.clear()
        known = _REASONS[key, detail] = (spec, Reason(key, spec.outcome, spec.group, spec.carc, spec.rarc,
                                                      f"{spec.message} {detail}" if detail else spec.message,
                                                      spec.citations))
    return known[1]


def _status(reasons: list[Reason], default: str) -> str:
    """The worst outcome among the reasons (rejected > denied), or ``default`` (CONTRACT §3)."""
    if not reasons:
        return default
    worst = 0
    for reason in reasons:
        severity = _SEVERITY[reason.outcome]
        if severity > worst:
            worst = severity
    return _STATUS_OF.get(worst, default)


def _check_drug(line: ClaimLine, kind: str, params: Parameters) -> tuple[DrugLine, LineDecision]:
    drug = DrugLine(line, kind, drug_category(line, kind, params))
    found = DRUG_CODE_RULE(drug, params)
    if found:
        reasons = [_reason(params, *found)]
    else:
        reasons = []
        for check in DRUG_RULES:
            found = check(drug, params)
            if found:
                reasons.append(_reason(params, *found))
    status = _status(reasons, INFORMATIONAL)
    if status != INFORMATIONAL:
        drug.failed = tuple([r.key for r in reasons if r.outcome in ("rejected", "denied")])
    decision = LineDecision(line.line, line.hcpcs, status, drug.category, None,
                            ZERO, ZERO, ZERO, ZERO, ZERO, reasons, kind, line.drug_name)
    return drug, decision


def _check_other(line: ClaimLine, params: Parameters) -> LineDecision:
    for check in OTHER_RULES:
        found = check(line, params)
        if found:
            reasons = [_reason(params, *found)]
            return LineDecision(line.line, line.hcpcs, _status(reasons, REJECTED), None, None,
                                ZERO, ZERO, ZERO, ZERO, ZERO, reasons, OTHER)
    raise AssertionError(f"no rule classified {line.hcpcs}")  # known_hit_code always finds something


def _check_visit(visit: VisitLine, params: Parameters) -> LineDecision:
    gcode, line = visit.gcode, visit.line
    found = BENEFIT_START_RULE(visit)
    if found:
        reasons = [_reason(params, *found)]
    else:
        reasons = []
        for check in VISIT_RULES:
            found = check(visit)
            if found:
                reasons.append(_reason(params, *found))
    return LineDecision(line.line, line.hcpcs, _status(reasons, PAID), gcode.category, gcode.visit_type,
                        None, None, None, None, None, reasons, VISIT)


def all_rules() -> list[RuleInfo]:
    """Every rule's identity and citations in the engine's order, payment (PAY-13) last."""
    checks = (BENEFIT_START_RULE, *VISIT_RULES, DRUG_CODE_RULE, *DRUG_RULES, *OTHER_RULES, price_line)
    return [check.info for check in checks]


def claim_status(visit_decisions: Sequence[LineDecision], all_lines: Sequence[LineDecision]) -> str:
    """Paid, partial, denied or rejected, by the G-code lines alone (CONTRACT §2); a claim without a
    G-code line pays nothing: rejected if a line is rejected, else denied."""
    if not visit_decisions:
        return REJECTED if any(d.status == REJECTED for d in all_lines) else DENIED
    statuses = [d.status for d in visit_decisions]
    paid = statuses.count(PAID)
    if paid == len(statuses):
        return PAID
    if paid:
        return "partial"
    return REJECTED if statuses.count(REJECTED) == len(statuses) else DENIED


def adjudicate_claim(claim: Claim, history: BeneficiaryHistory, tables: Tables) -> Decision:
    """Decide every line of ``claim`` given the beneficiary's earlier ``history`` (not changed)."""
    params = tables.params
    facts = ClaimFacts(claim, params, tables.supplier_for(claim.supplier),
                       tables.locality_states.get(claim.service_locality) if claim.service_locality else None)
    lookback = Lookback(history)
    by_line: dict[int, LineDecision] = {}
    visits: list[tuple[ClaimLine, GCode]] = []
    for line in claim.lines:
        gcode = params.gcodes.get(line.hcpcs)
        if gcode is not None:
            visits.append((line, gcode))
            continue
        kind = drug_kind(line, params)
        if kind is None:
            by_line[line.line] = _check_other(line, params)
            continue
        drug, decision = _check_drug(line, kind, params)
        facts.drugs.append(drug)
        by_line[line.line] = decision
        if drug.category is not None and not drug.failed:
            lookback.drugs.append((line.service_date, drug.category))

    if len(visits) > 1:
        visits.sort(key=lambda pair: (pair[0].service_date, pair[0].line))
    visit_decisions = []
    for line, gcode in visits:
        decision = _check_visit(VisitLine(facts, line, gcode, lookback), params)
        if decision.status != REJECTED:
            lookback.add_visit(line.service_date, gcode.category)
        by_line[line.line] = decision
        visit_decisions.append((line, decision))

    rates_used = _price(claim, visit_decisions, tables)
    decisions = [by_line[line.line] for line in claim.lines]
    return Decision(claim.claim_id, claim_status([d for _, d in visit_decisions], decisions), decisions,
                    _totals(claim, decisions), rates_used)


def _price(claim: Claim, visit_decisions: list[tuple[ClaimLine, LineDecision]], tables: Tables) -> dict | None:
    """Price the paid G-code lines in line order, the deductible consumed line by line (CONTRACT §4)."""
    params = tables.params
    known = claim.beneficiary.deductible_remaining is not None
    deductible_left = claim.beneficiary.deductible_remaining if known else ZERO
    if len(visit_decisions) > 1:
        visit_decisions = sorted(visit_decisions, key=lambda pair: pair[0].line)
    rates_used = None
    for line, decision in visit_decisions:
        if decision.status != PAID:
            unpaid(decision)
            continue
        quote = tables.rates.quote(line.service_date.year, claim.service_locality, line.hcpcs)
        if quote is None:
            decision.reasons.append(_reason(params, "NO_RATE", _no_rate_detail(claim, line, tables)))
            continue
        deductible_left = price_line(decision, line, quote, deductible_left, known, params)
        if rates_used is None:
            rates_used = _rates_json(quote.table, claim)
    if rates_used is None and visit_decisions:
        table = tables.rates.table(min(line.service_date.year for line, _ in visit_decisions))
        if table is not None:
            rates_used = _rates_json(table, claim)
    return rates_used


def _rates_json(table: RateTable, claim: Claim) -> dict:
    return {"year": table.year, "source": table.source, "status": table.status, "locality": claim.service_locality}


def _no_rate_detail(claim: Claim, line: ClaimLine, tables: Tables) -> str:
    year = line.service_date.year
    if claim.service_locality is None:
        return "The claim gives no service_locality."
    if tables.rates.table(year) is None:
        return f"No rate table for {year} (import CMS's file with `hitbenefit rates import`)."
    return f"The {year} table has no rate for {line.hcpcs} in locality {claim.service_locality}."


def _totals(claim: Claim, decisions: list[LineDecision]) -> dict[str, Decimal]:
    charge = allowed = paid = patient = ZERO
    for line in claim.lines:
        charge += line.charge
    for d in decisions:
        if d.payment is not None:  # a line not priced adds nothing: its amounts are 0.00 or null
            allowed += d.allowed
            paid += d.paid
            patient += d.deductible + d.coinsurance
    return {"charge": charge, "allowed": allowed, "paid": paid, "patient": patient}


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
        _decide_and_record(prior[i], history, tables, keep)
    decisions: list[Decision | None] = [None] * len(claims)
    swept = None
    for i in contract_order(claims):
        claim = claims[i]
        day = claim.earliest_service_date
        if swept is None or day - swept > keep:
            history.forget_all_before(day - keep)  # beneficiaries with no new claims keep nothing stale
            swept = day
        decisions[i] = _decide_and_record(claim, history, tables, keep)
    return decisions  # type: ignore[return-value]


def longest_lookback_days(params: Parameters) -> int:
    """The furthest back any look-back has ever reached: what a beneficiary's history must keep."""
    return max(v.value for name in ("initial_visit_lookback_days", "drug_window_days")
               for v in params.scalars[name].values)


def _decide_and_record(claim: Claim, history: ClaimsHistory, tables: Tables, keep: timedelta) -> Decision:
    beneficiary = history.for_update(claim.beneficiary.mbi)
    beneficiary.forget_before(claim.earliest_service_date - keep)
    decision = adjudicate_claim(claim, beneficiary, tables)
    record(claim, decision, beneficiary, tables.params)
    return decision

"""Payment of a covered HIT line, exactly as CONTRACT §4 (FAQ 19, 25; 42 CFR 414.1550; SSA §1833(a)(1)(BB)).

One unit of payment per category per infusion day whatever the units; 80% of the lesser of the
charge and the rate after the Part B deductible; sequestration taken from Medicare's share.
"""

from __future__ import annotations

from decimal import Decimal

from hitbenefit.claims.model import ClaimLine, LineDecision
from hitbenefit.money import ZERO, dollars, to_cents
from hitbenefit.parameters.model import Parameters
from hitbenefit.rates.model import RateQuote


def price_line(decision: LineDecision, line: ClaimLine, quote: RateQuote, deductible_left: Decimal,
               deductible_known: bool, params: Parameters) -> Decimal:
    """Set the line's amounts and trace; return the deductible still owed after it."""
    trace = decision.trace
    trace.append(quote.explain())
    rate = quote.amount
    allowed = min(line.charge, rate)
    trace.append(f"Allowed = lesser of charge {dollars(line.charge)} and rate {dollars(rate)} = {dollars(allowed)}"
                 f" (one payment for the day whatever the units: FAQ 25).")
    deductible = min(deductible_left, allowed)
    if deductible_known:
        annual = params.scalars["part_b_deductible"].entry(line.service_date)
        of_year = f" of the {line.service_date.year} Part B deductible {dollars(annual.value)}" if annual else ""
        trace.append(f"Deductible: {dollars(deductible_left)} still owed{of_year}; {dollars(deductible)} applied.")
    else:
        trace.append("Deductible: the claim gives no deductible_remaining, so the Part B deductible is assumed met ($0.00).")
    rate_20 = params.value("coinsurance_rate", line.service_date)
    coinsurance = to_cents(rate_20 * (allowed - deductible))
    trace.append(f"Coinsurance = {rate_20 * 100:.0f}% x ({dollars(allowed)} - {dollars(deductible)}) = {dollars(coinsurance)}.")
    medicare = allowed - deductible - coinsurance
    trace.append(f"Medicare share = {dollars(allowed)} - {dollars(deductible)} - {dollars(coinsurance)} = {dollars(medicare)}.")
    seq_rate = params.value("sequestration_rate", line.service_date)
    sequestration = to_cents(seq_rate * medicare)
    trace.append(f"Sequestration {seq_rate * 100:.0f}% on {line.service_date} x {dollars(medicare)} = {dollars(sequestration)}.")
    paid = medicare - sequestration
    trace.append(f"Paid = {dollars(medicare)} - {dollars(sequestration)} = {dollars(paid)}.")
    decision.allowed, decision.deductible, decision.coinsurance = allowed, deductible, coinsurance
    decision.sequestration, decision.paid = sequestration, paid
    return deductible_left - deductible


def unpaid(decision: LineDecision) -> None:
    """A line that is not paid: every amount zero."""
    decision.allowed = decision.deductible = decision.coinsurance = decision.sequestration = decision.paid = ZERO

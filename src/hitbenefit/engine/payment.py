"""Payment of a covered HIT line, exactly as CONTRACT §4 (FAQ 19, 25; 42 CFR 414.1550; SSA §1833(a)(1)(BB)).

One unit of payment per category per infusion day whatever the units; 80% of the lesser of the
charge and the rate after the Part B deductible; sequestration taken from Medicare's share.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from hitbenefit.claims.model import ClaimLine, LineDecision
from hitbenefit.money import ZERO, dollars, to_cents
from hitbenefit.parameters.model import DatedValue, Parameters
from hitbenefit.rates.model import RateQuote
from hitbenefit.rules.cite import rule


@dataclass(frozen=True, slots=True)
class Payment:
    """The numbers of one priced line; ``explain()`` puts each step into words when asked."""

    quote: RateQuote
    charge: Decimal
    allowed: Decimal
    deductible_owed: Decimal | None  # None: the claim gave no deductible_remaining (assumed met)
    annual_deductible: DatedValue | None
    deductible: Decimal
    coinsurance_rate: Decimal
    coinsurance: Decimal
    medicare: Decimal
    sequestration_rate: Decimal
    sequestration: Decimal
    paid: Decimal
    deductible_left: Decimal  # still owed after this line, for the claim's next paid line
    totals: tuple[Decimal, Decimal, Decimal]  # 0.00 + allowed, paid, deductible + coinsurance: a claim's totals

    def explain(self) -> list[str]:
        """Each step in words (remembered by identity: a payment never changes)."""
        known = _EXPLAINED.get(id(self))
        if known is None or known[0] is not self:
            if len(_EXPLAINED) > 4096:
                _EXPLAINED.clear()
            known = _EXPLAINED[id(self)] = (self, tuple(self._steps()))
        return list(known[1])

    def _steps(self) -> list[str]:
        day = self.quote.table.year
        dollars = _dollars
        if self.deductible_owed is None:
            deductible = "Deductible: the claim gives no deductible_remaining, so the Part B deductible is assumed met ($0.00)."
        else:
            annual = self.annual_deductible
            of_year = f" of the {day} Part B deductible {dollars(annual.value)}" if annual else ""
            deductible = f"Deductible: {dollars(self.deductible_owed)} still owed{of_year}; {dollars(self.deductible)} applied."
        return [
            _quote_text(self.quote),
            f"Allowed = lesser of charge {dollars(self.charge)} and rate {dollars(self.quote.amount)} = "
            f"{dollars(self.allowed)} (one payment for the day whatever the units: FAQ 25).",
            deductible,
            f"Coinsurance = {self.coinsurance_rate * 100:.0f}% x ({dollars(self.allowed)} - {dollars(self.deductible)}) "
            f"= {dollars(self.coinsurance)}.",
            f"Medicare share = {dollars(self.allowed)} - {dollars(self.deductible)} - {dollars(self.coinsurance)} "
            f"= {dollars(self.medicare)}.",
            f"Sequestration {self.sequestration_rate * 100:.0f}% x {dollars(self.medicare)} = {dollars(self.sequestration)}.",
            f"Paid = {dollars(self.medicare)} - {dollars(self.sequestration)} = {dollars(self.paid)}.",
        ]


def _dollars(amount: Decimal | None) -> str:
    """``money.dollars``, without rounding an amount already in cents (every priced amount is)."""
    if amount is not None:
        text = str(amount)
        if text[-3:-2] == "." and "E" not in text:
            return "$" + text
    return dollars(amount)


_EXPLAINED: dict[int, tuple[Payment, tuple[str, ...]]] = {}
_QUOTES: dict[int, tuple[RateQuote, str]] = {}
_PAYMENTS: dict[tuple, Payment] = {}


def _quote_text(quote: RateQuote) -> str:
    """``quote.explain()``, remembered for the quotes the rate book keeps (a handful per year)."""
    known = _QUOTES.get(id(quote))
    if known is None or known[0] is not quote:
        if len(_QUOTES) > 4096:
            _QUOTES.clear()
        known = _QUOTES[id(quote)] = (quote, quote.explain())
    return known[1]


@rule("PAY-13", area="payment", applies_to="visit", keys=("NO_RATE",),
      cites=("FAQ 19", "FAQ 25", "42 CFR 414.1550", "SSA §1833(a)(1)(BB)", "SSA §1834(u)(1)", "CONTRACT §4"))
def price_line(decision: LineDecision, line: ClaimLine, quote: RateQuote, deductible_left: Decimal,
               deductible_known: bool, params: Parameters) -> Payment:
    """Pay 80% of the lesser of charge and rate after the deductible, less sequestration, once per day.

    The payment is remembered: its key holds every input, the amounts by their exact text, the quote
    and the day's rates by identity (the payment keeps them alive, so no other object takes their ids)."""
    day = line.service_date
    coinsurance_rate = params.value("coinsurance_rate", day)
    sequestration_rate = params.value("sequestration_rate", day)
    annual = params.entry("part_b_deductible", day) if deductible_known else None
    key = (id(quote), str(line.charge), str(deductible_left), deductible_known,
           id(coinsurance_rate), id(sequestration_rate), id(annual))
    payment = _PAYMENTS.get(key)
    if payment is None:
        if len(_PAYMENTS) > 4096:
            _PAYMENTS.clear()
        payment = _PAYMENTS[key] = _payment(quote, line.charge, deductible_left, deductible_known, annual,
                                            coinsurance_rate, sequestration_rate)
    decision.payment = payment
    decision.allowed, decision.deductible, decision.coinsurance = payment.allowed, payment.deductible, payment.coinsurance
    decision.sequestration, decision.paid = payment.sequestration, payment.paid
    return payment


def _payment(quote: RateQuote, charge: Decimal, deductible_left: Decimal, deductible_known: bool,
             annual: DatedValue | None, coinsurance_rate: Decimal, sequestration_rate: Decimal) -> Payment:
    """The arithmetic of CONTRACT §4."""
    allowed = min(charge, quote.amount)
    deductible = min(deductible_left, allowed)
    coinsurance = to_cents(coinsurance_rate * (allowed - deductible))
    medicare = allowed - deductible - coinsurance
    sequestration = to_cents(sequestration_rate * medicare)
    paid = medicare - sequestration
    return Payment(quote, charge, allowed, deductible_left if deductible_known else None, annual, deductible,
                   coinsurance_rate, coinsurance, medicare, sequestration_rate, sequestration, paid,
                   deductible_left - deductible, (ZERO + allowed, ZERO + paid, ZERO + (deductible + coinsurance)))


def unpaid(decision: LineDecision) -> None:
    """A line that is not paid: every amount zero."""
    decision.allowed = decision.deductible = decision.coinsurance = decision.sequestration = decision.paid = ZERO

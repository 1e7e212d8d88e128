"""Money: ``Decimal`` dollars rounded half up to cents (CONTRACT §4), never float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_cents(amount: Decimal) -> Decimal:
    """Round a dollar amount to cents, half up (0.125 -> 0.13)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def dollars(amount: Decimal | None) -> str:
    """Format an amount as ``$1234.56`` for people."""
    if amount is None:
        return "not priced"
    return "$" + str(amount.quantize(CENT, rounding=ROUND_HALF_UP))

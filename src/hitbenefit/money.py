"""Money: ``Decimal`` dollars rounded half up to cents (CONTRACT §4), never float."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

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


def loads_exact(text: str) -> Any:
    """JSON text with every number that has a fraction or an exponent read as an exact ``Decimal``, never a float.

    Whatever is not JSON is a ``ValueError``: ``json.JSONDecodeError`` (with its line and column) for the syntax; a
    plain ``ValueError`` for NaN or Infinity (not JSON numbers), nesting too deep to read, or a number beyond what
    ``Decimal`` holds (an exponent over 10**18)."""
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_not_a_json_number)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    except ArithmeticError:  # decimal.InvalidOperation
        raise ValueError("a number too large for a decimal") from None


def _not_a_json_number(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")

"""Canonical JSON of a claim (the parsed contract claim, every field explicit), and of a decision.

Two submissions are "the same claim" when their canonical JSON is byte-identical: key order,
whitespace, ``450`` vs ``450.00`` and absent-vs-default fields make no difference.
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from typing import Any

import simplejson

from hitbenefit.claims.write_json import claim_to_json  # noqa: F401 - the store's canonical body
from hitbenefit.money import CENT


def dumps(value: Any, sort_keys: bool = True) -> str:
    """Canonical text: sorted keys (unless told to keep their order), no spaces, exact decimals,
    UTF-8 kept."""
    return simplejson.dumps(value, use_decimal=True, sort_keys=sort_keys, separators=(",", ":"),
                            ensure_ascii=False, default=_default)


def _default(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (tuple, set, frozenset)):
        return list(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def loads(text: str) -> Any:
    return simplejson.loads(text, use_decimal=True)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cents(amount: Decimal | None) -> int | None:
    return None if amount is None else int((amount.quantize(CENT) * 100).to_integral_value())

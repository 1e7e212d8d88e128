"""The contract reader's JSON Lines path (``claim_from_text``: orjson when exact) reads the same claims
and reports the same errors as the exact parse (``json`` with ``Decimal``), whichever parser ran."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import simplejson

from hitbenefit.claims.read_json import ClaimInputError, _parse, claim_from_json, claim_from_text, read_claims


def _exact(text: str, record: int = 1):
    try:
        return claim_from_json(_parse(text, "f.jsonl", record), "f.jsonl", record)
    except ClaimInputError as exc:
        return str(exc)


def _fast(text: str, record: int = 1):
    try:
        return claim_from_text(text, "f.jsonl", record)
    except ClaimInputError as exc:
        return str(exc)


def test_same_claims_as_the_exact_parse(synth_claims):
    texts = [simplejson.dumps(c, use_decimal=True, separators=(",", ":")) for c in synth_claims]
    for i, text in enumerate(texts, start=1):
        assert _fast(text, i) == _exact(text, i)
    claims, errors = read_claims("\n".join(texts) + "\n", "f.jsonl")
    assert not errors and claims == [_exact(t) for t in texts]


LINE = {"line": 1, "hcpcs": "G0088", "units": 1, "service_date": "2025-01-01", "charge": 5,
        "visit": {"minutes": 90}}


def _claim(**line) -> str:
    return json.dumps({"claim_id": "A", "supplier": {"npi": "1234567893"}, "beneficiary": {"mbi": "1EG4TE5MK73"},
                       "lines": [dict(LINE, **line)]})


@pytest.mark.parametrize("text", [
    _claim(charge="CHARGE").replace('"CHARGE"', "-5.00"),  # trailing zeros kept in the message
    _claim(charge="CHARGE").replace('"CHARGE"', "0.1000000000000000001"),  # more digits than a float holds
    _claim(charge="CHARGE").replace('"CHARGE"', "1e-400"),  # an exponent
    _claim(charge="CHARGE").replace('"CHARGE"', "12.345"),
    _claim(charge="CHARGE").replace('"CHARGE"', "123456789012345678901234567890"),
    _claim(units="UNITS").replace('"UNITS"', "7.50"),  # read exactly: the units keep their zero
    _claim(visit={"minutes": 90.5}),
    _claim(visit={"minutes": 90.0}),
    _claim(charge="CHARGE").replace('"CHARGE"', "NaN"),
    _claim(hcpcs="\ud800"),
    '{"claim_id": "A" "x"}',
    '{"claim_id": "A", "claim_id": 5}',
    "[" * 5000 + "]" * 5000,
])
def test_same_result_and_errors_as_the_exact_parse(text):
    fast, exact = _fast(text, 3), _exact(text, 3)
    assert fast == exact
    if isinstance(exact, str):
        assert exact.startswith("f.jsonl, record 3")
    else:
        assert str(fast.lines[0].units) == str(exact.lines[0].units)
        assert fast.lines[0].charge == exact.lines[0].charge and fast.lines[0].charge.as_tuple().exponent == -2


def test_decimal_amounts_are_exact_cents():
    claim = claim_from_text(_claim(charge="CHARGE").replace('"CHARGE"', "480.1"))
    assert claim.lines[0].charge == Decimal("480.10") and str(claim.lines[0].charge) == "480.10"

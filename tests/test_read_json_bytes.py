"""``claim_from_text`` takes a claim's JSON as UTF-8 ``bytes`` (as the batch reads it from the file) as well
as ``str``: the same claim or the same error either way; bytes that are not UTF-8 are an input error. Read by
orjson or exactly (``json`` and ``Decimal``), a text gives the same claim or the same error."""

from __future__ import annotations

import copy
import json
from decimal import Decimal

import pytest
import simplejson
from hypothesis import given, settings
from hypothesis import strategies as st

from hitbenefit.claims.read_json import ClaimInputError, claim_from_json, claim_from_text
from tests.test_read_json import CLAIM_PATHS, SETTINGS, claim, json_values, replace_field


def _outcome(text: str | bytes):
    try:
        return claim_from_text(text, "f.jsonl", 7)
    except ClaimInputError as exc:
        return str(exc)


TEXT = simplejson.dumps(claim(claim_id="Zoë"), ensure_ascii=False)


@pytest.mark.parametrize("text", [
    TEXT,  # read by orjson
    TEXT.replace('"charge": 450.00', '"charge": 4.5E+2'),  # read by orjson (an exponent, not negative)
    TEXT.replace('"charge": 450.00', '"charge": 45000E-2'),  # read exactly (a negative exponent)
    TEXT.replace('"units": 8', '"units": 8.0'),  # read exactly (units with a fraction)
])
def test_bytes_give_the_same_claim_as_text(text):
    from_bytes = claim_from_text(text.encode("utf-8"), "f.jsonl", 7)
    assert from_bytes == claim_from_text(text, "f.jsonl", 7) and from_bytes.claim_id == "Zoë"


@pytest.mark.parametrize("text", [
    TEXT.replace('"charge": 450.00', '"charge": 450.001'),
    TEXT.replace('"hcpcs": "G0089"', '"hcpcs": 5'),
    '{"claim_id": "A" "x"}',
    "\ufeff" + TEXT,
])
def test_bytes_give_the_same_error_as_text(text):
    assert _outcome(text.encode("utf-8")) == _outcome(text)
    assert _outcome(text).startswith("f.jsonl, record 7")


@pytest.mark.parametrize("raw", [b"\xff" + simplejson.dumps(claim(), use_decimal=True).encode(),
                                 simplejson.dumps(claim(claim_id="Zoë")).encode()[:-40] + b"\xc3",
                                 '{"claim_id": "\ud800"}'.encode("utf-8", "surrogatepass")])
def test_bytes_that_are_not_utf8_are_an_input_error(raw):
    with pytest.raises(ClaimInputError) as caught:
        claim_from_text(raw, "f.jsonl", 7)
    assert str(caught.value).startswith("f.jsonl, record 7: not readable JSON (")


def _exact_outcome(text: str):
    """The claim, or the error, of ``text`` read exactly: ``json`` with every fraction a ``Decimal``."""
    try:
        found = claim_from_json(json.loads(text, parse_float=Decimal), "f.jsonl", 7)
    except ClaimInputError as exc:
        return str(exc)
    return found, repr(found)


def _fast_outcome(text: str):
    found = _outcome(text.encode("utf-8"))
    return found if isinstance(found, str) else (found, repr(found))


NOT_EXACT_AS_FLOATS = ["450.000", "0.1000000000000000001", "4.80000e2", "480000E-3", "1E-400", "1e400"]
number_texts = st.sampled_from(NOT_EXACT_AS_FLOATS) | st.builds(
    "".join, st.tuples(
        st.sampled_from(["", "-"]), st.sampled_from(["0"]) | st.integers(1, 10 ** 20).map(str),
        st.just("") | st.text("0123456789", min_size=1, max_size=4).map(".".__add__),
        st.just("") | st.builds("".join, st.tuples(st.sampled_from("eE"), st.sampled_from(["", "+", "-"]),
                                                   st.integers(0, 400).map(str)))))


@settings(max_examples=400, **SETTINGS)
@given(st.sampled_from(['"charge": 450.00', '"charge": 0.00', '"deductible_remaining": 0.00', '"minutes": 120',
                        '"units": 8']), number_texts)
def test_any_number_gives_the_claim_or_error_of_the_exact_reading(field, number):
    text = TEXT.replace(field, f"{field.split(':')[0]}: {number}")
    assert _fast_outcome(text) == _exact_outcome(text)


@settings(max_examples=400, **SETTINGS)
@given(st.sampled_from(CLAIM_PATHS), json_values | st.just("<delete>"))
def test_a_claim_with_a_field_replaced_reads_as_it_reads_exactly(path, replacement):
    value = copy.deepcopy(claim())
    replace_field(value, path, replacement)
    text = simplejson.dumps(value, use_decimal=True)
    assert _fast_outcome(text) == _exact_outcome(text)

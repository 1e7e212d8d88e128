"""``claim_from_text`` takes a claim's JSON as UTF-8 ``bytes`` (as the batch reads it from the file) as well
as ``str``: the same claim or the same error either way; bytes that are not UTF-8 are an input error."""

from __future__ import annotations

import pytest
import simplejson

from hitbenefit.claims.read_json import ClaimInputError, claim_from_text
from tests.test_read_json import claim


def _outcome(text: str | bytes):
    try:
        return claim_from_text(text, "f.jsonl", 7)
    except ClaimInputError as exc:
        return str(exc)


TEXT = simplejson.dumps(claim(claim_id="Zoë"), ensure_ascii=False)


@pytest.mark.parametrize("text", [
    TEXT,  # read by orjson
    TEXT.replace('"charge": 450.00', '"charge": 4.5E+2'),  # read exactly (an exponent)
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

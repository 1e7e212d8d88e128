"""The JSON intake (CONTRACT §1): one object, an array or JSON Lines; strict fields, dates and money;
errors that name the file, the record, the claim, the line and the field; and fuzzing that any text
or JSON value gives claims or ``ClaimInputError``, never another exception."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal

import pytest
import simplejson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hitbenefit.claims.model import Claim
from hitbenefit.claims.read_json import ClaimInputError, claim_from_json, claim_from_text, read_claims

SETTINGS = dict(derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def claim(claim_id: str = "C-1", **changes) -> dict:
    """A complete, valid claim as parsed JSON (money as Decimal)."""
    value = {
        "claim_id": claim_id, "received_date": "2025-03-12", "payer": "medicare-ffs",
        "supplier": {"npi": "1234567893", "specialty": "D6", "accreditation_expires": "2027-06-30",
                     "licensed_states": ["VA"]},
        "beneficiary": {"mbi": "1EG4TE5MK73", "part_b": [{"from": "2019-01-01", "to": None}],
                        "medicare_advantage": [],
                        "institutional_stays": [{"from": "2025-02-01", "to": "2025-02-09", "kind": "hospital"}],
                        "deductible_remaining": Decimal("0.00")},
        "plan_of_care": {"established_by": {"npi": "1003000126", "role": "physician"},
                         "care_provider_role": "nurse_practitioner", "therapy_type": "subcutaneous immunotherapy",
                         "medication": "J1559", "dosage": "10 g", "frequency": "weekly", "duration": "26 weeks",
                         "professional_services": ["nursing", "training", "monitoring"],
                         "visit_frequency": "1-2 per week", "discipline": "RN", "signed_date": "2025-02-27",
                         "last_changed": "2025-02-27", "last_reviewed": "2025-02-27"},
        "service_locality": "01112-54",
        "lines": [
            {"line": 1, "hcpcs": "G0089", "modifiers": [], "units": 8, "service_date": "2025-03-03",
             "place_of_service": "12", "charge": Decimal("450.00"),
             "visit": {"in_person": True, "drug_administered": True, "minutes": 120}},
            {"line": 2, "hcpcs": "J1559", "modifiers": ["JB"], "units": 40, "service_date": "2025-03-03",
             "place_of_service": "12", "charge": Decimal("0.00"), "drug_name": None},
        ],
    }
    value.update(changes)
    return value


def dumps(value) -> str:
    return simplejson.dumps(value, use_decimal=True)


def only_error(value, source: str = "claims.json") -> ClaimInputError:
    with pytest.raises(ClaimInputError) as caught:
        claim_from_json(value, source)
    return caught.value


# -- the three shapes of input ----------------------------------------------------------------

def test_one_object():
    claims, errors = read_claims(dumps(claim()), "one.json")
    assert errors == [] and [c.claim_id for c in claims] == ["C-1"]
    c = claims[0]
    assert c.lines[0].charge == Decimal("450.00") and isinstance(c.lines[0].charge, Decimal)
    assert c.lines[0].service_date == date(2025, 3, 3)
    assert c.beneficiary.deductible_remaining == Decimal("0.00")
    assert c.service_locality == "01112-54"


def test_an_array():
    claims, errors = read_claims(dumps([claim("A"), claim("B"), claim("C")]), "array.json")
    assert errors == [] and [c.claim_id for c in claims] == ["A", "B", "C"]


def test_json_lines_with_blank_lines():
    text = "\n".join([dumps(claim("A")), "", dumps(claim("B")), "   ", dumps(claim("C")), ""])
    claims, errors = read_claims(text, "lines.jsonl")
    assert errors == [] and [c.claim_id for c in claims] == ["A", "B", "C"]


def test_money_is_read_as_decimal_never_float():
    text = dumps(claim()).replace('"charge": 450.00', '"charge": 0.1')
    (c,), _ = read_claims(text)
    assert c.lines[0].charge == Decimal("0.1") and isinstance(c.lines[0].charge, Decimal)


def test_unknown_fields_inside_extra_are_kept():
    c = claim_from_json(claim(extra={"anything": {"goes": [1, 2]}, "colour": "blue"}))
    assert c.extra == {"anything": {"goes": [1, 2]}, "colour": "blue"}


def test_optional_fields_may_be_absent():
    minimal = {"claim_id": "M", "supplier": {"npi": "1234567893"}, "beneficiary": {"mbi": "1EG4TE5MK73"},
               "lines": [{"line": 1, "hcpcs": "g0069", "units": 4, "service_date": "2025-03-03", "charge": 0}]}
    c = claim_from_json(minimal)
    assert c.plan_of_care is None and c.service_locality is None and c.payer == "medicare-ffs"
    assert c.lines[0].hcpcs == "G0069" and c.lines[0].place_of_service == "12"


# -- strict fields ------------------------------------------------------------------------------

def test_unknown_field_on_a_line_names_the_line_and_the_field():
    bad = claim()
    bad["lines"][0]["colour"] = "blue"
    error = only_error(bad)
    assert error.line == 1 and error.field == "colour"
    assert "line 1" in str(error) and "colour" in str(error) and "unknown field" in str(error)


def test_unknown_field_on_a_line_without_a_number_names_its_position():
    bad = claim()
    del bad["lines"][1]["line"]
    bad["lines"][1]["colour"] = "blue"
    error = only_error(bad)
    assert error.field == "lines[1].colour"


@pytest.mark.parametrize("path, field", [
    (("colour",), "colour"),
    (("supplier", "colour"), "supplier.colour"),
    (("beneficiary", "colour"), "beneficiary.colour"),
    (("plan_of_care", "colour"), "plan_of_care.colour"),
    (("plan_of_care", "established_by", "colour"), "plan_of_care.established_by.colour"),
])
def test_unknown_field_anywhere_is_an_error_naming_it(path, field):
    bad = claim()
    target = bad
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = 1
    assert only_error(bad).field == field


def test_unknown_field_in_a_visit():
    bad = claim()
    bad["lines"][0]["visit"]["colour"] = True
    error = only_error(bad)
    assert error.line == 1 and error.field == "visit.colour"


@pytest.mark.parametrize("value", ["2025-02-30", "03/03/2025", "2025-3-3", 20250303, None, "", "2025-03-03T00:00"])
def test_wrong_service_date(value):
    bad = claim()
    bad["lines"][0]["service_date"] = value
    error = only_error(bad)
    assert error.line == 1 and error.field == "service_date"


def test_wrong_date_in_a_period():
    bad = claim()
    bad["beneficiary"]["part_b"] = [{"from": "2019-13-01", "to": None}]
    assert only_error(bad).field == "beneficiary.part_b[0].from"


@pytest.mark.parametrize("to, field", [("2025-02-31", "beneficiary.institutional_stays[0].to"),
                                       ("2025-01-01", "beneficiary.institutional_stays[0].to")])
def test_wrong_end_of_a_stay_names_the_stay(to, field):
    bad = claim()
    bad["beneficiary"]["institutional_stays"][0]["to"] = to
    assert only_error(bad).field == field


@pytest.mark.parametrize("value", ["", 0, False, {}])
def test_stays_that_are_not_a_list(value):
    bad = claim()
    bad["beneficiary"]["institutional_stays"] = value
    assert only_error(bad).field == "beneficiary.institutional_stays"


def test_period_ending_before_it_starts():
    bad = claim()
    bad["beneficiary"]["medicare_advantage"] = [{"from": "2025-01-10", "to": "2025-01-01"}]
    assert only_error(bad).field == "beneficiary.medicare_advantage[0].to"


@pytest.mark.parametrize("value", [Decimal("10.005"), Decimal("0.001"), Decimal("450.000")])
def test_money_with_three_decimals(value):
    bad = claim()
    bad["lines"][0]["charge"] = value
    error = only_error(bad)
    assert error.line == 1 and error.field == "charge" and "two decimals" in str(error)


def test_deductible_with_three_decimals():
    bad = claim()
    bad["beneficiary"]["deductible_remaining"] = Decimal("1.001")
    assert only_error(bad).field == "beneficiary.deductible_remaining"


@pytest.mark.parametrize("value", [Decimal("-1.00"), "450.00", True, 450.0, None])
def test_money_that_is_not_a_non_negative_json_number(value):
    bad = claim()
    bad["lines"][0]["charge"] = value
    assert only_error(bad).field == "charge"


@pytest.mark.parametrize("path, field", [
    (("claim_id",), "claim_id"),
    (("supplier",), "supplier"),
    (("supplier", "npi"), "supplier.npi"),
    (("beneficiary", "mbi"), "beneficiary.mbi"),
    (("lines",), "lines"),
    (("plan_of_care", "established_by"), "plan_of_care.established_by"),
])
def test_missing_required_field(path, field):
    bad = claim()
    target = bad
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    error = only_error(bad)
    assert error.field == field and "required" in str(error)


@pytest.mark.parametrize("name", ["hcpcs", "units", "service_date", "charge"])
def test_missing_required_line_field(name):
    bad = claim()
    del bad["lines"][1][name]
    error = only_error(bad)
    assert error.line == 2 and error.field == name


def test_no_lines():
    assert only_error(claim(lines=[])).field == "lines"


def test_duplicate_line_numbers():
    bad = claim()
    bad["lines"][1]["line"] = 1
    error = only_error(bad)
    assert error.line == 1 and error.field == "line" and "twice" in str(error)


def test_wrong_payer_and_stay_kind():
    assert only_error(claim(payer="medicaid")).field == "payer"
    assert only_error(claim(payer="")).field == "payer"
    assert only_error(claim(payer=False)).field == "payer"
    bad = claim()
    bad["beneficiary"]["institutional_stays"][0]["kind"] = "hotel"
    assert only_error(bad).field == "beneficiary.institutional_stays[0].kind"


# -- where an error is --------------------------------------------------------------------------

def test_error_text_names_file_record_claim_line_and_field():
    bad = claim("HIT-2025-000123")
    bad["lines"][1]["charge"] = Decimal("1.234")
    text = "\n".join([dumps(claim("A")), dumps(bad), dumps(claim("B"))])
    claims, errors = read_claims(text, "march.jsonl")
    assert [c.claim_id for c in claims] == ["A", "B"]
    (error,) = errors
    assert (error.source, error.record, error.claim_id, error.line, error.field) == (
        "march.jsonl", 2, "HIT-2025-000123", 2, "charge")
    message = str(error)
    for part in ("march.jsonl", "record 2", "claim HIT-2025-000123", "line 2", "field charge"):
        assert part in message, message


def test_a_bad_record_in_an_array_keeps_the_good_ones():
    bad = claim("BAD")
    bad["supplier"]["colour"] = "red"
    claims, errors = read_claims(dumps([claim("A"), bad, claim("B"), "not a claim"]), "batch.json")
    assert [c.claim_id for c in claims] == ["A", "B"]
    assert [(e.record, e.claim_id) for e in errors] == [(2, "BAD"), (4, None)]
    assert errors[0].field == "supplier.colour" and "expected a claim object" in str(errors[1]) and errors[1].field is None


def test_not_json_at_all():
    claims, errors = read_claims("this is not json", "notes.txt")
    assert claims == [] and len(errors) == 1 and "notes.txt" in str(errors[0]) and "not valid JSON" in str(errors[0])


# Found by fuzzing (2026-12-08): an exponent beyond Decimal's range raised decimal.InvalidOperation.
@pytest.mark.parametrize("number, problem", [
    ("1e99999999999999999999", "not readable JSON (a number too large for a decimal)"),
    ("NaN", "not readable JSON (NaN is not a number JSON allows)"),
    ("-Infinity", "not readable JSON (-Infinity is not a number JSON allows)"),
])
def test_a_number_json_does_not_allow_is_a_record_error(number, problem):
    bad = dumps(claim("BAD")).replace('"charge": 450.00', f'"charge": {number}')
    assert number in bad
    claims, errors = read_claims("\n".join([dumps(claim("A")), bad, dumps(claim("B"))]), "march.jsonl")
    assert [c.claim_id for c in claims] == ["A", "B"]
    assert [str(e) for e in errors] == [f"march.jsonl, record 2: {problem}"]
    with pytest.raises(ClaimInputError) as caught:
        claim_from_text(bad.encode(), "march.jsonl", 2)
    assert str(caught.value) == f"march.jsonl, record 2: {problem}"


@pytest.mark.parametrize("garbage", ["not json at all", "[1, 2]", "}"])
@pytest.mark.parametrize("position", [1, 2])
def test_a_json_lines_line_that_is_no_object_costs_only_its_record(garbage, position):
    """Found 2026-12-08: such a line made the whole file one JSON document ("Extra data at line 2")."""
    lines = [dumps(claim("A")), dumps(claim("B"))]
    lines.insert(position, garbage)
    claims, errors = read_claims("\n".join(lines), "march.jsonl")
    assert [c.claim_id for c in claims] == ["A", "B"]
    assert len(errors) == 1 and str(errors[0]).startswith(f"march.jsonl, record {position + 1}: "), errors


def test_empty_input():
    claims, errors = read_claims("  \n ", "empty.json")
    assert claims == [] and "empty" in str(errors[0])


# Found here: a broken JSON line stopped the reading and lost the good records after it.
@pytest.mark.parametrize("position", [0, 1])
def test_a_syntactically_broken_json_line_keeps_the_good_ones(position):
    lines = [dumps(claim("A")), dumps(claim("B"))]
    lines.insert(position, '{"claim_id": "BROKEN", ')
    claims, errors = read_claims("\n".join(lines), "broken.jsonl")
    assert sorted(c.claim_id for c in claims) == ["A", "B"]
    assert len(errors) == 1 and errors[0].record == position + 1


# Found here: RecursionError / ValueError (int max str digits) escaped read_claims.
@pytest.mark.parametrize("text", ["[" * 100_000, "1" * 5000,
                                  dumps(claim()).replace('"units": 8', '"units": ' + "9" * 5000)])
def test_python_parser_limits_are_input_errors(text):
    claims, errors = read_claims(text, "hostile.json")
    assert claims == [] and len(errors) == 1


# -- fuzzing ----------------------------------------------------------------------------------

def _claims_or_input_errors(text: str) -> None:
    claims, errors = read_claims(text, "fuzz.json")
    assert all(isinstance(c, Claim) for c in claims)
    assert all(isinstance(e, ClaimInputError) and str(e).startswith("fuzz.json") for e in errors)


@settings(max_examples=400, **SETTINGS)
@given(st.text())
def test_any_text_gives_claims_or_input_errors(text):
    _claims_or_input_errors(text)


@settings(max_examples=300, **SETTINGS)
@given(st.binary())
def test_any_bytes_decoded_give_claims_or_input_errors(raw):
    _claims_or_input_errors(raw.decode("utf-8", errors="replace"))


json_scalars = (st.none() | st.booleans() | st.integers(-(10 ** 30), 10 ** 30)
                | st.decimals(allow_nan=False, allow_infinity=False) | st.text(max_size=12)
                | st.sampled_from(["2025-03-03", "G0069", "J1559", "JB", "12", "01112-54", "hospital",
                                   "physician", "line", "charge", "1234567893", "0001-01-01", "9999-12-31"])
                | st.sampled_from([0, -1, 96, 97, 10 ** 27, 10 ** 40, Decimal("1E+30"), Decimal("-0"),
                                   Decimal("1E-30"), Decimal("0.10"), Decimal("12.5"), Decimal("1E+3")]))
json_values = st.recursive(json_scalars, lambda children: st.lists(children, max_size=4)
                           | st.dictionaries(st.sampled_from(["line", "from", "to", "npi", "kind", "colour",
                                                              "hcpcs", "units", "charge", "mbi"]) | st.text(max_size=6),
                                             children, max_size=4),
                           max_leaves=20)


def _claim_or_input_error(value) -> None:
    try:
        assert isinstance(claim_from_json(value, "fuzz.json"), Claim)
    except ClaimInputError as error:
        assert str(error).startswith("fuzz.json")


@settings(max_examples=400, **SETTINGS)
@given(json_values)
def test_any_json_value_gives_a_claim_or_an_input_error(value):
    _claim_or_input_error(value)
    _claims_or_input_errors(dumps(value))


def _paths(value, prefix=()):
    """Every (path) into a claim where a value sits."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, prefix + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _paths(item, prefix + (i,))


CLAIM_PATHS = [p for p in _paths(claim()) if p]


def replace_field(value: dict, path: tuple, replacement) -> None:
    """Put ``replacement`` at ``path`` in a claim's JSON (``"<delete>"`` removes the field)."""
    target = value
    for key in path[:-1]:
        target = target[key]
    if replacement == "<delete>":
        del target[path[-1]]
    else:
        target[path[-1]] = replacement


@settings(max_examples=600, **SETTINGS)
@given(st.lists(st.tuples(st.sampled_from(CLAIM_PATHS), json_values | st.just("<delete>")), min_size=1, max_size=3))
def test_a_claim_with_any_field_replaced_gives_a_claim_or_an_input_error(changes):
    value = copy.deepcopy(claim())
    for path, replacement in changes:
        try:
            replace_field(value, path, replacement)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed the path
    _claim_or_input_error(value)
    _claims_or_input_errors(dumps(value))
    _claims_or_input_errors(dumps([value, claim("GOOD")]))



@pytest.mark.parametrize("value", [10 ** 27, 10 ** 40, Decimal("1E+30")])
def test_huge_money_is_an_input_error_or_a_claim(value):
    # Found by the fuzz tests: quantizing money to cents at intake raised decimal.InvalidOperation
    # for amounts with more digits than the decimal context's precision (28).
    bad = claim()
    bad["lines"][0]["charge"] = value
    claims, errors = read_claims(dumps(bad), "huge.json")
    assert len(claims) + len(errors) == 1


json_numbers = (st.integers() | st.decimals(allow_nan=False, allow_infinity=False)
                | st.sampled_from([10 ** 27, Decimal("1E+30"), Decimal("1E-30"), Decimal("-0.00")]))
MONEY_PATHS = [("lines", 0, "charge"), ("lines", 1, "charge"), ("beneficiary", "deductible_remaining"),
               ("lines", 0, "units"), ("lines", 0, "visit", "minutes"), ("lines", 0, "line")]


@settings(max_examples=300, **SETTINGS)
@given(st.sampled_from(MONEY_PATHS), json_numbers)
def test_any_json_number_in_a_numeric_field_gives_a_claim_or_an_input_error(path, number):
    value = claim()
    target = value
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = number
    _claim_or_input_error(value)

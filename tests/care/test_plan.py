"""A plan's status on a date at each boundary (FAQ 10-11; RULES POC-1 to POC-8)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hitbenefit.care.fields import CareInputError
from hitbenefit.care.plan import (AWAITING_RESIGNATURE, COMPLETE, INCOMPLETE, NOT_IN_EFFECT, REVIEW_OVERDUE, UNSIGNED,
                                  PlanVersionState, changes_requiring_signature, claim_plan_of_care, plan_from_json,
                                  plan_status, review_interval)
from hitbenefit.claims.read_json import claim_from_json
from tests.care.conftest import D, plan_json

INTERVAL = 90


def version(n=1, signed="2025-02-27", reviewed=(), effective="2025-02-20", **changes):
    return PlanVersionState(n, plan_from_json(plan_json(**changes)), D(effective), D(signed) if signed else None,
                            "Dr. Synthetic Example" if signed else None, tuple(D(r) for r in reviewed))


def status(versions, on):
    return plan_status(versions, D(on), INTERVAL)


def test_signed_on_the_day_is_complete_and_the_day_before_is_unsigned():
    v = version(signed="2025-02-27")
    assert status([v], "2025-02-27").status == COMPLETE
    before = status([v], "2025-02-26")
    assert before.status == UNSIGNED and "after 2025-02-26" in before.reason
    assert "FAQ 10 C" in before.citations


def test_never_signed_is_unsigned_and_before_the_plan_it_is_not_in_effect():
    assert status([version(signed=None)], "2025-03-01").status == UNSIGNED
    assert status([version()], "2025-02-19").status == NOT_IN_EFFECT


def test_review_due_exactly_at_the_interval_and_overdue_one_day_after():
    v = version(signed="2025-02-27")
    due = D("2025-02-27") + timedelta(days=INTERVAL)
    on_time = plan_status([v], due, INTERVAL)
    assert on_time.status == COMPLETE and on_time.review_due == due
    late = plan_status([v], due + timedelta(days=1), INTERVAL)
    assert late.status == REVIEW_OVERDUE and late.last_reviewed == D("2025-02-27")
    assert "91 days" in late.reason and "FAQ 10 D" in late.citations


def test_a_review_restarts_the_interval_but_only_from_its_own_date():
    v = version(signed="2025-02-27", reviewed=["2025-05-20"])
    assert status([v], "2025-08-18").status == COMPLETE  # 90 days after the review
    assert status([v], "2025-08-19").status == REVIEW_OVERDUE
    assert status([v], "2025-05-28").last_reviewed == D("2025-05-20")
    assert status([v], "2025-05-19").last_reviewed == D("2025-02-27")  # the review had not happened yet


def test_the_interval_is_the_callers_or_the_dated_parameter(params):
    assert review_interval(params, D("2025-03-01")) == 90
    assert review_interval(params, D("2025-03-01"), 30) == 30
    v = version(signed="2025-02-27")
    assert plan_status([v], D("2025-03-29"), 30).status == COMPLETE
    assert plan_status([v], D("2025-03-30"), 30).status == REVIEW_OVERDUE
    with pytest.raises(CareInputError) as exc:
        review_interval(params, D("2020-12-31"))
    assert exc.value.field == "on"


def test_changed_after_signature_awaits_resignature():
    v = version(signed="2025-02-27", last_changed="2025-03-05", effective="2025-03-05")
    assert status([v], "2025-03-06").status == AWAITING_RESIGNATURE


def test_a_new_version_with_changed_orders_awaits_resignature_until_signed():
    v1 = version(1, signed="2025-02-27")
    orders = plan_json()["orders"]
    orders[0] = dict(orders[0], frequency_max=3)
    v2 = version(2, signed=None, effective="2025-03-10", orders=orders, last_changed="2025-03-10")
    assert status([v1, v2], "2025-03-09").status == COMPLETE  # v2 not yet in effect
    waiting = status([v1, v2], "2025-03-10")
    assert waiting.status == AWAITING_RESIGNATURE and waiting.changes == ("orders",)
    assert waiting.signed_version == 1 and "signs and dates it again" in waiting.reason
    v2_signed = version(2, signed="2025-03-12", effective="2025-03-10", orders=orders, last_changed="2025-03-10")
    assert status([v1, v2_signed], "2025-03-11").status == AWAITING_RESIGNATURE
    assert status([v1, v2_signed], "2025-03-12").status == COMPLETE


@pytest.mark.parametrize("field, value", [
    ("dosage", "12 g"), ("medication", "J1561"), ("frequency", "twice weekly"), ("discipline", "LPN"),
    ("thresholds", {"heart_rate": {"high": "120"}}),
])
def test_clinical_changes_need_a_signature(field, value):
    assert changes_requiring_signature(plan_from_json(plan_json()), plan_from_json(plan_json(**{field: value}))) \
        == [field]


def test_a_contact_only_change_keeps_the_signature():
    v1 = version(1, signed="2025-02-27")
    contacts = [{"organization": "Other Synthetic DME", "phone": "555-0199"}]
    v2 = version(2, signed=None, effective="2025-03-10", dme_contacts=contacts, last_changed="2025-03-10")
    result = status([v1, v2], "2025-03-11")
    assert result.status == COMPLETE and result.version == 2 and result.signed_version == 1
    assert "coordination records" in result.reason


@pytest.mark.parametrize("missing", ["therapy_type", "orders", "options_notice_date", "dme_contacts",
                                     "physician_name", "visit_frequency"])
def test_a_missing_element_makes_the_plan_incomplete(missing):
    data = plan_json()
    del data[missing]
    v = PlanVersionState(1, plan_from_json(data), D("2025-02-20"), D("2025-02-27"))
    result = status([v], "2025-03-01")
    assert result.status == INCOMPLETE and missing in result.missing and missing in result.reason


def test_a_plan_established_by_a_nurse_practitioner_is_incomplete():
    result = status([version(established_by={"npi": "1003000126", "role": "nurse_practitioner"})], "2025-03-01")
    assert result.status == INCOMPLETE and "only a physician" in result.reason


def test_an_options_notice_after_the_signature_is_incomplete():
    result = status([version(options_notice_date="2025-03-01")], "2025-03-02")
    assert result.status == INCOMPLETE and "POC-8" in " ".join(result.citations)


@pytest.mark.parametrize("bad, field", [
    ({"orders": [{"kind": "service", "what": "x", "frequency_min": 3, "frequency_max": 2, "period": "week",
                  "discipline": "RN"}]}, "plan_of_care.orders[0].frequency_max"),
    ({"orders": [{"kind": "service", "what": "x", "frequency_min": 1, "frequency_max": 2, "period": "week",
                  "discipline": "nurse"}]}, "plan_of_care.orders[0].discipline"),
    ({"dme_contacts": [{"organization": "DME"}]}, "plan_of_care.dme_contacts[0].phone"),
    ({"options_notice_date": "2025-02-30"}, "plan_of_care.options_notice_date"),
    ({"signed_date": "2025-02-27"}, "plan_of_care.signed_date"),
    ({"colour": "blue"}, "plan_of_care.colour"),
    ({"thresholds": {"heart_rate": {"low": "100", "high": "60"}}}, "plan_of_care.thresholds.heart_rate.high"),
])
def test_bad_plans_name_the_field(bad, field):
    with pytest.raises(CareInputError) as exc:
        plan_from_json(plan_json(**bad))
    assert exc.value.field == field


def test_the_claim_plan_object_reads_as_the_contracts_and_carries_signature_and_review():
    v1 = version(1, signed="2025-02-27", reviewed=["2025-04-01"])
    out = claim_plan_of_care([v1], D("2025-04-02"))
    assert out["signed_date"] == "2025-02-27" and out["last_reviewed"] == "2025-04-01"
    assert out["last_changed"] == "2025-02-20"
    claim = claim_from_json({"claim_id": "C1", "supplier": {"npi": "1234567893"}, "beneficiary": {"mbi": "1EG4TE5MK73"},
                             "plan_of_care": out, "lines": [{"line": 1, "hcpcs": "G0069", "units": 1,
                                                             "service_date": "2025-04-02", "charge": 0}]})
    assert claim.plan_of_care.signed_date == D("2025-02-27")
    contact_only = version(2, signed=None, effective="2025-04-05", last_changed="2025-04-05",
                           dme_contacts=[{"organization": "Other", "email": "dme@example.org"}])
    carried = claim_plan_of_care([v1, contact_only], D("2025-04-06"))
    assert carried["signed_date"] == "2025-02-27" and carried["last_changed"] == "2025-02-20"  # POC-4 holds
    dosage = version(2, signed=None, effective="2025-04-05", last_changed="2025-04-05", dosage="12 g")
    assert "signed_date" not in claim_plan_of_care([v1, dosage], D("2025-04-06"))
    assert claim_plan_of_care([v1], D("2025-02-19")) is None

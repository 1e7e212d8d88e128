"""Visits: what a supplier records, checked field by field (FAQ 7, 12-13, 24)."""

from __future__ import annotations

import pytest

from hitbenefit.care.fields import CareInputError
from hitbenefit.care.visits import TRAINING_TOPICS, training_topics_in_force, visit_from_json, with_drug_categories
from tests.care.conftest import D

VISIT = {"visit_date": "2025-03-03", "supplier_npi": "1234567893", "mbi": "1EG4TE5MK73",
         "clinician_name": "Synthetic Nurse", "discipline": "RN", "hit_minutes": 95, "home_health_minutes": 30,
         "drugs": [{"hcpcs": "J1559"}], "services": ["nursing", "drug_administration"],
         "training_topics": ["vascular_access_device_care", "self_monitoring"]}


def test_a_visit_gives_the_claim_lines_visit_object():
    visit = visit_from_json(VISIT)
    line = visit.line_visit()
    assert (line.in_person, line.drug_administered, line.minutes, line.hh_minutes) == (True, True, 95, 30)
    assert "training" in visit.services  # the topics imply the service (FAQ 13)
    remote = visit_from_json({**VISIT, "mode": "remote", "drugs": [], "home_health_minutes": 0,
                              "services": ["monitoring"], "training_topics": []})
    assert remote.line_visit().in_person is False and remote.line_visit().drug_administered is False


def test_drug_categories_come_from_the_home_infusion_drug_list(params):
    visit = with_drug_categories(visit_from_json({**VISIT, "drugs": ["J1559", "J9999"]}), params)
    assert visit.drugs[0].category == 2 and "Hizentra" in visit.drugs[0].name
    assert visit.drugs[1].category is None  # not on the list: left unknown


def test_the_training_topics_parameter_lists_exactly_faq_13s_topics(params):
    topics = training_topics_in_force(params, D("2025-01-01"))
    assert tuple(topics) == TRAINING_TOPICS
    assert params.entry("care_training_topics", D("2025-01-01")).confidence == "P"


def test_a_supplier_key_fills_in_its_own_npi_and_refuses_another():
    data = {k: v for k, v in VISIT.items() if k != "supplier_npi"}
    assert visit_from_json(data, supplier_npi="1234567893").supplier_npi == "1234567893"
    with pytest.raises(CareInputError) as exc:
        visit_from_json(VISIT, supplier_npi="1999999999")
    assert exc.value.field == "supplier_npi"


@pytest.mark.parametrize("change, field", [
    ({"visit_date": "2025-13-01"}, "visit_date"),
    ({"visit_date": None}, "visit_date"),
    ({"visit_date": "1899-03-03"}, "visit_date"),
    ({"discipline": "nurse"}, "discipline"),
    ({"mode": "video"}, "mode"),
    ({"hit_minutes": -5}, "hit_minutes"),
    ({"hit_minutes": "90"}, "hit_minutes"),
    ({"home_health_minutes": 1400}, "home_health_minutes"),
    ({"clinician_npi": "12345"}, "clinician_npi"),
    ({"clinician_name": "  "}, "clinician_name"),
    ({"drugs": [{"hcpcs": "hizentra"}]}, "drugs[0].hcpcs"),
    ({"drugs": [{"hcpcs": "J1559", "category": 4}]}, "drugs[0].category"),
    ({"services": ["massage"]}, "services[0]"),
    ({"training_topics": ["medication", "cooking"]}, "training_topics[1]"),
    ({"mode": "remote"}, "home_health_minutes"),
    ({"mode": "remote", "home_health_minutes": 0}, "drugs"),
    ({"supplier_npi": "12"}, "supplier_npi"),
    ({"shoe_size": 9}, "shoe_size"),
])
def test_a_bad_visit_names_the_field(change, field):
    with pytest.raises(CareInputError) as exc:
        visit_from_json({**VISIT, **change})
    assert exc.value.field == field
    assert str(exc.value).startswith(f"field {field}: ")

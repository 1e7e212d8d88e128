"""Which benefit pays for a visit (FAQ 7, 8, 9, 18, 26): each answer with its reason key and
citations, through the function, the command line and the API."""

from __future__ import annotations

import json
from datetime import date

import pytest
from typer.testing import CliRunner

from hitbenefit.care.fields import CareInputError
from hitbenefit.care.which_benefit import (BOTH_SPLIT, HH_PPS, HIT, MEDICARE_ADVANTAGE, NOT_COVERED, PART_D,
                                           Situation, situation_from_json, which_benefit)
from hitbenefit.cli.main import app
from hitbenefit.parameters.load import bundled_parameters

DAY = date(2025, 3, 3)
PARAMS = bundled_parameters()


def answer(**facts):
    return which_benefit(Situation(DAY, **facts), PARAMS)


@pytest.mark.parametrize("facts, benefit, key, cites", [
    # FAQ 7 ¶3: an HHA also enrolled as a HIT supplier, a visit only to give the home infusion drug
    ({"drug_code": "J1559", "hit_minutes": 60, "furnished_by_hha": True}, HIT, "HIT", "FAQ 7"),
    ({"drug_code": "J2260", "hit_minutes": 60}, HIT, "HIT", "FAQ 20"),
    # FAQ 7 ¶2: home health services in addition to, and separate from, HIT: both claims, time split
    ({"drug_code": "J1559", "hit_minutes": 45, "home_health_minutes": 30, "furnished_by_hha": True},
     BOTH_SPLIT, "HH_AND_HIT_SPLIT", "FAQ 7"),
    ({"drug_code": "J1559", "home_health_minutes": 30, "furnished_by_hha": True, "hit_minutes": None},
     HH_PPS, "HH_VISIT_UNRELATED", "FAQ 7"),
    # FAQ 7 ¶1 (second sentence) and FAQ 18: not a home infusion drug, patient eligible for home health
    ({"drug_code": "J0290", "under_home_health_plan": True, "homebound": True}, HH_PPS,
     "HH_NOT_HOME_INFUSION_DRUG", "FAQ 18"),
    # FAQ 18: not a home infusion drug and no home health: the drug may be Part D
    ({"drug_code": "J0290"}, PART_D, "NOT_HOME_INFUSION_DRUG", "FAQ 18"),
    ({"drug_code": "J0290", "under_home_health_plan": True, "homebound": False}, PART_D, "NOT_HOME_INFUSION_DRUG",
     "RULES COV-2, ELIG-6"),
    ({"drug_code": "J1559", "self_administered": True}, PART_D, "NOT_HOME_INFUSION_DRUG", "FAQ 15"),
    ({"drug_code": "J2260", "through_dme_pump": False}, PART_D, "NOT_HOME_INFUSION_DRUG", "FAQ 18"),
    # FAQ 15: insulin pump systems are excluded by statute; the pump and insulin stay DME
    ({"drug_code": "J1817"}, NOT_COVERED, "NOT_HOME_INFUSION_DRUG", "SSA §1861(iii)(3)(C)"),
    ({"drug_code": "J7799", "drug_name": "insulin lispro"}, NOT_COVERED, "NOT_HOME_INFUSION_DRUG", "FAQ 15"),
    # FAQ 26: a Medicare Advantage member: bill the plan
    ({"drug_code": "J1559", "medicare_advantage": True}, MEDICARE_ADVANTAGE, "MEDICARE_ADVANTAGE", "FAQ 26"),
    # FAQ 14, 19-21: a remote contact or a visit without a drug is not an infusion day
    ({"in_person": False}, NOT_COVERED, "NOT_INFUSION_DAY", "FAQ 14"),
    ({"drug_code": "J1559", "drug_administered": False}, NOT_COVERED, "NOT_INFUSION_DAY", "FAQ 20"),
    ({"drug_code": "J1559", "part_b": False}, NOT_COVERED, "NOT_PART_B", "FAQ 6"),
    ({"drug_code": "J1559", "institutional_stay": "snf"}, NOT_COVERED, "NOT_HOME", "RULES DEF-4, INST-1"),
    ({"drug_code": "J1559", "qualified_hit_supplier": False}, NOT_COVERED, "NOT_QUALIFIED_SUPPLIER", "FAQ 3"),
])
def test_each_answer_has_its_reason_and_citation(facts, benefit, key, cites):
    found = answer(**facts)
    assert (found.benefit, found.key) == (benefit, key)
    assert cites in found.citations
    assert found.confidence in ("P", "S", "I", "U")


def test_the_split_gives_the_minutes_of_each_benefit():
    found = answer(drug_code="J1559", hit_minutes=45, home_health_minutes=30, furnished_by_hha=True)
    assert (found.hit_minutes, found.home_health_minutes) == (45, 30)
    assert found.hit_billable


def test_an_hha_not_enrolled_as_hit_supplier_must_give_the_notice():
    alone = answer(drug_code="J1559", hit_minutes=60, furnished_by_hha=True, qualified_hit_supplier=False)
    assert (alone.benefit, alone.key) == (NOT_COVERED, "HHA_NOT_HIT_SUPPLIER")
    assert "no longer covered under your Medicare home health benefit" in alone.notice
    assert "qualified home infusion therapy supplier" in alone.notice
    assert "FAQ 8" in alone.notice_reference and "FAQ 9" in alone.citations
    with_hh = answer(drug_code="J1559", hit_minutes=60, home_health_minutes=20, furnished_by_hha=True,
                     qualified_hit_supplier=False)
    assert (with_hh.benefit, with_hh.home_health_minutes) == (HH_PPS, 20) and with_hh.notice == alone.notice


def test_a_named_noc_drug_takes_its_category_and_an_unknown_one_is_left_to_the_contractor():
    assert answer(drug_code="J7799", drug_name="Xembify", hit_minutes=30).drug_category == 2
    unknown = answer(drug_code="J7799", drug_name="new drug x", hit_minutes=30)
    assert unknown.benefit == HIT and unknown.drug_category is None and "FAQ 17" in unknown.reason


def test_before_the_benefit_began_nothing_is_paid_under_it():
    found = which_benefit(Situation(date(2020, 12, 31), drug_code="J1559", hit_minutes=30), PARAMS)
    assert (found.benefit, found.key) == (NOT_COVERED, "BEFORE_BENEFIT")


def test_a_bad_situation_names_the_field():
    with pytest.raises(CareInputError, match="field institutional_stay"):
        situation_from_json({"service_date": "2025-03-03", "institutional_stay": "hotel"})
    with pytest.raises(CareInputError, match="field medicare_advantage"):
        situation_from_json({"service_date": "2025-03-03", "medicare_advantage": "yes"})
    with pytest.raises(CareInputError, match="field colour"):
        situation_from_json({"service_date": "2025-03-03", "colour": 1})


def test_the_command_line_answers_from_flags_and_from_a_file(tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["which-benefit", "--date", "2025-03-03", "--drug", "J1559", "--hit-minutes", "45",
                                 "--hh-minutes", "30", "--hha", "--format", "json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert found["benefit"] == "BOTH_SPLIT" and found["minutes"] == {"hit": 45, "home_health": 30}
    situation = tmp_path / "s.json"
    situation.write_text(json.dumps({"service_date": "2025-03-03", "drug_code": "J1559", "furnished_by_hha": True,
                                     "qualified_hit_supplier": False, "hit_minutes": 60}))
    text = runner.invoke(app, ["which-benefit", "--situation", str(situation)])
    assert text.exit_code == 0
    assert text.stdout.startswith("NOT_COVERED (HHA_NOT_HIT_SUPPLIER") and "Notice the agency must give" in text.stdout
    situation.write_text(json.dumps({"service_date": "03/03/2025"}))
    bad = runner.invoke(app, ["which-benefit", "--situation", str(situation)])
    assert bad.exit_code == 2 and "field service_date" in bad.stderr and "Traceback" not in bad.output

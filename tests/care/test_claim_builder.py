"""The claim builder (care/claim_builder.py): units from minutes, initial versus subsequent at 60 and
61 days, JB and NOC names on the drug lines, visits that cannot be billed; and the API flows
(POST /v1/dispensing, /v1/claims:build, /v1/benefit:which) on the store. Data here is SYNTHETIC."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from hitbenefit.care.claim_builder import (Patient, SupplierProfile, build_month, patient_from_json, profile_from_json,
                                           visit_units)
from hitbenefit.care.dispensing import DispensingRecord, dispensing_from_json, read_dispensing_csv
from hitbenefit.care.fields import CareInputError
from hitbenefit.care.visits import DrugGiven, Visit
from hitbenefit.claims.history import BeneficiaryHistory
from hitbenefit.claims.model import Beneficiary, Period, Supplier
from hitbenefit.service import load_tables
from tests.api.conftest import auth, client, keys, store  # noqa: F401
from tests.store.conftest import databases, db_url, new_mbi, tables  # noqa: F401

TABLES = load_tables()
PARAMS = TABLES.params
NPI = "1234567893"
MBI = "9SY0B00BB01"
MARCH = date(2025, 3, 1)
PROFILE = SupplierProfile(Supplier(NPI, "D6"), {"G0068": Decimal("300.00"), "G0069": Decimal("300.00"),
                                                 "G0070": Decimal("300.00"), "G0088": Decimal("400.00"),
                                                 "G0089": Decimal("400.00"), "G0090": Decimal("400.00")})


def visit(day: date, minutes: int = 60, drugs=("J1559",), mbi: str = MBI, **more) -> Visit:
    return Visit(visit_date=day, supplier_npi=NPI, mbi=mbi, clinician_name="Synthetic Nurse", discipline="RN",
                 hit_minutes=minutes, drugs=tuple(d if isinstance(d, DrugGiven) else DrugGiven(d) for d in drugs),
                 **more)


def dispensed(day: date, code: str = "J1559", name: str | None = None, mbi: str = MBI) -> DispensingRecord:
    return DispensingRecord(mbi, day, code, Decimal(10), drug_name=name)


def build(visits, dispensing=(), history=None, patients=None, profile=PROFILE):
    return build_month(visits, dispensing, history or {}, {}, profile, MARCH, TABLES, patients)


def g_lines(result):
    return [(ln.hcpcs, ln.service_date, int(ln.units)) for c in result.claims for ln in c.claim.lines
            if ln.hcpcs.startswith("G")]


@pytest.mark.parametrize("minutes, units", [(1, 1), (14, 1), (15, 1), (16, 2), (30, 2), (31, 3), (120, 8),
                                            (1440, 96)])
def test_units_count_every_15_minutes_begun(minutes, units):
    assert visit_units(minutes, MARCH, PARAMS) == units


def test_the_engine_agrees_with_the_units_built_from_minutes():
    result = build([visit(date(2025, 3, d), m) for d, m in ((3, 16), (10, 31), (17, 15))], [dispensed(MARCH)])
    assert [u for _, _, u in g_lines(result)] == [2, 3, 1]
    keys = {r.key for c in result.claims for line in c.decision.lines for r in line.reasons}
    assert "UNITS_MINUTES_MISMATCH" not in keys and "INVALID_UNITS" not in keys


def test_no_minutes_recorded_bills_the_minimum_and_says_so():
    result = build([visit(date(2025, 3, 3), 0)], [dispensed(MARCH)])
    assert g_lines(result) == [("G0089", date(2025, 3, 3), 1)]
    assert [n.key for n in result.notes] == ["MINUTES_NOT_RECORDED"]


@pytest.mark.parametrize("gap, code", [(60, "G0069"), (61, "G0089")])
def test_initial_visit_again_only_after_60_days(gap, code):
    day = date(2025, 3, 10)
    past = BeneficiaryHistory()
    past.add_visit(day - timedelta(days=gap), 1)  # any category counts (RULES VIS-3)
    result = build([visit(day)], [dispensed(day)], {MBI: past})
    assert g_lines(result) == [(code, day, 4)]
    keys = {r.key for line in result.claims[0].decision.lines for r in line.reasons}
    assert not keys & {"INITIAL_WITHIN_60_DAYS", "INITIAL_VISIT_AVAILABLE"}
    assert result.claims[0].decision.status == "paid"


def test_category_2_drugs_carry_jb_and_noc_drugs_their_name():
    result = build([visit(date(2025, 3, 3), drugs=(DrugGiven("J7799", "Hizentra"), "J2260"))],
                   [dispensed(date(2025, 3, 2), "J7799", "Hizentra"), dispensed(date(2025, 3, 2), "J2260")])
    lines = {ln.hcpcs: ln for ln in result.claims[0].claim.lines}
    assert lines["J7799"].modifiers == ("JB",) and lines["J7799"].drug_name == "Hizentra"
    assert lines["J2260"].modifiers == () and lines["J2260"].drug_name is None
    assert lines["J2260"].charge == Decimal("0.00")
    assert sorted(g[0] for g in g_lines(result)) == ["G0088", "G0089"]  # two categories, one initial day
    assert result.claims[0].ready


def test_a_drug_dispensed_more_than_30_days_before_is_not_enough():
    day = date(2025, 3, 31)
    result = build([visit(day)], [dispensed(day - timedelta(days=31))])
    assert result.claims == []
    assert [(n.key, n.kind) for n in result.notes] == [("NO_QUALIFYING_DRUG", "not_billable")]
    on_the_edge = build([visit(day)], [dispensed(day - timedelta(days=30))])
    assert len(on_the_edge.claims) == 1 and on_the_edge.claims[0].ready


def test_visits_that_cannot_be_billed_say_why():
    ma = Patient(Beneficiary(MBI, medicare_advantage=(Period(date(2025, 1, 1), None),)))
    result = build([visit(date(2025, 3, 3))], [dispensed(MARCH)], patients={MBI: ma})
    assert result.claims == [] and [(n.key, n.benefit) for n in result.notes] == [
        ("MEDICARE_ADVANTAGE", "MEDICARE_ADVANTAGE")]
    antibiotic = build([visit(date(2025, 3, 3), drugs=("J0290",))], [dispensed(MARCH, "J0290")])
    assert [(n.key, n.benefit) for n in antibiotic.notes] == [("NOT_HOME_INFUSION_DRUG", "PART_D")]
    no_drug = build([visit(date(2025, 3, 3), drugs=())], [dispensed(MARCH)])
    assert [n.key for n in no_drug.notes] == ["NOT_INFUSION_DAY"]
    unknown = build([visit(date(2025, 3, 3), drugs=(DrugGiven("J7799", "Newdrug"),))],
                    [dispensed(MARCH, "J7799", "Newdrug")])
    assert [n.key for n in unknown.notes] == ["NOC_CATEGORY_UNKNOWN"]


def test_only_the_suppliers_visits_in_the_month_are_built():
    other = Visit(visit_date=date(2025, 3, 3), supplier_npi="1000000004", mbi=MBI, clinician_name="X",
                  discipline="RN", hit_minutes=30, drugs=(DrugGiven("J1559"),))
    result = build([other, visit(date(2025, 4, 1)), visit(date(2025, 2, 28))], [dispensed(date(2025, 2, 28))])
    assert result.claims == [] and result.notes == []


def test_claim_ids_are_stable_and_carry_no_mbi():
    first = build([visit(date(2025, 3, 3))], [dispensed(MARCH)])
    again = build([visit(date(2025, 3, 3))], [dispensed(MARCH)])
    assert first.claims[0].claim.claim_id == again.claims[0].claim.claim_id
    assert MBI not in first.claims[0].claim.claim_id and len(first.claims[0].claim.claim_id) <= 38


def test_bad_records_name_the_field():
    with pytest.raises(CareInputError, match="field drug_name"):
        dispensing_from_json({"mbi": MBI, "dispensed_date": "2025-03-01", "hcpcs": "J7799", "units": 1})
    with pytest.raises(CareInputError, match="field hcpcs"):
        dispensing_from_json({"mbi": MBI, "dispensed_date": "2025-03-01", "hcpcs": "G0068", "units": 1})
    records, errors = read_dispensing_csv("mbi,dispensed_date,hcpcs,units\nX,2025-03-01,J1559,4\nX,2025-13-01,J1559,4\n",
                                          "d.csv")
    assert len(records) == 1 and len(errors) == 1 and errors[0].startswith("d.csv, row 3, field dispensed_date: ")
    with pytest.raises(CareInputError, match="field supplier.charges.G0068"):
        profile_from_json({"supplier": {"npi": NPI}, "charges": {"G0068": "1.234"}})
    with pytest.raises(CareInputError, match="patient.beneficiary.part_b"):
        patient_from_json({"beneficiary": {"mbi": MBI, "part_b": "yes"}})


def test_a_dispensing_csv_row_too_wide_or_unreadable_is_named():
    """Found 2026-12-08: extra cells read as "field None", and a huge field ended in csv.Error's traceback."""
    header = "mbi,dispensed_date,hcpcs,units\n"
    records, errors = read_dispensing_csv(header + f"{MBI},2025-03-01,J1559,4,extra\n{MBI},2025-03-02,J1559,4\n",
                                          "d.csv")
    assert len(records) == 1 and errors == ["d.csv, row 2: more cells than the header's 4 columns"]
    huge = '"' + "x" * 200_000 + '"'  # over the csv module's field size limit
    records, errors = read_dispensing_csv(header + f"{MBI},2025-03-01,J1559,4\n{huge},2025-03-01,J1559,4\n", "d.csv")
    assert len(records) == 1 and errors == ["d.csv, row 3: not readable CSV (field larger than field limit (131072))"]


# ---- API ------------------------------------------------------------------------------------------
def test_api_dispensing_build_and_which_benefit(client, keys):  # noqa: F811
    from hitbenefit.store.care import record_visit

    key, npi = keys.supplier()
    mbi = new_mbi()
    store_ = client.app.state.store
    from hitbenefit.store import Principal
    record_visit(store_, Visit(visit_date=date(2025, 3, 3), supplier_npi=npi, mbi=mbi, clinician_name="Synthetic",
                               discipline="RN", hit_minutes=50, drugs=(DrugGiven("J1559"),)),
                 Principal(None, "supplier", npi))
    record_visit(store_, Visit(visit_date=date(2025, 3, 4), supplier_npi=npi, mbi=mbi, clinician_name="Synthetic",
                               discipline="RN", mode="remote", hit_minutes=10), Principal(None, "supplier", npi))
    body = {"records": [{"mbi": mbi, "dispensed_date": "2025-03-01", "hcpcs": "J1559", "units": 40}]}
    made = client.post("/v1/dispensing", json=body, headers=auth(key))
    assert made.status_code == 201 and made.json()["records"][0]["created"] is True
    assert client.post("/v1/dispensing", json=body, headers=auth(key)).status_code == 200
    bad = client.post("/v1/dispensing", json={"mbi": mbi, "dispensed_date": "2025-03-01", "hcpcs": "J7799", "units": 1},
                      headers=auth(key))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "drug_name"

    built = client.post("/v1/claims:build", json={"month": "2025-03"}, headers=auth(key))
    assert built.status_code == 200, built.text
    out = built.json()
    lines = out["claims"][0]["claim"]["lines"]
    assert [(ln["hcpcs"], ln["units"], ln["modifiers"]) for ln in lines] == [("J1559", 40, ["JB"]), ("G0089", 4, [])]
    assert out["claims"][0]["decision"]["lines"][1]["visit_type"] == "initial"
    assert [(n["date"], n["key"]) for n in out["not_billable"]] == [("2025-03-04", "NOT_INFUSION_DAY")]

    other, other_npi = keys.supplier()
    assert client.post("/v1/claims:build", json={"month": "2025-03", "supplier": npi},
                       headers=auth(other)).status_code == 403
    assert client.post("/v1/claims:build", json={"month": "2025-3"}, headers=auth(key)).status_code == 422
    assert client.post("/v1/claims:build", json={"month": "2025-03"},
                       headers=auth(keys.analyst())).status_code == 403

    which = client.post("/v1/benefit:which", json={"service_date": "2025-03-03", "drug_code": "J1559",
                                                   "medicare_advantage": True}, headers=auth(key))
    assert which.status_code == 200 and which.json()["benefit"] == "MEDICARE_ADVANTAGE"
    assert "FAQ 26" in which.json()["citations"]
    wrong = client.post("/v1/benefit:which", json={"service_date": "2025-03-03", "hit_minutes": -1},
                        headers=auth(key))
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "hit_minutes"

"""Acceptance: a month of visits (tests/care/data/month/march-2025.json, SYNTHETIC) turns into exactly
the claims and notes a careful biller would produce, end to end: plans, visits and prior claims in
the store (SQLite and PostgreSQL), dispensing records imported with the command line, the month
built with ``hitbenefit claims build``, and the 837P it writes valid against the guide (pyx12).

What a careful biller produces, and the rule behind each line:

- Patient A (SCIG, J1559, new patient): 3/3 is the initial visit, G0089 (FAQ 24), 120 min = 8 units;
  3/10 G0069 50 min = 4 units; 3/12 was a remote call: not an infusion day (FAQ 14, 19-21), not
  billed; 3/17 G0069 35 min = 3 units; each drug line J1559 with JB (RULES DRUG-4) at $0.00 (paid
  under DME, FAQ 4). The plan changed on 3/20 (dose) and is not re-signed: the 3/24 visit (G0069,
  4 units) goes on its own claim, held by the engine as PLAN_NOT_SIGNED (FAQ 10 C, 11).
- Patient B (milrinone J2260): last HIT visit 2025-01-01, 61 days before 3/3: initial again, G0088
  (FAQ 24, "day 61"), 75 min = 5 units; 3/5 G0068, 30 min = 2 units.
- Patient C (treprostinil J3285, category 1, and fluorouracil J9190, category 3, both on 3/11,
  95 min): one G-code line per category (FAQ 19, 25), G0068 and G0070, 7 units each; subsequent for
  both, because a HIT visit (2/20) is in the 60 days before, whatever its category (RULES VIS-3).
- Patient D, seen by an HHA also enrolled as a HIT supplier: 3/6 45 HIT minutes and 30 home health
  minutes: G0089 (initial) 3 units with hh_minutes 30, the home health time billed on the HH claim
  (FAQ 7); the NOC drug J7799 with JB and its name "Xembify" (FAQ 17). 3/13 was home health only
  (no HIT minutes): HH PPS, not on the HIT claim (FAQ 7).
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hitbenefit.care.plan import plan_from_json
from hitbenefit.care.visits import visit_from_json
from hitbenefit.claims.read_json import claim_from_json
from hitbenefit.cli.main import app
from hitbenefit.store import SYSTEM_CONTRACTOR, Principal, Store
from hitbenefit.store.care import add_care_version, create_care_plan, list_visits, record_visit
from tests.store.conftest import databases, tables  # noqa: F401 - the store's SQLite/PostgreSQL fixtures
from tests.x12.test_write_837 import pyx12_errors

MONTH = json.loads((Path(__file__).parent / "data/month/march-2025.json").read_text(), parse_float=Decimal)
A, B, C, D = (f"9SY0A00AA0{n}" for n in range(1, 5))

# (hcpcs, date, units, modifiers, drug name, line status) per claim, in line order
EXPECTED_PHARMACY = {
    (A, "paid"): [("J1559", "2025-03-01", 40, ["JB"], None, "informational"),
                  ("G0089", "2025-03-03", 8, [], None, "paid"),
                  ("G0069", "2025-03-10", 4, [], None, "paid"),
                  ("J1559", "2025-03-15", 40, ["JB"], None, "informational"),
                  ("G0069", "2025-03-17", 3, [], None, "paid")],
    (A, "rejected"): [("J1559", "2025-03-15", 40, ["JB"], None, "informational"),
                      ("G0069", "2025-03-24", 4, [], None, "rejected")],
    (B, "paid"): [("J2260", "2025-03-02", 10, [], None, "informational"),
                  ("G0088", "2025-03-03", 5, [], None, "paid"),
                  ("G0068", "2025-03-05", 2, [], None, "paid")],
    (C, "paid"): [("J3285", "2025-03-10", 2, [], None, "informational"),
                  ("J9190", "2025-03-10", 5, [], None, "informational"),
                  ("G0068", "2025-03-11", 7, [], None, "paid"),
                  ("G0070", "2025-03-11", 7, [], None, "paid")],
}
EXPECTED_HHA = {
    (D, "paid"): [("J7799", "2025-03-05", 32, ["JB"], "Xembify", "informational"),
                  ("G0089", "2025-03-06", 3, [], None, "paid")],
}


def seed(store: Store, tables) -> None:  # noqa: F811
    npis = {name: s["supplier"]["npi"] for name, s in MONTH["suppliers"].items()}
    for raw in MONTH["prior_claims"]:
        store.submit_claim(claim_from_json(raw), SYSTEM_CONTRACTOR, tables)
    plan_ids = {}
    for name, spec in MONTH["plans"].items():
        principal = Principal(None, "supplier", npis[spec["supplier"]])
        record = None
        for number, version in enumerate(spec["versions"], start=1):
            plan = plan_from_json(version["plan_of_care"])
            if number == 1:
                record = create_care_plan(store, spec["mbi"], plan, principal)
            else:
                add_care_version(store, record.plan.plan_id, plan, principal)
            if version["signed"]:
                store.sign_plan_version(record.plan.plan_id, number, "Dr Synthetic Physician",
                                        date.fromisoformat(version["signed"]), principal)
        plan_ids[name] = record.plan.plan_id
    for raw in MONTH["visits"]:
        supplier = MONTH["plans"][raw["plan"]]["supplier"]
        body = {k: v for k, v in raw.items() if k != "plan"}
        visit = visit_from_json({**body, "plan_id": plan_ids[raw["plan"]], "supplier_npi": npis[supplier]})
        record_visit(store, visit, Principal(None, "supplier", npis[supplier]))


@pytest.fixture
def month_db(databases, tables, tmp_path):  # noqa: F811
    url = databases.new_url()
    with Store.open(url) as store:
        seed(store, tables)
    (tmp_path / "patients.json").write_text(json.dumps(MONTH["patients"], default=str))
    for name, profile in MONTH["suppliers"].items():
        (tmp_path / f"{name}.json").write_text(json.dumps(profile, default=str))
        (tmp_path / f"{name}-dispensing.csv").write_text(MONTH["dispensing_csv"][name])
    return url, tmp_path


def run(*args: str):
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result


def lines_of(built: dict) -> dict:
    out = {}
    for item in built["claims"]:
        claim, decision = item["claim"], item["decision"]
        key = (claim["beneficiary"]["mbi"], decision["status"])
        assert key not in out
        out[key] = [(ln["hcpcs"], ln["service_date"], ln["units"], ln["modifiers"], ln["drug_name"], d["status"])
                    for ln, d in zip(claim["lines"], decision["lines"])]
    return out


def reasons(built: dict, mbi: str, status: str) -> dict[str, set[str]]:
    for item in built["claims"]:
        if item["claim"]["beneficiary"]["mbi"] == mbi and item["decision"]["status"] == status:
            return {f'{d["hcpcs"]}@{ln["service_date"]}': {r["key"] for r in d["reasons"]}
                    for ln, d in zip(item["claim"]["lines"], item["decision"]["lines"])}
    raise AssertionError(f"no {status} claim for {mbi}")


def test_a_month_of_visits_becomes_the_claims_a_careful_biller_sends(month_db):
    url, files = month_db
    imported = run("dispensing", "import", str(files / "pharmacy-dispensing.csv"), "--supplier", "1234567893",
                   "--db", url)
    assert imported.exit_code == 0, imported.output
    assert "5 records, 5 stored" in imported.output
    again = run("dispensing", "import", str(files / "pharmacy-dispensing.csv"), "--supplier", "1234567893", "--db", url)
    assert "5 records, 0 stored, 5 already stored" in again.output

    result = run("claims", "build", "--month", "2025-03", "--profile", str(files / "pharmacy.json"),
                 "--patients", str(files / "patients.json"), "--db", url, "--format", "json")
    assert result.exit_code == 0, result.output
    built = json.loads(result.stdout)
    assert lines_of(built) == EXPECTED_PHARMACY

    held = reasons(built, A, "rejected")
    assert "PLAN_NOT_SIGNED" in held["G0069@2025-03-24"]
    paid = reasons(built, A, "paid")
    assert paid["G0089@2025-03-03"] == set() and paid["J1559@2025-03-01"] == {"DRUG_PAID_UNDER_DME"}
    assert reasons(built, B, "paid")["G0088@2025-03-03"] == set()  # day 61: the initial visit is allowed
    assert all(not keys for code, keys in reasons(built, C, "paid").items() if code.startswith("G"))
    assert [c["ready"] for c in built["claims"]] == [True, False, True, True]
    plans = [c["claim"]["plan_of_care"] for c in built["claims"]]
    assert plans[0]["signed_date"] == "2025-02-27" and plans[0]["dosage"] == "10 g"
    assert "signed_date" not in plans[1] or plans[1]["signed_date"] is None
    assert plans[1]["dosage"] == "12 g"

    assert [(n["date"], n["key"], n["benefit"]) for n in built["not_billable"]] == [
        ("2025-03-12", "NOT_INFUSION_DAY", "NOT_COVERED")]
    assert "FAQ 14" in built["not_billable"][0]["citations"]
    assert built["notes"] == []

    table = run("claims", "build", "--month", "2025-03", "--profile", str(files / "pharmacy.json"),
                "--patients", str(files / "patients.json"), "--db", url, "--format", "table")
    assert table.exit_code == 0 and "rejected - HELD" in table.stdout and "PLAN_NOT_SIGNED" in table.stdout
    assert "NOT_INFUSION_DAY" in table.stdout and "$" in table.stdout


def test_an_hha_visit_splits_its_time_and_a_home_health_only_visit_is_not_billed(month_db):
    url, files = month_db
    assert run("dispensing", "import", str(files / "hha-dispensing.csv"), "--supplier", "1000000004",
               "--db", url).exit_code == 0
    result = run("claims", "build", "--month", "2025-03", "--profile", str(files / "hha.json"),
                 "--patients", str(files / "patients.json"), "--db", url, "--format", "json")
    assert result.exit_code == 0, result.output
    built = json.loads(result.stdout)
    assert lines_of(built) == EXPECTED_HHA
    visit_line = built["claims"][0]["claim"]["lines"][1]
    assert visit_line["visit"] == {"in_person": True, "drug_administered": True, "minutes": 45, "hh_minutes": 30}
    assert [(n["date"], n["key"], n["benefit"]) for n in built["not_billable"]] == [
        ("2025-03-13", "HH_VISIT_UNRELATED", "HH_PPS")]
    assert [(n["date"], n["key"]) for n in built["notes"]] == [("2025-03-06", "HH_AND_HIT_SPLIT")]
    assert "30 home health minutes" in built["notes"][0]["message"]

    with Store.open(url) as store:
        [split] = [r for r in list_visits(store, SYSTEM_CONTRACTOR, mbi=D) if r.visit.home_health_minutes == 30]
    asked = run("which-benefit", "--visit", str(split.id), "--hha", "--home-health-plan", "--homebound", "--db", url,
                "--format", "json")
    assert asked.exit_code == 0, asked.output
    [answer] = json.loads(asked.stdout)
    assert (answer["benefit"], answer["minutes"], answer["drug_category"]) == (
        "BOTH_SPLIT", {"hit": 45, "home_health": 30}, 2)
    missing = run("which-benefit", "--visit", "999999", "--db", url)
    assert missing.exit_code == 2 and "999999" in missing.stderr


def test_the_ready_claims_are_written_as_a_valid_837p_and_the_held_one_is_named(month_db):
    url, files = month_db
    run("dispensing", "import", str(files / "pharmacy-dispensing.csv"), "--supplier", "1234567893", "--db", url)
    out = files / "march.837"
    result = run("claims", "build", "--month", "2025-03", "--profile", str(files / "pharmacy.json"),
                 "--patients", str(files / "patients.json"), "--db", url, "--format", "837", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "held HIT202503-" in result.stderr and "PLAN_NOT_SIGNED" in result.stderr
    assert "not billed 2025-03-12: NOT_INFUSION_DAY" in result.stderr
    text = out.read_text(encoding="latin-1")
    assert pyx12_errors(text) == []
    assert text.count("CLM*") == 3  # A (signed plan), B, C; A's held claim is not sent
    assert "HC:G0089" in text and "HC:J1559:JB" in text and "HC:G0070" in text

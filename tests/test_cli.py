"""The ``hitbenefit`` command as a user runs it (a real process, real files)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples/claims/example-claim.json"
DEMO = ROOT / "examples/claims/demo-month.jsonl"


def hitbenefit(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hitbenefit", *map(str, args)], input=stdin, capture_output=True,
                          text=True, cwd=ROOT, timeout=120)


def decisions(result: subprocess.CompletedProcess) -> list[dict]:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout, parse_float=Decimal)


def claim(**changes) -> dict:
    base = json.loads(EXAMPLE.read_text())
    base.update(changes)
    return base


def test_help_lists_every_command_on_one_line():
    out = hitbenefit("--help").stdout
    for command in ("adjudicate", "explain", "rules", "reasons", "rates", "version"):
        assert any(line.strip().startswith(command + " ") for line in out.splitlines()), command


def test_adjudicate_prints_one_decision_per_claim_in_input_order():
    result = decisions(hitbenefit("adjudicate", DEMO))
    ids = [json.loads(line)["claim_id"] for line in DEMO.read_text().splitlines()]
    assert [d["claim_id"] for d in result] == ids
    by_id = {d["claim_id"]: d for d in result}
    assert by_id["DEMO-B-0320"]["status"] == "rejected"
    assert by_id["DEMO-B-0320"]["lines"][0]["reasons"][0]["key"] == "INITIAL_WITHIN_60_DAYS"
    assert by_id["DEMO-A-0303"]["status"] == "paid"


def test_money_is_printed_as_exact_two_decimal_numbers():
    out = hitbenefit("adjudicate", EXAMPLE).stdout
    assert '"charge": 450.00' in out
    paid = json.loads(out, parse_float=Decimal)[0]["lines"][0]
    assert paid["paid"] + paid["coinsurance"] + paid["deductible"] + paid["sequestration"] == paid["allowed"]


def test_standard_input_and_json_lines_output():
    result = hitbenefit("adjudicate", "-", "--format", "jsonl", stdin=EXAMPLE.read_text())
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()
    assert json.loads(line)["claim_id"] == "HIT-2025-000123"


@pytest.mark.parametrize("change, where", [
    ({"lines": [{"line": 1, "hcpcs": "G0089", "units": 8, "service_date": "2025-03-03", "charge": 450.00,
                 "colour": "red"}]}, "line 1, field colour"),
    ({"lines": [{"line": 1, "hcpcs": "G0089", "units": 8, "service_date": "2025-02-30", "charge": 450.00}]},
     "line 1, field service_date"),
    ({"lines": [{"line": 1, "hcpcs": "G0089", "units": 8, "service_date": "2025-03-03", "charge": 450.001}]},
     "line 1, field charge"),
    ({"supplier": {"specialty": "D6"}}, "field supplier.npi"),
])
def test_bad_input_exits_2_naming_file_claim_line_and_field(tmp_path, change, where):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(claim(**change)))
    result = hitbenefit("adjudicate", path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert f"{path}, record 1, claim HIT-2025-000123, {where}" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreadable_files_exit_2_without_a_traceback(tmp_path):
    missing = hitbenefit("adjudicate", tmp_path / "nope.json")
    assert missing.returncode == 2 and "nope.json" in missing.stderr and "Traceback" not in missing.stderr
    (tmp_path / "broken.json").write_text('{"claim_id": ')
    broken = hitbenefit("adjudicate", tmp_path / "broken.json")
    assert broken.returncode == 2 and "not valid JSON" in broken.stderr


def test_a_bad_record_in_json_lines_is_named_by_its_line(tmp_path):
    good = json.dumps(claim())
    path = tmp_path / "mixed.jsonl"
    path.write_text(good + "\n" + json.dumps(claim(claim_id="X2", payer="medicaid")) + "\n")
    result = hitbenefit("adjudicate", path)
    assert result.returncode == 2
    assert "record 2, claim X2, field payer" in result.stderr


def test_table_format_shows_status_and_reasons():
    out = hitbenefit("adjudicate", DEMO, "--format", "table").stdout
    assert "Claim DEMO-B-0320" in out and "REJECTED" in out and "INITIAL_WITHIN_60_DAYS" in out
    assert "ESTIMATE" in out


def test_explain_gives_reasons_sources_and_every_payment_step():
    out = hitbenefit("explain", DEMO, "--claim-id", "DEMO-B-0305").stdout
    assert "Claim DEMO-B-0305 is paid." in out
    assert "Deductible: $100.00 still owed" in out
    assert "Coinsurance = 20%" in out and "Sequestration 2%" in out and "Paid = " in out
    missing = hitbenefit("explain", DEMO, "--claim-id", "NOPE")
    assert missing.returncode == 2 and "NOPE" in missing.stderr


def test_rules_lists_every_rule_with_an_faq_citation():
    rules = json.loads(hitbenefit("rules", "--format", "json").stdout)
    assert len(rules) >= 25
    assert all(any(c.startswith("FAQ") for c in r["citations"]) for r in rules)
    assert {"VIS-2", "CLM-3", "POC-4", "ELIG-4"} <= {r["id"] for r in rules}


def test_reason_table_in_docs_is_the_generated_one():
    assert hitbenefit("reasons", "--format", "markdown").stdout == (ROOT / "docs/reasons.md").read_text()


def test_supplier_registry_fills_what_the_claim_leaves_out(tmp_path):
    unverified = claim(supplier={"npi": "1234567893"})
    path = tmp_path / "c.json"
    path.write_text(json.dumps(unverified))
    keys = [r["key"] for r in decisions(hitbenefit("adjudicate", path))[0]["lines"][0]["reasons"]]
    assert "SUPPLIER_UNVERIFIED" in keys
    registry = tmp_path / "suppliers.csv"
    registry.write_text("npi,specialty,accreditation_expires,licensed_states\n1234567893,D6,2027-01-01,VA;MD\n")
    keys = [r["key"] for r in decisions(hitbenefit("adjudicate", path, "--suppliers", registry))[0]["lines"][0]["reasons"]]
    assert "SUPPLIER_UNVERIFIED" not in keys
    registry.write_text("npi,specialty,accreditation_expires,licensed_states\n1234567893,A5,,\n")
    line = decisions(hitbenefit("adjudicate", path, "--suppliers", registry))[0]["lines"][0]
    assert line["status"] == "denied" and line["reasons"][0]["key"] == "NOT_QUALIFIED_SUPPLIER"


BIG_FIELD = '"' + "x" * 200_000 + '"'  # over the csv module's field size limit


# Found 2026-12-08: each of these ended in a traceback (UnicodeDecodeError, csv.Error, AttributeError, TypeError).
@pytest.mark.parametrize("option, name, content, says", [
    ("--suppliers", "s.csv", b"npi,specialty,accreditation_expires,licensed_states\n1234567893,D\xff6,,\n",
     "s.csv: not a UTF-8 CSV file ('utf-8' codec can't decode byte 0xff"),
    ("--suppliers", "s.csv",
     f"npi,specialty,accreditation_expires,licensed_states\n1234567893,{BIG_FIELD},,\n".encode(),
     "s.csv: not a UTF-8 CSV file (field larger than field limit (131072))"),
    ("--noc-names", "n.csv", b"name,category\nd\xffrug,1\n", "n.csv: not a UTF-8 CSV file ('utf-8' codec can't decode"),
    ("--noc-names", "n.csv", f"name,category\n{BIG_FIELD},1\n".encode(),
     "n.csv: not a UTF-8 CSV file (field larger than field limit (131072))"),
    ("--noc-names", "n.csv", b"name,category\ndrug\n",
     "n.csv, row 2: field category: must be 1, 2, 3 or excluded, not ''"),
    ("--noc-names", "n.yaml", b"\xff\xfe", "n.yaml: not UTF-8 text ('utf-8' codec can't decode byte 0xff"),
    ("--noc-names", "n.yaml", b"description: x\nentries: 5\n", "n.yaml: entries must be a list, found int"),
])
def test_a_bad_table_file_exits_2_naming_it_without_a_traceback(tmp_path, option, name, content, says):
    path = tmp_path / name
    path.write_bytes(content)
    for command in (("adjudicate", EXAMPLE), ("batch", EXAMPLE, "--out", tmp_path / "out", "--no-progress")):
        result = hitbenefit(*command, option, path)
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-500:]
        assert result.stderr.startswith(f"hitbenefit: {tmp_path / says}"), result.stderr


def test_rates_and_gaf_files_replace_the_bundled_tables(tmp_path):
    rates = tmp_path / "rates.csv"
    rates.write_text("year,locality,hcpcs,amount\n2025,national,G0089,300.00\n")
    gaf = tmp_path / "gaf.csv"
    gaf.write_text("year,locality,gaf\n2025,11302-00,1.1\n")
    result = decisions(hitbenefit("adjudicate", EXAMPLE, "--rates", rates, "--gaf", gaf))[0]
    line = result["lines"][0]
    assert line["allowed"] == Decimal("330.00")
    assert line["coinsurance"] == Decimal("66.00") and line["sequestration"] == Decimal("5.28")
    assert line["paid"] == Decimal("258.72")
    assert result["rates"]["status"] == "official"


def test_fhir_claim_in_and_explanation_of_benefit_out(tmp_path):
    from hitbenefit.claims.read_json import read_claims
    from hitbenefit.fhir import claim_to_fhir, dumps

    (claim,), _ = read_claims(EXAMPLE.read_text(), str(EXAMPLE))
    fhir_claim = tmp_path / "claim.fhir.json"
    fhir_claim.write_text(dumps(claim_to_fhir(claim)))
    assert decisions(hitbenefit("adjudicate", fhir_claim)) == decisions(hitbenefit("adjudicate", EXAMPLE))
    bundle = json.loads(hitbenefit("adjudicate", EXAMPLE, "--format", "fhir").stdout, parse_float=Decimal)
    kinds = sorted(entry["resource"]["resourceType"] for entry in bundle["entry"])
    assert "ExplanationOfBenefit" in kinds and "ClaimResponse" in kinds


X12 = ROOT / "tests/data/x12"


def test_adjudicate_reads_an_837p_file():
    path = X12 / "linuxforhealth-x12/837_005010X222A2/demo.drug.example10.3.837"
    (decision,) = decisions(hitbenefit("adjudicate", path, "--locality", "11302-00"))
    assert decision["claim_id"] == "CLMNO12345"
    by_code = {line["hcpcs"]: line for line in decision["lines"]}
    assert by_code["S9500"]["reasons"][0]["key"] == "DME_ITEM"
    assert by_code["J0696"]["reasons"][0]["key"] == "NOT_HOME_INFUSION_DRUG"


def test_a_broken_837p_exits_2_naming_the_segment():
    path = X12 / "imsweb-x12-parser/837_5010/x12_bad_first_line.txt"
    result = hitbenefit("adjudicate", path)
    assert result.returncode == 2 and result.stdout == ""
    assert "x12_bad_first_line.txt, segment 1 (ISA): ISA02 is 9 characters" in result.stderr
    assert "Traceback" not in result.stderr


def test_835_output_balances_with_the_decisions():
    from hitbenefit.x12.read_835 import read_835

    expected = {d["claim_id"]: d for d in decisions(hitbenefit("adjudicate", DEMO))}
    result = hitbenefit("adjudicate", DEMO, "--format", "835", "--payer-name", "CGS ADMINISTRATORS")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ISA*")
    (remittance,) = list(read_835(io.StringIO(result.stdout), "demo.835"))
    assert remittance.payer_name == "CGS ADMINISTRATORS"
    for claim in remittance.claims:
        assert claim.paid == expected[claim.claim_id]["totals"]["paid"]
    assert remittance.amount == sum(d["totals"]["paid"] for d in expected.values())


def test_adjudicate_with_a_store_uses_and_extends_the_stored_history(tmp_path):
    store = tmp_path / "claims.db"
    first = decisions(hitbenefit("adjudicate", DEMO, "--db", store))
    assert first == decisions(hitbenefit("adjudicate", DEMO))
    assert decisions(hitbenefit("adjudicate", DEMO, "--db", store)) == first  # resubmitted: stored decisions
    later = claim(claim_id="LATER-INITIAL", received_date="2025-03-20")
    for line in later["lines"]:
        line["service_date"] = "2025-03-20"
    path = tmp_path / "later.json"
    path.write_text(json.dumps(later))
    (decision,) = decisions(hitbenefit("adjudicate", path, "--db", store))
    assert decision["lines"][0]["reasons"][0]["key"] == "INITIAL_WITHIN_60_DAYS"  # sees DEMO-A-0303 in the store
    assert decisions(hitbenefit("adjudicate", path))[0]["status"] == "paid"      # without the store it cannot

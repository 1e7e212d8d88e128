"""The 837P writer: contract claims -> 005010X222A1, validated by pyx12 (the reference validator)."""

from __future__ import annotations

import copy
import io
import json
import logging
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from hitbenefit.claims.read_json import read_claims
from hitbenefit.x12.envelope import X12WriteError
from hitbenefit.x12.segments import Delimiters, Segment, iter_segments
from hitbenefit.x12.write_837 import PLACEHOLDERS, claims_to_837, placeholders_used

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples/claims/example-claim.json"
STAMP = datetime(2025, 3, 12, 9, 30)
ARGS = dict(sender_id="SUBMIT01", receiver_id="12202", submitter_name="HIT BILLING CO",
            receiver_name="NOVITAS SOLUTIONS", date_time=STAMP)


def pyx12_errors(text: str) -> list[str]:
    """Every error pyx12 finds in ``text`` (an empty list: the file is valid against its guide)."""
    import pyx12.error_handler
    import pyx12.params
    import pyx12.x12n_document

    logger = logging.getLogger("pyx12")
    records: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage()) if record.levelno >= logging.ERROR else None
    logger.addHandler(handler)
    try:
        fd_json = io.StringIO()
        ok = pyx12.x12n_document.x12n_document(pyx12.params.params(), io.StringIO(text), None, None, None, fd_json)
    finally:
        logger.removeHandler(handler)
    found = []

    def walk(node):
        if isinstance(node, dict):
            for error in node.get("errors", []):
                found.append(error.get("err_str", str(error)))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(fd_json.getvalue() or "{}"))
    errors = found + records
    if not ok and not errors:
        errors.append("pyx12 reported the file invalid")
    return errors


def segments_of(text: str) -> list[Segment]:
    return [segment for segment, _ in iter_segments(io.StringIO(text), "written")]


def base(**changes) -> dict:
    claim = json.loads(EXAMPLE.read_text())
    claim.update(changes)
    return claim


def line(number, hcpcs, charge="450.00", **more) -> dict:
    out = {"line": number, "hcpcs": hcpcs, "units": 8, "service_date": "2025-03-03", "place_of_service": "12",
           "charge": float(charge)}
    out.update(more)
    return out


def batch() -> list[dict]:
    """Two billing providers; provider one has two beneficiaries, one of them with two claims."""
    a1 = base(claim_id="A-1", lines=[line(1, "G0089"), line(2, "J1559", "0", modifiers=["JB"], units=40)])
    a2 = base(claim_id="A-2", lines=[line(1, "G0069", service_date="2025-03-10"),
                                     line(2, "J7799", "0", modifiers=["JB"], units=2, service_date="2025-03-10",
                                          drug_name="Sod Chl 0.9% see NDC"),
                                     line(3, "G0069", service_date="2025-03-17", place_of_service="13")])
    b1 = base(claim_id="B-1", beneficiary={"mbi": "2FH5UF6NL84"}, lines=[line(1, "G0088")])
    c1 = base(claim_id="C-1", supplier={"npi": "1003000126"}, beneficiary={"mbi": "3GJ6VG7PM95"},
              lines=[line(1, "G0090", "612.34", modifiers=["KX", "GY"], units=1.5, service_date="2025-04-01"),
                     line(5, "J7999", "0", drug_name="Drug X 5 mg", service_date="2025-04-01")],
              extra={"x12": {"billing_provider": {"name": "Home IV LLC", "address": ["1500 Industrial Dr", "Suite 2"],
                                                  "city": "Libertyville", "state": "IL", "zip": "60048-1234",
                                                  "tax_id": "10-1234567"},
                             "subscriber": {"last_name": "Smith", "first_name": "Steve", "address": "15 Juliet Ln",
                                            "city": "Libertyville", "state": "IL", "zip": "60048",
                                            "birth_date": "1943-05-01", "gender": "M"},
                             "payer": {"name": "CGS ADMINISTRATORS", "id": "15202"},
                             "diagnosis_codes": ["D80.1", "Z45.2"]}})
    return [a1, a2, b1, c1]


def claims_of(records: list[dict]):
    claims, errors = read_claims("\n".join(json.dumps(r) for r in records), "test.jsonl")
    assert not errors, errors
    return claims


@pytest.fixture(scope="module")
def written() -> str:
    return claims_to_837(claims_of(batch()), **ARGS)


def test_pyx12_finds_no_error(written):
    assert pyx12_errors(written) == []


def test_pyx12_finds_no_error_for_one_minimal_claim_and_for_other_delimiters():
    minimal = {"claim_id": "M", "supplier": {"npi": "1234567893"}, "beneficiary": {"mbi": "1EG4TE5MK73"},
               "lines": [{"line": 1, "hcpcs": "G0089", "units": 1, "service_date": "2025-03-03", "charge": 1}]}
    assert pyx12_errors(claims_to_837(claims_of([minimal]), **ARGS)) == []
    other = Delimiters(element="|", component=">", repetition="!", segment="\\")
    text = claims_to_837(claims_of(batch()), **ARGS, delimiters=other)
    assert pyx12_errors(text) == []
    found = list(iter_segments(io.StringIO(text), "other"))
    assert found[0][1] == other
    same = segments_of(claims_to_837(claims_of(batch()), **ARGS))
    assert [(s.id, tuple(e.replace(">", ":") for e in s.elements)) for s, _ in found[1:]] == \
           [(s.id, s.elements) for s in same[1:]]


def test_the_pyx12_oracle_does_catch_errors(written):
    broken = written.replace("SV1*HC:G0089*450.00*UN*8*12**1~", "SV1*HC:G0089*450.00*UN*8*12~")
    assert broken != written and pyx12_errors(broken)


def test_envelope_counts_and_control_numbers():
    text = claims_to_837(claims_of(batch()), **ARGS, control_number=42)
    found = segments_of(text)
    isa, gs, ge, iea = found[0], found[1], found[-2], found[-1]
    assert isa.get(13) == iea.get(2) == "000000042" and gs.get(6) == ge.get(2) == "42"
    assert len(isa.render(Delimiters())) == 106 and isa.get(6) == "SUBMIT01".ljust(15)
    assert gs.get(1) == "HC" and gs.get(8) == "005010X222A1" and iea.get(1) == "1"
    starts = [i for i, s in enumerate(found) if s.id == "ST"]
    ends = [i for i, s in enumerate(found) if s.id == "SE"]
    assert len(starts) == len(ends) == 2 and ge.get(1) == "2"  # one transaction per billing provider
    for start, end in zip(starts, ends):
        assert int(found[end].get(1)) == end - start + 1
        assert found[end].get(2) == found[start].get(2)
        assert found[start].get(3) == "005010X222A1"


def test_hierarchy_groups_claims_by_subscriber_under_each_billing_provider(written):
    found = segments_of(written)
    hls = [(s.get(1), s.get(2), s.get(3), s.get(4)) for s in found if s.id == "HL"]
    assert hls == [("1", "", "20", "1"), ("2", "1", "22", "0"), ("3", "1", "22", "0"),
                   ("1", "", "20", "1"), ("2", "1", "22", "0")]
    order = [(s.id, s.get(9) if s.id == "NM1" else s.get(1)) for s in found
             if s.id == "CLM" or (s.id == "NM1" and s.get(1) in ("85", "IL"))]
    assert order == [("NM1", "1234567893"), ("NM1", "1EG4TE5MK73"), ("CLM", "A-1"), ("CLM", "A-2"),
                     ("NM1", "2FH5UF6NL84"), ("CLM", "B-1"),
                     ("NM1", "1003000126"), ("NM1", "3GJ6VG7PM95"), ("CLM", "C-1")]


def test_claim_and_line_elements(written):
    found = segments_of(written)
    clm = next(s for s in found if s.id == "CLM" and s.get(1) == "A-2")
    assert clm.elements[:9] == ("A-2", "900.00", "", "", "12:B:1", "Y", "A", "Y", "Y")
    at = found.index(clm)
    body = found[at:at + 14]
    assert [s.id for s in body] == ["CLM", "HI"] + ["LX", "SV1", "DTP", "REF"] * 3
    sv1 = [s for s in body if s.id == "SV1"]
    assert sv1[1].elements[:5] == ("HC:J7799:JB::::Sod Chl 0.9% see NDC", "0.00", "UN", "2", "12")
    assert sv1[2].get(5) == "13" and sv1[2].get(7) == "1"
    assert [s.elements for s in body if s.id == "DTP"][2] == ("472", "D8", "20250317")
    assert [s.get(2) for s in body if s.id == "REF"] == ["1", "2", "3"]
    c1 = [s for s in found[found.index(next(s for s in found if s.id == "CLM" and s.get(1) == "C-1")):]
          if s.id in ("SV1", "REF", "HI")]
    assert c1[0].elements == ("ABK:D801", "ABF:Z452")
    assert c1[1].get(1) == "HC:G0090:KX:GY" and c1[1].get(2) == "612.34" and c1[1].get(4) == "1.5"
    assert c1[3].get(1) == "HC:J7999:::::Drug X 5 mg" and c1[4].get(2) == "5"  # REF*6R = contract line


def test_extra_fills_the_parties_else_placeholders(written):
    found = segments_of(written)
    tx2 = found[[i for i, s in enumerate(found) if s.id == "ST"][1]:]
    ids = {(s.id, s.get(1)): s for s in tx2 if s.id in ("NM1", "REF", "DMG", "N3")}
    assert ids[("NM1", "85")].get(3) == "Home IV LLC" and ids[("REF", "EI")].get(2) == "101234567"
    assert ids[("N3", "1500 Industrial Dr")].get(2) == "Suite 2"
    assert ids[("NM1", "IL")].elements[2:4] == ("Smith", "Steve") and ids[("DMG", "D8")].get(2) == "19430501"
    assert ids[("NM1", "PR")].get(3) == "CGS ADMINISTRATORS" and ids[("NM1", "PR")].get(9) == "15202"
    n4 = [s for s in tx2 if s.id == "N4"]
    assert n4[0].elements == ("Libertyville", "IL", "600481234")
    tx1 = found[:[i for i, s in enumerate(found) if s.id == "SE"][0]]
    nm1 = {s.get(1): s for s in tx1 if s.id == "NM1"}
    assert nm1["85"].get(3) == PLACEHOLDERS.billing_name and nm1["IL"].get(3) == PLACEHOLDERS.subscriber_last_name
    assert nm1["PR"].get(3) == "NOVITAS SOLUTIONS" and nm1["PR"].get(9) == "12202"
    # no address state on the claim: the licensed state (billing) and the locality's state (patient)
    assert {s.get(2) for s in tx1 if s.id == "N4"} == {"VA"}
    used = placeholders_used(claims_of(batch()))
    assert set(used) == {"A-1", "A-2", "B-1"}
    assert "billing_provider.tax_id" in used["A-1"] and "diagnosis_codes" in used["A-1"]
    assert "billing_provider.state" not in used["A-1"]


def test_medicare_advantage_claims_carry_filing_indicator_16():
    text = claims_to_837(claims_of([base(claim_id="MA", payer="medicare-advantage")]), **ARGS)
    assert next(s for s in segments_of(text) if s.id == "SBR").get(9) == "16"
    assert pyx12_errors(text) == []


@pytest.mark.parametrize("change, message", [
    (lambda c: c["lines"][0].update(drug_name="A*B"), "claim HIT-2025-000123: line 1: SV101-7 'A*B' contains the X12 element separator"),
    (lambda c: c["lines"][0].update(drug_name="1:10 dilution"), "component separator"),
    (lambda c: c["lines"][0].update(modifiers=["JB", "KX", "GY", "GA", "59"]), "at most 4"),
    (lambda c: c.update(claim_id="X" * 39), "claim_id (CLM01)"),
    (lambda c: c.update(extra={"subscriber": {"birth_date": "1943/05/01"}}), "not YYYY-MM-DD"),
])
def test_unwritable_values_are_refused_naming_claim_and_field(change, message):
    record = copy.deepcopy(base())
    change(record)
    with pytest.raises(X12WriteError, match=None) as raised:
        claims_to_837(claims_of([record]), **ARGS)
    assert message in str(raised.value)


def test_bad_envelope_arguments_are_refused():
    claims = claims_of([base()])
    with pytest.raises(X12WriteError, match="15"):
        claims_to_837(claims, **{**ARGS, "sender_id": "S" * 16})
    with pytest.raises(X12WriteError, match="control number"):
        claims_to_837(claims, **ARGS, control_number=0)
    with pytest.raises(X12WriteError, match="no claims"):
        claims_to_837([], **ARGS)


def test_round_trip_through_the_837p_reader():
    read_837 = pytest.importorskip("hitbenefit.x12.read_837").read_837
    records = batch()
    records[3]["lines"][1]["line"] = 2  # the reader numbers lines by LX01 (1, 2 ...), not by REF*6R
    originals = claims_of(records)
    written = claims_to_837(originals, **ARGS)
    again = list(read_837(io.StringIO(written), "written.837"))
    assert [c.claim_id for c in again] == [c.claim_id for c in originals]
    for before, after in zip(originals, again):
        assert after.supplier.npi == before.supplier.npi and after.beneficiary.mbi == before.beneficiary.mbi
        assert [(l.line, l.hcpcs, l.modifiers, l.charge, l.units, l.service_date, l.place_of_service, l.drug_name)
                for l in after.lines] == \
               [(l.line, l.hcpcs, l.modifiers, l.charge, l.units, l.service_date, l.place_of_service, l.drug_name)
                for l in before.lines]
        assert after.payer == before.payer


def test_round_trip_keeps_contract_line_numbers_that_are_not_1_2_3(written):
    read_837 = pytest.importorskip("hitbenefit.x12.read_837").read_837
    again = {c.claim_id: c for c in read_837(io.StringIO(written), "written.837")}
    assert [l.line for l in again["C-1"].lines] == [1, 5]


def hitbenefit(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hitbenefit", *map(str, args)], input=stdin, capture_output=True,
                          text=True, cwd=ROOT, timeout=120)


def test_command_writes_a_valid_file_and_warns_about_placeholders(tmp_path):
    claims = tmp_path / "claims.jsonl"
    claims.write_text("\n".join(json.dumps(r) for r in batch()))
    out = tmp_path / "out.837"
    result = hitbenefit("x12", "write-837", claims, "--out", out, "--sender", "SUB1", "--receiver", "12202",
                        "--control-number", "7", "--test")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "placeholder" in result.stderr and result.stderr.count("\n") == 1
    text = out.read_text(encoding="latin-1")
    assert pyx12_errors(text) == []
    isa = segments_of(text)[0]
    assert isa.get(13) == "000000007" and isa.get(15) == "T" and isa.get(6).strip() == "SUB1"
    piped = hitbenefit("x12", "write-837", "-", "--sender", "SUB1", stdin=EXAMPLE.read_text())
    assert piped.returncode == 0 and piped.stdout.startswith("ISA*")


@pytest.mark.parametrize("args, expected", [
    (["missing.json"], "missing.json: cannot be read"),
    (["BAD"], "field supplier: required"),
    (["GOOD", "--sender", "S" * 16], "at most 15"),
    (["GOOD", "--control-number", "0"], "control number"),
])
def test_command_bad_input_exits_2_with_one_line(tmp_path, args, expected):
    (tmp_path / "bad.json").write_text(json.dumps({"claim_id": "X"}))
    args = [str(tmp_path / "bad.json") if a == "BAD" else str(EXAMPLE) if a == "GOOD" else a for a in args]
    result = hitbenefit("x12", "write-837", *args)
    assert result.returncode == 2
    assert expected in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and result.stdout == ""

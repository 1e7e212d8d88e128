"""Reconciliation: the engine's own decisions on the demo month against 835s written here, then
altered to produce each status; the decision JSON reader; the command line end to end."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from hitbenefit import service
from hitbenefit.claims.model import Claim, Decision
from hitbenefit.reconcile import (DENIED, MISSING, OVER, PAID, UNDER, UNEXPECTED, DecisionInputError,
                                  decisions_from_json, reconcile)
from hitbenefit.x12.read_835 import read_835
from hitbenefit.x12.segments import Delimiters, Segment, render

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples/claims/demo-month.jsonl"
D = Decimal
ZERO = D("0.00")


@pytest.fixture(scope="module")
def engine() -> tuple[list[Claim], list[Decision]]:
    """The demo month adjudicated by the real engine, read back from its contract JSON."""
    tables = service.load_tables()
    read = service.read_inputs([str(DEMO)])
    assert not read.errors
    decisions = service.adjudicate(read.claims, tables)
    again = decisions_from_json(service.decisions_json(decisions), "expected.json")
    def facts(ds):  # everything but the trace, which is prose the reader does not keep
        return [{**d.to_json(), "lines": [{k: v for k, v in line.to_json().items() if k != "trace"}
                                          for line in d.lines]} for d in ds]
    assert facts(again) == facts(decisions)
    return read.claims, again


# ------------------------------------------------------------------ an 835 for the expectations


def S(segment_id: str, *elements: object) -> Segment:
    return Segment(segment_id, tuple("" if e is None else str(e) for e in elements))


def line_segments(claim_line, decided, *, paid=None, cas=None, rarcs=None, number=True) -> list[Segment]:
    """One 2110 loop: SVC, DTM*472, CAS, REF*6R, AMT*B6, LQ*HE, the way a Medicare contractor writes it."""
    code = ":".join(("HC", claim_line.hcpcs, *claim_line.modifiers))
    paid = decided.paid if paid is None else paid
    out = [S("SVC", code, claim_line.charge, paid, "", claim_line.units),
           S("DTM", "472", claim_line.service_date.strftime("%Y%m%d"))]
    if cas is None:
        if decided.status == "paid":
            cas = [("CO", "45", claim_line.charge - decided.allowed)]
            if decided.deductible:
                cas.append(("PR", "1", decided.deductible))
            cas += [("PR", "2", decided.coinsurance), ("CO", "253", decided.sequestration)]
        else:
            reason = next(r for r in decided.reasons if r.carc)
            cas = [(reason.group, reason.carc, claim_line.charge)]
            rarcs = [reason.rarc] if reason.rarc and rarcs is None else rarcs
    for group, carc, amount in cas:
        if amount:
            out.append(S("CAS", group, carc, amount))
    if number:
        out.append(S("REF", "6R", claim_line.line))
    if decided.status == "paid":
        out.append(S("AMT", "B6", decided.allowed))
    out += [S("LQ", "HE", rarc) for rarc in rarcs or ()]
    return out


def claim_segments(claim: Claim, decision: Decision, *, status="1", lines=None, paid=None) -> list[Segment]:
    lines = lines if lines is not None else [
        line_segments(cl, dl) for cl, dl in zip(claim.lines, decision.lines)]
    total_paid = decision.totals["paid"] if paid is None else paid
    charge = sum((cl.charge for cl in claim.lines), ZERO)
    return [S("CLP", claim.claim_id, status, charge, total_paid, decision.totals["patient"], "MB",
              "ICN" + claim.claim_id[-4:]),
            S("NM1", "QC", "1", "DOE", "JANE", "", "", "", "MI", claim.beneficiary.mbi),
            S("DTM", "232", claim.earliest_service_date.strftime("%Y%m%d"))] + [s for ls in lines for s in ls]


def remittance_text(claim_loops: list[list[Segment]]) -> str:
    body = [s for loop in claim_loops for s in loop]
    paid = sum((D(s.get(4)) for s in body if s.id == "CLP"), ZERO)
    segments = [S("ST", "835", "0001"),
                S("BPR", "I", paid, "C", "ACH", "CCP", "01", "999999999", "DA", "123456", "1512345678", "",
                  "01", "999988880", "DA", "98765", "20250415"),
                S("TRN", "1", "EFT0001", "1512345678"), S("DTM", "405", "20250414"),
                S("N1", "PR", "CGS ADMINISTRATORS"), S("N1", "PE", "HOME INFUSION SERVICES", "XX", "1234567893"),
                S("LX", "1"), *body]
    segments.append(S("SE", len(segments) + 1, "0001"))
    return render(segments, Delimiters())


def as_expected(claims, decisions) -> list[list[Segment]]:
    return [claim_segments(c, d) for c, d in zip(claims, decisions)]


def run(decisions, text: str, claims=None):
    return reconcile(decisions, read_835(io.StringIO(text), "remit.835"), claims)


def by_id(report):
    return {c.claim_id: c for c in report.claims}


# ------------------------------------------------------------------ statuses


def test_a_remittance_that_pays_every_decision_is_all_paid_as_expected(engine):
    claims, decisions = engine
    report = run(decisions, remittance_text(as_expected(claims, decisions)))
    assert {c.status for c in report.claims} == {PAID}
    assert {line.status for line in report.lines} == {PAID}
    assert len(report.lines) == sum(len(d.lines) for d in decisions)
    t = report.totals()
    assert t["expected"] == t["remitted"] == t["payments"] == sum(d.totals["paid"] for d in decisions)
    assert report.biggest_differences() == [] and report.denials() == [] and report.warnings == []
    # an expected rejection paid $0.00 with the engine's own code is as expected, codes kept
    rejected = by_id(report)["DEMO-B-0320"].lines[0]
    assert rejected.expected_status == "rejected" and [a.code for a in rejected.adjustments] == ["CO-16"]
    assert rejected.remark_codes == ["MA130"]


def test_each_status_with_its_dollars(engine):
    claims, decisions = engine
    c, d = {x.claim_id: x for x in claims}, {x.claim_id: x for x in decisions}
    loops = []
    # DEMO-A-0303: G0089 paid $4.06 short (payer took 4.06 more coinsurance)
    a, da = c["DEMO-A-0303"], d["DEMO-A-0303"]
    short = line_segments(a.lines[0], da.lines[0], paid=D("180.00"),
                          cas=[("CO", "45", D("215.23")), ("PR", "2", D("51.01")), ("CO", "253", D("3.76"))])
    loops.append(claim_segments(a, da, lines=[short, line_segments(a.lines[1], da.lines[1])], paid=D("180.00")))
    # DEMO-A-0310: line 3 overpaid by $10.00; line 2 (J1559) left off the remittance
    b, db = c["DEMO-A-0310"], d["DEMO-A-0310"]
    loops.append(claim_segments(b, db, paid=D("303.42"), lines=[
        line_segments(b.lines[0], db.lines[0]), line_segments(b.lines[2], db.lines[2], paid=D("156.71"))]))
    # DEMO-B-0305: G0088 denied by the payer, CO-58 / M77 (the engine's NOT_HOME codes)
    e, de = c["DEMO-B-0305"], d["DEMO-B-0305"]
    loops.append(claim_segments(e, de, status="4", paid=ZERO, lines=[
        line_segments(e.lines[0], de.lines[0], paid=ZERO, cas=[("CO", "58", D("450.00"))], rarcs=["M77"]),
        line_segments(e.lines[1], de.lines[1])]))
    # every other claim as expected, except DEMO-G-0318: not on this remittance
    loops += [claim_segments(c[k], d[k]) for k in d if k not in ("DEMO-A-0303", "DEMO-A-0310", "DEMO-B-0305", "DEMO-G-0318")]
    # a claim this supplier never expected
    stranger = S("CLP", "OTHER-1", "1", "100", "25.50", "", "MB", "ICN9"), S("SVC", "HC:G0069", "100", "25.50", "", "1"), \
        S("DTM", "472", "20250302"), S("CAS", "CO", "45", "74.50")
    loops.append(list(stranger))
    report = run(decisions, remittance_text(loops))
    claims_by = by_id(report)

    assert claims_by["DEMO-A-0303"].status == UNDER and claims_by["DEMO-A-0303"].difference == D("-4.06")
    under = claims_by["DEMO-A-0303"].lines[0]
    assert (under.status, under.expected, under.remitted, under.difference) == (UNDER, D("184.06"), D("180.00"), D("-4.06"))
    assert claims_by["DEMO-A-0310"].status == OVER
    l1, l2, l3 = claims_by["DEMO-A-0310"].lines
    assert (l1.status, l2.status, l3.status) == (PAID, MISSING, OVER)
    assert l3.difference == D("10.00") and "this line is not" in l2.notes[0]
    denied = claims_by["DEMO-B-0305"]
    assert denied.status == DENIED and denied.payer_status == ["4"] and denied.difference == D("-47.83")
    line = denied.lines[0]
    assert (line.status, line.expected, line.remitted) == (DENIED, D("47.83"), ZERO)
    (reason,) = line.payer_reasons
    assert (reason.code, reason.remark_codes, reason.our_keys) == ("CO-58", ("M77",), ("NOT_HOME",))
    assert "not a home" in reason.meaning.lower() or "home" in reason.meaning.lower()
    assert claims_by["DEMO-G-0318"].status == MISSING and {l.status for l in claims_by["DEMO-G-0318"].lines} == {MISSING}
    other = claims_by["OTHER-1"]
    assert other.status == UNEXPECTED and other.remitted == D("25.50") and other.lines[0].status == UNEXPECTED

    lines = report.by_status("lines")
    assert lines[UNDER].count == 1 and lines[UNDER].difference == D("-4.06")
    assert lines[OVER].count == 1 and lines[OVER].difference == D("10.00")
    assert lines[DENIED].count == 1 and lines[DENIED].expected == D("47.83")
    assert lines[MISSING].count == 1 + 3  # the J1559 line and DEMO-G-0318's three lines
    assert lines[UNEXPECTED].count == 1 and lines[UNEXPECTED].remitted == D("25.50")
    assert lines[PAID].count == sum(len(x.lines) for x in decisions) - 1 - 1 - 1 - 4
    totals = report.totals()
    assert totals["difference_on_remitted_claims"] == D("-4.06") + D("10.00") - D("47.83")
    assert totals["unexpected"] == D("25.50") and totals["not_in_remittance"] == d["DEMO-G-0318"].totals["paid"]
    assert [(x.claim_id, x.difference) for x in report.biggest_differences()] == [
        ("DEMO-B-0305", D("-47.83")), ("OTHER-1", D("25.50")), ("DEMO-A-0310", D("10.00")), ("DEMO-A-0303", D("-4.06"))]
    (group,) = report.denials()
    assert (group.group, group.carc, group.remark_codes, group.lines, group.expected, group.claims) == (
        "CO", "58", ("M77",), 1, D("47.83"), ["DEMO-B-0305"])
    summary = json.loads(json.dumps(report.to_json(), default=str))
    assert summary["summary"]["lines"]["denied"]["count"] == 1


def test_lines_without_ref_6r_match_by_code_in_order_and_by_date_with_the_claims(engine):
    claims, decisions = engine
    c, d = claims[1], decisions[1]  # DEMO-A-0310: G0069, J1559, G0069
    assert [l.hcpcs for l in c.lines] == ["G0069", "J1559", "G0069"]
    loops = [claim_segments(c, d, lines=[line_segments(cl, dl, number=False) for cl, dl in zip(c.lines, d.lines)])]
    report = run([d], remittance_text(loops))
    assert [l.status for l in report.lines] == [PAID, PAID, PAID]
    # the payer lists the lines in another order: with the claims, dates decide
    moved = c.lines[2].service_date != c.lines[0].service_date
    reordered = [line_segments(c.lines[i], d.lines[i], number=False) for i in (2, 1, 0)]
    report = run([d], remittance_text([claim_segments(c, d, lines=reordered)]), claims=[c])
    assert [l.status for l in report.lines] == [PAID, PAID, PAID]
    assert moved or True  # same amounts on both G0069 lines: the match is right either way


def test_reversal_and_correction_net_out(engine):
    claims, decisions = engine
    c, d = claims[0], decisions[0]
    original = claim_segments(c, d)
    reversal = [S("CLP", c.claim_id, "22", "-450.00", "-184.06", "", "MB", "ICN0303")] + [
        S("SVC", "HC:G0089", "-450.00", "-184.06", "", "8"), S("DTM", "472", "20250303"), S("REF", "6R", "1")]
    report = run([d], remittance_text([original, reversal, original]))
    (claim,) = report.claims
    assert claim.status == PAID and claim.remitted == D("184.06") and claim.payer_status == ["1", "22", "1"]
    assert claim.lines[0].remitted == D("184.06") and len(claim.lines[0].where) == 3


def test_a_paid_zero_line_for_the_deductible_is_underpaid_not_denied(engine):
    claims, decisions = engine
    c, d = claims[0], decisions[0]
    deductible = line_segments(c.lines[0], d.lines[0], paid=ZERO,
                               cas=[("CO", "45", D("215.23")), ("PR", "1", D("234.77"))])
    report = run([d], remittance_text([claim_segments(c, d, lines=[deductible, line_segments(c.lines[1], d.lines[1])],
                                                      paid=ZERO)]))
    assert report.claims[0].lines[0].status == UNDER and report.claims[0].status == UNDER


# ------------------------------------------------------------------ the 835 writer round trip


def test_round_trip_decisions_to_835_to_reconcile(engine):
    write_835 = pytest.importorskip("hitbenefit.x12.write_835")
    claims, decisions = engine
    text = write_835.decisions_to_835(claims, decisions, payer_name="CGS ADMINISTRATORS", payer_id="15004")
    text = text.decode("latin-1") if isinstance(text, bytes) else text
    report = run(decisions, text)
    assert {(c.claim_id, c.status) for c in report.claims} == {(d.claim_id, PAID) for d in decisions}
    assert {line.status for line in report.lines} == {PAID}
    assert report.warnings == [] and report.totals()["payments"] == sum(d.totals["paid"] for d in decisions)


# ------------------------------------------------------------------ reading decisions


def test_decisions_from_json_reads_arrays_objects_and_json_lines(engine):
    _, decisions = engine
    lines = service.decisions_json(decisions, lines=True)
    assert [x.claim_id for x in decisions_from_json(lines, "x.jsonl")] == [x.claim_id for x in decisions]
    single = json.dumps(json.loads(service.decisions_json(decisions[:1]))[0])
    (one,) = decisions_from_json(single, "one.json")
    assert one.totals["paid"] == D("184.06") and isinstance(one.lines[0].paid, Decimal)


@pytest.mark.parametrize("change, message", [
    (lambda d: d.update(colour="red"), "decision 1, field colour: unknown field 'colour'"),
    (lambda d: d["lines"][0].update(paid=184.061), "claim DEMO-A-0303, field lines[0].paid: 184.061 has more than two decimals"),
    (lambda d: d["lines"][0].update(paid="184.06"), "field lines[0].paid: must be a number of dollars"),
    (lambda d: d["lines"][1]["reasons"][0].update(key="NOPE"), "lines[1].reasons[0].key: 'NOPE' is not a reason key"),
    (lambda d: d["lines"][0].pop("hcpcs"), "field lines[0].hcpcs: is required"),
    (lambda d: d.update(status="great"), "field status: 'great' is not one of"),
    (lambda d: d["totals"].pop("paid"), "field totals.paid: is required"),
])
def test_decisions_from_json_is_strict(engine, change, message):
    _, decisions = engine
    data = json.loads(service.decisions_json(decisions[:1]))
    change(data[0])
    with pytest.raises(DecisionInputError) as caught:
        decisions_from_json(json.dumps(data), "expected.json")
    assert message in str(caught.value) and str(caught.value).startswith("expected.json")


def test_decisions_from_json_rejects_non_json_and_duplicates(engine):
    with pytest.raises(DecisionInputError, match="not JSON"):
        decisions_from_json("ISA*00*", "x.json")
    with pytest.raises(DecisionInputError, match="empty"):
        decisions_from_json("  ", "x.json")
    _, decisions = engine
    text = service.decisions_json(decisions[:1] * 2)
    with pytest.raises(DecisionInputError, match="decision 2, claim DEMO-A-0303, field claim_id: the claim appears twice"):
        decisions_from_json(text, "x.json")


# ------------------------------------------------------------------ command line


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hitbenefit", *args], capture_output=True, text=True, cwd=cwd)


def test_cli_end_to_end(engine, tmp_path):
    claims, decisions = engine
    adjudicated = cli("adjudicate", str(DEMO), "--format", "json", cwd=tmp_path)
    assert adjudicated.returncode == 0, adjudicated.stderr
    (tmp_path / "expected.json").write_text(adjudicated.stdout)
    c, d = {x.claim_id: x for x in claims}, {x.claim_id: x for x in decisions}
    loops = [claim_segments(c[k], d[k]) for k in d if k != "DEMO-G-0318"]
    (tmp_path / "a.835").write_text(remittance_text(loops[:4]))
    (tmp_path / "b.835").write_text(remittance_text(loops[4:]))

    done = cli("reconcile", "expected.json", "a.835", "b.835", "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    statuses = {x["claim_id"]: x["status"] for x in report["claims"]}
    assert statuses.pop("DEMO-G-0318") == "not_in_remittance" and set(statuses.values()) == {"paid_as_expected"}
    assert [r["source"] for r in report["remittances"]] == ["a.835", "b.835"]
    assert report["summary"]["totals"]["expected"] == float(sum(x.totals["paid"] for x in decisions))

    table = cli("reconcile", "expected.json", "a.835", "b.835", "--format", "table", cwd=tmp_path)
    assert table.returncode == 0 and "Reconciliation" in table.stdout and "DEMO-G-0318" in table.stdout

    (tmp_path / "broken.835").write_text(remittance_text(loops[:1]).replace("CLP*DEMO-A-0303*1*450.00*184.06",
                                                                            "CLP*DEMO-A-0303*1*450.00*1x4"))
    bad = cli("reconcile", "expected.json", "broken.835", cwd=tmp_path)
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.strip() == "hitbenefit: broken.835, segment 8 (CLP): CLP04 (claim payment amount) '1x4' is not a decimal number"

    (tmp_path / "bad.json").write_text(adjudicated.stdout.replace('"claim_id"', '"claim"', 1))
    bad = cli("reconcile", "bad.json", "a.835", cwd=tmp_path)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.strip() == "hitbenefit: bad.json, decision 1, field claim: unknown field 'claim'"

    missing = cli("reconcile", "expected.json", "nope.835", cwd=tmp_path)
    assert missing.returncode == 2 and missing.stderr.startswith("hitbenefit: nope.835: cannot be read")

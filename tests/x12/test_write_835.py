"""The 835 writer: decisions -> 005010X221A1, validated by pyx12, balanced, read back segment by segment."""

from __future__ import annotations

import copy
import io
from datetime import date, datetime
from decimal import Decimal

import pytest

from hitbenefit import service
from hitbenefit.parameters.load import bundled_parameters
from hitbenefit.x12.envelope import X12WriteError
from hitbenefit.x12.segments import Segment
from hitbenefit.x12.write_835 import check_balanced, decisions_to_835, line_adjustments
from tests.x12.test_write_837 import base, claims_of, line, pyx12_errors, segments_of

ARGS = dict(payer_name="NOVITAS SOLUTIONS", payer_id="12202", date_time=datetime(2025, 4, 2, 8, 0),
            payment_date=date(2025, 4, 3), check_number="EFT0001")
DRUG = dict(modifiers=["JB"], units=40)


def records() -> list[dict]:
    return [
        base(claim_id="PAID", beneficiary={"mbi": "1EG4TE5MK73", "deductible_remaining": 100.0},
             lines=[line(1, "G0089"), line(2, "J1559", "0", **DRUG), line(3, "E0781", "300.00", units=1)]),
        base(claim_id="PARTIAL", beneficiary={"mbi": "2FH5UF6NL84"},
             lines=[line(1, "G0089"), line(2, "J1559", "0", **DRUG),
                    line(3, "G0069", service_date="2025-03-04", place_of_service="21")]),
        base(claim_id="DENIED", beneficiary={"mbi": "3GJ6VG7PM95", "part_b": [{"from": "2026-01-01", "to": None}]},
             lines=[line(1, "G0089"), line(2, "J1559", "0", **DRUG)]),
        base(claim_id="REJECTED", beneficiary={"mbi": "4HK7WH8QN06"},
             lines=[line(1, "G0089", units=100), line(2, "J7799", "12.50", modifiers=["JB"], units=4)]),
        base(claim_id="OTHER", supplier={"npi": "1003000126", "specialty": "D6"}, beneficiary={"mbi": "5JM8XJ9RP17"},
             lines=[line(1, "G0089", "100.00"), line(2, "J1559", "0", **DRUG)],
             extra={"billing_provider": {"name": "Home IV LLC"}, "subscriber": {"last_name": "Smith",
                                                                                "first_name": "Ann"}}),
    ]


@pytest.fixture(scope="module")
def run():
    claims = claims_of(records())
    decisions = service.adjudicate(claims, service.load_tables())
    assert [d.status for d in decisions] == ["paid", "partial", "denied", "rejected", "paid"]
    return claims, decisions


@pytest.fixture(scope="module")
def written(run) -> str:
    return decisions_to_835(*run, **ARGS)


def clp_block(found: list[Segment], claim_id: str) -> list[Segment]:
    start = next(i for i, s in enumerate(found) if s.id == "CLP" and s.get(1) == claim_id)
    end = next((i for i in range(start + 1, len(found)) if found[i].id in ("CLP", "SE")), len(found))
    return found[start:end]


def services(block: list[Segment]) -> dict[str, list[Segment]]:
    """Each SVC's loop keyed by its REF*6R line number."""
    out, current = {}, []
    for segment in block[1:]:
        if segment.id == "SVC":
            current = [segment]
        elif current:
            current.append(segment)
            if segment.id == "REF" and segment.get(1) == "6R":
                out[segment.get(2)] = current
    return out


def cas(loop: list[Segment]) -> list[tuple[str, str, str]]:
    return [(s.get(1), s.get(n), s.get(n + 1)) for s in loop if s.id == "CAS" for n in range(2, 19, 3) if s.get(n)]


def test_pyx12_finds_no_error(written):
    assert pyx12_errors(written) == []


def test_balanced_when_read_back(written):
    found = segments_of(written)
    check_balanced(found)
    for bpr_at in [i for i, s in enumerate(found) if s.id == "BPR"]:
        se_at = next(i for i in range(bpr_at, len(found)) if found[i].id == "SE")
        clps = [s for s in found[bpr_at:se_at] if s.id == "CLP"]
        assert Decimal(found[bpr_at].get(2)) == sum(Decimal(c.get(4)) for c in clps)
    for claim_id in ("PAID", "PARTIAL", "DENIED", "REJECTED", "OTHER"):
        block = clp_block(found, claim_id)
        for loop in services(block).values():
            svc = loop[0]
            assert Decimal(svc.get(2)) - sum(Decimal(a) for _, _, a in cas(loop)) == Decimal(svc.get(3))
        clp = block[0]
        line_cas = [a for loop in services(block).values() for a in cas(loop)]
        assert Decimal(clp.get(3)) - sum(Decimal(a) for _, _, a in line_cas) == Decimal(clp.get(4))
        assert Decimal(clp.get(5)) == sum(Decimal(a) for g, _, a in line_cas if g == "PR")


def test_the_balance_check_catches_a_changed_amount(written):
    found = segments_of(written.replace("CAS*PR*1*100.00", "CAS*PR*1*99.00"))
    with pytest.raises(X12WriteError, match="does not balance"):
        check_balanced(found)
    found = segments_of(written.replace("BPR*I*289.72", "BPR*I*289.73"))
    with pytest.raises(X12WriteError, match="BPR02"):
        check_balanced(found)


def test_one_transaction_per_payee_with_its_own_payment(written):
    found = segments_of(written)
    assert [s.get(1) for s in found if s.id == "ST"] == ["835", "835"]
    bprs = [s for s in found if s.id == "BPR"]
    assert [s.elements[:4] for s in bprs] == [("I", "289.72", "C", "CHK"), ("I", "78.40", "C", "CHK")]
    assert all(s.get(16) == "20250403" for s in bprs)
    assert [s.get(2) for s in found if s.id == "TRN"] == ["EFT0001", "EFT0001-2"]
    payees = [s for s in found if s.id == "N1" and s.get(1) == "PE"]
    assert [(s.get(2), s.get(4)) for s in payees] == [("PLACEHOLDER BILLING PROVIDER", "1234567893"),
                                                      ("Home IV LLC", "1003000126")]
    assert [s.get(2) for s in found if s.id == "REF" and s.get(1) == "2U"] == ["12202", "12202"]
    gs, ge, iea = found[1], found[-2], found[-1]
    assert gs.get(1) == "HP" and gs.get(8) == "005010X221A1" and ge.get(1) == "2" and iea.get(1) == "1"
    starts = [i for i, s in enumerate(found) if s.id == "ST"]
    ends = [i for i, s in enumerate(found) if s.id == "SE"]
    assert [int(found[e].get(1)) for e in ends] == [e - s + 1 for s, e in zip(starts, ends)]


def test_paid_line_adjustments_are_the_payment_steps(run, written):
    claims, decisions = run
    block = clp_block(segments_of(written), "PAID")
    assert block[0].elements == ("PAID", "1", "750.00", "105.66", "126.95", "MB", "PAID", "12", "1")
    line1 = services(block)["1"]
    d = decisions[0].lines[0]
    assert line1[0].elements == ("HC:G0089", "450.00", "105.66", "", "8")
    assert cas(line1) == [("CO", "45", str(Decimal("450.00") - d.allowed)), ("CO", "253", str(d.sequestration)),
                          ("PR", "1", "100.00"), ("PR", "2", str(d.coinsurance))]
    assert [s.elements for s in line1 if s.id in ("DTM", "AMT")] == [("472", "20250303"), ("B6", str(d.allowed))]
    assert not [s for s in line1 if s.id == "LQ"]


def test_unpaid_lines_carry_their_reasons_code_for_the_whole_charge(written):
    found = segments_of(written)
    paid = services(clp_block(found, "PAID"))
    assert cas(paid["2"]) == [("CO", "109", "0.00")] and [s.get(2) for s in paid["2"] if s.id == "LQ"] == ["N104"]
    assert cas(paid["3"]) == [("CO", "109", "300.00")]  # DME_ITEM: bill the DME MAC
    partial = clp_block(found, "PARTIAL")
    assert partial[0].get(2) == "1"
    assert cas(services(partial)["3"]) == [("CO", "58", "450.00")]  # NOT_HOME
    assert [s.get(2) for s in services(partial)["3"] if s.id == "LQ"] == ["M77"]
    denied = clp_block(found, "DENIED")
    assert denied[0].elements[:5] == ("DENIED", "4", "450.00", "0.00", "0.00")
    assert cas(services(denied)["1"]) == [("CO", "177", "450.00")]
    assert not [s for s in denied if s.id == "MOA"]


def test_rejected_claims_are_remitted_as_denied_unprocessable(written):
    block = clp_block(segments_of(written), "REJECTED")
    assert block[0].elements[:5] == ("REJECTED", "4", "462.50", "0.00", "0.00")
    assert [s.elements for s in block if s.id == "MOA"] == [("", "", "MA130")]
    lines = services(block)
    assert cas(lines["1"]) == [("CO", "16", "450.00")]  # INVALID_UNITS decides; NOC's RARC is listed too
    assert [s.get(2) for s in lines["1"] if s.id == "LQ"] == ["M53", "M123"]
    assert cas(lines["2"]) == [("CO", "16", "12.50")]
    assert [s.get(2) for s in lines["2"] if s.id == "LQ"] == ["M123", "N104"]


@pytest.mark.parametrize("spec", [s for s in bundled_parameters().reasons.values() if s.outcome != "warning"],
                         ids=lambda s: s.key)
def test_every_adjusting_reason_key_maps_to_its_own_group_and_carc(spec, run):
    _, decisions = run
    decision = copy.deepcopy(decisions[2].lines[0])
    reason = next(r for r in decisions[2].lines[0].reasons)
    decision.status = "informational" if spec.outcome == "informational" else spec.outcome
    decision.reasons = [type(reason)(spec.key, spec.outcome, spec.group, spec.carc, spec.rarc, "", ())]
    assert line_adjustments(decision, Decimal("12.34")) == [(spec.group, spec.carc, Decimal("12.34"))]


def test_nothing_paid_is_a_notification_only(run):
    claims, decisions = run
    text = decisions_to_835(claims[2:4], decisions[2:4], **ARGS)
    assert pyx12_errors(text) == []
    bpr = next(s for s in segments_of(text) if s.id == "BPR")
    assert bpr.elements[:4] == ("H", "0.00", "C", "NON")


def test_read_back_by_the_835_reader(written, run):
    read_835 = pytest.importorskip("hitbenefit.x12.read_835").read_835
    claims, decisions = run
    remittances = list(read_835(io.StringIO(written), "written.835"))
    assert [r.amount for r in remittances] == [Decimal("289.72"), Decimal("78.40")]
    paid = {c.claim_id: c for r in remittances for c in r.claims}
    for claim, decision in zip(claims, decisions):
        got = paid[claim.claim_id]
        assert got.paid == decision.totals["paid"] and got.charge == decision.totals["charge"]
        assert [(s.line_control_number, s.paid) for s in got.services] == \
               [(str(d.line), d.paid) for d in decision.lines]


def test_unremittable_decisions_are_refused(run):
    claims, decisions = run
    with pytest.raises(X12WriteError, match="2 claims but 1 decisions"):
        decisions_to_835(claims[:2], decisions[:1], **ARGS)
    with pytest.raises(X12WriteError, match="paired with the decision for PARTIAL"):
        decisions_to_835(claims[:1], decisions[1:2], **ARGS)
    tampered = copy.deepcopy(decisions[0])
    tampered.lines[0].paid += Decimal("0.01")
    with pytest.raises(X12WriteError, match="claim PAID: line 1: charge 450.00 - adjustments"):
        decisions_to_835(claims[:1], [tampered], **ARGS)
    unpriced = copy.deepcopy(decisions[0])
    unpriced.lines[0].allowed = unpriced.lines[0].paid = None
    with pytest.raises(X12WriteError, match="not priced"):
        decisions_to_835(claims[:1], [unpriced], **ARGS)


def test_docs_cas_table_matches_the_reasons():
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs/x12.md").read_text()
    section = docs[docs.index("## Writing 837P and 835"):]
    for spec in bundled_parameters().reasons.values():
        if spec.outcome != "warning":
            row = f"| `{spec.key}` | {spec.outcome} | {spec.group}-{spec.carc} | {spec.rarc or '—'} |"
            assert row in section, row

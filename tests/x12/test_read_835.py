"""The 835 reader on real remittances written by others: edi-835-parser's expected flattened CSVs
row by row, golden checks on the LinuxForHealth samples, broken input, and fuzzing."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hitbenefit.x12.read_835 import Adjustment, Remittance, read_835, read_835_file
from hitbenefit.x12.segments import X12Error

DATA = Path(__file__).resolve().parents[1] / "data/x12"
EDI = DATA / "edi-835-parser"
LFH = DATA / "linuxforhealth-x12/835_005010X221A1"
D = Decimal


def read(text: str | bytes, source: str = "t.835") -> list[Remittance]:
    stream = io.BytesIO(text) if isinstance(text, bytes) else io.StringIO(text)
    return list(read_835(stream, source))


def one(path: Path) -> Remittance:
    (remittance,) = read_835_file(path, path.name)
    return remittance


# ------------------------------------------------------------------ edi-835-parser's expected output

# Rows where this reader deliberately differs from edi-835-parser's CSV, with the reason. Key:
# (csv file, row index, column) -> the value this reader gives, as the CSV would spell it.
DELIBERATE = {
    # SVC*HC:59426******742*742**1: SVC05 is empty; the 835 guide says an absent SVC05 means one
    # unit, so units = 1 (edi-835-parser leaves it empty).
    ("blue_cross_nc_sample.csv", 2, "allowed_units"): "1",
    # CAS*PR*2*5.13**1*110: the second triplet (PR-1 $110.00) is part of the segment; edi-835-parser
    # reads only the first triplet of each CAS, so its CSV loses $110 of deductible and the line no
    # longer balances (328.50 - 29.05 = 5.13 + 110.00 + 184.32). We read all six triplets.
    ("united_healthcare_legacy_sample.csv", 4, "adj_1_amount"): "110",
    ("united_healthcare_legacy_sample.csv", 4, "adj_1_code"): "1",
    ("united_healthcare_legacy_sample.csv", 4, "adj_1_group"): "PR",
    ("united_healthcare_legacy_sample.csv", 4, "adj_2_amount"): "184.32",
    ("united_healthcare_legacy_sample.csv", 4, "adj_2_code"): "45",
    ("united_healthcare_legacy_sample.csv", 4, "adj_2_group"): "CO",
}


def flatten(remittances: list[Remittance]) -> list[dict[str, str]]:
    """Our objects in edi-835-parser's columns (one row per service line), values as strings."""
    rows = []
    for remittance in remittances:
        for claim in remittance.claims:
            for s in claim.services:
                row = {
                    "marker": claim.claim_id,
                    "patient": f"{claim.patient_first_name} {claim.patient_last_name}".title(),
                    "code": s.procedure_code, "modifier": s.modifiers[0] if s.modifiers else "",
                    "qualifier": s.qualifier, "allowed_units": str(s.units),
                    "billed_units": str(s.original_units if s.original_units is not None else s.units),
                    "transaction_date": remittance.payment_date.isoformat() if remittance.payment_date else "",
                    "charge_amount": "" if s.charge is None else str(s.charge),
                    "allowed_amount": "" if s.allowed is None else str(s.allowed),
                    "paid_amount": "" if s.paid is None else str(s.paid),
                    "payer": remittance.payer_name,
                    "start_date": s.service_date.isoformat() if s.service_date else "",
                    "end_date": s.service_end_date.isoformat() if s.service_end_date else "",
                    "rendering_provider": "",  # no NM1*82 in these files
                }
                for n, a in enumerate(s.adjustments):
                    row.update({f"adj_{n}_amount": str(a.amount), f"adj_{n}_code": a.reason, f"adj_{n}_group": a.group})
                if s.line_control_number:
                    row.update(ref_0_qual="6R", ref_0_value=s.line_control_number)
                for n, code in enumerate(s.remark_codes):
                    row.update({f"rem_{n}_code": code, f"rem_{n}_qual": "HE"})
                rows.append(row)
    return rows


def same(column: str, ours: str, theirs: str) -> bool:
    if ours == theirs:
        return True
    if column.endswith(("amount", "units")) and ours and theirs:
        return Decimal(ours) == Decimal(theirs)  # the CSV writes 6.0 for 6, 1.0 for 1
    return False


CASES = {
    "blue_cross_nc_sample.csv": ["blue_cross_nc_sample.835.txt"],
    "emedny_sample.csv": ["emedny_sample.835.txt"],
    "united_healthcare_legacy_sample.csv": ["united_healthcare_legacy_sample.835.txt"],
    "all_samples.csv": ["blue_cross_nc_sample.835.txt", "emedny_sample.835.txt",
                        "united_healthcare_legacy_sample.835.txt"],
}


@pytest.mark.parametrize("csv_name", sorted(CASES))
def test_every_row_of_edi_835_parsers_expected_csv(csv_name):
    with (EDI / "expected_output" / csv_name).open(newline="") as handle:
        expected = list(csv.DictReader(handle))
    ours = flatten([r for name in CASES[csv_name] for r in read_835_file(EDI / name, name)])
    assert len(ours) == len(expected)
    # all_samples.csv repeats the per-file rows; a deliberate difference is keyed by its own file
    owners = [name.replace(".835.txt", ".csv") for name in CASES[csv_name]
              for r in read_835_file(EDI / name) for c in r.claims for _ in c.services]
    index_in_file = []
    for n, owner in enumerate(owners):
        index_in_file.append(sum(1 for o in owners[:n] if o == owner))
    checked = 0
    for row_number, (mine, theirs) in enumerate(zip(ours, expected)):
        owner, index = owners[row_number], index_in_file[row_number]
        assert theirs[""] == str(index)
        columns = [c for c in theirs if c] + [c for c in mine if c not in theirs]
        for column in columns:
            got, want = mine.get(column, ""), theirs.get(column, "")
            deliberate = DELIBERATE.get((owner, index, column))
            if deliberate is not None:
                assert same(column, got, deliberate), (owner, index, column, got)
                continue
            assert same(column, got, want), (csv_name, row_number, column, got, want)
            checked += 1
    assert checked > 10 * len(expected)


def test_blue_cross_without_envelope_original_code_and_empty_amounts():
    r = one(EDI / "blue_cross_nc_sample.835.txt")
    assert r.version is None and r.payer_name == "BLUE CROSS AND BLUE SHIELD OF NORTH CAROLINA"
    assert (r.payee_name, r.payee_npi, r.trace_number, r.amount) == ("XYZ HEALTHCARE CORPORATION", "0987654321",
                                                                      "02790758", D("1922.86"))
    assert r.payment_date == date(2011, 1, 8) and r.production_date == date(2011, 1, 4)
    (claim,) = r.claims
    assert (claim.claim_id, claim.status, claim.charge, claim.paid, claim.patient_responsibility,
            claim.filing_indicator, claim.payer_claim_control_number) == (
        "200200964A52", "1", D("2100"), D("1922.86"), D("142.54"), "15", "94151100100")
    assert claim.patient_id == "YPB123456789001"
    first, _, third = claim.services
    assert (first.original_qualifier, first.original_code, first.submitted_code) == ("HC", "59410", "59410")
    assert third.charge is None and third.paid is None and third.original_units == D("742")
    # the file's SE01 says 33 segments; it has 32: read, with a warning naming the segment
    assert r.warnings == ["blue_cross_nc_sample.835.txt, segment 32 (SE): SE01 says '33' segments, "
                          "the transaction set has 32"]


# ------------------------------------------------------------------ LinuxForHealth golden checks


def test_cob_contractual_adjustment_oa23_and_a_negative_oa94():
    r = one(LFH / "cob-contractural-adjustment.835")
    (claim,) = r.claims
    assert claim.status == "2" and claim.paid == D("34.00")  # processed as secondary
    (line,) = claim.services
    assert (line.procedure_code, line.charge, line.paid, line.units, line.allowed) == (
        "55669", D("541.00"), D("34.00"), D("1.00"), D("550.00"))
    assert line.adjustments == [Adjustment("OA", "23", D("516.00")), Adjustment("OA", "94", D("-9.00"))]
    assert line.service_date == date(2005, 2, 2)
    assert r.payee_npi is None and r.payee_tax_id == "3UR334563"
    # SVC01 is written HC>55669 while ISA16 declares ':' — read, and said
    assert "uses '>' as the component separator" in r.warnings[0] and "segment 21 (SVC)" in r.warnings[0]


def test_managed_care_claim_level_co_a2_pr1_co45_and_a_date_range():
    r = one(LFH / "managed-care.835")
    first, second = r.claims
    assert first.adjustments == [Adjustment("CO", "A2", D("50.00"))]
    assert first.patient_responsibility == D("300.00") and first.patient_name == "WILLIAM BUDD"
    (line,) = first.services
    assert line.units == D(1)  # SVC05 absent
    assert (line.service_date, line.service_end_date) == (date(2002, 3, 1), date(2002, 3, 4))  # DTM*150/151
    assert line.adjustments == [Adjustment("PR", "1", D("300.00"))]
    assert second.services[0].adjustments == [Adjustment("PR", "1", D("600.00")), Adjustment("CO", "45", D("50.00"))]
    # BPR16 20002316 is no date: the remittance is kept without a payment date, and says why
    assert r.payment_date is None and "BPR16 (payment date) '20002316' is not a date" in r.warnings[0]
    assert r.amount == r.balance == D("945.00")


def test_medicare_part_a_claims_without_lines_moa_remarks_and_plb():
    r = one(LFH / "medicare-part-a.835")
    assert [c.filing_indicator for c in r.claims] == ["MA", "MB"]
    assert all(not c.services for c in r.claims)
    assert r.claims[0].adjustments == [Adjustment("CO", "45", D("73348.57"))]
    assert r.claims[1].remark_codes == ["MA02"]
    (plb,) = r.provider_adjustments
    assert (plb.reason, plb.reference, plb.amount, plb.fiscal_period) == ("CV", "CP", D("-1.27"), date(2002, 12, 31))
    assert r.balance == r.amount == D("150000.00")
    assert r.payer_id == "999" and r.payee_npi == "6543210903"


def test_secondary_payment_two_claims_modifiers_and_six_triplet_cas():
    r = one(LFH / "secondary-payment.835")  # the file ends at SE without GE/IEA: still read
    first, second = r.claims
    assert first.status == second.status == "2"
    assert first.adjustments == [Adjustment("OA", "23", D("9411.64"))] and not first.services
    a, b = second.services
    assert (a.procedure_code, a.modifiers, a.paid, a.allowed) == ("12345", ("26",), D("30.00"), D("150.00"))
    assert a.adjustments == [Adjustment("OA", "23", D("136.50"))]
    assert b.adjustments == [Adjustment("PR", "1", D("150.00")), Adjustment("PR", "2", D("70.00")),
                             Adjustment("CO", "42", D("85.00"))]
    for line in (a, b):  # every line balances: charge - paid = adjustments
        assert line.charge - line.paid == sum(x.amount for x in line.adjustments)
    assert r.amount == sum(c.paid for c in r.claims) == D("1222.00")


def test_tertiary_payment_svc_without_a_procedure_code_is_an_error():
    # SVC*HC*24599.00*1766.50*187.50**1: the code sits in SVC02, shifting every amount one place
    # (charge would read $24,599.00). Reading on would misstate money, so it is an error.
    with pytest.raises(X12Error) as caught:
        read_835_file(LFH / "tertiary-payment.835", "tertiary-payment.835")
    assert str(caught.value) == ("tertiary-payment.835, segment 20 (SVC): SVC01 'HC' has no procedure code "
                                 "(qualifier:code expected)")


def test_every_835_in_the_test_data_reads_or_fails_with_x12error():
    files = sorted(p for p in DATA.rglob("*") if p.is_file() and (p.suffix == ".835" or p.name.endswith(".835.txt")))
    assert len(files) == 8
    read_ok = 0
    for path in files:
        try:
            remittances = read_835_file(path)
        except X12Error:
            assert path.name == "tertiary-payment.835"
            continue
        read_ok += 1
        for r in remittances:
            for claim in r.claims:
                for s in claim.services:
                    assert s.service_date is not None
    assert read_ok == 7


# ------------------------------------------------------------------ several transactions, envelopes


def test_several_interchanges_and_transactions_in_one_file():
    text = (LFH / "managed-care.835").read_text() + (LFH / "medicare-part-a.835").read_text()
    remittances = read(text)
    assert [r.payer_name for r in remittances] == ["RUSHMORE LIFE", "INSURANCE COMPANY OF TIMBUCKTU"]
    body = (EDI / "emedny_sample.835.txt").read_text()
    st = body.index("ST*835")
    se_end = body.index("GE*")
    two = body[:se_end] + body[st:se_end].replace("ST*835*1740", "ST*835*1741").replace("SE*65*1740", "SE*65*1741") + body[se_end:]
    first, second = read(two)
    assert first.control_number == "1740" and second.control_number == "1741"
    assert len(first.claims) == len(second.claims) == 3


def bad(text: str) -> X12Error:
    with pytest.raises(X12Error) as caught:
        read(text)
    return caught.value


HEAD = "ST*835*1~BPR*I*10*C*CHK************20250401~TRN*1*99*1~N1*PR*PAYER~N1*PE*HOME IV*XX*1234567893~"


def test_errors_name_the_segment_and_what_is_wrong():
    assert str(bad(HEAD + "CLP*C1*1*100*ten**MB*X~SE*7*1~")) == \
        "t.835, segment 6 (CLP): CLP04 (claim payment amount) 'ten' is not a decimal number"
    assert "CAS01 'XX' is not an adjustment group" in str(bad(HEAD + "CLP*C1*1*100*10~CAS*XX*45*90~SE*8*1~"))
    assert "SVC outside a claim payment" in str(bad(HEAD + "SVC*HC:G0089*100*10~SE*7*1~"))
    assert "DTM02 (date 472) '20251399' is not a date" in str(
        bad(HEAD + "CLP*C1*1*100*10~SVC*HC:G0089*100*10~DTM*472*20251399~SE*9*1~"))
    assert "no SE" in str(bad(HEAD + "CLP*C1*1*100*10~"))
    assert "ST before the previous transaction set ended" in str(bad(HEAD + HEAD))
    assert "no N1*PE (payee)" in str(bad("ST*835*1~BPR*I*10*C~TRN*1*9~N1*PR*P~CLP*C1*1*1*1~SE*6*1~"))
    assert "CAS has more than 6 adjustment triplets" in str(
        bad(HEAD + "CLP*C1*1*100*10~CAS*CO" + "*45*1*" * 7 + "~SE*8*1~"))
    assert "SE02 '2' does not match ST02 '1'" in str(bad(HEAD + "SE*6*2~"))
    assert "is not an 835" in str(bad("ST*837*1~SE*2*1~"))
    assert "CLP outside a transaction set" in str(bad(HEAD + "SE*6*1~CLP*C1*1*1*1~"))
    assert "starts neither with an ISA segment nor with ST" in str(bad("BPR*I*10*C~"))
    path = DATA / "linuxforhealth-x12/837_005010X222A2/demo.drug.example10.3.837"
    with pytest.raises(X12Error, match=r"segment 3 \(ST\): transaction set '837' is not an 835"):
        read_835_file(path)
    with pytest.raises(X12Error, match="cannot be read"):
        read_835_file(DATA / "no-such.835")


def test_a_minimal_transaction_reads():
    (r,) = read(HEAD + "CLP*C1*1*100*10~SVC*HC:G0089:JB*100*10~REF*6R*1~LQ*HE*N104~SE*10*1~")
    (claim,) = r.claims
    (s,) = claim.services
    assert (s.procedure_code, s.modifiers, s.line_control_number, s.remark_codes) == ("G0089", ("JB",), "1", ["N104"])
    assert s.service_date is None and r.warnings == []


# ------------------------------------------------------------------ fuzz: any bytes -> remittances or X12Error

SAMPLES = [p.read_bytes() for p in sorted(LFH.glob("*.835"))] + [p.read_bytes() for p in sorted(EDI.glob("*.txt"))]


def _read_or_error(data: bytes) -> None:
    try:
        for remittance in read_835(io.BytesIO(data), "fuzz.835"):
            assert isinstance(remittance, Remittance)
    except X12Error as exc:
        assert str(exc).startswith("fuzz.835")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_fuzz_any_bytes(data):
    _read_or_error(data)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SAMPLES), st.lists(st.tuples(st.integers(0, 5000), st.integers(0, 6),
                                                    st.binary(max_size=6)), max_size=4))
def test_fuzz_mutated_real_835s(sample, edits):
    data = bytearray(sample)
    for at, cut, insert in edits:
        at %= max(len(data), 1)
        data[at:at + cut] = insert
    _read_or_error(bytes(data))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(SAMPLES), st.integers(0, 5000))
def test_fuzz_truncated_real_835s(sample, cut):
    _read_or_error(sample[:cut % max(len(sample), 1)])

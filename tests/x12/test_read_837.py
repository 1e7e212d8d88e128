"""The 837P reader on the real samples: golden claims, every broken file's error, delimiters, streaming."""

from __future__ import annotations

import io
import tracemalloc
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from hitbenefit.x12.read_837 import X12Error, read_837, read_837_path
from hitbenefit.x12.segments import Delimiters, Segment, iter_segments, render

DATA = Path(__file__).resolve().parents[1] / "data/x12"
LFH = DATA / "linuxforhealth-x12/837_005010X222A2"
IMS = DATA / "imsweb-x12-parser/837_5010"


def claims_of(text: str | bytes, source: str = "t.837", **kw) -> list:
    stream = io.BytesIO(text) if isinstance(text, bytes) else io.StringIO(text)
    return list(read_837(stream, source, **kw))


def segments_of(path: Path) -> tuple[list[Segment], Delimiters]:
    with path.open("rb") as handle:
        found = list(iter_segments(handle, path.name))
    return [s for s, _ in found], found[0][1]


# -- building files: fresh control numbers, HL ids renumbered, SE counts recomputed ----------------------

def transactions(found: list[Segment]) -> list[list[Segment]]:
    """The ST..SE transactions of a file, as segment lists."""
    out, current = [], None
    for s in found:
        if s.id == "ST":
            current = [s]
        elif current is not None:
            current.append(s)
            if s.id == "SE":
                out.append(current)
                current = None
    return out


def repaired(transaction: list[Segment], st02: str, version: str | None = None) -> list[Segment]:
    """A transaction with HL ids 1, 2, 3..., parents and HL04 as the levels say, and SE01/SE02 recomputed."""
    out, number, parents = [], 0, {}
    hl_levels = [s.get(3) for s in transaction if s.id == "HL"]
    hl_index = 0
    for s in transaction:
        elements = list(s.elements)
        if s.id == "ST":
            elements[1] = st02
            if version:
                elements[2] = version
        elif s.id == "HL":
            number += 1
            level = s.get(3)
            following = hl_levels[hl_index + 1] if hl_index + 1 < len(hl_levels) else None
            hl_index += 1
            parents[level] = str(number)
            parent = "" if level == "20" else parents["20" if level == "22" else "22"]
            child = "1" if level == "20" or (level == "22" and following == "23") else "0"
            elements = [str(number), parent, level, child, *elements[4:]]
        elif s.id == "SE":
            elements = [str(len(out) + 1), st02]
        out.append(Segment(s.id, tuple(elements)))
    return out


def interchange(groups: list[list[list[Segment]]], isa: Segment, isa13: int, version: str | None = None) -> list[Segment]:
    """One interchange of functional groups of transactions, with fresh control numbers."""
    control = f"{isa13:09d}"
    out = [Segment("ISA", (*isa.elements[:12], control, *isa.elements[13:]))]
    st = 0
    for g, group in enumerate(groups, start=1):
        gs06 = str(isa13 * 100 + g)
        gs_version = version or group[0][0].get(3) or "005010X222A1"
        out.append(Segment("GS", ("HC", "SENDER", "RECEIVER", "20250101", "1200", gs06, "X", gs_version)))
        for transaction in group:
            st += 1
            out.extend(repaired(transaction, f"{st:04d}", gs_version))
        out.append(Segment("GE", (str(len(group)), gs06)))
    out.append(Segment("IEA", (str(len(groups)), control)))
    return out


def ids(claims) -> list[str]:
    return [c.claim_id for c in claims]


# -- golden claims ----------------------------------------------------------------------------------------

def test_home_infusion_drug_claim_example_10_3():
    (claim,) = list(read_837_path(LFH / "demo.drug.example10.3.837"))
    assert claim.claim_id == "CLMNO12345"
    assert claim.supplier.npi == "1234567893"
    assert claim.supplier.specialty is None and claim.plan_of_care is None
    assert claim.beneficiary.mbi == "MBRID01234"
    assert claim.received_date == date(2004, 3, 1)  # BHT04
    assert [(l.line, l.hcpcs, l.units, l.charge) for l in claim.lines] == [
        (1, "S9500", Decimal(7), Decimal("1400.00")), (2, "J0696", Decimal(56), Decimal("682.50")),
        (3, "J7051", Decimal(28), Decimal("15.12")), (4, "J3490", Decimal(7), Decimal("67.69")),
        (5, "J3490", Decimal(14), Decimal("57.12")), (6, "J3490", Decimal(7), Decimal("10.50"))]
    assert [l.drug_name for l in claim.lines] == [None, None, None, "Sod Chl 0.9%see NDC#",
                                                  "Sod Chl 0.9% see NDC#", "Hep Lock see NDC#"]
    assert {l.place_of_service for l in claim.lines} == {"12"}
    assert {l.service_date for l in claim.lines} == {date(2004, 2, 1)}
    first = claim.extra["lines"][0]
    assert first["service_period"] == {"from": "2004-02-01", "to": "2004-02-07", "days": 7}
    assert "per infusion day" in first["note"]
    assert claim.extra["x12"] == {"source": "demo.drug.example10.3.837", "isa13": "000000907", "gs06": "1",
                                  "st02": "0711", "clm_segment": 21, "version": "005010X222A2",
                                  "total_charge": "2232.93", "claim_filing_indicator": "CI"}
    # IL has four payment localities: not derived, and said why
    assert claim.service_locality is None
    assert "IL has 4 Medicare payment localities" in claim.extra["locality_missing"]


def test_home_infusion_per_diem_example_10_2_and_modifiers_elsewhere():
    (claim,) = list(read_837_path(LFH / "demo.drug.example10.2.837"))
    assert [l.hcpcs for l in claim.lines][:3] == ["S9500", "S5001", "S5000"]
    assert {l.place_of_service for l in claim.lines} == {"12"}
    (dme,) = list(read_837_path(LFH / "demo.example7.837"))
    assert dme.claim_id == "R03996273 #01" and dme.supplier.npi == "9992233334"
    assert dme.beneficiary.mbi == "111222333A"
    assert [(l.hcpcs, l.modifiers, l.charge, l.place_of_service) for l in dme.lines] == [
        ("E1390", ("RR",), Decimal("461.10"), "11"), ("E0431", ("RR",), Decimal("59.14"), "11")]
    assert dme.lines[0].service_date == date(2005, 3, 21)
    assert "note" not in dme.extra["lines"][0]  # a one-day range needs no note


def test_patient_loop_service_facility_and_cob_loops_do_not_leak():
    (claim,) = list(read_837_path(LFH / "demo.cob.example3.C.837"))
    # 2330A carries NM1*IL*...*MI*JS00111223333: the subscriber's id stays the 2010BA one
    assert claim.beneficiary.mbi == "22233444"
    assert claim.supplier.npi == "1999996666"
    assert claim.extra["service_facility"] == {"name": "KILDARE ASSOCIATES", "id": "1581234567",
                                               "id_qualifier": "XX", "address": ["2345 OCEAN BLVD"],
                                               "city": "MIAMI", "state": "FL", "zip": "33111"}
    assert "patient (2010CA N4) state FL" in claim.extra["locality_missing"]
    assert [(l.hcpcs, l.service_date) for l in claim.lines] == [
        ("99213", date(2005, 10, 3)), ("90782", date(2005, 10, 3)), ("J3301", date(2005, 10, 3))]


def test_line_place_of_service_wins_over_the_claim():
    (claim,) = list(read_837_path(LFH / "drug-in-office.837"))
    assert [(l.hcpcs, l.place_of_service, l.units) for l in claim.lines] == [
        ("90782", "11", Decimal(1)), ("J1550", "11", Decimal(1))]
    text = (LFH / "drug-in-office.837").read_text().replace("*50.00*UN*1.00*11**1", "*50.00*UN*1.00*12**1")
    (changed,) = claims_of(text)
    assert [l.place_of_service for l in changed.lines] == ["12", "11"]


def test_minutes_become_units_and_visit_minutes():
    # demo.example9 writes components with '>' but its ISA16 declares ':' (see the broken list below);
    # declared correctly it reads, and SV103 MJ 61 minutes become 5 units of 15 minutes
    text = (LFH / "demo.example9.837").read_text()
    fixed = text[:104] + ">" + text[105:]
    (claim,) = claims_of(fixed)
    (line,) = claim.lines
    assert (line.hcpcs, line.modifiers, line.units, line.visit.minutes) == ("00142", ("QK", "QS", "P1"), Decimal(5), 61)
    assert "61 minutes" in claim.extra["lines"][0]["units"]


VALID = ["demo.ambulance.example5.837", "demo.autoaccident.837", "demo.cob.example3.A.837", "demo.cob.example3.B.837",
         "demo.cob.example3.C.837", "demo.cob.example4.837", "demo.drug.example10.1.837", "demo.drug.example10.2.837",
         "demo.drug.example10.3.837", "demo.example1.837", "demo.example2.837", "demo.example7.837",
         "demo.example8.837", "drug-in-office.837"]


@pytest.mark.parametrize("name", VALID)
def test_every_valid_sample_reads_into_contract_claims(name):
    found = list(read_837_path(LFH / name))
    assert len(found) == 1
    claim = found[0]
    assert claim.claim_id and len(claim.supplier.npi) == 10 and claim.beneficiary.mbi
    assert len({l.line for l in claim.lines}) == len(claim.lines)
    assert all(l.charge.as_tuple().exponent == -2 for l in claim.lines)
    assert all(1966 <= l.service_date.year <= 2199 for l in claim.lines)
    assert claim.extra["x12"]["version"] == "005010X222A2"


def test_x222a1_and_a2_both_read():
    text = (LFH / "demo.drug.example10.3.837").read_text()
    a1 = claims_of(text.replace("005010X222A2", "005010X222A1"))
    a2 = claims_of(text)
    assert [replace(c, extra=None) for c in a1] == [replace(c, extra=None) for c in a2]
    assert a1[0].extra["x12"]["version"] == "005010X222A1"


def test_locality_statewide_given_or_missing():
    text = (LFH / "demo.drug.example10.3.837").read_text()
    (va,) = claims_of(text.replace("N4*Libertyville*IL*60048", "N4*Richmond*VA*23219"))
    assert va.service_locality == "11302-00"
    assert va.extra["locality_basis"] == "statewide locality of VA"
    (given,) = claims_of(text, locality="6102-16")
    assert given.service_locality == "06102-16" and given.extra["locality_basis"] == "given by the caller"
    with pytest.raises(ValueError):
        read_837(io.StringIO(text), "t.837", locality="Chicago")


def test_medicare_advantage_filing_indicator():
    text = (LFH / "demo.drug.example10.3.837").read_text().replace("SBR*P*18*GRP01020102******CI", "SBR*P*18*******16")
    (claim,) = claims_of(text)
    assert claim.payer == "medicare-advantage"


# -- every broken or foreign file: its X12Error ----------------------------------------------------------

BROKEN = {
    # imsweb files named as broken
    "x12_bad_first_line.txt": "segment 1 (ISA): ISA02 is 9 characters, the fixed width is 10",
    "x12_no_isa_line.txt": "segment 1 (GS): the file does not start with an ISA segment",
    "x12_bad_segment_identifier.txt": "segment 6: '' is not a segment id",
    "x12_bad_valid_code.txt": "segment 9 (NM1): NM101 117 is not an entity code of the billing provider level 2000A",
    "x12_missing_elements.txt": "segment 7 (NM1): NM102 (entity type qualifier, 1 person or 2 non-person) is required",
    "x12_segment_errors.txt": "segment 10 (N4): N4 without N3 in the billing provider loop 2010AA",
    "x12_segments_out_of_order.txt": "segment 12 (N4): N4 is out of order in the billing provider loop 2010AA",
    "x12_loop_errors1_exceeds_max_1_parent.txt": "segment 15 (NM1): loop 2010AA (billing provider) repeats",
    "x12_loop_errors2_exceeds_max_repeats_multiple_parents.txt": "segment 27 (HL): HL01 is 1, expected 3",
    "x12_loop_errors3_missing_loops.txt": "segment 9 (NM1): the pay-to address NM1*87 (loop 2010AB) comes before "
                                          "the billing provider name NM1*85 (loop 2010AA)",
    "x12_missing_required_loop_in_one_repeat.txt": "segment 18 (HL): HL02 is 3: the parent of this level 22 must be "
                                                   "the open billing provider level HL 1",
    "x12_missing_required_loops_mult_repeats.txt": "segment 27 (HL): HL01 is 2, expected 3",
    # imsweb files named as valid: not valid X12 (HL ids repeat, HL04 promises children, SE01 is always 25)
    "x12_valid.txt": "segment 27 (HL): HL01 is 2, expected 3",
    "x12_valid_different_separators.txt": "segment 27 (HL): HL01 is 2, expected 3",
    "x12_no_errors.txt": "segment 27 (HL): HL01 is 1, expected 3",
    "x12_many_claims.txt": "segment 27 (HL): HL01 is 2, expected 3",
    "x12_multiple_gs.txt": "segment 27 (HL): HL01 is 2, expected 3",
    "x12_multiple_isa.txt": "segment 27 (HL): HL01 is 2, expected 3",
    "x12_multiple_st.txt": "segment 27 (HL): HL01 is 2, expected 3",
    "x12_multiple_transactions.txt": "segment 27 (HL): HL01 is 2, expected 3",
    "x12_complex.txt": "segment 36 (N4): claim A37YH556: N402 '11' is not a two-letter state code",
    "x12_ambiguous_loop.txt": "segment 35 (SE): HL 2 (subscriber) says in HL04 that subordinate levels follow",
    "x12_writer_test.txt": "segment 33 (SE): HL 2 (subscriber) says in HL04 that subordinate levels follow",
    # not 837P
    "x223-test.txt": "segment 2 (GS): not an 837P: GS08 005010X223A2 is an institutional claim (837I)",
    "x12_999_accepted.txt": "segment 3 (ST): not an 837P: ST01 is 999 (GS08 005010X231A1)",
    "x12_999_rejected.txt": "segment 3 (ST): not an 837P: ST01 is 999 (GS08 005010X231A1)",
    "cob-contractural-adjustment.835": "segment 3 (ST): not an 837P: ST01 is 835 (GS08 005010X221A1)",
    "managed-care.835": "segment 3 (ST): not an 837P: ST01 is 835",
    "medicare-part-a.835": "segment 3 (ST): not an 837P: ST01 is 835",
    "secondary-payment.835": "segment 3 (ST): not an 837P: ST01 is 835",
    "tertiary-payment.835": "segment 3 (ST): not an 837P: ST01 is 835",
    "emedny_sample.835.txt": "segment 3 (ST): not an 837P: ST01 is 835",
    "united_healthcare_legacy_sample.835.txt": "segment 3 (ST): not an 837P: ST01 is 835",
    "blue_cross_nc_sample.835.txt": "segment 1 (ST): the file does not start with an ISA segment",
    # linuxforhealth files that write components with '>' while their ISA16 declares ':'
    "demo.cob.2ndary.example4.837": "segment 21 (CLM): claim 125WILL: CLM05-1 '11>B>1' is not a two-digit "
                                    "place-of-service code (ISA16 declares ':'",
    "demo.example6.837": "segment 21 (CLM): claim 125WILL: CLM05-1 '11>B>1'",
    "demo.example9.837": "segment 20 (CLM): claim 153829140: CLM05-1 '22>B>1'",
    "demo.example11.837": "segment 21 (CLM): claim ABC123-RI: CLM05-1 '11>B>1'",
    "demo.example12.837": "segment 26 (CLM): claim TS234H3: CLM05-1 '23>B>1'",
}


def _path(name: str) -> Path:
    (found,) = [p for p in DATA.rglob(name)]
    return found


def test_every_sample_is_either_valid_or_listed_as_broken():
    samples = {p.name for p in DATA.rglob("*") if p.is_file() and p.suffix in (".txt", ".837", ".835")
               and "expected_output" not in p.parts}
    assert samples == set(VALID) | set(BROKEN)


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_and_foreign_files_name_file_segment_and_problem(name):
    with pytest.raises(X12Error) as caught:
        list(read_837_path(_path(name)))
    assert str(caught.value).startswith(f"{name}, {BROKEN[name]}")
    assert caught.value.position is not None


# -- delimiters, line breaks, envelopes ------------------------------------------------------------------

@pytest.mark.parametrize("name", ["demo.drug.example10.3.837", "demo.cob.example3.C.837", "demo.example7.837"])
def test_same_claims_with_or_without_line_breaks_and_with_other_delimiters(name):
    original = list(read_837_path(LFH / name))
    found, delimiters = segments_of(LFH / name)
    flat = render(found, delimiters, line_breaks=False)
    crlf = flat.replace(delimiters.segment, delimiters.segment + "\r\n")
    other = Delimiters(element="|", component="^", repetition="{", segment="\n")
    isa = found[0]
    rewritten = [Segment("ISA", (*isa.elements[:10], "{", *isa.elements[11:15], "^"))]
    rewritten += [Segment(s.id, tuple(e.replace(delimiters.component, "^") for e in s.elements)) for s in found[1:]]
    odd = render(rewritten, other, line_breaks=False)
    strip = lambda claims: [replace(c, extra={**c.extra, "x12": None}) for c in claims]  # noqa: E731
    for text in (flat, crlf, odd, odd.encode("latin-1")):
        assert strip(claims_of(text, name)) == strip(original)


def test_multiple_interchanges_groups_and_transactions_in_one_file():
    isa = segments_of(LFH / "demo.example1.837")[0][0]
    samples = [transactions(segments_of(LFH / name)[0])[0] for name in VALID]
    built = (interchange([samples[:3], samples[3:5]], isa, 1)
             + interchange([samples[5:]], isa, 2)
             + interchange([samples[:2]], isa, 3, version="005010X222A1"))
    claims = claims_of(render(built, Delimiters(), line_breaks=True))
    assert ids(claims) == ids(list(read_837_path(LFH / n))[0] for n in VALID + VALID[:2])
    assert [(c.extra["x12"]["isa13"], c.extra["x12"]["gs06"]) for c in claims][-3:] == [
        ("000000002", "201"), ("000000003", "301"), ("000000003", "301")]


def test_imsweb_multiple_files_read_once_their_hl_ids_and_counts_are_repaired():
    for name, expected in (("x12_multiple_isa.txt", 4), ("x12_multiple_gs.txt", 6), ("x12_multiple_st.txt", 4),
                           ("x12_valid.txt", 2)):
        found, _ = segments_of(IMS / name)
        isa = found[0]
        groups: list[list[list[Segment]]] = []
        built: list[Segment] = []
        number = 0
        for s in found:  # keep the file's own ISA/GS/ST structure, renumbered
            if s.id == "ISA":
                groups = []
            elif s.id == "GS":
                groups.append([])
            elif s.id == "ST":
                groups[-1].append([s])
            elif s.id == "IEA":
                number += 1
                built += interchange(groups, isa, number)
            elif s.id != "GE":
                groups[-1][-1].append(s)
        claims = claims_of(render(built, Delimiters()), name)
        assert len(claims) == expected
        assert {c.supplier.npi for c in claims} == {"1234567890"}
        assert "123456" in {c.beneficiary.mbi for c in claims}


ENVELOPE_BREAKS = [
    (lambda t: t.replace("SE*65*0711", "SE*68*0711"), "segment 67 (SE): SE01 says 68 segments, transaction 0711 has 65"),
    (lambda t: t.replace("SE*65*0711", "SE*65*0712"), "segment 67 (SE): SE02 '0712' does not match ST02 '0711'"),
    (lambda t: t.replace("GE*1*1", "GE*2*1"), "segment 68 (GE): GE01 says 2 transactions, the group has 1"),
    (lambda t: t.replace("GE*1*1", "GE*1*7"), "segment 68 (GE): GE02 '7' does not match GS06 '1'"),
    (lambda t: t.replace("IEA*1*000000907", "IEA*1*000000908"), "segment 69 (IEA): IEA02 '000000908' does not match"),
    (lambda t: t.replace("IEA*1*000000907", "IEA*2*000000907"), "segment 69 (IEA): IEA01 says 2 functional groups"),
    (lambda t: t.split("GE*1*1")[0], "segment 68: the file ends inside interchange 000000907: GE and IEA are missing"),
    (lambda t: t.replace("HL*2*1*22*0", "HL*2*1*22*1"), "segment 67 (SE): HL 2 (subscriber) says in HL04"),
    (lambda t: t.replace("HL*2*1*22*0", "HL*2*5*22*0"), "segment 14 (HL): HL02 is 5"),
    (lambda t: t.replace("HL*2*1*22*0", "HL*2*1*24*0"), "segment 14 (HL): HL03 24 is not an 837P level"),
    (lambda t: t.replace("HL*1**20*1~", "HL*1**20*1~CLM*X*1***12:B:1*Y*A*Y*Y~"),
     "segment 9 (CLM): CLM in the billing provider level HL 1"),
    (lambda t: t.replace("LX*2~", ""), "segment 27 (SV1): claim CLMNO12345 line 1: SV1 comes once, directly after LX"),
    (lambda t: t.replace("LX*2~", "LX*1~"), "segment 27 (LX): claim CLMNO12345: LX01 1: line number 1 appears twice"),
    (lambda t: t.replace("*682.50*", "*682.505*"), "segment 28 (SV1): claim CLMNO12345 line 2: SV102 line charge 682.505 "
                                                    "has more than two decimals"),
    (lambda t: t.replace("*682.50*", "*six*"), "segment 28 (SV1): claim CLMNO12345 line 2: SV102 line charge 'six' is not"),
    (lambda t: t.replace("HC:J0696", "WK:J0696"), "segment 28 (SV1): claim CLMNO12345 line 2: SV101-1 is 'WK': only HCPCS"),
    (lambda t: t.replace("*UN*56.00", "*DA*56.00"), "segment 28 (SV1): claim CLMNO12345 line 2: SV103 (unit basis) is DA"),
    (lambda t: t.replace("DTP*472*RD8*20040201-20040207~", "", 1),
     "segment 26 (LX): claim CLMNO12345 line 1: the service line has no service date DTP*472"),
    (lambda t: t.replace("RD8*20040201-20040207", "RD8*20040207-20040201", 1),
     "segment 25 (DTP): claim CLMNO12345 line 1: DTP03 '20040207-20040201': the service period ends before it starts"),
    (lambda t: t.replace("DTP*472*RD8*20040201-20040207", "DTP*472*D8*20040231", 1),
     "segment 25 (DTP): claim CLMNO12345 line 1: DTP03 service date '20040231' is not a date CCYYMMDD"),
    (lambda t: t.replace("BHT*0019*00*0013*20040301", "BHT*0019*00*0013*18000301"),
     "segment 4 (BHT): BHT04 transaction creation date 18000301: a date from 1966 to 2199"),
    (lambda t: t.replace("*XX*1234567893", "*XX*123"), "segment 9 (NM1): NM109 123 is not an NPI (10 digits)"),
    (lambda t: t.replace("*MI*MBRID01234", "*II*MBRID01234"), "segment 16 (NM1): NM108 is II: the subscriber is identified"),
    (lambda t: t.replace("HI*BK:4659~", ""), "segment 22 (LX): claim CLMNO12345: the claim has no HI"),
    (lambda t: t.replace("CLM*CLMNO12345*2232.93***12:B:1", "CLM*CLMNO12345*2232.93***:B:1"),
     "segment 21 (CLM): claim CLMNO12345: CLM05-1 (place of service) is required"),
    (lambda t: t.replace("ST*837*0711", "ST*835*0711"), "segment 3 (ST): not an 837P: ST01 is 835 (GS08 005010X222A2)"),
    (lambda t: t.replace("GS*HC*000000005*54321*20131031*1147*1*X*005010X222A2",
                         "GS*HC*000000005*54321*20131031*1147*1*X*005010X222"),
     "segment 3 (ST): not an 837P: GS08 is 005010X222, expected 005010X222A1 or 005010X222A2"),
    (lambda t: t.replace("N3*15210 Juliet Lane~", "N3*15210 Juliet Lane~XYZ*1~"), "segment 18 (XYZ): XYZ is not a segment of the 837P"),
    (lambda t: t.replace("REF*EI*10-1234567~", "REF*EI*10-1234567~HI*BK:4659~"),
     "segment 13 (HI): HI is not expected here, in the billing provider loop 2010AA"),
]


@pytest.mark.parametrize("change, says", ENVELOPE_BREAKS)
def test_envelope_hl_and_mapped_segment_checks(change, says):
    text = change((LFH / "demo.drug.example10.3.837").read_text())
    with pytest.raises(X12Error) as caught:
        claims_of(text, "t.837")
    assert str(caught.value).startswith(f"t.837, {says}")


def test_a_claim_is_handed_over_only_when_closed_and_the_last_only_after_se():
    text = (LFH / "demo.drug.example10.3.837").read_text().replace("SE*65*0711", "SE*64*0711")
    stream = read_837(io.StringIO(text), "t.837")
    with pytest.raises(X12Error, match="SE01 says 64 segments"):
        next(stream)


def test_more_than_fifty_lines_is_an_error():
    found, d = segments_of(LFH / "demo.drug.example10.1.837")
    (transaction,) = transactions(found)
    at = next(i for i, s in enumerate(transaction) if s.id == "LX")
    line = transaction[at:at + 3]  # LX, SV1, DTP
    many = transaction[:at]
    for n in range(1, 52):
        many += [Segment("LX", (str(n),)), *line[1:]]
    many += [s for s in transaction[at:] if s.id == "SE"]
    with pytest.raises(X12Error, match="more than 50 service lines"):
        claims_of(render(interchange([[many]], found[0], 1), d))


# -- streaming: memory does not grow with the file -------------------------------------------------------

def _big_file(path: Path, repeats: int) -> int:
    found, d = segments_of(IMS / "x12_many_claims.txt")
    (transaction,) = transactions(found)
    with path.open("w") as out:
        for n in range(1, repeats + 1):
            out.write(render(interchange([[transaction]], found[0], n), d))
    return repeats * sum(1 for s in transaction if s.id == "CLM")


def _peak(path: Path) -> tuple[int, int]:
    tracemalloc.start()
    try:
        count = sum(1 for _ in read_837_path(path))
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_streaming_memory_stays_flat_when_the_file_doubles(tmp_path):
    small, large = tmp_path / "x10.837", tmp_path / "x20.837"
    claims_small, claims_large = _big_file(small, 10), _big_file(large, 20)
    count_small, peak_small = _peak(small)
    count_large, peak_large = _peak(large)
    assert (count_small, count_large) == (claims_small, claims_large) == (10 * 820, 20 * 820)
    assert large.stat().st_size > 6_000_000
    assert peak_small < 2_000_000, peak_small          # far below the 3.3 MB file
    assert peak_large < peak_small * 1.2 + 100_000, (peak_small, peak_large)


SUBSCRIBER_NAME = "NM1*IL*1*HOWLING*HAL****MI*B99977791G~"
PAYER_NAME = "NM1*PR*2*HEISMAN INSURANCE COMPANY*****PI*999888777~"


@pytest.mark.parametrize("drop, says", [
    ((SUBSCRIBER_NAME, PAYER_NAME),
     "segment 15 (HL): HL 3 (patient) before the subscriber name NM1*IL of HL 2 (loop 2010BA, required)"),
    ((PAYER_NAME,), "segment 16 (HL): HL 3 (patient) before the payer name NM1*PR of HL 2 (loop 2010BB, required)"),
])
def test_a_patient_level_needs_its_subscriber_named_first(drop, says):
    """Found by benchmarks/fuzz_read_837.py: a patient level under an unnamed subscriber failed with KeyError."""
    text = (LFH / "demo.autoaccident.837").read_text().replace("\n", "")
    for segment in drop:
        assert segment in text
        text = text.replace(segment, "")
    with pytest.raises(X12Error) as caught:
        claims_of(text, "t.837")
    assert str(caught.value) == f"t.837, {says}"

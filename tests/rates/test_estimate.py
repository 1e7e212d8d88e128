"""The 42 CFR 414.1550 estimate arithmetic (RULES PAY-4, PAY-5, PAY-6) on hand-checked numbers."""

from decimal import ROUND_HALF_EVEN, Decimal as D

from hitbenefit.money import to_cents
from hitbenefit.rates import estimate as est
from hitbenefit.rates.pfs import PFS_DIR, read_gpci, read_pprrvu

RVU25 = "PPRRVU25_JAN1_infusion_extract.csv"


def test_2025_category_1_by_hand():
    """CY 2025, category 1 (G0088 initial / G0068 subsequent), CF 32.3465 (PPRRVU25_JAN1).

    96365 NF total 1.79 x 32.3465 = 57.900235 -> 57.90
    96366 NF total 0.60 x 32.3465 = 19.407900 -> 19.41; x 4 = 77.64
    base = 57.90 + 77.64 = 135.54
    p = (2.16 + 3.37 + 5.05 + 6.67) / (1.70 + 2.75 + 3.87 + 5.43) - 1 = 17.25 / 13.75 - 1 = 14/55
    subsequent = 135.54 / (1 + 0.15 x 14/55) = 135.54 x 55 / 57.1 = 130.5551... -> 130.56
    initial    = 135.54 x 69 / 57.1 = 163.7874... -> 163.79
    """
    rvus, cf = read_pprrvu(PFS_DIR / RVU25, est.METHOD_CODES)
    assert cf == D("32.3465")
    assert (rvus["96365"], rvus["96366"]) == (D("1.79"), D("0.6"))
    assert est.pfs_amount(rvus["96365"], cf) == D("57.90")
    assert est.pfs_amount(rvus["96366"], cf) == D("19.41")
    assert est.category_base(rvus, cf, 1) == D("135.54")
    assert abs(est.em_ratio(rvus) - D(14) / D(55)) < D("1e-25")
    result = est.estimate_national(rvus, cf)
    assert result.national["G0068"] == D("130.56")
    assert result.national["G0088"] == D("163.79")
    assert result.national == {
        "G0068": D("130.56"), "G0069": D("190.37"), "G0070": D("213.41"),
        "G0088": D("163.79"), "G0089": D("238.83"), "G0090": D("267.73"),
    }


def test_split_is_budget_neutral_before_rounding():
    base, p, s = D("197.64"), D(14) / D(55), est.INITIAL_VISIT_SHARE
    sub = base / (1 + s * p)
    assert abs(s * sub * (1 + p) + (1 - s) * sub - base) < D("1e-20")
    initial, subsequent = est.split(base, p)
    assert initial > base > subsequent


def test_ties_round_half_up():
    assert to_cents(D("0.125")) == D("0.13")  # half-even would give 0.12
    assert est.pfs_amount(D("1"), D("10.005")) == D("10.01")
    assert est.pfs_amount(D("1"), D("10.005")) != D("10.005").quantize(D("0.01"), ROUND_HALF_EVEN)
    # initial = 100.03 x 1.5 = 150.045 exactly -> 150.05 (half-even: 150.04)
    assert est.split(D("100.03"), D("0.5"), D("0")) == (D("150.05"), D("100.03"))
    # GAF ties at the third decimal: weights sum to 1, so equal GPCIs give the GPCI itself
    assert est.gaf(D("1.0005"), D("1.0005"), D("1.0005")) == D("1.001")
    assert est.gaf(D("1.0015"), D("1.0015"), D("1.0015")) == D("1.002")


def test_gaf_known_localities_2025():
    """01112-54 Bakersfield: 0.50866 x 1.017 + 0.44839 x 1.093 + 0.04295 x 0.662 = 1.03583... -> 1.036.
    11302-00 Virginia: 0.50866 x 1.002 + 0.44839 x 0.984 + 0.04295 x 0.755 = 0.98332... -> 0.983."""
    gpcis = {g.locality: g for g in read_gpci(PFS_DIR / "GPCI2025.csv")}
    bak, va = gpcis["01112-54"], gpcis["11302-00"]
    assert (bak.work, bak.pe, bak.mp) == (D("1.017"), D("1.093"), D("0.662"))
    assert est.gaf(bak.work, bak.pe, bak.mp) == D("1.036")
    assert est.gaf(va.work, va.pe, va.mp) == D("0.983")
    assert sum(est.GAF_WEIGHTS.values()) == D("1.00000")


def test_stripped_codes_are_padded_in_gpci_files():
    codes = {g.locality for g in read_gpci(PFS_DIR / "GPCI2025.csv")}
    assert len(codes) == 109
    assert {"01112-54", "01112-05", "10112-00", "02102-01", "09202-20"} <= codes
    assert all(len(c) == 8 and c[5] == "-" for c in codes)

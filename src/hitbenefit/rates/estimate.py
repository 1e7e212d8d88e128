"""The HIT payment-amount estimate of 42 CFR 414.1550 from physician fee schedule inputs (pure).

Decimal only, never float. Money is rounded half up with ``to_cents`` exactly where the method
produces a dollar amount; ratios are kept unrounded (28 significant digits).

* Category base (42 CFR 414.1550(c); RULES PAY-3, PAY-4): 5 hours of infusion in a physician
  office, i.e. the NON-FACILITY PFS amount of the first-hour code plus 4 units of the add-on code.
  Each code's PFS amount is total RVUs x conversion factor rounded to cents, as the PFS prices a
  code; the base is the sum of those amounts.
* Initial/subsequent split (42 CFR 414.1550(c)(4)(i); RULES PAY-5; FAQ 23-24): ``p`` = new-patient
  over established-patient office E/M RVUs minus 1, applied budget neutrally with an assumed share
  ``s`` of initial visits: subsequent = base / (1 + s*p), initial = subsequent * (1 + p).
* GAF (RULES PAY-6): 0.50866 x work GPCI + 0.44839 x PE GPCI + 0.04295 x MP GPCI, rounded half up
  to 3 decimals (the PFS cost-share weights; confidence U).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Mapping

from hitbenefit.money import to_cents
from hitbenefit.parameters.load import hit_gcodes

ADDON_UNITS = 4  # 5 hours = first hour + 4 additional hours (RULES PAY-4)

#: payment category -> (first-hour code, additional-hour code)  (RULES PAY-4)
CATEGORY_CODES: dict[int, tuple[str, str]] = {
    1: ("96365", "96366"),
    2: ("96369", "96370"),
    3: ("96413", "96415"),
}
NEW_PATIENT_EM = ("99202", "99203", "99204", "99205")
ESTABLISHED_PATIENT_EM = ("99212", "99213", "99214", "99215")
#: every CPT code the method reads
METHOD_CODES = tuple(c for pair in CATEGORY_CODES.values() for c in pair) + NEW_PATIENT_EM + ESTABLISHED_PATIENT_EM


#: ASSUMPTION: share of HIT visit days that are initial visits (not published by CMS).
INITIAL_VISIT_SHARE = Decimal("0.15")

#: PFS cost-share weights for the GAF (confidence U: not confirmed for HIT).
GAF_WEIGHTS = {"work": Decimal("0.50866"), "pe": Decimal("0.44839"), "mp": Decimal("0.04295")}
GAF_PLACES = Decimal("0.001")


def pfs_amount(total_rvu: Decimal, conversion_factor: Decimal) -> Decimal:
    """PFS amount of one code: total RVUs x conversion factor, rounded half up to cents."""
    return to_cents(total_rvu * conversion_factor)


def category_base(rvus: Mapping[str, Decimal], conversion_factor: Decimal, category: int) -> Decimal:
    """5 hours of infusion in a physician office for one category (42 CFR 414.1550(c); PAY-4)."""
    first, addon = CATEGORY_CODES[category]
    return pfs_amount(rvus[first], conversion_factor) + ADDON_UNITS * pfs_amount(rvus[addon], conversion_factor)


def em_ratio(rvus: Mapping[str, Decimal]) -> Decimal:
    """p = sum(99202-99205) / sum(99212-99215) - 1, unrounded (RULES PAY-5)."""
    with localcontext() as ctx:
        ctx.prec = 28
        new = sum((rvus[c] for c in NEW_PATIENT_EM), Decimal(0))
        established = sum((rvus[c] for c in ESTABLISHED_PATIENT_EM), Decimal(0))
        return new / established - 1


def split(base: Decimal, p: Decimal, share: Decimal = INITIAL_VISIT_SHARE) -> tuple[Decimal, Decimal]:
    """(initial, subsequent) amounts, budget neutral for an initial-visit share ``share`` (PAY-5).

    share x initial + (1 - share) x subsequent == base before rounding.
    """
    with localcontext() as ctx:
        ctx.prec = 28
        subsequent = base / (1 + share * p)
        initial = subsequent * (1 + p)
    return to_cents(initial), to_cents(subsequent)


def gaf(work: Decimal, pe: Decimal, mp: Decimal) -> Decimal:
    """Geographic adjustment factor from the three GPCIs, 3 decimals half up (RULES PAY-6)."""
    value = GAF_WEIGHTS["work"] * work + GAF_WEIGHTS["pe"] * pe + GAF_WEIGHTS["mp"] * mp
    return value.quantize(GAF_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Estimate:
    """One year's estimated national amounts and the numbers that led to them."""

    p: Decimal
    bases: dict[int, Decimal]
    national: dict[str, Decimal]


def estimate_national(rvus: Mapping[str, Decimal], conversion_factor: Decimal,
                      share: Decimal = INITIAL_VISIT_SHARE) -> Estimate:
    """National unadjusted amounts of the six G-codes (42 CFR 414.1550; PAY-4, PAY-5)."""
    gcodes = hit_gcodes()
    p = em_ratio(rvus)
    bases = {cat: category_base(rvus, conversion_factor, cat) for cat in CATEGORY_CODES}
    national: dict[str, Decimal] = {}
    for cat, base in bases.items():
        initial, subsequent = split(base, p, share)
        for code, (code_cat, visit) in gcodes.items():
            if code_cat == cat:
                national[code] = initial if visit == "initial" else subsequent
    return Estimate(p, bases, {code: national[code] for code in gcodes})

"""One payment per payment category per infusion drug administration calendar day (FAQ 19, 25)."""

from __future__ import annotations

from hitbenefit.rules.cite import Finding, rule
from hitbenefit.rules.facts import VisitLine


@rule("CLM-8", area="once per category per day", applies_to="visit", keys=("DUPLICATE_CATEGORY_DAY",),
      cites=("FAQ 19", "FAQ 25", "42 CFR 414.1550(b)", "BPM 15 §320.8"))
def once_per_category_per_day(v: VisitLine) -> Finding | None:
    """A second line of the same payment category on the same day for the beneficiary is a duplicate."""
    if v.lookback.has_category_day(v.day, v.gcode.category):
        return "DUPLICATE_CATEGORY_DAY", f"Category {v.gcode.category} is already billed for {v.day}."
    return None

"""Initial versus subsequent visits (FAQ 24) and the benefit's start (FAQ 8)."""

from __future__ import annotations

from datetime import timedelta

from hitbenefit.rules.cite import Finding, rule
from hitbenefit.rules.facts import VisitLine

INITIAL = "initial"


@rule("TTP-1", area="initial vs subsequent visit", applies_to="visit", keys=("BEFORE_BENEFIT",),
      cites=("FAQ 8", "SSA §1861(iii)", "BPM 15 §320"))
def on_or_after_benefit_start(v: VisitLine) -> Finding | None:
    """HIT G-codes are paid under this benefit for dates of service from 2021-01-01."""
    enacted = v.params.entry("benefit_start", v.day)
    if enacted is None:
        return "BEFORE_BENEFIT", f"{v.day} is before the law that created the benefit."
    if v.day < enacted.value:
        return "BEFORE_BENEFIT", f"{v.day} is before the benefit began on {enacted.value}."
    return None


ONE_DAY = timedelta(days=1)


def _lookback_first_day(v: VisitLine):
    return v.day - v.params.days("initial_visit_lookback_days", v.day)


@rule("VIS-2", area="initial vs subsequent visit", applies_to="visit", keys=("INITIAL_WITHIN_60_DAYS",),
      cites=("FAQ 24", "BPM 15 §320.8.3", "MLN MM11880"))
def initial_visit_allowed(v: VisitLine) -> Finding | None:
    """An initial-visit code needs no HIT G-code, from any supplier, in the 60 days before."""
    if v.gcode.visit_type != INITIAL:
        return None
    first = _lookback_first_day(v)
    last = v.lookback.last_visit_between(first, v.day - ONE_DAY)
    if last is None:
        return None
    return "INITIAL_WITHIN_60_DAYS", (f"A HIT visit on {last} is {(v.day - last).days} days before {v.day}; "
                                      f"an initial visit is allowed again from {last + timedelta(days=61)}.")


@rule("VIS-1", area="initial vs subsequent visit", applies_to="visit", keys=("INITIAL_VISIT_AVAILABLE",),
      cites=("FAQ 24", "BPM 15 §320.8.3"))
def initial_visit_not_missed(v: VisitLine) -> Finding | None:
    """A subsequent-visit code where the history would have allowed the higher initial-visit code."""
    if v.gcode.visit_type == INITIAL:
        return None
    if v.lookback.last_visit_between(_lookback_first_day(v), v.day - ONE_DAY) is None:
        return "INITIAL_VISIT_AVAILABLE", f"No HIT visit in the 60 days before {v.day} is on record."
    return None

"""Units: 15-minute increments that report the visit's length, not its payment (FAQ 25)."""

from __future__ import annotations

from hitbenefit.rules.cite import Finding, rule
from hitbenefit.rules.facts import VisitLine


@rule("CLM-7", area="units", applies_to="visit", keys=("INVALID_UNITS",),
      cites=("FAQ 25", "HHS guidance 2021-08-09"))
def units_in_range(v: VisitLine) -> Finding | None:
    """Units are a whole number from 1 to 96 (one day of 15-minute increments)."""
    units = v.line.units
    low = v.params.value("units_minimum", v.day)
    high = v.params.value("units_maximum", v.day)
    if units != units.to_integral_value() or not low <= units <= high:
        return "INVALID_UNITS", f"{units} units; expected a whole number from {low} to {high}."
    return None


def units_for_minutes(minutes: int, minutes_per_unit: int) -> tuple[int, int]:
    """The units a visit of ``minutes`` reports: rounded half up to the nearest increment, or every increment begun."""
    return (2 * minutes + minutes_per_unit) // (2 * minutes_per_unit), -(-minutes // minutes_per_unit)


@rule("CLM-7b", area="units", applies_to="visit", keys=("UNITS_MINUTES_MISMATCH",),
      cites=("FAQ 25",))
def units_match_minutes(v: VisitLine) -> Finding | None:
    """Units report the visit's actual length in 15-minute increments."""
    minutes = v.line.visit.minutes
    if not minutes:
        return None
    per_unit = v.params.value("minutes_per_unit", v.day)
    nearest, begun = units_for_minutes(minutes, per_unit)
    if v.line.units not in (nearest, begun):
        expected = str(nearest) if nearest == begun else f"{nearest} or {begun}"
        return "UNITS_MINUTES_MISMATCH", f"{minutes} minutes is {expected} units of {per_unit} minutes; billed {v.line.units}."
    return None

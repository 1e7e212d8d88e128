"""Home health and HIT on the same visit: the time must be split (FAQ 7-9)."""

from __future__ import annotations

from hitbenefit.rules.cite import Finding, rule
from hitbenefit.rules.facts import VisitLine


@rule("HH-3", area="home health time split", applies_to="visit", keys=("HH_TIME_NOT_SEPARATED",),
      cites=("FAQ 7", "FAQ 9", "BPM 15 §320.4.1"))
def home_health_time_separated(v: VisitLine) -> Finding | None:
    """A visit that also furnished home health services records the HIT minutes separately."""
    visit = v.line.visit
    if visit.hh_minutes > 0 and not visit.minutes:
        return "HH_TIME_NOT_SEPARATED", f"{visit.hh_minutes} home health minutes and no HIT minutes recorded."
    return None

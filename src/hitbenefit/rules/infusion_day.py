"""The infusion drug administration calendar day, in the home (FAQ 1, 14, 19-21)."""

from __future__ import annotations

from hitbenefit.rules.cite import Finding, rule
from hitbenefit.rules.facts import VisitLine

STAY_NAMES = {"hospital": "hospital inpatient", "cah": "critical access hospital inpatient",
              "snf": "skilled nursing facility"}


@rule("ELIG-4", area="infusion day and place", applies_to="visit", keys=("NOT_HOME",),
      cites=("FAQ 1", "FAQ 20", "SSA §1861(iii)(3)(B)", "42 CFR 486.505", "BPM 15 §320.4"))
def furnished_in_home(v: VisitLine) -> Finding | None:
    """The service is furnished in the home: a home place of service, and no inpatient or SNF stay that day."""
    pos = v.line.place_of_service
    if pos not in v.params.value("home_places_of_service", v.day):
        return "NOT_HOME", f"Place of service {pos} is not a home."
    for stay in v.claim.beneficiary.institutional_stays:
        if stay.period.covers(v.day):
            return "NOT_HOME", (f"{v.day} falls in a {STAY_NAMES[stay.kind]} stay from {stay.period.start} "
                                f"to {stay.period.end or 'an open end'}.")
    return None


@rule("CLM-10", area="infusion day and place", applies_to="visit", keys=("NOT_INFUSION_DAY",),
      cites=("FAQ 14", "FAQ 19", "FAQ 20", "FAQ 21", "SSA §1834(u)(7)(E)(i)", "BPM 15 §320.8.2"))
def infusion_drug_administration_day(v: VisitLine) -> Finding | None:
    """Paid only for a day a skilled professional is in the home and the drug is given."""
    visit = v.line.visit
    if not visit.in_person:
        return "NOT_INFUSION_DAY", "No in-person visit that day (remote monitoring is bundled, never paid)."
    if not visit.drug_administered:
        return "NOT_INFUSION_DAY", "No infusion drug was administered during the visit."
    return None

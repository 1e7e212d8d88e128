"""Beneficiary eligibility: Part B entitlement and Medicare Advantage (FAQ 6, 26)."""

from __future__ import annotations

from hitbenefit.rules.cite import Finding, rule
from hitbenefit.rules.facts import VisitLine


@rule("ELIG-1", area="eligibility", applies_to="visit", keys=("NOT_PART_B",),
      cites=("FAQ 6", "BPM 15 §320.4"))
def part_b_entitlement(v: VisitLine) -> Finding | None:
    """The beneficiary must have Medicare Part B on the date of service."""
    periods = v.claim.beneficiary.part_b
    if periods is None:
        return None
    for period in periods:
        if period.covers(v.day):
            return None
    return "NOT_PART_B", f"No Part B period covers {v.day}."


@rule("COV-1", area="medicare advantage", applies_to="visit", keys=("MEDICARE_ADVANTAGE",),
      cites=("FAQ 26", "SSA §1861(s)(2)(GG)"))
def medicare_advantage_enrollment(v: VisitLine) -> Finding | None:
    """A Medicare Advantage member's HIT services are billed to the plan, not to original Medicare."""
    claim = v.claim
    if claim.payer != "medicare-ffs":
        return None
    for period in claim.beneficiary.medicare_advantage:
        if period.covers(v.day):
            return "MEDICARE_ADVANTAGE", f"Enrolled in Medicare Advantage from {period.start} on {v.day}."
    return None

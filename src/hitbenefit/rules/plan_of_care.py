"""The physician-established plan of care (FAQ 6, 10, 11, 21)."""

from __future__ import annotations

from hitbenefit.claims.model import PlanOfCare
from hitbenefit.rules.cite import Finding, rule
from hitbenefit.rules.facts import VisitLine

APPLICABLE_PROVIDERS = ("physician", "nurse_practitioner", "physician_assistant")
REQUIRED_ELEMENTS = ("therapy_type", "medication", "dosage", "frequency", "duration", "professional_services",
                     "visit_frequency", "discipline")


@rule("POC-1a", area="plan of care", applies_to="visit", keys=("PLAN_NOT_ON_FILE",),
      cites=("FAQ 6 B", "FAQ 10", "42 CFR 414.1515", "BPM 15 §320.5, §320.9"))
def plan_on_file(plan: PlanOfCare | None) -> Finding | None:
    """Without the plan of care, payment is left to medical review."""
    if plan is None:
        return "PLAN_NOT_ON_FILE", ""
    return None


@rule("POC-2", area="plan of care", applies_to="visit", keys=("PLAN_INCOMPLETE",),
      cites=("FAQ 10 A-B", "42 CFR 414.1515", "42 CFR 486.520", "BPM 15 §320.5 A-B"))
def plan_complete(plan: PlanOfCare | None) -> Finding | None:
    """The plan prescribes type, medication, dosage, frequency, duration, services, visit frequency, discipline."""
    if plan is None:
        return None
    missing = [name for name in REQUIRED_ELEMENTS if not getattr(plan, name)]
    if missing:
        return "PLAN_INCOMPLETE", f"Missing: {', '.join(m.replace('_', ' ') for m in missing)}."
    return None


@rule("POC-1", area="plan of care", applies_to="visit", keys=("PLAN_NOT_PHYSICIAN",),
      cites=("FAQ 6 B", "FAQ 10", "SSA §1861(iii)(1)(B)", "BPM 15 §320.5"))
def plan_established_by_physician(plan: PlanOfCare | None) -> Finding | None:
    """Only a physician may establish the plan of care."""
    if plan is None or plan.established_by_role == "physician":
        return None
    return "PLAN_NOT_PHYSICIAN", f"Established by a {plan.established_by_role.replace('_', ' ')}."


@rule("ELIG-2", area="eligibility", applies_to="visit", keys=("NO_APPLICABLE_PROVIDER",),
      cites=("FAQ 6 A", "FAQ 21", "SSA §1861(iii)(3)(A)", "BPM 15 §320.4 A"))
def under_care_of_applicable_provider(plan: PlanOfCare | None) -> Finding | None:
    """The patient is under the care of a physician, nurse practitioner or physician assistant."""
    if plan is None:
        return None
    role = plan.care_provider_role or plan.established_by_role
    if role in APPLICABLE_PROVIDERS:
        return None
    return "NO_APPLICABLE_PROVIDER", f"Care provider is a {role.replace('_', ' ')}."


@rule("POC-4", area="plan of care", applies_to="visit", keys=("PLAN_NOT_SIGNED",),
      cites=("FAQ 10 C", "FAQ 11", "BPM 15 §320.5 C"))
def plan_signed(v: VisitLine) -> Finding | None:
    """The plan is signed and dated before the claim is submitted, and signed again after any change."""
    plan = v.plan
    if plan is None:
        return None
    received = v.claim.received
    if plan.signed_date is None:
        return "PLAN_NOT_SIGNED", "The plan carries no signature date."
    if plan.signed_date > received:
        return "PLAN_NOT_SIGNED", f"Signed {plan.signed_date}, after the claim was submitted on {received}."
    if plan.last_changed is not None and plan.last_changed > plan.signed_date:
        return "PLAN_NOT_SIGNED", f"Changed {plan.last_changed}, after its signature of {plan.signed_date}."
    return None


@rule("POC-5", area="plan of care", applies_to="visit", keys=("PLAN_REVIEW_DUE",),
      cites=("FAQ 10 D", "FAQ 11", "BPM 15 §320.5 D"))
def plan_reviewed(v: VisitLine) -> Finding | None:
    """The physician reviews the plan periodically (interval: a configurable parameter)."""
    plan = v.plan
    if plan is None:
        return None
    reviewed = plan.last_reviewed or plan.signed_date
    interval = v.params.days("plan_review_interval_days", v.day)
    if reviewed is None:
        return "PLAN_REVIEW_DUE", "No review or signature date on the plan."
    if v.day - reviewed > interval:
        return "PLAN_REVIEW_DUE", (f"Last reviewed {reviewed}, {(v.day - reviewed).days} days before {v.day} "
                                   f"(interval {interval.days} days).")
    return None

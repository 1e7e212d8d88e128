"""Every rule, in the order the engine applies it; ``hitbenefit rules`` prints this list."""

from __future__ import annotations

from hitbenefit.rules import (
    coding,
    drugs,
    eligibility,
    home_health,
    infusion_day,
    once_per_day,
    plan_of_care,
    supplier,
    units,
    visit_type,
)

BENEFIT_START_RULE = visit_type.on_or_after_benefit_start

ENROLLMENT_RULES = (
    eligibility.medicare_advantage_enrollment,
    eligibility.part_b_entitlement,
    supplier.supplier_enrollment_known,
    supplier.qualified_supplier,
)
"""Checks on a HIT G-code line, after ``BENEFIT_START_RULE`` has passed: the beneficiary and the supplier."""

PLAN_RULES = (
    plan_of_care.plan_on_file,
    plan_of_care.plan_complete,
    plan_of_care.plan_established_by_physician,
    plan_of_care.under_care_of_applicable_provider,
)
"""Then the checks that read the plan of care alone (each takes the plan): decided once per plan."""

VISIT_RULES = (
    plan_of_care.plan_signed,
    plan_of_care.plan_reviewed,
    units.units_in_range,
    units.units_match_minutes,
    infusion_day.furnished_in_home,
    infusion_day.infusion_drug_administration_day,
    home_health.home_health_time_separated,
    drugs.qualifying_drug,
    visit_type.initial_visit_allowed,
    visit_type.initial_visit_not_missed,
    once_per_day.once_per_category_per_day,
)
"""Then the rest of a G-code line's checks."""

DRUG_CODE_RULE = drugs.drug_code_valid_on_date

DRUG_RULES = (
    drugs.noc_drug_named,
    drugs.noc_drug_assigned,
    drugs.subcutaneous_drug_has_jb,
    drugs.home_infusion_drug_only,
    drugs.drug_paid_under_dme,
)
"""Checks on a drug J-code line, after ``DRUG_CODE_RULE`` has passed. Like it, they read only the line's code,
date of service, drug name and modifiers (and the parameters): the engine remembers what they find by these
(``tests/test_drug_line_checks.py`` fails when a drug rule reads anything else of the line)."""

OTHER_RULES = (coding.not_a_dme_item, coding.known_hit_code)
"""Checks on any other line."""

"""Home infusion drugs and their payment categories (FAQ 15-18, 22-23)."""

from __future__ import annotations

from hitbenefit.claims.model import ClaimLine
from hitbenefit.parameters.model import Parameters
from hitbenefit.rules.cite import Finding, rule
from hitbenefit.rules.facts import EXCLUDED_DRUG, HIT_DRUG, NOC_DRUG, OTHER_DRUG, DrugLine, VisitLine

JB = "JB"


def drug_kind(line: ClaimLine, params: Parameters) -> str | None:
    """Which kind of drug line this is, or None when the code is not a drug code."""
    code = line.hcpcs
    if code in params.drugs:
        return HIT_DRUG
    if code in params.noc_codes:
        return NOC_DRUG
    if code in params.excluded_drugs:
        return EXCLUDED_DRUG
    if code.startswith("J") and code in params.known_codes:
        return OTHER_DRUG
    return None


@rule("DRUG-2", area="drug and category", applies_to="drug", keys=("INVALID_CODE",),
      cites=("FAQ 16", "CPM 32 §411.3"))
def drug_code_valid_on_date(d: DrugLine, params: Parameters) -> Finding | None:
    """A home infusion drug code must be in effect on the date of service."""
    line = d.line
    if d.kind == HIT_DRUG and d.category is None:  # drug_category finds no entry in force that day
        return "INVALID_CODE", f"{line.hcpcs} is not a home infusion drug code on {line.service_date}."
    if d.kind == NOC_DRUG and not params.noc_codes[line.hcpcs].valid_on(line.service_date):
        return "INVALID_CODE", f"{line.hcpcs} is not valid on {line.service_date}."
    return None


@rule("CLM-5", area="drug and category", applies_to="drug", keys=("NOC_DRUG_NAME_MISSING",),
      cites=("FAQ 17", "SSA §1834(u)(7)(C)(iv)"))
def noc_drug_named(d: DrugLine, params: Parameters) -> Finding | None:
    """A NOC drug line (J7799, J7999) names the drug (837P 2400 SV101-7, CMS-1500 item 19)."""
    if d.kind == NOC_DRUG and not d.line.drug_name:
        return "NOC_DRUG_NAME_MISSING", f"{d.line.hcpcs} without a drug name."
    return None


@rule("DRUG-3", area="drug and category", applies_to="drug", keys=("NOC_CATEGORY_UNKNOWN",),
      cites=("FAQ 17", "SSA §1834(u)(7)(C)(iv)", "MLN MM11880"))
def noc_drug_assigned(d: DrugLine, params: Parameters) -> Finding | None:
    """The contractor has assigned the named NOC drug to a payment category (J7799 JB is category 2)."""
    if d.kind != NOC_DRUG or not d.line.drug_name or d.category is not None:
        return None
    if _excluded_noc_name(d.line, params):
        return None  # reported by home_infusion_drug_only
    return "NOC_CATEGORY_UNKNOWN", f"No category is assigned to {d.line.drug_name!r} ({params.sources['noc_names']})."


@rule("DRUG-4", area="drug and category", applies_to="drug", keys=("MISSING_JB_MODIFIER",),
      cites=("FAQ 22", "SSA §1834(u)(7)(C)(ii)", "MLN MM11880"))
def subcutaneous_drug_has_jb(d: DrugLine, params: Parameters) -> Finding | None:
    """A category 2 (subcutaneous) drug is billed with modifier JB."""
    if d.category == 2 and JB not in d.line.modifiers:
        return "MISSING_JB_MODIFIER", f"{d.line.hcpcs} is a category 2 drug billed without JB."
    return None


@rule("ELIG-7", area="drug and category", applies_to="drug", keys=("NOT_HOME_INFUSION_DRUG",),
      cites=("FAQ 15", "FAQ 18", "SSA §1861(iii)(3)(C)", "42 CFR 486.505"))
def home_infusion_drug_only(d: DrugLine, params: Parameters) -> Finding | None:
    """Only home infusion drugs count: not other drugs (e.g. most antibiotics), insulin pumps or SAD-list drugs."""
    if d.kind == OTHER_DRUG:
        return "NOT_HOME_INFUSION_DRUG", f"{d.line.hcpcs} is not on the home infusion drug list."
    if d.kind == EXCLUDED_DRUG:
        return "NOT_HOME_INFUSION_DRUG", f"{d.line.hcpcs}: {params.excluded_drugs[d.line.hcpcs].what}."
    if d.kind == NOC_DRUG and _excluded_noc_name(d.line, params):
        entry = params.noc_category(d.line.drug_name)
        return "NOT_HOME_INFUSION_DRUG", f"{d.line.drug_name!r} is excluded ({entry.reference})."
    return None


@rule("CLM-2", area="DME items", applies_to="drug", keys=("DRUG_PAID_UNDER_DME",),
      cites=("FAQ 1", "FAQ 4", "BPM 15 §320.7"))
def drug_paid_under_dme(d: DrugLine, params: Parameters) -> Finding | None:
    """The drug itself is paid under the DME benefit; on the HIT claim it identifies the category."""
    if d.kind == HIT_DRUG or (d.kind == NOC_DRUG and not _excluded_noc_name(d.line, params)):
        return "DRUG_PAID_UNDER_DME", ""
    return None


def _excluded_noc_name(line: ClaimLine, params: Parameters) -> bool:
    entry = params.noc_category(line.drug_name) if line.drug_name else None
    return entry is not None and entry.category is None


def drug_category(line: ClaimLine, kind: str, params: Parameters) -> int | None:
    """The payment category of a drug line, when the tables give one (FAQ 17, 22)."""
    if kind == HIT_DRUG:
        entry = params.home_infusion_drug(line.hcpcs, line.service_date)
        return entry.category if entry else None
    if kind == NOC_DRUG:
        if line.drug_name:
            entry = params.noc_category(line.drug_name)
            if entry is not None:
                return entry.category
        if JB in line.modifiers:
            return params.noc_codes[line.hcpcs].category_with_jb
    return None


@rule("CLM-3", area="drug and category", applies_to="visit",
      keys=("NO_QUALIFYING_DRUG", "CATEGORY_MISMATCH", "NOT_HOME_INFUSION_DRUG", "MISSING_JB_MODIFIER",
            "NOC_DRUG_NAME_MISSING", "NOC_CATEGORY_UNKNOWN"),
      cites=("FAQ 15", "FAQ 16", "FAQ 21", "FAQ 22", "MLN MM11880", "BPM 15 §320.8.1"))
def qualifying_drug(v: VisitLine) -> Finding | None:
    """A home infusion drug of the G-code's category is billed with the visit or in the 30 days before it."""
    category, day = v.gcode.category, v.day
    first = day - v.params.days("drug_window_days", day)
    if v.lookback.has_drug_between(category, first, day):
        return None
    nearby = [d for d in v.drugs if first <= d.line.service_date <= day]
    same = [d for d in nearby if d.category == category and d.failed]
    if same:
        return same[0].failed[0], f"The category {category} drug {same[0].line.hcpcs} (line {same[0].line.line}) was not accepted."
    unresolved = [d for d in nearby if d.kind == NOC_DRUG and d.category is None and d.failed
                  and d.failed[0] in ("NOC_DRUG_NAME_MISSING", "NOC_CATEGORY_UNKNOWN")]
    if unresolved:
        return unresolved[0].failed[0], f"The NOC drug on line {unresolved[0].line.line} has no category, so no drug of category {category} is identified."
    others = sorted({d.category for d in nearby if d.category is not None and not d.failed})
    if others:
        return "CATEGORY_MISMATCH", (f"{v.gcode.code} is payment category {category}; the drug billed is category "
                                     f"{' and '.join(map(str, others))}.")
    excluded = [d for d in nearby if d.failed and d.failed[0] == "NOT_HOME_INFUSION_DRUG"]
    if excluded:
        return "NOT_HOME_INFUSION_DRUG", f"{excluded[0].line.hcpcs} (line {excluded[0].line.line}) is not a home infusion drug."
    return "NO_QUALIFYING_DRUG", f"No category {category} drug billed from {first} to {day}."

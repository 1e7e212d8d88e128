"""The qualified home infusion therapy supplier (FAQ 3, 5)."""

from __future__ import annotations

from hitbenefit.rules.cite import Finding, rule
from hitbenefit.rules.facts import VisitLine

HIT_SUPPLIER_SPECIALTY = "D6"


@rule("SUP-2", area="supplier", applies_to="visit", keys=("SUPPLIER_UNVERIFIED",),
      cites=("FAQ 3", "FAQ 5", "42 CFR 424.68"))
def supplier_enrollment_known(v: VisitLine) -> Finding | None:
    """The supplier's Medicare enrollment specialty must be known to check it."""
    if v.supplier.specialty is None:
        return "SUPPLIER_UNVERIFIED", f"No enrollment specialty for NPI {v.supplier.npi} on the claim or in the supplier registry."
    return None


@rule("SUP-1", area="supplier", applies_to="visit", keys=("NOT_QUALIFIED_SUPPLIER",),
      cites=("FAQ 3", "SSA §1861(iii)(3)(D)", "42 CFR 424.68", "BPM 15 §320.3"))
def qualified_supplier(v: VisitLine) -> Finding | None:
    """Only an enrolled (specialty D6), accredited supplier licensed in the state may bill HIT."""
    supplier = v.supplier
    if supplier.specialty is not None and supplier.specialty.upper() != HIT_SUPPLIER_SPECIALTY:
        return "NOT_QUALIFIED_SUPPLIER", f"Enrollment specialty is {supplier.specialty}, not D6."
    if supplier.accreditation_expires is not None and supplier.accreditation_expires < v.day:
        return "NOT_QUALIFIED_SUPPLIER", f"Accreditation expired {supplier.accreditation_expires}, before {v.day}."
    state = v.service_state
    if supplier.licensed_states is not None and state is not None and state not in supplier.licensed_states:
        return "NOT_QUALIFIED_SUPPLIER", (f"Service locality {v.claim.service_locality} is in {state}; "
                                          f"the supplier is licensed in {', '.join(supplier.licensed_states) or 'no state'}.")
    return None

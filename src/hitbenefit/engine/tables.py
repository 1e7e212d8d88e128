"""The reference tables the engine reads: parameters, rates, localities and known suppliers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from hitbenefit.claims.model import Supplier
from hitbenefit.parameters.model import Parameters
from hitbenefit.rates.model import RateBook


@dataclass(frozen=True)
class Tables:
    """Everything an adjudication looks up besides the claim and the history; never mutated."""

    params: Parameters
    rates: RateBook
    locality_states: Mapping[str, str] = field(default_factory=dict)
    suppliers: Mapping[str, Supplier] = field(default_factory=dict)

    def supplier_for(self, claimed: Supplier) -> Supplier:
        """The claim's supplier, with fields it leaves out filled from the supplier registry."""
        known = self.suppliers.get(claimed.npi)
        if known is None:
            return claimed
        return Supplier(
            npi=claimed.npi,
            specialty=claimed.specialty if claimed.specialty is not None else known.specialty,
            accreditation_expires=(claimed.accreditation_expires if claimed.accreditation_expires is not None
                                   else known.accreditation_expires),
            licensed_states=claimed.licensed_states if claimed.licensed_states is not None else known.licensed_states,
        )

"""What the rules look at: a drug line, and a visit line with the claim-wide facts and its look-back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from hitbenefit.claims.model import EXCLUDED_DRUG, HIT_DRUG, NOC_DRUG, OTHER_DRUG, Claim, ClaimLine, Supplier
from hitbenefit.claims.history import BeneficiaryHistory
from hitbenefit.parameters.model import GCode, Parameters

__all__ = ["EXCLUDED_DRUG", "HIT_DRUG", "NOC_DRUG", "OTHER_DRUG", "DrugLine", "Lookback", "VisitLine"]


@dataclass(slots=True)
class DrugLine:
    """A drug J-code line: its kind, its payment category when known, and what failed on it."""

    line: ClaimLine
    kind: str
    category: int | None = None
    failed: tuple[str, ...] = ()


class Lookback:
    """The beneficiary's history plus the earlier accepted lines of the claim being adjudicated."""

    __slots__ = ("history", "visits", "drugs")

    def __init__(self, history: BeneficiaryHistory) -> None:
        self.history = history
        self.visits: list[tuple[date, int]] = []  # (day, payment category) of the claim's accepted G-code lines
        self.drugs: list[tuple[date, int]] = []

    def last_visit_between(self, first: date, last: date) -> date | None:
        found = self.history.last_visit_between(first, last)
        for day, _ in self.visits:
            if first <= day <= last and (found is None or day > found):
                found = day
        return found

    def has_category_day(self, day: date, category: int) -> bool:
        return (day, category) in self.visits or self.history.has_category_day(day, category)

    def has_drug_between(self, category: int, first: date, last: date) -> bool:
        """Whether a drug of ``category`` was billed from ``first`` to ``last`` inclusive: on this claim or before."""
        for day, cat in self.drugs:
            if cat == category and first <= day <= last:
                return True
        return self.history.drug_between(category, first, last) is not None


class VisitLine:
    """A HIT G-code line under check, with the facts of its claim worked out once for all its lines: the
    supplier (filled from the registry), the state of the service locality and the claim's drug lines."""

    __slots__ = ("claim", "params", "supplier", "service_state", "drugs", "lookback", "line", "gcode", "day", "plan")

    def __init__(self, claim: Claim, params: Parameters, supplier: Supplier, service_state: str | None,
                 drugs: list[DrugLine], lookback: Lookback, line: ClaimLine, gcode: GCode) -> None:
        self.claim, self.params, self.supplier, self.service_state = claim, params, supplier, service_state
        self.drugs, self.lookback, self.line, self.gcode = drugs, lookback, line, gcode
        self.day: date = line.service_date
        self.plan = claim.plan_of_care

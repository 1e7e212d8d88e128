"""What the rules look at: the claim-wide facts, a drug line, and a visit line with its look-back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from hitbenefit.claims.model import EXCLUDED_DRUG, HIT_DRUG, NOC_DRUG, OTHER_DRUG, Claim, ClaimLine, Supplier
from hitbenefit.claims.history import BeneficiaryHistory
from hitbenefit.parameters.model import GCode, Parameters

__all__ = ["EXCLUDED_DRUG", "HIT_DRUG", "NOC_DRUG", "OTHER_DRUG", "ClaimFacts", "DrugLine", "Lookback", "VisitLine"]


@dataclass(slots=True)
class DrugLine:
    """A drug J-code line: its kind, its payment category when known, and what failed on it."""

    line: ClaimLine
    kind: str
    category: int | None = None
    failed: tuple[str, ...] = ()


class ClaimFacts:
    """Facts about the claim computed once and shared by the checks of its lines."""

    __slots__ = ("claim", "params", "supplier", "service_state", "drugs")

    def __init__(self, claim: Claim, params: Parameters, supplier: Supplier, service_state: str | None) -> None:
        self.claim, self.params, self.supplier, self.service_state = claim, params, supplier, service_state
        self.drugs: list[DrugLine] = []


class Lookback:
    """The beneficiary's history plus the earlier accepted lines of the claim being adjudicated."""

    __slots__ = ("history", "visits", "category_days", "drugs")

    def __init__(self, history: BeneficiaryHistory) -> None:
        self.history = history
        self.visits: list[date] = []
        self.category_days: set[tuple[date, int]] = set()
        self.drugs: list[tuple[date, int]] = []

    def add_visit(self, day: date, category: int) -> None:
        self.visits.append(day)
        self.category_days.add((day, category))

    def last_visit_between(self, first: date, last: date) -> date | None:
        found = self.history.last_visit_between(first, last)
        for day in self.visits:
            if first <= day <= last and (found is None or day > found):
                found = day
        return found

    def has_category_day(self, day: date, category: int) -> bool:
        return (day, category) in self.category_days or self.history.has_category_day(day, category)

    def has_drug_between(self, category: int, first: date, last: date) -> bool:
        """Whether a drug of ``category`` was billed from ``first`` to ``last`` inclusive: on this claim or before."""
        for day, cat in self.drugs:
            if cat == category and first <= day <= last:
                return True
        return self.history.drug_between(category, first, last) is not None


class VisitLine:
    """A HIT G-code line under check, with the claim-wide facts at hand."""

    __slots__ = ("facts", "line", "gcode", "lookback", "day", "claim", "params", "plan")

    def __init__(self, facts: ClaimFacts, line: ClaimLine, gcode: GCode, lookback: Lookback) -> None:
        self.facts, self.line, self.gcode, self.lookback = facts, line, gcode, lookback
        self.day: date = line.service_date
        self.claim = facts.claim
        self.params = facts.params
        self.plan = facts.claim.plan_of_care

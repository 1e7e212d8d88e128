"""The named baseline for benchmarks/run.py: "naive full-history scan".

A deliberately simple claims history: it keeps every line of every beneficiary forever, in arrival
order, and answers the 60-day (initial visit), 30-day (qualifying drug) and same-day look-backs by
scanning that list from start to end. It plugs into the real engine (``adjudicate_batch(...,
history=NaiveClaimsHistory())``), so the baseline runs the same rules on the same claims and must
reach the same decisions; only the look-back store differs.
"""

from __future__ import annotations

from datetime import date

from hitbenefit.claims.history import BeneficiaryHistory, ClaimsHistory

VISIT, DRUG = "visit", "drug"


class NaiveBeneficiaryHistory(BeneficiaryHistory):
    """Every (day, kind, category) of one beneficiary, never forgotten, scanned linearly."""

    __slots__ = ("lines",)

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[tuple[date, str, int]] = []

    def add_visit(self, day: date, category: int) -> None:
        self.lines.append((day, VISIT, category))

    def add_drug(self, day: date, category: int) -> None:
        self.lines.append((day, DRUG, category))

    def last_visit_between(self, first: date, last: date) -> date | None:
        found = None
        for day, kind, _ in self.lines:
            if kind == VISIT and first <= day <= last and (found is None or day > found):
                found = day
        return found

    def has_category_day(self, day: date, category: int) -> bool:
        for seen, kind, cat in self.lines:
            if kind == VISIT and seen == day and cat == category:
                return True
        return False

    def drug_between(self, category: int, first: date, last: date) -> date | None:
        found = None
        for day, kind, cat in self.lines:
            if kind == DRUG and cat == category and first <= day <= last and (found is None or day > found):
                found = day
        return found

    def forget_before(self, day: date) -> None:
        """Never forgets: that is the point of the baseline."""

    def __len__(self) -> int:
        return len(self.lines)


class NaiveClaimsHistory(ClaimsHistory):
    """Every beneficiary's full history, by MBI."""

    __slots__ = ()

    def for_update(self, mbi: str) -> BeneficiaryHistory:
        found = self._by_mbi.get(mbi)
        if found is None:
            found = self._by_mbi[mbi] = NaiveBeneficiaryHistory()
        return found

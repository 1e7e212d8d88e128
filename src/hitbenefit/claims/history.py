"""A beneficiary's HIT claims history, as far back as the look-backs need (CONTRACT §5).

Only lines that were not rejected join the history (CONTRACT §2). The engine asks three things:
was any HIT G-code billed in a window (FAQ 24, 60 days), is a payment category already billed on a
day (FAQ 19, 25), and was a home infusion drug of a category billed in a window (FAQ 15-16, 30 days).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from datetime import date


class BeneficiaryHistory:
    """Dates of one beneficiary's HIT visits (G-codes) and home infusion drugs, by category."""

    __slots__ = ("visit_dates", "category_days", "drug_dates")

    def __init__(self) -> None:
        self.visit_dates: list[date] = []
        self.category_days: set[tuple[date, int]] = set()
        self.drug_dates: dict[int, list[date]] = {}

    def add_visit(self, day: date, category: int) -> None:
        """Add a HIT G-code line of a payment category."""
        insort(self.visit_dates, day)
        self.category_days.add((day, category))

    def add_drug(self, day: date, category: int) -> None:
        """Add a home infusion drug line of a payment category."""
        dates = self.drug_dates.get(category)
        if dates is None:
            self.drug_dates[category] = [day]
        else:
            insort(dates, day)

    def last_visit_between(self, first: date, last: date) -> date | None:
        """The latest HIT G-code date from ``first`` to ``last`` inclusive, if any."""
        dates = self.visit_dates
        i = bisect_right(dates, last)
        if i and dates[i - 1] >= first:
            return dates[i - 1]
        return None

    def has_category_day(self, day: date, category: int) -> bool:
        """Whether a HIT G-code of ``category`` was billed on ``day`` (FAQ 19, 25)."""
        return (day, category) in self.category_days

    def drug_between(self, category: int, first: date, last: date) -> date | None:
        """The latest drug date of ``category`` from ``first`` to ``last`` inclusive, if any."""
        dates = self.drug_dates.get(category)
        if not dates:
            return None
        i = bisect_right(dates, last)
        if i and dates[i - 1] >= first:
            return dates[i - 1]
        return None

    def forget_before(self, day: date) -> None:
        """Drop what no look-back starting on or after ``day`` can see."""
        visits = self.visit_dates
        if visits and visits[0] < day:
            del visits[:bisect_left(visits, day)]
            if len(self.category_days) > 2 * len(visits) + 8:  # rebuilt now and then, not every cut
                self.category_days = {entry for entry in self.category_days if entry[0] >= day}
        for dates in self.drug_dates.values():
            if dates and dates[0] < day:
                del dates[:bisect_left(dates, day)]

    def __len__(self) -> int:
        return len(self.visit_dates) + sum(len(d) for d in self.drug_dates.values())


EMPTY_HISTORY = BeneficiaryHistory()


class ClaimsHistory:
    """Every beneficiary's history, by MBI."""

    __slots__ = ("_by_mbi",)

    def __init__(self) -> None:
        self._by_mbi: dict[str, BeneficiaryHistory] = {}

    def for_update(self, mbi: str) -> BeneficiaryHistory:
        found = self._by_mbi.get(mbi)
        if found is None:
            found = self._by_mbi[mbi] = BeneficiaryHistory()
        return found

    def forget_all_before(self, day: date) -> None:
        """Trim every beneficiary's history to ``day``, dropping those left empty."""
        for mbi in list(self._by_mbi):
            found = self._by_mbi[mbi]
            found.forget_before(day)
            if not len(found):
                del self._by_mbi[mbi]

    def entries(self) -> int:
        """How many dates are kept in all (a measure of the look-back state)."""
        return sum(len(h) for h in self._by_mbi.values())

    def __len__(self) -> int:
        return len(self._by_mbi)

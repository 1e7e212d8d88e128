"""Rate tables and the rate book the engine prices with (pure: no I/O).

A ``RateTable`` holds one calendar year: national unadjusted amounts per G-code, optional
locality-adjusted amounts, and the geographic adjustment factors (GAF) by locality, with its
source and status (``official`` CMS publication or ``estimate`` by 42 CFR 414.1550).
CONTRACT §4: rate = locality amount, or else national x GAF rounded to cents; locality rows win.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Mapping

from hitbenefit.money import to_cents

OFFICIAL = "official"
ESTIMATE = "estimate"
STATUSES = (OFFICIAL, ESTIMATE)


@dataclass(frozen=True, slots=True)
class RateTable:
    """One calendar year's HIT rates. ``locality`` is keyed by (``MAC-locality``, hcpcs)."""

    year: int
    source: str
    status: str
    national: Mapping[str, Decimal] = field(default_factory=dict)
    locality: Mapping[tuple[str, str], Decimal] = field(default_factory=dict)
    gaf: Mapping[str, Decimal] = field(default_factory=dict)
    gaf_source: str = ""
    notes: str = ""
    # Added for provenance display (additive; defaults keep older constructors valid).
    method: str = ""
    substitutions: tuple[str, ...] = ()
    assumptions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"rate table {self.year}: status must be one of {STATUSES}, not {self.status!r}")

    @property
    def label(self) -> str:
        """How the table is named to people: an estimate always says so."""
        return f"{self.year} {self.status} rates ({self.source})"


@dataclass(frozen=True, slots=True)
class RateQuote:
    """The rate for one line and how it was reached, for the trace."""

    amount: Decimal
    table: RateTable
    locality: str
    hcpcs: str
    method: str  # "locality" or "national x GAF"
    national: Decimal | None = None
    gaf: Decimal | None = None

    def explain(self) -> str:
        t = self.table
        if self.method == "locality":
            return (f"Rate: {t.year} {t.status} table ({t.source}) gives ${self.amount:,.2f} "
                    f"for {self.hcpcs} in locality {self.locality}.")
        return (f"Rate: {t.year} {t.status} table ({t.source}) has national {self.hcpcs} "
                f"${self.national:,.2f} x GAF {self.gaf} for locality {self.locality} "
                f"= ${self.amount:,.2f} (rounded half up to cents).")


class RateBook:
    """All rate tables by year. Immutable once built; shared safely between claims."""

    __slots__ = ("_tables", "_quotes")

    def __init__(self, tables: Mapping[int, RateTable] | None = None) -> None:
        self._tables: Mapping[int, RateTable] = MappingProxyType(dict(tables or {}))
        self._quotes: dict[tuple[int, str, str], RateQuote | None] = {}

    @property
    def tables(self) -> Mapping[int, RateTable]:
        return self._tables

    def table(self, year: int) -> RateTable | None:
        return self._tables.get(year)

    def years(self) -> list[int]:
        return sorted(self._tables)

    def quote(self, year: int, locality: str | None, hcpcs: str) -> RateQuote | None:
        """The rate for ``hcpcs`` in ``locality`` in ``year``, or None when the book has none (remembered)."""
        if locality is None:
            return None
        key = (year, locality, hcpcs)
        try:
            return self._quotes[key]
        except KeyError:
            found = self._quotes[key] = self._find(year, locality, hcpcs)
            return found

    def _find(self, year: int, locality: str, hcpcs: str) -> RateQuote | None:
        table = self._tables.get(year)
        if table is None:
            return None
        amount = table.locality.get((locality, hcpcs))
        if amount is not None:
            return RateQuote(amount, table, locality, hcpcs, "locality")
        national = table.national.get(hcpcs)
        gaf = table.gaf.get(locality)
        if national is None or gaf is None:
            return None
        return RateQuote(to_cents(national * gaf), table, locality, hcpcs, "national x GAF", national, gaf)

    def replaced(self, tables: Mapping[int, RateTable]) -> "RateBook":
        """A new book where the given years replace this book's tables."""
        merged = dict(self._tables)
        merged.update(tables)
        return RateBook(merged)

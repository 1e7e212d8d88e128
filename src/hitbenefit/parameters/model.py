"""The benefit's parameters as plain, immutable values (pure: no I/O).

Every value carries the date it takes effect and a ``reference`` to its source, the way
OpenFisca keeps legislation, so a rule change is a data change (see ``parameters/data``).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Mapping


@dataclass(frozen=True, slots=True)
class DatedValue:
    start: date
    value: Any
    reference: str
    confidence: str


@dataclass(frozen=True, slots=True)
class Parameter:
    """A value that changes over time: the value at a date is the latest one started by then."""

    name: str
    description: str
    unit: str
    values: tuple[DatedValue, ...]
    _starts: tuple[date, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_starts", tuple(v.start for v in self.values))

    def entry(self, on: date) -> DatedValue | None:
        i = bisect.bisect_right(self._starts, on) - 1
        return self.values[i] if i >= 0 else None

    def at(self, on: date) -> Any:
        found = self.entry(on)
        if found is None:
            raise LookupError(f"parameter {self.name} has no value on {on.isoformat()}")
        return found.value


class InForce:
    """A code table entry in force from ``start`` to ``end`` (inclusive; None = still in force)."""

    __slots__ = ()
    start: date
    end: date | None

    def valid_on(self, on: date) -> bool:
        return self.start <= on and (self.end is None or on <= self.end)


@dataclass(frozen=True, slots=True)
class GCode(InForce):
    """A HIT services G-code (FAQ 23)."""

    code: str
    category: int
    visit_type: str  # "initial" | "subsequent"
    short: str
    start: date
    end: date | None
    reference: str
    confidence: str


@dataclass(frozen=True, slots=True)
class HomeInfusionDrug(InForce):
    """A home infusion drug J-code and its payment category (FAQ 16, 22)."""

    code: str
    category: int
    name: str
    requires_modifier: str | None
    start: date
    end: date | None
    reference: str
    confidence: str


@dataclass(frozen=True, slots=True)
class NocDrugCode(InForce):
    """J7799/J7999: a home infusion drug without its own J-code (FAQ 17)."""

    code: str
    name: str
    category_with_jb: int | None
    start: date
    end: date | None
    reference: str
    confidence: str


@dataclass(frozen=True, slots=True)
class NocDrugName:
    """A contractor's assignment of a NOC drug name to a category, or to ``excluded``."""

    name: str
    category: int | None  # None means excluded (not a home infusion drug)
    reference: str
    confidence: str


@dataclass(frozen=True, slots=True)
class CodedItem:
    """An excluded drug or a DME item: a code with why it is what it is."""

    code: str
    what: str
    start: date | None
    end: date | None
    reference: str
    confidence: str


@dataclass(frozen=True, slots=True)
class ReasonSpec:
    """A reason key of CONTRACT §3 with its outcome, X12 mapping, message and citations."""

    key: str
    outcome: str  # rejected | denied | warning | informational
    group: str | None
    carc: str | None
    rarc: str | None
    message: str
    citations: tuple[str, ...]
    code_basis: str


@dataclass(frozen=True, slots=True)
class Parameters:
    """Everything the rules read, loaded once and shared by every claim."""

    scalars: Mapping[str, Parameter]
    gcodes: Mapping[str, GCode]
    drugs: Mapping[str, tuple[HomeInfusionDrug, ...]]
    noc_codes: Mapping[str, NocDrugCode]
    noc_names: Mapping[str, NocDrugName]
    excluded_drugs: Mapping[str, CodedItem]
    dme_items: Mapping[str, CodedItem]
    reasons: Mapping[str, ReasonSpec]
    known_codes: frozenset[str]
    sources: Mapping[str, str] = field(default_factory=dict)
    _values: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    _entries: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    _days: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def value(self, name: str, on: date) -> Any:
        """The value of parameter ``name`` on a date (remembered by name, then day: values are immutable)."""
        try:
            return self._values[name][on]
        except KeyError:
            found = self._values.setdefault(name, {})[on] = self.scalars[name].at(on)
            return found

    def entry(self, name: str, on: date) -> DatedValue | None:
        """The dated entry (value, reference) of parameter ``name`` in force on a date, if any."""
        try:
            return self._entries[name][on]
        except KeyError:
            found = self._entries.setdefault(name, {})[on] = self.scalars[name].entry(on)
            return found

    def days(self, name: str, on: date) -> timedelta:
        """A parameter counted in days, as a span to add to or take from a date."""
        try:
            return self._days[name][on]
        except KeyError:
            found = self._days.setdefault(name, {})[on] = timedelta(days=self.value(name, on))
            return found

    def home_infusion_drug(self, code: str, on: date) -> HomeInfusionDrug | None:
        for entry in self.drugs.get(code, ()):
            if entry.valid_on(on):
                return entry
        return None

    def noc_category(self, drug_name: str) -> NocDrugName | None:
        """Find a NOC drug name in the contractor table: the whole name, then its first word."""
        name = " ".join(drug_name.lower().split())
        found = self.noc_names.get(name)
        if found is None:
            for known, entry in self.noc_names.items():
                if name.startswith(known + " ") or name.startswith(known + ","):
                    return entry
        return found

"""What the pages show, made from the store's records: plan-of-care status badges, the visit
calendar, the next date an initial visit is allowed, and decisions line by line."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Iterable

from hitbenefit.claims.model import Decision
from hitbenefit.money import dollars
from hitbenefit.parameters.load import hit_gcodes
from hitbenefit.parameters.model import Parameters

PLAN_WORDS = {"unsigned": "Unsigned", "awaiting_resignature": "Awaiting re-signature",
              "review_overdue": "Review overdue", "complete": "Complete", "incomplete": "Incomplete",
              "not_in_effect": "Not in effect yet", "no_plan": "No plan on file"}
STATUS_WORDS = {"paid": "Paid", "partial": "Partly paid", "denied": "Denied", "rejected": "Rejected",
                "informational": "Information"}


def next_initial_visit(last_visit: date | None, today: date, params: Parameters) -> tuple[date, str]:
    """The first date an initial-visit code would be allowed, and why (FAQ 24; BPM 15 §320.8.3)."""
    lookback = params.days("initial_visit_lookback_days", today)
    if last_visit is None:
        return today, "No HIT visit is in the beneficiary's history: an initial visit may be billed now."
    allowed = last_visit + lookback + timedelta(days=1)
    if allowed <= today:
        return today, (f"The last HIT visit was on {last_visit.isoformat()}, more than {lookback.days} days ago: "
                       "an initial visit may be billed now.")
    return allowed, (f"The last HIT visit was on {last_visit.isoformat()}; an initial visit may be billed from "
                     f"{allowed.isoformat()} (day {lookback.days + 1}).")


@dataclass(slots=True)
class Day:
    day: date | None
    visits: list[tuple[str, str, str]] = field(default_factory=list)  # (hcpcs, initial/subsequent, status)
    drugs: list[str] = field(default_factory=list)

    @property
    def infusion(self) -> bool:
        return any(status not in ("rejected", "denied") for _, _, status in self.visits)


@dataclass(slots=True)
class Month:
    title: str
    weeks: list[list[Day]]


def visit_calendar(lines: Iterable[Any], months: int = 6) -> list[Month]:
    """Month grids (Monday first) of the last ``months`` months with HIT lines: each day's visits
    marked initial or subsequent, with their status, and its drugs; a day with an accepted visit is
    an infusion day (FAQ 2, 22)."""
    codes = hit_gcodes()
    by_day: dict[date, Day] = {}
    for line in lines:
        day = by_day.setdefault(line.service_date, Day(line.service_date))
        if line.hcpcs in codes:
            day.visits.append((line.hcpcs, codes[line.hcpcs][1], line.status))
        elif line.hcpcs not in day.drugs:
            day.drugs.append(line.hcpcs)
    wanted = sorted({(d.year, d.month) for d in by_day})[-months:]
    out = []
    for year, month in wanted:
        weeks = [[by_day.get(d, Day(d)) if d.month == month else Day(None) for d in week]
                 for week in calendar.Calendar(0).monthdatescalendar(year, month)]
        out.append(Month(f"{calendar.month_name[month]} {year}", weeks))
    return out


@dataclass(slots=True)
class LineView:
    line: int
    hcpcs: str
    category: int | None
    visit_type: str | None
    status: str
    allowed: str
    patient: str
    paid: str
    reasons: list[dict]
    trace: list[str]


def decision_view(decision: Decision, params: Parameters) -> list[LineView]:
    """Each line with its amounts as dollars, reasons in plain English with citations and X12
    codes (parameters/data/reasons.yaml), and its payment trace."""
    out = []
    for line in decision.lines:
        patient = None
        if line.deductible is not None and line.coinsurance is not None:
            patient = line.deductible + line.coinsurance
        reasons = []
        for r in line.reasons:
            spec = params.reasons.get(r.key)
            outcome = spec.outcome if spec else r.outcome
            codes = "-".join(c for c in (r.group, r.carc) if c) + (f" / {r.rarc}" if r.rarc else "")
            reasons.append({"key": r.key, "outcome": outcome, "message": r.message, "citations": list(r.citations),
                            "codes": codes})
        out.append(LineView(line.line, line.hcpcs, line.category, line.visit_type, line.status,
                            dollars(line.allowed), dollars(patient), dollars(line.paid), reasons, list(line.trace)))
    return out


def money(value: Decimal | None) -> str:
    return dollars(value)

"""Read contract claims (CONTRACT §1) from JSON: one object, an array, or JSON Lines.

Strict: unknown fields are errors (except inside ``extra``), dates are ``YYYY-MM-DD``, money has at
most two decimals and is read as ``Decimal`` (never float). Every error names the file, the record,
the claim id, the line and the field.

One claim's JSON text (a JSON Lines record, as ``str`` or UTF-8 ``bytes``) is read by ``claim_from_text``:
parsed with orjson when every number in it converts exactly (at most two decimals, no negative exponent),
else with ``json`` and ``Decimal``; any fault is reported from the exact parse, so errors read the same
either way.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from itertools import islice
from typing import Any, Callable, Iterable, Iterator

from hitbenefit.claims.model import (
    DEFAULT_VISIT,
    Beneficiary,
    Claim,
    ClaimLine,
    InstitutionalStay,
    Period,
    PlanOfCare,
    Supplier,
    Visit,
)
from hitbenefit.money import CENT, loads_exact
from hitbenefit.rates.files import normalize_locality

try:
    import orjson
except ImportError:  # pragma: no cover - a declared dependency; the exact reader works without it
    orjson = None

PAYERS = ("medicare-ffs", "medicare-advantage")
STAY_KINDS = ("hospital", "cah", "snf")
MINUTES_IN_DAY = 1440
FIRST_YEAR, LAST_YEAR = 1966, 2199  # Medicare began 1966-07-01; later dates are typos, not claims
MAX_MONEY = Decimal("1000000000")  # X12 amounts (R18) carry at most 18 digits; no HIT charge comes near
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: in JSON text: a point and three digits; a negative exponent (a digit, "e" or "E", "-"). Patterns that
#: start with one byte are searched fast: the bytes before the "-" are looked at only after a "-".
_THREE_DECIMALS = re.compile(rb"\.[0-9]{3}")
_NEGATIVE_EXPONENT = re.compile(rb"-(?<=[0-9][eE]-)")


class ClaimInputError(ValueError):
    """Input that cannot be read as a claim; ``str()`` names where and what."""

    def __init__(self, problem: str, source: str = "<input>", record: int | None = None,
                 claim_id: str | None = None, line: int | None = None, field: str | None = None) -> None:
        self.problem, self.source, self.record = problem, source, record
        self.claim_id, self.line, self.field = claim_id, line, field
        super().__init__(str(self))

    def __str__(self) -> str:
        where = [self.source]
        if self.record is not None:
            where.append(f"record {self.record}")
        if self.claim_id is not None:
            where.append(f"claim {self.claim_id}")
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.field is not None:
            where.append(f"field {self.field}")
        return f"{', '.join(where)}: {self.problem}"


@dataclass(slots=True)
class _Where:
    """Where the reader is, so that an error can say so."""

    source: str
    record: int
    claim_id: str | None = None
    line: int | None = None
    floats: bool = False  # parsed by orjson: numbers with a fraction are exact floats, read as Decimal

    def error(self, field: str, problem: str) -> ClaimInputError:
        return ClaimInputError(problem, self.source, self.record, self.claim_id, self.line, field)


def _object(where: _Where, field: str, value: Any, allowed: frozenset[str], required: tuple[str, ...] = ()) -> dict:
    if not isinstance(value, dict):
        raise where.error(field or None, f"expected {'an object' if field else 'a claim object'}, found {_kind(value)}")
    if not value.keys() <= allowed:
        name = sorted(value.keys() - allowed)[0]
        raise where.error(f"{field}.{name}" if field else name, "unknown field (a typo must not silently drop a fact)")
    for name in required:
        if value.get(name) is None:
            raise where.error(f"{field}.{name}" if field else name, "required")
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, Decimal)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    return "a list" if isinstance(value, list) else "an object"


def _text(where: _Where, field: str, value: Any, optional: bool = True) -> str | None:
    if value.__class__ is str:
        text = value.strip()
        if text:
            return text
    elif value is None and optional:
        return None
    raise where.error(field, f"expected text, found {_kind(value)}")


@lru_cache(maxsize=8192)
def _calendar_day(text: str) -> date | None:
    """``YYYY-MM-DD`` as a date, or None when it is not one (claims repeat their dates: remembered)."""
    if not _DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _day(value: Any) -> date | None:
    """``value`` as the date ``_date`` reads from it (a ``YYYY-MM-DD`` text from FIRST_YEAR to LAST_YEAR), or
    None when ``_date`` refuses it."""
    day = _calendar_day(value) if value.__class__ is str else None
    return day if day is not None and FIRST_YEAR <= day.year <= LAST_YEAR else None


def _date(where: _Where, field: str, value: Any, optional: bool = True) -> date | None:
    if value is None and optional:
        return None
    day = _day(value)
    if day is None:
        if value.__class__ is str and _calendar_day(value) is not None:
            raise where.error(field, f"a date from {FIRST_YEAR} to {LAST_YEAR} is expected, found {value!r}")
        raise where.error(field, f"expected a date YYYY-MM-DD, found {_kind(value)}")
    return day


def _exact(where: _Where, value: Any) -> Any:
    """A float from orjson as the Decimal its JSON text wrote, up to trailing zeros (see ``claim_from_text``):
    for amounts (rounded to cents) and minutes (whole) that is the same value."""
    return Decimal(repr(value)) if value.__class__ is float and where.floats else value


def _has_float(value: Any) -> bool:
    if value.__class__ is float:
        return True
    for item in value.values() if isinstance(value, dict) else value if isinstance(value, list) else ():
        if item.__class__ is float or item and isinstance(item, (dict, list)) and _has_float(item):
            return True
    return False


class _Inexact(ClaimInputError):
    """A float where trailing zeros count (units, ``extra``): ``claim_from_text`` reads it exactly instead."""


_AMOUNTS: dict[str, Decimal] = {}
AMOUNTS_AT_MOST = 4096


def _money(where: _Where, field: str, value: Any, optional: bool = False) -> Decimal | None:
    """An amount in dollars as ``Decimal`` cents. Amounts repeat, so an int, or an orjson float, is remembered
    by its ``repr`` (``1``, ``1.0`` and ``-0.0`` stay apart; true/false never is); a fault never is."""
    if value is None and optional:
        return None
    key = repr(value) if value.__class__ is int or (value.__class__ is float and where.floats) else None
    found = _AMOUNTS.get(key) if key is not None else None
    if found is not None:
        return found
    value = _exact(where, value)
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise where.error(field, f"expected an amount in dollars (a JSON number), found {_kind(value)}")
    amount = Decimal(value)
    if not amount.is_finite() or amount < 0 or amount >= MAX_MONEY:
        raise where.error(field, f"expected a non-negative amount below {MAX_MONEY:,}, found {value}")
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise where.error(field, f"money has at most two decimals, found {value}")
    amount = amount.quantize(CENT)
    if key is not None:
        if len(_AMOUNTS) >= AMOUNTS_AT_MOST:
            _AMOUNTS.clear()
        _AMOUNTS[key] = amount
    return amount


def _minutes(where: _Where, field: str, value: Any) -> int | None:
    if value is None:
        return None
    value = _exact(where, value)
    if (isinstance(value, bool) or not isinstance(value, (int, Decimal)) or not 0 <= value <= MINUTES_IN_DAY
            or value != int(value)):
        raise where.error(field, f"expected a whole number of minutes from 0 to {MINUTES_IN_DAY}, found {_kind(value)}")
    return int(value)


def _flag(where: _Where, field: str, value: Any, default: bool) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        raise where.error(field, f"expected true or false, found {_kind(value)}")
    return value


def _texts(where: _Where, field: str, value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise where.error(field, f"expected a list, found {_kind(value)}")
    out = []
    for item in value:
        text = item.strip() if item.__class__ is str else ""
        if not text:
            return tuple(_text(where, f"{field}[{i}]", item, optional=False) for i, item in enumerate(value))
        out.append(text)
    return tuple(out)


def _periods(where: _Where, field: str, value: Any) -> tuple[Period, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise where.error(field, f"expected a list of periods, found {_kind(value)}")
    periods = []
    for i, item in enumerate(value):
        periods.append(_usual_period(item, _PERIOD) or _period(where, f"{field}[{i}]", item))
    return tuple(periods)


def _period(where: _Where, field: str, value: Any) -> Period:
    """One period checked field by field: the first fault is raised."""
    _object(where, field, value, _PERIOD, ("from",))
    start, end = _date(where, field + ".from", value["from"], False), _date(where, field + ".to", value.get("to"))
    if end is not None and end < start:
        raise where.error(field + ".to", f"ends ({end}) before it starts ({start})")
    return Period(start, end)


_PERIODS: dict[tuple[str, str | None], Period] = {}
PERIODS_AT_MOST = 4096


def _usual_period(value: Any, fields: frozenset[str]) -> Period | None:
    """The period ``_period`` reads when a glance finds nothing wrong (a dict of ``fields`` only; ``from`` a date
    ``_day`` takes; ``to`` absent, null or such a date not before it), else None (``_period`` says why).
    Shared with every period of the same texts (a beneficiary's periods repeat on its claims)."""
    if value.__class__ is not dict or not value.keys() <= fields:
        return None
    key = start, end = value.get("from"), value.get("to")
    if start.__class__ is not str or not (end is None or end.__class__ is str):
        return None
    found = _PERIODS.get(key)
    if found is None:
        first, last = _day(start), None if end is None else _day(end)
        if first is None or end is not None and (last is None or last < first):
            return None
        if len(_PERIODS) >= PERIODS_AT_MOST:
            _PERIODS.clear()
        found = _PERIODS[key] = Period(first, last)
    return found


_PERIOD = frozenset({"from", "to"})
_STAY = frozenset({"from", "to", "kind"})
_CLAIM = frozenset({"claim_id", "received_date", "payer", "supplier", "beneficiary", "plan_of_care",
                    "service_locality", "lines", "extra"})
_SUPPLIER = frozenset({"npi", "specialty", "accreditation_expires", "licensed_states"})
_BENEFICIARY = frozenset({"mbi", "part_b", "medicare_advantage", "institutional_stays", "deductible_remaining"})
_PLAN = frozenset({"established_by", "care_provider_role", "therapy_type", "medication", "dosage", "frequency",
                   "duration", "professional_services", "visit_frequency", "discipline", "signed_date",
                   "last_changed", "last_reviewed"})
_ESTABLISHED_BY = frozenset({"npi", "role"})
_LINE = frozenset({"line", "hcpcs", "modifiers", "units", "service_date", "place_of_service", "charge", "visit",
                   "drug_name"})
_VISIT = frozenset({"in_person", "drug_administered", "minutes", "hh_minutes"})


def _supplier(where: _Where, value: Any) -> Supplier:
    _object(where, "supplier", value, _SUPPLIER, ("npi",))
    states = _texts(where, "supplier.licensed_states", value.get("licensed_states"))
    return Supplier(
        npi=_text(where, "supplier.npi", value["npi"], optional=False),
        specialty=_text(where, "supplier.specialty", value.get("specialty")),
        accreditation_expires=_date(where, "supplier.accreditation_expires", value.get("accreditation_expires")),
        licensed_states=tuple(s.upper() for s in states) if states is not None else None,
    )


def _beneficiary(where: _Where, value: Any) -> Beneficiary:
    _object(where, "beneficiary", value, _BENEFICIARY, ("mbi",))
    stays = value.get("institutional_stays")
    if stays is None:
        stays = []
    elif not isinstance(stays, list):
        raise where.error("beneficiary.institutional_stays", f"expected a list, found {_kind(stays)}")
    parsed_stays = []
    for i, stay in enumerate(stays):
        period = _usual_period(stay, _STAY)
        if period is None or stay.get("kind") not in STAY_KINDS:
            f = f"beneficiary.institutional_stays[{i}]"
            _object(where, f, stay, _STAY, ("from", "kind"))
            if stay["kind"] not in STAY_KINDS:
                raise where.error(f + ".kind", f"must be one of {', '.join(STAY_KINDS)}, found {_kind(stay['kind'])}")
            period = _period(where, f, {"from": stay["from"], "to": stay.get("to")})
        parsed_stays.append(InstitutionalStay(period, stay["kind"]))
    return Beneficiary(  # by position, in the order of its fields (as for a claim's lines)
        _text(where, "beneficiary.mbi", value["mbi"], optional=False),
        _periods(where, "beneficiary.part_b", value.get("part_b")),
        _periods(where, "beneficiary.medicare_advantage", value.get("medicare_advantage")) or (),
        tuple(parsed_stays),
        _money(where, "beneficiary.deductible_remaining", value.get("deductible_remaining"), optional=True),
    )


def _plan(where: _Where, value: Any, at: str = "plan_of_care") -> PlanOfCare | None:
    if value is None:
        return None
    return _usual_plan(where, value, at) or _checked_plan(where, value, at)


_PLAN_TEXTS = ("care_provider_role", "therapy_type", "medication", "dosage", "frequency", "duration",
               "visit_frequency", "discipline")
_PLAN_DATES = ("signed_date", "last_changed", "last_reviewed")


def _usual_plan(where: _Where, value: Any, at: str) -> PlanOfCare | None:
    """The plan ``_checked_plan`` reads when a glance finds nothing wrong before its professional services (known
    fields; the established-by role and every other text absent, null or a text with more than spaces), nor after
    them (dates absent, null or taken by ``_day``); else None. The services' first fault is raised, as there."""
    by = value.get("established_by") if value.__class__ is dict and value.keys() <= _PLAN else None
    if by.__class__ is not dict or not by.keys() <= _ESTABLISHED_BY or by.get("role") is None:
        return None
    texts = []
    for text in (by.get("npi"), by.get("role"), *map(value.get, _PLAN_TEXTS)):
        if text is not None and (text.__class__ is not str or not (text := text.strip())):
            return None
        texts.append(text)
    days = []
    for day in map(value.get, _PLAN_DATES):
        if day is not None and (day := _day(day)) is None:
            return None
        days.append(day)
    services = value.get("professional_services")
    services = () if services is None or services == [] else _texts(where, f"{at}.professional_services", services)
    npi, role, care_role, therapy, medication, dosage, frequency, duration, visit_frequency, discipline = texts
    return PlanOfCare(npi, role, care_role, therapy, medication, dosage, frequency, duration, services,
                      visit_frequency, discipline, *days)


def _checked_plan(where: _Where, value: Any, at: str) -> PlanOfCare:
    """A plan of care checked field by field: the first fault is raised."""
    _object(where, at, value, _PLAN, ("established_by",))
    by = _object(where, f"{at}.established_by", value["established_by"], _ESTABLISHED_BY, ("role",))
    t = lambda name: _text(where, f"{at}.{name}", value.get(name))  # noqa: E731
    d = lambda name: _date(where, f"{at}.{name}", value.get(name))  # noqa: E731
    return PlanOfCare(
        established_by_npi=_text(where, f"{at}.established_by.npi", by.get("npi")),
        established_by_role=_text(where, f"{at}.established_by.role", by["role"], optional=False),
        care_provider_role=t("care_provider_role"),
        therapy_type=t("therapy_type"), medication=t("medication"), dosage=t("dosage"), frequency=t("frequency"),
        duration=t("duration"),
        professional_services=_texts(where, f"{at}.professional_services", value.get("professional_services")) or (),
        visit_frequency=t("visit_frequency"), discipline=t("discipline"),
        signed_date=d("signed_date"), last_changed=d("last_changed"), last_reviewed=d("last_reviewed"),
    )


_VISITS: dict[tuple, Visit] = {}
VISITS_AT_MOST = 1024


def _visit(where: _Where, value: Any) -> Visit:
    """A line's visit; the usual one (true/false flags, whole minutes) is shared with every line like it."""
    if value is None:
        return DEFAULT_VISIT
    if value.__class__ is dict and value.keys() <= _VISIT:
        in_person, administered, minutes, hh_minutes = key = (
            value.get("in_person"), value.get("drug_administered"), value.get("minutes"), value.get("hh_minutes"))
        if ((in_person is None or in_person.__class__ is bool)
                and (administered is None or administered.__class__ is bool)
                and (minutes is None or minutes.__class__ is int and 0 <= minutes <= MINUTES_IN_DAY)
                and (hh_minutes is None or hh_minutes.__class__ is int and 0 <= hh_minutes <= MINUTES_IN_DAY)):
            found = _VISITS.get(key)
            if found is None:
                if len(_VISITS) >= VISITS_AT_MOST:
                    _VISITS.clear()
                found = _VISITS[key] = Visit(in_person=in_person is not False,
                                             drug_administered=administered is not False,
                                             minutes=minutes, hh_minutes=hh_minutes or 0)
            return found
    _object(where, "visit", value, _VISIT)
    return Visit(
        in_person=_flag(where, "visit.in_person", value.get("in_person"), True),
        drug_administered=_flag(where, "visit.drug_administered", value.get("drug_administered"), True),
        minutes=_minutes(where, "visit.minutes", value.get("minutes")),
        hh_minutes=_minutes(where, "visit.hh_minutes", value.get("hh_minutes")) or 0,
    )


_NO_FIELDS: dict = {}


def _line(where: _Where, index: int, value: Any) -> ClaimLine:
    """One claim line. The usual start of one (known fields, the required ones present, a line number from
    1, whole units, a two-digit place of service) is taken at a glance, any other from ``_line_start``."""
    line = value if isinstance(value, dict) else _NO_FIELDS
    number, units, pos = line.get("line"), line.get("units"), line.get("place_of_service", "12")
    hcpcs, day, charge = line.get("hcpcs"), line.get("service_date"), line.get("charge")
    if not (number.__class__ is int and number > 0 and units.__class__ is int and pos.__class__ is str
            and len(pos) == 2 and pos.isdigit() and hcpcs is not None and day is not None and charge is not None
            and line.keys() <= _LINE):
        number, units, pos = _line_start(where, index, value)
    where.line = number
    modifiers, drug_name = line.get("modifiers"), line.get("drug_name")
    modifiers = () if modifiers is None or modifiers == [] else _texts(where, "modifiers", modifiers)
    hcpcs = (hcpcs.strip() if hcpcs.__class__ is str else "") or _text(where, "hcpcs", hcpcs, optional=False)
    day = _day(day) or _date(where, "service_date", day, optional=False)
    charge = _money(where, "charge", charge)
    visit = _visit(where, line.get("visit"))
    drug_name = _text(where, "drug_name", drug_name) if drug_name is not None else None
    modifiers = tuple([m.upper() for m in modifiers]) if modifiers else ()
    # by position, in the order of ClaimLine's fields: a quarter cheaper than by keyword
    return ClaimLine(number, hcpcs.upper(), Decimal(units), day, charge, modifiers, pos, visit, drug_name)


def _line_start(where: _Where, index: int, value: Any) -> tuple[int, int | Decimal, str]:
    """A line's fields, number, units and place of service checked one by one: the first fault is raised."""
    number = value.get("line") if isinstance(value, dict) else None
    if isinstance(number, int) and not isinstance(number, bool):
        where.line = number
    _object(where, "" if where.line else f"lines[{index}]", value, _LINE, ("line", "hcpcs", "units", "service_date", "charge"))
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise where.error("line", f"expected a line number (a whole number from 1), found {_kind(number)}")
    units = value["units"]
    if units.__class__ is float and where.floats:
        raise _Inexact("units", where.source, where.record)
    if isinstance(units, bool) or not isinstance(units, (int, Decimal)):
        raise where.error("units", f"expected a number, found {_kind(units)}")
    pos = value.get("place_of_service", "12")
    if isinstance(pos, int) and not isinstance(pos, bool):
        pos = f"{pos:02d}"
    pos = _text(where, "place_of_service", pos, optional=False)
    if not (pos.isdigit() and len(pos) == 2):
        raise where.error("place_of_service", f"expected a two-digit CMS place-of-service code, found {pos!r}")
    return number, units, pos


_REMEMBERED: dict[str, dict[bytes, Any]] = {"supplier": {}, "beneficiary": {}, "plan_of_care": {}}
REMEMBER_AT_MOST = 8192  # of each part


def forget_remembered() -> None:
    """Drop what ``_remembered`` keeps (a long-running reader calls it between batches of claims, so
    that no remembered part outlives the claims it came with and pins their memory)."""
    for known in _REMEMBERED.values():
        known.clear()


def _remembered(where: _Where, part: str, value: Any, read: Callable[[_Where, Any], Any]) -> Any:
    """``read(where, value)`` for a supplier, beneficiary or plan of care, remembered by its JSON (claims
    repeat them; the results are immutable). Only for orjson-parsed claims; a fault is never remembered."""
    if not where.floats or value is None:
        return read(where, value)
    try:
        key = orjson.dumps(value)
    except (TypeError, orjson.JSONEncodeError):
        return read(where, value)
    known = _REMEMBERED[part]
    found = known.get(key)
    if found is None:
        found = read(where, value)
        if len(known) >= REMEMBER_AT_MOST:
            known.clear()
        known[key] = found
    return found


def claim_from_json(value: Any, source: str = "<input>", record: int = 1, *, floats: bool = False) -> Claim:
    """Turn one parsed JSON object into a ``Claim``, or raise ``ClaimInputError``.

    ``floats``: the value comes from ``claim_from_text``'s orjson parse (fractions are exact floats).

    The usual start of a claim (known fields, a claim id text, a supplier, a beneficiary and lines) is taken at
    a glance, any other from ``_claim_start``."""
    where = _Where(source, record, floats=floats)
    claim_id = value.get("claim_id") if value.__class__ is dict else None
    if (claim_id.__class__ is str and value.keys() <= _CLAIM and value.get("supplier") is not None
            and value.get("beneficiary") is not None and value.get("lines") is not None):
        where.claim_id = claim_id
        claim_id = claim_id.strip() or _text(where, "claim_id", claim_id, optional=False)
    else:
        claim_id = _claim_start(where, value)
    payer = value.get("payer")
    if payer is None:
        payer = "medicare-ffs"
    if payer not in PAYERS:
        raise where.error("payer", f"must be one of {', '.join(PAYERS)}, found {_kind(payer)}")
    lines_in = value["lines"]
    if not isinstance(lines_in, list) or not lines_in:
        raise where.error("lines", "expected a list of at least one line")
    lines, seen = [], set()
    for i, raw in enumerate(lines_in):
        where.line = None
        line = _line(where, i, raw)
        if line.line in seen:
            raise where.error("line", f"line number {line.line} appears twice on the claim")
        seen.add(line.line)
        lines.append(line)
    where.line = None
    locality = _text(where, "service_locality", value.get("service_locality"))
    if floats and _has_float(value.get("extra")):
        raise _Inexact("extra", source, record)
    if locality is not None:
        try:
            locality = _service_locality(locality)
        except ValueError as exc:
            raise where.error("service_locality", str(exc)) from None
    supplier = _remembered(where, "supplier", value["supplier"], _supplier)
    beneficiary = _remembered(where, "beneficiary", value["beneficiary"], _beneficiary)
    received = _date(where, "received_date", value.get("received_date"))
    plan = _remembered(where, "plan_of_care", value.get("plan_of_care"), _plan)
    # by position, in the order of Claim's fields (cheaper than by keyword, as for its lines)
    return Claim(claim_id, supplier, beneficiary, tuple(lines), received, payer, plan, locality, value.get("extra"))


def _claim_start(where: _Where, value: Any) -> str:
    """A claim's fields and its claim id checked one by one: the first fault is raised."""
    if isinstance(value, dict) and isinstance(value.get("claim_id"), str):
        where.claim_id = value["claim_id"]
    _object(where, "", value, _CLAIM, ("claim_id", "supplier", "beneficiary", "lines"))
    return _text(where, "claim_id", value["claim_id"], optional=False)  # type: ignore[return-value]


@lru_cache(maxsize=1024)
def _service_locality(text: str) -> str:
    """``normalize_locality`` for a claim (no ``national``); claims repeat their locality: remembered."""
    return normalize_locality(text, allow_national=False)


def plan_of_care_from_json(value: Any, where: str = "plan_of_care", source: str = "<input>",
                           record: int = 1) -> PlanOfCare:
    """One plan of care object (CONTRACT §1 ``plan_of_care``) on its own, read as a claim's is, or
    ``ClaimInputError`` naming ``where.FIELD`` (a plan kept apart from any claim; FAQ 10-11)."""
    at = _Where(source, record)
    _object(at, where, value, _PLAN, ("established_by",))
    return _plan(at, value, where)  # type: ignore[return-value]


def claim_from_text(text: str | bytes, source: str = "<input>", record: int = 1) -> Claim:
    """One claim from its JSON text (a JSON Lines record, ``str`` or UTF-8 ``bytes``), or ``ClaimInputError``
    naming where and what.

    orjson parses it (``bytes`` as they are) when its numbers convert exactly to ``Decimal`` through a
    float (``_exact_through_float``); otherwise, and whenever anything is wrong, the exact parse (``json``
    with ``Decimal``) reads it, so a fault is reported the same way whichever parsed it."""
    if orjson is not None:
        if _exact_through_float(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text):
            try:
                return claim_from_json(orjson.loads(text), source, record, floats=True)
            except (orjson.JSONDecodeError, ClaimInputError, RecursionError):
                pass
    return claim_from_json(_parse(text, source, record), source, record)


def _exact_through_float(raw: bytes) -> bool:
    """Whether no number in the JSON ``raw`` has more than two decimals or a negative exponent: then each is
    a number of cents times a power of ten (``450.00``, ``4.5E+2``), so an amount below ``MAX_MONEY`` or
    minutes up to ``MINUTES_IN_DAY`` has at most 11 significant digits, which a float keeps: orjson's float,
    through ``Decimal(repr(float))``, has the value the exact parse reads, so the same cents or whole minutes.
    (A larger number is refused by either parse, so read exactly; so is a float anywhere else. Text in a
    string that merely looks like such a number costs only the exact parse.)"""
    return not (_THREE_DECIMALS.search(raw) or _NEGATIVE_EXPONENT.search(raw))


def _parse(text: str | bytes, source: str, record: int | None) -> Any:
    """One JSON value, or ClaimInputError for anything the parser refuses (syntax, depth, huge numbers,
    bytes that are not UTF-8)."""
    try:
        return loads_exact(text if isinstance(text, str) else text.decode("utf-8"))
    except json.JSONDecodeError as exc:
        at = f"line {exc.lineno}, column {exc.colno}" if record is None else f"column {exc.colno}"
        raise ClaimInputError(f"not valid JSON ({exc.msg} at {at})", source, record) from None
    except ValueError as exc:
        raise ClaimInputError(f"not readable JSON ({exc})", source, record) from None


def json_lines_start(first: str | bytes, second: str | bytes | None) -> bool:
    """Whether a text is JSON Lines (one record a line, any of them possibly broken), judged by its first two
    non-blank lines, stripped (``second`` None when there is no other): the first is a whole JSON object by itself,
    or both open one ("{"), so that a broken first line costs only its record. (A pretty-printed object opens
    with "{" alone, then a field.)"""
    if first[:1] not in ("{", b"{") or len(first) < 2:
        return False
    if second is not None and second[:1] in ("{", b"{"):
        return True
    try:
        return isinstance(loads_exact(first if isinstance(first, str) else first.decode("utf-8")), dict)
    except ValueError:
        return False


def _json_lines(text: str) -> bool:
    """More than one non-blank line, and ``json_lines_start``: JSON Lines."""
    lines = islice(filter(None, map(str.strip, text.splitlines())), 2)
    first, second = next(lines, ""), next(lines, None)
    return second is not None and json_lines_start(first, second)


def iter_json_records(text: str, source: str) -> Iterator[tuple[int, Any]]:
    """Yield (record number, parsed value or ClaimInputError) from one object, an array, or JSON Lines.

    In JSON Lines the record number is the line number, and a broken line costs only that record.
    """
    stripped = text.strip()
    if not stripped:
        raise ClaimInputError("no claims: the input is empty", source)
    if not _json_lines(stripped):
        whole = _parse(stripped, source, None)
        if isinstance(whole, list):
            yield from enumerate(whole, start=1)
        else:
            yield 1, whole
        return
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw.strip():
            try:
                yield number, _parse(raw, source, number)
            except ClaimInputError as exc:
                yield number, exc


def gather(claims: list, errors: list, items: Iterable[tuple[str, int, Any]],
           to_claims: Callable[[Any, str, int], list[Claim]]) -> None:
    """Add ``to_claims(value, source, record)`` for each ``(source, record, value)`` to ``claims``; a bad
    record (a ``ClaimInputError`` value, or one ``to_claims`` refuses) goes to ``errors`` instead."""
    for source, record, value in items:
        if isinstance(value, ClaimInputError):
            errors.append(value)
            continue
        try:
            claims.extend(to_claims(value, source, record))
        except ClaimInputError as exc:
            errors.append(exc)
        except RecursionError:
            errors.append(ClaimInputError("nested too deeply", source, record))


def read_records(text: str, source: str,
                 to_claims: Callable[[Any, str, int], list[Claim]]) -> tuple[list[Claim], list[ClaimInputError]]:
    """Turn every JSON record of ``text`` into claims with ``to_claims``; a bad record is reported and
    the good ones are kept (used for contract JSON here and for FHIR in ``hitbenefit.fhir``)."""
    claims: list[Claim] = []
    errors: list[ClaimInputError] = []
    try:
        gather(claims, errors, ((source, record, value) for record, value in iter_json_records(text, source)),
               to_claims)
    except ClaimInputError as exc:
        errors.append(exc)
    return claims, errors


def read_claims(text: str, source: str = "<input>") -> tuple[list[Claim], list[ClaimInputError]]:
    """Read every contract claim in ``text``; a bad record is reported and the good ones are kept.

    JSON Lines are read record by record with ``claim_from_text``."""
    if _json_lines(text.strip()):
        claims: list[Claim] = []
        errors: list[ClaimInputError] = []
        gather(claims, errors, ((source, number, raw) for number, raw in enumerate(text.splitlines(), start=1)
                                if raw.strip()), lambda raw, src, record: [claim_from_text(raw, src, record)])
        return claims, errors
    return read_records(text, source, lambda value, src, record: [claim_from_json(value, src, record)])

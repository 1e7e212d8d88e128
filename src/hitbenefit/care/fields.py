"""Reading care records from JSON-like values: one error type that names the field, and the
checks every care record shares (text, dates, NPIs, whole numbers, closed lists)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable

from hitbenefit.claims.read_json import FIRST_YEAR, LAST_YEAR


class CareInputError(ValueError):
    """A care record that cannot be accepted; ``field`` names where (``orders[1].discipline``)."""

    def __init__(self, field: str, problem: str) -> None:
        self.field, self.problem = field, problem
        super().__init__(f"field {field}: {problem}")


def kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, str):
        return repr(value[:40])
    return type(value).__name__


def obj(field: str, value: Any, allowed: Iterable[str], required: Iterable[str] = ()) -> dict[str, Any]:
    """A mapping with only ``allowed`` keys and every ``required`` one."""
    if not isinstance(value, dict):
        raise CareInputError(field, f"expected an object, found {kind(value)}")
    allowed = set(allowed)
    for key in value:
        if key not in allowed:
            raise CareInputError(f"{field}.{key}" if field else str(key), "unknown field")
    for key in required:
        if value.get(key) is None:
            raise CareInputError(f"{field}.{key}" if field else key, "required")
    return value


def text(field: str, value: Any, optional: bool = False, limit: int = 200) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip():
        raise CareInputError(field, f"expected text, found {kind(value)}")
    if len(value) > limit:
        raise CareInputError(field, f"at most {limit} characters")
    return value.strip()


def texts(field: str, value: Any, limit: int = 200) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, (list, tuple)):
        raise CareInputError(field, f"expected a list, found {kind(value)}")
    return tuple(text(f"{field}[{i}]", item, limit=limit) for i, item in enumerate(value))  # type: ignore[misc]


def one_of(field: str, value: Any, choices: Iterable[str], optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    choices = tuple(choices)
    if value not in choices:
        raise CareInputError(field, f"must be one of {', '.join(choices)}, not {kind(value)}")
    return value


def day(field: str, value: Any, optional: bool = False) -> date | None:
    """A calendar date (``date`` or ``YYYY-MM-DD`` text)."""
    if value is None and optional:
        return None
    found = value if isinstance(value, date) and not isinstance(value, datetime) else None
    if isinstance(value, str) and len(value) == 10:
        try:
            found = date.fromisoformat(value)
        except ValueError:
            pass
    if found is None:
        raise CareInputError(field, f"expected a date YYYY-MM-DD, found {kind(value)}")
    if not FIRST_YEAR <= found.year <= LAST_YEAR:
        raise CareInputError(field, f"expected a date from {FIRST_YEAR} to {LAST_YEAR}, found {found}")
    return found


def moment(field: str, value: Any) -> datetime:
    """A date and time (``datetime`` or ISO 8601 text); without a zone it is taken as UTC."""
    found: datetime | None = value if isinstance(value, datetime) else None
    if isinstance(value, str):
        try:
            found = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            found = None
    if found is None or not FIRST_YEAR <= found.year <= LAST_YEAR:
        raise CareInputError(field, f"expected a date and time (ISO 8601), found {kind(value)}")
    if found.tzinfo is None:
        found = found.replace(tzinfo=timezone.utc)
    return found


def npi(field: str, value: Any, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or len(value) != 10 or not value.isdigit():
        raise CareInputError(field, f"expected a 10-digit NPI, found {kind(value)}")
    return value


def whole(field: str, value: Any, low: int = 0, high: int = 1440, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise CareInputError(field, f"expected a whole number from {low} to {high}, found {kind(value)}")
    return value


def number(field: str, value: Any, optional: bool = False) -> Decimal | None:
    """An exact decimal (a JSON number or numeric text; never through float arithmetic)."""
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise CareInputError(field, f"expected a number, found {kind(value)}")
    try:
        found = Decimal(str(value))
    except InvalidOperation:
        raise CareInputError(field, f"expected a number, found {kind(value)}") from None
    if not found.is_finite() or abs(found) >= 100000:
        raise CareInputError(field, f"expected a finite number below 100000, found {value}")
    if found.as_tuple().exponent < -3:  # type: ignore[operator]
        raise CareInputError(field, f"at most three decimals, found {value}")
    return found

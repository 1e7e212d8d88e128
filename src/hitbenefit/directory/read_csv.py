"""Read CMS's "Home Infusion Therapy Providers" CSV (FAQ 5) into one ``DirectoryRow`` per line.

The published layout has one row per service-area entry of an enrolled HIT supplier (specialty
D6, FAQ 3; RULES SUP-2, §19). Columns are found by name (any order, any case or spacing, a BOM
tolerated; extra columns ignored). Every error names the file, the row and the column. No copy
of the real file was at hand: the layout is the documented one and unknown values of
``Geographic Location Type Description`` are kept as given (see docs/directory.md).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field, fields
from operator import attrgetter, itemgetter

COLUMNS = {  # published column name -> DirectoryRow or SupplierDetails field
    "Enrollment ID": "enrollment_id",
    "Legal Business Name": "legal_business_name",
    "Street Address Line 1": "street1",
    "Street Address Line 2": "street2",
    "City": "city",
    "State": "state",
    "ZIP Code": "zip",
    "Practice Location Phone Number": "phone",
    "Specialty Name": "specialty",
    "Geographic Location Type Description": "area_type",
    "Geographic Location City Name": "area_city",
    "Geographic Location State Code": "area_state",
    "Geographic Location ZIP Code": "area_zip",
    "State County Name": "area_county",
}
COLUMN_OF = {name: column for column, name in COLUMNS.items()}

#: USPS codes of the states, DC, the territories and the military "states"
STATE_CODES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND "
    "OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY AS GU MP PR VI UM FM MH PW AA AE AP".split())
LEVELS = ("state", "county", "city", "zip")
MAX_ERRORS = 20
_DIGITS = re.compile(r"^([0-9]{3,5})(?:-?([0-9]{4}))?$")
_SUFFIXES = (" COUNTY", " PARISH", " BOROUGH")


class DirectoryFileError(ValueError):
    """A directory file that cannot be read; ``errors`` holds up to 20 ``RowError``s, the first first."""

    def __init__(self, name: str, errors: list["RowError"], total: int | None = None) -> None:
        self.name, self.errors, self.total = name, errors, total if total is not None else len(errors)
        more = f" (and {self.total - 1} more errors)" if self.total > 1 else ""
        super().__init__(f"{errors[0]}{more}")


@dataclass(frozen=True, slots=True)
class RowError:
    file: str
    row: int | None
    column: str | None
    problem: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {self.problem}"


@dataclass(frozen=True, slots=True)
class ServiceArea:
    """One locality a supplier serves, as the file gives it, with its search keys."""

    type_description: str
    level: str  # state | county | city | zip, from the type description or else the most specific field given
    state: str
    county: str
    city: str
    zip: str

    @property
    def county_key(self) -> str:
        return place_key(self.county, county=True)

    @property
    def city_key(self) -> str:
        return place_key(self.city)

    @property
    def zip5(self) -> str:
        return self.zip[:5]


@dataclass(frozen=True, slots=True)
class SupplierDetails:
    """A supplier's name and practice location as one row gives them; the one shape the reader,
    the grouping and the store's versions share (a changed detail is a new version, FAQ 5). A new
    column of the file is a field here (and in ``COLUMNS``, store/schema.py and a migration)."""

    legal_business_name: str
    street1: str
    street2: str
    city: str
    state: str
    zip: str
    phone: str
    specialty: str

    def values(self) -> tuple[str, ...]:
        """The fields in ``DETAIL_FIELDS`` order."""
        return _detail_values(self)


DETAIL_FIELDS = tuple(f.name for f in fields(SupplierDetails))
_detail_values = attrgetter(*DETAIL_FIELDS)
_detail_items = itemgetter(*DETAIL_FIELDS)


@dataclass(frozen=True, slots=True)
class DirectoryRow:
    row: int
    enrollment_id: str
    details: SupplierDetails
    area: ServiceArea


@dataclass(slots=True)
class DirectorySupplier:
    """A supplier (one Enrollment ID) with its details from its first row and every distinct area."""

    enrollment_id: str
    details: SupplierDetails
    areas: list[ServiceArea] = field(default_factory=list)


@dataclass(slots=True)
class DirectoryFile:
    name: str
    sha256: str
    rows: list[DirectoryRow]

    def suppliers(self) -> list[DirectorySupplier]:
        """The rows grouped by Enrollment ID, in file order; repeated areas kept once."""
        out: dict[str, DirectorySupplier] = {}
        seen: dict[str, set[ServiceArea]] = {}
        for r in self.rows:
            s = out.get(r.enrollment_id)
            if s is None:
                s = out[r.enrollment_id] = DirectorySupplier(r.enrollment_id, r.details)
                seen[r.enrollment_id] = set()
            if r.area not in seen[r.enrollment_id]:
                seen[r.enrollment_id].add(r.area)
                s.areas.append(r.area)
        return list(out.values())


def header_key(text: str) -> str:
    return " ".join(text.replace("\ufeff", "").split()).casefold()


def place_key(text: str, county: bool = False) -> str:
    """How a county or city is compared: upper case, single spaces; a county without ``County``,
    ``Parish`` or ``Borough`` at its end (``Fairfax County`` = ``fairfax``)."""
    key = " ".join(text.split()).upper()
    if county:
        for suffix in _SUFFIXES:
            if key.endswith(suffix) and len(key) > len(suffix):
                return key[: -len(suffix)]
    return key


def normalize_zip(text: str) -> str:
    """``12345`` or ``12345-6789`` (ZIP+4 kept); 3-4 leading digits are zero-padded (Excel drops
    leading zeros); ValueError otherwise. Empty stays empty."""
    value = text.strip()
    if not value:
        return ""
    found = _DIGITS.match(value)
    if found is None or (found.group(2) is not None and len(found.group(1)) != 5 and "-" in value):
        raise ValueError(f"expected a 5-digit ZIP code or ZIP+4, found {value!r}")
    five = found.group(1).zfill(5)
    return f"{five}-{found.group(2)}" if found.group(2) else five


def normalize_state(text: str) -> str:
    value = text.strip().upper()
    if value not in STATE_CODES:
        raise ValueError(f"expected a two-letter USPS state code, found {text.strip()!r}")
    return value


def area_level(type_description: str, county: str, city: str, zip_code: str) -> str:
    words = type_description.upper()
    for level in ("zip", "county", "city", "state"):
        if level.upper() in words:
            return level
    return "zip" if zip_code else "city" if city else "county" if county else "state"


def read_directory_bytes(data: bytes, name: str) -> DirectoryFile:
    """A whole file's bytes (UTF-8, BOM allowed) as a ``DirectoryFile``; ``DirectoryFileError`` naming
    up to 20 rows and columns at fault (nothing is read from a file with any error)."""
    digest = hashlib.sha256(data).hexdigest()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DirectoryFileError(name, [RowError(name, None, None, f"not UTF-8 text (byte {exc.start})")]) from None
    return DirectoryFile(name, digest, _rows(text, name))


def read_directory_file(path) -> DirectoryFile:
    from pathlib import Path

    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DirectoryFileError(str(path), [RowError(str(path), None, None, exc.strerror or str(exc))]) from None
    return read_directory_bytes(data, str(path))


def _columns(header: list[str], name: str) -> dict[str, int]:
    wanted = {header_key(column): column for column in COLUMNS}
    found: dict[str, int] = {}
    for i, raw in enumerate(header):
        column = wanted.get(header_key(raw))
        if column is None:
            continue
        if column in found:
            raise DirectoryFileError(name, [RowError(name, 1, column, "the column appears twice in the header")])
        found[column] = i
    missing = [column for column in COLUMNS if column not in found]
    if missing:
        raise DirectoryFileError(name, [RowError(name, 1, None, "the header lacks the column(s) "
                                                 + ", ".join(repr(m) for m in missing))])
    return found


def _rows(text: str, name: str) -> list[DirectoryRow]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        raise DirectoryFileError(name, [RowError(name, None, None, "the file is empty")])
    index = _columns(header, name)
    fields = [(COLUMNS[column], i) for column, i in index.items()]
    width = max(index.values()) + 1
    rows: list[DirectoryRow] = []
    shared: dict[tuple[str, ...], SupplierDetails] = {}  # a supplier's rows repeat its details: one object
    errors: list[RowError] = []
    total = 0
    while True:
        try:
            values = next(reader, None)
        except csv.Error as exc:
            unreadable = RowError(name, reader.line_num, None, f"not readable as CSV ({exc})")
            raise DirectoryFileError(name, [*errors[:MAX_ERRORS - 1], unreadable]) from None
        if values is None:
            break
        if not any(v.strip() for v in values):
            continue
        row = reader.line_num
        if len(values) < width:
            values = values + [""] * (width - len(values))
        got = {attr: values[i].strip() for attr, i in fields}
        problems = _check(got)
        if problems:
            total += len(problems)
            errors.extend(RowError(name, row, column, problem) for column, problem in problems[:MAX_ERRORS])
            continue
        key = _detail_items(got)
        details = shared.get(key)
        if details is None:
            details = shared[key] = SupplierDetails(*key)
        rows.append(DirectoryRow(
            row, got["enrollment_id"], details,
            ServiceArea(got["area_type"], area_level(got["area_type"], got["area_county"], got["area_city"],
                                                     got["area_zip"]),
                        got["area_state"], got["area_county"], got["area_city"], got["area_zip"])))
    if errors:
        raise DirectoryFileError(name, errors[:MAX_ERRORS], total)
    if not rows:
        raise DirectoryFileError(name, [RowError(name, None, None, "the file holds a header but no rows")])
    return rows


def _check(got: dict[str, str]) -> list[tuple[str, str]]:
    """Normalise ``got`` in place; the (column, problem) pairs of what is wrong."""
    problems = []
    for attr in ("enrollment_id", "legal_business_name"):
        if not got[attr]:
            problems.append((COLUMN_OF[attr], "required, found nothing"))
    if len(got["enrollment_id"]) > 32:
        problems.append(("Enrollment ID", "longer than 32 characters"))
    for attr, required in (("state", True), ("area_state", True), ("zip", False), ("area_zip", False)):
        value = got[attr]
        if not value:
            if required:
                problems.append((COLUMN_OF[attr], "required, found nothing"))
            continue
        try:
            got[attr] = normalize_state(value) if "state" in attr else normalize_zip(value)
        except ValueError as exc:
            problems.append((COLUMN_OF[attr], str(exc)))
    for attr, value in got.items():
        if len(value) > 200:
            problems.append((COLUMN_OF[attr], "longer than 200 characters"))
        elif "\x00" in value:
            problems.append((COLUMN_OF[attr], "contains a NUL character"))
    return problems

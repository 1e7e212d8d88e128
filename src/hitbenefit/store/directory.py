"""The supplier directory in the store (FAQ 5): imports of CMS's "Home Infusion Therapy Providers"
file as dated snapshots, and searches by state, county, city, ZIP code or name.

Each import gets an id; a supplier's details and each of its service areas are rows in force from
the import that brought them (``valid_from``) until the import that dropped or changed them
(``valid_to``, NULL while current). A supplier missing from a newer file is kept, ended. The same
file (by SHA-256) is imported once: importing it again changes nothing. A search reads the newest
import unless asked "as of" an import id or a date. See docs/directory.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from typing import Any, Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from hitbenefit.directory.read_csv import (DETAIL_FIELDS, DirectoryFile, DirectorySupplier, ServiceArea,
                                           SupplierDetails, normalize_state, place_key)
from hitbenefit.store.database import lock, read_transaction, utc_now, write_transaction
from hitbenefit.store.records import InvalidRequest, NotFound, Principal
from hitbenefit.store.schema import audit_log, directory_imports, directory_service_areas, directory_suppliers

SUPPLIER_COLUMNS = ("enrollment_id", *DETAIL_FIELDS, "name_key", "valid_from")
AREA_COLUMNS = ("enrollment_id", "type_description", "level", "state", "county", "city", "zip", "county_key",
                "city_key", "zip5", "valid_from")
CHUNK = 5000
MAX_LIMIT = 500


@dataclass(frozen=True, slots=True)
class ImportInfo:
    id: int
    file_name: str
    sha256: str
    row_count: int
    supplier_count: int
    imported_at: datetime
    imported_by: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "file_name": self.file_name, "sha256": self.sha256, "row_count": self.row_count,
                "supplier_count": self.supplier_count, "imported_at": self.imported_at.isoformat(),
                "imported_by": self.imported_by}


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import did: ``created`` False means the same file was imported before (nothing changed)."""

    info: ImportInfo
    created: bool
    suppliers_added: int = 0
    suppliers_changed: int = 0
    suppliers_ended: int = 0
    areas_added: int = 0
    areas_ended: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"import": self.info.to_json(), "created": self.created, "suppliers_added": self.suppliers_added,
                "suppliers_changed": self.suppliers_changed, "suppliers_ended": self.suppliers_ended,
                "areas_added": self.areas_added, "areas_ended": self.areas_ended}


@dataclass(frozen=True, slots=True)
class AreaRecord(ServiceArea):
    """A service area as stored: the file's area with the imports it is in force between."""

    valid_from: int
    valid_to: int | None

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type_description, "level": self.level, "state": self.state, "county": self.county,
                "city": self.city, "zip": self.zip, "valid_from_import": self.valid_from,
                "valid_to_import": self.valid_to}


@dataclass(slots=True)
class SupplierRecord:
    """One version of a supplier's details, in force from import ``valid_from`` until ``valid_to``."""

    enrollment_id: str
    details: SupplierDetails
    valid_from: int
    valid_to: int | None
    areas: list[AreaRecord] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        d = self.details
        return {"enrollment_id": self.enrollment_id, "legal_business_name": d.legal_business_name,
                "address": {"line1": d.street1, "line2": d.street2, "city": d.city, "state": d.state, "zip": d.zip},
                "phone": d.phone, "specialty": d.specialty, "valid_from_import": self.valid_from,
                "valid_to_import": self.valid_to, "service_areas": [a.to_json() for a in self.areas]}


@dataclass(slots=True)
class SearchResult:
    as_of: ImportInfo | None  # None: nothing imported (yet, or by that date)
    total: int
    suppliers: list[SupplierRecord]

    def to_json(self, limit: int, offset: int) -> dict[str, Any]:
        return {"as_of": self.as_of.to_json() if self.as_of else None, "total": self.total, "limit": limit,
                "offset": offset, "suppliers": [s.to_json() for s in self.suppliers]}


@dataclass(slots=True)
class SupplierHistory:
    enrollment_id: str
    versions: list[SupplierRecord]  # oldest first, each with the areas it had while in force
    imports: dict[int, ImportInfo]

    def to_json(self) -> dict[str, Any]:
        current = next((v for v in self.versions if v.valid_to is None), None)
        return {"enrollment_id": self.enrollment_id, "current": current is not None,
                "versions": [v.to_json() for v in self.versions],
                "imports": [self.imports[i].to_json() for i in sorted(self.imports)]}



def _info(row: Any) -> ImportInfo:
    at = row.imported_at
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return ImportInfo(row.id, row.file_name, row.sha256, row.row_count, row.supplier_count, at, row.imported_by)


def _find_import(conn: Connection, sha256: str) -> ImportInfo | None:
    row = conn.execute(sa.select(directory_imports).where(directory_imports.c.sha256 == sha256)).first()
    return _info(row) if row else None


# ---- import ---------------------------------------------------------------------------------
def _supplier_values(s: DirectorySupplier, import_id: int) -> tuple:
    """A row of ``SUPPLIER_COLUMNS``."""
    return (s.enrollment_id, *s.details.values(), s.details.legal_business_name.upper(), import_id)


def _details(row: Any) -> SupplierDetails:
    return SupplierDetails(*(getattr(row, name) for name in DETAIL_FIELDS))


def _area_values(enrollment_id: str, a: ServiceArea, import_id: int) -> tuple:
    return (enrollment_id, a.type_description, a.level, a.state, a.county, a.city, a.zip, a.county_key, a.city_key,
            a.zip5, import_id)


def _bulk_insert(conn: Connection, table: sa.Table, columns: Sequence[str], rows: list[tuple]) -> None:
    """Many rows at once: ``COPY ... FROM STDIN`` on PostgreSQL, one ``executemany`` on SQLite."""
    if not rows:
        return
    names = ", ".join(columns)
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        with raw.cursor() as cursor:
            with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        return
    marks = ", ".join("?" for _ in columns)
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", rows)


def _end(conn: Connection, table: sa.Table, ids: list[int], import_id: int) -> None:
    for start in range(0, len(ids), CHUNK):
        conn.execute(table.update().where(table.c.id.in_(ids[start:start + CHUNK])).values(valid_to=import_id))


def import_directory(engine: Engine, file: DirectoryFile, principal: Principal | None = None,
                     file_name: str | None = None) -> ImportResult:
    """Import a read directory file as a new snapshot, in one transaction (FAQ 5).

    New suppliers and areas start at this import; a supplier whose details changed gets a new
    version; suppliers and areas missing from the file end at it (kept, with ``valid_to``). A file
    imported before (same SHA-256) changes nothing and returns that import (``created`` False)."""
    with read_transaction(engine) as conn:
        found = _find_import(conn, file.sha256)
    if found is not None:
        return ImportResult(found, False)
    suppliers = file.suppliers()
    who = principal.name if principal else "system"
    try:
        with write_transaction(engine) as conn:
            lock(conn, "directory:import")
            found = _find_import(conn, file.sha256)
            if found is not None:
                return ImportResult(found, False)
            import_id = conn.execute(directory_imports.insert().values(
                file_name=(file_name or file.name)[-300:], sha256=file.sha256, row_count=len(file.rows),
                supplier_count=len(suppliers), imported_at=utc_now(), imported_by=who)
                .returning(directory_imports.c.id)).scalar_one()
            counts = _apply(conn, suppliers, import_id)
            conn.execute(audit_log.insert().values(
                at=utc_now(), api_key_id=principal.key_id if principal else None, principal=who,
                action="directory.import", outcome="created"))
            info = _info(conn.execute(sa.select(directory_imports)
                                      .where(directory_imports.c.id == import_id)).one())
    except IntegrityError:
        with read_transaction(engine) as conn:
            found = _find_import(conn, file.sha256)
        if found is None:
            raise
        return ImportResult(found, False)
    return ImportResult(info, True, *counts)


def _apply(conn: Connection, suppliers: list[DirectorySupplier], import_id: int) -> tuple[int, int, int, int, int]:
    s, a = directory_suppliers.c, directory_service_areas.c
    current = {row.enrollment_id: (row.id, _details(row)) for row in conn.execute(
        sa.select(s.id, s.enrollment_id, *(s[name] for name in DETAIL_FIELDS)).where(s.valid_to.is_(None)))}
    areas_now = {(row[0], ServiceArea(*row[1:7])): row.id for row in conn.execute(
        sa.select(a.enrollment_id, a.type_description, a.level, a.state, a.county, a.city, a.zip, a.id)
        .where(a.valid_to.is_(None)))}
    new_suppliers, ended, added, changed = [], [], 0, 0
    new_areas = []
    seen_ids: set[str] = set()
    seen_areas: set[tuple[str, ServiceArea]] = set()
    for supplier in suppliers:
        seen_ids.add(supplier.enrollment_id)
        had = current.get(supplier.enrollment_id)
        if had is None or had[1] != supplier.details:
            new_suppliers.append(_supplier_values(supplier, import_id))
            if had is None:
                added += 1
            else:
                changed += 1
                ended.append(had[0])
        for area in supplier.areas:
            key = (supplier.enrollment_id, area)
            seen_areas.add(key)
            if key not in areas_now:
                new_areas.append(_area_values(supplier.enrollment_id, area, import_id))
    gone = [row_id for eid, (row_id, _) in current.items() if eid not in seen_ids]
    areas_gone = [row_id for key, row_id in areas_now.items() if key not in seen_areas]
    _end(conn, directory_suppliers, ended + gone, import_id)
    _end(conn, directory_service_areas, areas_gone, import_id)
    _bulk_insert(conn, directory_suppliers, SUPPLIER_COLUMNS, new_suppliers)
    _bulk_insert(conn, directory_service_areas, AREA_COLUMNS, new_areas)
    return added, changed, len(gone), len(new_areas), len(areas_gone)


# ---- reading --------------------------------------------------------------------------------
def list_imports(engine: Engine) -> list[ImportInfo]:
    with read_transaction(engine) as conn:
        return [_info(r) for r in conn.execute(sa.select(directory_imports).order_by(directory_imports.c.id))]


def parse_as_of(text: str | None) -> int | date | None:
    """``--as-of`` / ``as_of``: an import id (digits) or a date YYYY-MM-DD; InvalidRequest otherwise."""
    if text is None or not str(text).strip():
        return None
    value = str(text).strip()
    if re.fullmatch(r"[0-9]{1,9}", value):
        return int(value)
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise InvalidRequest(f"as of: expected an import id or a date YYYY-MM-DD, not {value!r}")


def _as_of_import(conn: Connection, as_of: int | date | None) -> ImportInfo | None:
    """The import a search reads: the newest, the one named, or the newest made on or before a date."""
    query = sa.select(directory_imports).order_by(directory_imports.c.id.desc()).limit(1)
    if isinstance(as_of, int):
        row = conn.execute(sa.select(directory_imports).where(directory_imports.c.id == as_of)).first()
        if row is None:
            raise NotFound(f"no directory import {as_of}")
        return _info(row)
    if isinstance(as_of, date):
        end = datetime.combine(as_of, time.max, tzinfo=timezone.utc)
        query = query.where(directory_imports.c.imported_at <= end)
    row = conn.execute(query).first()
    return _info(row) if row else None


def _in_force(table: sa.Table, import_id: int, newest: bool):
    if newest:
        return table.c.valid_to.is_(None)
    return sa.and_(table.c.valid_from <= import_id, sa.or_(table.c.valid_to.is_(None), table.c.valid_to > import_id))


@dataclass(frozen=True, slots=True)
class Query:
    """A search, normalised: state code, county and city keys, 5-digit ZIP, upper-case name part."""

    state: str | None = None
    county: str | None = None
    city: str | None = None
    zip5: str | None = None
    name: str | None = None

    @classmethod
    def make(cls, state: str | None = None, county: str | None = None, city: str | None = None,
             zip_code: str | None = None, name: str | None = None) -> "Query":
        for label, text in (("county", county), ("city", city), ("name", name)):
            if text and not text.isprintable():
                raise InvalidRequest(f"{label}: control characters are not allowed")
        try:
            st = normalize_state(state) if state and state.strip() else None
        except ValueError as exc:
            raise InvalidRequest(f"state: {exc}") from None
        z = zip_code.strip() if zip_code and zip_code.strip() else None
        if z is not None and not re.fullmatch(r"[0-9]{5}(-?[0-9]{4})?", z):
            raise InvalidRequest(f"zip: expected a 5-digit ZIP code or ZIP+4, found {z!r}")
        return cls(st, place_key(county, county=True) if county and county.strip() else None,
                   place_key(city) if city and city.strip() else None, z[:5] if z else None,
                   " ".join(name.split()).upper() if name and name.strip() else None)

    @property
    def narrower(self) -> bool:
        return bool(self.county or self.city or self.zip5)


def _area_match(q: Query):
    """Areas in the state that name the county, city and ZIP asked for; when a state and something
    narrower are asked for, also areas covering that whole state."""
    a = directory_service_areas.c
    exact = [cond for cond in (a.county_key == q.county if q.county else None, a.city_key == q.city if q.city else None,
                               a.zip5 == q.zip5 if q.zip5 else None) if cond is not None]
    where = [a.state == q.state] if q.state else []
    if exact:
        named = sa.and_(*exact)
        where.append(sa.or_(named, a.level == "state") if q.state else named)
    return where


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_directory(engine: Engine, query: Query, as_of: int | date | None = None, limit: int = 50,
                     offset: int = 0) -> SearchResult:
    """Suppliers (details in force at the import read) serving what ``query`` asks, by name, with
    the matching service areas; ``total`` counts every match, the page holds ``limit``."""
    limit = max(1, min(limit, MAX_LIMIT))
    s, a = directory_suppliers, directory_service_areas
    with read_transaction(engine) as conn:
        at = _as_of_import(conn, as_of)
        if at is None:
            return SearchResult(None, 0, [])
        newest = as_of is None
        where = [_in_force(s, at.id, newest)]
        area_where = _area_match(query)
        if area_where:
            where.append(s.c.enrollment_id.in_(sa.select(a.c.enrollment_id)
                                               .where(_in_force(a, at.id, newest), *area_where)))
        if query.name:
            where.append(s.c.name_key.like(f"%{_escape_like(query.name)}%", escape="\\"))
        page = conn.execute(sa.select(s.c.id, sa.func.count().over().label("total")).where(*where)
                            .order_by(s.c.name_key, s.c.enrollment_id).limit(limit).offset(offset)).all()
        total = page[0].total if page else conn.execute(sa.select(sa.func.count()).select_from(s)
                                                        .where(*where)).scalar_one()
        rows = conn.execute(sa.select(s).where(s.c.id.in_([r.id for r in page]))
                            .order_by(s.c.name_key, s.c.enrollment_id)).all() if page else []
        found = [_supplier(r) for r in rows]
        if found:
            by_id = {r.enrollment_id: r for r in found}
            area_rows = conn.execute(sa.select(a).where(a.c.enrollment_id.in_(list(by_id)), _in_force(a, at.id, newest),
                                                        *area_where).order_by(a.c.id))
            for r in area_rows:
                by_id[r.enrollment_id].areas.append(_area(r))
    return SearchResult(at, total, found)


def _supplier(r: Any) -> SupplierRecord:
    return SupplierRecord(r.enrollment_id, _details(r), r.valid_from, r.valid_to)


def _area(r: Any) -> AreaRecord:
    return AreaRecord(r.type_description, r.level, r.state, r.county, r.city, r.zip, r.valid_from, r.valid_to)


def supplier_history(engine: Engine, enrollment_id: str) -> SupplierHistory:
    """Every version of one supplier's details, each with the areas in force during it; NotFound
    if no import ever named it."""
    s, a = directory_suppliers, directory_service_areas
    with read_transaction(engine) as conn:
        versions = [_supplier(r) for r in conn.execute(
            sa.select(s).where(s.c.enrollment_id == enrollment_id).order_by(s.c.valid_from, s.c.id))]
        if not versions:
            raise NotFound(f"no supplier with enrollment id {enrollment_id} in any directory import")
        areas = [_area(r) for r in conn.execute(sa.select(a).where(a.c.enrollment_id == enrollment_id)
                                                .order_by(a.c.valid_from, a.c.id))]
        used = {v.valid_from for v in versions} | {v.valid_to for v in versions if v.valid_to} | \
               {x.valid_from for x in areas} | {x.valid_to for x in areas if x.valid_to}
        imports = {r.id: _info(r) for r in conn.execute(sa.select(directory_imports)
                                                        .where(directory_imports.c.id.in_(used)))}
    for v in versions:
        v.areas = [x for x in areas if _overlaps(x, v)]
    return SupplierHistory(enrollment_id, versions, imports)


def _overlaps(area: AreaRecord, version: SupplierRecord) -> bool:
    big = 2**62
    return area.valid_from < (version.valid_to or big) and version.valid_from < (area.valid_to or big)


def current_supplier(history: SupplierHistory) -> SupplierRecord | None:
    return next((v for v in history.versions if v.valid_to is None), None)


def rows_for(items: Iterable[SupplierRecord]) -> list[dict[str, Any]]:
    """Flat rows (one per supplier and matching area) for CSV output."""
    out = []
    for s in items:
        for area in s.areas or [None]:
            out.append({"enrollment_id": s.enrollment_id, **dict(zip(DETAIL_FIELDS, s.details.values())),
                        "area_type": area.type_description if area else "", "area_state": area.state if area else "",
                        "area_county": area.county if area else "", "area_city": area.city if area else "",
                        "area_zip": area.zip if area else ""})
    return out

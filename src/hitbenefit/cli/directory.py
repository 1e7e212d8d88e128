"""``hitbenefit directory ...``: import CMS's "Home Infusion Therapy Providers" file, search the
suppliers serving a state, county, city or ZIP code, a supplier's history, and the approved
accrediting organizations (FAQ 3, 5). Mounted in cli/main.py as ``directory``. Bad input exits
2 naming the file, the row and the column; never a traceback.
"""

from __future__ import annotations

import csv
import json
import sys
from datetime import date, datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from hitbenefit.cli.common import DbOpt, fail, fail_with_errors, group, open_store
from hitbenefit.store import InvalidRequest, NotFound

directory_app = group("The HIT supplier directory (CMS Home Infusion Therapy Providers) and accreditors.")


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


FormatOpt = Annotated[Format, typer.Option("--format", help="table (default), json or csv.")]


def _console():
    from rich.console import Console

    return Console() if sys.stdout.isatty() else Console(width=160, color_system=None)


def _print_table(title: str | None, header: list[str], rows: list[list[str]]) -> None:
    from rich.table import Table

    table = Table(*header, title=title, header_style="bold")
    for row in rows:
        table.add_row(*row)
    _console().print(table)


@directory_app.command("import")
def import_file(file: Annotated[Path, typer.Argument(help="The CMS Home Infusion Therapy Providers CSV file.")],
                db: DbOpt = None) -> None:
    """Import a directory file as a new snapshot; suppliers it no longer lists are kept as ended.
    The same file again changes nothing."""
    from hitbenefit.directory.read_csv import DirectoryFileError, read_directory_file
    from hitbenefit.store.directory import import_directory

    try:
        read = read_directory_file(file)
    except DirectoryFileError as exc:
        raise fail_with_errors(exc.errors, exc.total, "; nothing was imported") from None
    with open_store(db) as store:
        result = import_directory(store.engine, read, file_name=file.name)
    info = result.info
    if not result.created:
        typer.echo(f"{file}: already imported as import {info.id} on {info.imported_at:%Y-%m-%d %H:%M}Z "
                   f"(same SHA-256); nothing changed")
        return
    typer.echo(f"{file}: import {info.id}: {info.row_count} rows, {info.supplier_count} suppliers; "
               f"suppliers {result.suppliers_added} new, {result.suppliers_changed} changed, "
               f"{result.suppliers_ended} ended; service areas {result.areas_added} new, {result.areas_ended} ended")


@directory_app.command("search")
def search(
    state: Annotated[Optional[str], typer.Option("--state", help="Two-letter state code, e.g. VA.")] = None,
    county: Annotated[Optional[str], typer.Option("--county", help="County name (any case; 'County' optional).")] = None,
    city: Annotated[Optional[str], typer.Option("--city", help="City name (any case).")] = None,
    zip_code: Annotated[Optional[str], typer.Option("--zip", help="5-digit ZIP code (or ZIP+4).")] = None,
    name: Annotated[Optional[str], typer.Option("--name", help="Part of the legal business name.")] = None,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="An import id or a date YYYY-MM-DD (default: the newest import).")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=500, help="At most this many suppliers.")] = 50,
    offset: Annotated[int, typer.Option("--offset", min=0, help="Skip this many suppliers first.")] = 0,
    format: FormatOpt = Format.table,
    db: DbOpt = None,
) -> None:
    """Suppliers serving a state, county, city or ZIP code (with --state, those serving the whole
    state are included when a county, city or ZIP is asked for)."""
    from hitbenefit.store.directory import Query, parse_as_of, rows_for, search_directory

    try:
        query = Query.make(state, county, city, zip_code, name)
        when = parse_as_of(as_of)
    except InvalidRequest as exc:
        raise fail(str(exc)) from None
    with open_store(db) as store:
        try:
            result = search_directory(store.engine, query, when, limit, offset)
        except NotFound as exc:
            raise fail(f"--as-of: {exc}") from None
    if format is Format.json:
        typer.echo(json.dumps(result.to_json(limit, offset), indent=2, ensure_ascii=False))
        return
    if format is Format.csv:
        rows = rows_for(result.suppliers)
        writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]) if rows else ["enrollment_id"],
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return
    if result.as_of is None:
        typer.echo("no directory import yet (or none by that date): run `hitbenefit directory import FILE`")
        return
    title = (f"{result.total} supplier(s); showing {len(result.suppliers)} from {offset + 1 if result.suppliers else 0} "
             f"(import {result.as_of.id}, {result.as_of.file_name}, {result.as_of.imported_at:%Y-%m-%d})")
    rows = []
    for s in result.suppliers:
        d = s.details
        rows.append([s.enrollment_id, d.legal_business_name, f"{d.city}, {d.state} {d.zip}", d.phone,
                     "; ".join(_area_text(a) for a in s.areas)])
    _print_table(title, ["Enrollment ID", "Legal business name", "Practice location", "Phone", "Serving (matched)"],
                 rows)


def _area_text(area) -> str:
    place = {"state": area.state, "county": f"{area.county} ({area.state})", "city": f"{area.city}, {area.state}",
             "zip": f"{area.zip} {area.state}"}.get(area.level, area.state)
    return f"{area.type_description or area.level}: {place}"


@directory_app.command("history")
def history(enrollment_id: Annotated[str, typer.Argument(help="The supplier's Enrollment ID.")],
            format: FormatOpt = Format.table, db: DbOpt = None) -> None:
    """Every version of a supplier's directory entry, with the imports that started and ended it."""
    from hitbenefit.store.directory import supplier_history

    with open_store(db) as store:
        found = supplier_history(store.engine, enrollment_id)
    if format is not Format.table:
        typer.echo(json.dumps(found.to_json(), indent=2, ensure_ascii=False))
        return

    def when(import_id):
        if import_id is None:
            return "current"
        i = found.imports[import_id]
        return f"import {i.id} ({i.imported_at:%Y-%m-%d}, {i.file_name})"

    rows = []
    for v in found.versions:
        d = v.details
        rows.append([when(v.valid_from), when(v.valid_to) if v.valid_to else "current", d.legal_business_name,
                     f"{d.street1} {d.street2}".strip() + f", {d.city}, {d.state} {d.zip}",
                     "\n".join(_area_text(a) + (f" (ended at import {a.valid_to})" if a.valid_to else "")
                               for a in v.areas)])
    _print_table(f"supplier {enrollment_id}", ["From", "Until", "Legal business name", "Practice location",
                                               "Service areas"], rows)


@directory_app.command("imports")
def imports(db: DbOpt = None) -> None:
    """Every directory import: id, when, file, SHA-256, rows and suppliers."""
    from hitbenefit.store.directory import list_imports

    with open_store(db) as store:
        found = list_imports(store.engine)
    _print_table(None, ["Import", "Imported at (UTC)", "File", "SHA-256", "Rows", "Suppliers"],
                 [[str(i.id), f"{i.imported_at:%Y-%m-%d %H:%M:%S}", i.file_name, i.sha256[:16], str(i.row_count),
                   str(i.supplier_count)] for i in found])


@directory_app.command("accreditors")
def accreditors(
    on: Annotated[Optional[str], typer.Option("--on", help="Date YYYY-MM-DD (default: today).")] = None,
    format: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """The accrediting organizations for HIT suppliers, their approval terms where known, and
    their status on a date (FAQ 3; RULES SUP-10)."""
    from hitbenefit.directory.accreditors import accreditors_json
    from hitbenefit.parameters.load import accrediting_organizations

    try:
        day = date.fromisoformat(on) if on else datetime.now(timezone.utc).date()
    except ValueError:
        raise fail(f"--on: expected a date YYYY-MM-DD, not {on!r}") from None
    if format not in ("table", "json"):
        raise fail(f"--format must be table or json, not {format!r}")
    items = accreditors_json(accrediting_organizations(), day)
    if format == "json":
        typer.echo(json.dumps({"on": day.isoformat(), "accreditors": items}, indent=2, ensure_ascii=False))
        return
    _print_table(f"HIT accrediting organizations on {day.isoformat()}",
                 ["Code", "Name", "Approved from", "to", f"On {day.isoformat()}", "Conf.", "Reference"],
                 [[i["code"], i["name"], i["approved_from"] or "?", i["approved_to"] or "?", i["status_on_date"],
                   i["confidence"], i["reference"]] for i in items])

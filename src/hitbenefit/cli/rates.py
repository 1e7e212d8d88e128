"""``hitbenefit rates``: show, import and rebuild the HIT rate tables (CONTRACT §4, §6, §7).

Mounted in cli/main.py with ``app.add_typer(rates_app, name="rates")``. An estimate is always
labelled as one (42 CFR 414.1550 method; CONTRACT §6). Bad input exits 2 with one line naming the
file, row and field, never a traceback.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Optional

import simplejson
import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from hitbenefit.cli.common import fail
from hitbenefit.money import dollars, to_cents
from hitbenefit.parameters.load import hit_gcodes
from hitbenefit.rates.model import ESTIMATE, RateTable

rates_app = typer.Typer(
    help="HIT rate tables: national amounts, GAFs and where they come from.",
    invoke_without_command=True,
    no_args_is_help=False,
)


def _label(table: RateTable, amount: Optional[Decimal]) -> str:
    text = dollars(amount)
    return f"{text} (estimate)" if amount is not None and table.status == ESTIMATE else text


def _rows(table: RateTable, locality: Optional[str]) -> list[dict]:
    out = []
    gaf = table.gaf.get(locality) if locality else None
    for code, (category, visit) in hit_gcodes().items():
        national = table.national.get(code)
        local = None
        if locality:
            local = table.locality.get((locality, code))
            if local is None and national is not None and gaf is not None:
                local = to_cents(national * gaf)
        out.append({"hcpcs": code, "category": category, "visit_type": visit, "national": national,
                    "gaf": gaf, "locality_amount": local, "status": table.status})
    return out


@rates_app.callback()
def show(
    ctx: typer.Context,
    year: Optional[int] = typer.Option(None, "--year", help="Calendar year (default: the latest table)."),
    locality: Optional[str] = typer.Option(None, "--locality", help="MAC-locality, e.g. 01112-54."),
    fmt: str = typer.Option("table", "--format", help="table or json."),
    rates: Optional[Path] = typer.Option(None, "--rates", help="Rate CSV replacing the bundled amounts."),
    gaf: Optional[Path] = typer.Option(None, "--gaf", help="GAF CSV replacing the bundled GAFs."),
) -> None:
    """Show the six G-code amounts of a year, with GAF and locality amount, and their provenance."""
    if ctx.invoked_subcommand is not None:
        return
    from hitbenefit.rates.files import RateFileError, load_ratebook, normalize_locality

    if fmt not in ("table", "json"):
        raise fail(f"--format: {fmt!r} is not table or json")
    try:
        book = load_ratebook(rates, gaf)
    except (RateFileError, ValueError) as exc:
        raise fail(str(exc))
    if not book.years():
        raise fail("no rate tables found")
    year = year or book.years()[-1]
    table = book.table(year)
    if table is None:
        raise fail(f"--year: no rate table for {year}; tables exist for {', '.join(map(str, book.years()))}")
    if locality is not None:
        try:
            locality = normalize_locality(locality, allow_national=False)
        except ValueError as exc:
            raise fail(f"--locality: {exc}")
        if locality not in table.gaf and not any(loc == locality for loc, _ in table.locality):
            raise fail(f"--locality: {locality} has no GAF or locality rate in the {year} table")
    rows = _rows(table, locality)
    if fmt == "json":
        typer.echo(simplejson.dumps({
            "year": year, "locality": locality, "status": table.status, "source": table.source,
            "method": table.method, "substitutions": list(table.substitutions),
            "assumptions": list(table.assumptions), "gaf_source": table.gaf_source,
            "estimate": table.status == ESTIMATE, "rates": rows}, use_decimal=True, indent=2))
        return
    _print_table(table, rows, locality)


def _print_table(table: RateTable, rows: list[dict], locality: Optional[str]) -> None:
    console = Console(width=120)
    kind = "ESTIMATE (not a CMS publication)" if table.status == ESTIMATE else "official"
    grid = Table(title=f"HIT rates {table.year}: {kind}" + (f", locality {locality}" if locality else ""))
    for name in ("HCPCS", "category", "visit", "national", "GAF", "locality amount"):
        grid.add_column(name, justify="right" if name in ("national", "GAF", "locality amount") else "left")
    for r in rows:
        grid.add_row(r["hcpcs"], str(r["category"]), r["visit_type"], _label(table, r["national"]),
                     str(r["gaf"]) if r["gaf"] is not None else "-",
                     _label(table, r["locality_amount"]) if locality else "-")
    console.print(grid)
    lines = [f"source: {table.source}", f"status: {table.status}"]
    if table.method:
        lines.append(f"method: {table.method}")
    if locality:
        lines.append(f"GAF: {table.gaf_source}")
    lines += [f"assumption: {a}" for a in table.assumptions]
    lines += [f"substitution: {s}" for s in table.substitutions] or ["substitutions: none"]
    console.print(Panel("\n".join(lines), title="provenance"))


@rates_app.command("import")
def import_cmd(
    files: list[Path] = typer.Argument(..., help="CMS HIT rate CSV files, as CMS posts them."),
    year: Optional[int] = typer.Option(None, "--year", help="Calendar year, when the files do not say."),
    out: Optional[Path] = typer.Option(None, "--out", help="Directory (default: $HITBENEFIT_HOME/rates)."),
) -> None:
    """Import CMS's published HIT rate files as official tables, preferred over the estimates."""
    from hitbenefit.rates.files import RateFileError
    from hitbenefit.rates.importer import import_files

    try:
        folders = import_files(list(files), year, out)
    except (RateFileError, ValueError) as exc:
        raise fail(str(exc))
    for folder in folders:
        typer.echo(f"imported official {folder.name} rates into {folder}")


@rates_app.command("build-estimates")
def build_estimates(
    out: Optional[Path] = typer.Option(None, "--out", help="Directory (default: the bundled data folder)."),
) -> None:
    """Regenerate the estimate tables from the bundled PFS inputs (42 CFR 414.1550 method)."""
    from hitbenefit.rates.build import BUNDLED_DIR, write_estimates
    from hitbenefit.rates.files import load_bundled_ratebook

    try:
        folders = write_estimates(out or BUNDLED_DIR)
    except (OSError, ValueError) as exc:
        raise fail(str(exc))
    load_bundled_ratebook.cache_clear()  # type: ignore[attr-defined]
    for folder in folders:
        typer.echo(f"wrote estimate tables {folder}")


@rates_app.command("localities")
def localities_cmd(
    state: Optional[str] = typer.Option(None, "--state", help="Two-letter state code, e.g. VA."),
    fmt: str = typer.Option("table", "--format", help="table or json."),
) -> None:
    """List the CY 2025 payment localities (MAC-locality, state, name, counties)."""
    from hitbenefit.rates.localities import load_localities

    if fmt not in ("table", "json"):
        raise fail(f"--format: {fmt!r} is not table or json")
    rows = [(code, loc) for code, loc in sorted(load_localities().items())
            if state is None or loc.state == state.strip().upper()]
    if state is not None and not rows:
        raise fail(f"--state: no locality in {state!r}")
    if fmt == "json":
        typer.echo(simplejson.dumps([{"locality": c, "state": l.state, "name": l.name, "counties": l.counties}
                                     for c, l in rows], indent=2))
        return
    grid = Table(title="CY 2025 payment localities (GPCI2025, 25LOCCO1)")
    for name in ("locality", "state", "name", "counties"):
        grid.add_column(name)
    for code, loc in rows:
        grid.add_row(code, loc.state, loc.name, loc.counties)
    Console(width=140).print(grid)

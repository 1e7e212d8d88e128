"""What every ``hitbenefit`` command shares: the exit on bad input (status 2, one line per
problem, never a traceback), command groups, ``--db`` and ``--supplier`` options, and the store."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Iterable, Iterator, Optional

import typer

if TYPE_CHECKING:
    from hitbenefit.store import Principal, Store

MAX_ERRORS_SHOWN = 20

DbOpt = Annotated[Optional[str], typer.Option(
    "--db", help="Database URL (sqlite:///FILE or postgresql://USER@HOST/DB); default $HITBENEFIT_DATABASE_URL, "
                 "else $HITBENEFIT_HOME/hitbenefit.db.")]
SupplierOpt = Annotated[Optional[str], typer.Option(
    "--supplier", help="Act as this supplier (10-digit NPI) instead of the system contractor.")]
RatesOpt = Annotated[Optional[Path], typer.Option(
    "--rates", help="Rate CSV (year,locality,hcpcs,amount) replacing the bundled rates for this run.")]
GafOpt = Annotated[Optional[Path], typer.Option(
    "--gaf", help="GAF CSV (year,locality,gaf) replacing the bundled GAFs for this run.")]
SuppliersOpt = Annotated[Optional[Path], typer.Option(
    "--suppliers", help="Supplier registry CSV (npi,specialty,accreditation_expires,licensed_states).")]
NocOpt = Annotated[Optional[Path], typer.Option(
    "--noc-names", help="Contractor's NOC drug-name table (CSV name,category) replacing the seed table.")]
LocalityOpt = Annotated[Optional[str], typer.Option(
    "--locality", help="Payment locality (MAC-locality, e.g. 11302-00) for X12 claims, which carry none.")]


def fail(message: str) -> typer.Exit:
    """Print one line to standard error; the caller raises the returned exit (status 2)."""
    typer.echo(f"hitbenefit: {message}", err=True)
    return typer.Exit(2)


def fail_with_errors(errors: Iterable[object], total: int | None = None, tail: str = "") -> typer.Exit:
    """Print the first input errors (each names file, record and field) and how many more; exit 2."""
    errors = list(errors)
    total = len(errors) if total is None else total
    for error in errors[:MAX_ERRORS_SHOWN]:
        typer.echo(f"hitbenefit: {error}", err=True)
    shown = min(len(errors), MAX_ERRORS_SHOWN)
    if total > shown:
        typer.echo(f"hitbenefit: ... and {total - shown} more errors{tail}", err=True)
    return typer.Exit(2)


def group(help: str) -> typer.Typer:
    """A command group (``hitbenefit NAME ...``) that shows its help when called bare."""
    return typer.Typer(help=help, no_args_is_help=True, add_completion=False, rich_markup_mode=None,
                       pretty_exceptions_enable=False)


def first_line(exc: BaseException) -> str:
    """An exception in one line (a database driver's message can run to many)."""
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return f"{exc.__class__.__name__}: {text[0] if text else ''}".rstrip(": ")


@contextmanager
def open_store(url: str | None) -> Iterator["Store"]:
    """The store at ``url`` (migrated to the newest schema); store and database errors exit 2."""
    from sqlalchemy.exc import SQLAlchemyError

    from hitbenefit.store import Store, StoreError, safe_url
    try:
        store = Store.open(url)
    except (SQLAlchemyError, OSError, ValueError) as exc:
        raise fail(f"--db {safe_url(url) if url else '(default)'}: cannot open the database ({first_line(exc)})") from None
    try:
        yield store
    except StoreError as exc:
        raise fail(str(exc)) from None
    except SQLAlchemyError as exc:
        raise fail(f"database {safe_url(store.url)}: {first_line(exc)}") from None
    finally:
        store.close()


def acting_as(supplier: str | None) -> "Principal":
    """The principal a command acts as: the named supplier, else the system contractor."""
    from hitbenefit.store import SYSTEM_CONTRACTOR, Principal
    if supplier is None:
        return SYSTEM_CONTRACTOR
    if len(supplier) != 10 or not supplier.isdigit():
        raise fail(f"--supplier: expected a 10-digit NPI, not {supplier!r}")
    return Principal(None, "supplier", supplier)

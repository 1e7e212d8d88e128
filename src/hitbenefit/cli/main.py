"""``hitbenefit``: check and price Medicare home infusion therapy services claims.

Commands stay thin: they parse options, call ``hitbenefit.service`` and print. Bad input exits
with status 2 and one message naming the file, the claim, the line and the field.
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from hitbenefit import __version__, service
from hitbenefit.claims.read_json import ClaimInputError
from hitbenefit.cli import batch as batch_cli
from hitbenefit.cli import care as care_cli
from hitbenefit.cli import billing, reconcile, serve
from hitbenefit.cli.common import GafOpt, LocalityOpt, NocOpt, RatesOpt, SuppliersOpt, fail, fail_with_errors
from hitbenefit.cli.db import db_app, keys_app, users_app
from hitbenefit.cli.directory import directory_app
from hitbenefit.cli.rates import rates_app
from hitbenefit.cli.render import explain as explain_prose
from hitbenefit.cli.render import print_table, reasons_markdown, spec_json, x12_codes
from hitbenefit.cli.x12 import x12_app
from hitbenefit.engine.adjudicate import all_rules
from hitbenefit.parameters.load import ParameterError, bundled_parameters
from hitbenefit.rates.files import RateFileError

app = typer.Typer(
    name="hitbenefit",
    help="Check and price Medicare Part B home infusion therapy (HIT) services claims, every rule cited.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
app.add_typer(rates_app, name="rates", help="Show, import and rebuild rate tables, with provenance.")
app.add_typer(x12_app, name="x12", help="Write and validate X12 837P/835 files.")
app.add_typer(db_app, name="db", help="Create, upgrade and inspect the claims store.")
app.add_typer(keys_app, name="keys", help="Create, list and revoke API keys.")
app.add_typer(users_app, name="users", help="Create, list and disable users (the people behind keys).")
app.add_typer(directory_app, name="directory", help="Import and search the HIT supplier directory; accreditors.")
app.add_typer(care_cli.plans_app, name="plans", help="Plans of care: create, change, sign, review, status.")
app.add_typer(care_cli.visits_app, name="visits", help="Visits: record and list.")
app.add_typer(care_cli.monitoring_app, name="monitoring", help="Remote monitoring: readings and alerts.")

INPUT_ERRORS = (ClaimInputError, RateFileError, ParameterError)


class Format(str, Enum):
    json = "json"
    jsonl = "jsonl"
    table = "table"
    x835 = "835"
    fhir = "fhir"


HistoryOpt = Annotated[Optional[list[str]], typer.Option("--history", help="Earlier claims (JSON) whose accepted lines form the beneficiaries' history.")]


def _load(inputs: list[str], history: list[str] | None, rates, gaf, suppliers, noc_names, locality=None):
    try:
        tables = service.load_tables(rates, gaf, suppliers, noc_names)
    except (*INPUT_ERRORS, OSError) as exc:
        raise fail(str(exc)) from None
    read = service.read_inputs(inputs, locality)
    prior = service.read_inputs(history or [], locality)
    errors = prior.errors + read.errors
    if errors:
        raise fail_with_errors(errors)
    return tables, read.claims, prior.claims


@app.command()
def adjudicate(
    inputs: Annotated[list[str], typer.Argument(metavar="INPUT...", help="Claim files: contract JSON or JSON Lines, FHIR R4 Claim/Bundle; - for standard input.")],
    rates: RatesOpt = None, gaf: GafOpt = None, suppliers: SuppliersOpt = None, noc_names: NocOpt = None,
    history: HistoryOpt = None, locality: LocalityOpt = None,
    db: Annotated[Optional[str], typer.Option("--db", help="Store URL (SQLite path or postgresql://...): use and extend the stored claims history; resubmitting a claim returns its stored decision.")] = None,
    payer_name: Annotated[str, typer.Option("--payer-name", help="With --format 835: the payer named in N1*PR.")] = "MEDICARE PART B",
    payer_id: Annotated[str, typer.Option("--payer-id", help="With --format 835: the payer's identifier (REF*2U), e.g. the MAC's contractor number.")] = "MEDICARE",
    format: Annotated[Optional[Format], typer.Option("--format", help="json (default when piped), jsonl, table (default on a terminal), 835, fhir (a Bundle of ExplanationOfBenefit and ClaimResponse).")] = None,
) -> None:
    """Adjudicate claims: one decision per claim, in input order."""
    chosen = format or (Format.table if sys.stdout.isatty() else Format.json)
    if db is not None and history:
        raise fail("--history and --db do not go together: the store holds the history")
    tables, claims, prior = _load(inputs, history, rates, gaf, suppliers, noc_names, locality)
    if db is not None:
        from sqlalchemy.exc import SQLAlchemyError  # the heavy adapters load only when asked for

        from hitbenefit.store import StoreError, adjudicate_with_store
        try:
            decisions = adjudicate_with_store(claims, tables, db)
        except (StoreError, SQLAlchemyError) as exc:
            raise fail(f"{db}: {exc}".splitlines()[0]) from None
    else:
        decisions = service.adjudicate(claims, tables, prior)
    if chosen is Format.x835:
        from hitbenefit.x12.envelope import X12WriteError
        from hitbenefit.x12.write_835 import decisions_to_835
        try:
            sys.stdout.write(decisions_to_835(claims, decisions, payer_name=payer_name, payer_id=payer_id))
        except X12WriteError as exc:
            raise fail(str(exc)) from None
    elif chosen is Format.table:
        print_table(decisions, Console() if sys.stdout.isatty() else Console(width=120))
    elif chosen is Format.fhir:
        from hitbenefit.fhir import decisions_to_fhir
        sys.stdout.write(decisions_to_fhir(claims, decisions) + "\n")
    else:
        sys.stdout.write(service.decisions_json(decisions, lines=chosen is Format.jsonl))


@app.command()
def explain(
    inputs: Annotated[list[str], typer.Argument(metavar="CLAIM...", help="Claim files (JSON, JSON Lines); - for standard input.")],
    claim_id: Annotated[Optional[str], typer.Option("--claim-id", help="Explain only this claim.")] = None,
    rates: RatesOpt = None, gaf: GafOpt = None, suppliers: SuppliersOpt = None, noc_names: NocOpt = None,
    history: HistoryOpt = None, locality: LocalityOpt = None,
) -> None:
    """Explain a claim's decision and payment in plain words."""
    tables, claims, prior = _load(inputs, history, rates, gaf, suppliers, noc_names, locality)
    decisions = service.adjudicate(claims, tables, prior)
    chosen = [d for d in decisions if claim_id is None or d.claim_id == claim_id]
    if not chosen:
        raise fail(f"no claim {claim_id!r} in {', '.join(inputs)}")
    typer.echo("\n\n".join(explain_prose(d) for d in chosen))


@app.command()
def rules(
    format: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """List every rule with its FAQ and manual/CFR citations."""
    infos = all_rules()
    if format == "json":
        typer.echo(json.dumps([{"id": r.id, "name": r.name, "area": r.area, "applies_to": r.applies_to,
                                "keys": list(r.keys), "citations": list(r.citations), "summary": r.summary}
                               for r in infos], indent=2, ensure_ascii=False))
        return
    if format != "table":
        raise fail(f"--format must be table or json, not {format!r}")
    table = Table("Rule", "Area", "What it checks", "Reason keys", "Sources", header_style="bold")
    for r in infos:
        table.add_row(r.id, r.area, r.summary, "\n".join(r.keys), "; ".join(r.citations))
    Console().print(table)


@app.command()
def reasons(
    format: Annotated[str, typer.Option("--format", help="table, markdown or json.")] = "table",
) -> None:
    """List the reason keys with X12 codes, messages, sources."""
    specs = list(bundled_parameters().reasons.values())
    if format == "json":
        typer.echo(json.dumps([spec_json(s) for s in specs], indent=2, ensure_ascii=False))
    elif format == "markdown":
        typer.echo(reasons_markdown(specs), nl=False)
    elif format == "table":
        table = Table("Key", "Outcome", "X12", "Message", "Why this code", header_style="bold")
        for s in specs:
            table.add_row(s.key, s.outcome, x12_codes(s), s.message, s.code_basis)
        Console().print(table)
    else:
        raise fail(f"--format must be table, markdown or json, not {format!r}")


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(f"hitbenefit {__version__}")


reconcile.register(app)
serve.register(app)
batch_cli.register(app)
billing.register(app)


def run() -> None:
    """Entry point: never show a traceback for bad input."""
    try:
        app()
    except INPUT_ERRORS as exc:
        typer.echo(f"hitbenefit: {exc}", err=True)
        sys.exit(2)
    except BrokenPipeError:
        sys.exit(0)

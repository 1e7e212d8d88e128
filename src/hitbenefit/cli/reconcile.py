"""``hitbenefit reconcile``: compare the payer's 835 remittances with the engine's decisions."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import simplejson
import typer

from hitbenefit.cli.common import fail
from rich.console import Console
from rich.table import Table
from rich.text import Text

from hitbenefit.money import dollars
from hitbenefit.reconcile import (DENIED, MISSING, NOT_PRICED, OVER, PAID, STATUSES, UNDER, UNEXPECTED,
                                  DecisionInputError, ReconciliationReport, decisions_from_json, reconcile)
from hitbenefit.x12.read_835 import read_835
from hitbenefit.x12.segments import X12Error

STYLE = {PAID: "green", UNDER: "yellow", OVER: "cyan", DENIED: "red", MISSING: "magenta", UNEXPECTED: "blue",
         NOT_PRICED: "white"}
WORD = {PAID: "as expected", UNDER: "underpaid", OVER: "overpaid", DENIED: "denied",
        MISSING: "not remitted", UNEXPECTED: "unexpected", NOT_PRICED: "not priced"}


class ReportFormat(str, Enum):
    table = "table"
    json = "json"



def _signed(amount) -> str:
    if amount is None:
        return ""
    return ("+" if amount > 0 else "-" if amount < 0 else "") + dollars(abs(amount))


WRAP = {"Payer codes", "Meaning", "Claims", "Our reason", "RARCs", "Payer ICN"}


def _table(title: str, *columns: str) -> Table:
    """A report table: identifiers and amounts never wrap, codes and prose do."""
    table = Table(title=title, header_style="bold", title_justify="left")
    for name in columns:
        table.add_column(name, no_wrap=name not in WRAP,
                         justify="right" if name in ("Expected", "Remitted", "Difference", "Lines", "Claims#", "Line") else "left")
    return table


def print_report(report: ReconciliationReport, console: Console) -> None:
    """The report for a biller: status counts and dollars, totals, biggest differences, denials, claims."""
    by_lines, by_claims = report.by_status("lines"), report.by_status("claims")
    table = _table("Reconciliation", "Status", "Claims#", "Lines", "Expected", "Remitted", "Difference")
    for status in STATUSES:
        lines, claims = by_lines[status], by_claims[status]
        if lines.count or claims.count:
            table.add_row(Text(WORD[status], style=STYLE[status]), str(claims.count), str(lines.count),
                          dollars(lines.expected), dollars(lines.remitted), _signed(lines.difference))
    console.print(table)
    t = report.totals()
    console.print(f"Expected {dollars(t['expected'])} in all; on the claims remitted {dollars(t['expected_on_remitted_claims'])} "
                  f"expected, {dollars(t['remitted_on_expected_claims'])} remitted "
                  f"({_signed(t['difference_on_remitted_claims'])}). Not yet remitted {dollars(t['not_in_remittance'])}; "
                  f"unexpected {dollars(t['unexpected'])}; payments {dollars(t['payments'])}"
                  + (f", provider adjustments {_signed(-t['provider_adjustments'])}" if t["provider_adjustments"] else "")
                  + ".")
    biggest = report.biggest_differences()
    if biggest:
        table = _table("Biggest differences", "Claim", "Line", "Code", "Date", "Status", "Expected", "Remitted",
                       "Difference", "Payer codes")
        for line in biggest:
            codes = " ".join([a.code for a in line.adjustments] + line.remark_codes)
            table.add_row(line.claim_id, str(line.line or ""), line.hcpcs,
                          line.service_date.isoformat() if line.service_date else "",
                          Text(WORD[line.status], style=STYLE[line.status]),
                          dollars(line.expected) if line.expected is not None else "",
                          dollars(line.remitted), _signed(line.difference), codes)
        console.print(table)
    denials = report.denials()
    if denials:
        table = _table("Denials by payer reason", "Payer reason", "RARCs", "Lines", "Expected", "Our reason",
                       "Meaning", "Claims")
        for group in denials:
            table.add_row(f"{group.group}-{group.carc}", " ".join(group.remark_codes), str(group.lines),
                          dollars(group.expected), "\n".join(group.our_keys), group.meaning or "",
                          ", ".join(group.claims[:5]) + (" ..." if len(group.claims) > 5 else ""))
        console.print(table)
    table = _table("Claims", "Claim", "Status", "Expected", "Remitted", "Difference", "Payer ICN", "Payer codes")
    for claim in report.claims:
        codes = " ".join([a.code for a in claim.adjustments] + claim.remark_codes)
        table.add_row(claim.claim_id, Text(WORD[claim.status], style=STYLE[claim.status]),
                      dollars(claim.expected) if claim.expected is not None else "",
                      dollars(claim.remitted) if claim.remitted is not None else "",
                      _signed(claim.difference), ", ".join(claim.payer_claim_control_numbers), codes)
    console.print(table)
    for warning in report.warnings:
        console.print(Text(f"warning: {warning}", style="yellow"))


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""

    @app.command("reconcile")
    def reconcile_command(
        expected: Annotated[str, typer.Argument(metavar="EXPECTED.json", help="Decisions from `hitbenefit adjudicate --format json` (or jsonl); - for standard input.")],
        remittances: Annotated[list[Path], typer.Argument(metavar="REMIT.835...", help="X12 835 remittance files.")],
        format: Annotated[Optional[ReportFormat], typer.Option("--format", help="table (default on a terminal) or json.")] = None,
        claims: Annotated[Optional[list[str]], typer.Option("--claims", help="The claims the decisions were made from (JSON): their dates and modifiers match lines the 835 does not number.")] = None,
    ) -> None:
        """Reconcile 835 remittances with the expected decisions."""
        chosen = format or (ReportFormat.table if sys.stdout.isatty() else ReportFormat.json)
        source = "<stdin>" if expected == "-" else expected
        try:
            text = sys.stdin.read() if expected == "-" else Path(expected).read_text(encoding="utf-8")
            decisions = decisions_from_json(text, source)
        except (OSError, UnicodeDecodeError) as exc:
            raise fail(f"{source}: cannot be read ({exc.__class__.__name__}: {getattr(exc, 'strerror', None) or exc})") from None
        except DecisionInputError as exc:
            raise fail(str(exc)) from None
        source_claims = None
        if claims:
            from hitbenefit import service
            read = service.read_inputs(claims)
            if read.errors:
                raise fail(str(read.errors[0]))
            source_claims = read.claims
        remits = []
        for path in remittances:
            try:
                with path.open("rb") as handle:
                    remits.extend(read_835(handle, str(path)))
            except OSError as exc:
                raise fail(f"{path}: cannot be read ({exc.strerror or exc})") from None
            except X12Error as exc:
                raise fail(str(exc)) from None
        report = reconcile(decisions, remits, source_claims)
        if chosen is ReportFormat.table:
            print_report(report, Console())
        else:
            sys.stdout.write(simplejson.dumps(report.to_json(), use_decimal=True, ensure_ascii=False, indent=2) + "\n")

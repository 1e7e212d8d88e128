"""``hitbenefit x12 validate FILE...``: structural validation of 837P/835 files against the implementation guide."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from hitbenefit.x12.validate import ValidationReport, validate


class Format(str, Enum):
    table = "table"
    json = "json"


def _print_table(report: ValidationReport) -> None:
    verdict = "VALID" if report.valid else f"{report.error_count} error{'s' if report.error_count != 1 else ''}"
    extra = f", {report.warning_count} warning{'s' if report.warning_count != 1 else ''}" if report.warning_count else ""
    typer.echo(f"{report.source}: {verdict}{extra} ({report.transactions} transactions, {report.claims} claims, "
               f"{report.segments} segments)")
    for finding in report.findings:
        typer.echo(f"  {finding.severity}: {finding}")
    if report.omitted:
        typer.echo(f"  ... and {report.omitted} more findings not shown")


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""

    @app.command("validate")
    def validate_command(
        files: Annotated[list[Path], typer.Argument(help="X12 837P or 835 files.")],
        format: Annotated[Format, typer.Option("--format", help="table (readable) or json.")] = Format.table,
    ) -> None:
        """Check 837P/835 files against the X12 implementation guide (envelope, loops, segments, elements, codes)."""
        reports, unreadable = [], False
        for path in files:
            try:
                with path.open("rb") as handle:
                    reports.append(validate(handle, str(path)))
            except OSError as exc:
                typer.echo(f"hitbenefit: {path}: cannot read the file ({exc.strerror or exc})", err=True)
                unreadable = True
        if format is Format.json:
            typer.echo(json.dumps([r.to_dict() for r in reports], indent=2))
        else:
            for report in reports:
                _print_table(report)
        if unreadable:
            raise typer.Exit(2)
        raise typer.Exit(0 if all(r.valid for r in reports) else 1)

"""``hitbenefit batch``, ``hitbenefit report`` and ``hitbenefit synth`` (issue 7; see docs/batch.md).

``register(app)`` adds the three top-level commands to the main Typer app.
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeElapsedColumn, \
    TimeRemainingColumn
from rich.text import Text

from hitbenefit.cli.common import GafOpt, LocalityOpt, NocOpt, RatesOpt, SuppliersOpt, fail, fail_with_errors


class Engine(str, Enum):
    local = "local"
    spark = "spark"


class ReportFormat(str, Enum):
    table = "table"
    json = "json"
    html = "html"


class _Rate(ProgressColumn):
    def render(self, task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f}/s" if speed else "-/s", style="cyan")


class RichReporter:
    """Progress on standard error: one bar per phase, with rate and ETA."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.progress: Progress | None = None
        self.task = None

    def phase(self, name: str, total: int | None) -> None:
        if not self.enabled:
            return
        self.done()
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), _Rate(),
                                 TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                                 console=Console(stderr=True), transient=False)
        self.progress.start()
        self.task = self.progress.add_task(name, total=total)

    def advance(self, n: int) -> None:
        if self.progress is not None:
            self.progress.advance(self.task, n)

    def update(self, completed: int) -> None:
        if self.progress is not None:
            self.progress.update(self.task, completed=completed)

    def done(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


def register(app: typer.Typer) -> None:
    """Add ``batch``, ``report`` and ``synth`` to ``app``."""

    @app.command()
    def batch(
        inputs: Annotated[list[str], typer.Argument(metavar="INPUT...", help="Claim files or folders: JSON Lines, JSON, Parquet (column 'claim' = claim JSON text), X12 837P.")],
        out: Annotated[Path, typer.Option("--out", help="Output folder: decisions.jsonl, decisions.parquet, summary.json, summary.html.")],
        workers: Annotated[Optional[int], typer.Option("--workers", min=1, help="Local engine processes (default: every core).")] = None,
        engine: Annotated[Engine, typer.Option("--engine", help="local (multiprocessing) or spark (PySpark).")] = Engine.local,
        partitions: Annotated[Optional[int], typer.Option("--partitions", min=1, max=4096, help="Partitions by beneficiary (default: one per 8 MB of input, at least 16).")] = None,
        locality: LocalityOpt = None,
        rates: RatesOpt = None,
        gaf: GafOpt = None,
        suppliers: SuppliersOpt = None,
        noc_names: NocOpt = None,
        spark_master: Annotated[str, typer.Option("--spark-master", help="With --engine spark.")] = "local[2]",
        keep_work: Annotated[bool, typer.Option("--keep-work", help="Keep OUT/_work (spill and partition files) after success.")] = False,
        progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Progress bar on standard error.")] = True,
    ) -> None:
        """Adjudicate years of claims, partitioned by beneficiary.

        On every core or on Spark; outputs in input order. After a kill, rerun the same command: finished
        partitions are kept."""
        from hitbenefit.batch import BatchError, run_batch
        from hitbenefit.batch.run import TableOptions

        opts = TableOptions(*(str(p) if p else None for p in (rates, gaf, suppliers, noc_names)))
        reporter = RichReporter(progress)
        try:
            result = run_batch(inputs, out, workers=workers, engine=engine.value, partitions=partitions,
                               locality=locality, tables=opts, reporter=reporter, spark_master=spark_master,
                               keep_work=keep_work)
        except BatchError as exc:
            reporter.done()
            raise fail_with_errors(exc.errors) from None
        except ImportError as exc:
            reporter.done()
            raise fail(str(exc)) from None
        except OSError as exc:  # the output folder cannot be written (no space, no permission)
            reporter.done()
            raise fail(f"{exc.filename or out}: {exc.strerror or exc}") from None
        except KeyboardInterrupt:
            reporter.done()
            typer.echo(f"hitbenefit: interrupted; finished partitions are kept in {out}: rerun the same command "
                       "to go on", err=True)
            raise typer.Exit(130) from None
        if result.already_complete:
            typer.echo(f"{out}: already complete ({result.claims:,} claims); nothing to do", err=True)
            return
        rate = result.claims / result.seconds if result.seconds else 0
        typer.echo(f"{result.claims:,} claims in {result.partitions} partitions ({result.skipped} already done) "
                   f"in {result.seconds:.1f} s ({rate:,.0f} claims/s) -> {out}", err=True)

    @app.command()
    def report(
        directory: Annotated[Path, typer.Argument(metavar="DIR", help="A batch output folder (holding decisions.parquet).")],
        format: Annotated[ReportFormat, typer.Option("--format", help="table, json or html.")] = ReportFormat.table,
        top: Annotated[int, typer.Option("--top", min=1, help="Reasons shown per supplier.")] = 3,
    ) -> None:
        """Answer an auditor's questions over a batch's outputs (DuckDB).

        Top reasons by supplier, initial-visit rejections per month, payment by locality."""
        from hitbenefit.batch.report import ReportError, build_report, report_html, report_json, report_tables

        try:
            data = build_report(directory, top=top)
        except ReportError as exc:
            raise fail(str(exc)) from None
        if format is ReportFormat.json:
            sys.stdout.write(report_json(data))
        elif format is ReportFormat.html:
            sys.stdout.write(report_html(data))
        else:
            report_tables(data, Console())

    @app.command()
    def synth(
        claims: Annotated[int, typer.Option("--claims", min=1, help="How many claims.")],
        out: Annotated[Path, typer.Option("--out", help="JSON Lines file to write (- for standard output).")],
        seed: Annotated[int, typer.Option("--seed", help="Random seed: the same seed gives the same claims.")] = 0,
    ) -> None:
        """Write synthetic claim histories as JSON Lines.

        SYNTHETIC, not real data: each injected error labelled in
        extra.expected."""
        import simplejson

        from hitbenefit.synth import generate_claims

        try:
            handle = sys.stdout if str(out) == "-" else out.open("w", encoding="utf-8")
        except OSError as exc:
            raise fail(f"{out}: {exc.strerror or exc}") from None
        try:
            for claim in generate_claims(claims, seed=seed):
                handle.write(simplejson.dumps(claim, use_decimal=True, ensure_ascii=False, separators=(",", ":")))
                handle.write("\n")
        finally:
            if handle is not sys.stdout:
                handle.close()

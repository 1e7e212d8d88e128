"""Run a batch: spill the inputs by beneficiary, adjudicate partition by partition, merge.

Working files live in ``OUT/_work``: ``manifest.json`` (what the run is over), ``spill/`` (the input
records by partition, ``spill.done`` when complete), ``parts/`` (one sorted output file per finished
partition, written under a temporary name, renamed, then marked ``.done``). Rerunning the same
command after a kill reuses the spill and skips every partition marked done; the final files are
byte-identical to an uninterrupted run because the outputs do not depend on which run produced a
partition, nor on the partition count (they are ordered by claim_id, then input position).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from hitbenefit.batch.core import adjudicate_records
from hitbenefit.batch.inputs import ReadProgress, expand_inputs, fingerprint, total_bytes
from hitbenefit.batch.output import merge, write_part
from hitbenefit.batch.spill import read_spill, spill, spill_path
from hitbenefit.claims.read_json import ClaimInputError

FORMAT_VERSION = 1
BYTES_PER_PARTITION = 32 << 20  # about 12,000 synthetic claims: a partition must fit in memory
MAX_PARTITIONS = 4096


class BatchError(Exception):
    """Bad input: ``errors`` name the file and record (and the claim, line and field when known)."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("; ".join(errors[:3]))


@dataclass
class BatchResult:
    out: Path
    claims: int
    partitions: int
    skipped: int  # partitions found finished from an earlier run
    seconds: float
    phases: dict[str, float] = field(default_factory=dict)
    already_complete: bool = False


@dataclass
class TableOptions:
    rates: Optional[str] = None
    gaf: Optional[str] = None
    suppliers: Optional[str] = None
    noc_names: Optional[str] = None

    def load(self):
        from hitbenefit.service import load_tables

        p = lambda v: Path(v) if v else None  # noqa: E731
        return load_tables(p(self.rates), p(self.gaf), p(self.suppliers), p(self.noc_names))


class Reporter:
    """Progress callbacks; the CLI gives a Rich progress bar, tests and benchmarks a silent one."""

    def phase(self, name: str, total: int | None) -> None: ...
    def advance(self, n: int) -> None: ...
    def update(self, completed: int) -> None: ...
    def done(self) -> None: ...


def default_partitions(nbytes: int) -> int:
    return max(16, min(MAX_PARTITIONS, -(-nbytes // BYTES_PER_PARTITION)))


def _write_json(path: Path, value: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(value, indent=2, sort_keys=True) + "\n", "utf-8")
    os.replace(tmp, path)


def part_path(parts: Path, p: int) -> Path:
    return parts / f"p-{p:05d}.out"


def done_path(parts: Path, p: int) -> Path:
    return parts / f"p-{p:05d}.done"


# -- the local engine's worker (module level: it runs in spawned processes) --------------------------
_TABLES = None


def _init_worker(options: TableOptions) -> None:
    global _TABLES
    _TABLES = options.load()


def process_partition(work: str, p: int, sources: list[str]) -> tuple[int, int, list[str]]:
    """Adjudicate partition ``p`` from its spill file; write its output, then its marker."""
    work_dir = Path(work)
    records = read_spill(spill_path(work_dir / "spill", p), sources)
    outcomes, errors = adjudicate_records(records, _TABLES)
    if errors:
        return p, len(records), [str(e) for e in errors[:20]]
    parts = work_dir / "parts"
    write_part(outcomes, part_path(parts, p))
    done_path(parts, p).write_text(f"{len(outcomes)}\n")
    return p, len(records), []


def run_batch(inputs: list[str], out: str | Path, *, workers: int | None = None, engine: str = "local",
              partitions: int | None = None, locality: str | None = None, tables: TableOptions | None = None,
              reporter: Reporter | None = None, spark_master: str = "local[2]",
              keep_work: bool = False, after_partition: Callable[[int], None] | None = None) -> BatchResult:
    """Adjudicate every claim of ``inputs`` into ``out``; raise ``BatchError`` on bad input."""
    started = time.perf_counter()
    rep = reporter or Reporter()
    tables = tables or TableOptions()
    out = Path(out)
    try:
        files = expand_inputs(inputs)
    except ClaimInputError as exc:
        raise BatchError([str(exc)]) from None
    nbytes = total_bytes(files)
    manifest = {"format": FORMAT_VERSION, "inputs": fingerprint(files), "locality": locality,
                "tables": tables.__dict__, "sources": [str(f.path) for f in files]}
    work = out / "_work"
    old = _read_json(work / "manifest.json")
    if old is not None and {k: v for k, v in old.items() if k not in ("partitions", "claims")} == manifest:
        partitions = old["partitions"]  # resume with the same partitioning
        if (work / "complete").exists() and all((out / n).exists() for n in
                                                 ("decisions.jsonl", "decisions.parquet", "summary.json")):
            return BatchResult(out, old.get("claims", 0), partitions, partitions, time.perf_counter() - started,
                               already_complete=True)
    else:
        if work.exists():
            shutil.rmtree(work)
        partitions = partitions or default_partitions(nbytes)
    manifest["partitions"] = partitions
    out.mkdir(parents=True, exist_ok=True)
    work.mkdir(exist_ok=True)
    (work / "parts").mkdir(exist_ok=True)
    _write_json(work / "manifest.json", manifest)
    phases: dict[str, float] = {}
    parts = work / "parts"
    pending = [p for p in range(partitions) if not done_path(parts, p).exists()]

    # 1. spill (skipped when already complete, or when no partition is left to do)
    spill_dir, spill_done = work / "spill", work / "spill.done"
    counts = None
    if pending and not spill_done.exists():
        t = time.perf_counter()
        if spill_dir.exists():
            shutil.rmtree(spill_dir)
        progress = ReadProgress()
        rep.phase("Reading inputs (bytes)", nbytes)
        counts, errors = spill(files, spill_dir, partitions, locality, progress,
                               tick=lambda: rep.update(progress.done))
        rep.update(nbytes)
        rep.done()
        if errors:
            raise BatchError(errors)
        _write_json(spill_done, {"counts": counts})
        phases["read+spill"] = time.perf_counter() - t
    if pending:
        counts = _read_json(spill_done)["counts"]
    total = sum(counts) if counts else sum(int(done_path(parts, p).read_text()) for p in range(partitions))

    # 2. adjudicate every unfinished partition
    skipped = partitions - len(pending)
    t = time.perf_counter()
    if pending:
        rep.phase("Adjudicating claims", total)
        rep.advance(total - sum(counts[p] for p in pending))
        if engine == "spark":
            from hitbenefit.batch.spark import run_spark

            run_spark(work, pending, manifest["sources"], tables, rep, counts, master=spark_master)
        else:
            _run_local(work, pending, manifest["sources"], tables, rep, workers, after_partition)
        rep.done()
    phases["adjudicate"] = time.perf_counter() - t

    # 3. merge
    t = time.perf_counter()
    rep.phase("Writing outputs", total)
    merge([part_path(parts, p) for p in range(partitions)], out, tick=rep.advance)
    rep.done()
    phases["merge"] = time.perf_counter() - t
    manifest["claims"] = total
    _write_json(work / "manifest.json", manifest)
    (work / "complete").write_text("")
    if not keep_work:
        shutil.rmtree(spill_dir, ignore_errors=True)
        shutil.rmtree(parts, ignore_errors=True)
        spill_done.unlink(missing_ok=True)
    return BatchResult(out, total, partitions, skipped, time.perf_counter() - started, phases)


def _run_local(work: Path, pending: list[int], sources: list[str], tables: TableOptions, rep: Reporter,
               workers: int | None, after_partition) -> None:
    workers = workers or os.cpu_count() or 1
    errors: list[str] = []
    if workers == 1:
        _init_worker(tables)
        results = (process_partition(str(work), p, sources) for p in pending)
        _collect(results, rep, errors, after_partition)
    else:
        ctx = multiprocessing.get_context("spawn")  # no fork of a threaded parent (Rich refreshes in a thread)
        with ctx.Pool(workers, initializer=_init_worker, initargs=(tables,)) as pool:
            results = pool.imap_unordered(_process_star, [(str(work), p, sources) for p in pending])
            _collect(results, rep, errors, after_partition)
    if errors:
        raise BatchError(errors)


def _process_star(args):
    return process_partition(*args)


def _collect(results, rep: Reporter, errors: list[str], after_partition) -> None:
    for p, n, errs in results:
        errors.extend(errs)
        rep.advance(n)
        if after_partition is not None and not errs:
            after_partition(p)


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None

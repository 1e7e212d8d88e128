"""Run a batch: spill the inputs by beneficiary, adjudicate partition by partition, assemble in input order.

Working files live in ``OUT/_work``: ``manifest.json`` (what the run is over), ``spill/`` (the input
records by partition, ``spill.done`` when complete), ``parts/`` (the files of each finished partition,
``core.write_partition``, then marked ``.done`` with its partial summary). The final files are then
assembled in input order (``output.assemble``). Rerunning the same command after a kill reuses the
spill and skips every partition marked done; the final files are byte-identical to an uninterrupted
run because the outputs do not depend on which run produced a partition, nor on the partition or
worker count (they are in input order).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Optional

from hitbenefit.batch.core import (adjudicate_records, chunk_count, partition_sizes, read_partition, summarize,
                                   write_partition)
from hitbenefit.batch.inputs import expand_inputs, fingerprint, total_bytes
from hitbenefit.batch.output import Summary, assemble
from hitbenefit.batch.spill import InputError, Spilled, combine, read_spill, segments, spill_segment
from hitbenefit.claims.read_json import ClaimInputError

FORMAT_VERSION = 7
BYTES_PER_PARTITION = 8 << 20  # about 7,000 synthetic claims: a partition must fit in memory
MAX_PARTITIONS = 4096


class BatchError(Exception):
    """Bad input: ``errors`` name the file and record (and the claim, line and field when known)."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("; ".join(errors[:3]))


def input_errors(errors: list[InputError]) -> BatchError:
    """The batch's error for bad records found anywhere (spill, partitions), in input order."""
    return BatchError([message for _, _, message in sorted(errors)])


def _keyed(errors: list[ClaimInputError], sources: list[str]) -> list[InputError]:
    return [(sources.index(e.source) if e.source in sources else len(sources),
             -1 if e.record is None else e.record, str(e)) for e in errors]


@dataclass
class BatchResult:
    out: Path
    claims: int
    partitions: int
    skipped: int  # partitions found finished from an earlier run
    seconds: float
    phases: dict[str, float] = field(default_factory=dict)
    already_complete: bool = False
    peak_mb: float = 0.0  # the largest resident set of this process and of every worker that did work


def peak_mb() -> float:
    """This process's largest resident set so far, in MB (Linux reports ru_maxrss in KB)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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


def done_path(parts: Path, p: int) -> Path:
    return parts / f"p-{p:05d}.done"


def _check_tables(tables: TableOptions) -> None:
    """Read the table files given (``--rates`` and the like) once, here: a bad one stops the batch with its
    message before any worker starts (the bundled tables are checked by the tests)."""
    if not any(vars(tables).values()):
        return
    from hitbenefit.parameters.load import ParameterError
    from hitbenefit.rates.files import RateFileError

    try:
        tables.load()
    except (ClaimInputError, RateFileError, ParameterError, OSError) as exc:
        raise BatchError([str(exc)]) from None


# -- the local engine's worker (module level: it runs in the pool's processes) -----------------------
_TABLES = None
_TABLES_FAILED: Exception | None = None  # a pool whose initializer raised would start workers forever


def _init_worker(options: TableOptions | None) -> None:
    """Ready a worker: the tables loaded (none for a pool that only spills and assembles, as for Spark)."""
    import gc

    import pyarrow as pa

    global _TABLES, _TABLES_FAILED
    if options is not None:
        try:
            _TABLES = options.load()
        except Exception as exc:  # raised again by the worker's first partition (worker_tables)
            _TABLES_FAILED = exc
    pa.array([0])  # pyarrow's first conversion imports what it needs (pandas, when installed): done here, once
    gc.freeze()  # the tables live as long as the worker: the collector need not scan them


def worker_tables(options: TableOptions):
    if _TABLES is None:
        _init_worker(options)
    if _TABLES_FAILED is not None:
        raise _TABLES_FAILED
    return _TABLES


def process_partition(work: str, p: int, sources: list[str], options: TableOptions | None = None,
                      check_only: bool = False) -> tuple[int, int, list[InputError], float]:
    """Adjudicate partition ``p`` from its spill file; write its files, then its marker (with its summary).
    ``check_only``: only read its claims, for their errors (the batch already failed on others)."""
    work_dir = Path(work)
    spilled = _read_json(work_dir / "spill.done")
    try:
        records = read_spill(work_dir / "spill", p, sources, spilled["segments"])
    except ClaimInputError as exc:
        return p, 0, _keyed([exc], sources), peak_mb()
    if check_only:
        errors = read_partition(records)[1]
        return p, len(records), _keyed(errors[:20], sources), peak_mb()
    part, errors = adjudicate_records(records, worker_tables(options or TableOptions()))
    if errors:
        return p, len(records), _keyed(errors[:20], sources), peak_mb()
    parts = work_dir / "parts"
    sizes = write_partition(part, parts, p, chunk_count(sum(spilled["counts"])))
    _write_json(done_path(parts, p), {"claims": len(records), "summary": summarize(part), "sizes": sizes})
    return p, len(records), [], peak_mb()


def run_batch(inputs: list[str], out: str | Path, *, workers: int | None = None, engine: str = "local",
              partitions: int | None = None, locality: str | None = None, tables: TableOptions | None = None,
              reporter: Reporter | None = None, spark_master: str = "local[2]",
              keep_work: bool = False, after_partition: Callable[[int], None] | None = None) -> BatchResult:
    """Adjudicate every claim of ``inputs`` into ``out``; raise ``BatchError`` on bad input."""
    started = time.perf_counter()
    rep = reporter or Reporter()
    tables = tables or TableOptions()
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise BatchError([f"{out}: the output must be a folder, and this is a file"])
    try:
        files = expand_inputs(inputs)
    except ClaimInputError as exc:
        raise BatchError([str(exc)]) from None
    _check_tables(tables)
    if locality is not None:
        from hitbenefit.rates.files import normalize_locality

        try:
            locality = normalize_locality(locality, allow_national=False)
        except ValueError as exc:
            raise BatchError([f"--locality: {exc}"]) from None
    out.mkdir(parents=True, exist_ok=True)
    with _only_this_run(out):
        return _run(files, out, workers, engine, partitions, locality, tables, rep, spark_master, keep_work,
                    after_partition, started)


@contextmanager
def _only_this_run(out: Path) -> Iterator[None]:
    """An exclusive lock on the output folder while the batch runs, so that a second batch into the same
    folder stops with a message instead of undoing the first one's work. The system drops it when the
    process ends, even on SIGKILL, so a rerun after a kill goes on. (A filesystem that cannot lock at all
    runs the batch unlocked.)"""
    import fcntl

    fd = os.open(out, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BatchError([f"{out}: another hitbenefit batch is writing into this folder; wait for it to "
                              "finish, or give another --out"]) from None
        except OSError:
            pass
        yield
    finally:
        os.close(fd)


def _run(files: list, out: Path, workers: int | None, engine: str, partitions: int | None, locality: str | None,
         tables: TableOptions, rep: Reporter, spark_master: str, keep_work: bool,
         after_partition: Callable[[int], None] | None, started: float) -> BatchResult:
    """The batch proper, once its options are checked and its folder is locked: resume what a manifest of the
    same inputs and options left, else start afresh; spill, adjudicate, assemble."""
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
    work.mkdir(exist_ok=True)
    (work / "parts").mkdir(exist_ok=True)
    _write_json(work / "manifest.json", manifest)
    phases: dict[str, float] = {}
    parts = work / "parts"
    pending = [p for p in range(partitions) if not _finished(parts, p)]

    skipped, peaks = partitions - len(pending), [0.0]
    # its workers start while the inputs are read; with Spark they only spill and assemble: no tables
    with _LocalPool(workers, tables if engine == "local" else None) as pool:
        t = time.perf_counter()
        if pending and not (work / "spill.done").exists():
            _spill_inputs(files, work, partitions, locality, pool, rep)
            phases["read+spill"] = time.perf_counter() - t
        t = time.perf_counter()
        if pending:
            spilled = _read_json(work / "spill.done")
            if spilled["errors"]:  # the batch fails: its partitions are only read, for the rest of the bad records
                found = _check_partitions(work, pending, spilled["counts"], manifest["sources"], pool, rep)
                raise input_errors([tuple(e) for e in spilled["errors"]] + found)
            peaks.append(_adjudicate(work, pending, spilled["counts"], manifest["sources"], engine, tables, pool, rep,
                                     after_partition, spark_master))
        phases["adjudicate"] = time.perf_counter() - t
        t = time.perf_counter()
        total = _assemble(work, partitions, out, pool, rep)
    phases["write"] = time.perf_counter() - t
    manifest["claims"] = total
    _write_json(work / "manifest.json", manifest)
    (work / "complete").write_text("")
    if not keep_work:
        for folder in ("spill", "parts", "chunks"):
            shutil.rmtree(work / folder, ignore_errors=True)
        (work / "spill.done").unlink(missing_ok=True)
    return BatchResult(out, total, partitions, skipped, time.perf_counter() - started, phases,
                       peak_mb=max(*peaks, peak_mb()))


def _spill_inputs(files: list, work: Path, partitions: int, locality: str | None, pool, rep: Reporter) -> None:
    """Phase 1: spill the inputs' segments in parallel (``spill``); ``spill.done`` holds the partitions'
    claim counts, the segments' bases and the bad records found (``InputError``; not spilled)."""
    spill_dir = work / "spill"
    if spill_dir.exists():
        shutil.rmtree(spill_dir)
    spill_dir.mkdir(parents=True)
    segs = segments(files)
    rep.phase("Reading inputs (bytes)", sum(seg.stop - seg.start for seg in segs))
    results: list[Spilled | None] = [None] * len(segs)
    for seg, result in pool.imap_unordered(_spill_star, [(str(spill_dir), partitions, seg, files[seg.source], locality)
                                                         for seg in segs]):
        results[seg.number] = result
        rep.advance(result.size)
    rep.done()
    counts, bases, errors = combine(segs, results, files)
    _write_json(work / "spill.done", {"counts": counts, "segments": bases, "errors": errors})


def _adjudicate(work: Path, pending: list[int], counts: list[int], sources: list[str], engine: str,
                tables: TableOptions, pool, rep: Reporter, after_partition, spark_master: str) -> float:
    """Phase 2: adjudicate the ``pending`` partitions, largest first, on the pool or on Spark; the
    workers' peak memory (MB)."""
    total = sum(counts)
    rep.phase("Adjudicating claims", total)
    rep.advance(total - sum(counts[p] for p in pending))
    if engine == "spark":
        from hitbenefit.batch.spark import run_spark

        peak = run_spark(work, pending, sources, tables, rep, counts, master=spark_master)
        rep.done()
        return peak
    peaks: list[float] = [0.0]
    errors: list[InputError] = []
    _collect(peaks, pool.imap_unordered(_process_star, [(str(work), p, sources)
                                                       for p in sorted(pending, key=lambda p: -counts[p])]),
             rep, errors, after_partition)
    rep.done()
    if errors:
        raise input_errors(errors)
    return max(peaks)


def _check_partitions(work: Path, pending: list[int], counts: list[int], sources: list[str], pool,
                      rep: Reporter) -> list[InputError]:
    """Read the ``pending`` partitions' claims, on the pool, for their bad records (nothing is decided or kept)."""
    rep.phase("Checking the other claims", sum(counts[p] for p in pending))
    errors: list[InputError] = []
    _collect([], pool.imap_unordered(_process_star, [(str(work), p, sources, None, True) for p in pending]),
             rep, errors, None)
    rep.done()
    return errors


def _assemble(work: Path, partitions: int, out: Path, pool, rep: Reporter) -> int:
    """Phase 3: the final files, in input order (the chunks in parallel on the pool); the claim count."""
    parts = work / "parts"
    summary = Summary()
    for p in range(partitions):
        summary.add(_read_json(done_path(parts, p))["summary"])
    rep.phase("Writing outputs", chunk_count(summary.claims))
    assemble(parts, partitions, summary, out, pool.imap, tick=rep.advance)
    rep.done()
    return summary.claims


class _LocalPool:
    """``workers`` processes from a fork server (or this one, for one worker), each loading the tables once
    (unless ``tables`` is None)."""

    def __init__(self, workers: int | None, tables: TableOptions | None) -> None:
        self.workers, self.tables, self.pool = workers or os.cpu_count() or 1, tables, None

    def __enter__(self):
        if self.workers > 1:
            # no fork of a threaded parent (Rich refreshes in a thread): a fork server, started clean, with
            # the batch modules imported once; the workers fork from it
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(["hitbenefit.batch.run", "pyarrow", "orjson"])
            self.pool = ctx.Pool(self.workers, initializer=_init_worker, initargs=(self.tables,))
        return self

    def imap_unordered(self, fn, items):
        if self.pool is None:
            return map(fn, items)
        return self.pool.imap_unordered(fn, items)

    def imap(self, fn, items):
        """In order, each result as soon as it and those before it are done."""
        if self.pool is None:
            return map(fn, items)
        return self.pool.imap(fn, items)

    def __exit__(self, *exc) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()


def _spill_star(args):
    return args[2], spill_segment(*args)


def _process_star(args):
    return process_partition(*args)


def _collect(peaks: list[float], results, rep: Reporter, errors: list[InputError], after_partition) -> None:
    for p, n, errs, peak in results:
        peaks.append(peak)
        errors.extend(errs)
        rep.advance(n)
        if after_partition is not None and not errs:
            after_partition(p)


def _finished(parts: Path, p: int) -> bool:
    """Partition ``p`` is marked done and its files are whole (the files are not fsynced: after a crash
    of the machine, not just of the run, a partition whose files came back short is done again)."""
    marker = _read_json(done_path(parts, p))
    return marker is not None and marker.get("sizes") == partition_sizes(parts, p)


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None

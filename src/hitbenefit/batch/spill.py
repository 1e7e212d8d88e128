"""Spill the input stream into one file per partition, on disk (memory bounded whatever the input).

A spill file line is ``seq<TAB>source index<TAB>record<TAB>claim JSON text``: JSON text never holds a
raw tab or newline inside a string, and the three leading fields never hold a tab, so a line splits
on its first three tabs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from hitbenefit.batch.core import Record, partition_of
from hitbenefit.batch.inputs import InputFile, ReadProgress, iter_records, mbi_of
from hitbenefit.claims.read_json import ClaimInputError
from hitbenefit.x12.segments import X12Error

MAX_ERRORS = 20


def spill_path(spill_dir: Path, part: int) -> Path:
    return spill_dir / f"p-{part:05d}.tsv"


def spill(files: list[InputFile], spill_dir: Path, partitions: int, locality: str | None,
          progress: ReadProgress, tick: Callable[[], None] = lambda: None) -> tuple[list[int], list[str]]:
    """Write every record of ``files`` into ``spill_dir``; the claim count of each partition, and the
    errors found (file-level faults and records without a readable JSON object, at most 20)."""
    spill_dir.mkdir(parents=True, exist_ok=True)
    handles = [spill_path(spill_dir, p).open("w", encoding="utf-8", buffering=1 << 16) for p in range(partitions)]
    counts = [0] * partitions
    errors: list[str] = []
    seq = 0
    try:
        for index, f in enumerate(files):
            try:
                for record, text in iter_records(f, progress, locality):
                    mbi = mbi_of(text)
                    if mbi is None:
                        # left to the worker's strict reader, which names the field at fault; a record
                        # that is not JSON at all is reported now
                        if not text.lstrip().startswith("{"):
                            errors.append(str(ClaimInputError("not a JSON claim object", str(f.path), record)))
                        mbi = ""
                    part = partition_of(mbi, partitions)
                    handles[part].write(f"{seq}\t{index}\t{record}\t{text}\n")
                    counts[part] += 1
                    seq += 1
                    if seq & 1023 == 0:
                        tick()
                    if len(errors) >= MAX_ERRORS:
                        return counts, errors
            except (ClaimInputError, X12Error) as exc:
                errors.append(str(exc))
            except (OSError, UnicodeDecodeError) as exc:
                errors.append(str(ClaimInputError(f"cannot be read ({exc.__class__.__name__}: {exc})", str(f.path))))
    finally:
        for handle in handles:
            handle.close()
    tick()
    return counts, errors


def read_spill(path: Path, sources: list[str]) -> list[Record]:
    out = []
    with path.open("r", encoding="utf-8") as handle:
        for raw in handle:
            seq, index, record, text = raw.rstrip("\n").split("\t", 3)
            out.append(Record(int(seq), sources[int(index)], int(record), text))
    return out

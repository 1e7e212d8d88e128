"""Stream claim records out of batch inputs: JSON Lines, JSON, Parquet and X12 837P files, or folders.

Each record comes out as ``(source, record number, claim JSON text on one line)``; nothing here
builds ``Claim`` objects (the partition workers do, in parallel). Memory stays bounded for JSON
Lines, Parquet and 837P; a JSON document (one object or an array) is read whole, so give big inputs
as JSON Lines.

Parquet layout: one column ``claim`` (string), each value one contract claim as JSON text
(CONTRACT §1); other columns are ignored. Record numbers are 1-based rows.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator

import simplejson

from hitbenefit.claims.read_json import ClaimInputError
from hitbenefit.claims.write_json import claim_to_json
from hitbenefit.x12.read_837 import read_837
from hitbenefit.x12.segments import X12Error

_MBI = re.compile(r'"mbi"\s*:\s*"([^"\\]*)"')
CLAIM_COLUMN = "claim"


@dataclass(frozen=True)
class InputFile:
    path: Path
    kind: str  # jsonl | json | parquet | x12


def _sniff(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(4096)
    if head[:4] == b"PAR1":
        return "parquet"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:3] in (b"ISA", b"ST*"):
        return "x12"
    return "json"


def expand_inputs(names: list[str]) -> list[InputFile]:
    """The files named, folders expanded (recursively, sorted, hidden files skipped); ``ClaimInputError``
    for a name that does not exist."""
    files: list[InputFile] = []
    for name in names:
        path = Path(name)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file()
                           and not any(part.startswith((".", "_")) for part in p.relative_to(path).parts))
            if not found:
                raise ClaimInputError("folder holds no input files", name)
            files.extend(InputFile(p, _sniff(p)) for p in found)
        elif path.is_file():
            files.append(InputFile(path, _sniff(path)))
        else:
            raise ClaimInputError("cannot be read (no such file or folder)", name)
    return files


def fingerprint(files: list[InputFile]) -> list[list]:
    """What identifies the inputs for resuming: path, size, modification time."""
    out = []
    for f in files:
        st = f.path.stat()
        out.append([str(f.path.resolve()), st.st_size, st.st_mtime_ns])
    return out


def total_bytes(files: list[InputFile]) -> int:
    return sum(f.path.stat().st_size for f in files)


def mbi_of(text: str) -> str | None:
    """The beneficiary MBI in one claim's JSON text: a fast scan when the key occurs once, else a parse.
    ``None`` when it cannot be found (the worker's strict reader then says what is wrong)."""
    if text.count('"mbi"') == 1:
        found = _MBI.search(text)
        if found:
            return found.group(1).strip()
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    ben = value.get("beneficiary") if isinstance(value, dict) else None
    mbi = ben.get("mbi") if isinstance(ben, dict) else None
    return mbi.strip() if isinstance(mbi, str) else None


def _dumps(value: Any) -> str:
    return simplejson.dumps(value, use_decimal=True, ensure_ascii=False, separators=(",", ":"))


class ReadProgress:
    """Bytes consumed so far, for the progress bar (updated by the readers)."""

    def __init__(self) -> None:
        self.done = 0


def iter_records(f: InputFile, progress: ReadProgress, locality: str | None = None) -> Iterator[tuple[int, str]]:
    """Yield (record number, claim JSON text) from one file; raise ``ClaimInputError``/``X12Error`` for a
    file-level fault (a record-level fault in JSON Lines is raised at that record)."""
    source = str(f.path)
    if f.kind == "parquet":
        yield from _parquet(f.path, source, progress)
    elif f.kind == "x12":
        with f.path.open("rb") as handle:
            for number, claim in enumerate(read_837(handle, source, locality), start=1):
                progress.done = handle.tell()
                yield number, _dumps(claim_json(claim))
    else:
        yield from _json(f.path, source, progress)


def _json(path: Path, source: str, progress: ReadProgress) -> Iterator[tuple[int, str]]:
    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        first = ""
        for raw in handle:
            if raw.strip():
                first = raw
                break
        if not first:
            raise ClaimInputError("no claims: the input is empty", source)
        one_line = False
        if first.lstrip().startswith("{"):
            try:
                one_line = isinstance(json.loads(first), dict)
            except ValueError:
                one_line = False
        if one_line:  # JSON Lines: streamed, record number = line number
            handle.seek(0)
            base = 0
            for number, raw in enumerate(handle, start=1):
                base += len(raw)
                if number % 256 == 0:
                    progress.done = base
                text = raw.strip()
                if text:
                    yield number, text.lstrip("\ufeff")
            progress.done = base
            return
        handle.seek(0)
        text = handle.read()
    try:
        whole = json.loads(text.lstrip("\ufeff"), parse_float=Decimal)
    except (ValueError, RecursionError) as exc:
        raise ClaimInputError(f"not valid JSON ({exc})", source) from None
    progress.done = len(text)
    items = whole if isinstance(whole, list) else [whole]
    for number, item in enumerate(items, start=1):
        yield number, _dumps(item)


def _parquet(path: Path, source: str, progress: ReadProgress) -> Iterator[tuple[int, str]]:
    try:
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - pyarrow is a batch dependency
        raise ClaimInputError("reading Parquet needs pyarrow (pip install pyarrow)", source) from None
    try:
        handle = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises its own error types
        raise ClaimInputError(f"not a readable Parquet file ({exc})", source) from None
    if CLAIM_COLUMN not in handle.schema_arrow.names:
        raise ClaimInputError(f"Parquet input needs a string column {CLAIM_COLUMN!r} holding claim JSON; "
                              f"found {', '.join(handle.schema_arrow.names)}", source)
    size, rows = path.stat().st_size, max(1, handle.metadata.num_rows)
    number = 0
    for batch in handle.iter_batches(batch_size=8192, columns=[CLAIM_COLUMN]):
        for value in batch.column(0).to_pylist():
            number += 1
            if not isinstance(value, str):
                raise ClaimInputError(f"column {CLAIM_COLUMN!r} must hold claim JSON text, found "
                                      f"{type(value).__name__}", source, number)
            yield number, value.replace("\n", " ").replace("\r", " ")
        progress.done = size * number // rows


claim_json = claim_to_json


__all__ = ["InputFile", "ReadProgress", "expand_inputs", "fingerprint", "iter_records", "mbi_of", "claim_json",
           "X12Error", "os"]

"""Stream claim records out of batch inputs: JSON Lines, JSON, Parquet and X12 837P files, or folders.

A JSON Lines file (``is_json_lines``) is read as bytes by the spill (``spill._lines``), which notes
where each record is. Other inputs come out as ``(record number, claim JSON text on one line)``
(``iter_records``). Nothing here builds ``Claim`` objects (the partition
workers do, in parallel). Memory stays bounded for JSON Lines, Parquet and 837P; a JSON document (one
object or an array) is read whole, so give big inputs as JSON Lines.

Parquet layout: one column ``claim`` (string), each value one contract claim as JSON text
(CONTRACT §1); other columns are ignored. Record numbers are 1-based rows.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import simplejson

from hitbenefit.claims.read_json import ClaimInputError, json_lines_start
from hitbenefit.claims.write_json import claim_to_json
from hitbenefit.money import loads_exact
from hitbenefit.x12.read_837 import read_837
from hitbenefit.x12.segments import X12Error

_MBI = re.compile(rb'"mbi"\s*:\s*"([^"\\]*)"')
BOM = b"\xef\xbb\xbf"
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


def mbi_of(text: bytes) -> bytes | None:
    """The beneficiary MBI (UTF-8, stripped as the claim reader strips it) in one claim's JSON text: a
    fast scan when the key occurs once, else a parse. ``None`` when it cannot be found (the worker's
    strict reader then says what is wrong)."""
    if text.count(b'"mbi"') == 1:
        found = _MBI.search(text)
        if found:
            mbi = found.group(1)
            if mbi.isascii():
                return mbi.strip()
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    ben = value.get("beneficiary") if isinstance(value, dict) else None
    mbi = ben.get("mbi") if isinstance(ben, dict) else None
    return mbi.strip().encode("utf-8", "surrogatepass") if isinstance(mbi, str) else None


def _dumps(value: Any) -> str:
    return simplejson.dumps(value, use_decimal=True, separators=(",", ":"))


def is_json_lines(f: InputFile) -> bool:
    """A JSON file that is JSON Lines by its first two non-blank lines (``json_lines_start``, as the claim reader
    judges a text)."""
    if f.kind != "json":
        return False
    with f.path.open("rb") as handle:
        lines = filter(None, map(_strip, handle))
        first = next(lines, b"")
        if first[:1] != b"{":  # not JSON Lines: the second line (a whole document's rest, perhaps) is not read
            return False
        return json_lines_start(first, next(lines, None))


def _strip(raw: bytes) -> bytes:
    text = raw.strip()
    while text.startswith(BOM):
        text = text[3:].strip()
    return text


def iter_records(f: InputFile, locality: str | None = None) -> Iterator[tuple[int, str]]:
    """Yield (record number, claim JSON text) from a file that is not JSON Lines; raise
    ``ClaimInputError``/``X12Error`` for a file-level fault."""
    source = str(f.path)
    if f.kind == "parquet":
        yield from _parquet(f.path, source)
    elif f.kind == "x12":
        with f.path.open("rb") as handle:
            for number, claim in enumerate(read_837(handle, source, locality), start=1):
                yield number, _dumps(claim_json(claim))
    else:
        yield from _json(f.path, source)


def _json(path: Path, source: str) -> Iterator[tuple[int, str]]:
    """A JSON document: one claim object or an array of them."""
    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        text = handle.read()
    if not text.strip():
        raise ClaimInputError("no claims: the input is empty", source)
    try:
        whole = loads_exact(text.lstrip("\ufeff"))
    except ValueError as exc:
        raise ClaimInputError(f"not valid JSON ({exc})", source) from None
    items = whole if isinstance(whole, list) else [whole]
    for number, item in enumerate(items, start=1):
        yield number, _dumps(item)


def _parquet(path: Path, source: str) -> Iterator[tuple[int, str]]:
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
    number = 0
    for batch in handle.iter_batches(batch_size=8192, columns=[CLAIM_COLUMN]):
        for value in batch.column(0).to_pylist():
            number += 1
            if not isinstance(value, str):
                raise ClaimInputError(f"column {CLAIM_COLUMN!r} must hold claim JSON text, found "
                                      f"{type(value).__name__}", source, number)
            yield number, value.replace("\n", " ").replace("\r", " ")


claim_json = claim_to_json


__all__ = ["InputFile", "expand_inputs", "fingerprint", "is_json_lines", "iter_records",
           "mbi_of", "claim_json", "X12Error", "os"]

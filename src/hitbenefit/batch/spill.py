"""Spill the inputs into one file per partition, on disk (memory bounded whatever the input).

The inputs are cut into segments (``segments``): byte ranges of about 32 MB of each JSON Lines file
(a line belongs to the segment holding its first byte), and each other file whole. The workers spill
the segments in parallel (``spill_segment``), appending to the shared partition files with one
``O_APPEND`` write per buffer, so entries never interleave. A spill file holds, per claim, six int64
(``SPILLED``): its position and record number within its segment, the segment, where its JSON text
is (in the source file itself for JSON Lines, which is thus never copied; in the segment's texts
file for claims read from JSON documents, Parquet and 837P) and the text's byte offset and length
there. ``spill.done`` then gives each segment its first ``seq`` (position in the whole input) and
its first record number, which ``read_spill`` adds.
"""

from __future__ import annotations

import os
from array import array
from pathlib import Path
from typing import NamedTuple

from hitbenefit.batch.core import Record, partition_of
from hitbenefit.batch.inputs import BOM, InputFile, is_json_lines, iter_records, mbi_of
from hitbenefit.claims.read_json import ClaimInputError, claim_from_text
from hitbenefit.x12.segments import X12Error

MAX_ERRORS = 20
SPILLED = 6  # int64 per claim: seq and record within its segment, segment, where, offset, length
IN_SOURCE, IN_TEXTS = 0, 1
SEGMENT_BYTES = 32 << 20
FLUSH_AT = SPILLED * 4096  # int64 buffered per partition before one append to its file


def spill_path(spill_dir: Path, part: int) -> Path:
    return spill_dir / f"p-{part:05d}.spill"


def texts_path(spill_dir: Path, segment: int) -> Path:
    return spill_dir / f"texts-{segment:05d}.bin"


class Segment(NamedTuple):
    number: int
    source: int  # the input file's index
    lines: bool  # a byte range of a JSON Lines file (else a whole file of another kind)
    start: int
    stop: int


class Spilled(NamedTuple):
    """What spilling one segment found: claims per partition, lines read, bytes, and the errors as
    (record number within the segment or None, problem or whole message)."""

    counts: list[int]
    claims: int
    lines: int
    size: int
    errors: list[tuple[int | None, str]]


def segments(files: list[InputFile]) -> list[Segment]:
    out: list[Segment] = []
    for index, f in enumerate(files):
        size = f.path.stat().st_size
        if is_json_lines(f):
            for start in range(0, size, SEGMENT_BYTES):
                out.append(Segment(len(out), index, True, start, min(size, start + SEGMENT_BYTES)))
        else:
            out.append(Segment(len(out), index, False, 0, size))
    return out


class _Buffers:
    """The partitions' entries, appended to their files in one write each when full."""

    def __init__(self, spill_dir: Path, partitions: int) -> None:
        self.dir, self.partitions = spill_dir, partitions
        self.buffers = [array("q") for _ in range(partitions)]
        self.counts = [0] * partitions

    def add(self, mbi: bytes, entry: tuple[int, ...]) -> None:
        part = partition_of(mbi, self.partitions)
        buffer = self.buffers[part]
        buffer.extend(entry)
        self.counts[part] += 1
        if len(buffer) >= FLUSH_AT:
            self.flush(part)

    def flush(self, part: int) -> None:
        data = self.buffers[part].tobytes()
        if data:
            fd = os.open(spill_path(self.dir, part), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                if os.write(fd, data) != len(data):
                    raise OSError(f"short write to {spill_path(self.dir, part)}")
            finally:
                os.close(fd)
        del self.buffers[part][:]

    def close(self) -> None:
        for part in range(self.partitions):
            self.flush(part)


def spill_segment(spill_dir: str, partitions: int, segment: Segment, f: InputFile, locality: str | None) -> Spilled:
    """Spill one segment (run by a worker); see the module's description."""
    out = _Buffers(Path(spill_dir), partitions)
    errors: list[tuple[int | None, str]] = []
    claims, counted = 0, [0]
    try:
        if segment.lines:
            records = _lines(f.path, segment, counted)
        else:
            records = _records(f, texts_path(Path(spill_dir), segment.number), locality)
        for record, where, offset, text in records:
            mbi = mbi_of(text)
            if mbi is None:
                # left to the worker's strict reader, which names the field at fault; a record that is not a
                # JSON object at all is reported now, in the reader's words, and goes to no partition
                if not text.lstrip().startswith(b"{"):
                    errors.append((record, _reader_problem(text)))
                    if len(errors) >= MAX_ERRORS:
                        break
                    continue
                mbi = b""
            out.add(mbi, (claims, record, segment.number, where, offset, len(text)))
            claims += 1
    except (ClaimInputError, X12Error) as exc:
        errors.append((None, str(exc)))
    except (OSError, UnicodeDecodeError) as exc:
        errors.append((None, str(ClaimInputError(f"cannot be read ({exc.__class__.__name__}: {exc})", str(f.path)))))
    out.close()
    lines = _lines_in(f.path, segment) if segment.lines and errors else counted[0]  # stopped early: count them
    return Spilled(out.counts, claims, lines, segment.stop - segment.start, errors)


def _reader_problem(text: bytes) -> str:
    """What the contract reader says of a record's JSON text (one it refuses)."""
    try:
        claim_from_text(text)
    except ClaimInputError as exc:
        return exc.problem
    return "not a JSON claim object"  # pragma: no cover - only records the reader refuses come here


def _lines(path: Path, segment: Segment, counted: list[int]):
    """(record number within the segment, IN_SOURCE, byte offset, claim JSON bytes) for each non-blank
    line starting in the segment, surrounding blanks and byte-order marks left out; ``counted[0]``
    becomes the segment's line count (blank lines too)."""
    with path.open("rb") as handle:
        offset = _first_line(handle, segment.start)
        number = 0
        for raw in handle:
            if offset >= segment.stop:
                break
            number += 1
            size = len(raw)
            if raw[:1] == b"{" and raw[-2:] == b"}\n":  # the usual line: nothing to strip
                yield number, IN_SOURCE, offset, raw[:-1]
            else:
                text = raw.lstrip()
                start = offset + size - len(text)
                while text.startswith(BOM):
                    rest = text[3:].lstrip()
                    start += len(text) - len(rest)
                    text = rest
                text = text.rstrip()
                if text:
                    yield number, IN_SOURCE, start, text
            offset += size
        counted[0] = number


def _first_line(handle, start: int) -> int:
    """Position ``handle`` at the first line starting at or after ``start``; that position."""
    if start == 0:
        return 0
    handle.seek(start - 1)
    handle.readline()  # the rest of the line holding byte start - 1 (just "\n" when a line ends there)
    return handle.tell()


def _lines_in(path: Path, segment: Segment) -> int:
    """How many lines start in the segment (blank ones too)."""
    with path.open("rb") as handle:
        offset, count = _first_line(handle, segment.start), 0
        for raw in handle:
            if offset >= segment.stop:
                break
            count += 1
            offset += len(raw)
    return count


def _records(f: InputFile, texts: Path, locality: str | None):
    """(record number, IN_TEXTS, offset, UTF-8 text) of each claim of a file that is not JSON Lines,
    its text appended to ``texts``."""
    with texts.open("wb") as handle:
        for record, text in iter_records(f, locality):
            data = text.encode("utf-8")
            offset = handle.tell()
            handle.write(data)
            yield record, IN_TEXTS, offset, data


def read_spill(spill_dir: Path, part: int, sources: list[str], bases: list[list[int]]) -> list[Record]:
    """Partition ``part``'s claims in input order, their JSON text read back (bytes) from where the spill
    noted it; ``bases``: each segment's source, first seq and first record number (``spill.done``)."""
    entries = array("q")
    try:
        with spill_path(spill_dir, part).open("rb") as handle:
            entries.frombytes(handle.read())
    except FileNotFoundError:
        return []
    handles: dict[tuple[int, int], int] = {}
    out = []
    try:
        for i in range(0, len(entries), SPILLED):
            seq, record, segment, where, offset, length = entries[i:i + SPILLED]
            source, seq_base, record_base = bases[segment]
            key = (where, segment if where == IN_TEXTS else source)
            fd = handles.get(key)
            if fd is None:
                fd = handles[key] = os.open(texts_path(spill_dir, segment) if where == IN_TEXTS else sources[source],
                                            os.O_RDONLY)
            text = os.pread(fd, length, offset)
            if len(text) != length:
                raise ClaimInputError("changed while the batch ran (rerun with the same inputs, or a new --out)",
                                      sources[source], record_base + record)
            out.append(Record(seq_base + seq, sources[source], record_base + record, text))
    finally:
        for fd in handles.values():
            os.close(fd)
    out.sort(key=lambda r: r.seq)
    return out


InputError = tuple[int, int, str]
"""A bad record: its input file's place among the sources, its record number (-1 for the whole file) and the
message naming both; sorted, such errors are in input order."""


def combine(segs: list[Segment], results: list[Spilled], files: list[InputFile]
            ) -> tuple[list[int], list[list[int]], list[InputError]]:
    """The claim count of each partition, each segment's [source, first seq, first record number], and
    the errors (at most ``MAX_ERRORS``, in input order: the source's place, the record number or -1 for the
    whole file, and the message naming the file and the record)."""
    counts = [sum(c) for c in zip(*(r.counts for r in results))]
    bases, errors = [], []
    seq = 0
    record_base = 0
    for segment, result in zip(segs, results):
        if segment.start == 0:
            record_base = 0
        bases.append([segment.source, seq, record_base])
        for record, problem in result.errors:
            if record is None:
                errors.append((segment.source, -1, problem))
                continue
            number, source = record_base + record, str(files[segment.source].path)
            errors.append((segment.source, number, str(ClaimInputError(problem, source, number))))
        seq += result.claims
        record_base += result.lines
    return counts, bases, errors[:MAX_ERRORS]

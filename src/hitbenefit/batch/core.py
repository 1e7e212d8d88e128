"""The batch work both engines run: adjudicate one partition's claims, and read them back in input order.

A partition is a list of spilled records ``(seq, source, record, claim JSON bytes)`` (``spill.read_spill``);
``seq`` is the claim's position in the whole input. The claims are read by the contract reader
(``claim_from_text``) and decided by ``adjudicate_batch`` (the same engine ``hitbenefit adjudicate``
uses: no rule is copied here). A finished partition is two files, each claim in ``seq`` order:

* ``p-NNNNN.decisions``: the claims' decision JSON lines (``claims.write_json.decision_json_line``),
  one block per output chunk, each compressed (zstd, level 1: decisions repeat their wording, so a
  block is some 1/50 of its text), then the index: per claim three int64 (``seq``, end of its JSON
  line in the partition's whole text, end of its rows), then where each output chunk starts in it
  (``chunk_starts``, and its block);
* ``p-NNNNN.arrow``: the flat rows (``ROW_COLUMNS``, one per claim line), an Arrow IPC file.

The outputs are then assembled in input order, ``CHUNK`` claims at a time and the chunks in parallel
(``chunk_sizes``, ``assemble_chunk``), so they do not depend on the engine, the worker count or the
partition count. Nothing held in memory grows with partitions times chunks: each chunk's worker reads
every partition's start of that chunk from the partition's file.
"""

from __future__ import annotations

import os
import zlib
from array import array
from collections import Counter
from decimal import Decimal
from operator import add, sub
from pathlib import Path
from typing import NamedTuple

from hitbenefit.claims.model import Claim, Decision
from hitbenefit.claims.read_json import ClaimInputError, claim_from_text, forget_remembered, gather
from hitbenefit.claims.write_json import decision_json_line
from hitbenefit.engine.tables import Tables
from hitbenefit.service import adjudicate, collector_paused

#: columns of the flat line table (decisions.parquet)
ROW_COLUMNS = ("claim_id", "seq", "line", "hcpcs", "status", "claim_status", "category", "visit_type",
               "reasons", "service_date", "month", "mbi", "supplier_npi", "locality", "payer",
               "charge", "allowed", "deductible", "coinsurance", "sequestration", "paid")
MONEY_COLUMNS = ("charge", "allowed", "deductible", "coinsurance", "sequestration", "paid")
#: columns with few distinct values, dictionary-encoded in decisions.parquet (the others, such as claim_id
#: and mbi, are nearly all distinct: a dictionary would only cost time and space)
DICTIONARY_COLUMNS = ("hcpcs", "status", "claim_status", "visit_type", "reasons.list.element", "month",
                      "supplier_npi", "locality", "payer")
CHUNK = 16384  # claims per output chunk (a Parquet row group of about twice as many lines)
WRITE_AT_ONCE = 1024  # JSON lines per pwritev (the system's limit, IOV_MAX, is 1024 on Linux)
STARTS = 4  # int64 per chunk in a partition's chunk table: first claim, JSON start, first row, block start
ROWS_BATCH = 128  # rows per record batch of a partition's rows file: a chunk reads only the batches it needs


def chunk_count(claims: int) -> int:
    """How many output chunks ``claims`` input claims make."""
    return -(-claims // CHUNK)


def partition_of(mbi: bytes, partitions: int) -> int:
    """A stable partition number for a beneficiary: CRC-32 of the MBI's UTF-8 bytes, modulo the count.

    Stable across processes, machines and Python versions (unlike ``hash()``)."""
    return zlib.crc32(mbi) % partitions


class Record(NamedTuple):
    seq: int
    source: str
    record: int
    text: bytes  # the claim's JSON, UTF-8


def schema():
    import pyarrow as pa

    money = pa.decimal128(12, 2)
    types = {"claim_id": pa.string(), "seq": pa.int64(), "line": pa.int32(), "hcpcs": pa.string(),
             "status": pa.string(), "claim_status": pa.string(), "category": pa.int32(), "visit_type": pa.string(),
             "reasons": pa.list_(pa.string()), "service_date": pa.date32(), "month": pa.string(),
             "mbi": pa.string(), "supplier_npi": pa.string(), "locality": pa.string(), "payer": pa.string()}
    types.update({m: money for m in MONEY_COLUMNS})
    return pa.schema([(c, types[c]) for c in ROW_COLUMNS])


def _add_rows(rows: list[tuple], seq: int, claim: Claim, decision: Decision) -> int:
    """Append the decision's flat rows (``ROW_COLUMNS``, one per claim line) with the claim's context for
    analytics; how many rows."""
    by_line = {line.line: line for line in claim.lines}
    claim_id, status, ben, supplier = decision.claim_id, decision.status, claim.beneficiary.mbi, claim.supplier.npi
    locality, payer = claim.service_locality, claim.payer
    for d in decision.lines:
        line = by_line[d.line]
        day = line.service_date
        rows.append((claim_id, seq, d.line, d.hcpcs, d.status, status, d.category, d.visit_type,
                     [r.key for r in d.reasons], day, day.isoformat()[:7], ben, supplier, locality, payer,
                     line.charge, d.allowed, d.deductible, d.coinsurance, d.sequestration, d.paid))
    return len(decision.lines)


class Partition(NamedTuple):
    """One adjudicated partition: its rows, decision lines, index and claim counts by status."""

    rows: object  # a pyarrow Table (schema())
    text: bytes  # the decision JSON lines, in seq order
    index: array  # seq, end of JSON line, end of rows: three int64 per claim
    claim_status: Counter


def read_partition(records: list[Record]) -> tuple[list[Claim], list[ClaimInputError]]:
    """One partition's records read by the contract reader: the claims, and an error for every bad record."""
    claims: list[Claim] = []
    errors: list[ClaimInputError] = []
    with collector_paused():
        gather(claims, errors, ((r.source, r.record, r.text) for r in records),
               lambda text, source, record: (claim_from_text(text, source, record),))
        forget_remembered()  # the partition's beneficiaries occur in no other partition
    return claims, errors


def adjudicate_records(records: list[Record], tables: Tables) -> tuple[Partition | None, list[ClaimInputError]]:
    """Read and adjudicate one partition's records, given in ``seq`` order (``spill.read_spill``), or
    the errors found (every bad record is reported; when there is one, nothing is adjudicated)."""
    import pyarrow as pa

    with collector_paused():
        claims, errors = read_partition(records)
        if errors:
            return None, errors
        decisions = adjudicate(claims, tables)
        rows: list[tuple] = []
        lines: list[bytes] = []
        index = array("q")
        text_end = row_end = 0
        for rec, claim, decision in zip(records, claims, decisions):
            line = decision_json_line(decision)
            lines.append(line)
            text_end += len(line)
            row_end += _add_rows(rows, rec.seq, claim, decision)
            index.extend((rec.seq, text_end, row_end))
        status = Counter(d.status for d in decisions)
        del claims, decisions
        types = schema()
        columns = list(zip(*rows)) if rows else [()] * len(ROW_COLUMNS)
        del rows
        table = pa.Table.from_arrays([pa.array(c, type=types.field(i).type) for i, c in enumerate(columns)],
                                     schema=types)
        return Partition(table, b"".join(lines), index, status), []


def summarize(part: Partition) -> dict:
    """Counts and exact decimal sums of one partition (partials add up: see ``output.Summary``)."""
    import pyarrow.compute as pc

    table = part.rows
    out: dict = {"claims": len(part.index) // 3, "claim_status": dict(part.claim_status),
                 "line_status": _counts(table["status"]),
                 "reasons": _counts(pc.list_flatten(table["reasons"])),
                 "totals": {m: _decimal(pc.sum(table[m])) for m in MONEY_COLUMNS}}
    priced = table.filter(pc.is_valid(table["allowed"]))
    for key, column in (("month", "month"), ("category", "category"), ("locality", "locality")):
        grouped = priced.group_by(column).aggregate([("allowed", "count"), ("allowed", "sum"), ("paid", "sum")])
        out[key] = {("none" if name is None else str(name)): [n, str(allowed), str(paid)] for name, n, allowed, paid in
                    zip(*(grouped[c].to_pylist() for c in (column, "allowed_count", "allowed_sum", "paid_sum")))}
    return out


def _counts(array) -> dict[str, int]:
    import pyarrow.compute as pc

    counted = pc.value_counts(array)
    return dict(zip(counted.field("values").to_pylist(), counted.field("counts").to_pylist()))


def _decimal(scalar) -> str:
    value = scalar.as_py()
    return str(value if value is not None else Decimal("0.00"))


def partition_paths(parts: Path, p: int) -> tuple[Path, Path]:
    """A partition's decisions (JSON lines, then index) and rows files."""
    stem = parts / f"p-{p:05d}"
    return stem.with_suffix(".decisions"), stem.with_suffix(".arrow")


def chunk_starts(index: array, chunks: int) -> array:
    """Where each output chunk starts in a partition (``index``: its claims' ``seq``, line end and row end):
    for every chunk ``c`` from 0 to ``chunks``, the partition's first claim with ``seq`` at least
    ``c * CHUNK``, and the start of its JSON line and of its rows (three int64 a chunk; the last entry is
    the partition's claim, text and row totals)."""
    starts = array("q")
    i, n, text, rows = 0, len(index) // 3, 0, 0
    for c in range(chunks + 1):
        bound = c * CHUNK
        while i < n and index[3 * i] < bound:
            text, rows = index[3 * i + 1], index[3 * i + 2]
            i += 1
        starts.extend((i, text, rows))
    return starts


def _codec():
    import pyarrow as pa

    return pa.Codec("zstd", compression_level=1)


def write_partition(part: Partition, parts: Path, p: int, chunks: int) -> list[int]:
    """A partition's files (``chunks``: the output's chunk count), each under a temporary name, then renamed
    (atomic on one filesystem: a rerun after a kill finds whole files or none); their sizes, which a rerun
    checks (``partition_sizes``)."""
    import pyarrow as pa

    decisions, rows = partition_paths(parts, p)
    tmp = decisions.with_name(decisions.name + ".tmp")
    starts, table, block, codec = chunk_starts(part.index, chunks), array("q"), 0, _codec()
    with tmp.open("wb") as handle:
        for c in range(chunks + 1):
            table.extend((*starts[3 * c:3 * c + 3], block))
            text_from, text_to = starts[3 * c + 1], starts[3 * c + 4] if c < chunks else 0
            if text_to > text_from:
                block += handle.write(codec.compress(memoryview(part.text)[text_from:text_to]))
        part.index.tofile(handle)
        table.tofile(handle)
    os.replace(tmp, decisions)
    tmp = rows.with_name(rows.name + ".tmp")
    with pa.OSFile(str(tmp), "wb") as sink:
        with pa.ipc.new_file(sink, part.rows.schema) as writer:
            writer.write_table(part.rows, max_chunksize=ROWS_BATCH)
    os.replace(tmp, rows)
    return partition_sizes(parts, p)


def partition_sizes(parts: Path, p: int) -> list[int]:
    """The sizes of a partition's files (-1 for a missing one)."""
    sizes = []
    for path in partition_paths(parts, p):
        try:
            sizes.append(path.stat().st_size)
        except FileNotFoundError:
            sizes.append(-1)
    return sizes


def _starts_of(fd: int, chunks: int, c: int) -> tuple[int, ...]:
    """From an open ``.decisions`` file: chunk ``c``'s start and end (first claim, JSON start, first row,
    block start; then the same for chunk ``c + 1``) and where the partition's index begins (the blocks' end)."""
    table = os.fstat(fd).st_size - 8 * STARTS * (chunks + 1)
    piece = array("q", os.pread(fd, 16 * STARTS, table + 8 * STARTS * c))
    totals = array("q", os.pread(fd, 8 * STARTS, table + 8 * STARTS * chunks))
    return (*piece, totals[3])


def chunk_sizes(parts: Path, partitions: int, chunks: int) -> list[int]:
    """Each output chunk's bytes of JSON lines, summed over the finished partitions (one partition's chunk
    starts in memory at a time)."""
    sizes = [0] * chunks
    for p in range(partitions):
        decisions, _rows = partition_paths(parts, p)
        with decisions.open("rb") as handle:
            handle.seek(-8 * STARTS * (chunks + 1), os.SEEK_END)
            starts = array("q", handle.read())
        text_starts = starts[1::STARTS]
        sizes = list(map(add, sizes, map(sub, text_starts[1:], text_starts[:-1])))
    return sizes


def assemble_chunk(parts: Path, c: int, partitions: int, chunks: int, jsonl: Path, offset: int,
                   rows_out: Path) -> None:
    """Output chunk ``c`` (of ``chunks``): its claims' JSON lines from every partition, in ``seq`` order,
    written into ``jsonl`` at ``offset`` (the file is already sized; chunks are written in parallel), their
    rows in the same order into ``rows_out`` (an Arrow IPC file, for the Parquet writer)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    found: list[tuple] = []
    batches = []
    codec = _codec()
    for p in range(partitions):
        decisions, rows = partition_paths(parts, p)
        fd = os.open(decisions, os.O_RDONLY)
        try:
            (first, text_from, row_from, block_from, last, text_to, row_to, block_to,
             index_at) = _starts_of(fd, chunks, c)
            if first == last:
                continue
            data = memoryview(codec.decompress(os.pread(fd, block_to - block_from, block_from),
                                               decompressed_size=text_to - text_from))
            index = array("q", os.pread(fd, 24 * (last - first), index_at + 24 * first))
        finally:
            os.close(fd)
        start = 0
        for k in range(0, len(index), 3):
            end = index[k + 1] - text_from
            found.append((index[k], data, start, end))
            start = end
        with pa.OSFile(str(rows)) as handle:
            reader = pa.ipc.open_file(handle)
            for b in range(row_from // ROWS_BATCH, (row_to - 1) // ROWS_BATCH + 1):
                batch, at = reader.get_batch(b), b * ROWS_BATCH
                low, high = max(row_from, at) - at, min(row_to, at + batch.num_rows) - at
                batches.append(batch.slice(low, high - low))
    found.sort()
    fd = os.open(jsonl, os.O_WRONLY)
    try:
        for i in range(0, len(found), WRITE_AT_ONCE):
            lines = [data[start:end] for _seq, data, start, end in found[i:i + WRITE_AT_ONCE]]
            offset += os.pwritev(fd, lines, offset)
    finally:
        os.close(fd)
    table = pa.Table.from_batches(batches, schema=schema())
    table = table.take(pc.sort_indices(table["seq"]))  # a stable sort: lines keep their order
    with pa.OSFile(str(rows_out), "wb") as sink:
        with pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)


def read_table(path: Path):
    import pyarrow as pa

    with pa.OSFile(str(path)) as handle:
        return pa.ipc.open_file(handle).read_all()

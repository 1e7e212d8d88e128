"""The batch work both engines run: adjudicate one partition's claims, and merge one chunk of the output.

A partition is a list of spilled records ``(seq, source, record, claim JSON text)``; ``seq`` is the
claim's position in the whole input. The claims are read by the contract reader
(``claim_from_text``) and decided by ``adjudicate_batch`` (the same engine ``hitbenefit adjudicate``
uses: no rule is copied here). A partition's result is one Arrow table, one row per claim line in
``seq`` order (``ROW_COLUMNS`` plus the claim's decision JSON on its first line), written as an
Arrow IPC file. A chunk of the output is the claims with ``seq`` in ``[c * CHUNK, (c + 1) * CHUNK)``,
taken from every partition's table: so the outputs are in input order and do not depend on the
engine, the worker count or the partition count.
"""

from __future__ import annotations

import os
import zlib
from decimal import Decimal
from pathlib import Path
from typing import Iterable, NamedTuple

import orjson

from hitbenefit.claims.model import Claim, Decision
from hitbenefit.claims.read_json import ClaimInputError, claim_from_text, forget_remembered, gather
from hitbenefit.engine.tables import Tables
from hitbenefit.service import adjudicate, collector_paused

#: columns of the flat line table (decisions.parquet)
ROW_COLUMNS = ("claim_id", "seq", "line", "hcpcs", "status", "claim_status", "category", "visit_type",
               "reasons", "service_date", "month", "mbi", "supplier_npi", "locality", "payer",
               "charge", "allowed", "deductible", "coinsurance", "sequestration", "paid")
MONEY_COLUMNS = ("charge", "allowed", "deductible", "coinsurance", "sequestration", "paid")
DECISION = "decision"  # the claim's contract decision JSON line (UTF-8), on the claim's first row (else null)
CHUNK = 16384  # claims per output chunk (a Parquet row group of about twice as many lines)
BATCH_ROWS = 128  # rows per record batch of a partition's Arrow file: a chunk reads only the batches it needs


def partition_of(mbi: str, partitions: int) -> int:
    """A stable partition number for a beneficiary: CRC-32 of the MBI's UTF-8 bytes, modulo the count.

    Stable across processes, machines and Python versions (unlike ``hash()``)."""
    return zlib.crc32(mbi.encode("utf-8")) % partitions


class Record(NamedTuple):
    seq: int
    source: str
    record: int
    text: str


def schema():
    import pyarrow as pa

    money = pa.decimal128(12, 2)
    types = {"claim_id": pa.string(), "seq": pa.int64(), "line": pa.int32(), "hcpcs": pa.string(),
             "status": pa.string(), "claim_status": pa.string(), "category": pa.int32(), "visit_type": pa.string(),
             "reasons": pa.list_(pa.string()), "service_date": pa.date32(), "month": pa.string(),
             "mbi": pa.string(), "supplier_npi": pa.string(), "locality": pa.string(), "payer": pa.string()}
    types.update({m: money for m in MONEY_COLUMNS})
    return pa.schema([(c, types[c]) for c in ROW_COLUMNS])


def part_schema():
    import pyarrow as pa

    return schema().append(pa.field(DECISION, pa.large_binary()))


def _exact_number(value):
    if isinstance(value, Decimal):
        return orjson.Fragment(str(value))
    raise TypeError(f"{type(value).__name__} is not JSON")


def decision_line(decision: Decision) -> bytes:
    """The contract decision (CONTRACT §2) as one line of compact JSON (UTF-8), money as exact decimal
    numbers: the same JSON as ``hitbenefit adjudicate --format jsonl``, without its spaces."""
    return orjson.dumps(decision.to_json(), default=_exact_number, option=orjson.OPT_APPEND_NEWLINE)


def _add_rows(columns: list[list], seq: int, claim: Claim, decision: Decision, text: bytes | None) -> None:
    """Append the decision's flat rows (one per claim line) with the claim's context for analytics."""
    by_line = {line.line: line for line in claim.lines}
    ben, supplier = claim.beneficiary.mbi, claim.supplier.npi
    for d in decision.lines:
        line = by_line[d.line]
        day = line.service_date
        for column, value in zip(columns, (
                decision.claim_id, seq, d.line, d.hcpcs, d.status, decision.status, d.category, d.visit_type,
                [r.key for r in d.reasons], day, day.isoformat()[:7], ben, supplier, claim.service_locality,
                claim.payer, line.charge, d.allowed, d.deductible, d.coinsurance, d.sequestration, d.paid, text)):
            column.append(value)
        text = None


def adjudicate_records(records: Iterable[Record], tables: Tables):
    """Read and adjudicate one partition: its line table in ``seq`` order (``part_schema``), or the
    errors found (every bad record is reported; when there is one, nothing is adjudicated)."""
    import pyarrow as pa

    records = sorted(records, key=lambda r: r.seq)
    claims: list[Claim] = []
    errors: list[ClaimInputError] = []
    with collector_paused():
        gather(claims, errors, ((r.source, r.record, r.text) for r in records),
               lambda text, source, record: (claim_from_text(text, source, record),))
        forget_remembered()  # the partition's beneficiaries occur in no other partition
        if errors:
            return None, errors
        decisions = adjudicate(claims, tables)
        columns: list[list] = [[] for _ in range(len(ROW_COLUMNS) + 1)]
        for rec, claim, decision in zip(records, claims, decisions):
            _add_rows(columns, rec.seq, claim, decision, decision_line(decision))
        del claims, decisions
        part = part_schema()
        return pa.Table.from_arrays([pa.array(c, type=part.field(i).type) for i, c in enumerate(columns)],
                                    schema=part), []


def summarize(table) -> dict:
    """Counts and exact decimal sums of one table of rows (partials add up: see ``output.Summary``)."""
    import pyarrow.compute as pc

    first = table.filter(pc.is_valid(table[DECISION])) if DECISION in table.column_names else None
    out: dict = {"claims": first.num_rows if first is not None else 0,
                 "claim_status": _counts(first["claim_status"]) if first is not None else {},
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


def write_table(table, path: Path, fsync: bool = True) -> None:
    """An Arrow IPC file in batches of ``BATCH_ROWS`` rows, written under a temporary name, fsynced, then
    renamed (atomic on one filesystem)."""
    import pyarrow as pa

    tmp = path.with_name(path.name + ".tmp")
    with pa.OSFile(str(tmp), "wb") as sink:
        with pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table, max_chunksize=BATCH_ROWS)
    if fsync:
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
    os.replace(tmp, path)


def read_table(path: Path):
    import pyarrow as pa

    with pa.OSFile(str(path)) as handle:
        return pa.ipc.open_file(handle).read_all()


def batch_bounds(table) -> list[list[int]]:
    """The first and last ``seq`` of each record batch ``write_table`` writes (rows sorted by ``seq``)."""
    seq = table["seq"].to_pylist()
    return [[seq[i], seq[min(i + BATCH_ROWS, len(seq)) - 1]] for i in range(0, len(seq), BATCH_ROWS)]


def merge_chunk(part_files: list[tuple[Path, list[list[int]]]], chunk: int, out_text: Path, out_rows: Path) -> None:
    """Chunk ``chunk`` of the outputs from every partition's table (its file and ``batch_bounds``), reading
    only the record batches that hold the chunk's claims: the decisions' JSON lines, in input order
    (bytes, straight from the Arrow buffer), and the flat rows (Arrow IPC, no decision column)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    low, high = chunk * CHUNK, (chunk + 1) * CHUNK
    pieces = []
    for path, bounds in part_files:
        wanted = [i for i, (first, last) in enumerate(bounds) if first < high and last >= low]
        if not wanted:
            continue
        with pa.OSFile(str(path)) as handle:
            reader = pa.ipc.open_file(handle)
            for i in wanted:
                batch = reader.get_batch(i)
                seq = batch.column(1)  # sorted: the chunk's rows are the ones between these two counts
                start, stop = (pc.sum(pc.less(seq, bound)).as_py() or 0 for bound in (low, high))
                pieces.append(batch.slice(start, stop - start))
    if not pieces:
        table = part_schema().empty_table()
    else:
        table = pa.Table.from_batches(pieces).combine_chunks()
        table = table.take(pc.sort_indices(table["seq"]))  # a stable sort: lines keep their order
    texts = pc.drop_null(table[DECISION]).combine_chunks()
    tmp = out_text.with_name(out_text.name + ".tmp")
    with open(tmp, "wb") as handle:
        if len(texts):
            offsets = memoryview(texts.buffers()[1]).cast("q")
            start, stop = offsets[texts.offset], offsets[texts.offset + len(texts)]
            handle.write(memoryview(texts.buffers()[2])[start:stop])
    os.replace(tmp, out_text)
    write_table(table.drop_columns([DECISION]), out_rows, fsync=False)  # a chunk is remade, never resumed

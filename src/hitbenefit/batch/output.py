"""Merge the finished partitions into the batch outputs, in one pass with bounded memory.

Each partition's output file is sorted by (claim_id, seq); a k-way merge writes ``decisions.jsonl``
(one contract decision per line), ``decisions.parquet`` (one row per claim line) and the summary
(``summary.json``, ``summary.html``). Money is summed as ``Decimal`` from exact strings, never float.
"""

from __future__ import annotations

import heapq
import json
import os
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Iterator

from hitbenefit.batch import charts
from hitbenefit.batch.core import MONEY_COLUMNS, ROW_COLUMNS, Outcome

ROW_GROUP = 65536
ZERO = Decimal("0.00")


def part_line(o: Outcome) -> str:
    """One line of a partition output file: JSON claim id, seq, decision JSON, rows JSON (tab separated)."""
    return f"{json.dumps(o.claim_id, ensure_ascii=False)}\t{o.seq}\t{o.decision[:-1]}\t{o.rows}"


def write_part(outcomes: list[Outcome], path: Path) -> None:
    """Write a partition's outputs under a temporary name, then rename (atomic on one filesystem)."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        for o in outcomes:
            handle.write(part_line(o))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _read_part(path: Path) -> Iterator[tuple[str, int, str, str]]:
    with path.open("r", encoding="utf-8") as handle:
        for raw in handle:
            key, seq, decision, rows = raw.rstrip("\n").split("\t", 3)
            yield json.loads(key), int(seq), decision, rows


def _schema():
    import pyarrow as pa

    money = pa.decimal128(12, 2)
    types = {"claim_id": pa.string(), "seq": pa.int64(), "line": pa.int32(), "hcpcs": pa.string(),
             "status": pa.string(), "claim_status": pa.string(), "category": pa.int32(), "visit_type": pa.string(),
             "reasons": pa.list_(pa.string()), "service_date": pa.date32(), "month": pa.string(),
             "mbi": pa.string(), "supplier_npi": pa.string(), "locality": pa.string(), "payer": pa.string()}
    types.update({m: money for m in MONEY_COLUMNS})
    return pa.schema([(c, types[c]) for c in ROW_COLUMNS])


class Summary:
    """Counts and exact money sums over the decisions, gathered while merging."""

    def __init__(self) -> None:
        self.claims = 0
        self.claim_status: Counter = Counter()
        self.line_status: Counter = Counter()
        self.reasons: Counter = Counter()
        self.money = {k: defaultdict(lambda: {"lines": 0, "allowed": ZERO, "paid": ZERO})
                      for k in ("month", "category", "locality")}
        self.totals = {m: ZERO for m in MONEY_COLUMNS}

    def add_claim(self, status: str) -> None:
        self.claims += 1
        self.claim_status[status] += 1

    def add_row(self, row: list) -> None:
        self.line_status[row[4]] += 1
        for key in row[8]:
            self.reasons[key] += 1
        for i, name in enumerate(MONEY_COLUMNS, start=15):
            if row[i] is not None:
                self.totals[name] += Decimal(row[i])
        if row[16] is not None:  # a priced G-code line
            allowed, paid = Decimal(row[16]), Decimal(row[20])
            for key, value in (("month", row[10]), ("category", str(row[6])), ("locality", row[13] or "none")):
                slot = self.money[key][value]
                slot["lines"] += 1
                slot["allowed"] += allowed
                slot["paid"] += paid

    def to_json(self) -> dict:
        return {
            "claims": self.claims,
            "claims_by_status": dict(sorted(self.claim_status.items())),
            "lines_by_status": dict(sorted(self.line_status.items())),
            "lines_by_reason": dict(sorted(self.reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
            "totals": {k: str(v) for k, v in self.totals.items()},
            **{f"payments_by_{k}": {name: {"lines": s["lines"], "allowed": str(s["allowed"]), "paid": str(s["paid"])}
                                    for name, s in sorted(table.items())}
               for k, table in self.money.items()},
            "money": "dollars as exact decimal strings",
        }

    def to_html(self) -> str:
        j = self.to_json()
        body = [f'<p class="note">{j["claims"]:,} claims; paid ${Decimal(j["totals"]["paid"]):,.2f} of '
                f'${Decimal(j["totals"]["allowed"]):,.2f} allowed (sums of exact decimal amounts). '
                f"All data made by this batch run; nothing on this page is fetched.</p>",
                charts.hbar("Claims by status", list(j["claims_by_status"].items())),
                charts.hbar("Lines by status", list(j["lines_by_status"].items())),
                charts.hbar("Lines by reason (top 25)", list(j["lines_by_reason"].items())[:25])]
        for key, title in (("month", "Payments by month of service"), ("category", "Payments by payment category"),
                           ("locality", "Payments by locality")):
            table = j[f"payments_by_{key}"]
            items = [(name, Decimal(s["paid"])) for name, s in table.items()]
            body.append((charts.vbar if key == "month" else charts.hbar)(title + " (paid)", items))
            body.append(charts.table([key, "priced lines", "allowed", "paid"],
                                     [[name, s["lines"], Decimal(s["allowed"]), Decimal(s["paid"])]
                                      for name, s in table.items()]))
        return charts.page("Batch adjudication summary", "".join(body))


def merge(part_files: list[Path], out: Path, tick=lambda n: None) -> Summary:
    """Merge partition outputs into ``out`` (final files written under temporary names, then renamed)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = _schema()
    summary = Summary()
    tmp = {name: out / f".{name}.tmp" for name in ("decisions.jsonl", "decisions.parquet", "summary.json",
                                                   "summary.html")}
    columns: list[list] = [[] for _ in ROW_COLUMNS]
    money_at = [ROW_COLUMNS.index(m) for m in MONEY_COLUMNS]
    date_at = ROW_COLUMNS.index("service_date")

    def flush(writer) -> None:
        if not columns[0]:
            return
        writer.write_table(pa.Table.from_arrays([pa.array(c, type=schema.field(i).type)
                                                 for i, c in enumerate(columns)], schema=schema))
        for c in columns:
            c.clear()

    streams = [_read_part(p) for p in part_files]
    with tmp["decisions.jsonl"].open("w", encoding="utf-8") as jsonl, \
            pq.ParquetWriter(tmp["decisions.parquet"], schema, compression="zstd") as writer:
        n = 0
        for _key, _seq, decision, rows_text in heapq.merge(*streams, key=lambda r: (r[0], r[1])):
            jsonl.write(decision)
            jsonl.write("\n")
            rows = json.loads(rows_text)
            summary.add_claim(rows[0][5])
            for row in rows:
                summary.add_row(row)
                for i in money_at:
                    if row[i] is not None:
                        row[i] = Decimal(row[i])
                row[date_at] = date.fromisoformat(row[date_at])
                for i, value in enumerate(row):
                    columns[i].append(value)
            if len(columns[0]) >= ROW_GROUP:
                flush(writer)
            n += 1
            if n & 4095 == 0:
                tick(4096)
        flush(writer)
        tick(n & 4095)
    tmp["summary.json"].write_text(json.dumps(summary.to_json(), indent=2, ensure_ascii=False) + "\n", "utf-8")
    tmp["summary.html"].write_text(summary.to_html(), "utf-8")
    for name, path in tmp.items():
        os.replace(path, out / name)
    return summary

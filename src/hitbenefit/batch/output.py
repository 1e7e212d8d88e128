"""Assemble the batch outputs from the merged chunks, with bounded memory.

The finished partitions are read chunk by chunk in input order (``core.CHUNK`` consecutive input
claims a chunk, the chunks in parallel): ``decisions.jsonl`` is their JSON lines, ``decisions.parquet``
one row group per chunk. The summary (``summary.json``, ``summary.html``) adds up the partitions' partial counts
and exact decimal sums (``core.summarize``); money is ``Decimal`` from exact strings, never float.
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

from hitbenefit import charts
from hitbenefit.batch.core import (DICTIONARY_COLUMNS, MONEY_COLUMNS, assemble_chunk, chunk_count, chunk_sizes,
                                   read_table, schema)

ZERO = Decimal("0.00")


class Summary:
    """Counts and exact money sums over the decisions, added up from partial summaries."""

    def __init__(self) -> None:
        self.claims = 0
        self.claim_status: Counter = Counter()
        self.line_status: Counter = Counter()
        self.reasons: Counter = Counter()
        self.money = {k: defaultdict(lambda: {"lines": 0, "allowed": ZERO, "paid": ZERO})
                      for k in ("month", "category", "locality")}
        self.totals = {m: ZERO for m in MONEY_COLUMNS}

    def add(self, partial: dict) -> None:
        """Add one ``core.summarize`` result."""
        self.claims += partial["claims"]
        self.claim_status.update(partial["claim_status"])
        self.line_status.update(partial["line_status"])
        self.reasons.update(partial["reasons"])
        for name, value in partial["totals"].items():
            self.totals[name] += Decimal(value)
        for key in self.money:
            for name, (lines, allowed, paid) in partial[key].items():
                slot = self.money[key][name]
                slot["lines"] += lines
                slot["allowed"] += Decimal(allowed)
                slot["paid"] += Decimal(paid)

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


def assemble(parts: Path, partitions: int, summary: Summary, out: Path, imap, tick=lambda n: None) -> None:
    """Write the final files from the finished partitions (``summary``: their partial summaries added up):
    ``decisions.jsonl`` sized first, then its chunks written in place in parallel by ``imap`` (an
    ordered map, e.g. a pool's) with ``core.assemble_chunk``; their rows go to ``decisions.parquet`` in
    order, one row group a chunk. Under temporary names, then renamed."""
    import pyarrow.parquet as pq

    tmp = {name: out / f".{name}.tmp" for name in ("decisions.jsonl", "decisions.parquet", "summary.json",
                                                   "summary.html")}
    chunks = parts.parent / "chunks"
    chunks.mkdir(exist_ok=True)
    count = chunk_count(summary.claims)
    jobs, offset = [], 0
    for c, size in enumerate(chunk_sizes(parts, partitions, count)):
        jobs.append((str(parts), c, partitions, count, str(tmp["decisions.jsonl"]), offset,
                     str(chunks / f"c-{c:05d}.arrow")))
        offset += size
    with tmp["decisions.jsonl"].open("wb") as jsonl:
        jsonl.truncate(offset)
    with pq.ParquetWriter(tmp["decisions.parquet"], schema(), compression="zstd",
                          use_dictionary=list(DICTIONARY_COLUMNS)) as writer:
        for rows in imap(_assemble_star, jobs):
            table = read_table(Path(rows))
            if table.num_rows:
                writer.write_table(table, row_group_size=table.num_rows)
            os.unlink(rows)
            tick(1)
    tmp["summary.json"].write_text(json.dumps(summary.to_json(), indent=2, ensure_ascii=False) + "\n", "utf-8")
    tmp["summary.html"].write_text(summary.to_html(), "utf-8")
    for name, path in tmp.items():
        (out / name).unlink(missing_ok=True)  # renaming over an old file would make ext4 flush the new one first
        os.replace(path, out / name)


def _assemble_star(job) -> str:
    parts, c, partitions, count, jsonl, offset, rows = job
    assemble_chunk(Path(parts), c, partitions, count, Path(jsonl), offset, Path(rows))
    return rows

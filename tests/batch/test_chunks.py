"""The outputs are assembled chunk by chunk, each chunk reading every partition's share of it: the
outputs must not depend on the chunk size, and a partition's chunk starts must be where its claims are."""

from __future__ import annotations

import json
from array import array

import pyarrow.parquet as pq

from hitbenefit.batch import core, run_batch


def test_chunk_starts_point_at_each_chunks_first_claim(monkeypatch):
    monkeypatch.setattr(core, "CHUNK", 4)
    # a partition holding the claims with seq 1, 2, 8, 10, 11 and 17 of a 20-claim input (5 chunks)
    seqs, text_ends, row_ends = [1, 2, 8, 10, 11, 17], [10, 25, 31, 40, 52, 60], [1, 3, 4, 5, 7, 8]
    index = array("q", [v for triple in zip(seqs, text_ends, row_ends) for v in triple])
    starts = core.chunk_starts(index, core.chunk_count(20))
    assert [tuple(starts[i:i + 3]) for i in range(0, len(starts), 3)] == [
        (0, 0, 0),  # chunk 0 (seq 0-3) starts at the first claim
        (2, 25, 3),  # chunk 1 (seq 4-7) holds none of this partition's claims: it starts where chunk 2 does
        (2, 25, 3),  # chunk 2 (seq 8-11) starts at seq 8, after two lines and three rows
        (5, 52, 7),  # chunk 3 (seq 12-15): none; chunk 4 (seq 16-19) starts at seq 17
        (5, 52, 7),
        (6, 60, 8),  # the end: claims, text and row totals
    ]


def test_small_chunks_change_nothing(tmp_path, monkeypatch, synth_file):
    whole = run_batch([synth_file], tmp_path / "whole", workers=1, partitions=6)
    monkeypatch.setattr(core, "CHUNK", 37)  # 55 chunks, most partitions in every one
    monkeypatch.setattr(core, "ROWS_BATCH", 5)  # chunks start and end inside row batches
    small = run_batch([synth_file], tmp_path / "small", workers=1, partitions=6)
    assert whole.claims == small.claims == 2000
    ids = [json.loads(line)["claim_id"] for line in (tmp_path / "small" / "decisions.jsonl").open()]
    assert ids == [json.loads(line)["claim_id"] for line in open(synth_file)]  # input order
    for name in ("decisions.jsonl", "summary.json"):
        assert (tmp_path / "whole" / name).read_bytes() == (tmp_path / "small" / name).read_bytes(), name
    a, b = (pq.ParquetFile(tmp_path / folder / "decisions.parquet") for folder in ("whole", "small"))
    assert b.metadata.num_row_groups == 55 and a.metadata.num_row_groups == 1
    assert a.read().equals(b.read())


def test_partition_files_hold_the_decisions_compressed(tmp_path, synth_file):
    run_batch([synth_file], tmp_path / "out", workers=1, partitions=4, keep_work=True)
    held = sum(path.stat().st_size for path in (tmp_path / "out" / "_work" / "parts").glob("p-*.decisions"))
    assert held * 10 < (tmp_path / "out" / "decisions.jsonl").stat().st_size

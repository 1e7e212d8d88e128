"""The spill cuts JSON Lines files into segments read in parallel: record numbers and outputs must not
depend on where the cuts fall (blank lines, CRLF line ends and a byte-order mark included)."""

from __future__ import annotations

import json

import pytest
import simplejson

from hitbenefit.batch import BatchError, run_batch
from hitbenefit.batch import spill
from tests.batch.conftest import OUTPUTS


def _messy_lines(claims: list[dict]) -> bytes:
    out = [b"\xef\xbb\xbf"]
    for i, claim in enumerate(claims):
        text = simplejson.dumps(claim, use_decimal=True).encode()
        if i % 7 == 3:
            out.append(b"\n   \n")  # blank lines count as lines
        out.append(b"  " + text + b"\r\n" if i % 5 == 0 else text + b"\n")
    return b"".join(out)


def test_segment_cuts_change_nothing(tmp_path, monkeypatch, synth_claims):
    path = tmp_path / "messy.jsonl"
    path.write_bytes(_messy_lines(synth_claims[:400]))
    whole = run_batch([str(path)], tmp_path / "whole", workers=1, partitions=5)
    monkeypatch.setattr(spill, "SEGMENT_BYTES", 4099)  # a cut inside most claims' lines
    assert len(spill.segments([spill.InputFile(path, "json")])) > 100
    cut = run_batch([str(path)], tmp_path / "cut", workers=1, partitions=5)
    assert whole.claims == cut.claims == 400
    for name in OUTPUTS:
        assert (tmp_path / "whole" / name).read_bytes() == (tmp_path / "cut" / name).read_bytes(), name
    ids = [json.loads(line)["claim_id"] for line in (tmp_path / "cut" / "decisions.jsonl").open()]
    assert ids == [c["claim_id"] for c in synth_claims[:400]]  # input order


def test_record_numbers_count_every_line_before_the_cut(tmp_path, monkeypatch, synth_claims):
    path = tmp_path / "bad.jsonl"
    data = _messy_lines(synth_claims[:200]).split(b"\n")
    line = [i for i, text in enumerate(data, start=1) if text.strip().startswith(b"{")][-10]  # far past a cut
    assert line > 200  # blank lines before it count
    data[line - 1] = b"[1, 2]"
    path.write_bytes(b"\n".join(data))
    monkeypatch.setattr(spill, "SEGMENT_BYTES", 3001)
    with pytest.raises(BatchError) as caught:
        run_batch([str(path)], tmp_path / "out", workers=1, partitions=3)
    assert caught.value.errors == [f"{path}, record {line}: expected a claim object, found a list"]

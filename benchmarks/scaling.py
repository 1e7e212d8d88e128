"""Scaling benchmark for batch adjudication (issue 7): 10,000 -> 100,000 -> 1,000,000 SYNTHETIC claims.

    .venv/bin/python benchmarks/scaling.py                    # 10,000 and 100,000 (a few minutes)
    .venv/bin/python benchmarks/scaling.py --max 1000000      # the issue's full run, up to 1,000,000
    .venv/bin/python benchmarks/scaling.py --verify           # also: Spark output == local output, byte for byte
    .venv/bin/python benchmarks/scaling.py --modes 1,2        # one process and both cores only (no Spark)
    .venv/bin/python benchmarks/scaling.py --sizes 1000000 --modes 2,spark   # one size, some modes

Each run is a fresh ``python`` process running ``run_batch`` end to end (read, spill, adjudicate,
merge into JSONL + Parquet + summary). Peak memory is the largest resident set of one process: the
``ru_maxrss`` that ``wait4`` reports for the run's process (and the children it waited for), or
the largest a worker reported (pool workers and Spark's Python workers report their own
``ru_maxrss``). The Spark JVM is not counted (its heap is capped by ``spark.driver.memory=2g``).

The named baseline is **one process** (``--workers 1``) on the same input in the same run; every
other mode prints its speed as a ratio of it. Targets (exit status 1 when one is missed):
* at least 40,000 claims/s with both cores (mode 2), at every size;
* throughput flat as the input grows tenfold: from 100,000 to 1,000,000 claims, mode 2 keeps at
  least 80% of its claims/s (from 10,000 the fixed start-up cost of about a second dominates, so
  that step is printed, not judged);
* peak memory flat: at most 1.25x the previous size's peak for every tenfold step from 100,000;
* Spark ``local[2]`` within 3x the local engine's (mode 2) time at 1,000,000 claims.
"""

from __future__ import annotations

import argparse
import filecmp
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
print(json.dumps({"claims": r.claims, "seconds": time.perf_counter() - t, "phases": r.phases, "workers_mb": r.peak_mb}))
"""


GENERATOR = """
import sys, simplejson
from hitbenefit.synth import generate_claims
with open(sys.argv[2], "w", encoding="utf-8") as handle:
    for claim in generate_claims(int(sys.argv[1]), seed=0):
        handle.write(simplejson.dumps(claim, use_decimal=True, separators=(",", ":")) + "\\n")
"""


def make_input(n: int, folder: Path) -> Path:
    """The synthetic input, generated in a process of its own: this process must stay small, because a
    child started from it reports at least this process's peak memory as its own (Linux carries the
    parent's high-water mark across fork and exec)."""
    path = folder / f"synth-{n}.jsonl"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        subprocess.run([sys.executable, "-c", GENERATOR, str(n), str(tmp)], check=True)
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
    result.update(wall=wall, peak_mb=max(usage.ru_maxrss / 1024, result["workers_mb"]))
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--max", type=int, default=100_000, help="largest size to run (10000, 100000, 1000000)")
    ap.add_argument("--sizes", help="comma list of sizes to run instead (e.g. 1000000 alone)")
    ap.add_argument("--modes", default="1,2,spark", help="comma list of: 1 (one process), 2 (both cores), spark")
    ap.add_argument("--verify", action="store_true", help="check Spark and local outputs are byte-identical")
    ap.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "hitbenefit-scaling"))
    args = ap.parse_args()
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    modes = args.modes.split(",")
    missed: list[str] = []
    results: dict[tuple[int, str], dict] = {}
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    print(f"{'claims':>9} {'mode':>6} {'claims/s':>9} {'vs 1':>6} {'wall s':>7} {'peak MB':>8}  phases (s)")
    sizes = ([int(n) for n in args.sizes.split(",")] if args.sizes
             else [n for n in (10_000, 100_000, 1_000_000) if n <= args.max])
    for n in sizes:
        path = make_input(n, work)
        for mode in modes:
            engine, workers = ("spark", 2) if mode == "spark" else ("local", int(mode))
            r = results[n, mode] = run(path, work / f"out-{mode}", workers, engine)
            r["rate"] = n / r["seconds"]
            base = results.get((n, "1"))
            ratio = f"{r['rate'] / base['rate']:.2f}x" if base else "-"
            phases = " ".join(f"{k}={v:.1f}" for k, v in r["phases"].items())
            print(f"{n:>9,} {mode:>6} {r['rate']:>9,.0f} {ratio:>6} {r['seconds']:>7.1f} {r['peak_mb']:>8.0f}  {phases}",
                  flush=True)
        if args.verify and "spark" in modes:
            local = next((work / f"out-{m}" for m in modes if m != "spark"), None)
            if local is not None:
                for name in ("decisions.jsonl", "decisions.parquet", "summary.json"):
                    same = filecmp.cmp(local / name, work / "out-spark" / name, shallow=False)  # streamed: see make_input
                    print(f"  verify {n:,}: spark {name} {'== local' if same else 'DIFFERS from local'}", flush=True)
                    if not same:
                        missed.append(f"spark output differs at {n:,}")
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for n in sizes:
        if (n, "2") in results and results[n, "2"]["rate"] < TARGET:
            missed.append(f"both cores at {n:,}: {results[n, '2']['rate']:,.0f} claims/s < {TARGET:,}")
    for small, big in zip(sizes, sizes[1:]):
        for mode in modes:
            if (small, mode) not in results or (big, mode) not in results:
                continue
            a, b = results[small, mode], results[big, mode]
            speed, memory = b["rate"] / a["rate"], b["peak_mb"] / a["peak_mb"]
            print(f"{small:,} -> {big:,} claims, mode {mode}: throughput x{speed:.2f}, peak memory x{memory:.2f}")
            if small >= 100_000 and mode != "spark":
                if speed < 0.8:
                    missed.append(f"mode {mode} throughput falls to x{speed:.2f} from {small:,} to {big:,}")
                if memory > 1.25:
                    missed.append(f"mode {mode} peak memory grows x{memory:.2f} from {small:,} to {big:,}")
    if (1_000_000, "spark") in results and (1_000_000, "2") in results:
        slower = results[1_000_000, "spark"]["seconds"] / results[1_000_000, "2"]["seconds"]
        print(f"Spark local[2] vs local engine (both cores) at 1,000,000: {slower:.2f}x the time (target <= 3x)")
        if slower > 3:
            missed.append(f"Spark takes {slower:.2f}x the local engine's time at 1,000,000")
    print(f"targets: >= {TARGET:,} claims/s with both cores; flat throughput and memory; Spark within 3x at 1,000,000")
    for line in missed:
        print(f"MISSED: {line}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

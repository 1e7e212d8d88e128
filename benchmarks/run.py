"""Throughput and memory of the engine on SYNTHETIC claims (hitbenefit.synth), against a named baseline.

    .venv/bin/python benchmarks/run.py [--claims 100000] [--seed 0] [--profile 30] [--no-tracemalloc]

Measures, in one process:
  * generating the claims (synth) and writing them as JSON Lines (not the engine: for information);
  * reading the JSON Lines into Claim objects (read_claims): claims/second;
  * adjudicate_batch over the pre-built claims with the bundled tables: claims/second (target 20,000);
  * the same claims with the baseline "naive full-history scan" (benchmarks/naive.py), which must
    reach the same decisions: "engine vs naive baseline: X.Xx the baseline's speed";
  * the look-back state at the end (ClaimsHistory.entries()) against the history lines seen;
  * peak memory: tracemalloc peak of a second, traced adjudication run, and ru_maxrss of the process.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import simplejson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from naive import NaiveClaimsHistory  # noqa: E402

from hitbenefit.claims.history import ClaimsHistory  # noqa: E402
from hitbenefit.claims.read_json import read_claims  # noqa: E402
from hitbenefit.engine.adjudicate import adjudicate_batch  # noqa: E402
from hitbenefit.service import collector_paused  # noqa: E402
from hitbenefit.synth import generate_claims  # noqa: E402

TARGET = 20_000  # claims per second, one process (the performance issue)


def load_tables():
    """The bundled tables: hitbenefit.service.load_tables, or built directly when it is not there."""
    try:
        from hitbenefit.service import load_tables as service_tables
    except ImportError:
        from hitbenefit.engine.tables import Tables
        from hitbenefit.parameters.load import bundled_parameters
        from hitbenefit.rates.files import load_bundled_ratebook
        from hitbenefit.rates.localities import locality_states

        return Tables(bundled_parameters(), load_bundled_ratebook(), locality_states=locality_states())
    return service_tables()


def timed(fn, *args, **kwargs):
    gc.collect()
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def history_lines(decisions) -> int:
    """Lines that joined a beneficiary's history: not rejected, with a payment category (CONTRACT §5)."""
    return sum(1 for d in decisions for line in d.lines
               if line.status != "rejected" and line.category is not None
               and (line.visit_type is not None or line.status == "informational"))


def outcome(decision) -> tuple:
    return (decision.claim_id, decision.status,
            tuple((l.status, l.allowed, l.paid, tuple(sorted(r.key for r in l.reasons))) for l in decision.lines))


def mb(n_bytes: float) -> str:
    return f"{n_bytes / 1_048_576:,.1f} MB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--claims", type=int, default=100_000, help="synthetic claims to generate (100,000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--profile", type=int, metavar="N", default=0,
                        help="also profile the engine (cProfile) and print the top N functions")
    parser.add_argument("--no-tracemalloc", action="store_true", help="skip the traced run for peak memory")
    parser.add_argument("--no-baseline", action="store_true", help="skip the naive baseline")
    args = parser.parse_args(argv)
    n = args.claims

    print(f"hitbenefit benchmark: {n:,} SYNTHETIC claims (seed {args.seed}), Python {sys.version.split()[0]}")
    raw, t_gen = timed(lambda: list(generate_claims(n, seed=args.seed)))
    text, t_dump = timed(lambda: "".join(simplejson.dumps(c, use_decimal=True) + "\n" for c in raw))
    beneficiaries = len({c["beneficiary"]["mbi"] for c in raw})
    days = sorted(line["service_date"] for c in raw for line in c["lines"])
    print(f"  generated in {t_gen:.1f} s: {beneficiaries:,} beneficiaries, service dates {days[0]} to {days[-1]}, "
          f"{sum(len(c['lines']) for c in raw):,} lines, {sum(bool(c['extra']['expected']) for c in raw):,} "
          f"with an injected error; JSON Lines {mb(len(text))} written in {t_dump:.1f} s")
    del raw, days

    (claims, errors), t_read = timed(read_claims, text, "synthetic.jsonl")
    assert not errors and len(claims) == n, errors[:3]
    print(f"JSON reading (read_claims):   {n / t_read:>10,.0f} claims/s  ({t_read:.2f} s)")
    del text

    tables = load_tables()
    history = ClaimsHistory()
    gc.collect()
    with collector_paused():  # as hitbenefit.service.adjudicate runs it (the command line's path)
        decisions, t_engine = timed(adjudicate_batch, claims, tables, history=history)
    rate = n / t_engine
    print(f"engine (adjudicate_batch):    {rate:>10,.0f} claims/s  ({t_engine:.2f} s)  "
          f"target {TARGET:,}/s: {'MET' if rate >= TARGET else 'NOT MET'}")
    _, t_collected = timed(adjudicate_batch, claims, tables)
    print(f"  the same with Python's cycle collector running: {n / t_collected:,.0f} claims/s")
    seen = history_lines(decisions)
    print(f"look-back state at the end:   {history.entries():,} dates kept for {len(history):,} beneficiaries, "
          f"of {seen:,} history lines seen ({history.entries() / max(seen, 1):.1%})")
    statuses: dict[str, int] = {}
    for d in decisions:
        statuses[d.status] = statuses.get(d.status, 0) + 1
    print("  claim statuses: " + ", ".join(f"{k} {v:,}" for k, v in sorted(statuses.items())))

    failed = False
    if not args.no_baseline:
        naive = NaiveClaimsHistory()
        with collector_paused():
            baseline, t_naive = timed(adjudicate_batch, claims, tables, history=naive)
        same = all(outcome(a) == outcome(b) for a, b in zip(decisions, baseline))
        verdict = "identical" if same else "DIFFER (a bug in the engine or the baseline)"
        print(f"baseline 'naive full-history scan': {n / t_naive:,.0f} claims/s ({t_naive:.2f} s), "
              f"{naive.entries():,} dates kept; decisions {verdict}")
        failed = not same
        speedup = t_naive / t_engine
        print(f"engine vs naive baseline: {speedup:.1f}x the baseline's speed ({'faster' if speedup >= 1 else 'slower'})")
        del baseline, naive

    del decisions
    if not args.no_tracemalloc:
        gc.collect()
        tracemalloc.start()
        adjudicate_batch(claims, tables, history=ClaimsHistory())
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"peak memory: tracemalloc peak during adjudication {mb(peak)} "
              f"(decisions for {n:,} claims, history and working set)")
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"peak memory: ru_maxrss of the process {mb(rss_kb * 1024)} (claims, JSON text and all runs)")

    if args.profile:
        sample = claims[: min(n, 20_000)]
        profiler = cProfile.Profile()
        profiler.runcall(adjudicate_batch, sample, tables)
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(args.profile)
        print(f"\ncProfile of adjudicate_batch on {len(sample):,} claims (by own time):")
        print(out.getvalue())
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Load benchmark of the REST API, one command: ``.venv/bin/python benchmarks/load.py``.

Starts ``hitbenefit serve`` on a loopback port (a SQLite file; and PostgreSQL too when a server
answers on 127.0.0.1:5432, in a throwaway database dropped afterwards), drives it from a second
process with httpx (threads, keep-alive), and prints requests/s, p50/p99 latency and errors for
claim checks (POST /v1/claims:check) and stored submissions (POST /v1/claims), then counts the
stored claims: every 201 must be in the store (no lost claims). Targets on the 2-core machine:
at least 300 checks/s with p99 under 50 ms, zero errors, zero lost claims.

Options: --checks N (1500) --submits N (600) --threads N (8) --seconds S (60, a bound per phase)
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "claims" / "example-claim.json"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _claim(claim_id: str, mbi: str, day: str) -> dict:
    body = json.loads(EXAMPLE.read_text())
    body["claim_id"], body["beneficiary"]["mbi"] = claim_id, mbi
    body["beneficiary"]["institutional_stays"] = []
    body.pop("received_date", None)
    for line in body["lines"]:
        line["service_date"] = day
    return body


# ---- the driver: runs in its own process -------------------------------------------------------------
def drive(base: str, key: str, kind: str, count: int, threads: int, seconds: float) -> dict:
    import httpx

    run = secrets.token_hex(4).upper()
    latencies: list[float] = []
    errors, created = 0, []
    lock = threading.Lock()
    next_index = iter(range(count))
    stop_at = time.monotonic() + seconds
    path = "/v1/claims:check" if kind == "check" else "/v1/claims"
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def worker():
        nonlocal errors
        with httpx.Client(base_url=base, timeout=30) as client:
            while time.monotonic() < stop_at:
                with lock:
                    i = next(next_index, None)
                if i is None:
                    return
                body = _claim(f"LOAD-{run}-{kind}-{i:06d}", f"1EG4{run[:3]}{i:04d}"[:11],
                              f"2025-03-{1 + i % 28:02d}")
                data = json.dumps(body)
                start = time.perf_counter()
                try:
                    r = client.post(path, content=data, headers=headers)
                    ok = r.status_code == (200 if kind == "check" else 201)
                except httpx.HTTPError:
                    ok = False
                elapsed = time.perf_counter() - start
                with lock:
                    latencies.append(elapsed)
                    if ok:
                        if kind == "submit":
                            created.append(body["claim_id"])
                    else:
                        errors += 1

    began = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    wall = time.perf_counter() - began
    ordered = sorted(latencies)
    pct = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")  # noqa: E731
    return {"kind": kind, "requests": len(latencies), "seconds": round(wall, 2),
            "rps": round(len(latencies) / wall, 1) if wall else 0.0, "p50_ms": round(pct(0.50), 1),
            "p99_ms": round(pct(0.99), 1), "errors": errors, "created": created,
            "mean_ms": round(statistics.fmean(latencies) * 1000, 1) if latencies else None}


# ---- the orchestrator --------------------------------------------------------------------------------
def _pg_url() -> tuple[str | None, callable]:
    try:
        import psycopg
    except ImportError:
        return None, lambda: None
    for user in dict.fromkeys(u for u in (os.environ.get("HITBENEFIT_TEST_PG_USER"), "postgres", "root",
                                          os.environ.get("USER")) if u):
        try:
            with psycopg.connect(host="127.0.0.1", port=5432, dbname="test", user=user, connect_timeout=3,
                                 autocommit=True) as conn:
                name = f"hitbenefit_load_{secrets.token_hex(4)}"
                conn.execute(f'CREATE DATABASE "{name}"')
        except Exception:  # noqa: BLE001
            continue

        def drop(user=user, name=name):
            with psycopg.connect(host="127.0.0.1", port=5432, dbname="test", user=user, autocommit=True) as c:
                c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return f"postgresql+psycopg://{user}@127.0.0.1:5432/{name}", drop
    return None, lambda: None


def run_backend(label: str, url: str, args, home: str) -> list[dict]:
    sys.path.insert(0, str(ROOT / "src"))
    from hitbenefit.store import Store
    from hitbenefit.store.schema import claims

    import sqlalchemy as sa

    with Store.open(url) as store:
        key, _ = store.create_api_key("contractor", label="load benchmark")
    port = _free_port()
    env = dict(os.environ, HITBENEFIT_HOME=home, HITBENEFIT_RATE_PER_SECOND="100000", HITBENEFIT_RATE_BURST="100000")
    server = subprocess.Popen([sys.executable, "-m", "hitbenefit.cli.serve", "--port", str(port), "--db", url,
                               "--log-level", "warning"], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    results = []
    try:
        import httpx
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(base + "/openapi.json", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit(f"{label}: the server did not start")
            time.sleep(0.1)
        for kind, count in (("check", args.checks), ("submit", args.submits)):
            out = subprocess.run([sys.executable, __file__, "--drive", base, "--key", key, "--kind", kind,
                                  "--count", str(count), "--threads", str(args.threads), "--seconds",
                                  str(args.seconds)], capture_output=True, text=True, check=True)
            result = json.loads(out.stdout)
            result["backend"] = label
            results.append(result)
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
    submitted = next(r for r in results if r["kind"] == "submit")
    ids = submitted.pop("created")
    for r in results:
        r.pop("created", None)
    with Store.open(url) as store, store.engine.connect() as conn:
        stored = {row[0] for row in conn.execute(sa.select(claims.c.claim_id).where(claims.c.claim_id.in_(ids)))} \
            if ids else set()
    submitted["lost"] = len(set(ids) - stored)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drive")
    parser.add_argument("--key")
    parser.add_argument("--kind")
    parser.add_argument("--count", type=int)
    parser.add_argument("--checks", type=int, default=1500)
    parser.add_argument("--submits", type=int, default=600)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    if args.drive:
        print(json.dumps(drive(args.drive, args.key, args.kind, args.count, args.threads, args.seconds)))
        return
    results = []
    with tempfile.TemporaryDirectory(prefix="hitbenefit-load-") as home:
        results += run_backend("sqlite", f"sqlite:///{home}/load.db", args, home)
        if not args.no_postgres:
            url, drop = _pg_url()
            if url:
                try:
                    results += run_backend("postgresql", url, args, home)
                finally:
                    drop()
            else:
                print("PostgreSQL not reachable on 127.0.0.1:5432: skipped", file=sys.stderr)
    print(f"{'backend':<11}{'endpoint':<20}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'lost':>6}")
    failed = False
    for r in results:
        endpoint = "POST /v1/claims:check" if r["kind"] == "check" else "POST /v1/claims"
        print(f"{r['backend']:<11}{endpoint:<20}{r['requests']:>9}{r['rps']:>9}{r['p50_ms']:>9}{r['p99_ms']:>9}"
              f"{r['errors']:>8}{r.get('lost', '-'):>6}")
        failed |= bool(r["errors"] or r.get("lost"))
        if r["kind"] == "check" and (r["rps"] < 300 or r["p99_ms"] >= 50):
            print(f"  below target: {r['backend']} checks need >= 300 req/s with p99 < 50 ms")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

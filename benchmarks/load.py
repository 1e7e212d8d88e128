"""Load benchmark of the REST API, one command: ``.venv/bin/python benchmarks/load.py``.

Starts ``hitbenefit serve`` on a loopback port (a SQLite file; and PostgreSQL too when a server
answers on 127.0.0.1:5432, in a throwaway database dropped afterwards), drives it from a second
process with httpx (threads, keep-alive), and prints requests/s, p50/p99 latency and errors for
claim checks (POST /v1/claims:check) and stored submissions (POST /v1/claims), then counts the
stored claims: every 201 must be in the store (no lost claims). Targets on the 2-core machine:
at least 300 checks/s with p99 under 50 ms, zero errors, zero lost claims.

The driver is a separate process (checked: its pid is neither the server's nor this one's), talks
to 127.0.0.1 only, builds every body before the clock starts, sends unmeasured warm-up requests
first, and stops at --checks/--submits requests or --seconds, whichever comes first. Exit status 1
when a target is not met, any request failed, a claim was lost, or PostgreSQL could not be reached
(unless --no-postgres).

Baseline, measured in the same run with the same driver: the **transport floor**, a bare ASGI app
under the same uvicorn (uvloop + httptools) that answers every POST with a fixed decision (no key,
no JSON reading, no engine, no database). Each check phase prints its req/s and p99 as ratios to
the floor's, which tells how much of the HTTP stack's capacity the service keeps on this machine at
this moment (a loaded machine slows both). The 1-minute load average is printed for each phase.

The service runs as ``hitbenefit serve --workers 2`` (one server process per core of the 2-core
machine the target is set for; ``--workers 1`` measures a single process). The floor is one process.

Options: --checks N (1500) --submits N (600) --threads N (8) --seconds S (60, a bound per phase)
--warmup N (300 per phase) --workers N (2: server processes) --no-postgres --no-floor
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


def _claim(template: dict, claim_id: str, mbi: str, day: str) -> dict:
    body = json.loads(json.dumps(template))
    body["claim_id"], body["beneficiary"]["mbi"] = claim_id, mbi
    body["beneficiary"]["institutional_stays"] = []
    body.pop("received_date", None)
    for line in body["lines"]:
        line["service_date"] = day
    return body


# ---- the driver: runs in its own process -------------------------------------------------------------
def drive(base: str, key: str, kind: str, count: int, threads: int, seconds: float, warmup: int,
          server_pid: int | None = None) -> dict:
    """Send ``warmup`` unmeasured requests, then up to ``count`` measured ones within ``seconds``, from
    ``threads`` keep-alive connections (http.client: a light client, so that on a small machine the
    driver takes as little CPU from the server as it can). Bodies are built before the clock starts."""
    import http.client
    from urllib.parse import urlsplit

    if server_pid is not None and server_pid == os.getpid():
        raise SystemExit("the driver must not run in the server's process")
    parts = urlsplit(base)
    if parts.hostname not in ("127.0.0.1", "::1", "localhost"):
        raise SystemExit(f"loopback only, not {parts.hostname}")
    run = secrets.token_hex(4).upper()
    path = "/v1/claims:check" if kind == "check" else "/v1/claims"
    expected = 200 if kind == "check" else 201
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json", "Connection": "keep-alive"}
    template = json.loads(EXAMPLE.read_text())

    def body(tag: str, i: int) -> tuple[str, bytes]:  # a beneficiary of its own for every claim
        n = i if tag == "M" else count + i
        claim = _claim(template, f"LOAD-{run}-{kind}-{tag}{i:06d}", f"1EG4{run[:2]}{n:05d}",
                       f"2025-03-{1 + i % 28:02d}")
        return claim["claim_id"], json.dumps(claim).encode()

    def phase(bodies: list[tuple[str, bytes]], stop_at: float) -> tuple[list[float], list[str], dict, int]:
        latencies: list[float] = []
        created: list[str] = []
        failures: dict[str, int] = {}
        lock = threading.Lock()
        next_index = iter(range(len(bodies)))

        def worker():
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            try:
                while time.monotonic() < stop_at:
                    with lock:
                        i = next(next_index, None)
                    if i is None:
                        return
                    claim_id, data = bodies[i]
                    start = time.perf_counter()
                    try:
                        conn.request("POST", path, body=data, headers=headers)
                        response = conn.getresponse()
                        response.read()
                        outcome = response.status
                    except (OSError, http.client.HTTPException) as exc:
                        outcome = exc.__class__.__name__
                        conn.close()
                        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
                    elapsed = time.perf_counter() - start
                    with lock:
                        latencies.append(elapsed)
                        if outcome == expected:
                            if kind == "submit":
                                created.append(claim_id)
                        else:
                            failures[str(outcome)] = failures.get(str(outcome), 0) + 1
            finally:
                conn.close()

        began = time.perf_counter()
        pool = [threading.Thread(target=worker) for _ in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        return latencies, created, failures, time.perf_counter() - began

    warm = [body("W", i) for i in range(warmup)]
    measured = [body("M", i) for i in range(count)]
    _, warm_created, warm_failures, _ = phase(warm, time.monotonic() + seconds)
    load1 = os.getloadavg()[0]
    latencies, created, failures, wall = phase(measured, time.monotonic() + seconds)
    ordered = sorted(latencies)
    pct = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")  # noqa: E731
    return {"kind": kind, "requests": len(latencies), "seconds": round(wall, 2),
            "rps": round(len(latencies) / wall, 1) if wall else 0.0, "p50_ms": round(pct(0.50), 1),
            "p99_ms": round(pct(0.99), 1), "max_ms": round(pct(1.0), 1), "errors": sum(failures.values()),
            "failures": failures, "warmup_errors": sum(warm_failures.values()), "created": warm_created + created,
            "mean_ms": round(statistics.fmean(latencies) * 1000, 1) if latencies else None,
            "driver_pid": os.getpid(), "driver_cpu_s": round(time.process_time(), 2), "load1": round(load1, 2)}


# ---- the baseline: the transport floor -------------------------------------------------------------
def floor_server(port: int) -> None:
    """uvicorn as ``hitbenefit serve`` runs it, with an app that answers every request with the same
    decision JSON (the example claim's, from the pure engine), reading and checking nothing."""
    sys.path.insert(0, str(ROOT / "src"))
    import uvicorn

    from hitbenefit.cli.serve import _fast_io
    from hitbenefit.claims.read_json import read_claims
    from hitbenefit.api.responses import DecimalJSONResponse
    from hitbenefit.engine.adjudicate import adjudicate_claim
    from hitbenefit.claims.history import BeneficiaryHistory
    from hitbenefit.service import load_tables

    claim = read_claims(EXAMPLE.read_text(), str(EXAMPLE))[0][0]
    decision = DecimalJSONResponse(adjudicate_claim(claim, BeneficiaryHistory(), load_tables()).to_json()).body
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(decision)).encode())]

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": decision})

    uvicorn.run(app, host="127.0.0.1", port=port, access_log=False, log_level="warning", **_fast_io())


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
            for attempt in range(5):  # another process may be restarting the server
                try:
                    with psycopg.connect(host="127.0.0.1", port=5432, dbname="test", user=user, autocommit=True,
                                         connect_timeout=5) as c:
                        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                    return
                except psycopg.Error as exc:
                    if attempt == 4:
                        print(f"could not drop the database {name}: {exc.__class__.__name__}", file=sys.stderr)
                    time.sleep(2)
        return f"postgresql+psycopg://{user}@127.0.0.1:5432/{name}", drop
    return None, lambda: None


def _serve(label: str, argv: list[str], port: int, home: str) -> subprocess.Popen:
    """Start a server process on ``port`` and return it once it answers."""
    import httpx

    env = dict(os.environ, HITBENEFIT_HOME=home, HITBENEFIT_RATE_PER_SECOND="100000", HITBENEFIT_RATE_BURST="100000")
    server = subprocess.Popen([sys.executable, *argv], cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            server.kill()
            raise SystemExit(f"{label}: the server did not start")
        time.sleep(0.1)


def _stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(15)
    except subprocess.TimeoutExpired:
        server.kill()


def _phase(label: str, server: subprocess.Popen, base: str, key: str, kind: str, count: int, args) -> dict:
    """One driver process for one phase; its JSON result, checked to come from another process."""
    out = subprocess.run([sys.executable, __file__, "--drive", base, "--key", key, "--kind", kind,
                          "--count", str(count), "--threads", str(args.threads), "--seconds", str(args.seconds),
                          "--warmup", str(args.warmup), "--server-pid", str(server.pid)],
                         capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    if result["driver_pid"] in (server.pid, os.getpid()):
        raise SystemExit("the driver ran in the server's or the orchestrator's process")
    result["backend"], result["server_pid"] = label, server.pid
    return result


def run_floor(args, home: str) -> dict:
    port = _free_port()
    server = _serve("floor", [__file__, "--floor-server", str(port)], port, home)
    try:
        return _phase("floor", server, f"http://127.0.0.1:{port}", "none", "check", args.checks, args)
    finally:
        _stop(server)


def run_backend(label: str, url: str, args, home: str) -> list[dict]:
    sys.path.insert(0, str(ROOT / "src"))
    from hitbenefit.store import Store
    from hitbenefit.store.schema import claims

    import sqlalchemy as sa

    with Store.open(url) as store:
        key, _ = store.create_api_key("contractor", label="load benchmark")
    port = _free_port()
    server = _serve(label, ["-m", "hitbenefit.cli.serve", "--port", str(port), "--db", url, "--log-level", "warning",
                            "--workers", str(args.workers)], port, home)
    try:
        results = [_phase(label, server, f"http://127.0.0.1:{port}", key, kind, count, args)
                   for kind, count in (("check", args.checks), ("submit", args.submits))]
    finally:
        _stop(server)
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
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--server-pid", type=int)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-floor", action="store_true")
    parser.add_argument("--floor-server", type=int)
    args = parser.parse_args()
    if args.drive:
        print(json.dumps(drive(args.drive, args.key, args.kind, args.count, args.threads, args.seconds, args.warmup,
                               args.server_pid)))
        return
    if args.floor_server:
        floor_server(args.floor_server)
        return
    results = []
    failed = False
    with tempfile.TemporaryDirectory(prefix="hitbenefit-load-") as home:
        floor = None if args.no_floor else run_floor(args, home)
        results += run_backend("sqlite", f"sqlite:///{home}/load.db", args, home)
        if not args.no_postgres:
            url, drop = _pg_url()
            if url:
                try:
                    results += run_backend("postgresql", url, args, home)
                finally:
                    drop()
            else:
                print("NOT MET: PostgreSQL not reachable on 127.0.0.1:5432 (--no-postgres to leave it out)")
                failed = True
    print(f"server and driver are separate processes on 127.0.0.1; {args.threads} keep-alive connections, "
          f"{args.warmup} warm-up requests per phase (not counted), at most {args.seconds:g} s per phase; "
          f"{args.workers} server process(es)")
    print(f"{'backend':<11}{'endpoint':<22}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
          f"{'errors':>8}{'lost':>6}{'load':>6}  target")
    if floor is not None:
        print(f"{'floor':<11}{'POST (fixed answer)':<22}{floor['requests']:>9}{floor['rps']:>9}{floor['p50_ms']:>9}"
              f"{floor['p99_ms']:>9}{floor['max_ms']:>9}{floor['errors'] + floor['warmup_errors']:>8}{'-':>6}"
              f"{floor['load1']:>6}  baseline: the transport floor")
    for r in results:
        endpoint = "POST /v1/claims:check" if r["kind"] == "check" else "POST /v1/claims"
        errors = r["errors"] + r["warmup_errors"]
        if r["kind"] == "check":
            met = r["rps"] >= 300 and r["p99_ms"] < 50 and not errors
            verdict = "met (>= 300/s, p99 < 50 ms, 0 errors)" if met else "NOT MET (>= 300/s, p99 < 50 ms, 0 errors)"
            failed |= not met
        else:
            met = not errors and not r.get("lost")
            verdict = "met (0 errors, 0 lost)" if met else "NOT MET (0 errors, 0 lost)"
            failed |= not met
        print(f"{r['backend']:<11}{endpoint:<22}{r['requests']:>9}{r['rps']:>9}{r['p50_ms']:>9}{r['p99_ms']:>9}"
              f"{r['max_ms']:>9}{errors:>8}{r.get('lost', '-'):>6}{r['load1']:>6}  {verdict}")
        if r["failures"]:
            print(f"  failures by status: {r['failures']}")
    if floor is not None and floor["rps"]:
        for r in results:
            if r["kind"] == "check":
                print(f"{r['backend']} checks vs the transport floor: {r['rps'] / floor['rps']:.2f}x its req/s, "
                      f"p99 {r['p99_ms'] / floor['p99_ms']:.1f}x its p99")
    print("load: the 1-minute load average when the phase began (the machine has "
          f"{os.cpu_count()} cores; other work on it slows every phase)")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

"""Many parallel clients against a real uvicorn server on a loopback port: initial visits for one
beneficiary on one day from several suppliers at once; exactly one is paid, the rest are rejected."""

from concurrent.futures import ThreadPoolExecutor
import threading
import time
from pathlib import Path

import httpx
import pytest

from hitbenefit.api import Settings, create_app
from tests.api.conftest import (ServerThread, auth, claim_json, dumps, free_port, new_mbi, serve_subprocess,
                                stop_server, unique)

CLIENTS = 12


def test_parallel_initial_visits_exactly_one_paid(store, tables, keys):
    app = create_app(store=store, tables=tables, settings=Settings(rate_per_second=10_000, rate_burst=10_000,
                                                                   batch_worker=False))
    mbi = new_mbi()
    suppliers = [keys.supplier() for _ in range(CLIENTS)]
    bodies = [claim_json(unique("CC-"), mbi, npi, [("G0089", "2025-03-03")]) for i, (_, npi) in
              enumerate(suppliers)]
    barrier = threading.Barrier(CLIENTS)
    with ServerThread(app) as server:
        def one(i):
            key = suppliers[i][0]
            with httpx.Client(base_url=server.url, timeout=60) as c:
                barrier.wait()
                r = c.post("/v1/claims", content=dumps(bodies[i]), headers=auth(key, **{"Content-Type": "application/json"}))
                return r.status_code, r.json()["status"]

        with ThreadPoolExecutor(CLIENTS) as pool:
            results = list(pool.map(one, range(CLIENTS)))
    assert all(code == 201 for code, _ in results), results
    statuses = [s for _, s in results]
    assert statuses.count("paid") == 1, statuses
    # the look-back is backwards only, so one day for all: the first committed is paid, the rest are
    # rejected (initial visit within 60 days) or denied (second line of the category that day)
    assert all(s in ("rejected", "denied") for s in statuses if s != "paid")


def _children(pid: int) -> list[str]:
    """Command lines of the live child processes of ``pid``."""
    out = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
            if int(fields.get("PPid", "0").strip()) == pid:
                out.append((status.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except (OSError, ValueError):
            continue
    return out


def test_two_server_processes_still_pay_one_and_run_one_batch_worker(db_url, keys, tmp_path):
    """``hitbenefit serve --workers 2``: two uvicorn processes share the port; the same-day initial
    visits sent at once through both are serialised (exactly one paid), and a batch is decided by
    the one batch worker the supervising process runs. On SQLite the processes queue on a file lock
    before ``BEGIN IMMEDIATE``; on PostgreSQL on the per-beneficiary advisory lock."""
    port = free_port()
    server = serve_subprocess(db_url, port, tmp_path, tmp_path / "serve.log", "--workers", "2")
    try:
        assert len([c for c in _children(server.pid) if "spawn_main" in c]) == 2
        mbi = new_mbi()
        suppliers = [keys.supplier() for _ in range(CLIENTS)]
        barrier = threading.Barrier(CLIENTS)

        def one(i):
            key, npi = suppliers[i]
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as c:
                body = dumps(claim_json(unique("CW-"), mbi, npi, [("G0089", "2025-04-07")]))
                barrier.wait()
                r = c.post("/v1/claims", content=body, headers=auth(key, **{"Content-Type": "application/json"}))
                return r.status_code, r.json()["status"]

        with ThreadPoolExecutor(CLIENTS) as pool:
            results = list(pool.map(one, range(CLIENTS)))
        assert all(code == 201 for code, _ in results), results
        assert [s for _, s in results].count("paid") == 1, results

        key, npi = keys.supplier()
        lines = "\n".join(dumps(claim_json(unique("BW-"), new_mbi(), npi, [("G0089", "2025-04-08")]))
                          for _ in range(3))
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as c:
            job = c.post("/v1/batches", content=lines, headers=auth(key, **{"Content-Type": "application/x-ndjson"}))
            assert job.status_code == 202, job.text
            deadline = time.monotonic() + 30
            while (state := c.get(job.json()["links"]["self"], headers=auth(key)).json())["status"] != "done":
                assert time.monotonic() < deadline, state
                time.sleep(0.2)
        assert state["counts"]["decided"] == 3 and state["counts"]["processed"] == 3
    finally:
        assert stop_server(server), "the server did not stop on SIGTERM"


def test_two_server_processes_share_each_keys_rate_limit(db_url, keys, tmp_path):
    """With ``--workers 2`` a key gets its burst once, not once per process: the processes share their
    token buckets (``SharedTokenBuckets``). Each client has its own connection, so both processes answer."""
    port = free_port()
    burst = 5
    server = serve_subprocess(db_url, port, tmp_path, tmp_path / "serve.log", "--workers", "2",
                              env={"HITBENEFIT_RATE_PER_SECOND": "0.001", "HITBENEFIT_RATE_BURST": str(burst)})
    try:
        key, _npi = keys.supplier()
        barrier = threading.Barrier(CLIENTS)

        def one(_i):
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as c:
                barrier.wait()
                return c.get("/v1/rates/2025", headers=auth(key)).status_code

        with ThreadPoolExecutor(CLIENTS) as pool:
            codes = list(pool.map(one, range(CLIENTS)))
        assert codes.count(200) == burst and codes.count(429) == CLIENTS - burst, codes
    finally:
        stop_server(server)

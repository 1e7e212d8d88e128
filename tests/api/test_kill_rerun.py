"""A batch job killed at any point and rerun finishes with every claim decided exactly once: a real
``hitbenefit serve`` process is SIGKILLed mid-job, restarted on the same database, the same file
is resubmitted (same job) and the store holds each claim and decision exactly once."""

import signal
import subprocess
import time

import httpx
import sqlalchemy as sa

from hitbenefit.store import Store
from hitbenefit.store.schema import claims as claims_table, decisions as decisions_table
from tests.api.conftest import auth, claim_json, dumps, free_port, new_mbi, serve_subprocess, unique

CLAIMS = 400


def test_sigkill_mid_batch_then_rerun_decides_every_claim_once(databases, tmp_path):
    url = databases.new_url()
    with Store.open(url) as store:
        key, _ = store.create_api_key("contractor")
    prefix = unique("KR-")
    npi = "1234567893"
    bodies = [claim_json(f"{prefix}-{i:04d}", new_mbi(), npi, [("G0089", f"2025-03-{1 + i % 28:02d}")])
              for i in range(CLAIMS)]
    jsonl = "\n".join(dumps(b) for b in bodies) + "\n"
    headers = auth(key, **{"Content-Type": "application/x-ndjson"})
    port = free_port()
    proc = serve_subprocess(url, port, tmp_path, tmp_path / "server.log")
    base = f"http://127.0.0.1:{port}"
    try:
        job = httpx.post(f"{base}/v1/batches", content=jsonl, headers=headers, timeout=60)
        assert job.status_code == 202, job.text
        job_id = job.json()["job_id"]
        processed = 0
        deadline = time.monotonic() + 60
        while processed < 25 and time.monotonic() < deadline:
            processed = httpx.get(f"{base}/v1/batches/{job_id}", headers=auth(key), timeout=10).json()["counts"]["processed"]
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        assert processed < CLAIMS, "the job finished before the kill; nothing was interrupted"
    finally:
        if proc.poll() is None:
            proc.kill()
    proc = serve_subprocess(url, port, tmp_path, tmp_path / "server.log")
    try:
        again = httpx.post(f"{base}/v1/batches", content=jsonl, headers=headers, timeout=60)
        assert again.status_code == 200 and again.json()["job_id"] == job_id
        deadline = time.monotonic() + 120
        while True:
            state = httpx.get(f"{base}/v1/batches/{job_id}", headers=auth(key), timeout=10).json()
            if state["status"] == "done" or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert state["status"] == "done" and state["counts"]["decided"] == CLAIMS, state
        items = httpx.get(f"{base}/v1/batches/{job_id}/decisions?limit=10000", headers=auth(key), timeout=30).json()["items"]
        assert sorted(i["claim_id"] for i in items) == sorted(b["claim_id"] for b in bodies)
        assert all(i["decision"]["status"] in ("paid", "rejected", "denied", "partial") for i in items)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
    with Store.open(url) as store, store.engine.connect() as conn:
        rows = conn.execute(sa.select(claims_table.c.claim_id, sa.func.count())
                            .where(claims_table.c.claim_id.like(f"{prefix}-%"))
                            .group_by(claims_table.c.claim_id)).all()
        decided = conn.execute(sa.select(sa.func.count()).select_from(
            decisions_table.join(claims_table, decisions_table.c.claim_ref == claims_table.c.id))
            .where(claims_table.c.claim_id.like(f"{prefix}-%"))).scalar_one()
    assert len(rows) == CLAIMS and all(count == 1 for _, count in rows)
    assert decided == CLAIMS

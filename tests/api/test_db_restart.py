"""A database restart mid-run gives errors to the clients that were affected and loses nothing that
was acknowledged (issue 4, reliability).

A real ``hitbenefit serve`` process runs against a throwaway PostgreSQL database; several client
threads submit distinct claims (contractor and supplier keys) while the PostgreSQL server itself is
restarted (``pg_ctlcluster --skip-systemctl-redirect VERSION main restart --mode fast``: every
backend is terminated, then the server is down until it has started again). The clients keep
submitting until well after it is back. Then:

- every response is a success (200/201 with the decision) or a clear error: a 503 problem
  details body (or a transport error for a request in flight), never a 500 or a traceback;
- at least one request was affected (the restart really happened under load), and requests
  succeeded again after it, through the same server process (the pool recovered);
- every claim acknowledged with 200/201 is in the database exactly once, with exactly the
  decision that was returned;
- every claim that got an error, resubmitted after the restart, succeeds (201, or 200 if its
  commit had landed before the connection died) and is then stored exactly once too.

PostgreSQL only (SQLite has no server to restart). With CI=true a missing server, or no way to
restart it (not root / postgres, no pg_ctlcluster), is a failure, not a skip. Whatever happens the
server is left running and accepting connections before the test ends.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from collections import Counter
from decimal import Decimal

import httpx
import pytest
import sqlalchemy as sa

from hitbenefit.store import Store
from hitbenefit.store.schema import claims as claims_table, decisions as decisions_table
from tests.api.conftest import (IN_CI, auth, claim_json, dumps, free_port, new_mbi, new_npi, serve_subprocess,
                                stop_server, unique)
from tests.store.conftest import PG_DB, PG_HOST, PG_PORT

CLIENTS = 6                      # half contractor, half supplier keys
BEFORE_RESTART = 60              # successes before PostgreSQL is restarted
AFTER_BACK_S = 2.0               # keep submitting this long after PostgreSQL is back
STATUSES = {"paid", "partial", "denied", "rejected"}
JSON_HEADERS = {"Content-Type": "application/json"}


# ---- the PostgreSQL server ----------------------------------------------------------------------
def _cluster() -> tuple[str, str] | None:
    """(version, name) of the cluster on PG_PORT, from ``pg_lsclusters``."""
    if shutil.which("pg_lsclusters") is None:
        return None
    out = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True, timeout=30).stdout
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 3 and fields[2] == str(PG_PORT):
            return fields[0], fields[1]
    return None


def _pg_ctl(action: str, cluster: tuple[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", *cluster, action, "--mode", "fast"]
                          if action != "start" else
                          ["pg_ctlcluster", "--skip-systemctl-redirect", *cluster, action],
                          capture_output=True, text=True, timeout=120)


def _accepts(user: str) -> bool:
    import psycopg
    try:
        with psycopg.connect(host=PG_HOST, port=PG_PORT, dbname=PG_DB, user=user, connect_timeout=2) as conn:
            conn.execute("SELECT 1")
        return True
    except Exception:  # noqa: BLE001
        return False


def _wait_accepting(user: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _accepts(user):
            return True
        time.sleep(0.2)
    return False


def _ensure_running(user: str, cluster: tuple[str, str]) -> None:
    """Leave PostgreSQL running and accepting connections, starting it if a restart went wrong."""
    if _wait_accepting(user, 5):
        return
    _pg_ctl("start", cluster)
    assert _wait_accepting(user, 60), "PostgreSQL did not come back after the restart test"


@pytest.fixture
def pg_restart(databases):
    """Restarts the PostgreSQL server; skip (fail with CI=true) when this process cannot."""
    cluster = _cluster()
    why = None
    if cluster is None:
        why = f"no pg_ctlcluster cluster on port {PG_PORT}"
    elif os.geteuid() != 0 and os.environ.get("USER") != "postgres":
        why = "restarting PostgreSQL needs root or postgres"
    if why:
        if IN_CI:
            pytest.fail(f"CI=true requires a restartable PostgreSQL: {why}", pytrace=False)
        pytest.skip(why)
    user = databases.pg_user
    try:
        yield lambda: _pg_ctl("restart", cluster)
    finally:
        _ensure_running(user, cluster)


# ---- the API server -----------------------------------------------------------------------------
# ---- the clients --------------------------------------------------------------------------------
class Outcome:
    """One POST /v1/claims: the claim, when, and what came back."""

    def __init__(self, body: dict, key: str, started: float) -> None:
        self.body, self.key, self.started = body, key, started
        self.status: int | None = None      # None: a transport error
        self.finished = started
        self.text = self.content_type = self.error = ""

    @property
    def ok(self) -> bool:
        return self.status in (200, 201)


def _post(client: httpx.Client, base: str, key: str, body: dict) -> Outcome:
    out = Outcome(body, key, time.monotonic())
    try:
        response = client.post(f"{base}/v1/claims", content=dumps(body), headers=auth(key, **JSON_HEADERS))
        out.status, out.text = response.status_code, response.text
        out.content_type = response.headers.get("content-type", "")
    except httpx.TransportError as exc:
        out.error = f"{exc.__class__.__name__}: {exc}"
    out.finished = time.monotonic()
    return out


def _check_response(out: Outcome) -> str | None:
    """Why ``out`` is neither a success with a decision nor a clear error; None if it is fine."""
    if "Traceback" in out.text or 'File "' in out.text:
        return f"a traceback in the body ({out.status})"
    if out.status is None:
        return None                                            # a request in flight when it broke
    if out.ok:
        decision = json.loads(out.text)
        if decision.get("claim_id") != out.body["claim_id"] or decision.get("status") not in STATUSES:
            return f"{out.status} without the claim's decision: {out.text[:200]}"
        return None
    if out.status == 503:
        problem = json.loads(out.text)
        if not out.content_type.startswith("application/problem+json") or problem.get("status") != 503 \
                or not problem.get("title") or not problem.get("detail"):
            return f"503 that is not problem details: {out.text[:200]}"
        return None
    return f"unexpected {out.status}: {out.text[:200]}"


@pytest.mark.parametrize("databases", ["postgresql"], indirect=True)   # PostgreSQL only: see the docstring
def test_postgresql_restart_mid_run_loses_nothing_acknowledged(databases, pg_restart, tmp_path):
    url = databases.new_url()
    keys: list[tuple[str, str]] = []                           # (key, the supplier npi its claims carry)
    with Store.open(url) as store:
        for i in range(CLIENTS):
            if i % 2:
                npi = new_npi()
                keys.append((store.create_api_key("supplier", supplier_npi=npi)[0], npi))
            else:
                keys.append((store.create_api_key("contractor")[0], new_npi()))
    prefix = unique("DR-")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server_log = tmp_path / "server.log"
    proc = serve_subprocess(url, port, tmp_path, server_log)

    outcomes: list[list[Outcome]] = [[] for _ in range(CLIENTS)]
    stop = threading.Event()
    successes = Counter()
    lock = threading.Lock()

    def client(n: int) -> None:
        key, npi = keys[n]
        with httpx.Client(timeout=20) as http:
            i = 0
            while not stop.is_set():
                body = claim_json(f"{prefix}-{n}-{i:05d}", new_mbi(), npi,
                                  [("G0089", f"2025-03-{1 + i % 28:02d}")])
                out = _post(http, base, key, body)
                outcomes[n].append(out)
                if out.ok:
                    with lock:
                        successes["all"] += 1
                i += 1

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(CLIENTS)]
    try:
        for t in threads:
            t.start()
        deadline = time.monotonic() + 20
        while successes["all"] < BEFORE_RESTART and time.monotonic() < deadline:
            time.sleep(0.02)
        assert successes["all"] >= BEFORE_RESTART, "too few claims went through before the restart"

        restart_at = time.monotonic()
        restarted = pg_restart()
        assert restarted.returncode == 0, f"restart failed: {restarted.stdout}{restarted.stderr}"
        assert _wait_accepting(databases.pg_user, 30), "PostgreSQL did not accept connections after restart"
        back_at = time.monotonic()
        time.sleep(AFTER_BACK_S)
    finally:
        stop.set()
        for t in threads:
            t.join(30)

    try:
        everything = [o for per in outcomes for o in per]
        bad = [(o.body["claim_id"], why) for o in everything if (why := _check_response(o))]
        assert not bad, f"{len(bad)} responses neither a decision nor a clear error, e.g. {bad[:3]}"

        affected = [o for o in everything if not o.ok]
        assert affected, "no request was affected: the restart did not happen under load"
        assert all(o.finished >= restart_at for o in affected), "a request failed before the restart began"
        after = [o for o in everything if o.ok and o.started > back_at]
        assert len(after) >= CLIENTS, "too few claims succeeded after PostgreSQL was back"
        assert all(any(o.ok and o.started > back_at for o in per) for per in outcomes), \
            "a client never succeeded again after the restart"

        # resubmit every claim that got an error: idempotency makes that safe
        resubmitted: list[Outcome] = []
        with httpx.Client(timeout=20) as http:
            for o in affected:
                again = _post(http, base, o.key, o.body)
                assert again.ok, f"{o.body['claim_id']}: resubmission got {again.status} {again.text[:200]}{again.error}"
                assert _check_response(again) is None
                resubmitted.append(again)
            # and the very same server still serves reads and new claims
            read = http.get(f"{base}/v1/claims/{affected[0].body['claim_id']}", headers=auth(affected[0].key))
            assert read.status_code == 200, read.text
            key, npi = keys[1]
            fresh = _post(http, base, key, claim_json(f"{prefix}-fresh", new_mbi(), npi, [("G0089", "2025-03-03")]))
            assert fresh.status == 201, fresh.text
        assert proc.poll() is None, "the API server died"
    finally:
        stop_server(proc)
    server_stderr = server_log.read_text(errors="replace")
    assert "Exception in ASGI application" not in server_stderr, server_stderr[-3000:]

    # nothing acknowledged is lost, nothing is stored twice, the decision is the one returned
    acknowledged = {o.body["claim_id"]: o for o in everything + resubmitted if o.ok}
    assert set(acknowledged) == {o.body["claim_id"] for o in everything}
    assert all(o.status == 201 for o in everything if o.ok), "a first submission was a replay"
    with Store.open(url) as store, store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(claims_table.c.claim_id, claims_table.c.supplier_npi, decisions_table.c.decision)
            .select_from(claims_table.outerjoin(decisions_table, decisions_table.c.claim_ref == claims_table.c.id))
            .where(claims_table.c.claim_id.like(f"{prefix}-%"), claims_table.c.claim_id != f"{prefix}-fresh")
        ).all()
    counts = Counter(r.claim_id for r in rows)
    assert not [c for c, n in counts.items() if n != 1], "a claim is stored more than once"
    assert set(counts) == set(acknowledged), "stored claims differ from the acknowledged ones"
    for row in rows:
        out = acknowledged[row.claim_id]
        assert row.supplier_npi == out.body["supplier"]["npi"]
        assert row.decision is not None, f"{row.claim_id} stored without a decision"
        assert json.loads(row.decision, parse_float=Decimal) == json.loads(out.text, parse_float=Decimal), \
            f"{row.claim_id}: the stored decision differs from the one returned"
    print(f"\n{len(everything)} submissions, {len(affected)} affected "
          f"({Counter(o.status for o in affected)}), {len(resubmitted)} resubmitted "
          f"({Counter(o.status for o in resubmitted)}), {len(after)} succeeded after the restart")

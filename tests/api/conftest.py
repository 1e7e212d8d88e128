"""API tests run on SQLite always and on PostgreSQL too (CI=true: a missing server is a failure).
The throwaway-database fixtures are the store's own (tests/store/conftest.py), reused here."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

import pytest
import simplejson

from hitbenefit.api import Settings, create_app
from hitbenefit.store import Store
from tests.store.conftest import (IN_CI, Databases, claim_json, databases, db_url, new_mbi, new_npi,  # noqa: F401
                                  tables, unique)

JSON = {"Content-Type": "application/json"}


ROOT = Path(__file__).resolve().parents[2]


def dumps(value) -> str:
    return simplejson.dumps(value, use_decimal=True)


def auth(key: str, **more) -> dict:
    return {"Authorization": f"Bearer {key}", **more}


@pytest.fixture
def store(db_url):  # noqa: F811
    with Store.open(db_url) as opened:
        yield opened


def make_client(store, tables, **settings):  # noqa: F811
    from fastapi.testclient import TestClient
    values = {"rate_per_second": 10_000.0, "rate_burst": 10_000, **settings}
    return TestClient(create_app(store=store, tables=tables, settings=Settings(**values)))


@pytest.fixture
def client(store, tables):  # noqa: F811
    with make_client(store, tables) as c:
        yield c


class Keys:
    def __init__(self, store) -> None:
        self.store = store

    def supplier(self, npi: str | None = None) -> tuple[str, str]:
        npi = npi or new_npi()
        return self.store.create_api_key("supplier", supplier_npi=npi)[0], npi

    def contractor(self) -> str:
        return self.store.create_api_key("contractor")[0]

    def analyst(self) -> str:
        return self.store.create_api_key("analyst")[0]


@pytest.fixture
def keys(store):
    return Keys(store)


def serve_subprocess(url: str, port: int, home: Path, log: Path, *more: str,
                     env: dict[str, str] | None = None) -> subprocess.Popen:
    """``python -m hitbenefit.cli.serve`` on a loopback port (rate limit out of the way unless ``env``
    sets it, stderr to ``log``, ``more`` options), returned once it answers /openapi.json."""
    env = {**os.environ, "HITBENEFIT_HOME": str(home), "HITBENEFIT_RATE_PER_SECOND": "100000",
           "HITBENEFIT_RATE_BURST": "100000", **(env or {})}
    proc = subprocess.Popen([sys.executable, "-m", "hitbenefit.cli.serve", "--port", str(port), "--db", url,
                             "--log-level", "warning", *more], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=log.open("ab"))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(log.read_text())
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


def stop_server(proc: subprocess.Popen) -> bool:
    """Stop a server started by ``serve_subprocess``: SIGTERM, then SIGKILL if it lingers; whether
    SIGTERM was enough."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
            return False
    return True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerThread:
    """A real uvicorn server on a loopback port, in a thread of the test process."""

    def __init__(self, app) -> None:
        import uvicorn
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, access_log=False,
                                                    log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(15)

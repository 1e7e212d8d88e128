"""Every store test runs on SQLite (a temporary file) and on PostgreSQL.

PostgreSQL: the server on 127.0.0.1:5432 (database ``test``, trust auth), as the first of
$HITBENEFIT_TEST_PG_USER, postgres, root or the current user that can connect. Each test session
creates its own throwaway databases (``hitbenefit_test_<random>``) and drops them at the end. With
CI=true a missing server is a failure, not a skip.
"""

from __future__ import annotations

import copy
import getpass
import json
import os
import secrets
from decimal import Decimal
from pathlib import Path

import pytest

from hitbenefit import service
from hitbenefit.claims.read_json import claim_from_json
from hitbenefit.store import Store

PG_HOST, PG_PORT, PG_DB = "127.0.0.1", 5432, "test"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "claims" / "example-claim.json"
IN_CI = os.environ.get("CI", "").lower() == "true"


def _pg_user() -> tuple[str | None, str]:
    """The first user that can connect, or (None, why not)."""
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover
        return None, f"psycopg is not installed ({exc})"
    users = [os.environ.get("HITBENEFIT_TEST_PG_USER"), "postgres", "root", getpass.getuser()]
    last = "no user tried"
    for user in dict.fromkeys(u for u in users if u):
        try:
            with psycopg.connect(host=PG_HOST, port=PG_PORT, dbname=PG_DB, user=user, connect_timeout=3):
                return user, ""
        except Exception as exc:  # noqa: BLE001
            last = f"{user}: {str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__}"
    return None, f"no PostgreSQL server usable at {PG_HOST}:{PG_PORT}/{PG_DB} ({last})"


class Databases:
    """Makes throwaway databases for one backend and drops them at the end of the session."""

    def __init__(self, backend: str, tmp_dir: Path, pg_user: str | None) -> None:
        self.backend, self.tmp_dir, self.pg_user = backend, tmp_dir, pg_user
        self.made: list[str] = []

    def new_url(self) -> str:
        name = f"hitbenefit_test_{secrets.token_hex(6)}"
        if self.backend == "sqlite":
            return f"sqlite:///{self.tmp_dir / (name + '.db')}"
        import psycopg
        with psycopg.connect(host=PG_HOST, port=PG_PORT, dbname=PG_DB, user=self.pg_user, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.made.append(name)
        return f"postgresql+psycopg://{self.pg_user}@{PG_HOST}:{PG_PORT}/{name}"

    def drop_all(self) -> None:
        if not self.made:
            return
        import psycopg
        with psycopg.connect(host=PG_HOST, port=PG_PORT, dbname=PG_DB, user=self.pg_user, autocommit=True) as conn:
            for name in self.made:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def databases(request, tmp_path_factory):
    backend = request.param
    user = None
    if backend == "postgresql":
        user, why = _pg_user()
        if user is None:
            if IN_CI:
                pytest.fail(f"CI=true requires PostgreSQL: {why}", pytrace=False)
            pytest.skip(f"PostgreSQL tests skipped: {why}")
    made = Databases(backend, tmp_path_factory.mktemp(f"store-{backend}"), user)
    yield made
    made.drop_all()


@pytest.fixture(scope="session")
def db_url(databases) -> str:
    """One migrated database per backend for the session; tests keep apart by their own ids."""
    url = databases.new_url()
    Store.open(url).close()
    return url


@pytest.fixture
def store(db_url):
    with Store.open(db_url) as opened:
        yield opened


@pytest.fixture(scope="session")
def tables():
    return service.load_tables()


def unique(prefix: str = "") -> str:
    return prefix + secrets.token_hex(5).upper()


def new_mbi() -> str:
    return "1EG4" + secrets.token_hex(4).upper()[:7]


def new_npi() -> str:
    return "1" + "".join(str(secrets.randbelow(10)) for _ in range(9))


def claim_json(claim_id: str, mbi: str, npi: str, visits: list[tuple[str, str]], **changes) -> dict:
    """The example claim for ``mbi`` from supplier ``npi``, with one G-code line and its drug line
    (J1559, JB) per (hcpcs, date) in ``visits``."""
    base = json.loads(EXAMPLE.read_text(), parse_float=Decimal)
    base = copy.deepcopy(base)
    base["claim_id"], base["beneficiary"]["mbi"], base["supplier"]["npi"] = claim_id, mbi, npi
    base["beneficiary"]["institutional_stays"] = []
    base.pop("received_date", None)
    lines = []
    for hcpcs, day in visits:
        n = len(lines) + 1
        lines.append({"line": n, "hcpcs": hcpcs, "modifiers": [], "units": 8, "service_date": day,
                      "place_of_service": "12", "charge": Decimal("450.00"),
                      "visit": {"in_person": True, "drug_administered": True, "minutes": 120}})
        lines.append({"line": n + 1, "hcpcs": "J1559", "modifiers": ["JB"], "units": 40, "service_date": day,
                      "place_of_service": "12", "charge": Decimal("0.00"), "drug_name": None})
    base["lines"] = lines
    base.update(changes)
    return base


def make_claim(claim_id: str, mbi: str, npi: str, visits: list[tuple[str, str]], **changes):
    return claim_from_json(claim_json(claim_id, mbi, npi, visits, **changes))

"""Directory tests run on SQLite and on PostgreSQL (CI=true: a missing server is a failure). The
directory is one shared snapshot history, not per supplier: each test starts from an empty one."""

from __future__ import annotations

from pathlib import Path

import pytest

from hitbenefit.store import Store
from hitbenefit.store.database import write_transaction
from hitbenefit.store.schema import directory_imports, directory_service_areas, directory_suppliers
from tests.store.conftest import databases, tables  # noqa: F401

DATA = Path(__file__).parent / "data"
JANUARY = DATA / "providers-2025-01.csv"
JUNE = DATA / "providers-2025-06.csv"


@pytest.fixture(scope="session")
def directory_db(databases):  # noqa: F811
    url = databases.new_url()
    Store.open(url).close()
    return url


@pytest.fixture
def url(directory_db):
    """The session's database with an empty directory."""
    with Store.open(directory_db) as store, write_transaction(store.engine) as conn:
        for table in (directory_service_areas, directory_suppliers, directory_imports):
            conn.execute(table.delete())
    return directory_db


@pytest.fixture
def store(url):
    with Store.open(url) as opened:
        yield opened

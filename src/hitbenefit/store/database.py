"""Which database, and how to talk to it: URL resolution, engines, transactions and locks.

SQLite: one file, WAL journal, ``synchronous=NORMAL``, a busy timeout, foreign keys on; a writing
transaction starts with ``BEGIN IMMEDIATE`` (the database write lock, taken at once, so two writers
never both read a beneficiary's history before either writes). Writers of one process first queue
on an in-process lock (one per engine) and only then ask SQLite for its write lock: SQLite's own
busy handler waits by sleeping (1, 2, 5, 10 ... 100 ms), which under contention turns a
sub-millisecond wait into tens of milliseconds; the busy timeout still covers other processes.
PostgreSQL (psycopg 3): READ COMMITTED, and a writing transaction takes ``pg_advisory_xact_lock``
on a stable 64-bit hash of what it serialises (the beneficiary's MBI), released at commit or
rollback.
"""

from __future__ import annotations

import hashlib
import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine, make_url

ENV_URL = "HITBENEFIT_DATABASE_URL"
SQLITE_BUSY_TIMEOUT_S = 30.0


def data_home() -> Path:
    """``$HITBENEFIT_HOME`` or ``~/.local/share/hitbenefit`` (as for imported rate tables)."""
    home = os.environ.get("HITBENEFIT_HOME")
    return Path(home) if home else Path.home() / ".local" / "share" / "hitbenefit"


def resolve_url(url: str | None = None) -> str:
    """The database URL to use: ``url``, else ``$HITBENEFIT_DATABASE_URL``, else the SQLite file
    ``hitbenefit.db`` under the data home. ``postgresql://`` and ``postgres://`` mean psycopg 3; a
    plain path means a SQLite file."""
    url = url or os.environ.get(ENV_URL) or ""
    if not url:
        path = data_home() / "hitbenefit.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path}"
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().absolute()}"
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain):]
    return url


def safe_url(url: str) -> str:
    """The URL with any password hidden, for messages and ``db info``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a message must never fail
        return "<unparseable database URL>"


def create_engine(url: str) -> Engine:
    parsed: URL = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        on_disk = bool(parsed.database) and parsed.database != ":memory:"
        if on_disk:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        pool = {"pool_size": 8, "max_overflow": 32} if on_disk else {}  # a file: a QueuePool
        engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "isolation_level": None,
                                                     "check_same_thread": False}, **pool)
        engine._hitbenefit_writer_lock = threading.RLock()  # type: ignore[attr-defined]

        @sa.event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection, _record):  # noqa: ANN001
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @sa.event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Connection):
            mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def is_sqlite(engine_or_conn: Engine | Connection) -> bool:
    return engine_or_conn.dialect.name == "sqlite"


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that may write. On SQLite it holds the database write lock from its first
    statement (``BEGIN IMMEDIATE``, waiting up to the busy timeout), after queueing on the
    engine's in-process writer lock (see the module docstring)."""
    writer = getattr(engine, "_hitbenefit_writer_lock", None)
    if writer is None:
        with engine.connect() as conn:
            with conn.begin():
                yield conn
        return
    with engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn:
        if not writer.acquire(timeout=SQLITE_BUSY_TIMEOUT_S):
            raise sa.exc.OperationalError("BEGIN IMMEDIATE", None, TimeoutError("in-process writer lock"))
        try:
            with conn.begin():
                yield conn
        finally:
            writer.release()


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that only reads (it may append an audit row)."""
    with engine.connect() as conn:
        with conn.begin():
            yield conn


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for ``name`` (blake2b), the same in every process and release."""
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "big", signed=True)


def lock(conn: Connection, name: str) -> None:
    """Serialise on ``name`` until the transaction ends: a PostgreSQL transaction-level advisory
    lock; nothing more is needed on SQLite, whose writing transactions already hold the database
    write lock (see ``write_transaction``)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(name)})

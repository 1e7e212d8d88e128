"""Which database, and how to talk to it: URL resolution, engines, transactions and locks.

SQLite: one file, WAL journal, ``synchronous=NORMAL``, a busy timeout, foreign keys on; a writing
transaction starts with ``BEGIN IMMEDIATE`` (the database write lock, taken at once, so two writers
never both read a beneficiary's history before either writes). Writers first queue on a
``_WriterLock``: the threads of one process on an in-process lock, then the processes (several
``hitbenefit serve --workers``, a CLI beside a server) on ``flock(2)`` of a file beside the database,
and only then ask SQLite for its write lock: SQLite's own busy handler waits by sleeping (1, 2, 5,
10 ... 100 ms), which under contention turns a sub-millisecond wait into tens of milliseconds, while
both queues wait in the kernel and wake the next writer at once. ``BEGIN IMMEDIATE`` alone keeps the
writers serialised (the queues only make waiting cheap), and its busy timeout still covers any
process that does not queue.
PostgreSQL (psycopg 3): READ COMMITTED, and a writing transaction takes ``pg_advisory_xact_lock``
on a stable 64-bit hash of what it serialises (the beneficiary's MBI), released at commit or
rollback. A pooled connection is pinged before use only when it has been idle for more than
``PING_IDLE_S`` (a busy service pays no extra round trip; one left idle across a database restart
is replaced instead of failing a request). A connection cut while in use raises ``OperationalError``
and SQLAlchemy then recycles the whole pool.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
import time
import weakref
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine, make_url

ENV_URL = "HITBENEFIT_DATABASE_URL"
SQLITE_BUSY_TIMEOUT_S = 30.0
PING_IDLE_S = 1.0


def utc_now() -> datetime:
    """Now, in UTC (every stored timestamp is timezone-aware UTC)."""
    return datetime.now(timezone.utc)


def as_utc(value: datetime | None) -> datetime | None:
    """A timestamp read back from the database as UTC (SQLite returns them without a zone)."""
    return value.replace(tzinfo=timezone.utc) if value is not None and value.tzinfo is None else value


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
        engine._hitbenefit_writer_lock = _WriterLock(  # type: ignore[attr-defined]
            Path(parsed.database + "-writer.lock") if on_disk else None)

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
    engine = sa.create_engine(url, pool_size=10, max_overflow=20)

    @sa.event.listens_for(engine, "checkin")
    def _idle_since(_dbapi_connection, record):  # noqa: ANN001
        record.info["idle_since"] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy):  # noqa: ANN001
        if time.monotonic() - record.info.get("idle_since", float("inf")) <= PING_IDLE_S:
            return
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            dbapi_connection.rollback()
        except Exception as exc:  # noqa: BLE001 - a dead connection: the pool connects anew (up to 3 tries)
            raise sa.exc.DisconnectionError(exc.__class__.__name__) from exc

    return engine


class _WriterLock:
    """The queue of one SQLite database's writers (see the module docstring): re-entrant within a
    thread; the file lock is taken by the outermost holder and opened anew in a forked child."""

    def __init__(self, path: Path | None) -> None:
        self._threads = threading.RLock()
        self._depth = 0  # changed only by the holder of ``_threads``
        self._path, self._fd, self._pid = path, None, None

    def acquire(self, timeout: float) -> bool:
        if not self._threads.acquire(timeout=timeout):
            return False
        try:
            if self._depth == 0 and self._path is not None:
                if self._pid != os.getpid():
                    self._fd, self._pid = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600), os.getpid()
                    weakref.finalize(self, os.close, self._fd)
                fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            self._threads.release()
            raise
        self._depth += 1
        return True

    def release(self) -> None:
        self._depth -= 1
        if self._depth == 0 and self._path is not None and self._pid == os.getpid():
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._threads.release()


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
def autocommit(engine: Engine) -> Iterator[Connection]:
    """A PostgreSQL connection whose every statement commits on its own (no BEGIN/COMMIT round
    trips): for one read followed by one audited write that must be durable before returning."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        yield conn


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

"""``hitbenefit serve [--port N] [--host 127.0.0.1] [--db URL] [--workers N]``: the REST API under uvicorn.

Registered from cli/main.py with ``serve.register(app)``. uvicorn's own access log is off: it
writes raw paths, and ``/v1/beneficiaries/{mbi}/history`` holds an MBI; the API logs route
templates, key ids and claim ids instead (``hitbenefit.api``).

With ``--workers N`` (N > 1) uvicorn runs N server processes on the one port, each with its own
connection pool; this process migrates the database first, supervises them, and runs the one
batch worker (the server processes run none, so no two workers take the same job; it polls every
second). Per-beneficiary serialisation holds across processes: PostgreSQL advisory locks, and on
SQLite ``BEGIN IMMEDIATE`` behind a file lock (``hitbenefit.store.database``). So do the per-key and
per-address rate limits: the processes share their token buckets in one file
(``api.ratelimit.SharedTokenBuckets``).
"""

from __future__ import annotations

import logging
from typing import Annotated, Optional

import typer


def serve(
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")] = 8000,
    host: Annotated[str, typer.Option("--host", help="Address to listen on (loopback unless "
                                                     "HITBENEFIT_ALLOW_PUBLIC_BIND=1).")] = "127.0.0.1",
    db: Annotated[Optional[str], typer.Option("--db", help="Database URL or SQLite path "
                                                          "(default $HITBENEFIT_DATABASE_URL, else a SQLite file "
                                                          "under $HITBENEFIT_HOME).")] = None,
    log_level: Annotated[str, typer.Option("--log-level", help="debug, info, warning or error.")] = "info",
    workers: Annotated[int, typer.Option("--workers", min=1, max=16, help="Server processes (the batch worker then "
                                                                           "runs in this supervising process).")] = 1,
) -> None:
    """Serve the REST API under /v1 (OpenAPI at /openapi.json) and the web workbench at /."""
    import uvicorn

    from hitbenefit.api import Settings, SettingsError, create_app

    try:
        settings = Settings.from_env(database_url=db, host=host)
    except SettingsError as exc:
        typer.echo(f"hitbenefit: {exc}", err=True)
        raise typer.Exit(2) from None
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    options = dict(host=host, port=port, access_log=False, log_level=log_level, timeout_graceful_shutdown=10,
                   **_fast_io())
    if workers == 1:
        uvicorn.run(create_app(settings=settings), **options)
        return
    _serve_processes(settings, workers, options)


def _serve_processes(settings, workers: int, options: dict) -> None:
    """N uvicorn processes built by ``create_app`` from the environment (the database URL,
    ``HITBENEFIT_BATCH_WORKER=0`` and the rate-limit file they share are passed down); the batch worker
    runs here."""
    import os
    import tempfile

    import uvicorn

    from hitbenefit.api.batches import Worker
    from hitbenefit.service import load_tables
    from hitbenefit.store import Store, resolve_url

    url = resolve_url(settings.database_url)
    handle, rate_file = tempfile.mkstemp(prefix="hitbenefit-rate-",
                                         dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    os.close(handle)
    os.environ.update(HITBENEFIT_DATABASE_URL=url, HITBENEFIT_BATCH_WORKER="0", HITBENEFIT_RATE_FILE=rate_file)
    try:
        with Store.open(url) as store:
            worker = Worker(store, load_tables()) if settings.batch_worker else None
            if worker is not None:
                worker.start()
            try:
                uvicorn.run("hitbenefit.api.app:create_app", factory=True, workers=workers, **options)
            finally:
                if worker is not None:
                    worker.stop()
    finally:
        os.unlink(rate_file)


def _fast_io() -> dict:
    """uvloop and httptools (pinned dependencies) when importable, else asyncio and h11."""
    options = {}
    try:
        import uvloop  # noqa: F401
        options["loop"] = "uvloop"
    except ImportError:
        pass
    try:
        import httptools  # noqa: F401
        options["http"] = "httptools"
    except ImportError:
        pass
    return options


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def main() -> None:  # ``python -m hitbenefit.cli.serve``: the same without cli/main.py's wiring
    runner = typer.Typer(add_completion=False)
    runner.command()(serve)
    runner()


if __name__ == "__main__":
    main()

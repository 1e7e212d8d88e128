"""``hitbenefit serve [--port N] [--host 127.0.0.1] [--db URL]``: the REST API under uvicorn.

Registered from cli/main.py with ``serve.register(app)``. uvicorn's own access log is off: it
writes raw paths, and ``/v1/beneficiaries/{mbi}/history`` holds an MBI; the API logs route
templates, key ids and claim ids instead (``hitbenefit.api``).
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
) -> None:
    """Serve the REST API under /v1 (OpenAPI at /openapi.json)."""
    import uvicorn

    from hitbenefit.api import Settings, SettingsError, create_app

    try:
        settings = Settings.from_env(database_url=db, host=host)
    except SettingsError as exc:
        typer.echo(f"hitbenefit: {exc}", err=True)
        raise typer.Exit(2) from None
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app = create_app(settings=settings)
    uvicorn.run(app, host=host, port=port, access_log=False, log_level=log_level, timeout_graceful_shutdown=10,
                **_fast_io())


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

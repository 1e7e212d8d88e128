"""The web workbench for billers and intake nurses: server-rendered pages (Jinja2, plain forms;
htmx only enhances) on the same store, keys and roles as the REST API, served by ``hitbenefit
serve`` at ``/``. See docs/web.md."""

from __future__ import annotations

from pathlib import Path

STATIC = Path(__file__).parent / "static"


def mount(app) -> None:
    """Add the workbench's pages, its sign-in handling and its static files to the API's app."""
    from starlette.staticfiles import StaticFiles

    from hitbenefit.web import pages, session

    app.include_router(pages.router)
    app.add_exception_handler(session.SignInNeeded, session.to_sign_in)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

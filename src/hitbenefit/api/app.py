"""``create_app``: the FastAPI application. Every path is under ``/v1``; OpenAPI at ``/openapi.json``."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from hitbenefit import __version__
from hitbenefit.api import batches, billing, care, directory, routes
from hitbenefit.api.middleware import AccessLog, BodyLimit, FastPath
from hitbenefit.api.problems import Problem, field_error, problem_response
from hitbenefit.api.ratelimit import SharedTokenBuckets, TokenBuckets
from hitbenefit.api.schemas import COMPONENTS
from hitbenefit.api.settings import Settings

log = logging.getLogger("hitbenefit.api")


def create_app(store=None, tables=None, settings: Settings | None = None) -> FastAPI:
    """The API over ``store`` (default: ``Store.open(settings.database_url)``, closed on shutdown)
    with ``tables`` (default: the bundled ones)."""
    settings = settings or Settings.from_env()
    owns_store = store is None
    if store is None:
        from hitbenefit.store import Store
        store = Store.open(settings.database_url)
    if tables is None:
        from hitbenefit.service import load_tables
        tables = load_tables()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        worker = batches.Worker(store, tables) if settings.batch_worker else None
        app.state.worker = worker
        if worker is not None:
            worker.start()
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()
            if owns_store:
                store.close()

    app = FastAPI(title="hitbenefit", version=__version__, lifespan=lifespan, docs_url="/v1/docs", redoc_url=None,
                  description="Medicare Part B home infusion therapy (HIT) services claims: check, submit, read; "
                              "every rule cited. Keys as `Authorization: Bearer KEY`. Errors are RFC 9457 problem "
                              "details.")
    app.state.store, app.state.tables, app.state.settings = store, tables, settings
    app.state.buckets = (SharedTokenBuckets(settings.rate_file, settings.rate_per_second, settings.rate_burst)
                         if settings.rate_file else TokenBuckets(settings.rate_per_second, settings.rate_burst))
    app.state.worker = None
    app.include_router(routes.router)
    app.include_router(batches.router)
    from hitbenefit.web import mount as mount_workbench  # the web workbench at / (docs/web.md)
    mount_workbench(app)
    app.include_router(directory.router)
    app.include_router(care.router)
    app.include_router(billing.router)

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem):
        return problem_response(exc.status, exc.detail, _instance(request), exc.errors, exc.headers, exc.title)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        errors = [field_error(".".join(str(p) for p in e.get("loc", ())[1:]) or None, e.get("msg", "invalid"))
                  for e in exc.errors()]
        fields = ", ".join(e["field"] or "body" for e in errors)
        return problem_response(422, f"invalid request: {fields}", _instance(request), errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        detail = exc.detail if isinstance(exc.detail, str) else "error"
        return problem_response(exc.status_code, detail, _instance(request), [], getattr(exc, "headers", None))

    @app.exception_handler(OperationalError)
    async def _db_away(request: Request, exc: OperationalError):
        log.warning("database unavailable (%s)", exc.__class__.__name__)
        return problem_response(503, "the database is unavailable; nothing was stored by this request, retry later",
                                _instance(request), [], {"Retry-After": "1"})

    @app.exception_handler(SQLAlchemyError)
    async def _db_error(request: Request, exc: SQLAlchemyError):
        log.warning("database error (%s)", exc.__class__.__name__)  # never the message: it holds parameters
        return problem_response(503, "the database refused the request; retry later", _instance(request), [],
                                {"Retry-After": "1"})

    def openapi():
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        schema.setdefault("components", {}).setdefault("schemas", {}).update(COMPONENTS)
        schema["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
        schema["security"] = [{"bearer": []}]
        app.openapi_schema = schema
        return schema

    app.openapi = openapi
    # innermost first: the size limit sits inside the access log so that a 413 is logged too
    app.add_middleware(FastPath, handlers=routes.FAST_PATH)
    app.add_middleware(BodyLimit, claim_bytes=settings.max_claim_bytes, batch_bytes=settings.max_batch_bytes)
    app.add_middleware(AccessLog)
    return app


def _instance(request: Request) -> str:
    route = request.scope.get("route")
    return getattr(route, "path", None) or "/v1"

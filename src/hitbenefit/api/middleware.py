"""Pure ASGI middleware: a request-size limit (413) and one log line per request that names the
route template, status, duration, key id and claim id, never an MBI or a name (the raw path and
query string of ``/v1/beneficiaries/{mbi}/history`` and ``/v1/plans?mbi=`` hold MBIs)."""

from __future__ import annotations

import asyncio
import inspect
import logging
import time

from starlette.requests import Request

from hitbenefit.api.problems import field_error, problem_response

log = logging.getLogger("hitbenefit.api")
BATCH_PATH = "/v1/batches"
LARGE_BODY_PATHS = (BATCH_PATH, "/v1/directory/imports")  # these take the batch limit


class _TooLarge(Exception):
    pass


class BodyLimit:
    def __init__(self, app, claim_bytes: int, batch_bytes: int) -> None:
        self.app, self.claim_bytes, self.batch_bytes = app, claim_bytes, batch_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.batch_bytes if scope["path"].rstrip("/") in LARGE_BODY_PATHS else self.claim_bytes
        length = dict(scope.get("headers") or ()).get(b"content-length")
        if length is not None:
            try:
                too_big = int(length) > limit
            except ValueError:
                too_big = False
            if too_big:
                return await self._refuse(scope, receive, send, limit)
        seen = 0
        started = False

        async def counted():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge()
            return message

        async def tracked(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except _TooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send, limit)

    @staticmethod
    async def _refuse(scope, receive, send, limit: int):
        response = problem_response(413, f"the body is larger than the limit of {limit} bytes for this endpoint",
                                    "/v1" if not scope["path"].startswith("/v1") else _template(scope),
                                    [field_error(None, f"at most {limit} bytes")])
        await response(scope, receive, send)


def _template(scope) -> str:
    route = scope.get("route")
    return getattr(route, "path", None) or "(unrouted)"


class AccessLog:
    """One line per request: method, route template (not the raw path), status, ms, key, claim."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start = time.perf_counter()
        status = 500

        async def tracked(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        finally:
            state = scope.get("state") or {}
            log.info("%s %s %s %.1fms key=%s claim=%s", scope["method"], _template(scope), status,
                     (time.perf_counter() - start) * 1000, state.get("key_id", "-"), state.get("claim_id", "-"))


class _Route:
    """What ``scope["route"]`` must offer the access log and the problem responses: the template."""

    def __init__(self, path: str) -> None:
        self.path = path


class FastPath:
    """Serves the hot ``POST`` claim endpoints without FastAPI's router, dependency solving and
    inner middleware: the body is read here, then ``handlers[path](request, body)`` runs in ONE
    call on a thread pool sized to the database pool, and returns the response. Errors go to the
    application's own exception handlers (the same problem details as the routed endpoints, which
    stay declared in OpenAPI). Sits inside the body limit and the access log."""

    def __init__(self, app, handlers: dict, threads: int = 8) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.app, self.handlers = app, handlers
        self.routes = {path: _Route(path) for path in handlers}
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="hitbenefit-claims")

    async def __call__(self, scope, receive, send):
        handler = self.handlers.get(scope["path"]) if scope["type"] == "http" and scope["method"] == "POST" else None
        if handler is None:
            return await self.app(scope, receive, send)
        scope["route"] = self.routes[scope["path"]]
        request = Request(scope, receive)
        chunks = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        try:
            response = await asyncio.get_running_loop().run_in_executor(self.pool, handler, request, b"".join(chunks))
        except Exception as exc:  # noqa: BLE001 - only what the application has a handler for
            on_error = _handler_for(scope["app"].exception_handlers, exc)
            if on_error is None:
                raise
            response = on_error(request, exc)
            if inspect.isawaitable(response):
                response = await response
        await response(scope, receive, send)


def _handler_for(handlers: dict, exc: Exception):
    for cls in type(exc).__mro__:
        if cls in handlers:
            return handlers[cls]
    return None

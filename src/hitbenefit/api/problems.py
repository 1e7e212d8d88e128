"""RFC 9457 problem details: ``application/problem+json`` with type, title, status, detail,
instance, and ``errors: [{field, message}]`` naming the field at fault."""

from __future__ import annotations

from typing import Any

import simplejson
from starlette.responses import Response

PROBLEM_TYPE = "https://hitbenefit.example/problems/"
TITLES = {
    400: "Malformed request", 401: "Not authenticated", 403: "Forbidden", 404: "Not found",
    405: "Method not allowed", 409: "Conflict", 413: "Request too large", 415: "Unsupported media type",
    422: "Invalid claim", 429: "Too many requests", 500: "Internal error", 503: "Service unavailable",
}
SLUGS = {
    400: "malformed", 401: "unauthenticated", 403: "forbidden", 404: "not-found", 405: "method-not-allowed",
    409: "conflict", 413: "too-large", 415: "unsupported-media-type", 422: "invalid", 429: "rate-limited",
    500: "internal", 503: "unavailable",
}


class Problem(Exception):
    """Raise from a handler to answer with a problem document."""

    def __init__(self, status: int, detail: str, errors: list[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None, title: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.errors, self.headers = status, detail, errors or [], headers or {}
        self.title = title or TITLES.get(status, "Error")


def field_error(field: str | None, message: str) -> dict[str, Any]:
    return {"field": field, "message": message}


def problem_response(status: int, detail: str, instance: str, errors: list[dict] | None = None,
                     headers: dict[str, str] | None = None, title: str | None = None) -> Response:
    body = {"type": PROBLEM_TYPE + SLUGS.get(status, str(status)), "title": title or TITLES.get(status, "Error"),
            "status": status, "detail": detail, "instance": instance, "errors": errors or []}
    return Response(simplejson.dumps(body, ensure_ascii=False), status_code=status, headers=headers,
                    media_type="application/problem+json")


PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status", "detail", "instance", "errors"],
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"}, "instance": {"type": "string"},
        "errors": {"type": "array", "items": {
            "type": "object", "required": ["field", "message"],
            "properties": {"field": {"type": ["string", "null"]}, "message": {"type": "string"}}}},
    },
}


def problem_responses(*statuses: int) -> dict[int | str, dict]:
    """OpenAPI ``responses`` entries for the given problem statuses."""
    return {status: {"description": TITLES.get(status, "Error"),
                     "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
            for status in statuses}

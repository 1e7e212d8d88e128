"""Request plumbing shared by the routes: authentication, roles, rate limit, and body readers
that use the contract's own reader so that every error names the field."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import Depends, Request

from hitbenefit.api.problems import Problem, field_error
from hitbenefit.claims.model import Claim
from hitbenefit.claims.read_json import ClaimInputError, claim_from_json
from hitbenefit.money import loads_exact
from hitbenefit.store import Principal

JSON_TYPES = ("application/json",)


def _remote(request: Request) -> str | None:
    return request.client.host if request.client else None


def authenticate(request: Request) -> Principal:
    """The principal of the ``Authorization: Bearer KEY`` header, rate limited per key; 401 otherwise."""
    state = request.app.state
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    principal = state.store.authenticate(key.strip()) if scheme.lower() == "bearer" and key.strip() else None
    if principal is None:
        wait = state.buckets.take(("remote", _remote(request)))  # failed attempts are limited per address
        if wait:
            raise Problem(429, "too many failed authentications; slow down",
                          headers={"Retry-After": state.buckets.retry_after(wait)})
        raise Problem(401, "send a valid, unrevoked API key as 'Authorization: Bearer KEY'",
                      [field_error("Authorization", "missing, malformed, unknown or revoked key")],
                      headers={"WWW-Authenticate": 'Bearer realm="hitbenefit"'})
    request.state.key_id = principal.key_id
    wait = state.buckets.take(("key", principal.key_id))
    if wait:
        raise Problem(429, f"rate limit of {state.settings.rate_per_second:g} requests/s per key exceeded",
                      headers={"Retry-After": state.buckets.retry_after(wait)})
    return principal


def writer(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
    if principal.role == "analyst":
        raise Problem(403, "an analyst key is read-only")
    return principal


Auth = Annotated[Principal, Depends(authenticate)]
Writer = Annotated[Principal, Depends(writer)]


def require_json(request: Request) -> None:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not (media in JSON_TYPES or (media.startswith("application/") and media.endswith("+json"))):
        raise Problem(415, f"send the body as application/json, not {media or 'no content type'!r}",
                      [field_error("Content-Type", "expected application/json")])


def parse_json(data: bytes) -> Any:
    """JSON with exact decimals; 400 for anything that is not JSON."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Problem(400, "the body is not UTF-8 text", [field_error(None, "not UTF-8")]) from None
    if not text.strip():
        raise Problem(400, "the body is empty: send a JSON object", [field_error(None, "empty body")])
    try:
        return loads_exact(text)
    except json.JSONDecodeError as exc:
        raise Problem(400, f"not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})",
                      [field_error(None, exc.msg)]) from None
    except ValueError as exc:
        raise Problem(400, f"not readable JSON ({exc})", [field_error(None, "unreadable")]) from None


def input_error_field(exc: ClaimInputError) -> str | None:
    if exc.line is not None:
        return f"lines[line={exc.line}].{exc.field}" if exc.field else f"lines[line={exc.line}]"
    return exc.field


def claim_problem(exc: ClaimInputError) -> Problem:
    item = field_error(input_error_field(exc), exc.problem)
    if exc.line is not None:
        item["line"] = exc.line
    return Problem(422, str(exc).replace("<request>, record 1, ", "").replace("<request>, ", ""), [item])


def read_claim(request: Request, data: bytes) -> Claim:
    """``data`` (a request body) as a contract claim (CONTRACT §1); 415/400/422 naming the field."""
    require_json(request)
    value = parse_json(data)
    try:
        claim = claim_from_json(value, "<request>", 1)
    except ClaimInputError as exc:
        raise claim_problem(exc) from None
    except RecursionError:
        raise Problem(422, "the claim is nested too deeply", [field_error(None, "nested too deeply")]) from None
    request.state.claim_id = claim.claim_id
    return claim


async def claim_body(request: Request) -> Claim:
    """The request body as a contract claim (CONTRACT §1); 415/400/422 naming the field."""
    return read_claim(request, await request.body())


async def json_object(request: Request) -> dict:
    require_json(request)
    value = parse_json(await request.body())
    if not isinstance(value, dict):
        raise Problem(422, "expected a JSON object", [field_error(None, "expected an object")])
    return value


ClaimBody = Annotated[Claim, Depends(claim_body)]
JsonObject = Annotated[dict, Depends(json_object)]
remote = _remote

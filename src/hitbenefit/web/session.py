"""Signing in with an API key, the session cookie and CSRF tokens.

The cookie holds a random 256-bit session id (HttpOnly, SameSite=Strict, Secure on https); the
store keeps only its SHA-256, the key id and the session's CSRF token (migration 0006). Every
POST form carries the CSRF token in a hidden field; the sign-in form, before any session exists,
uses a double-submit cookie. A revoked key ends its sessions at once (checked on every request)."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from starlette.responses import RedirectResponse, Response

from hitbenefit.store import listing
from hitbenefit.store.listing import WebSession

COOKIE = "hb_session"
SIGN_IN_COOKIE = "hb_sign_in"


class SignInNeeded(Exception):
    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


async def to_sign_in(request: Request, exc: SignInNeeded) -> Response:
    return RedirectResponse(f"/sign-in?next={quote(exc.next_path, safe='/')}", status_code=303)


def remote(request: Request) -> str | None:
    return request.client.host if request.client else None


def current(request: Request) -> WebSession | None:
    return listing.session(request.app.state.store, request.cookies.get(COOKIE))


def signed_in(request: Request) -> WebSession:
    found = current(request)
    if found is None:
        raise SignInNeeded(request.url.path)
    request.state.key_id = found.principal.key_id
    return found


User = Annotated[WebSession, Depends(signed_in)]


def csrf_ok(expected: str | None, sent: object) -> bool:
    return bool(expected) and isinstance(sent, str) and hmac.compare_digest(expected.encode(), sent.encode())


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="strict", path="/",
                        secure=request.url.scheme == "https")


def sign_in_token(request: Request) -> str:
    """The sign-in form's double-submit token: the cookie's, or a new one."""
    return request.cookies.get(SIGN_IN_COOKIE) or secrets.token_urlsafe(24)


def safe_next(value: object) -> str:
    """Only a local path is followed after signing in (no open redirect)."""
    if isinstance(value, str) and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"

"""Who is signed in, and the checks every form passes.

* The session cookie ``af_session`` holds a random secret; the database keeps its SHA-256 (``web_sessions``).
  It is HttpOnly, SameSite=Lax, limited to ``/web``, and Secure when ``web_secure_cookies`` is set.
* CSRF: every form of a session carries the session's form token (``csrf``), compared in constant time. The
  sign-in form, which has no session yet, carries a random value that must match its own SameSite=Strict
  cookie (``af_signin``, a double-submit), so another site cannot sign a browser in to an account of its own.
* Forms are read as ``application/x-www-form-urlencoded`` (at most 64 KiB), without an extra parser.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import parse_qs

from fastapi import Request
from fastapi.responses import Response

from admission_flow.domain.web import Session
from admission_flow.errors import InvalidInput, Unauthenticated
from admission_flow.flow import AdmissionFlow

SESSION_COOKIE = "af_session"
SIGN_IN_COOKIE = "af_signin"
PREFIX = "/web"
MAX_FORM = 64 * 1024


class BadForm(Exception):
    """A form without the right token (CSRF), or one that cannot be read."""


def flow_of(request: Request) -> AdmissionFlow:
    found: AdmissionFlow = request.app.state.flow
    return found


def current(request: Request) -> Session:
    """The live session of the request's cookie (``Unauthenticated`` without one)."""
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        raise Unauthenticated("please sign in")
    found = flow_of(request).web_session(secret)
    request.state.web_session = found
    return found


async def form(request: Request) -> dict[str, list[str]]:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
        raise BadForm("not a form")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM:
            raise InvalidInput("the form is too large (64 KiB at most)")
    try:
        return parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=500)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadForm(str(exc)) from None


def first(values: dict[str, list[str]], name: str) -> str:
    return values.get(name, [""])[0]


def check_token(expected: str, values: dict[str, list[str]]) -> None:
    if not expected or not hmac.compare_digest(expected.encode(), first(values, "csrf").encode()):
        raise BadForm("missing or wrong form token")


def set_cookie(request: Request, response: Response, name: str, value: str, *, strict: bool = False) -> None:
    secure = bool(flow_of(request).settings.web_secure_cookies)
    response.set_cookie(name, value, httponly=True, samesite="strict" if strict else "lax", secure=secure, path=PREFIX)


def sign_in_token(request: Request) -> tuple[str, bool]:
    """The value the sign-in form and its cookie share, and whether it is new (then the page sets the cookie)."""
    found = request.cookies.get(SIGN_IN_COOKIE)
    if found and 20 <= len(found) <= 100:
        return found, False
    return secrets.token_urlsafe(32), True

"""The dashboard's routes under ``/web``: sign-in and sign-out, the language switch, My work and the boards.
The candidate page is in ``candidate.py``. Every route but sign-in needs a session; every POST a form token.

Errors are answered as pages, never problem+json: no session → the sign-in page (303), a bad form token → 403,
anything outside the person's subtree or unknown → 404, exactly alike.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from admission_flow.errors import InvalidInput, NotFound, Unauthenticated
from admission_flow.web import session as web
from admission_flow.web.render import LANG_COOKIE, page

router = APIRouter(prefix=web.PREFIX, include_in_schema=False)
Handler = Callable[..., Awaitable[Response]]


def signed_in(handler: Handler) -> Handler:
    """Run ``handler`` for a signed-in person; answer the usual refusals as pages."""

    @wraps(handler)
    async def run(request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            web.current(request)
            return await handler(request, *args, **kwargs)
        except Unauthenticated:
            return RedirectResponse(f"{web.PREFIX}/signin", status_code=303)
        except web.BadForm:
            return page(request, "error.html", 403, title_key="bad_form", text_key="bad_form")
        except NotFound:
            return page(request, "error.html", 404, title_key="not_found", text_key="not_found_text")

    return run


@router.get("/signin")
async def sign_in_page(request: Request) -> Response:
    return _sign_in_form(request)


def _sign_in_form(request: Request, status: int = 200, login: str = "", error: str | None = None) -> Response:
    token, new = web.sign_in_token(request)
    response = page(request, "signin.html", status, csrf=token, login=login, error=error)
    if new:
        web.set_cookie(request, response, web.SIGN_IN_COOKIE, token, strict=True)
    return response


@router.post("/signin")
async def sign_in(request: Request) -> Response:
    try:
        values = await web.form(request)
        web.check_token(request.cookies.get(web.SIGN_IN_COOKIE, ""), values)
    except (web.BadForm, InvalidInput):
        return page(request, "error.html", 403, title_key="bad_form", text_key="bad_form")
    login = web.first(values, "login")
    try:
        # The password hash is deliberately slow (tens of milliseconds): in a worker thread, not on the event loop.
        _, secret = await run_in_threadpool(web.flow_of(request).sign_in, login, web.first(values, "password"))
    except (Unauthenticated, InvalidInput):
        return _sign_in_form(request, 401, login[:64], "refused_sign_in")
    response = RedirectResponse(f"{web.PREFIX}/", status_code=303)
    web.set_cookie(request, response, web.SESSION_COOKIE, secret)
    response.delete_cookie(web.SIGN_IN_COOKIE, path=web.PREFIX)
    return response


@router.post("/signout")
@signed_in
async def sign_out(request: Request) -> Response:
    values = await web.form(request)
    web.check_token(request.state.web_session.csrf_token, values)
    web.flow_of(request).sign_out(request.cookies.get(web.SESSION_COOKIE, ""))
    response = RedirectResponse(f"{web.PREFIX}/signin", status_code=303)
    response.delete_cookie(web.SESSION_COOKIE, path=web.PREFIX)
    return response


@router.get("/lang/{to}")
async def switch_language(request: Request, to: str, next: str = f"{web.PREFIX}/") -> Response:
    """Remember the page language (``vi`` or ``en``) and go back to ``next`` (a dashboard path only)."""
    if not next.startswith(f"{web.PREFIX}/") or next.startswith("//"):
        next = f"{web.PREFIX}/"
    response = RedirectResponse(next, status_code=303)
    if to in ("vi", "en"):
        response.set_cookie(LANG_COOKIE, to, samesite="lax", path=web.PREFIX, max_age=365 * 24 * 3600)
    return response


@router.get("/")
@signed_in
async def my_work(request: Request, page_no: int = 1) -> Response:
    user = request.state.web_session.user
    found = web.flow_of(request).my_work(user, page=page_no)
    return page(request, "my_work.html", work=found)


@router.get("/boards/deadlines")
@signed_in
async def deadline_board(request: Request, org: str | None = None) -> Response:
    flow = web.flow_of(request)
    user = request.state.web_session.user
    rows = flow.deadline_board(user, org)
    root = flow.org(org or user.org_id, within=user.org_id)
    return page(request, "deadline_board.html", rows=rows, root=root)


@router.get("/boards/pipeline")
@signed_in
async def pipeline_board(request: Request, org: str | None = None) -> Response:
    flow = web.flow_of(request)
    user = request.state.web_session.user
    board = flow.pipeline_board(user, org)
    root = flow.org(org or user.org_id, within=user.org_id)
    return page(request, "pipeline_board.html", board=board, root=root)

"""Rendering the dashboard's pages: one Jinja2 environment, HTML autoescaped everywhere (a name containing
``<script>`` is shown as text), the page's language and the session's form token given to every template."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from admission_flow.web.i18n import LANGUAGES, label, words

HERE = Path(__file__).parent
LANG_COOKIE = "af_lang"
_env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"], default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def language(request: Request) -> str:
    found = request.cookies.get(LANG_COOKIE, "vi")
    return found if found in LANGUAGES else "vi"


def page(request: Request, template: str, status: int = 200, *, back: str | None = None, **values: Any) -> HTMLResponse:
    """Render ``template``; ``back`` is where the language switch returns (default: this page's address)."""
    lang = language(request)
    context = {
        "lang": lang,
        "t": words(lang),
        "label": lambda value, fallback="": label(value, lang, fallback),
        "path": back or request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        "session": getattr(request.state, "web_session", None),
        "active": "",
        **values,
    }
    html = _env.get_template(template).render(context)
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


# Pages are never framed, never sniffed, and load nothing from elsewhere.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'; "
    "form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

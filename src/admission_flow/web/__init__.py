"""The web dashboard (issue 11): server-rendered pages over the facade, mounted in the REST API's app under
``/web`` by ``create_app``. People sign in with accounts bound to an organisation subtree and roles
(``admission-flow user add``); every page shows and counts only that subtree."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from admission_flow.web import (  # noqa: F401 — register the report board and workflow pages
    candidate,
    reports,
    workflows,
)
from admission_flow.web.pages import router
from admission_flow.web.render import HERE


def mount(app: FastAPI) -> None:
    """Add the dashboard to ``app``: its pages under ``/web``, its assets under ``/web/static``, ``/`` → ``/web/``."""
    app.include_router(router)
    app.mount("/web/static", StaticFiles(directory=HERE / "static"), name="web-static")

    @app.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        return RedirectResponse("/web/", status_code=303)


__all__ = ["mount"]

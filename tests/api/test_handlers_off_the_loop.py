"""No request handler runs the synchronous facade on the server's event loop: API routes and dashboard pages are
plain functions (FastAPI runs them in its thread pool), except the few listed here, which must await the request
body or form and hand their database work to the thread pool themselves (``run_in_threadpool``)."""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi.routing import APIRoute

from admission_flow.api.app import create_app
from admission_flow.flow import AdmissionFlow

AWAITING = {
    "validate",  # reads the uploaded YAML body
    "sign_in",  # reads the form; the password check runs in the thread pool
    "sign_out",
    "fire",  # the dashboard's form (the API's fire is a plain function)
    "check_upload",
    "report_chart",
    "home",  # a redirect, no database
    "openapi",  # FastAPI's own documentation pages: no database
    "custom_swagger_ui_html",
    "swagger_ui_redirect",
}


def _endpoints(routes: Iterable[Any]) -> Iterator[tuple[str, Any]]:
    """Every route's (path, endpoint), through included routers (FastAPI keeps them as their own objects)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _endpoints(included.routes)
        elif isinstance(route, APIRoute) or hasattr(route, "endpoint"):
            yield route.path, route.endpoint


def test_every_handler_that_reads_the_database_runs_in_the_thread_pool(flow: AdmissionFlow) -> None:
    app = create_app(flow)
    found = list(_endpoints(app.routes))
    assert len(found) >= 50 and any(path == "/web/signin" for path, _ in found)  # the walk reaches every router
    coroutines = {(path, fn.__name__) for path, fn in found if inspect.iscoroutinefunction(fn)}
    assert {name for _, name in coroutines} <= AWAITING, sorted(coroutines)
    api = {path for path, _ in coroutines if path.startswith("/api/")}
    assert api == {"/api/v1/workflows/validate"}, sorted(api)  # and that one awaits only its body

"""The REST API as a FastAPI app built by a factory: ``create_app(flow)``. Nothing is built at import.

Routes live under ``/api/v1`` (``routes_candidates``, ``routes_catalog``); ``/healthz``, ``/readyz`` and
``/metrics`` at the root. Every error leaves as problem+json (``problems.py``); any exception the package did
not expect is logged and answered with a 500 problem that says nothing about the inside.

Routes and dependencies are coroutines that call the facade directly, so a process does one request's database
work at a time. That is SQLite's model anyway (one writer), and on PostgreSQL a trip to the thread pool per
request cost more than it gained: with it, one client reached 0.39 of the in-process fire rate and eight clients
no more; without it, 0.55 and 0.54 (bench/api.py). For parallel work, run several processes (``serve
--workers N``, PostgreSQL).
"""

from __future__ import annotations

import logging
import time

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from admission_flow import __version__
from admission_flow.api import problems
from admission_flow.api.metrics import Metrics
from admission_flow.api.routes_candidates import router as candidates
from admission_flow.api.routes_catalog import router as catalog
from admission_flow.api.routes_ops import router as ops
from admission_flow.api.routes_orgs_history import router as orgs_history
from admission_flow.api.routes_reports import router as reports
from admission_flow.api.routes_rules import router as rules
from admission_flow.api.routes_targets import router as targets
from admission_flow.errors import AdmissionFlowError
from admission_flow.flow import AdmissionFlow
from admission_flow.web import mount as mount_dashboard

log = logging.getLogger("admission_flow.api")

DESCRIPTION = """\
Run the Vietnamese Party member-admission procedure (phát triển đảng viên) as durable, audited state machines.

Every `/api/v1` call needs `Authorization: Bearer <token>` (`admission-flow token create`). A token sees and
acts only within its organisation's subtree and fires only events of the roles it holds. Writes accept an
`Idempotency-Key` header; candidate reads return an `ETag` that writes accept as `If-Match`.
Errors are `application/problem+json` (RFC 9457).

Chạy quy trình phát triển đảng viên như các máy trạng thái bền vững, có nhật ký kiểm tra. Mỗi lời gọi `/api/v1`
cần mã truy cập; mã chỉ thấy và thao tác trong cây tổ chức của mình.
"""


def create_app(flow: AdmissionFlow) -> FastAPI:
    """The API over ``flow`` (the caller keeps ownership of it: closing the app does not close it)."""
    app = FastAPIOffline(  # a FastAPI app whose /docs page loads Swagger UI from the app, not from a CDN
        title="admission_flow",
        version=__version__,
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        static_url="/static/docs",
    )
    app.state.flow = flow
    app.state.metrics = metrics = Metrics(flow)
    app.include_router(candidates)
    app.include_router(catalog)
    app.include_router(ops)
    app.include_router(orgs_history)  # organisations over time
    app.include_router(targets)
    app.include_router(reports)
    app.include_router(rules)
    mount_dashboard(app)  # the web dashboard under /web (issue 11)
    app.add_exception_handler(RequestValidationError, problems.on_validation_error)
    app.add_exception_handler(StarletteHTTPException, problems.on_http_error)
    app.add_exception_handler(AdmissionFlowError, problems.on_package_error)

    app.add_middleware(Measured, metrics=metrics)
    return app


class Measured:
    """Pure ASGI middleware: the latency of each request by route template and status, the fires and refusals
    a route reported, and a 500 problem for anything the package did not expect (logged with its traceback).
    (Starlette's ``@app.middleware("http")`` would run every request through an extra task and stream.)"""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        sent = False

        async def sending(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status, sent = message["status"], True
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception:
            log.exception("unexpected error on %s %s", scope["method"], scope["path"])
            if sent:
                raise
            status = 500
            await problems.problem("error", "internal error; the server log has the details")(scope, receive, send)
        route = getattr(scope.get("route"), "path", "unmatched")
        self.metrics.requests.labels(scope["method"], route, str(status)).observe(time.perf_counter() - started)
        event = scope.get("state", {}).get("event")
        if event is not None:
            kind, values = event
            if kind == "fired":
                self.metrics.fires.labels(values).inc()
            else:
                for code in values:
                    self.metrics.refusals.labels(code).inc()

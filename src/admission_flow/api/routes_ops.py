"""Operations: ``/healthz`` (the process answers), ``/readyz`` (database reachable, schema current), ``/metrics``
(Prometheus text), and the pages the problems' ``type`` URIs point to. None needs a token."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from admission_flow.api.problems import BASE, PROBLEMS, documented, problem
from admission_flow.api.security import Flow
from admission_flow.api.writes import json_response
from admission_flow.errors import AdmissionFlowError

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=dict[str, Any])
async def healthz() -> Response:
    return json_response({"status": "ok"})


@router.get("/readyz", response_model=dict[str, Any], responses=documented(503))
async def readyz(flow: Flow) -> Response:
    head = flow.schema_head()
    try:
        current = flow.database_revision()
    except AdmissionFlowError as exc:  # unreachable, or (SQLite) no database file yet
        return problem("store_unavailable", f"database unreachable: {exc}", status=503, revision=None, needed=head)
    if current != head:
        detail = (
            f"database schema is at {current or 'nothing'}, this version needs {head}: run admission-flow db upgrade"
        )
        return problem("store_unavailable", detail, status=503, revision=current, needed=head)
    return json_response({"status": "ready", "revision": current})


@router.get("/metrics", response_class=Response, responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
async def metrics(request: Request) -> Response:
    return Response(request.app.state.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


@router.get(BASE + "{code}", response_model=dict[str, Any], responses=documented(404))
async def problem_page(code: str) -> Response:
    """What a problem ``type`` means."""
    if code not in PROBLEMS:
        return problem("not_found", f"no problem type {code!r}")
    status, title, title_vi = PROBLEMS[code]
    return json_response({"type": BASE + code, "status": status, "title": title, "title_vi": title_vi})

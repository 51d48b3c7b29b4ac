"""Errors as problem details (RFC 9457, ``application/problem+json``) with stable ``type`` URIs.

Every package error has a stable ``code``; its problem ``type`` is ``/api/v1/problems/<code>`` (a page the API
serves), its HTTP status is chosen here, by the edge, not by the error class. A refused transition lists every
reason, each with its code and its message in Vietnamese and English.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from admission_flow.errors import (
    AdmissionFlowError,
    ConcurrentUpdate,
    IdentifierTaken,
    InvalidInput,
    NotFound,
    TransitionRefused,
    WorkflowDefinitionError,
)

log = logging.getLogger("admission_flow.api")
MEDIA_TYPE = "application/problem+json"
BASE = "/api/v1/problems/"

# code → (HTTP status, title in English, title in Vietnamese)
PROBLEMS: dict[str, tuple[int, str, str]] = {
    "invalid_input": (400, "The request is malformed", "Yêu cầu không hợp lệ"),
    "validation_failed": (422, "The request body or parameters do not validate", "Dữ liệu gửi lên không hợp lệ"),
    "unauthenticated": (401, "A valid API token is required", "Cần mã truy cập (API token) hợp lệ"),
    "forbidden": (403, "This token may not do this", "Mã truy cập này không được phép thực hiện thao tác"),
    "not_found": (404, "Not found", "Không tìm thấy"),
    "method_not_allowed": (405, "Method not allowed", "Phương thức không được hỗ trợ"),
    "not_acceptable": (406, "Not acceptable", "Không đáp ứng được định dạng yêu cầu"),
    "already_exists": (409, "It already exists", "Đã tồn tại"),
    "identifier_taken": (409, "Another person holds this identifier", "Số định danh/số thẻ đã thuộc về người khác"),
    "concurrent_update": (409, "Someone else changed it first", "Hồ sơ vừa được người khác cập nhật"),
    "workflow_changed": (409, "The pinned workflow file changed", "Tệp quy trình đã bị sửa"),
    "request_in_progress": (409, "The first request with this key is still running", "Yêu cầu trước đang xử lý"),
    "precondition_failed": (412, "If-Match does not match the current version", "Phiên bản không khớp (If-Match)"),
    "unsupported_media_type": (415, "Unsupported media type", "Định dạng nội dung không được hỗ trợ"),
    "transition_refused": (422, "The event is not allowed now", "Sự kiện không được phép lúc này"),
    "org_change_refused": (409, "The organisation tree cannot change so", "Không thể thay đổi cây tổ chức như vậy"),
    "idempotency_conflict": (422, "This Idempotency-Key was used for another request", "Khóa đã dùng cho yêu cầu khác"),
    "invalid_workflow": (422, "The workflow does not validate", "Quy trình không hợp lệ"),
    "store_unavailable": (503, "The database is unavailable", "Cơ sở dữ liệu không sẵn sàng"),
    "error": (500, "Internal error", "Lỗi hệ thống"),
}


def problem(code: str, detail: str, *, status: int | None = None, **extra: Any) -> JSONResponse:
    default, title, title_vi = PROBLEMS.get(code, PROBLEMS["error"])
    body = {
        "type": BASE + code,
        "title": title,
        "status": status or default,
        "detail": detail,
        "code": code,
        "title_vi": title_vi,
        **extra,
    }
    headers = {"WWW-Authenticate": "Bearer"} if code == "unauthenticated" else None
    return JSONResponse(body, status_code=status or default, media_type=MEDIA_TYPE, headers=headers)


def from_error(exc: AdmissionFlowError, *, if_match: bool = False) -> JSONResponse:
    """The problem response for a package error."""
    if isinstance(exc, TransitionRefused):
        reasons = [r.as_dict() for r in exc.reasons]
        return problem(exc.code, str(exc), trigger=exc.trigger, state=exc.state, reasons=reasons)
    if isinstance(exc, ConcurrentUpdate) and if_match:
        return problem("precondition_failed", "the candidate changed since the version given in If-Match")
    if isinstance(exc, NotFound):
        return problem(exc.code, str(exc), kind=exc.kind)
    if isinstance(exc, IdentifierTaken):
        return problem(exc.code, str(exc), field=exc.field)
    if isinstance(exc, WorkflowDefinitionError):
        problems = [vars(p) for p in exc.problems]
        return problem(exc.code, "the workflow does not validate", problems=problems)
    code = "already_exists" if exc.code == "duplicate_key" else exc.code
    if code not in PROBLEMS:
        code = "invalid_input" if isinstance(exc, InvalidInput) else "error"
    return problem(code, str(exc) if PROBLEMS[code][0] < 500 else PROBLEMS[code][1])


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    found = []
    for e in exc.errors():
        found.append(
            {"path": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", ""), "type": e.get("type")}
        )
    return found


async def on_validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = _field_errors(exc)
    detail = "; ".join(f"{e['path']}: {e['message']}" for e in errors)
    return problem("validation_failed", detail, errors=json.loads(json.dumps(errors, default=str)))


async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 405:  # Starlette names only the methods of the route it matched; a path may have several
        exc.headers = {**(exc.headers or {}), "Allow": allowed_methods(request)}
    code = {404: "not_found", 405: "method_not_allowed", 406: "not_acceptable", 415: "unsupported_media_type"}.get(
        exc.status_code, "invalid_input" if exc.status_code < 500 else "error"
    )
    response = problem(code, str(exc.detail), status=exc.status_code)
    for name, value in (exc.headers or {}).items():  # e.g. Allow on a 405
        response.headers[name] = value
    return response


def allowed_methods(request: Request) -> str:
    """Every method the OpenAPI document gives the request's path."""
    table: list[tuple[Any, str]] | None = getattr(request.app.state, "allowed", None)
    if table is None:
        table = []
        paths = request.app.openapi()["paths"]
        for path, operations in sorted(paths.items(), key=lambda item: item[0].count("{")):  # literal paths first
            methods = sorted(m.upper() for m in operations if m in {"get", "post", "put", "patch", "delete"})
            table.append((compile_path(path)[0], ", ".join(methods)))
        request.app.state.allowed = table
    return next((methods for regex, methods in table if regex.match(request.url.path)), "")


async def on_package_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AdmissionFlowError)
    response = from_error(exc)
    if response.status_code >= 500:
        log.error("%s %s: %s", request.method, request.url.path, exc, exc_info=exc)
    return response


class ProblemOut(BaseModel):
    """A problem (RFC 9457). Some problems carry more members: ``reasons`` (a refused event), ``errors`` (the
    fields that do not validate), ``problems`` (a workflow that does not validate), ``kind`` (what was not found)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=["/api/v1/problems/transition_refused"])
    title: str
    status: int
    detail: str
    code: str
    title_vi: str


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for problems with these statuses."""
    return {
        status: {"model": ProblemOut, "content": {MEDIA_TYPE: {}}, "description": _DESCRIBED.get(status, "Problem")}
        for status in statuses
    }


_DESCRIBED = {
    400: "Malformed request (a bad cursor, Idempotency-Key or If-Match)",
    401: "No valid API token",
    403: "The token may not do this (read-only, or a role it does not hold)",
    404: "Not found in this token's subtree",
    409: "Conflict: already exists, changed concurrently, or the first request with this key still runs",
    412: "If-Match does not match the current version",
    422: "Does not validate, or the event is refused (every reason listed)",
    503: "The database is unavailable",
}

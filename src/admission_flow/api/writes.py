"""Answering a write: package errors as problems, ``Idempotency-Key`` replays, ``ETag``/``If-Match``.

A write with an ``Idempotency-Key`` claims the key (scoped to the token) before it runs. A success (2xx) is
stored and a replay returns it byte for byte (with ``Idempotent-Replayed: true``). Any other answer (a refused
event, a conflict, a 5xx) changed nothing, so it is not kept: a retry with the same key runs again (as the
Python API does). The same key with another method, path or body is a 422; while the first request runs, a
replay gets 409. Fires also pass the key to the engine, which refuses to apply one event twice even if the
stored answer were lost.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from admission_flow.api.problems import from_error, problem
from admission_flow.domain.records import Caller, CandidateRecord, Record
from admission_flow.errors import AdmissionFlowError, InvalidInput
from admission_flow.flow import AdmissionFlow

KEPT_HEADERS = ("content-type", "etag", "location")
MAX_KEY = 180  # the engine keeps "t<token>:<key>" in a 200-character column


def etag(instance_id: int, version: int) -> str:
    return f'"{instance_id}.{version}"'


def candidate_etag(record: CandidateRecord) -> str:
    return etag(record.instance_id, record.version)


def expected_version(request: Request, current_instance: int | None = None) -> int | None:
    """The version ``If-Match`` names (None without the header, or for ``*``: any current version); one of
    another attempt of the candidate can never match (-1); a malformed one is invalid input."""
    given = request.headers.get("if-match")
    if given is None or given.strip() == "*":
        return None
    tag = given.strip().removeprefix("W/")
    instance, _, version = tag.strip('"').partition(".")
    if not (tag.startswith('"') and tag.endswith('"') and instance.isdigit() and version.isdigit()):
        raise InvalidInput(f'If-Match: expected an ETag this API gave out ("<instance>.<version>"), got {given!r}')
    if current_instance is not None and int(instance) != current_instance:
        return -1
    return int(version)


def if_match_version(request: Request, flow: AdmissionFlow, within: str, candidate_id: str) -> int | None:
    """The version a write's ``If-Match`` names for the candidate's current attempt (None without one)."""
    if "if-match" not in request.headers:
        return None
    return expected_version(request, flow.candidate(candidate_id, within=within).instance_id)


def json_response(record: Record | list[Any] | dict[str, Any], status: int = 200, **headers: str) -> JSONResponse:
    content = record.as_dict() if isinstance(record, Record) else record
    return JSONResponse(content, status_code=status, headers=headers or None)


def run(produce: Callable[[], Response], *, if_match: bool = False) -> Response:
    try:
        return produce()
    except AdmissionFlowError as exc:
        return from_error(exc, if_match=if_match)


def fingerprint(request: Request, body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, default=str)
    text = f"{request.method} {request.url.path}?{request.url.query}\n{canonical}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def answer_write(
    request: Request,
    flow: AdmissionFlow,
    who: Caller,
    body: Callable[[], Any],
    produce: Callable[[str | None], Response],
    *,
    redact: tuple[str, ...] = (),
) -> Response:
    """Run ``produce(key)`` once per ``Idempotency-Key`` (``key`` is None without the header); ``body()`` gives
    the request's body as JSON data for the key's fingerprint (called only with a key). ``redact``: members
    of the answer never stored (a secret shown once): a replay has them null."""
    if_match = "if-match" in request.headers
    key = request.headers.get("idempotency-key")
    if key is None:
        return run(lambda: produce(None), if_match=if_match)
    if not 0 < len(key) <= MAX_KEY or not key.isascii() or not key.isprintable():
        return problem("invalid_input", f"Idempotency-Key: 1 to {MAX_KEY} printable ASCII characters")
    try:
        stored = flow.claim_request(who.token_id, key, fingerprint(request, body()))
    except AdmissionFlowError as exc:
        return from_error(exc)
    if stored is not None:
        headers = dict(stored.headers or {})
        media = headers.pop("content-type", None)
        headers["Idempotent-Replayed"] = "true"
        return Response(stored.body or "", status_code=stored.status or 200, headers=headers, media_type=media)
    try:
        response = run(lambda: produce(key), if_match=if_match)
    except BaseException:
        flow.forget_request(who.token_id, key)
        raise
    if not 200 <= response.status_code < 300:  # nothing was done: a retry with the same key may run again
        flow.forget_request(who.token_id, key)
        return response
    kept = {k: v for k, v in response.headers.items() if k in KEPT_HEADERS}
    text = bytes(response.body).decode("utf-8")
    if redact:
        text = json.dumps({**json.loads(text), **dict.fromkeys(redact)}, ensure_ascii=False, separators=(",", ":"))
    flow.store_answer(who.token_id, key, response.status_code, kept, text)
    return response

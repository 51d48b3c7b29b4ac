"""The workflow pages: the versions loaded, one version's diagram and moves, what one version changes from
another (``admission-flow diff``), and checking an uploaded workflow file (``admission-flow validate``).

Workflows are the same for everyone, so these pages show them to any signed-in person. The upload is a
``multipart/form-data`` POST with the session's form token; its size is bounded before it is read (the
``Content-Length`` against ``upload_max_bytes``), and nothing uploaded is kept.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from admission_flow.errors import NotFound
from admission_flow.web import session as web
from admission_flow.web.pages import router, signed_in
from admission_flow.web.render import language, page

STANDARD = "standard"  # the procedure every variant extends: the comparison shown first
FORM_ROOM = 16 * 1024  # the multipart envelope around the file: boundaries, headers, the form token


@router.get("/workflows")
@signed_in
async def workflow_list(request: Request) -> Response:
    found = web.flow_of(request).workflows()
    return page(request, "workflows.html", workflows=found, active="workflows")


@router.get("/workflows/diff")
@signed_in
async def workflow_diff(request: Request, old: str = "", new: str = "") -> Response:
    """What ``new`` changes from ``old``, and ``new``'s diagram with the changed states flagged."""
    flow = web.flow_of(request)
    versions = [w.key for w in flow.workflows()]
    if not old or not new:
        old, new = _default_pair(versions)
    changes = flow.workflow_diff(old, new)
    picture = flow.diagram_svg(new, changed_from=old, lang=language(request))
    return page(
        request,
        "workflow_diff.html",
        versions=versions,
        old=old,
        new=new,
        changes=changes,
        diagram=Markup(picture),
        active="workflows",
    )


def _default_pair(versions: list[str]) -> tuple[str, str]:
    """The two newest versions of the standard procedure, else of the first workflow that has two (the list is by
    id, then version); with no such workflow, the first version against itself (no change)."""
    pairs = [(a, b) for a, b in pairwise(versions) if a.split("@")[0] == b.split("@")[0]]
    if pairs:
        ids = [a.split("@")[0] for a, _ in pairs]
        chosen = STANDARD if STANDARD in ids else ids[0]
        return [p for p, i in zip(pairs, ids, strict=True) if i == chosen][-1]
    if not versions:
        raise NotFound("workflow", "any")
    return versions[0], versions[0]


@router.get("/workflows/check")
@signed_in
async def check_form(request: Request) -> Response:
    return _check_page(request)


@router.post("/workflows/check")
@signed_in
async def check_upload(request: Request) -> Response:
    flow = web.flow_of(request)
    most = flow.settings.upload_max_bytes
    try:
        length = int(request.headers.get("content-length", ""))
    except ValueError:
        length = -1
    if length < 0 or length > most + FORM_ROOM:  # refused before a byte of it is read
        return _check_page(request, 413, too_large=True)
    if request.headers.get("content-type", "").split(";")[0].strip() != "multipart/form-data":
        raise web.BadForm("not a file upload")
    try:
        async with request.form(max_files=1, max_fields=4, max_part_size=FORM_ROOM) as form:
            token = form.get("csrf")
            web.check_token(request.state.web_session.csrf_token, {"csrf": [token if isinstance(token, str) else ""]})
            upload = form.get("file")
            if not isinstance(upload, UploadFile) or not upload.filename:
                return _check_page(request, 400, missing=True)
            name, text = upload.filename, await upload.read(most + 1)
    except MultiPartException as bad:
        raise web.BadForm(str(bad)) from None
    name = name.replace("\\", "/").rsplit("/", 1)[-1][:200]  # the base name only
    if not name.isprintable() or not name.strip():
        name = "upload.yaml"  # a name the problems can be printed with
    summary, problems = await run_in_threadpool(flow.validate_workflow_text, name, text)  # as the API's validate
    return _check_page(request, 200 if summary else 422, name=name, summary=summary, problems=problems)


def _check_page(request: Request, status: int = 200, **values: Any) -> Response:
    most = web.flow_of(request).settings.upload_max_bytes
    defaults: dict[str, Any] = {"name": None, "summary": None, "problems": [], "too_large": False, "missing": False}
    return page(request, "workflow_check.html", status, most=most, active="workflows", **(defaults | values))


@router.get("/workflows/{ref}")
@signed_in
async def workflow_page(request: Request, ref: str) -> Response:
    """One version: its diagram, its states and moves in words, its Mermaid text."""
    flow = web.flow_of(request)
    spec = flow.workflow(ref)
    loaded = flow.workflows()
    summary = next(w for w in loaded if w.key == spec.key)
    older = [w.key for w in loaded if w.id == spec.id and w.key != spec.key]
    moves = []
    for t in spec.transitions:
        moves.append(
            {
                "trigger": t.trigger,
                "label": t.label.model_dump() if t.label else None,
                "sources": t.source,
                "dest": t.dest,
                "roles": t.roles,
            }
        )
    return page(
        request,
        "workflow.html",
        back=f"{web.PREFIX}/workflows/{quote(spec.key, safe='@')}",
        spec=spec,
        summary=summary,
        others=older,
        states={name: s.label.model_dump() for name, s in spec.states.items()},
        moves=moves,
        diagram=Markup(flow.diagram_svg(spec.key, lang=language(request))),
        mermaid=flow.diagram(spec.key),
        active="workflows",
    )

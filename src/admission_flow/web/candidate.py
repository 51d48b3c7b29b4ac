"""The candidate page: personal data, state, timeline, open deadlines, what can happen next with every reason
why not, and the form that records an event. A refusal answers 422 with the same page: every reason, in the
page's language, and the form as it was typed."""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from admission_flow.domain.values import DocumentRecord, Votes
from admission_flow.errors import ConcurrentUpdate, InvalidInput, TransitionRefused
from admission_flow.web import session as web
from admission_flow.web.pages import router, signed_in
from admission_flow.web.render import language, page

PAPER_ROWS = 3


def _role(request: Request, asked: str) -> str | None:
    roles: list[str] = request.state.web_session.user.roles
    return asked if asked in roles else (roles[0] if roles else None)


@router.get("/candidates/{candidate_id}")
@signed_in
async def candidate_page(
    request: Request, candidate_id: str, role: str = "", fired: str = "", trigger: str = ""
) -> Response:
    return _render(request, candidate_id, {"role": [_role(request, role) or ""], "trigger": [trigger]}, fired=fired)


@router.post("/candidates/{candidate_id}/fire")
@signed_in
async def fire(request: Request, candidate_id: str) -> Response:
    session = request.state.web_session
    values = await web.form(request)
    web.check_token(session.csrf_token, values)
    flow = web.flow_of(request)
    trigger = web.first(values, "trigger")
    try:
        event = _event(values)
        result = flow.fire(
            candidate_id,
            trigger,
            role=_role(request, web.first(values, "role")),
            actor=f"user:{session.user.login}",
            within=session.user.org_id,
            **event,
        )
    except TransitionRefused as refused:
        return _render(request, candidate_id, values, status=422, refused=refused)
    except InvalidInput as bad:
        return _render(request, candidate_id, values, status=400, invalid=str(bad))
    except ConcurrentUpdate:
        return _render(request, candidate_id, values, status=409, invalid_key="conflict")
    return RedirectResponse(f"{web.PREFIX}/candidates/{candidate_id}?fired={result.trigger}", status_code=303)


def _date(text: str, name: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{name}: a date YYYY-MM-DD, not {text!r}") from None


def _int(text: str, name: str) -> int | None:
    if not text.strip():
        return None
    try:
        return int(text.strip())
    except ValueError:
        raise InvalidInput(f"{name}: a whole number, not {text!r}") from None


def _event(values: dict[str, list[str]]) -> dict[str, Any]:
    """The keyword arguments of ``fire`` from the form: date, papers, votes, data, acting organisation."""
    papers = []
    kinds, issued, refs = values.get("paper_kind", []), values.get("paper_on", []), values.get("paper_ref", [])
    for i, kind in enumerate(kinds[:PAPER_ROWS]):
        if not kind:
            continue
        on = _date(issued[i] if i < len(issued) else "", f"paper {i + 1} issued on")
        if on is None:
            raise InvalidInput(f"paper {i + 1} ({kind}): the date it was issued is missing")
        ref = (refs[i] if i < len(refs) else "").strip() or None
        papers.append(DocumentRecord(kind, on, ref))
    in_favour, eligible = (
        _int(web.first(values, "in_favour"), "in favour"),
        _int(web.first(values, "eligible"), "eligible"),
    )
    against = _int(web.first(values, "against"), "against")
    votes = None
    if in_favour is not None or eligible is not None:
        if in_favour is None or eligible is None:
            raise InvalidInput("votes: give both the votes in favour and the number of full members")
        votes = Votes(in_favour, eligible, against)
    data: dict[str, Any] = {}
    for number, line in enumerate(web.first(values, "data").splitlines(), 1):
        if not line.strip():
            continue
        key, sep, raw = line.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(f"data line {number}: key=value, not {line!r}")
        try:
            data[key.strip()] = json.loads(raw)
        except ValueError:
            data[key.strip()] = raw.strip()
    acting = web.first(values, "acting_org").strip() or None
    on = _date(web.first(values, "on"), "date")
    return {"on": on, "documents": papers, "votes": votes, "data": data, "acting_org": acting}


def _render(
    request: Request,
    candidate_id: str,
    typed: dict[str, list[str]],
    *,
    status: int = 200,
    fired: str = "",
    refused: TransitionRefused | None = None,
    invalid: str | None = None,
    invalid_key: str | None = None,
) -> Response:
    flow = web.flow_of(request)
    user = request.state.web_session.user
    within = user.org_id
    person = flow.candidate(candidate_id, within=within)
    spec = flow.workflow(person.workflow)
    role = _role(request, web.first(typed, "role"))
    options = flow.options(candidate_id, role=role, within=within)
    labels: dict[str, dict[str, str] | None] = {}
    for t in spec.transitions:  # a trigger routed several ways is labelled on its first transition
        if labels.get(t.trigger) is None:
            labels[t.trigger] = t.label.model_dump() if t.label else None
    return page(
        request,
        "candidate.html",
        status,
        back=f"{web.PREFIX}/candidates/{quote(candidate_id, safe='')}",
        person=person,
        org=flow.org(person.org_id, within=within),
        state_label=spec.states[person.state].label.model_dump(),
        states={name: s.label.model_dump() for name, s in spec.states.items()},
        history=flow.history(candidate_id, within=within),
        deadlines=flow.deadlines(candidate_id=candidate_id, within=within),
        options=options,
        labels=labels,
        documents={k: d.label.model_dump() for k, d in spec.documents.items()},
        role=role,
        typed=typed,
        paper_rows=PAPER_ROWS,
        fired=fired if fired in labels else "",
        refused=refused,
        invalid=invalid,
        invalid_key=invalid_key,
        today=flow.today(),
        # the workflow drawn with the current state stressed (workflow/picture.py escapes every text in it)
        diagram=Markup(flow.diagram_svg(person.workflow, current=person.state, lang=language(request))),
    )

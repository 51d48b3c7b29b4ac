"""``/api/v1/candidates``: create and start, list a page, read, correct personal data, fire, options, history,
papers, deadlines and who is competent. Every call is bounded by the token's subtree (``within``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request, Response

from admission_flow.api.problems import documented
from admission_flow.api.schemas import (
    CANDIDATE_EXAMPLES,
    FIRE_EXAMPLES,
    CandidateIn,
    EventIn,
    IdempotencyKey,
    IfMatch,
    OptionsIn,
)
from admission_flow.api.security import Flow, Reader, Writer, role_for
from admission_flow.api.writes import answer_write, candidate_etag, etag, if_match_version, json_response
from admission_flow.domain.inputs import CandidateChanges
from admission_flow.domain.records import (
    Caller,
    CandidateRecord,
    DeadlineRecord,
    EventRecord,
    FireResult,
    Option,
)
from admission_flow.domain.values import DocumentRecord, Votes
from admission_flow.errors import TransitionRefused
from admission_flow.flow import AdmissionFlow

router = APIRouter(prefix="/api/v1/candidates", tags=["candidates"], responses=documented(401, 422, 503))
NOT_FOUND = documented(404)
WRITE = documented(400, 403, 404, 409, 412)
ETAG = {
    "ETag": {
        "description": 'The candidate\'s version: "<instance>.<version>" (send it back as If-Match)',
        "schema": {"type": "string"},
    }
}


@router.post(
    "",
    status_code=201,
    response_model=CandidateRecord,
    responses={**WRITE, 201: {"description": "Created", "headers": ETAG}},
)
async def create_candidate(
    request: Request,
    flow: Flow,
    who: Writer,
    body: Annotated[CandidateIn, Body(openapi_examples=CANDIDATE_EXAMPLES)],
    idempotency_key: IdempotencyKey = None,  # type: ignore[assignment]
) -> Response:
    """Register a candidate in the token's subtree and start them on a workflow version."""
    values = body.model_dump(exclude={"workflow", "on"}, exclude_unset=True)

    def produce(_: str | None) -> Response:
        found = flow.add_candidate(
            workflow=body.workflow,
            on=body.on,
            within=who.org_id,
            actor=_actor(who, None),
            token_id=who.token_id,
            **values,
        )
        location = f"/api/v1/candidates/{found.id}"
        return json_response(found, 201, ETag=candidate_etag(found), Location=location)

    return answer_write(request, flow, who, lambda: body.model_dump(mode="json"), produce)


@router.get("", response_model=dict[str, Any], responses=documented(400, 404))
async def list_candidates(
    flow: Flow,
    who: Reader,
    org_id: Annotated[str | None, Query(max_length=64, description="only this organisation's subtree")] = None,
    state: Annotated[str | None, Query(max_length=64)] = None,
    workflow: Annotated[str | None, Query(max_length=100, description="ID or ID@VERSION")] = None,
    sort: Annotated[Literal["id", "-id", "full_name", "-full_name", "updated_at", "-updated_at"], Query()] = "id",
    cursor: Annotated[str | None, Query(max_length=1000, description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Response:
    """A page of candidates (``items``) and the cursor of the next page (``next_cursor``, null on the last)."""
    page = flow.candidate_page(
        within=who.org_id, org_id=org_id, state=state, workflow=workflow, sort=sort, cursor=cursor, limit=limit
    )
    return json_response({"items": [c.as_dict() for c in page.items], "next_cursor": page.next_cursor})


@router.get(
    "/{candidate_id}",
    response_model=CandidateRecord,
    responses={**NOT_FOUND, 200: {"description": "OK", "headers": ETAG}},
)
async def get_candidate(flow: Flow, who: Reader, candidate_id: str) -> Response:
    found = flow.candidate(candidate_id, within=who.org_id)
    return json_response(found, ETag=candidate_etag(found))


@router.patch(
    "/{candidate_id}", response_model=CandidateRecord, responses={**WRITE, 200: {"description": "OK", "headers": ETAG}}
)
async def update_candidate(
    request: Request,
    flow: Flow,
    who: Writer,
    candidate_id: str,
    body: CandidateChanges,
    idempotency_key: IdempotencyKey = None,  # type: ignore[assignment]
    if_match: IfMatch = None,  # type: ignore[assignment]
) -> Response:
    """Correct personal data (only the fields sent change); audited as ``update_personal_data``."""
    changes = body.given()

    def produce(_: str | None) -> Response:
        expected = if_match_version(request, flow, who.org_id, candidate_id)
        found = flow.update_candidate(
            candidate_id,
            within=who.org_id,
            actor=_actor(who, None),
            token_id=who.token_id,
            expected_version=expected,
            **changes,
        )
        return json_response(found, ETag=candidate_etag(found))

    return answer_write(request, flow, who, lambda: body.model_dump(mode="json", exclude_unset=True), produce)


@router.post(
    "/{candidate_id}/events",
    status_code=201,
    response_model=FireResult,
    responses={**WRITE, 201: {"description": "Applied", "headers": ETAG}},
)
async def fire(
    request: Request,
    flow: Flow,
    who: Writer,
    candidate_id: str,
    body: Annotated[EventIn, Body(openapi_examples=FIRE_EXAMPLES)],
    idempotency_key: IdempotencyKey = None,  # type: ignore[assignment]
    if_match: IfMatch = None,  # type: ignore[assignment]
) -> Response:
    """Fire an event: 201 with the new version, or a 422 problem listing every reason it is refused."""
    role = role_for(who, body.role)

    def produce(key: str | None) -> Response:
        expected = if_match_version(request, flow, who.org_id, candidate_id)
        try:
            found = _fire(flow, who, candidate_id, body, role, key, expected)
        except TransitionRefused as exc:
            request.state.event = ("refused", [r.code for r in exc.reasons])
            raise
        request.state.event = ("fired", body.trigger)
        return json_response(found, 201, ETag=etag(found.instance_id, found.version))

    return answer_write(request, flow, who, lambda: body.model_dump(mode="json"), produce)


def _fire(
    flow: AdmissionFlow,
    who: Caller,
    candidate_id: str,
    body: EventIn,
    role: str | None,
    key: str | None,
    expected: int | None,
) -> FireResult:
    return flow.fire(
        candidate_id,
        body.trigger,
        on=body.on,
        actor=_actor(who, body.actor),
        role=role,
        data=body.data,
        documents=[DocumentRecord(d.kind, d.issued_on, d.reference, d.attributes) for d in body.documents],
        votes=_votes(body),
        idempotency_key=None if key is None else f"t{who.token_id}:{key}",
        expected_version=expected,
        acting_org=body.acting_org or who.org_id,
        within=who.org_id,
        token_id=who.token_id,
    )


@router.get("/{candidate_id}/options", response_model=list[Option], responses=documented(403, 404))
async def options(
    flow: Flow,
    who: Reader,
    candidate_id: str,
    on: date | None = None,
    role: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """What can happen next from the current state, each with every reason it cannot (yet)."""
    found = flow.options(candidate_id, on=on, role=_viewing_role(who, role), acting_org=who.org_id, within=who.org_id)
    return json_response([o.as_dict() for o in found])


@router.post("/{candidate_id}/options", response_model=list[Option], responses=documented(400, 403, 404))
async def options_with(flow: Flow, who: Reader, candidate_id: str, body: OptionsIn) -> Response:
    """Options judged with the papers, votes and data the event would carry (so options and fire agree)."""
    found = flow.options(
        candidate_id,
        on=body.on,
        role=_viewing_role(who, body.role),
        votes=_votes(body),
        data=body.data,
        documents=[DocumentRecord(d.kind, d.issued_on, d.reference, d.attributes) for d in body.documents],
        acting_org=body.acting_org or who.org_id,
        within=who.org_id,
    )
    return json_response([o.as_dict() for o in found])


@router.get("/{candidate_id}/events", response_model=list[EventRecord], responses=NOT_FOUND)
async def history(flow: Flow, who: Reader, candidate_id: str) -> Response:
    """The audit trail, oldest first: every event with its papers, votes, actor and token. An event's
    ``idempotency_key`` is shown as its caller sent it, and only to that caller's token."""
    return json_response([_as_seen(e.as_dict(), who) for e in flow.history(candidate_id, within=who.org_id)])


@router.get("/{candidate_id}/documents", response_model=dict[str, Any], responses=NOT_FOUND)
async def documents(flow: Flow, who: Reader, candidate_id: str) -> Response:
    """The papers on file, by kind, as recorded on the candidate (what guards read)."""
    return json_response(flow.candidate(candidate_id, within=who.org_id).documents)


@router.get("/{candidate_id}/deadlines", response_model=list[DeadlineRecord], responses=NOT_FOUND)
async def deadlines(flow: Flow, who: Reader, candidate_id: str) -> Response:
    found = flow.deadlines(candidate_id=candidate_id, within=who.org_id)
    return json_response([d.as_dict() for d in found])


@router.get("/{candidate_id}/competent", response_model=list[dict[str, Any]], responses=NOT_FOUND)
async def competent(flow: Flow, who: Reader, candidate_id: str) -> Response:
    """Per next event that needs a power (admission, recognition, consent): the organisation holding it."""
    found = flow.competent(candidate_id, within=who.org_id)
    return json_response(
        [{**f, "org": None if f["org"] is None else {"id": f["org"].id, "name": f["org"].name}} for f in found]
    )


def _as_seen(event: dict[str, Any], who: Caller) -> dict[str, Any]:
    key = event["idempotency_key"]
    if key is not None:
        own = f"t{who.token_id}:"
        event["idempotency_key"] = key.removeprefix(own) if key.startswith(own) else None
    return event


def _actor(who: Caller, named: str | None) -> str:
    return named or f"token:{who.name}"


def _viewing_role(who: Caller, asked: str | None) -> str | None:
    """Options are judged in the role named, or the token's only role (with several and none named: none)."""
    return role_for(who, asked) if asked is not None or len(who.roles) == 1 else None


def _votes(body: OptionsIn) -> Votes | None:
    v = body.votes
    return None if v is None else Votes(v.in_favour, v.eligible, v.against)

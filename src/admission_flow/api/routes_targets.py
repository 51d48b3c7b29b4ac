"""``/api/v1/targets`` and ``/api/v1/classes``: term targets and annual quotas (with the 2–3× and allocation
warnings) and the classes held; ``/api/v1/people`` and ``/api/v1/handover``: finding a person by an identifier
and the hand-over to the member database. Every call is bounded by the token's subtree."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BeforeValidator, Field

from admission_flow.api.problems import documented
from admission_flow.api.schemas import IdempotencyKey, Strict
from admission_flow.api.security import Flow, Reader, Writer
from admission_flow.api.writes import answer_write, json_response
from admission_flow.domain.handover import HandoverExport
from admission_flow.domain.planning import COUNT_LIMIT, AllocationRecord, ClassRecord, TargetRecord
from admission_flow.domain.records import CandidateRecord

router = APIRouter(prefix="/api/v1", responses=documented(401, 422, 503))
WRITE = documented(400, 403, 404, 409)
OrgId = Annotated[str | None, Query(max_length=64, description="default: every organisation of the token's subtree")]
Year = Annotated[int | None, Query(ge=1900, le=2999, description="a calendar year (1 January – 31 December)")]
Kind = Literal["annual", "term"]
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_only(value: Any) -> Any:
    """Only ``YYYY-MM-DD`` (pydantic alone would also take ``0`` as 1 January 1970)."""
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DAY.fullmatch(value)):
        return value
    raise ValueError("a date is written YYYY-MM-DD")


IsoDay = Annotated[date, BeforeValidator(_iso_only)]


class TargetIn(Strict):
    org_id: str | None = Field(
        default=None, min_length=1, max_length=64, description="default: the token's organisation"
    )
    kind: Kind = "annual"
    year: int | None = Field(default=None, ge=1900, le=2999, description="instead of starts_on and ends_on")
    starts_on: IsoDay | None = None
    ends_on: IsoDay | None = Field(default=None, description="inclusive")
    admissions: int = Field(ge=0, le=COUNT_LIMIT)
    sourcing_plan: int | None = Field(default=None, ge=0, le=COUNT_LIMIT)
    note: str | None = Field(default=None, max_length=2000)


class ClassIn(Strict):
    org_id: str | None = Field(
        default=None, min_length=1, max_length=64, description="default: the token's organisation"
    )
    kind: Literal["awareness", "new_member"]
    reference: str = Field(min_length=1, max_length=64)
    starts_on: IsoDay
    ends_on: IsoDay | None = None
    attendees: int = Field(ge=0, le=COUNT_LIMIT)
    note: str | None = Field(default=None, max_length=2000)


@router.put("/targets", tags=["targets"], response_model=TargetRecord, responses=WRITE)
async def set_target(
    request: Request,
    flow: Flow,
    who: Writer,
    body: TargetIn,
    idempotency_key: IdempotencyKey = None,  # type: ignore[assignment]
) -> Response:
    """Set or replace (same organisation, kind and start) a target; ``warnings`` never refuse it."""

    def produce(_: str | None) -> Response:
        found = flow.set_target(
            body.org_id or who.org_id,
            **body.model_dump(exclude={"org_id"}),
            within=who.org_id,
        )
        return json_response(found)

    return answer_write(request, flow, who, lambda: body.model_dump(mode="json"), produce)


@router.get("/targets", tags=["targets"], response_model=list[TargetRecord], responses=documented(400, 404))
async def targets(
    flow: Flow, who: Reader, org_id: OrgId = None, kind: Kind | None = None, year: Year = None
) -> Response:
    """Targets of the subtree (of ``org_id``) whose period meets ``year``, each with its sourcing-plan warning."""
    found = flow.targets(org_id=org_id, kind=kind, year=year, within=who.org_id)
    return json_response([t.as_dict() for t in found])


@router.delete("/targets/{org_id}/{kind}/{starts_on}", tags=["targets"], status_code=204, responses=WRITE)
async def remove_target(
    flow: Flow, who: Writer, org_id: Annotated[str, Path(max_length=64)], kind: Kind, starts_on: IsoDay
) -> Response:
    flow.remove_target(org_id, kind=kind, starts_on=starts_on, within=who.org_id)
    return Response(status_code=204)


@router.get(
    "/targets/allocation", tags=["targets"], response_model=list[AllocationRecord], responses=documented(400, 404)
)
async def allocation(
    flow: Flow, who: Reader, org_id: OrgId = None, kind: Kind = "annual", year: Year = None
) -> Response:
    """Each parent's target beside its children's sum for the same period (short or over: a warning)."""
    found = flow.allocation(kind=kind, org_id=org_id, year=year, within=who.org_id)
    return json_response([a.as_dict() for a in found])


@router.post("/classes", tags=["classes"], status_code=201, response_model=ClassRecord, responses=WRITE)
async def add_class(
    request: Request,
    flow: Flow,
    who: Writer,
    body: ClassIn,
    idempotency_key: IdempotencyKey = None,  # type: ignore[assignment]
) -> Response:
    """Record an awareness or new-member class (the reference is unique per organisation and kind: 409)."""

    def produce(_: str | None) -> Response:
        found = flow.add_class(body.org_id or who.org_id, **body.model_dump(exclude={"org_id"}), within=who.org_id)
        return json_response(found, 201)

    return answer_write(request, flow, who, lambda: body.model_dump(mode="json"), produce)


@router.get("/classes", tags=["classes"], response_model=list[ClassRecord], responses=documented(400, 404))
async def classes(
    flow: Flow,
    who: Reader,
    org_id: OrgId = None,
    kind: Literal["awareness", "new_member"] | None = None,
    year: Year = None,
) -> Response:
    found = flow.classes(org_id=org_id, kind=kind, year=year, within=who.org_id)
    return json_response([c.as_dict() for c in found])


@router.get("/people", tags=["people"], response_model=CandidateRecord, responses=documented(400, 404))
async def person(
    flow: Flow,
    who: Reader,
    personal_id: Annotated[str | None, Query(max_length=12)] = None,
    party_card_no: Annotated[str | None, Query(max_length=32)] = None,
    old_card_no: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    """The candidate holding the one identifier given (404 if nobody in the token's subtree does)."""
    found = flow.candidate_by_identifier(
        personal_id=personal_id, party_card_no=party_card_no, old_card_no=old_card_no, within=who.org_id
    )
    return json_response(found)


@router.get("/handover", tags=["handover"], response_model=HandoverExport, responses=documented(400, 404))
async def handover(
    flow: Flow,
    who: Reader,
    org_id: OrgId = None,
    starts: Annotated[IsoDay | None, Query(description="first day of the period")] = None,
    ends: Annotated[IsoDay | None, Query(description="last day, inclusive")] = None,
) -> Response:
    """Who was admitted or recognised as a full member in the period, keyed on the personal id; people without
    one are listed apart (``without_personal_id``)."""
    found = flow.handover_export(org_id or who.org_id, starts=starts, ends=ends, within=who.org_id)
    return json_response(found)

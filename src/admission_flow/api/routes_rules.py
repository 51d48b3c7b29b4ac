"""``/api/v1/candidates/{id}/check-ahead``: a later step's rules judged on a planned date (issue 12), a warning."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from admission_flow.api.problems import documented
from admission_flow.api.security import Flow, Reader
from admission_flow.api.writes import json_response

router = APIRouter(prefix="/api/v1/candidates", tags=["candidates"], responses=documented(401, 422, 503))


@router.get("/{candidate_id}/check-ahead", response_model=dict[str, Any], responses=documented(400, 404))
async def check_ahead(
    flow: Flow,
    who: Reader,
    candidate_id: str,
    on: Annotated[date | None, Query(description="the planned date of the step (default: today)")] = None,
    trigger: Annotated[str, Query(max_length=64)] = "branch_vote_passed",
    guard: Annotated[list[str] | None, Query(max_length=20, description="guards to judge (readmission_ok)")] = None,
) -> Response:
    """Would ``trigger``'s named guards (default: the re-admission waits) pass on ``on`` for the candidate as
    recorded now? ``ok`` and every reason; nothing is refused or written."""
    found = flow.check_ahead(candidate_id, trigger=trigger, guards=guard or None, on=on, within=who.org_id)
    return json_response(found.as_dict())


@router.get("/{candidate_id}/membership", response_model=dict[str, Any], responses=documented(404))
async def membership(
    flow: Flow,
    who: Reader,
    candidate_id: str,
    on: Annotated[date | None, Query(description="count the party age on this date (default: today)")] = None,
) -> Response:
    """The official date of full membership (the day probation ends) and the party age on ``on``: from the
    admission decision, for a re-admitted member from the first decision minus the months outside the Party."""
    return json_response(flow.membership(candidate_id, on=on, within=who.org_id).as_dict())

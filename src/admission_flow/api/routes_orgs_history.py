"""``/api/v1/orgs/{org_id}/history``: an organisation's audited changes (rename, move, merge, authority,
dissolve, update), in the order they took effect. The tree as of a date is ``GET /api/v1/orgs?as_of=``."""

from __future__ import annotations

from fastapi import APIRouter, Response

from admission_flow.api.problems import documented
from admission_flow.api.security import Flow, Reader
from admission_flow.api.writes import json_response
from admission_flow.domain.org_history import OrgChangeRecord

router = APIRouter(prefix="/api/v1", responses=documented(401, 422, 503))


@router.get(
    "/orgs/{org_id}/history", responses=documented(404), tags=["organisations"], response_model=list[OrgChangeRecord]
)
async def org_history(flow: Flow, who: Reader, org_id: str) -> Response:
    """The organisation's changes with their effective dates, before and after, and who recorded them."""
    return json_response([c.as_dict() for c in flow.org_history(org_id, within=who.org_id)])

"""``/api/v1/reports/{name}``: a report of an organisation subtree over a period, scoped by the token's subtree,
as JSON, or as a CSV or XLSX download, or its chart (PNG, SVG)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from admission_flow.api.problems import documented
from admission_flow.api.security import Flow, Reader
from admission_flow.api.writes import json_response

router = APIRouter(prefix="/api/v1", responses=documented(401, 422, 503))
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "png": "image/png",
    "svg": "image/svg+xml",
}
ReportName = Literal[
    "attainment", "sourcing", "pipeline", "classes", "milestones", "composition", "deadlines", "durations"
]


DOWNLOADS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The report (JSON), a download (format=csv, xlsx) or its chart (format=png, svg)",
        "content": {media: {} for media in MEDIA.values()},
    }
}


@router.get(
    "/reports/{name}", tags=["reports"], response_model=dict[str, Any], responses=DOWNLOADS | documented(400, 404)
)
def report(  # a plain def: FastAPI runs it in its thread pool, so a long aggregate does not block the loop
    flow: Flow,
    who: Reader,
    name: ReportName,
    org_id: Annotated[str | None, Query(max_length=64, description="default: the token's organisation")] = None,
    year: Annotated[int | None, Query(ge=1900, le=2200)] = None,
    term: Annotated[str | None, Query(max_length=9, description="a congress term, e.g. 2020-2025")] = None,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    base: Literal["admitted", "members"] = "admitted",
    among: Annotated[str | None, Query(max_length=32)] = None,
    on: date | None = None,
    decimals: Annotated[int | None, Query(ge=0, le=4)] = None,
    rounding: Literal["half_up", "down"] | None = None,
    fmt: Annotated[Literal["json", "csv", "xlsx", "png", "svg"], Query(alias="format")] = "json",
) -> Response:
    """The report ``name`` of ``org_id``'s subtree (which must lie in the token's) over a ``year``, a ``term``
    or ``from``..``to``; ``format`` csv or xlsx downloads it, png or svg draws its chart."""
    found = flow.report(
        name,
        org_id or who.org_id,
        year=year,
        term=term,
        start=start,
        end=end,
        base=base,
        among=among,
        on=on,
        decimals=decimals,
        rounding=rounding,
        within=who.org_id,
    )
    if fmt == "json":
        return json_response(found.as_dict())
    body = flow.report_chart(found, fmt) if fmt in ("png", "svg") else flow.export_report(found, fmt)
    file_name = re.sub(r"[^A-Za-z0-9._-]", "_", f"{name}-{found.org_id}-{found.period.label}".replace("..", "_to_"))
    file_name = f"{file_name}.{fmt}"
    disposition = "inline" if fmt in ("png", "svg") else "attachment"
    return Response(
        body, media_type=MEDIA[fmt], headers={"Content-Disposition": f'{disposition}; filename="{file_name}"'}
    )

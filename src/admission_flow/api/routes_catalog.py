"""``/api/v1``: workflows, organisations, an organisation's deadlines, the outbox and webhook subscriptions."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from admission_flow.api.problems import documented
from admission_flow.api.schemas import IdempotencyKey, WebhookIn
from admission_flow.api.security import Flow, Reader, Writer
from admission_flow.api.writes import answer_write, json_response
from admission_flow.domain.records import DeadlineRecord, OrgRecord, OutboxRecord, WebhookRecord
from admission_flow.errors import InvalidInput

router = APIRouter(prefix="/api/v1", responses=documented(401, 422, 503))
NOT_FOUND = documented(404)
WebhookId = Annotated[int, Path(ge=1, le=2**31 - 1)]
MAX_WORKFLOW_UPLOAD = 1 << 20


# ---------------------------------------------------------------- workflows


@router.get("/workflows", tags=["workflows"], response_model=list[dict[str, Any]])
async def workflows(flow: Flow, _: Reader) -> Response:
    """Every workflow version loaded, with its content hash and the date it comes into force."""
    return json_response([w.as_dict() for w in flow.workflows()])


@router.get("/workflows/{workflow_id}/in-force", tags=["workflows"], response_model=dict[str, Any], responses=NOT_FOUND)
async def in_force(flow: Flow, _: Reader, workflow_id: str, on: date) -> Response:
    """The version of ``workflow_id`` new candidates start on, on date ``on``."""
    return json_response(flow.workflow_in_force(workflow_id, on))


@router.get("/workflows/{ref}", tags=["workflows"], response_model=dict[str, Any], responses=NOT_FOUND)
async def workflow(flow: Flow, _: Reader, ref: str) -> Response:
    """One version (``ID`` for the newest release or ``ID@VERSION``): its definition and Mermaid diagram."""
    spec = flow.workflow(ref)
    return json_response(
        {
            "workflow": f"{spec.id}@{spec.version}",
            "definition": spec.model_dump(mode="json"),
            "mermaid": flow.diagram(ref),
        }
    )


@router.post(
    "/workflows/validate",
    tags=["workflows"],
    response_model=dict[str, Any],
    responses=documented(400),
    openapi_extra={
        "requestBody": {
            "required": True,
            # The YAML text as it is: any bytes are a file to check (no schema: a JSON type says nothing here).
            "content": {"application/yaml": {}, "text/plain": {}},
        }
    },
)
async def validate(
    request: Request,
    flow: Flow,
    _: Reader,
    name: Annotated[str, Query(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")] = "upload.yaml",
) -> Response:
    """Validate an uploaded workflow file (the request body, YAML): ``valid``, and every problem with its
    ``file:line:column``. Nothing is saved."""
    body = await request.body()
    if not body.strip():
        raise InvalidInput("the request body is empty: send the workflow file's YAML text")
    if len(body) > MAX_WORKFLOW_UPLOAD:
        raise InvalidInput(f"a workflow file may be at most {MAX_WORKFLOW_UPLOAD} bytes")
    # Parsing and checking a large file takes long enough to stall every other request: a worker thread does it.
    summary, problems = await run_in_threadpool(flow.validate_workflow_text, name[:200] or "upload.yaml", body)
    listed = [{**vars(p), "where": str(p)} for p in problems]
    return json_response({"valid": not problems, "workflow": summary, "problems": listed})


# ---------------------------------------------------------------- organisations


@router.get("/orgs", tags=["organisations"], response_model=list[OrgRecord], responses=documented(400))
async def orgs(
    flow: Flow,
    who: Reader,
    as_of: Annotated[
        str | None,
        Query(pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD: the tree as it stood on this date"),
    ] = None,
) -> Response:
    """The token's organisation and everything below it; with ``as_of``, as the tree stood on that date."""
    if as_of is not None:
        try:
            on = date.fromisoformat(as_of)
        except ValueError:
            raise InvalidInput(f"as_of: {as_of!r} is not a date (YYYY-MM-DD)") from None
        return json_response([o.as_dict() for o in flow.org_tree(as_of=on, within=who.org_id)])
    return json_response([o.as_dict() for o in flow.orgs(within=who.org_id)])


@router.get("/orgs/{org_id}", responses=NOT_FOUND, tags=["organisations"], response_model=OrgRecord)
async def org(flow: Flow, who: Reader, org_id: str) -> Response:
    return json_response(flow.org(org_id, within=who.org_id))


@router.get("/orgs/{org_id}/subtree", responses=NOT_FOUND, tags=["organisations"], response_model=list[OrgRecord])
async def subtree(flow: Flow, who: Reader, org_id: str) -> Response:
    return json_response([o.as_dict() for o in flow.org_subtree(org_id, within=who.org_id)])


@router.get("/orgs/{org_id}/deadlines", responses=NOT_FOUND, tags=["deadlines"], response_model=list[DeadlineRecord])
async def org_deadlines(
    flow: Flow,
    who: Reader,
    org_id: str,
    status: Literal["open", "overdue", "upcoming"] = "open",
    days: Annotated[int, Query(ge=1, le=3660, description="with status=upcoming: due within this many days")] = 30,
) -> Response:
    """Open deadlines of the organisation's subtree, soonest first: all, overdue, or due within ``days``."""
    found = flow.deadlines(
        org_id=org_id,
        within=who.org_id,
        overdue=status == "overdue",
        upcoming_days=days if status == "upcoming" else None,
    )
    return json_response([d.as_dict() for d in found])


# ---------------------------------------------------------------- outbox and webhooks


@router.get("/outbox", tags=["outbox"], response_model=list[OutboxRecord])
async def outbox(
    flow: Flow, who: Reader, failed_only: bool = False, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> Response:
    """Messages about candidates of the token's subtree (e-mails and webhooks), newest first."""
    found = flow.outbox(failed_only=failed_only, limit=limit, within=who.org_id)
    return json_response([m.as_dict() for m in found])


@router.post(
    "/webhooks",
    tags=["webhooks"],
    status_code=201,
    response_model=dict[str, Any],
    responses=documented(400, 403, 404, 409),
)
async def add_webhook(
    request: Request,
    flow: Flow,
    who: Writer,
    body: WebhookIn,
    idempotency_key: IdempotencyKey = None,  # type: ignore[assignment]
) -> Response:
    """Subscribe a URL to the events of candidates in an organisation's subtree. The answer holds the signing
    secret: it is shown only this once."""

    def produce(_: str | None) -> Response:
        record, secret = flow.add_webhook(
            body.org_id or who.org_id, body.url, tuple(body.event_types), within=who.org_id
        )
        return json_response({**record.as_dict(), "secret": secret}, 201, Location=f"/api/v1/webhooks/{record.id}")

    return answer_write(request, flow, who, lambda: body.model_dump(mode="json"), produce, redact=("secret",))


@router.get("/webhooks", tags=["webhooks"], response_model=list[WebhookRecord])
async def webhooks(flow: Flow, who: Reader) -> Response:
    return json_response([w.as_dict() for w in flow.webhooks(within=who.org_id)])


@router.get("/webhooks/{webhook_id}", responses=NOT_FOUND, tags=["webhooks"], response_model=WebhookRecord)
async def webhook(flow: Flow, who: Reader, webhook_id: WebhookId) -> Response:
    return json_response(flow.webhook(webhook_id, within=who.org_id))


@router.delete("/webhooks/{webhook_id}", tags=["webhooks"], status_code=204, responses=documented(403, 404))
async def remove_webhook(flow: Flow, who: Writer, webhook_id: WebhookId) -> Response:
    flow.remove_webhook(webhook_id, within=who.org_id)
    return Response(status_code=204)

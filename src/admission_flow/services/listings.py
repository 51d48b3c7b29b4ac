"""Listings of durable time: open and overdue deadlines, the reminder forecast, the outbox; and the retry
commands an operator runs after fixing what made rows fail."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from admission_flow.domain.recipients import collect_recipients, role_contacts
from admission_flow.domain.records import DeadlineRecord, OrgRecord, OutboxRecord, ReminderRecord
from admission_flow.domain.stored import OutboxRow
from admission_flow.errors import ConfigurationError, NotFound
from admission_flow.services.delivery import EMAIL, render_message
from admission_flow.services.deps import Deps
from admission_flow.services.scope import require_org
from admission_flow.workflow.spec import DeadlineSpec


def deadlines(
    deps: Deps,
    *,
    overdue: bool,
    org_id: str | None,
    within: str | None = None,
    candidate_id: str | None = None,
    upcoming_days: int | None = None,
) -> list[DeadlineRecord]:
    """Open deadlines, soonest first, in ``org_id``'s (and ``within``'s) subtree if given, or one candidate's:
    only those past due with ``overdue``; only those not yet due and due within ``upcoming_days`` days with it."""
    now, today = deps.clock.now(), deps.today()
    with deps.db.transaction(readonly=True) as uow:
        if org_id is not None:
            require_org(uow, org_id, within)
        if candidate_id is not None and uow.instances.load(candidate_id, within) is None:
            raise NotFound("candidate", candidate_id)
        rows = uow.queries.open_deadlines(org_id, within=within, candidate_id=candidate_id)
    records = []
    for r in rows:
        late = r.timer.fire_at <= now
        if overdue and not late:
            continue
        if upcoming_days is not None and (late or (r.timer.due_on - today).days > upcoming_days):
            continue
        spec = _deadline(deps, r.workflow_id, r.workflow_version, r.timer.state, r.timer.deadline_id)
        records.append(
            DeadlineRecord(
                r.candidate_id,
                r.full_name,
                r.org_id,
                r.timer.state,
                r.timer.deadline_id,
                spec.label.model_dump(),
                r.timer.due_on,
                r.timer.fire_at,
                (r.timer.due_on - today).days,
                late,
                (r.extensions or {}).get(r.timer.deadline_id, 0),
                r.timer.status,
                r.timer.outcome,
            )
        )
    return records


def _deadline(deps: Deps, workflow_id: str, version: str, state: str, deadline_id: str) -> DeadlineSpec:
    wf = deps.catalog.get(workflow_id, version)
    return next(d for d in wf.spec.deadlines_of(state) if d.id == deadline_id)


def upcoming(deps: Deps, within: timedelta, *, include_due: bool = False) -> list[ReminderRecord]:
    """What the sweep will do after now and up to ``now + within``: every reminder and due action, with its
    recipients. Rows already due (overdue, waiting for the next sweep) only with ``include_due``."""
    now = deps.clock.now()
    with deps.db.transaction(readonly=True) as uow:
        rows = [r for r in uow.queries.pending_timers(now + within) if include_due or r.fire_at > now]
        instances = uow.instances.load_by_ids(sorted({r.instance_id for r in rows})) if rows else {}
        ancestry = {i.org.id: uow.orgs.ancestry(i.org.id) for i in instances.values()}
    records = []
    for r in rows:
        inst = instances[r.instance_id]
        spec = _deadline(deps, inst.workflow_id, inst.workflow_version, r.state, r.deadline_id)
        roles, template, action = _what(spec, r.rung)
        people, missing = collect_recipients(
            roles, inst.candidate.full_name, inst.candidate.email, partial(_contacts, ancestry[inst.org.id])
        )
        records.append(
            ReminderRecord(
                r.fire_at,
                inst.candidate_id,
                inst.candidate.full_name,
                r.deadline_id,
                r.due_on,
                r.kind,
                template,
                action,
                people,
                missing,
            )
        )
    return records


def _contacts(chain: list[OrgRecord], role: str) -> list[dict[str, str]]:
    return role_contacts(role, chain)


def outbox(deps: Deps, *, failed_only: bool, limit: int, within: str | None = None) -> list[OutboxRecord]:
    with deps.db.transaction(readonly=True) as uow:
        rows = uow.outbox.listing(failed_only=failed_only, limit=limit, within=within)
    return [
        OutboxRecord(
            r.id,
            r.status,
            r.template,
            r.subject or _subject(deps, r),
            r.recipients,
            r.attempts,
            r.last_error,
            r.message_id,
            r.created_at,
            r.next_attempt_at,
            r.sent_at,
            r.channel,
        )
        for r in rows
    ]


def _subject(deps: Deps, row: OutboxRow) -> str:
    """A message swept but not yet delivered is rendered for display (delivery renders and keeps the text)."""
    if row.channel != EMAIL:  # a webhook call has no subject
        return f"({row.channel}: {row.template})"
    if row.context is None:
        return f"({row.template})"
    try:
        return render_message(deps, row)[0]
    except ConfigurationError as exc:
        return f"({row.template}: {exc})"


def retry_outbox(deps: Deps, message_ids: list[int]) -> int:
    """Give dead messages another round of attempts (all of them, or those listed)."""
    with deps.db.transaction() as uow:
        return uow.outbox.retry(deps.clock.now(), message_ids or None)


def retry_timers(deps: Deps, candidate_id: str | None) -> int:
    """Failed timer rows (all, or one candidate's) back to pending for the next sweep."""
    with deps.db.transaction() as uow:
        instance_ids = None
        if candidate_id is not None:
            instance_ids = uow.instances.ids_of(candidate_id)
            if not instance_ids:
                raise NotFound("candidate", candidate_id)
        return uow.timers.retry_failed(instance_ids)


def _what(spec: DeadlineSpec, rung: int) -> tuple[list[str], str | None, str]:
    if rung:
        r = spec.remind[rung - 1]
        side = f"{r.before} before" if r.before else f"{r.after} after"
        return list(r.to), r.template, f"remind ({side})"
    action = spec.on_due
    if action is None:
        return [], None, "due (no action)"
    if action.fire:
        return [], None, f"fire {action.fire}"
    target = action.escalate or action.notify
    assert target is not None
    return list(target.to), target.template, ("escalate" if action.escalate else "notify")

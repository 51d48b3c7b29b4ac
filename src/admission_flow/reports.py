"""Read-side views of durable time: open and overdue deadlines, the reminder forecast, the outbox."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from admission_flow.domain.records import DeadlineRecord, OutboxRecord, ReminderRecord
from admission_flow.errors import ConfigurationError, NotFound
from admission_flow.service import _subtree
from admission_flow.store import timers as t
from admission_flow.timekeeper import resolve_recipients

if TYPE_CHECKING:
    from admission_flow.flow import AdmissionFlow


class TimeReports:
    def __init__(self, flow: AdmissionFlow) -> None:
        self.flow = flow

    def _today(self) -> date:
        return self.flow.service.today()

    def deadlines(self, *, overdue: bool, org_id: str | None) -> list[DeadlineRecord]:
        now, today = self.flow.clock.now(), self._today()
        with self.flow.store.transaction(readonly=True) as tx:
            if org_id is not None and tx.get_org(org_id) is None:
                raise NotFound("org", org_id)
            org_ids = _subtree(tx, org_id) if org_id is not None else None
            rows = t.open_deadlines(tx.connection, org_ids)
        records = []
        for r in rows:
            wf = self.flow.catalog.get(r.workflow_id, r.workflow_version)
            spec = next(d for d in wf.spec.deadlines_of(r.state) if d.id == r.deadline_id)
            late = r.fire_at <= now
            if overdue and not late:
                continue
            records.append(
                DeadlineRecord(
                    r.candidate_id,
                    r.full_name,
                    r.org_id,
                    r.state,
                    r.deadline_id,
                    spec.label.model_dump(),
                    r.due_on,
                    r.fire_at,
                    (r.due_on - today).days,
                    late,
                    (r.extensions or {}).get(r.deadline_id, 0),
                    r.status,
                    r.outcome,
                )
            )
        return records

    def upcoming(self, within: timedelta) -> list[ReminderRecord]:
        """What the sweep will do up to ``now + within``: every reminder and due action, with its recipients."""
        until = self.flow.clock.now() + within
        with self.flow.store.transaction(readonly=True) as tx:
            rows = t.pending_timers(tx.connection, kind=None, before=until, instance_ids=None)
            instances = tx.load_instances_by_id(sorted({r.instance_id for r in rows})) if rows else {}
            ancestry = {i.org.id: tx.org_ancestry(i.org.id) for i in instances.values()}
        records = []
        for r in rows:
            inst = instances[r.instance_id]
            wf = self.flow.catalog.get(inst.workflow_id, inst.workflow_version)
            spec = next(d for d in wf.spec.deadlines_of(r.state) if d.id == r.deadline_id)
            roles, template, action = _what(spec, r.rung)
            people, missing = resolve_recipients(roles, inst, ancestry[inst.org.id])
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

    def outbox(self, *, failed_only: bool, limit: int) -> list[OutboxRecord]:
        with self.flow.store.transaction(readonly=True) as tx:
            rows = t.list_outbox(tx.connection, failed_only=failed_only, limit=limit)
        return [
            OutboxRecord(
                r.id,
                r.status,
                r.template,
                r.subject or self._subject(r),
                r.recipients,
                r.attempts,
                r.last_error,
                r.message_id,
                r.created_at,
                r.next_attempt_at,
                r.sent_at,
            )
            for r in rows
        ]

    def _subject(self, row: Any) -> str:
        """A message swept but not yet delivered is rendered for display (delivery renders and keeps the text)."""
        if row.context is None:
            return f"({row.template})"
        context = dict(row.context, due_on=date.fromisoformat(row.context["due_on"]))
        try:
            return self.flow.renderer.render(row.template, context)[0]
        except ConfigurationError as exc:
            return f"({row.template}: {exc})"

    def retry(self, message_ids: list[int]) -> int:
        with self.flow.store.transaction() as tx:
            return t.retry_outbox(tx.connection, self.flow.clock.now(), message_ids or None)

    def retry_timers(self, candidate_id: str | None) -> int:
        with self.flow.store.transaction() as tx:
            instances = None
            if candidate_id is not None:
                instances = tx.instance_ids_of(candidate_id)
                if not instances:
                    raise NotFound("candidate", candidate_id)
            return t.retry_failed(tx.connection, instances)


def _what(spec: Any, rung: int) -> tuple[list[str], str | None, str]:
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
    return list(target.to), target.template, ("escalate" if action.escalate else "notify")

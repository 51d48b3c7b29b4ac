"""Durable time: deadline projection, the sweep of due timers, outbox delivery, and their listings.

Every deadline and reminder rung is a row in ``timers``, written in the same transaction as the event that
causes it (see :meth:`Timekeeper.project`). :meth:`Timekeeper.sweep` turns due rows into outbox messages or
automatic events, a batch per transaction; a unique key per (instance, state entry, deadline, rung) and per
outbox ``timer_id`` makes a repeated sweep harmless. :meth:`Timekeeper.deliver` sends after commit, with a
lease so a crash between claim and send resends at most once, and the Message-ID never changes.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from admission_flow.clock import Clock
from admission_flow.errors import ConfigurationError, NotFound, TransitionRefused, WorkflowChanged
from admission_flow.machine import CompiledWorkflow
from admission_flow.notify import DeliveryError, Notifier, OutgoingMail
from admission_flow.notify.render import Renderer
from admission_flow.store import timers as t
from admission_flow.store.repository import InstanceRow, Store, Tx, as_date
from admission_flow.workflow.deadlines import DUE_RUNG, Projection, anchor_date, project
from admission_flow.workflow.spec import DeadlineSpec

if TYPE_CHECKING:
    from admission_flow.calendar import WorkingCalendar
    from admission_flow.workflow.catalog import Catalog

SWEEP_LEASE = "sweeper"
AutoFire = Callable[[Tx, InstanceRow, str, date, str], int]


@dataclass
class SweepReport:
    claimed: int = 0
    messages: int = 0
    fired: int = 0
    failed: int = 0
    stale: int = 0
    batches: int = 0
    lease_held_elsewhere: bool = False


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Policy:
    zone: ZoneInfo
    reminder_time: time
    sweep_batch: int
    sender: str
    max_attempts: int
    backoff: timedelta
    lease: timedelta


class Timekeeper:
    def __init__(
        self,
        store: Store,
        catalog: Callable[[], Catalog],
        calendar: Callable[[], WorkingCalendar],
        clock: Clock,
        renderer: Renderer,
        notifier: Callable[[], Notifier],
        policy: Policy,
    ) -> None:
        self.store = store
        self._catalog = catalog
        self._calendar = calendar
        self.clock = clock
        self.renderer = renderer
        self._notifier = notifier
        self.policy = policy
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"

    # ---------------------------------------------------------------- projection (inside the event's transaction)

    def projections(
        self,
        wf: CompiledWorkflow,
        state: str,
        dates: Mapping[str, date],
        entered_on: date,
        extensions: Mapping[str, int],
        flags: Collection[str] = (),
    ) -> list[Projection]:
        rows: list[Projection] = []
        for deadline in wf.spec.deadlines_of(state):
            anchor = anchor_date(deadline, dates, entered_on)
            if anchor is not None and (deadline.while_flag is None or deadline.while_flag in flags):
                rows += project(
                    deadline,
                    anchor,
                    extended_by=extensions.get(deadline.id, 0),
                    calendar=self._calendar(),
                    zone=self.policy.zone,
                    reminder_time=self.policy.reminder_time,
                )
        return rows

    def project(
        self,
        tx: Tx,
        instance_id: int,
        wf: CompiledWorkflow,
        *,
        moved: bool,
        state: str,
        epoch: int,
        entered_on: date,
        dates: Mapping[str, date],
        extensions: Mapping[str, int],
        now: datetime,
        trigger: str | None = None,
        flags: Collection[str] = (),
    ) -> None:
        """Bring the instance's timer rows in line with its state, dates, extensions and satisfied deadlines."""
        conn = tx.connection
        if moved:
            t.cancel_pending(conn, instance_id, now)
        if not wf.spec.deadlines_of(state):
            return
        deadlines = wf.spec.deadlines_of(state)
        for deadline in deadlines:
            if trigger is not None and not moved and trigger in deadline.done_by:
                t.cancel_deadline(conn, instance_id, epoch, deadline.id, now, f"done: {trigger}")
        wanted = self.projections(wf, state, dates, entered_on, extensions, flags)
        if not wanted:
            return  # nothing to insert or move: skip reading the instance's timer rows
        existing = {} if moved else {(r.deadline_id, r.rung): r for r in t.timers_of_epoch(conn, instance_id, epoch)}
        new_rows = []
        for p in wanted:
            row = existing.get((p.deadline_id, p.rung))
            if row is None:
                new_rows.append(self._timer_row(instance_id, state, epoch, p, now))
            elif row.status == t.PENDING and (row.fire_at != p.fire_at or row.due_on != p.due_on):
                t.move_timer(conn, row.id, due_on=p.due_on, fire_at=p.fire_at)
                if p.stale(now):  # moved into the past (e.g. a corrected date): not sent late, like a new one
                    t.cancel_deadline_rung(conn, row.id, now, "moved to a time already past")
        t.insert_timers(conn, new_rows)

    @staticmethod
    def _timer_row(instance_id: int, state: str, epoch: int, p: Projection, now: datetime) -> dict[str, Any]:
        # A reminder whose moment passed before it was projected (history typed in from paper) is not sent late;
        # the deadline itself and escalations after it still are.
        stale_reminder = p.stale(now)
        return {
            "instance_id": instance_id,
            "state": state,
            "state_epoch": epoch,
            "deadline_id": p.deadline_id,
            "rung": p.rung,
            "kind": p.kind,
            "due_on": p.due_on,
            "fire_at": p.fire_at,
            "status": t.SKIPPED if stale_reminder else t.PENDING,
            "outcome": "reminder time had passed when the deadline was projected" if stale_reminder else None,
            "created_at": now,
            "processed_at": now if stale_reminder else None,
        }

    # ---------------------------------------------------------------- sweep

    def sweep(self, auto_fire: AutoFire, now: datetime | None = None) -> SweepReport:
        now = now or self.clock.now()
        report = SweepReport()
        leased = self.store.dialect == "sqlite"
        if leased and not self._take_lease():
            report.lease_held_elsewhere = True
            return report
        try:
            self._sweep_batches(auto_fire, now, report)
        finally:
            if leased:
                with self.store.transaction() as tx:
                    t.release_lease(tx.connection, SWEEP_LEASE, self.holder)
        return report

    def _sweep_batches(self, auto_fire: AutoFire, now: datetime, report: SweepReport) -> None:
        orgs: dict[str, list[Any]] = {}
        while True:
            with self.store.transaction() as tx:
                rows = t.claim_due(tx.connection, now, self.policy.sweep_batch)
                if rows:
                    self._process(tx, rows, now, report, auto_fire, orgs)
            report.claimed += len(rows)
            report.batches += 1 if rows else 0
            if len(rows) < self.policy.sweep_batch:
                return

    def _take_lease(self) -> bool:
        # The lease runs on the real clock, not on a trial `now` (sweep --now 2030-01-01 must not lock anyone out).
        real = self.clock.now()
        with self.store.transaction() as tx:
            return t.acquire_lease(tx.connection, SWEEP_LEASE, self.holder, real, real + self.policy.lease)

    def _process(
        self,
        tx: Tx,
        rows: list[Any],
        now: datetime,
        report: SweepReport,
        auto_fire: AutoFire,
        orgs: dict[str, list[Any]],
    ) -> None:
        instances = tx.load_for_sweep(sorted({r.instance_id for r in rows}))
        outbox: list[dict[str, Any]] = []
        outcomes: list[dict[str, Any]] = []
        for row in rows:
            inst = instances.get(row.instance_id)
            if inst is None or inst.state_epoch != row.state_epoch or inst.state != row.state:
                report.stale += 1
                outcomes.append(_outcome(row, t.CANCELLED, "the candidate had left the state", now))
                continue
            found = self._pinned_deadline(inst, row)
            if isinstance(found, str):  # the workflow changed under the candidate: record it, keep sweeping others
                report.failed += 1
                outcomes.append(_outcome(row, t.FAILED, found, now))
                continue
            wf, deadline = found
            status, outcome, message = self._act(tx, wf, inst, deadline, row, now, auto_fire, orgs)
            if message is not None:
                outbox.append(message)
                report.messages += 1
            if status == t.FAILED:
                report.failed += 1
            elif outcome.startswith("fired"):
                report.fired += 1
                instances.update(tx.load_for_sweep([inst.id]))  # its state and timers just changed
            outcomes.append(_outcome(row, status, outcome, now))
        t.insert_outbox(tx.connection, outbox)
        t.finish_timers(tx.connection, outcomes)

    def _pinned_deadline(self, inst: InstanceRow, row: Any) -> tuple[CompiledWorkflow, DeadlineSpec] | str:
        """The timer's deadline in the workflow version the candidate is pinned to, or why it cannot be used."""
        try:
            wf = self._catalog().get(inst.workflow_id, inst.workflow_version)
        except NotFound as exc:
            return str(exc)
        if wf.content_hash != inst.workflow_hash:
            return str(WorkflowChanged(wf.key, inst.workflow_hash, wf.content_hash))
        deadline = next((d for d in wf.spec.deadlines_of(row.state) if d.id == row.deadline_id), None)
        if deadline is None or row.rung > len(deadline.remind):
            return f"deadline {row.deadline_id} rung {row.rung} is no longer in {wf.key}"
        return wf, deadline

    def _act(
        self,
        tx: Tx,
        wf: CompiledWorkflow,
        inst: InstanceRow,
        deadline: DeadlineSpec,
        row: Any,
        now: datetime,
        auto_fire: AutoFire,
        orgs: dict[str, list[Any]],
    ) -> tuple[str, str, dict[str, Any] | None]:
        if row.rung != DUE_RUNG:
            rung = deadline.remind[row.rung - 1]
            return (
                t.DONE,
                f"reminder {rung.template}",
                self._message(tx, wf, inst, deadline, row, rung.to, rung.template, now, orgs),
            )
        action = deadline.on_due
        if action is None:
            return t.DONE, "due (no action configured)", None
        if action.fire is not None:
            on = _local_date(row.fire_at, self.policy.zone)
            full = tx.load_instances_by_id([inst.id])[inst.id]  # the sweep holds a lean row; events need all of it
            try:
                event_id = auto_fire(tx, full, action.fire, on, f"timer:{deadline.id}")
            except TransitionRefused as refused:
                return t.FAILED, "refused: " + ", ".join(r.code for r in refused.reasons), None
            except WorkflowChanged as changed:
                return t.FAILED, str(changed), None
            return t.DONE, f"fired {action.fire} (event {event_id})", None
        target = action.escalate or action.notify
        assert target is not None
        return (
            t.DONE,
            f"sent {target.template}",
            self._message(tx, wf, inst, deadline, row, target.to, target.template, now, orgs),
        )

    # ---------------------------------------------------------------- messages

    def _message(
        self,
        tx: Tx,
        wf: CompiledWorkflow,
        inst: InstanceRow,
        deadline: DeadlineSpec,
        row: Any,
        roles: list[str],
        template: str,
        now: datetime,
        orgs: dict[str, list[Any]],
    ) -> dict[str, Any]:
        if inst.org.id not in orgs:
            orgs[inst.org.id] = tx.org_ancestry(inst.org.id)
        recipients, missing = resolve_recipients(roles, inst, orgs[inst.org.id])
        # Rendering waits for delivery (once; retries send the same text): the sweep only records what to say.
        context = self.context(wf, inst, deadline, row.due_on, recipients, now)
        context["due_on"] = row.due_on.isoformat()
        domain = self.policy.sender.rpartition("@")[2] or "localhost"
        problem = f"no e-mail address for role(s): {', '.join(missing)}" if missing else None
        return {
            "timer_id": row.id,
            "instance_id": inst.id,
            "template": template,
            "recipients": recipients,
            "subject": "",
            "body": "",
            "context": context,
            "message_id": f"<timer-{row.id}.{inst.id}@{domain}>",
            "status": t.DEAD if not recipients else t.PENDING,
            "attempts": 0,
            "last_error": problem,
            "next_attempt_at": now,
            "lease_until": None,
            "created_at": now,
            "sent_at": None,
        }

    def context(
        self,
        wf: CompiledWorkflow,
        inst: InstanceRow,
        deadline: DeadlineSpec,
        due_on: date,
        recipients: list[dict[str, str]],
        now: datetime,
    ) -> dict[str, Any]:
        today = _local_date(now, self.policy.zone)
        state = wf.spec.states[inst.state].label
        return {
            "candidate": {"id": inst.candidate.id, "full_name": inst.candidate.full_name},
            "org": {"id": inst.org.id, "name": inst.org.name},
            "state": {"vi": state.vi, "en": state.en},
            "deadline": {"id": deadline.id, "vi": deadline.label.vi, "en": deadline.label.en},
            "basis": None if deadline.basis is None else {"vi": deadline.basis.vi, "en": deadline.basis.en},
            "due_on": due_on,
            "days_left": (due_on - today).days,
            "workflow": wf.key,
            "recipient_names": ", ".join(r["name"] for r in recipients) or "đồng chí",
        }

    # ---------------------------------------------------------------- delivery

    def deliver(self, now: datetime | None = None, limit: int = 100) -> DeliveryReport:
        now = now or self.clock.now()
        lease = now + self.policy.lease
        report = DeliveryReport()
        with self.store.transaction() as tx:
            claimed = t.claim_outbox(tx.connection, now, limit, lease)
            texts = self._render_claimed(tx, claimed)
        notifier = self._notifier() if claimed else None
        for row in claimed:
            assert notifier is not None
            if isinstance(texts.get(row.id), str):  # the template failed: nothing to send, and retrying cannot help
                self._failed(row, lease, now, str(texts[row.id]), None, report, give_up=True)
                continue
            subject, body = texts.get(row.id) or (row.subject, row.body)
            mail = OutgoingMail(
                row.message_id, self.policy.sender, tuple(r["email"] for r in row.recipients), subject, body
            )
            try:
                refused = notifier.send(mail) or {}
            except DeliveryError as exc:
                self._failed(row, lease, now, str(exc), None, report)
                continue
            if refused:  # the others got it: retry only those the server turned away
                again = [r for r in row.recipients if r["email"] in refused]
                error = "refused: " + "; ".join(f"{a} ({why})" for a, why in refused.items())
                self._failed(row, lease, now, error, again, report)
                continue
            with self.store.transaction() as tx:
                t.mark_sent(tx.connection, row.id, lease, self.clock.now())
            report.sent += 1
        return report

    def _render_claimed(self, tx: Tx, claimed: list[Any]) -> dict[int, Any]:
        """Render messages swept but not yet rendered, and keep the text (retries send exactly the same)."""
        texts: dict[int, Any] = {}
        for row in claimed:
            if row.body or row.context is None:
                continue
            context = dict(row.context, due_on=date.fromisoformat(row.context["due_on"]))
            try:
                texts[row.id] = self.renderer.render(row.template, context)
            except ConfigurationError as exc:
                texts[row.id] = str(exc)
                continue
            t.store_text(tx.connection, row.id, *texts[row.id])
        return texts

    def _failed(
        self,
        row: Any,
        lease: datetime,
        now: datetime,
        error: str,
        recipients: list[dict[str, Any]] | None,
        report: DeliveryReport,
        *,
        give_up: bool = False,
    ) -> None:
        attempts = row.attempts + 1
        last = give_up or attempts >= self.policy.max_attempts
        retry_at = None if last else now + self.policy.backoff * 2 ** (attempts - 1)
        with self.store.transaction() as tx:
            t.mark_failed(tx.connection, row.id, lease, error=error, retry_at=retry_at, recipients=recipients)
        report.errors.append(f"{row.message_id}: {error}")
        if retry_at is None:
            report.dead += 1
        else:
            report.retried += 1


def resolve_recipients(
    roles: list[str], inst: InstanceRow, ancestry: list[Any]
) -> tuple[list[dict[str, str]], list[str]]:
    """Each role's contacts from the nearest organisation that lists them; ``candidate`` is the person."""
    found: list[dict[str, str]] = []
    missing: list[str] = []
    for role in roles:
        if role == "candidate":
            people = [{"name": inst.candidate.full_name, "email": inst.candidate.email}] if inst.candidate.email else []
        else:
            people = next((list(org.contacts.get(role, [])) for org in ancestry if (org.contacts or {}).get(role)), [])
        if not people:
            missing.append(role)
        found += [{"role": role, "name": p["name"], "email": p["email"]} for p in people]
    return found, missing


def _outcome(row: Any, status: str, outcome: str, now: datetime) -> dict[str, Any]:
    return {"id": row.id, "status": status, "outcome": outcome, "processed_at": now}


def _local_date(instant: datetime, zone: ZoneInfo) -> date:
    return instant.astimezone(zone).date()


__all__ = ["DeliveryReport", "Policy", "SweepReport", "Timekeeper", "as_date", "resolve_recipients"]

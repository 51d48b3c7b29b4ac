"""Durable time: deadline projection, the sweep of due timers, outbox delivery, and their listings.

Every deadline and reminder rung is a row in ``timers``, written in the same transaction as the event that
causes it (see :meth:`Timekeeper.project`). :meth:`Timekeeper.sweep` turns due rows into outbox messages or
automatic events, a batch per transaction; a unique key per (instance, state entry, deadline, rung) and per
outbox ``timer_id`` makes a repeated sweep harmless. :meth:`Timekeeper.deliver` sends after commit, with a
lease so a crash between claim and send resends at most once, and the Message-ID never changes.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from json.encoder import encode_basestring_ascii as _str  # a str as a JSON string literal (json.dumps' own)
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from admission_flow.clock import Clock
from admission_flow.domain.recipients import collect_recipients, role_contacts
from admission_flow.domain.records import DeliveryReport, SweepReport
from admission_flow.engine.machine import CompiledWorkflow
from admission_flow.errors import ConfigurationError, NotFound, TransitionRefused, WorkflowChanged
from admission_flow.notify import DeliveryError, Notifier, OutgoingMail
from admission_flow.notify.render import Renderer
from admission_flow.store import timers as t
from admission_flow.store.repository import InstanceRow, Store, Tx, as_date
from admission_flow.store.sweeping import Claimed
from admission_flow.workflow.deadlines import DUE_RUNG, Projection, anchor_date, project
from admission_flow.workflow.spec import DeadlineSpec

if TYPE_CHECKING:
    from admission_flow.calendar import WorkingCalendar
    from admission_flow.engine.catalog import Catalog

SWEEP_LEASE = "sweeper"
AutoFire = Callable[[Tx, InstanceRow, str, date, str], int]


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
        cleared: Collection[str] = (),
        raised: Collection[str] = (),
    ) -> None:
        """Bring the instance's timer rows in line with its state, dates, extensions, flags (``cleared`` and
        ``raised``: those this event cleared and set) and satisfied deadlines."""
        conn = tx.connection
        if moved:
            t.cancel_pending(conn, instance_id, now)
        if not wf.spec.deadlines_of(state):
            return
        deadlines = wf.spec.deadlines_of(state)
        for deadline in deadlines:
            if trigger is not None and not moved and trigger in deadline.done_by:
                t.cancel_deadline(conn, instance_id, epoch, deadline.id, now, f"done: {trigger}")
            elif not moved and deadline.while_flag is not None and deadline.while_flag in cleared:
                t.cancel_deadline(conn, instance_id, epoch, deadline.id, now, f"flag {deadline.while_flag} cleared")
        wanted = self.projections(wf, state, dates, entered_on, extensions, flags)
        if not wanted:
            return  # nothing to insert or move: skip reading the instance's timer rows
        existing = {} if moved else {(r.deadline_id, r.rung): r for r in t.timers_of_epoch(conn, instance_id, epoch)}
        # A while_flag deadline whose flag this event set again starts over: its earlier rows in this stay
        # (cancelled when the flag was cleared or the task done, or already sent) are a finished occurrence.
        restarted = {d.id for d in deadlines if not moved and d.while_flag is not None and d.while_flag in raised}
        new_rows = []
        for p in wanted:
            row = existing.get((p.deadline_id, p.rung))
            if row is None:
                new_rows.append(self._timer_row(instance_id, state, epoch, p, now))
            elif p.deadline_id in restarted and row.status != t.PENDING:
                new_rows.append(self._timer_row(instance_id, state, epoch, p, now, occurrence=row.occurrence + 1))
            elif row.status == t.PENDING and (row.fire_at != p.fire_at or row.due_on != p.due_on):
                t.move_timer(conn, row.id, due_on=p.due_on, fire_at=p.fire_at)
                if p.stale(now):  # moved into the past (e.g. a corrected date): not sent late, like a new one
                    t.cancel_deadline_rung(conn, row.id, now, "moved to a time already past")
        t.insert_timers(conn, new_rows)

    @staticmethod
    def _timer_row(
        instance_id: int, state: str, epoch: int, p: Projection, now: datetime, occurrence: int = 1
    ) -> dict[str, Any]:
        # A reminder whose moment passed before it was projected (history typed in from paper) is not sent late;
        # the deadline itself and escalations after it still are.
        stale_reminder = p.stale(now)
        return {
            "instance_id": instance_id,
            "state": state,
            "state_epoch": epoch,
            "deadline_id": p.deadline_id,
            "rung": p.rung,
            "occurrence": occurrence,
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
        plans = SweepPlans(self, now)
        while True:
            with self.store.transaction() as tx:
                rows = tx.hot.sweep.claim(tx.cursor(), now, self.policy.sweep_batch)
                if rows:
                    self._process(tx, rows, now, report, auto_fire, plans)
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
        self, tx: Tx, rows: list[Claimed], now: datetime, report: SweepReport, auto_fire: AutoFire, plans: SweepPlans
    ) -> None:
        outbox: list[dict[str, Any]] = []
        finished: dict[tuple[str, str], list[int]] = {}
        moved: dict[int, dict[str, Any]] = {}  # instances an automatic event changed earlier in this batch
        for row in rows:
            if row.instance_id in moved:
                row = row._replace(**moved[row.instance_id])
            if row.current_epoch != row.state_epoch or row.current_state != row.state:
                report.stale += 1
                finished.setdefault((t.CANCELLED, "the candidate had left the state"), []).append(row.id)
                continue
            plan = plans.get(row)
            if isinstance(plan, str):  # the workflow changed under the candidate: record it, keep sweeping others
                report.failed += 1
                finished.setdefault((t.FAILED, plan), []).append(row.id)
                continue
            status, outcome = t.DONE, plan.outcome
            if plan.fire is not None:
                status, outcome = self._auto_fire(tx, plan, row, auto_fire)
                if status == t.DONE:
                    report.fired += 1
                    moved[row.instance_id] = tx.hot.sweep.current(tx.cursor(), row.instance_id)
                else:
                    report.failed += 1
            elif plan.template is not None:
                outbox.append(plans.message(tx, plan, row))
                report.messages += 1
            finished.setdefault((status, outcome), []).append(row.id)
        tx.hot.sweep.insert_outbox(tx.cursor(), outbox, now)
        tx.hot.sweep.finish(tx.cursor(), finished, now)

    def _auto_fire(self, tx: Tx, plan: RungPlan, row: Claimed, auto_fire: AutoFire) -> tuple[str, str]:
        assert plan.fire is not None
        on = _local_date(t.fire_at_of(tx.connection, row.id), self.policy.zone)
        full = tx.load_instances_by_id([row.instance_id])[row.instance_id]  # events need the whole instance
        try:
            event_id = auto_fire(tx, full, plan.fire, on, f"timer:{plan.deadline.id}")
        except TransitionRefused as refused:
            return t.FAILED, "refused: " + ", ".join(r.code for r in refused.reasons)
        except WorkflowChanged as changed:
            return t.FAILED, str(changed)
        return t.DONE, f"fired {plan.fire} (event {event_id})"

    def plan(
        self, workflow_id: str, version: str, content_hash: str, state: str, deadline_id: str, rung: int
    ) -> RungPlan | str:
        """What a timer row does when due, in the workflow version its candidate is pinned to (or why it cannot)."""
        try:
            wf = self._catalog().get(workflow_id, version)
        except NotFound as exc:
            return str(exc)
        if wf.content_hash != content_hash:
            return str(WorkflowChanged(wf.key, content_hash, wf.content_hash))
        deadline = next((d for d in wf.spec.deadlines_of(state) if d.id == deadline_id), None)
        if deadline is None or rung > len(deadline.remind):
            return f"deadline {deadline_id} rung {rung} is no longer in {wf.key}"
        head = json.dumps(self.context_head(wf, state, deadline))[:-1]
        if rung != DUE_RUNG:
            step = deadline.remind[rung - 1]
            return RungPlan(deadline, tuple(step.to), step.template, None, f"reminder {step.template}", head)
        action = deadline.on_due
        if action is None:
            return RungPlan(deadline, (), None, None, "due (no action configured)", head)
        if action.fire is not None:
            return RungPlan(deadline, (), None, action.fire, "", head)
        target = action.escalate or action.notify
        assert target is not None
        return RungPlan(deadline, tuple(target.to), target.template, None, f"sent {target.template}", head)

    # ---------------------------------------------------------------- messages

    @staticmethod
    def context_head(wf: CompiledWorkflow, state: str, deadline: DeadlineSpec) -> dict[str, Any]:
        """The template context that is the same for every candidate at this deadline."""
        label = wf.spec.states[state].label
        return {
            "state": {"vi": label.vi, "en": label.en},
            "deadline": {"id": deadline.id, "vi": deadline.label.vi, "en": deadline.label.en},
            "basis": None if deadline.basis is None else {"vi": deadline.basis.vi, "en": deadline.basis.en},
            "workflow": wf.key,
        }

    def context(
        self,
        wf: CompiledWorkflow,
        inst: Any,
        deadline: DeadlineSpec,
        due_on: date,
        recipients: list[dict[str, str]],
        now: datetime,
    ) -> dict[str, Any]:
        """The whole context a reminder about ``inst`` is rendered with (``due_on`` as a date). The sweep stores
        the same (``due_on`` as ISO text), assembled from cached parts by :meth:`SweepPlans.message`."""
        return {
            **self.context_head(wf, inst.state, deadline),
            "org": {"id": inst.org.id, "name": inst.org.name},
            "candidate": {"id": inst.candidate.id, "full_name": inst.candidate.full_name},
            "due_on": due_on,
            "days_left": (due_on - _local_date(now, self.policy.zone)).days,
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


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: one plan per key and sweep
class RungPlan:
    """What a due timer row does: send ``template`` to ``roles``, fire ``fire``, or nothing; and its outcome."""

    deadline: DeadlineSpec
    roles: tuple[str, ...]
    template: str | None
    fire: str | None
    outcome: str
    head_json: str  # the context every candidate shares, as a JSON object without its closing brace


class SweepPlans:
    """One sweep's caches: the plan per (pinned workflow, deadline, rung), organisation contacts, and the JSON of
    the context parts every candidate shares, so each due row costs one small JSON encoding."""

    def __init__(self, keeper: Timekeeper, now: datetime) -> None:
        self.keeper = keeper
        self.now = now
        self.domain = keeper.policy.sender.rpartition("@")[2] or "localhost"
        self._plans: dict[tuple[Any, ...], RungPlan | str] = {}
        self._ancestry: dict[str, list[Any]] = {}
        self._contacts: dict[tuple[str, str], list[dict[str, str]]] = {}
        self._audiences: dict[tuple[RungPlan, str], _Audience] = {}
        self.today = _local_date(now, keeper.policy.zone)

    def ancestry(self, tx: Tx, org_id: str) -> list[Any]:
        found = self._ancestry.get(org_id)
        if found is None:
            found = self._ancestry[org_id] = tx.org_ancestry(org_id)
        return found

    def get(self, row: Claimed) -> RungPlan | str:
        key = (row.workflow_id, row.workflow_version, row.workflow_hash, row.state, row.deadline_id, row.rung)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self.keeper.plan(*key)
        return plan

    def contacts(self, tx: Tx, org_id: str, role: str) -> list[dict[str, str]]:
        key = (org_id, role)
        found = self._contacts.get(key)
        if found is None:
            found = self._contacts[key] = role_contacts(role, self.ancestry(tx, org_id))
        return found

    def message(self, tx: Tx, plan: RungPlan, row: Claimed) -> dict[str, Any]:
        """The outbox row of one reminder: what is the same for the candidate's organisation comes from the cache,
        the rest (the candidate, the due date, the days left) is encoded here and spliced on."""
        audience = self._audiences.get((plan, row.org_id))
        if audience is None:
            audience = self._audiences[(plan, row.org_id)] = self._audience(tx, plan, row.org_id)
        to = audience.recipients  # None when the candidate is a recipient: then who receives it differs per row
        if to is None:
            to = self._recipients(tx, plan, row.org_id, row.full_name, row.email)
        candidate = f'{{"id": {_str(row.candidate_id)}, "full_name": {_str(row.full_name)}}}'
        context = (
            f'{audience.context_head}, "candidate": {candidate}, "due_on": "{row.due_on.isoformat()}", '
            f'"days_left": {(row.due_on - self.today).days}, "recipient_names": {to.names_json}}}'
        )
        return {
            "timer_id": row.id,
            "instance_id": row.instance_id,
            "template": plan.template,
            "recipients": to.people_json,
            "context": context,
            "message_id": f"<timer-{row.id}.{row.instance_id}@{self.domain}>",
            "status": t.PENDING if to.people else t.DEAD,
            "last_error": f"no e-mail address for role(s): {', '.join(to.missing)}" if to.missing else None,
        }

    def _recipients(self, tx: Tx, plan: RungPlan, org_id: str, full_name: str, email: str | None) -> _Recipients:
        people, missing = collect_recipients(plan.roles, full_name, email, lambda role: self.contacts(tx, org_id, role))
        names = ", ".join(p["name"] for p in people) or "đồng chí"
        return _Recipients(people, missing, _str(names), json.dumps(people))

    def _audience(self, tx: Tx, plan: RungPlan, org_id: str) -> _Audience:
        org = {"id": org_id, "name": self.ancestry(tx, org_id)[0].name}
        head = plan.head_json + ', "org": ' + json.dumps(org)
        fixed = None if "candidate" in plan.roles else self._recipients(tx, plan, org_id, "", None)
        return _Audience(head, fixed)


@dataclass(frozen=True)
class _Recipients:
    people: list[dict[str, str]]
    missing: list[str]
    names_json: str  # the template's recipient_names, as a JSON string
    people_json: str


@dataclass(frozen=True)
class _Audience:
    """What one reminder rung says the same to every candidate of one organisation."""

    context_head: str  # the shared context and the organisation, as JSON without the closing brace
    recipients: _Recipients | None  # None when the candidate is among them (then computed per row)


def resolve_recipients(roles: list[str], inst: Any, ancestry: list[Any]) -> tuple[list[dict[str, str]], list[str]]:
    """The recipients of a reminder about ``inst``, from its organisation ``ancestry`` (nearest first)."""
    return collect_recipients(
        roles, inst.candidate.full_name, inst.candidate.email, lambda role: role_contacts(role, ancestry)
    )


def _local_date(instant: datetime, zone: ZoneInfo) -> date:
    return instant.astimezone(zone).date()


__all__ = ["DeliveryReport", "Policy", "SweepReport", "Timekeeper", "as_date", "resolve_recipients"]

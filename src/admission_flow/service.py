"""Use cases: one method per thing a caller can do. Each write is one database transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from admission_flow.calendar import WorkingCalendar, shift
from admission_flow.clock import Clock
from admission_flow.domain.inputs import EventInput, NewCandidate, NewOrg
from admission_flow.domain.records import CandidateRecord, EventRecord, FireResult, Option, OrgRecord, reasons_as_dicts
from admission_flow.domain.values import DocumentRecord, reason
from admission_flow.effects import (
    ancestry_loader,
    corrections,
    document_row,
    event_row,
    extensions_after,
    guard_context,
    merge_documents,
    transfer_destination,
)
from admission_flow.engine.catalog import Catalog
from admission_flow.engine.machine import CompiledWorkflow, Plan
from admission_flow.errors import (
    AlreadyExists,
    ConcurrentUpdate,
    IdempotencyConflict,
    InvalidInput,
    NotFound,
    TransitionRefused,
    WorkflowChanged,
)
from admission_flow.store.repository import DuplicateKey, InstanceRow, Store, Tx, as_date
from admission_flow.views import candidate_record, event_record, org_record

if TYPE_CHECKING:
    from admission_flow.timekeeper import Timekeeper
from admission_flow.workflow.spec import RecordSpec

ENROL_TRIGGER = "add_to_source_plan"


class AdmissionService:
    def __init__(self, store: Store, catalog: Callable[[], Catalog], clock: Clock, timezone: str) -> None:
        self.timekeeper: Timekeeper | None = None  # set by the composition root when durable time is wired
        self.calendar: Callable[[], WorkingCalendar] | None = None
        self.store = store
        self._catalog = catalog
        self.clock = clock
        self.zone = ZoneInfo(timezone)

    @property
    def catalog(self) -> Catalog:
        return self._catalog()

    def today(self) -> date:
        return self.clock.now().astimezone(self.zone).date()

    # ---------------------------------------------------------------- organisations

    def add_org(self, org: NewOrg) -> OrgRecord:
        now = self.clock.now()
        try:
            with self.store.transaction() as tx:
                if org.parent_id is not None and tx.get_org(org.parent_id) is None:
                    raise NotFound("org", org.parent_id)
                tx.insert_org({**org.model_dump(mode="json"), "created_at": now})
        except DuplicateKey:
            raise AlreadyExists("org", org.id) from None
        return self.get_org(org.id)

    def get_org(self, org_id: str) -> OrgRecord:
        with self.store.transaction(readonly=True) as tx:
            row = tx.get_org(org_id)
        if row is None:
            raise NotFound("org", org_id)
        return org_record(row)

    def list_orgs(self) -> list[OrgRecord]:
        with self.store.transaction(readonly=True) as tx:
            return [org_record(r) for r in tx.list_orgs()]

    # ---------------------------------------------------------------- candidates

    def enroll(
        self, candidate: NewCandidate, workflow: str, *, new_attempt: bool = False, on: date | None = None
    ) -> CandidateRecord:
        """Create the candidate (or reuse it for a new attempt) and start an instance pinned to ``workflow``."""
        compiled = self.catalog.resolve(workflow)
        now = self.clock.now()
        started_on = on or self.today()
        try:
            with self.store.transaction() as tx:
                if tx.get_org(candidate.org_id) is None:
                    raise NotFound("org", candidate.org_id)
                if not new_attempt:
                    tx.insert_candidate({**candidate.model_dump(mode="python"), "created_at": now})
                attempt = tx.next_attempt(candidate.id)
                if new_attempt and attempt == 1:
                    raise NotFound("candidate", candidate.id)
                instance_id = tx.insert_instance(self._new_instance(candidate.id, attempt, compiled, now, started_on))
                tx.insert_event(self._enrolment_event(instance_id, candidate.org_id, compiled, now, started_on))
                if self.timekeeper is not None:
                    self.timekeeper.project(
                        tx,
                        instance_id,
                        compiled,
                        moved=True,
                        state=compiled.spec.initial,
                        epoch=1,
                        entered_on=started_on,
                        dates=anchor_dates({}, candidate.birth_date),
                        extensions={},
                        now=now,
                    )
        except DuplicateKey:
            raise AlreadyExists("candidate", candidate.id) from None
        return self.get_candidate(candidate.id)

    @staticmethod
    def _new_instance(
        candidate_id: str, attempt: int, wf: CompiledWorkflow, now: datetime, entered_on: date
    ) -> dict[str, Any]:
        return {
            "candidate_id": candidate_id,
            "attempt": attempt,
            "workflow_id": wf.spec.id,
            "workflow_version": wf.spec.version,
            "workflow_hash": wf.content_hash,
            "state": wf.spec.initial,
            "version": 1,
            "dates": {},
            "flags": [],
            "documents": {},
            "started_at": now,
            "updated_at": now,
            "state_epoch": 1,
            "state_entered_on": entered_on,
            "extensions": {},
        }

    def _enrolment_event(
        self, instance_id: int, org_id: str, wf: CompiledWorkflow, now: datetime, on: date
    ) -> dict[str, Any]:
        """Starting an instance is itself audited, as the canonical ``add_to_source_plan`` (— → initial)."""
        return {
            "instance_id": instance_id,
            "seq": 1,
            "trigger": ENROL_TRIGGER,
            "from_state": None,
            "to_state": wf.spec.initial,
            "actor": "system",
            "role": None,
            "org_id": org_id,
            "occurred_on": on,
            "recorded_at": now,
            "payload": {},
            "documents": [],
            "votes": None,
            "workflow_id": wf.spec.id,
            "workflow_version": wf.spec.version,
            "workflow_hash": wf.content_hash,
            "idempotency_key": None,
        }

    def get_candidate(self, candidate_id: str) -> CandidateRecord:
        with self.store.transaction(readonly=True) as tx:
            row = tx.load_instance(candidate_id)
        if row is None:
            raise NotFound("candidate", candidate_id)
        return candidate_record(row)

    def list_candidates(self, *, org_id: str | None = None, state: str | None = None) -> list[CandidateRecord]:
        with self.store.transaction(readonly=True) as tx:
            org_ids = None
            if org_id is not None:
                if tx.get_org(org_id) is None:
                    raise NotFound("org", org_id)
                org_ids = _subtree(tx, org_id)
            rows = tx.load_instances(tx.list_candidate_ids(org_ids=org_ids, state=state))
        return [candidate_record(r) for r in rows]

    # ---------------------------------------------------------------- events

    def fire(self, candidate_id: str, trigger: str, event: EventInput) -> FireResult:
        occurred_on = event.occurred_on or self.today()
        try:
            return self._fire_once(candidate_id, trigger, event, occurred_on)
        except (ConcurrentUpdate, DuplicateKey, TransitionRefused):
            # A concurrent request with the same idempotency key won the race (even one that committed between
            # our key lookup and our read, which then sees the state it moved to): answer with its result.
            if event.idempotency_key is not None:
                with self.store.transaction(readonly=True) as tx:
                    replay = self._replay(tx, candidate_id, trigger, event.idempotency_key)
                if replay is not None:
                    return replay
            raise

    def _fire_once(self, candidate_id: str, trigger: str, event: EventInput, occurred_on: date) -> FireResult:
        with self.store.transaction() as tx:
            if event.idempotency_key is not None:
                replay = self._replay(tx, candidate_id, trigger, event.idempotency_key)
                if replay is not None:
                    return replay
            row = tx.load_instance(candidate_id)
            if row is None:
                raise NotFound("candidate", candidate_id)
            if event.expected_version is not None and event.expected_version != row.version:
                raise ConcurrentUpdate(row.id, event.expected_version)
            return self.apply_event(tx, row, trigger, event, occurred_on)

    def apply_event(self, tx: Tx, row: InstanceRow, trigger: str, event: EventInput, occurred_on: date) -> FireResult:
        """Plan, check, move and record one event inside the caller's transaction (fire and the sweep use it)."""
        now = self.clock.now()
        wf = self.pinned_workflow(row)
        attached = self._attach(wf, event.documents)
        ctx = guard_context(row, wf, trigger, occurred_on, event, attached, self.calendar, ancestry_loader(tx, row))
        plan = wf.plan(row.state, trigger, ctx)
        if not plan.allowed:
            raise TransitionRefused(trigger, row.state, plan.reasons)
        route = plan.route
        assert route is not None
        new_state = wf.apply(plan)
        dates = self._record_dates(plan, row, occurred_on)
        dates.update(corrections(wf, plan, row, event, self.working_calendar()))
        extensions = extensions_after(wf, plan, row, event)
        destination = transfer_destination(tx, plan, row, event) if route.spec.transfers else None
        moved = route.dest is not None
        epoch = row.version + 1 if moved else row.state_epoch
        entered_on = occurred_on if moved else (row.state_entered_on or occurred_on)
        flags = sorted((set(row.flags) | set(route.spec.sets)) - set(route.spec.clears))
        if not tx.update_instance(
            row.id,
            row.version,
            state=new_state,
            dates=dates,
            flags=flags,
            documents=merge_documents(row.documents, attached),
            updated_at=now,
            state_epoch=epoch,
            state_entered_on=entered_on,
            extensions=extensions,
        ):
            raise ConcurrentUpdate(row.id, row.version)
        if destination is not None:
            tx.move_candidate(row.candidate_id, destination)
            event = replace(event, data={**event.data, "from_org": row.org.id})
        event_id = tx.insert_event(event_row(row, wf, trigger, new_state, event, occurred_on, attached, now))
        tx.insert_documents([document_row(d, wf, row.id, event_id, now) for d in attached])
        deadlines = wf.spec.deadlines_of(new_state)
        unchanged = (
            dates == row.dates
            and extensions == row.extensions
            and set(flags) == set(row.flags)
            and not any(trigger in d.done_by for d in deadlines)
        )
        if self.timekeeper is not None and (moved or (deadlines and not unchanged)):
            self.timekeeper.project(
                tx,
                row.id,
                wf,
                moved=moved,
                state=new_state,
                epoch=epoch,
                entered_on=entered_on,
                dates=anchor_dates(dates, row.candidate.birth_date),
                extensions=extensions,
                now=now,
                trigger=trigger,
                flags=flags,
                cleared=set(row.flags) - set(flags),
                raised=set(flags) - set(row.flags),
            )
        return FireResult(
            row.candidate_id, row.id, event_id, trigger, row.state, new_state, row.version + 1, occurred_on
        )

    @staticmethod
    def _attach(wf: CompiledWorkflow, docs: Sequence[DocumentRecord]) -> list[DocumentRecord]:
        unknown = sorted({d.kind for d in docs} - set(wf.spec.documents))
        if unknown:
            raise InvalidInput(
                f"unknown document kind(s) {', '.join(unknown)} for {wf.key}; known: {', '.join(wf.spec.documents)}"
            )
        return list(docs)

    def pinned_workflow(self, row: InstanceRow) -> CompiledWorkflow:
        """The workflow version the instance started on, refusing one whose content changed since."""
        wf = self.catalog.get(row.workflow_id, row.workflow_version)
        if wf.content_hash != row.workflow_hash:
            raise WorkflowChanged(wf.key, row.workflow_hash, wf.content_hash)
        return wf

    def working_calendar(self) -> WorkingCalendar:
        return self.calendar() if self.calendar is not None else WorkingCalendar()

    def _record_dates(self, plan: Plan, row: InstanceRow, occurred_on: date) -> dict[str, str]:
        assert plan.route is not None
        dates = dict(row.dates)
        records: list[RecordSpec] = plan.route.spec.records
        for record in records:
            if record.from_ is None:
                dates[record.date] = occurred_on.isoformat()
        for record in records:
            if record.from_ is None or record.add is None:
                continue
            base = occurred_on if record.from_ == "occurred_on" else _known_date(dates, row, record.from_)
            if base is None:
                raise TransitionRefused(
                    plan.trigger,
                    row.state,
                    [
                        reason(
                            "date_missing",
                            "records",
                            en=f"cannot compute {record.date}: {record.from_} is not recorded",
                            vi=f"Không tính được {record.date}: chưa có {record.from_}",
                            date=record.from_,
                        )
                    ],
                )
            dates[record.date] = shift(base, record.add, self.working_calendar()).isoformat()
        return dates

    def _replay(self, tx: Tx, candidate_id: str, trigger: str, key: str) -> FireResult | None:
        found = tx.event_by_key(key)
        if found is None:
            return None
        row = tx.load_instance(candidate_id)
        if row is None or found.instance_id != row.id or found.trigger != trigger:
            raise IdempotencyConflict(key)
        return FireResult(
            candidate_id,
            found.instance_id,
            found.id,
            found.trigger,
            found.from_state,
            found.to_state,
            found.seq,
            found.occurred_on,
            replayed=True,
        )

    def options(self, candidate_id: str, event: EventInput | None = None) -> list[Option]:
        """Every trigger from the current state, allowed or not, with all reasons."""
        event = event or EventInput()
        occurred_on = event.occurred_on or self.today()
        with self.store.transaction(readonly=True) as tx:
            row = tx.load_instance(candidate_id)
            if row is None:
                raise NotFound("candidate", candidate_id)
            ancestry = ancestry_loader(tx, row)
            ancestry()  # read now: the transaction ends before the guards run
        wf = self.pinned_workflow(row)
        options = []
        for trigger in wf.triggers_from(row.state):
            ctx = guard_context(row, wf, trigger, occurred_on, event, list(event.documents), self.calendar, ancestry)
            plan = wf.plan(row.state, trigger, ctx)
            label = next((r.spec.label for r in wf.routes[(row.state, trigger)] if r.spec.label), None)
            options.append(
                Option(
                    trigger=trigger,
                    label=None if label is None else label.model_dump(),
                    dest=plan.dest,
                    allowed=plan.allowed,
                    reasons=reasons_as_dicts(plan.reasons),
                )
            )
        return options

    def history(self, candidate_id: str) -> list[EventRecord]:
        with self.store.transaction(readonly=True) as tx:
            row = tx.load_instance(candidate_id)
            if row is None:
                raise NotFound("candidate", candidate_id)
            rows = tx.events_of(row.id)
        return [event_record(r) for r in rows]


# -------------------------------------------------------------------- helpers (pure)


def anchor_dates(recorded: dict[str, str], birth_date: date | None) -> dict[str, date]:
    """The dates deadlines may count from: those recorded on the instance, and the candidate's birth date."""
    dates = {k: as_date(v) for k, v in recorded.items()}
    if birth_date is not None:
        dates["birth_date"] = birth_date
    return dates


def _subtree(tx: Tx, root: str) -> list[str]:
    children: dict[str | None, list[str]] = {}
    for org in tx.list_orgs():
        children.setdefault(org.parent_id, []).append(org.id)
    found, todo = [], [root]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, ()))
    return found


def _known_date(dates: dict[str, str], row: InstanceRow, name: str) -> date | None:
    if name == "birth_date":
        return row.candidate.birth_date  # type: ignore[no-any-return]
    value = dates.get(name)
    return None if value is None else as_date(value)

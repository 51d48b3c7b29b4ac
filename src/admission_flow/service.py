"""Use cases: one method per thing a caller can do. Each write is one database transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from admission_flow.calendar import WorkingCalendar, shift
from admission_flow.clock import Clock
from admission_flow.errors import (
    AlreadyExists,
    ConcurrentUpdate,
    IdempotencyConflict,
    InvalidInput,
    NotFound,
    TransitionRefused,
    WorkflowChanged,
)
from admission_flow.guards.base import CandidateFacts, DocumentRecord, GuardContext, OrgFacts, reason
from admission_flow.machine import CompiledWorkflow, Plan
from admission_flow.model import (
    CandidateRecord,
    EventInput,
    EventRecord,
    FireResult,
    NewCandidate,
    NewOrg,
    Option,
    OrgRecord,
    reasons_as_dicts,
)
from admission_flow.store.repository import DuplicateKey, InstanceRow, Store, Tx, as_date
from admission_flow.workflow.catalog import Catalog

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
        return _org_record(row)

    def list_orgs(self) -> list[OrgRecord]:
        with self.store.transaction(readonly=True) as tx:
            return [_org_record(r) for r in tx.list_orgs()]

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
        return _candidate_record(row)

    def list_candidates(self, *, org_id: str | None = None, state: str | None = None) -> list[CandidateRecord]:
        with self.store.transaction(readonly=True) as tx:
            org_ids = None
            if org_id is not None:
                if tx.get_org(org_id) is None:
                    raise NotFound("org", org_id)
                org_ids = _subtree(tx, org_id)
            rows = tx.load_instances(tx.list_candidate_ids(org_ids=org_ids, state=state))
        return [_candidate_record(r) for r in rows]

    # ---------------------------------------------------------------- events

    def fire(self, candidate_id: str, trigger: str, event: EventInput) -> FireResult:
        occurred_on = event.occurred_on or self.today()
        try:
            return self._fire_once(candidate_id, trigger, event, occurred_on)
        except (ConcurrentUpdate, DuplicateKey):
            # A concurrent request with the same idempotency key won the race: answer with its result.
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
        ctx = _context(row, wf, trigger, occurred_on, event, attached, self.calendar, _ancestry_loader(tx, row))
        plan = wf.plan(row.state, trigger, ctx)
        if not plan.allowed:
            raise TransitionRefused(trigger, row.state, plan.reasons)
        route = plan.route
        assert route is not None
        new_state = wf.apply(plan)
        dates = self._record_dates(plan, row, occurred_on)
        dates.update(_corrections(wf, plan, row, event, self.working_calendar()))
        extensions = _extensions(wf, plan, row, event)
        destination = _transfer_destination(tx, plan, row, event) if route.spec.transfers else None
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
            documents=_merge_documents(row.documents, attached),
            updated_at=now,
            state_epoch=epoch,
            state_entered_on=entered_on,
            extensions=extensions,
        ):
            raise ConcurrentUpdate(row.id, row.version)
        if destination is not None:
            tx.move_candidate(row.candidate_id, destination)
            event = replace(event, data={**event.data, "from_org": row.org.id})
        event_id = tx.insert_event(_event_row(row, wf, trigger, new_state, event, occurred_on, attached, now))
        tx.insert_documents([_doc_row(d, wf, row.id, event_id, now) for d in attached])
        if self.timekeeper is not None and (moved or wf.spec.deadlines_of(new_state)):
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
            ancestry = _ancestry_loader(tx, row)
            ancestry()  # read now: the transaction ends before the guards run
        wf = self.pinned_workflow(row)
        options = []
        for trigger in wf.triggers_from(row.state):
            ctx = _context(row, wf, trigger, occurred_on, event, list(event.documents), self.calendar, ancestry)
            plan = wf.plan(row.state, trigger, ctx)
            label = plan.route.spec.label if plan.route is not None else wf.routes[(row.state, trigger)][0].spec.label
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
        return [_event_record(r) for r in rows]


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


def _context(
    row: InstanceRow,
    wf: CompiledWorkflow,
    trigger: str,
    occurred_on: date,
    event: EventInput,
    attached: Sequence[DocumentRecord],
    calendar: Callable[[], WorkingCalendar] | None = None,
    ancestry: Callable[[], Sequence[OrgFacts]] | None = None,
) -> GuardContext:
    c, o = row.candidate, row.org
    documents: dict[str, list[DocumentRecord]] = {
        kind: [
            DocumentRecord(kind, as_date(d["issued_on"]), d.get("reference"), d.get("attributes") or {})
            for d in entries
        ]
        for kind, entries in row.documents.items()
    }
    for doc in attached:
        documents.setdefault(doc.kind, []).append(doc)
    return GuardContext(
        trigger=trigger,
        occurred_on=occurred_on,
        candidate=CandidateFacts(
            id=c.id,
            full_name=c.full_name,
            birth_date=c.birth_date,
            sex=c.sex,
            ethnicity=c.ethnicity,
            religion=c.religion,
            education=c.education,
            remote_area=c.remote_area,
            occupation=c.occupation,
            youth_union_member=c.youth_union_member,
            trade_union_member=c.trade_union_member,
            attributes=c.attributes or {},
        ),
        org=OrgFacts(
            id=o.id,
            kind=o.kind,
            parent_kind=row.parent_kind,
            has_youth_union=o.has_youth_union,
            has_trade_union=o.has_trade_union,
            attributes=o.attributes or {},
        ),
        role=event.role,
        dates={k: as_date(v) for k, v in row.dates.items()},
        flags=frozenset(row.flags),
        documents=documents,
        votes=event.votes,
        data=event.data,
        document_validity=wf.document_validity,
        calendar=calendar() if calendar is not None else None,
        acting_org=event.acting_org,
        org_ancestry=ancestry or (lambda: ()),
    )


def _ancestry_loader(tx: Tx, row: InstanceRow) -> Callable[[], Sequence[OrgFacts]]:
    """The candidate's organisation and its ancestors as OrgFacts, read once and only if a guard asks."""
    cache: list[OrgFacts] = []

    def load() -> Sequence[OrgFacts]:
        if not cache:
            chain = tx.org_ancestry(row.org.id)
            kinds = {o.id: o.kind for o in chain}
            cache.extend(
                OrgFacts(o.id, o.kind, kinds.get(o.parent_id), o.has_youth_union, o.has_trade_union, o.attributes or {})
                for o in chain
            )
        return cache

    return load


def _event_row(
    row: InstanceRow,
    wf: CompiledWorkflow,
    trigger: str,
    new_state: str,
    event: EventInput,
    occurred_on: date,
    attached: Sequence[DocumentRecord],
    now: datetime,
) -> dict[str, Any]:
    return {
        "instance_id": row.id,
        "seq": row.version + 1,
        "trigger": trigger,
        "from_state": row.state,
        "to_state": new_state,
        "actor": event.actor,
        "role": event.role,
        "org_id": event.acting_org or row.org.id,
        "occurred_on": occurred_on,
        "recorded_at": now,
        "payload": event.data,
        "documents": [_doc_json(d, wf) for d in attached],
        "votes": None if event.votes is None else vars(event.votes).copy(),
        "workflow_id": wf.spec.id,
        "workflow_version": wf.spec.version,
        "workflow_hash": wf.content_hash,
        "idempotency_key": event.idempotency_key,
    }


CELL_KINDS = ("cell", "grassroots_cell")


def _transfer_destination(tx: Tx, plan: Plan, row: InstanceRow, event: EventInput) -> str:
    """The cell named by the event's ``to_org``; refused (nothing written) unless it is another existing cell."""
    target = event.data.get("to_org")
    org = tx.get_org(str(target)) if target else None
    if org is None or org.kind not in CELL_KINDS or org.id == row.org.id:
        raise _refuse(
            plan,
            row,
            "transfer_destination_invalid",
            en=f"to_org must name another existing cell (got {target!r})",
            vi=f"to_org phải là một chi bộ khác đã có trong hệ thống (nhận được {target!r})",
            to_org=target,
            kind=None if org is None else org.kind,
        )
    return str(org.id)


def _refuse(plan: Plan, row: InstanceRow, code: str, en: str, vi: str, **values: Any) -> TransitionRefused:
    return TransitionRefused(plan.trigger, row.state, [reason(code, "effects", en=en, vi=vi, **values)])


def _corrections(
    wf: CompiledWorkflow, plan: Plan, row: InstanceRow, event: EventInput, calendar: WorkingCalendar
) -> dict[str, str]:
    """Dates this event corrects (new values in its data under the dates' names), and dates derived from them."""
    assert plan.route is not None
    names = plan.route.spec.corrects
    if not names:
        return {}
    corrected: dict[str, str] = {}
    for name in names:
        if name in event.data:
            try:
                corrected[name] = as_date(event.data[name]).isoformat()
            except (TypeError, ValueError):
                raise _refuse(
                    plan,
                    row,
                    "correction_invalid",
                    en=f"{name}={event.data[name]!r} is not a date",
                    vi=f"{name}={event.data[name]!r} không phải là ngày",
                    date=name,
                ) from None
    if not corrected:
        raise _refuse(
            plan,
            row,
            "correction_missing",
            en=f"give at least one corrected date as data NAME=YYYY-MM-DD ({', '.join(names)})",
            vi=f"Cần nhập ít nhất một ngày đính chính dạng TÊN=YYYY-MM-DD ({', '.join(names)})",
            dates=list(names),
        )
    for t in wf.spec.transitions:  # keep computed dates (probation_end_on = ceremony_on + 12 months) consistent
        for record in t.records:
            if record.from_ in corrected and record.add is not None and record.date in row.dates:
                corrected[record.date] = shift(as_date(corrected[record.from_]), record.add, calendar).isoformat()
    return corrected


def _extensions(wf: CompiledWorkflow, plan: Plan, row: InstanceRow, event: EventInput) -> dict[str, int]:
    """Granted extensions per deadline; an extension event adds ``extend_by`` (in the cap's unit) up to the cap."""
    if plan.route is None or plan.route.dest is not None:
        return {} if plan.route is not None and plan.route.dest is not None else dict(row.extensions)
    totals = dict(row.extensions)
    for deadline in wf.spec.deadlines_of(row.state):
        ext = deadline.extension
        if ext is None or ext.trigger != plan.trigger:
            continue
        amount = event.data.get("extend_by")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            raise _refuse(
                plan,
                row,
                "extension_amount_missing",
                en=f"give the extension as data extend_by=N ({ext.max.unit.replace('_', ' ')})",
                vi=f"Cần nhập số ngày gia hạn: extend_by=N ({ext.max.unit})",
                deadline=deadline.id,
            )
        granted = totals.get(deadline.id, 0)
        if granted + amount > ext.max.amount:
            raise _refuse(
                plan,
                row,
                "extension_exceeds_cap",
                en=f"{deadline.id}: {granted} already granted, {amount} more would exceed the cap of {ext.max}",
                vi=f"{deadline.id}: đã gia hạn {granted}, thêm {amount} sẽ vượt mức tối đa {ext.max}",
                deadline=deadline.id,
                granted=granted,
                requested=amount,
                cap=ext.max.amount,
            )
        totals[deadline.id] = granted + amount
    return totals


def _doc_json(doc: DocumentRecord, wf: CompiledWorkflow) -> dict[str, Any]:
    return {
        "kind": doc.kind,
        "form": wf.spec.documents[doc.kind].form,
        "issued_on": doc.issued_on.isoformat(),
        "reference": doc.reference,
        "attributes": _jsonable(dict(doc.attributes)),
    }


def _doc_row(
    doc: DocumentRecord, wf: CompiledWorkflow, instance_id: int, event_id: int, now: datetime
) -> dict[str, Any]:
    return {
        "instance_id": instance_id,
        "event_id": event_id,
        "kind": doc.kind,
        "form": wf.spec.documents[doc.kind].form,
        "issued_on": doc.issued_on,
        "reference": doc.reference,
        "attributes": _jsonable(dict(doc.attributes)),
        "recorded_at": now,
    }


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}


def _merge_documents(index: dict[str, Any], attached: Sequence[DocumentRecord]) -> dict[str, Any]:
    if not attached:
        return index
    merged = {kind: list(entries) for kind, entries in index.items()}
    for doc in attached:
        merged.setdefault(doc.kind, []).append(
            {
                "issued_on": doc.issued_on.isoformat(),
                "reference": doc.reference,
                "attributes": _jsonable(dict(doc.attributes)),
            }
        )
    return merged


def _org_record(row: Any) -> OrgRecord:
    return OrgRecord(
        id=row.id,
        name=row.name,
        kind=row.kind,
        parent_id=row.parent_id,
        has_youth_union=row.has_youth_union,
        has_trade_union=row.has_trade_union,
        contacts=row.contacts or {},
        attributes=row.attributes or {},
    )


def _candidate_record(row: InstanceRow) -> CandidateRecord:
    c = row.candidate
    return CandidateRecord(
        id=c.id,
        full_name=c.full_name,
        org_id=c.org_id,
        birth_date=c.birth_date,
        sex=c.sex,
        ethnicity=c.ethnicity,
        religion=c.religion,
        education=c.education,
        remote_area=c.remote_area,
        occupation=c.occupation,
        youth_union_member=c.youth_union_member,
        trade_union_member=c.trade_union_member,
        email=c.email,
        attributes=c.attributes or {},
        instance_id=row.id,
        attempt=row.attempt,
        workflow=f"{row.workflow_id}@{row.workflow_version}",
        workflow_hash=row.workflow_hash,
        state=row.state,
        version=row.version,
        dates=dict(row.dates),
        flags=list(row.flags),
        documents=dict(row.documents),
    )


def _event_record(r: Any) -> EventRecord:
    return EventRecord(
        id=r.id,
        seq=r.seq,
        trigger=r.trigger,
        from_state=r.from_state,
        to_state=r.to_state,
        actor=r.actor,
        role=r.role,
        org_id=r.org_id,
        occurred_on=r.occurred_on,
        recorded_at=r.recorded_at,
        payload=r.payload or {},
        documents=r.documents or [],
        votes=r.votes,
        workflow=f"{r.workflow_id}@{r.workflow_version}",
        workflow_hash=r.workflow_hash,
        idempotency_key=r.idempotency_key,
    )

"""What an event does to an instance, besides moving it: the guards' view of it, recorded and corrected dates,
granted extensions, transfers, attached papers, and the audit row. Pure functions, plus the reads a transfer
or an authority guard needs inside the event's transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from admission_flow.calendar import WorkingCalendar, shift
from admission_flow.domain.inputs import EventInput
from admission_flow.domain.values import CandidateFacts, DocumentRecord, OrgFacts, reason
from admission_flow.engine.machine import CompiledWorkflow, Plan
from admission_flow.errors import TransitionRefused
from admission_flow.guards.base import GuardContext
from admission_flow.store.repository import InstanceRow, Tx, as_date


def guard_context(
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
    documents = PapersOnFile(row.documents, attached)
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


class PapersOnFile(Mapping[str, Sequence[DocumentRecord]]):
    """The documents index as guards see it (kind → records, attached ones included), decoded per kind on first
    use: most events' guards read one kind or none."""

    def __init__(self, index: Mapping[str, Any], attached: Sequence[DocumentRecord]) -> None:
        self._index = index
        self._attached = attached
        self._decoded: dict[str, list[DocumentRecord]] = {}
        self._kinds = list(dict.fromkeys([*index, *(d.kind for d in attached)]))

    def __getitem__(self, kind: str) -> list[DocumentRecord]:
        if kind not in self._decoded:
            if kind not in self._kinds:
                raise KeyError(kind)
            entries = self._index.get(kind, ())
            found = [
                DocumentRecord(kind, as_date(d["issued_on"]), d.get("reference"), d.get("attributes") or {})
                for d in entries
            ]
            self._decoded[kind] = found + [d for d in self._attached if d.kind == kind]
        return self._decoded[kind]

    def __iter__(self) -> Iterator[str]:
        return iter(self._kinds)

    def __len__(self) -> int:
        return len(self._kinds)


def ancestry_loader(tx: Tx, row: InstanceRow) -> Callable[[], Sequence[OrgFacts]]:
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


def event_row(
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
        "documents": [document_json(d, wf) for d in attached],
        "votes": None if event.votes is None else vars(event.votes).copy(),
        "workflow_id": wf.spec.id,
        "workflow_version": wf.spec.version,
        "workflow_hash": wf.content_hash,
        "idempotency_key": event.idempotency_key,
    }


CELL_KINDS = ("cell", "grassroots_cell")


def transfer_destination(tx: Tx, plan: Plan, row: InstanceRow, event: EventInput) -> str:
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


def corrections(
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


def extensions_after(wf: CompiledWorkflow, plan: Plan, row: InstanceRow, event: EventInput) -> dict[str, int]:
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


def document_json(doc: DocumentRecord, wf: CompiledWorkflow) -> dict[str, Any]:
    return {
        "kind": doc.kind,
        "form": wf.spec.documents[doc.kind].form,
        "issued_on": doc.issued_on.isoformat(),
        "reference": doc.reference,
        "attributes": _jsonable(dict(doc.attributes)),
    }


def document_row(
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


def merge_documents(index: dict[str, Any], attached: Sequence[DocumentRecord]) -> dict[str, Any]:
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

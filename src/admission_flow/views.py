"""Rows as the records callers get back."""

from __future__ import annotations

from typing import Any

from admission_flow.domain.records import CandidateRecord, EventRecord, OrgRecord
from admission_flow.store.repository import InstanceRow


def org_record(row: Any) -> OrgRecord:
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


def candidate_record(row: InstanceRow) -> CandidateRecord:
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


def event_record(r: Any) -> EventRecord:
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

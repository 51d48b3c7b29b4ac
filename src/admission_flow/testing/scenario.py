"""A driver that walks a candidate of the sample organisation tree along the standard procedure.

Used by ``admission-flow demo``, by tests that need candidates in a given state, and by the benchmarks. The
tree and the path themselves are data in :mod:`admission_flow.samples`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING

from admission_flow.domain.values import DocumentRecord
from admission_flow.samples import (
    HAPPY_PATH,
    POWER_OF,
    SAMPLE_ORGS,
    Step,
    sample_contacts,
    sample_personal_id,
    step_applies,
    youth_union_introduces,
)

if TYPE_CHECKING:
    from admission_flow.domain.records import CandidateRecord
    from admission_flow.flow import AdmissionFlow


def add_sample_orgs(flow: AdmissionFlow) -> None:
    for org in SAMPLE_ORGS:
        flow.add_org(**org, contacts=sample_contacts(org))


def _introducer(name: str) -> Callable[[date], DocumentRecord]:
    def make(on: date) -> DocumentRecord:
        since = on.replace(year=on.year - 3)
        attrs = {"introducer": name, "full_member": True, "together_since": since.isoformat()}
        return DocumentRecord("introduction", on, f"GT/{name}", attrs)

    return make


def competent_org_for(flow: AdmissionFlow, org_id: str, power: str) -> str | None:
    """The nearest organisation at or above ``org_id`` configured with ``power`` (see guards/authority.py)."""
    orgs = {o.id: o for o in flow.orgs()}
    current: str | None = org_id
    while current is not None and current in orgs:
        if power in (orgs[current].attributes.get("authority") or []):
            return current
        current = orgs[current].parent_id
    return None


def _documents(names: tuple[str, ...], on: date) -> list[DocumentRecord]:
    docs = []
    for name in names:
        if name.startswith("introducer:"):
            docs.append(_introducer(name.split(":", 1)[1])(on))
        else:
            docs.append(DocumentRecord(name, on, f"{name}/{on.isoformat()}"))
    return docs


def drive(
    flow: AdmissionFlow,
    candidate_id: str,
    start: date,
    until: str | None = None,
    *,
    youth_union: bool | None = None,
) -> CandidateRecord:
    """Fire the happy path from the candidate's current state until ``until`` (or the end). Returns the record.

    Who introduces the candidate follows the rule (samples.youth_union_introduces): the Youth Union and one full
    member for a Youth Union member of Youth Union age where the organisation has a Youth Union, else two full
    members. ``youth_union`` forces one path (``False``: two full members, to see a rule refuse them)."""
    on = start
    record = flow.candidate(candidate_id)
    has_youth_union = flow.org(record.org_id).has_youth_union
    for step in HAPPY_PATH:
        if record.state == until:
            break
        if step.state != record.state:
            continue
        next_on = date.fromisoformat(record.dates[step.at]) if step.at else on + timedelta(days=step.days)
        youth = (
            youth_union
            if youth_union is not None
            else youth_union_introduces(
                record.birth_date,
                next_on,
                youth_union_member=record.youth_union_member,
                org_has_youth_union=has_youth_union,
            )
        )
        if not step_applies(step, youth):
            continue
        on = next_on
        power = POWER_OF.get(step.trigger)
        flow.fire(
            candidate_id,
            step.trigger,
            on=on,
            role=step.role,
            actor=f"demo:{step.role}",
            documents=_documents(step.documents, on),
            votes=step.votes,
            data=step.data,
            acting_org=competent_org_for(flow, record.org_id, power) if power else None,
        )
        record = flow.candidate(candidate_id)
    return record


__all__ = [
    "HAPPY_PATH",
    "POWER_OF",
    "SAMPLE_ORGS",
    "Step",
    "add_sample_orgs",
    "competent_org_for",
    "drive",
    "sample_contacts",
    "sample_personal_id",
]

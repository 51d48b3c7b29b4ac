"""Candidates: enrol a person on a workflow version (one transaction, no re-read), read one, list a subtree."""

from __future__ import annotations

from datetime import date

from admission_flow.domain.canonical import canonical_state
from admission_flow.domain.inputs import NewCandidate
from admission_flow.domain.records import CandidateRecord
from admission_flow.domain.stored import Instance, Person
from admission_flow.engine.enrolment import start
from admission_flow.errors import AlreadyExists, DuplicateKey, NotFound
from admission_flow.ports import UnitOfWork
from admission_flow.services.deps import Deps
from admission_flow.services.identifiers import taken
from admission_flow.services.scope import require_org

_PERSON = tuple(f for f in Person.__dataclass_fields__ if f != "attributes")


def candidate_record(inst: Instance) -> CandidateRecord:
    c = inst.candidate
    return CandidateRecord(
        **{f: getattr(c, f) for f in _PERSON},
        attributes=c.attributes or {},
        instance_id=inst.id,
        attempt=inst.attempt,
        workflow=f"{inst.workflow_id}@{inst.workflow_version}",
        workflow_hash=inst.workflow_hash,
        state=inst.state,
        version=inst.version,
        dates=dict(inst.dates),
        flags=list(inst.flags),
        documents=dict(inst.documents),
        canonical_state=canonical_state(inst.state, inst.flags),
    )


def enroll(
    deps: Deps,
    candidate: NewCandidate,
    workflow: str,
    *,
    on: date | None = None,
    within: str | None = None,
    actor: str = "system",
    token_id: int | None = None,
) -> CandidateRecord:
    """Create the candidate and start an instance pinned to ``workflow``, in one transaction. A bare workflow ID
    starts on the release in force on ``on`` (default: today); ``ID@VERSION`` on that version."""
    started_on = on or deps.today()
    wf = deps.catalog.resolve_on(workflow, started_on)
    now = deps.clock.now()
    person = {**candidate.model_dump(mode="python"), "created_at": now}
    decided = start(
        wf,
        candidate_id=candidate.id,
        org_id=candidate.org_id,
        birth_date=candidate.birth_date,
        attempt=1,
        started_on=started_on,
        now=now,
        rules=deps.rules(),
        candidate=person,
        actor=actor,
        token_id=token_id,
    )
    try:
        with deps.db.transaction() as uow:
            require_org(uow, candidate.org_id, within)
            instance_id = uow.start(decided)
    except DuplicateKey as exc:
        raise taken(exc, person) or AlreadyExists("candidate", candidate.id) from None
    values = decided.instance
    return CandidateRecord(
        **{k: v for k, v in person.items() if k != "created_at"},
        instance_id=instance_id,
        attempt=1,
        workflow=f"{wf.spec.id}@{wf.spec.version}",
        workflow_hash=wf.content_hash,
        state=values["state"],
        version=1,
        dates={},
        flags=[],
        documents={},
        canonical_state=values["state"],
    )


def load(uow: UnitOfWork, candidate_id: str, within: str | None = None) -> Instance:
    """The candidate's latest instance; ``NotFound`` also for one outside ``within``'s subtree (alike)."""
    inst = uow.instances.load(candidate_id, within)
    if inst is None:
        raise NotFound("candidate", candidate_id)
    return inst


def get_candidate(deps: Deps, candidate_id: str, within: str | None = None) -> CandidateRecord:
    with deps.db.transaction(readonly=True) as uow:
        return candidate_record(load(uow, candidate_id, within))


def list_candidates(deps: Deps, *, org_id: str | None = None, state: str | None = None) -> list[CandidateRecord]:
    with deps.db.transaction(readonly=True) as uow:
        org_ids = None
        if org_id is not None:
            if uow.orgs.get(org_id) is None:
                raise NotFound("org", org_id)
            org_ids = uow.orgs.subtree(org_id)
        found = uow.instances.latest(uow.instances.candidate_ids(org_ids=org_ids, state=state))
    return [candidate_record(i) for i in found]

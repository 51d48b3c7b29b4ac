"""Corrections to a candidate's personal data, audited: one event ``update_personal_data`` records each field's
old and new value, who made the change and with which token, in the same transaction as the change.

The event counts as a step of the instance (its version moves on), so a caller holding an ETag of the old data
cannot fire on stale facts. Deadlines already projected are not moved: a corrected birth date changes what the
next guard reads, not timers set earlier (their dates came from papers, not from the birth date).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from admission_flow.domain.inputs import CandidateChanges, EventInput
from admission_flow.domain.records import CandidateRecord
from admission_flow.engine.effects import event_row
from admission_flow.errors import ConcurrentUpdate, DuplicateKey
from admission_flow.services.candidates import candidate_record, load
from admission_flow.services.deps import Deps
from admission_flow.services.identifiers import check_agreement, taken

TRIGGER = "update_personal_data"


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def update_candidate(
    deps: Deps,
    candidate_id: str,
    changes: CandidateChanges,
    *,
    actor: str = "system",
    token_id: int | None = None,
    within: str | None = None,
    expected_version: int | None = None,
) -> CandidateRecord:
    """Apply ``changes``; a change to nothing (every value already so) records no event."""
    given = changes.given()
    try:
        return _apply(deps, candidate_id, given, actor, token_id, within, expected_version)
    except DuplicateKey as exc:
        raise taken(exc, given) or exc from None


def _apply(
    deps: Deps,
    candidate_id: str,
    given: dict[str, Any],
    actor: str,
    token_id: int | None,
    within: str | None,
    expected_version: int | None,
) -> CandidateRecord:
    now = deps.clock.now()
    with deps.db.transaction() as uow:
        inst = load(uow, candidate_id, within)
        if expected_version is not None and expected_version != inst.version:
            raise ConcurrentUpdate(inst.id, expected_version)
        person = inst.candidate
        check_agreement(person, given)
        diff = {
            f: {"from": _plain(getattr(person, f)), "to": _plain(v)}
            for f, v in given.items()
            if getattr(person, f) != v
        }
        if diff:
            wf = deps.pinned(inst)
            if not uow.instances.touch(inst.id, inst.version, now):
                raise ConcurrentUpdate(inst.id, inst.version)
            uow.instances.update_person(candidate_id, {f: given[f] for f in diff})
            row = event_row(
                wf,
                instance_id=inst.id,
                seq=inst.version + 1,
                trigger=TRIGGER,
                from_state=inst.state,
                to_state=inst.state,
                event=EventInput(actor=actor, data={"changes": diff}, token_id=token_id),
                org_id=inst.org.id,
                occurred_on=deps.today(),
                now=now,
            )
            uow.events.insert(row)
        return candidate_record(load(uow, candidate_id))

"""Starting a candidate on a workflow version, decided as a value (``Start``): the instance in the initial
state, the audit row of the canonical ``add_to_source_plan`` (— → initial) and the first stay's timers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from admission_flow.domain.inputs import EventInput
from admission_flow.domain.outcome import NO_TIMERS, Start
from admission_flow.engine.effects import event_row
from admission_flow.engine.machine import CompiledWorkflow
from admission_flow.engine.timing import Stay, TimeRules, plan_timers

ENROL_TRIGGER = "add_to_source_plan"
_SYSTEM = EventInput(actor="system")


def start(
    wf: CompiledWorkflow,
    *,
    candidate_id: str,
    org_id: str,
    birth_date: date | None,
    attempt: int,
    started_on: date,
    now: datetime,
    rules: TimeRules,
    candidate: dict[str, Any] | None = None,
    actor: str = "system",
    token_id: int | None = None,
    timers: bool = True,
) -> Start:
    """``candidate``: the person's row to insert (None for a new attempt of a known person). ``timers=False``:
    no timer plan (the bulk import projects only the stay a row ends in)."""
    initial = wf.spec.initial
    instance = {
        "candidate_id": candidate_id,
        "attempt": attempt,
        "workflow_id": wf.spec.id,
        "workflow_version": wf.spec.version,
        "workflow_hash": wf.content_hash,
        "state": initial,
        "version": 1,
        "dates": {},
        "flags": [],
        "documents": {},
        "started_at": now,
        "updated_at": now,
        "state_epoch": 1,
        "state_entered_on": started_on,
        "extensions": {},
    }
    audit = event_row(
        wf,
        instance_id=0,
        seq=1,
        trigger=ENROL_TRIGGER,
        from_state=None,
        to_state=initial,
        event=_SYSTEM if actor == "system" and token_id is None else EventInput(actor=actor, token_id=token_id),
        org_id=org_id,
        occurred_on=started_on,
        now=now,
    )
    if not timers:
        return Start(candidate, instance, audit, NO_TIMERS)
    anchors = {} if birth_date is None else {"birth_date": birth_date}
    stay = Stay(0, initial, 1, started_on, anchors, {}, ())
    plan = plan_timers(wf, stay, moved=True, left_pending=False, existing=(), now=now, rules=rules)
    return Start(candidate, instance, audit, plan)

"""Looking ahead at a later step's rules: the guards of a trigger judged on a future date, as a warning.

Re-admission's waits are conditions of admission, checked on the cell's vote date (issue 12, item 2): an
earlier step must not be refused for them, but the cell should see, at any step, whether the vote would pass
on a given day. This reads the candidate, evaluates the chosen guards of the trigger's routes (from any source
state) on that day, and writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from admission_flow.domain.checks import RuleCheck
from admission_flow.domain.inputs import EventInput
from admission_flow.domain.membership import MembershipDates, membership_dates
from admission_flow.domain.records import reasons_as_dicts
from admission_flow.engine.context import guard_context
from admission_flow.engine.machine import BoundGuard, CompiledWorkflow
from admission_flow.errors import InvalidInput
from admission_flow.services.candidates import load
from admission_flow.services.deps import Deps


def bound_guards(wf: CompiledWorkflow, trigger: str, names: Sequence[str]) -> list[BoundGuard]:
    """The first binding of each named guard among ``trigger``'s routes (alternatives repeat the same guards)."""
    if trigger not in wf.triggers:
        raise InvalidInput(f"{wf.key} has no trigger {trigger!r}")
    found: dict[str, BoundGuard] = {}
    for (_, route_trigger), routes in wf.routes.items():
        if route_trigger != trigger:
            continue
        for route in routes:
            for guard in route.guards:
                if guard.name in names:
                    found.setdefault(guard.name, guard)
    return [found[name] for name in names if name in found]


def check_ahead(
    deps: Deps, candidate_id: str, trigger: str, guards: Sequence[str], on: date | None, within: str | None
) -> RuleCheck:
    """The named guards of ``trigger`` on ``on`` (default: today) for the candidate as recorded now."""
    on = on or deps.today()
    with deps.db.transaction(readonly=True) as uow:
        inst = load(uow, candidate_id, within)
    wf = deps.pinned(inst)
    bound = bound_guards(wf, trigger, guards)
    ctx = guard_context(inst, wf, trigger, on, EventInput(), [], deps.rules().calendar, None)
    reasons = [r for guard in bound for r in guard.evaluate(ctx)]
    return RuleCheck(
        candidate_id=candidate_id,
        workflow=wf.key,
        trigger=trigger,
        on=on,
        guards=[g.name for g in bound],
        ok=not reasons,
        reasons=reasons_as_dicts(reasons),
    )


def membership(deps: Deps, candidate_id: str, on: date | None, within: str | None) -> MembershipDates:
    """The official date of full membership and the party age on ``on`` (default: today), from what is recorded."""
    on = on or deps.today()
    with deps.db.transaction(readonly=True) as uow:
        inst = load(uow, candidate_id, within)
    recognised = inst.state == "full_member" or "full_member_since" in inst.dates
    return membership_dates(candidate_id, inst.dates, inst.candidate.attributes or {}, recognised, on)

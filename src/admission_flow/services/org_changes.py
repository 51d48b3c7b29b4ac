"""Changes of the organisation tree with effective dates, each one transaction and one audited row (two or more
for a merge: the children it moves get a row each).

A change that takes effect on a date closes the organisation's open period on that date and opens a new one,
updates the ``orgs`` row (the present) and writes an ``org_changes`` row with what was before and after and who
recorded it. Refused, with nothing written: a date in the future or before the open period began, a cycle, a
target that is unknown, dissolved or did not exist yet on the date, a merge into itself or its own subtree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from admission_flow.domain.inputs import NewOrg, validated
from admission_flow.domain.org_history import (
    DISSOLVED_ON,
    MERGED_INTO,
    PERIOD_FIELDS,
    OrgChangeRecord,
    authority_of,
    check_effective,
    nothing_to_change,
    refuse_cycle,
    refuse_dissolved,
    refuse_not_yet,
    row_values,
    with_authority,
)
from admission_flow.domain.records import OrgRecord
from admission_flow.domain.stored import Instance
from admission_flow.errors import AlreadyExists, DuplicateKey, InvalidInput, NotFound, OrgChangeRefused
from admission_flow.ports import UnitOfWork
from admission_flow.services.deps import Deps
from admission_flow.services.scope import require_org


@dataclass(frozen=True)
class Stamp:
    """When a change takes effect (``on``; None only for an organisation that exists since always), the day
    it is recorded on, the instant, who records it and why."""

    on: date | None
    today: date
    now: datetime
    actor: str
    note: str | None = None

    @property
    def effective(self) -> date:
        return self.on if self.on is not None else self.today


def stamp(deps: Deps, on: date | None, actor: str, note: str | None, *, default_today: bool = True) -> Stamp:
    today = deps.today()
    return Stamp(on if on is not None or not default_today else today, today, deps.clock.now(), actor, note)


def normalised(org_id: str, state: dict[str, Any]) -> dict[str, Any]:
    """``state`` checked as a new organisation would be (names, kind, contacts…), in the form rows hold."""
    found = validated(NewOrg, {"id": org_id, **state}).model_dump(mode="json")
    found.pop("id")
    return found


# ---------------------------------------------------------------- inside one unit of work


def locked(uow: UnitOfWork, org_id: str, within: str | None) -> OrgRecord:
    """The organisation (in ``within``'s subtree), locked, and not dissolved."""
    require_org(uow, org_id, within)
    org = uow.org_history.lock(org_id)
    if org is None:
        raise NotFound("org", org_id)
    refuse_dissolved(org)
    return org


def target_on(uow: UnitOfWork, target_id: str, on: date, within: str | None) -> OrgRecord:
    """A new parent or the organisation merged into: known (in scope), not dissolved, existing on ``on``."""
    require_org(uow, target_id, within)
    target = uow.orgs.get(target_id)
    if target is None:
        raise NotFound("org", target_id)
    refuse_dissolved(target, "target")
    if not uow.org_history.existed_on(target_id, on):
        refuse_not_yet(target_id, on)
    return target


def apply(
    uow: UnitOfWork,
    at: Stamp,
    org: OrgRecord,
    change: str,
    before: dict[str, Any],
    after: dict[str, Any],
    new_state: dict[str, Any],
    *,
    ends: bool = False,
) -> OrgChangeRecord:
    """Record one change of ``org`` to ``new_state`` (its row fields) effective ``at.effective``: the row, the
    periods (only when a field they keep changed, or when the organisation ``ends``) and the audit row."""
    on = at.effective
    period = uow.org_history.open_period(org.id)
    if period is None:
        refuse_dissolved(org)
        raise NotFound("org period", org.id)
    check_effective(org.id, period.valid_from, on, at.today)
    old_state = row_values(org)
    changed = {name: value for name, value in new_state.items() if old_state.get(name) != value}
    if changed:
        uow.org_history.update(org.id, changed)
    if ends or any(name in changed for name in PERIOD_FIELDS):
        uow.org_history.close_period(period.id, on)
        if not ends:
            uow.org_history.start_period(org.id, on, {**old_state, **new_state})
    return uow.org_history.record(
        {
            "org_id": org.id,
            "change": change,
            "effective_on": on,
            "before": before,
            "after": after,
            "actor": at.actor,
            "note": at.note,
            "recorded_at": at.now,
        }
    )


def move_in(uow: UnitOfWork, at: Stamp, org: OrgRecord, parent_id: str | None, within: str | None) -> OrgChangeRecord:
    if parent_id == org.parent_id:
        raise nothing_to_change(org.id)
    if parent_id is not None:
        refuse_cycle(org.id, parent_id, uow.orgs.subtree(org.id), "move")
        target_on(uow, parent_id, at.effective, within)
    elif within is not None:
        raise NotFound("org", "(no parent)")  # a caller bound to a subtree cannot make a root
    state = {**row_values(org), "parent_id": parent_id}
    return apply(uow, at, org, "move", {"parent_id": org.parent_id}, {"parent_id": parent_id}, state)


def is_open(deps: Deps, inst: Instance) -> bool:
    """Whether the candidate's latest attempt has not ended (a version no longer loaded counts as open)."""
    try:
        return not deps.catalog_of().get(inst.workflow_id, inst.workflow_version).is_final(inst.state)
    except NotFound:
        return True


def open_candidates(deps: Deps, uow: UnitOfWork, org_id: str) -> list[str]:
    """The candidates of ``org_id`` itself whose latest attempt is still running, by id."""
    ids = uow.instances.candidate_ids(org_ids=[org_id])
    return [inst.candidate_id for inst in uow.instances.latest(ids) if is_open(deps, inst)]


def create_in(uow: UnitOfWork, at: Stamp, org: NewOrg, within: str | None) -> OrgRecord:
    """Insert ``org``, existing from ``at.on`` (None: since always), with a ``create`` audit row."""
    if org.parent_id is not None:
        if at.on is None:
            require_org(uow, org.parent_id, within)
            parent = uow.orgs.get(org.parent_id)
            if parent is None:
                raise NotFound("org", org.parent_id)
            refuse_dissolved(parent, "target")
        else:
            target_on(uow, org.parent_id, at.on, within)
    elif within is not None:
        raise NotFound("org", "(no parent)")
    if at.on is not None and at.on > at.today:
        check_effective(org.id, None, at.on, at.today)
    values = org.model_dump(mode="json")
    try:
        uow.orgs.insert({**values, "created_at": at.now})
    except DuplicateKey:
        raise AlreadyExists("org", org.id) from None
    if at.on is not None:
        period = uow.org_history.open_period(org.id)
        assert period is not None
        uow.org_history.set_period_start(period.id, at.on)
    after = {k: v for k, v in values.items() if k != "id"} | {"valid_from": at.on.isoformat() if at.on else None}
    uow.org_history.record(
        {
            "org_id": org.id,
            "change": "create",
            "effective_on": at.effective,
            "before": {},
            "after": after,
            "actor": at.actor,
            "note": at.note if at.note is not None else (None if at.on else "exists since always"),
            "recorded_at": at.now,
        }
    )
    found = uow.orgs.get(org.id)
    assert found is not None
    return found


# ---------------------------------------------------------------- use cases, one transaction each


def create(deps: Deps, org: NewOrg, at: Stamp, within: str | None) -> OrgRecord:
    with deps.db.transaction() as uow:
        return create_in(uow, at, org, within)


def rename(deps: Deps, org_id: str, name: str, at: Stamp, within: str | None) -> OrgChangeRecord:
    with deps.db.transaction() as uow:
        org = locked(uow, org_id, within)
        state = normalised(org_id, {**row_values(org), "name": name})
        if state["name"] == org.name:
            raise nothing_to_change(org_id)
        return apply(uow, at, org, "rename", {"name": org.name}, {"name": state["name"]}, {**row_values(org), **state})


def move(deps: Deps, org_id: str, parent_id: str | None, at: Stamp, within: str | None) -> OrgChangeRecord:
    with deps.db.transaction() as uow:
        return move_in(uow, at, locked(uow, org_id, within), parent_id, within)


def set_authority(
    deps: Deps, org_id: str, grant: list[str], withdraw: list[str], at: Stamp, within: str | None
) -> OrgChangeRecord:
    with deps.db.transaction() as uow:
        org = locked(uow, org_id, within)
        held = authority_of(org.attributes)
        wanted = [p for p in [*held, *grant] if p not in withdraw]
        attributes = with_authority(org.attributes, wanted)
        if authority_of(attributes) == held:
            raise nothing_to_change(org_id)
        state = {**row_values(org), "attributes": attributes}
        return apply(uow, at, org, "authority", {"authority": held}, {"authority": authority_of(attributes)}, state)


def update(deps: Deps, org_id: str, changes: dict[str, Any], at: Stamp, within: str | None) -> OrgChangeRecord:
    """Plain updates: kind, the unions, contacts, attributes other than the powers and the dissolution marks."""
    allowed = {"kind", "has_youth_union", "has_trade_union", "contacts", "attributes"}
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise InvalidInput(f"cannot update {', '.join(unknown)} this way (only {', '.join(sorted(allowed))})")
    reserved = sorted({"authority", DISSOLVED_ON, MERGED_INTO} & set(changes.get("attributes") or {}))
    if reserved:
        raise InvalidInput(f"attributes {', '.join(reserved)} change by their own commands (authority, merge…)")
    with deps.db.transaction() as uow:
        org = locked(uow, org_id, within)
        given = dict(changes)
        if "attributes" in given:
            given["attributes"] = with_authority(given["attributes"], authority_of(org.attributes))
        state = normalised(org_id, {**row_values(org), **given})
        old = row_values(org)
        before = {k: old[k] for k in changes if old[k] != state[k]}
        if not before:
            raise nothing_to_change(org_id)
        return apply(uow, at, org, "update", before, {k: state[k] for k in before}, state)


def dissolve(deps: Deps, org_id: str, at: Stamp, within: str | None) -> OrgChangeRecord:
    with deps.db.transaction() as uow:
        org = locked(uow, org_id, within)
        children = uow.org_history.children(org_id)
        if children:
            raise OrgChangeRefused(
                "has_children",
                vi=f"{org_id} còn tổ chức trực thuộc ({', '.join(children)}): chuyển hoặc hợp nhất chúng trước",
                en=f"{org_id} still has organisations under it ({', '.join(children)}): move or merge them first",
                org=org_id,
                children=children,
            )
        running = open_candidates(deps, uow, org_id)
        if running:
            raise OrgChangeRefused(
                "has_open_candidates",
                vi=f"{org_id} còn {len(running)} quần chúng đang trong quy trình: hãy hợp nhất vào tổ chức khác",
                en=f"{org_id} still has {len(running)} candidate(s) in progress: merge it into another organisation",
                org=org_id,
                candidates=running,
            )
        marks = {DISSOLVED_ON: at.effective.isoformat()}
        state = {**row_values(org), "attributes": {**org.attributes, **marks}}
        return apply(uow, at, org, "dissolve", {}, marks, state, ends=True)


def merge(deps: Deps, org_id: str, into: str, at: Stamp, within: str | None) -> OrgChangeRecord:
    """``org_id`` into ``into``: its children move under ``into`` (a ``move`` row each), its candidates with a
    running attempt move to ``into`` (their open dossiers follow ``into``'s competent body), its closed
    histories stay where they were; it is marked merged and its period ends."""
    with deps.db.transaction() as uow:
        org = locked(uow, org_id, within)
        period = uow.org_history.open_period(org_id)
        check_effective(org_id, period.valid_from if period else None, at.effective, at.today)
        refuse_cycle(org_id, into, uow.orgs.subtree(org_id), "merge")
        target_on(uow, into, at.effective, within)
        children = uow.org_history.children(org_id)
        child_stamp = Stamp(at.on, at.today, at.now, at.actor, at.note or f"merge of {org_id} into {into}")
        for child_id in children:
            child = uow.org_history.lock(child_id)
            assert child is not None
            move_in(uow, child_stamp, child, into, None)
        running = open_candidates(deps, uow, org_id)
        uow.org_history.move_candidates(running, into)
        marks = {DISSOLVED_ON: at.effective.isoformat(), MERGED_INTO: into}
        state = {**row_values(org), "attributes": {**org.attributes, **marks}}
        after = {**marks, "children_moved": children, "candidates_moved": running}
        return apply(uow, at, org, "merge", {}, after, state, ends=True)


# ---------------------------------------------------------------- reads


def history(deps: Deps, org_id: str, within: str | None) -> list[OrgChangeRecord]:
    with deps.db.transaction(readonly=True) as uow:
        require_org(uow, org_id, within)
        return uow.org_history.changes(org_id)


def tree(deps: Deps, as_of: date | None, within: str | None) -> list[OrgRecord]:
    """The tree now (dissolved organisations left out) or as it stood on ``as_of``, by id."""
    with deps.db.transaction(readonly=True) as uow:
        if within is not None:
            require_org(uow, within, None)
        return uow.org_history.tree(as_of, within)


def org_as_of(deps: Deps, org_id: str, on: date, within: str | None) -> OrgRecord:
    with deps.db.transaction(readonly=True) as uow:
        require_org(uow, org_id, within)
        found = [o for o in uow.org_history.tree(on, org_id) if o.id == org_id]
    if not found:
        raise NotFound("org", f"{org_id} on {on.isoformat()}")
    return found[0]

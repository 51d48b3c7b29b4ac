"""Organisations: register a node of the tree, read one, a subtree or all, and who is competent to decide."""

from __future__ import annotations

from typing import Any

from admission_flow.domain.inputs import NewOrg
from admission_flow.domain.records import OrgRecord
from admission_flow.errors import AlreadyExists, DuplicateKey, NotFound
from admission_flow.guards.authority import AuthorityParams, competent_org
from admission_flow.services.candidates import load
from admission_flow.services.deps import Deps
from admission_flow.services.scope import require_org


def add_org(deps: Deps, org: NewOrg) -> OrgRecord:
    now = deps.clock.now()
    try:
        with deps.db.transaction() as uow:
            if org.parent_id is not None and uow.orgs.get(org.parent_id) is None:
                raise NotFound("org", org.parent_id)
            uow.orgs.insert({**org.model_dump(mode="json"), "created_at": now})
            found = uow.orgs.get(org.id)
    except DuplicateKey:
        raise AlreadyExists("org", org.id) from None
    assert found is not None
    return found


def get_org(deps: Deps, org_id: str, within: str | None = None) -> OrgRecord:
    """One organisation; ``NotFound`` also for one outside ``within``'s subtree."""
    with deps.db.transaction(readonly=True) as uow:
        require_org(uow, org_id, within)
        found = uow.orgs.get(org_id)
    assert found is not None
    return found


def list_orgs(deps: Deps, within: str | None = None) -> list[OrgRecord]:
    """Every organisation by id, or those of ``within``'s subtree."""
    with deps.db.transaction(readonly=True) as uow:
        return uow.orgs.listing(within)


def subtree(deps: Deps, org_id: str, within: str | None = None) -> list[OrgRecord]:
    """``org_id`` and every organisation below it (``org_id`` must be in ``within``'s subtree)."""
    with deps.db.transaction(readonly=True) as uow:
        require_org(uow, org_id, within)
        return uow.orgs.listing(org_id)


def competent(deps: Deps, candidate_id: str, within: str | None = None) -> list[dict[str, Any]]:
    """For each trigger from the candidate's state that needs a power (the ``competent_authority`` guard): the
    power and the nearest organisation at or above the candidate's holding it (None if none is configured).

    The organisation named may sit above ``within`` (a cell's dossier goes up to a committee): it is on the
    candidate's own chain of superiors, which the caller needs to know, never a sibling's data."""
    with deps.db.transaction(readonly=True) as uow:
        inst = load(uow, candidate_id, within)
        chain = uow.orgs.ancestry(inst.org.id)
    wf = deps.pinned(inst)
    found = []
    for trigger in wf.triggers_from(inst.state):
        for route in wf.routes[(inst.state, trigger)]:
            for guard in route.guards:
                if guard.name == "competent_authority" and isinstance(guard.params, AuthorityParams):
                    org = competent_org(chain, guard.params.power)  # type: ignore[arg-type]
                    found.append({"trigger": trigger, "power": guard.params.power, "org": org})
    return found

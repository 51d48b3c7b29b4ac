"""Organisations: register a node of the tree, read one or all."""

from __future__ import annotations

from admission_flow.domain.inputs import NewOrg
from admission_flow.domain.records import OrgRecord
from admission_flow.errors import AlreadyExists, DuplicateKey, NotFound
from admission_flow.services.deps import Deps


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


def get_org(deps: Deps, org_id: str) -> OrgRecord:
    with deps.db.transaction(readonly=True) as uow:
        found = uow.orgs.get(org_id)
    if found is None:
        raise NotFound("org", org_id)
    return found


def list_orgs(deps: Deps) -> list[OrgRecord]:
    with deps.db.transaction(readonly=True) as uow:
        return uow.orgs.all()

"""The one check of a caller's scope: an organisation exists and, for a caller bound to a subtree, lies in it.

Outside the subtree is answered as "not found", exactly like an organisation that does not exist.
"""

from __future__ import annotations

from admission_flow.errors import NotFound
from admission_flow.ports import UnitOfWork


def require_org(uow: UnitOfWork, org_id: str, within: str | None) -> None:
    """``NotFound("org", org_id)`` unless the organisation exists (in ``within``'s subtree when given): one query."""
    found = uow.orgs.get(org_id) is not None if within is None else bool(uow.orgs.within([org_id], within))
    if not found:
        raise NotFound("org", org_id)

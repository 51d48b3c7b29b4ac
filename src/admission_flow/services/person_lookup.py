"""Finding a person by one of their identifiers (personal identification number, party card, old card)."""

from __future__ import annotations

from admission_flow.domain.inputs import IDENTIFIERS
from admission_flow.domain.records import CandidateRecord
from admission_flow.errors import InvalidInput, NotFound
from admission_flow.services.candidates import candidate_record, load
from admission_flow.services.deps import Deps


def by_identifier(deps: Deps, field: str, value: str, within: str | None = None) -> CandidateRecord:
    """The candidate holding ``value`` as ``field``; ``NotFound`` also for one outside ``within``'s subtree."""
    if field not in IDENTIFIERS:
        raise InvalidInput(f"unknown identifier {field!r}; one of: {', '.join(IDENTIFIERS)}")
    with deps.db.transaction(readonly=True) as uow:
        holder = uow.people.holder(field, value, within)
        if holder is None:
            raise NotFound("candidate", f"{field}={value}")
        return candidate_record(load(uow, holder))

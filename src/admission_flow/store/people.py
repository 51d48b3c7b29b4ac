"""People's identifiers: who holds a personal identification number or a card number, within a subtree or not.

The uniqueness itself is the database's (unique columns on ``candidates``); this module answers lookups.
"""

from __future__ import annotations

from sqlalchemy import select

from admission_flow.store.orgs import subtree_ids
from admission_flow.store.schema import Candidate, table
from admission_flow.store.transaction import Tx

candidates = table(Candidate)
IDENTIFIER_COLUMNS = ("personal_id", "party_card_no", "old_card_no")


class SqlPeople:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def holder(self, field: str, value: str, within: str | None = None) -> str | None:
        """The id of the candidate whose ``field`` is ``value`` (None also when they are outside ``within``)."""
        if field not in IDENTIFIER_COLUMNS:
            raise ValueError(f"not an identifier column: {field}")
        stmt = select(candidates.c.id).where(candidates.c[field] == value)
        if within is not None:
            stmt = stmt.where(candidates.c.org_id.in_(subtree_ids(within)))
        found = self._tx.connection.execute(stmt).scalar_one_or_none()
        return None if found is None else str(found)

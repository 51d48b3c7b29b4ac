"""The hand-over's reads: people of a subtree admitted or recognised in a period (from the instances' recorded
dates, compared as ISO text in SQL), and people by their personal identification numbers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import and_, or_, select

from admission_flow.store.orgs import subtree_ids
from admission_flow.store.schema import Candidate, Instance, Org, table
from admission_flow.store.transaction import Tx

candidates, instances, orgs = table(Candidate), table(Instance), table(Org)
_COLUMNS = (
    candidates.c.id.label("candidate_id"),
    candidates.c.personal_id,
    candidates.c.full_name,
    candidates.c.birth_date,
    candidates.c.sex,
    candidates.c.org_id,
    orgs.c.name.label("org_name"),
    candidates.c.party_card_no,
    instances.c.attempt,
    instances.c.dates,
)
_BASE = (
    select(*_COLUMNS)
    .select_from(instances)
    .join(candidates, candidates.c.id == instances.c.candidate_id)
    .join(orgs, orgs.c.id == candidates.c.org_id)
)


def _recorded(name: str) -> Any:
    """A recorded date of the instance as ISO text (NULL when not recorded): SQLite json_extract, PostgreSQL ->>."""
    return instances.c.dates[name].as_string()


def _between(column: Any, starts: date | None, ends: date | None) -> Any:
    found = [column.is_not(None)]
    if starts is not None:
        found.append(column >= starts.isoformat())
    if ends is not None:
        found.append(column <= ends.isoformat())
    return and_(*found)


class SqlHandover:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def changes(
        self, org_id: str | None, within: str | None, starts: date | None, ends: date | None
    ) -> list[dict[str, Any]]:
        """Instances of ``org_id``'s subtree (inside ``within``'s; everywhere if both are None) whose admission
        decision, or whose recognition as a full member, was signed between ``starts`` and ``ends`` (inclusive;
        open if None)."""
        admitted = _between(_recorded("decision_signed_on"), starts, ends)
        recognised = and_(
            _recorded("full_member_since").is_not(None), _between(_recorded("recognition_decided_on"), starts, ends)
        )
        stmt = _BASE.where(or_(admitted, recognised))
        if org_id is not None:
            stmt = stmt.where(candidates.c.org_id.in_(subtree_ids(org_id, "handover")))
        if within is not None:
            stmt = stmt.where(candidates.c.org_id.in_(subtree_ids(within)))
        stmt = stmt.order_by(candidates.c.org_id, candidates.c.id, instances.c.attempt)
        return [dict(r._mapping) for r in self._tx.connection.execute(stmt)]

    def by_personal_ids(self, personal_ids: Sequence[str], within: str | None) -> list[dict[str, Any]]:
        """The latest attempt of each person holding one of ``personal_ids`` (in ``within``'s subtree)."""
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(personal_ids), 500):
            stmt = _BASE.where(candidates.c.personal_id.in_(list(personal_ids[start : start + 500])))
            if within is not None:
                stmt = stmt.where(candidates.c.org_id.in_(subtree_ids(within)))
            for row in self._tx.connection.execute(stmt):
                raw = dict(row._mapping)
                held = found.get(raw["personal_id"])
                if held is None or raw["attempt"] > held["attempt"]:
                    found[raw["personal_id"]] = raw
        return list(found.values())

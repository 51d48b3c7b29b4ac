"""Candidates and their instances: the joined read every event starts with, and the writes of enrolment.

The fire path's statements are prepared once per engine (``prepared.py``) and run on the DBAPI cursor; the
rest are SQLAlchemy Core statements. Rows leave this module as ``domain.stored.Instance`` values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Dialect, bindparam, exists, func, insert, select, true, update
from sqlalchemy.orm import aliased

from admission_flow.domain.stored import Instance, OrgNode, Person
from admission_flow.store.orgs import subtree_ids
from admission_flow.store.prepared import Prepared
from admission_flow.store.schema import Candidate, Org, Webhook, table
from admission_flow.store.schema import Instance as InstanceModel
from admission_flow.store.transaction import Tx

orgs, candidates, instances = table(Org), table(Candidate), table(InstanceModel)
webhooks = table(Webhook)
_parent = aliased(Org)

_INSTANCE_COLUMNS = tuple(
    instances.c[name]
    for name in (
        *("id", "candidate_id", "attempt", "workflow_id", "workflow_version", "workflow_hash", "state", "version"),
        *("dates", "flags", "documents", "state_epoch", "state_entered_on", "extensions"),
    )
)
# Person and OrgNode list their fields in the order of these columns.
_CANDIDATE_COLUMNS = tuple(candidates.c[name] for name in Person.__dataclass_fields__)
_ORG_COLUMNS = tuple(orgs.c[name] for name in OrgNode.__dataclass_fields__)
_N_INSTANCE = len(_INSTANCE_COLUMNS)
_SPLIT = _N_INSTANCE + len(_CANDIDATE_COLUMNS)
LOAD_INSTANCE = (
    select(*_INSTANCE_COLUMNS, *_CANDIDATE_COLUMNS, *_ORG_COLUMNS, _parent.kind)
    .select_from(instances)
    .join(candidates, candidates.c.id == instances.c.candidate_id)
    .join(orgs, orgs.c.id == candidates.c.org_id)
    .outerjoin(_parent, _parent.id == orgs.c.parent_id)
)
# An event's first read also says whether any webhook subscription is active (one more column, computed once
# per statement), so that queueing the event's webhook calls needs no statement of its own when none is: on
# PostgreSQL that is a round trip per event saved.
_WEBHOOKS_ACTIVE = exists().where(webhooks.c.active == true()).label("webhooks_active")
# Hot-path statements are built once, with bind parameters: building a statement per call costs SQLAlchemy
# more than the database spends executing it.
_LOAD_BY_CANDIDATE = (
    LOAD_INSTANCE.add_columns(_WEBHOOKS_ACTIVE)
    .where(instances.c.candidate_id == bindparam("cid"))
    .order_by(instances.c.attempt.desc())
    .limit(1)
)
_LOAD_WITHIN = (
    LOAD_INSTANCE.add_columns(_WEBHOOKS_ACTIVE)
    .where(instances.c.candidate_id == bindparam("cid"), candidates.c.org_id.in_(subtree_ids(bindparam("root"))))
    .order_by(instances.c.attempt.desc())
    .limit(1)
)
_UPDATE_INSTANCE = (
    update(instances)
    .where(instances.c.id == bindparam("iid"), instances.c.version == bindparam("expected"))
    .values(
        state=bindparam("state"),
        version=bindparam("new_version"),
        dates=bindparam("dates", type_=instances.c.dates.type),
        flags=bindparam("flags", type_=instances.c.flags.type),
        documents=bindparam("documents", type_=instances.c.documents.type),
        updated_at=bindparam("updated_at", type_=instances.c.updated_at.type),
        state_epoch=bindparam("state_epoch"),
        state_entered_on=bindparam("state_entered_on", type_=instances.c.state_entered_on.type),
        extensions=bindparam("extensions", type_=instances.c.extensions.type),
    )
)
_CANDIDATE_INSERT_COLUMNS = [c.name for c in candidates.c]
# Columns a caller may leave out (the identifiers are optional; not a leader or manager unless said).
_CANDIDATE_DEFAULTS: dict[str, Any] = {
    "personal_id": None,
    "party_card_no": None,
    "old_card_no": None,
    "manager": False,
}
_INSTANCE_INSERT_COLUMNS = [c.name for c in instances.c if c.name != "id"]


class InstanceStatements:
    """The prepared statements of reading and writing instances, for one engine's dialect."""

    def __init__(self, dialect: Dialect) -> None:
        self.load = Prepared(_LOAD_BY_CANDIDATE, dialect)
        self.load_within = Prepared(_LOAD_WITHIN, dialect)
        self.update = Prepared(_UPDATE_INSTANCE, dialect)
        self.insert_candidate = Prepared(insert(candidates), dialect, _CANDIDATE_INSERT_COLUMNS)
        self.insert = Prepared(insert(instances).returning(instances.c.id), dialect, _INSTANCE_INSERT_COLUMNS)


def instance_of(row: Sequence[Any]) -> Instance:
    """One joined row as an ``Instance``."""
    person = Person(*row[_N_INSTANCE:_SPLIT])
    org = OrgNode(*row[_SPLIT:-1])
    return Instance(*row[:_N_INSTANCE], person, org, row[-1])  # type: ignore[call-arg]


class SqlInstances:
    def __init__(self, tx: Tx, statements: InstanceStatements) -> None:
        self._tx = tx
        self._sql = statements

    def load(self, candidate_id: str, within: str | None = None) -> Instance | None:
        if within is None:
            found = self._sql.load.first(self._tx.cursor(), {"cid": candidate_id})
        else:
            found = self._sql.load_within.first(self._tx.cursor(), {"cid": candidate_id, "root": within})
        if found is None:
            return None
        self._tx.webhooks_active = bool(found[-1])
        return instance_of(found[:-1])

    def load_by_ids(self, instance_ids: Sequence[int]) -> dict[int, Instance]:
        rows = self._tx.connection.execute(LOAD_INSTANCE.where(instances.c.id.in_(list(instance_ids))))
        return {r[0]: instance_of(r) for r in rows}

    def latest(self, candidate_ids: Sequence[str]) -> list[Instance]:
        """Each candidate's latest instance, in the order given: one query per 500 candidates, not one each."""
        found: dict[str, Instance] = {}
        for start in range(0, len(candidate_ids), 500):
            chunk = list(candidate_ids[start : start + 500])
            for row in self._tx.connection.execute(LOAD_INSTANCE.where(instances.c.candidate_id.in_(chunk))):
                inst = instance_of(row)
                if inst.candidate_id not in found or inst.attempt > found[inst.candidate_id].attempt:
                    found[inst.candidate_id] = inst
        return [found[cid] for cid in candidate_ids if cid in found]

    def candidate_ids(self, *, org_ids: Sequence[str] | None = None, state: str | None = None) -> list[str]:
        latest = (
            select(instances.c.candidate_id, func.max(instances.c.attempt).label("attempt"))
            .group_by(instances.c.candidate_id)
            .subquery()
        )
        stmt = (
            select(candidates.c.id)
            .join(latest, latest.c.candidate_id == candidates.c.id)
            .join(
                instances,
                (instances.c.candidate_id == latest.c.candidate_id) & (instances.c.attempt == latest.c.attempt),
            )
            .order_by(candidates.c.id)
        )
        if org_ids is not None:
            stmt = stmt.where(candidates.c.org_id.in_(list(org_ids)))
        if state is not None:
            stmt = stmt.where(instances.c.state == state)
        return [r[0] for r in self._tx.connection.execute(stmt)]

    def ids_of(self, candidate_id: str) -> list[int]:
        stmt = select(instances.c.id).where(instances.c.candidate_id == candidate_id)
        return list(self._tx.connection.execute(stmt).scalars())

    def next_attempt(self, candidate_id: str) -> int:
        stmt = select(func.coalesce(func.max(instances.c.attempt), 0)).where(instances.c.candidate_id == candidate_id)
        return int(self._tx.connection.execute(stmt).scalar_one()) + 1

    def insert_candidate(self, values: Mapping[str, Any]) -> None:
        self._sql.insert_candidate.execute(self._tx.cursor(), {**_CANDIDATE_DEFAULTS, **values})

    def insert(self, values: Mapping[str, Any]) -> int:
        found = self._sql.insert.first(self._tx.cursor(), values)
        assert found is not None
        return int(found[0])

    def update(self, params: Mapping[str, Any]) -> bool:
        """The version-checked UPDATE of an event (``params`` as ``_UPDATE_INSTANCE`` binds them)."""
        return bool(self._sql.update.execute(self._tx.cursor(), params).rowcount == 1)

    def update_person(self, candidate_id: str, values: Mapping[str, Any]) -> None:
        self._tx.connection.execute(update(candidates).where(candidates.c.id == candidate_id).values(**values))

    def touch(self, instance_id: int, expected_version: int, now: datetime) -> bool:
        """Count an event that changes nothing on the instance itself (version-checked)."""
        stmt = (
            update(instances)
            .where(instances.c.id == instance_id, instances.c.version == expected_version)
            .values(version=expected_version + 1, updated_at=now)
        )
        return bool(self._tx.connection.execute(stmt).rowcount == 1)

    def move_candidate(self, candidate_id: str, org_id: str) -> None:
        self._tx.connection.execute(update(candidates).where(candidates.c.id == candidate_id).values(org_id=org_id))

    def repin(
        self,
        instance_id: int,
        expected_version: int,
        *,
        workflow: tuple[str, str, str],
        state: str,
        epoch: int,
        now: datetime,
    ) -> bool:
        workflow_id, version, content_hash = workflow
        result = self._tx.connection.execute(
            update(instances)
            .where(instances.c.id == instance_id, instances.c.version == expected_version)
            .values(
                workflow_id=workflow_id,
                workflow_version=version,
                workflow_hash=content_hash,
                state=state,
                version=expected_version + 1,
                state_epoch=epoch,
                updated_at=now,
            )
        )
        return result.rowcount == 1

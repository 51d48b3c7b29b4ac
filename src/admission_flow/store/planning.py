"""Targets and quotas (``targets``) and the classes held (``classes``): writes, scoped listings, and the
allocation of a parent's target to its children as one grouped query."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import and_, delete, func, insert, select, update

from admission_flow.store.orgs import subtree_ids, valid_on
from admission_flow.store.schema import OrgPeriod, Target, TrainingClass, table
from admission_flow.store.transaction import Tx

targets, classes, periods = table(Target), table(TrainingClass), table(OrgPeriod)
_TARGET_COLUMNS = ("id", "org_id", "kind", "starts_on", "ends_on", "admissions", "sourcing_plan", "note")
_CLASS_COLUMNS = ("id", "org_id", "kind", "reference", "starts_on", "ends_on", "attendees", "note")


def _overlapping(table_: Any, starts: date | None, ends: date | None) -> list[Any]:
    """Rows whose period meets [starts, ends] (an open class, without ``ends_on``, lasts its start day)."""
    found = []
    end_column = table_.c.ends_on if table_ is targets else func.coalesce(table_.c.ends_on, table_.c.starts_on)
    if starts is not None:
        found.append(end_column >= starts)
    if ends is not None:
        found.append(table_.c.starts_on <= ends)
    return found


class SqlTargets:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def put(self, values: Mapping[str, Any]) -> tuple[int, bool]:
        """Insert the target, or replace the one of the same organisation, kind and start; (id, replaced)."""
        key = and_(
            targets.c.org_id == values["org_id"],
            targets.c.kind == values["kind"],
            targets.c.starts_on == values["starts_on"],
        )
        conn = self._tx.connection
        found = conn.execute(select(targets.c.id).where(key)).scalar_one_or_none()
        if found is not None:
            conn.execute(update(targets).where(targets.c.id == found).values(**values))
            return int(found), True
        new_id = conn.execute(insert(targets).values(**values).returning(targets.c.id)).scalar_one()
        return int(new_id), False

    def remove(self, org_id: str, kind: str, starts_on: date) -> bool:
        stmt = delete(targets).where(
            targets.c.org_id == org_id, targets.c.kind == kind, targets.c.starts_on == starts_on
        )
        return bool(self._tx.connection.execute(stmt).rowcount)

    def listing(
        self,
        *,
        within: str | None,
        org_id: str | None = None,
        kind: str | None = None,
        starts: date | None = None,
        ends: date | None = None,
    ) -> list[dict[str, Any]]:
        """Targets by organisation, kind and start; in ``within``'s subtree (and ``org_id``'s), of one kind,
        whose period meets [starts, ends]."""
        stmt = select(*(targets.c[c] for c in _TARGET_COLUMNS)).where(*_overlapping(targets, starts, ends))
        if within is not None:
            stmt = stmt.where(targets.c.org_id.in_(subtree_ids(within)))
        if org_id is not None:
            stmt = stmt.where(targets.c.org_id.in_(subtree_ids(org_id, "under")))
        if kind is not None:
            stmt = stmt.where(targets.c.kind == kind)
        stmt = stmt.order_by(targets.c.org_id, targets.c.kind, targets.c.starts_on)
        return [dict(r._mapping) for r in self._tx.connection.execute(stmt)]

    def allocation(
        self, *, within: str | None, org_id: str | None, kind: str, starts: date | None, ends: date | None
    ) -> list[dict[str, Any]]:
        """Each target (in scope) of an organisation that has children, with how many children it has, how many
        of them hold a target of the same kind and period, and the sum of those. The children are those of the
        tree as it stood on the target's last day (``org_periods``), as the reports read it: a cell moved under
        another parent during the period counts under the one it ended the period with."""
        child = periods.alias("child")
        child_target = targets.alias("child_target")
        same_period = and_(
            child_target.c.org_id == child.c.org_id,
            child_target.c.kind == targets.c.kind,
            child_target.c.starts_on == targets.c.starts_on,
            child_target.c.ends_on == targets.c.ends_on,
        )
        stmt = (
            select(
                *(targets.c[c] for c in ("org_id", "kind", "starts_on", "ends_on", "admissions")),
                func.count(func.distinct(child.c.org_id)).label("children"),
                func.count(child_target.c.id).label("children_with_target"),
                func.coalesce(func.sum(child_target.c.admissions), 0).label("allocated"),
            )
            .select_from(targets)
            .join(child, and_(child.c.parent_id == targets.c.org_id, valid_on(targets.c.ends_on, child)))
            .outerjoin(child_target, same_period)
            .where(targets.c.kind == kind, *_overlapping(targets, starts, ends))
            .group_by(*(targets.c[c] for c in ("org_id", "kind", "starts_on", "ends_on", "admissions")))
            .order_by(targets.c.org_id, targets.c.starts_on)
        )
        if within is not None:
            stmt = stmt.where(targets.c.org_id.in_(subtree_ids(within)))
        if org_id is not None:
            stmt = stmt.where(targets.c.org_id.in_(subtree_ids(org_id, "under")))
        return [dict(r._mapping) for r in self._tx.connection.execute(stmt)]


class SqlClasses:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def insert(self, values: Mapping[str, Any]) -> int:
        stmt = insert(classes).values(**values).returning(classes.c.id)
        return int(self._tx.connection.execute(stmt).scalar_one())

    def remove(self, org_id: str, kind: str, reference: str) -> bool:
        stmt = delete(classes).where(
            classes.c.org_id == org_id, classes.c.kind == kind, classes.c.reference == reference
        )
        return bool(self._tx.connection.execute(stmt).rowcount)

    def listing(
        self,
        *,
        within: str | None,
        org_id: str | None = None,
        kind: str | None = None,
        starts: date | None = None,
        ends: date | None = None,
    ) -> list[dict[str, Any]]:
        """Classes by start date; in ``within``'s subtree (or under ``org_id``), of a kind, meeting [starts, ends]."""
        stmt = select(*(classes.c[c] for c in _CLASS_COLUMNS)).where(*_overlapping(classes, starts, ends))
        if within is not None:
            stmt = stmt.where(classes.c.org_id.in_(subtree_ids(within)))
        if org_id is not None:
            stmt = stmt.where(classes.c.org_id.in_(subtree_ids(org_id, "under")))
        if kind is not None:
            stmt = stmt.where(classes.c.kind == kind)
        stmt = stmt.order_by(classes.c.starts_on, classes.c.org_id, classes.c.reference)
        return [dict(r._mapping) for r in self._tx.connection.execute(stmt)]

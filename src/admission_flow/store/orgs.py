"""The organisation tree: nodes, and a node's ancestry and subtree as one recursive query each.

Ancestry (the node and its ancestors, nearest first) and subtree (the node and everything below it) are
recursive CTEs, so scoping a listing to a subtree is a filter in SQL and never loads the tree into Python.
Both stop at 64 levels, far deeper than any real tree, so a cycle written by hand into the table cannot loop.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Dialect, Integer, Select, and_, bindparam, insert, literal, or_, select

from admission_flow.domain.records import OrgRecord
from admission_flow.store.prepared import Prepared
from admission_flow.store.schema import Org, OrgPeriod, table
from admission_flow.store.transaction import Tx

orgs = table(Org)
periods = table(OrgPeriod)
MAX_DEPTH = 64


def subtree_ids(root: Any, name: str = "subtree") -> Select[Any]:
    """SELECT the ids of ``root`` (an id, or a bind parameter) and every organisation below it (usable as
    ``IN (...)``). Two subtrees in one statement need two ``name``s."""
    tree = select(orgs.c.id, literal(0, Integer).label("depth")).where(orgs.c.id == root).cte(name, recursive=True)
    child = orgs.alias("child")
    tree = tree.union_all(
        select(child.c.id, (tree.c.depth + 1).label("depth"))
        .join(tree, child.c.parent_id == tree.c.id)
        .where(tree.c.depth < MAX_DEPTH)
    )
    return select(tree.c.id)


def valid_on(on: Any, table_: Any = periods) -> Any:
    """The condition "this period of ``org_periods`` held on the date ``on``" (a date or a bind parameter)."""
    return and_(
        or_(table_.c.valid_from.is_(None), table_.c.valid_from <= on),
        or_(table_.c.valid_until.is_(None), table_.c.valid_until > on),
    )


def subtree_ids_as_of(root: Any, on: Any, name: str = "subtree_then") -> Select[Any]:
    """As :func:`subtree_ids`, over the tree as it stood on the date ``on`` (from ``org_periods``): an
    organisation since merged away is still there, one moved under ``root`` later is not."""
    tree = select(orgs.c.id, literal(0, Integer).label("depth")).where(orgs.c.id == root).cte(name, recursive=True)
    child = periods.alias(f"{name}_child")
    tree = tree.union_all(
        select(child.c.org_id, (tree.c.depth + 1).label("depth"))
        .join(tree, child.c.parent_id == tree.c.id)
        .where(valid_on(on, child), tree.c.depth < MAX_DEPTH)
    )
    return select(tree.c.id)


_FIELDS = tuple(OrgRecord.__dataclass_fields__)
_GET = select(*(orgs.c[name] for name in _FIELDS)).where(orgs.c.id == bindparam("oid"))


def _ancestry() -> Select[Any]:
    """The organisation ``:oid`` and its ancestors, nearest first (built once, run prepared)."""
    chain = (
        select(orgs.c.id, orgs.c.parent_id, literal(0, Integer).label("depth"))
        .where(orgs.c.id == bindparam("oid"))
        .cte("ancestry", recursive=True)
    )
    parent = orgs.alias("parent")
    chain = chain.union_all(
        select(parent.c.id, parent.c.parent_id, (chain.c.depth + 1).label("depth"))
        .join(chain, parent.c.id == chain.c.parent_id)
        .where(chain.c.depth < MAX_DEPTH)
    )
    columns = (orgs.c[name] for name in _FIELDS)
    return select(*columns).join(chain, chain.c.id == orgs.c.id).order_by(chain.c.depth)


def _record(row: tuple[Any, ...]) -> OrgRecord:
    values = dict(zip(_FIELDS, row, strict=True))
    return OrgRecord(**{**values, "contacts": values["contacts"] or {}, "attributes": values["attributes"] or {}})


class OrgStatements:
    def __init__(self, dialect: Dialect) -> None:
        self.get = Prepared(_GET, dialect)
        self.ancestry = Prepared(_ancestry(), dialect)


class SqlOrgs:
    def __init__(self, tx: Tx, statements: OrgStatements) -> None:
        self._tx = tx
        self._sql = statements

    def get(self, org_id: str) -> OrgRecord | None:
        row = self._sql.get.first(self._tx.cursor(), {"oid": org_id})
        return None if row is None else _record(row)

    def all(self) -> list[OrgRecord]:
        columns = (orgs.c[name] for name in _FIELDS)
        return [_record(tuple(r)) for r in self._tx.connection.execute(select(*columns).order_by(orgs.c.id))]

    def insert(self, values: Mapping[str, Any]) -> None:
        connection = self._tx.connection
        connection.execute(insert(orgs).values(**values))
        period = {key: values.get(key) for key in ("parent_id", "name", "kind")}
        connection.execute(
            insert(periods).values(org_id=values["id"], attributes=values.get("attributes") or {}, **period)
        )

    def insert_many(self, rows: Sequence[Mapping[str, Any]], valid_from: date | None) -> None:
        """Insert organisations (all with the same keys) and their open periods from ``valid_from`` (None: since
        always), two multi-row statements however many there are."""
        if not rows:
            return
        connection = self._tx.connection
        connection.execute(insert(orgs), [dict(values) for values in rows])
        opened = [
            {
                "org_id": values["id"],
                "parent_id": values.get("parent_id"),
                "name": values["name"],
                "kind": values["kind"],
                "attributes": values.get("attributes") or {},
                "valid_from": valid_from,
                "valid_until": None,
            }
            for values in rows
        ]
        connection.execute(insert(periods), opened)

    def ancestry(self, org_id: str) -> list[OrgRecord]:
        return [_record(r) for r in self._sql.ancestry.all(self._tx.cursor(), {"oid": org_id})]

    def subtree(self, org_id: str) -> list[str]:
        return [r[0] for r in self._tx.connection.execute(subtree_ids(org_id))]

    def within(self, org_ids: Sequence[str], root: str) -> set[str]:
        """Those of ``org_ids`` in ``root``'s subtree (one query)."""
        stmt = select(orgs.c.id).where(orgs.c.id.in_(list(org_ids)), orgs.c.id.in_(subtree_ids(root)))
        return {r[0] for r in self._tx.connection.execute(stmt)}

    def listing(self, within: str | None) -> list[OrgRecord]:
        """Every organisation, or those of ``within``'s subtree, by id."""
        stmt = select(*(orgs.c[name] for name in _FIELDS)).order_by(orgs.c.id)
        if within is not None:
            stmt = stmt.where(orgs.c.id.in_(subtree_ids(within)))
        return [_record(tuple(r)) for r in self._tx.connection.execute(stmt)]

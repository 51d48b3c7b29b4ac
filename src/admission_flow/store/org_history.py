"""The organisation tree over time: periods (``org_periods``), the audit trail (``org_changes``), the tree as
it stood on a date, and the record of imported tree files (``imports``, kind ``orgs``).

Every read of the past is SQL over ``org_periods``: the period of each organisation that held on the date
(``store.orgs.valid_on``), joined to the ``orgs`` row for what periods do not keep (contacts, the unions).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import case, func, insert, select, update

from admission_flow.domain.org_history import OrgChangeRecord, OrgPeriodRow
from admission_flow.domain.records import OrgRecord
from admission_flow.store.orgs import subtree_ids, subtree_ids_as_of, valid_on
from admission_flow.store.schema import Candidate, ImportBatch, Org, OrgChange, OrgPeriod, table
from admission_flow.store.transaction import Tx

orgs = table(Org)
periods = table(OrgPeriod)
changes = table(OrgChange)
candidates = table(Candidate)
imports = table(ImportBatch)

_ROW = ("id", "name", "kind", "parent_id", "has_youth_union", "has_trade_union", "contacts", "attributes")
_CHANGE = tuple(OrgChangeRecord.__dataclass_fields__)


def _org(row: Any) -> OrgRecord:
    values = dict(zip(_ROW, row, strict=True))
    return OrgRecord(**{**values, "contacts": values["contacts"] or {}, "attributes": values["attributes"] or {}})


class SqlOrgHistory:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def lock(self, org_id: str) -> OrgRecord | None:
        """The organisation's row, locked until the transaction ends (PostgreSQL; a SQLite writer holds the
        database already)."""
        stmt = select(*(orgs.c[n] for n in _ROW)).where(orgs.c.id == org_id).with_for_update()
        row = self._tx.connection.execute(stmt).first()
        return None if row is None else _org(row)

    def open_period(self, org_id: str) -> OrgPeriodRow | None:
        stmt = select(periods.c.id, periods.c.org_id, periods.c.valid_from, periods.c.valid_until).where(
            periods.c.org_id == org_id, periods.c.valid_until.is_(None)
        )
        row = self._tx.connection.execute(stmt).first()
        return None if row is None else OrgPeriodRow(*row)

    def existed_on(self, org_id: str, on: date) -> bool:
        stmt = select(func.count()).select_from(periods).where(periods.c.org_id == org_id, valid_on(on))
        return bool(self._tx.connection.execute(stmt).scalar_one())

    def existing_on(self, org_ids: Sequence[str], on: date) -> set[str]:
        """Those of ``org_ids`` that existed on ``on`` (one query per 500)."""
        found: set[str] = set()
        ids = sorted(set(org_ids))
        for start in range(0, len(ids), 500):
            stmt = select(periods.c.org_id).where(periods.c.org_id.in_(ids[start : start + 500]), valid_on(on))
            found.update(r[0] for r in self._tx.connection.execute(stmt))
        return found

    def parent_on(self, org_id: str, on: date) -> str | None:
        stmt = select(periods.c.parent_id).where(periods.c.org_id == org_id, valid_on(on))
        found: str | None = self._tx.connection.execute(stmt).scalar()
        return found

    def close_period(self, period_id: int, on: date) -> None:
        self._tx.connection.execute(update(periods).where(periods.c.id == period_id).values(valid_until=on))

    def set_period_start(self, period_id: int, on: date) -> None:
        self._tx.connection.execute(update(periods).where(periods.c.id == period_id).values(valid_from=on))

    def start_period(self, org_id: str, on: date | None, values: Mapping[str, Any]) -> None:
        """Open a period of ``org_id`` from ``on`` (None: since always) with ``values``' period fields."""
        self._tx.connection.execute(
            insert(periods).values(
                org_id=org_id,
                valid_from=on,
                valid_until=None,
                parent_id=values["parent_id"],
                name=values["name"],
                kind=values["kind"],
                attributes=values["attributes"],
            )
        )

    def update(self, org_id: str, values: Mapping[str, Any]) -> None:
        self._tx.connection.execute(update(orgs).where(orgs.c.id == org_id).values(**values))

    def record(self, values: Mapping[str, Any]) -> OrgChangeRecord:
        stmt = insert(changes).values(**values).returning(changes.c.id)
        change_id = self._tx.connection.execute(stmt).scalar_one()
        fields: dict[str, Any] = {n: values.get(n) for n in _CHANGE if n != "id"}
        return OrgChangeRecord(id=change_id, **fields)

    def record_many(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Audit rows (all with the same keys) in one multi-row statement."""
        if rows:
            self._tx.connection.execute(insert(changes), [dict(values) for values in rows])

    def changes(self, org_id: str) -> list[OrgChangeRecord]:
        """The organisation's audit trail: its creation first (one since always is recorded on the day it was
        entered), then the changes in the order they take effect, then as recorded."""
        created_first = case((changes.c.change == "create", 0), else_=1)
        stmt = (
            select(*(changes.c[n] for n in _CHANGE))
            .where(changes.c.org_id == org_id)
            .order_by(created_first, changes.c.effective_on, changes.c.id)
        )
        return [OrgChangeRecord(*row) for row in self._tx.connection.execute(stmt)]

    def children(self, org_id: str) -> list[str]:
        """The organisations directly under ``org_id`` now (those with an open period)."""
        stmt = (
            select(periods.c.org_id)
            .where(periods.c.parent_id == org_id, periods.c.valid_until.is_(None))
            .order_by(periods.c.org_id)
        )
        return [r[0] for r in self._tx.connection.execute(stmt)]

    def tree(self, on: date | None, within: str | None) -> list[OrgRecord]:
        """The organisations as they were on ``on`` (None: now, dissolved ones left out), by id; only those in
        ``within``'s subtree (as it stood on that date) when given."""
        held = periods.c.valid_until.is_(None) if on is None else valid_on(on)
        columns = [
            orgs.c.id,
            periods.c.name,
            periods.c.kind,
            periods.c.parent_id,
            orgs.c.has_youth_union,
            orgs.c.has_trade_union,
            orgs.c.contacts,
            periods.c.attributes,
        ]
        stmt = select(*columns).join(periods, periods.c.org_id == orgs.c.id).where(held).order_by(orgs.c.id)
        if within is not None:
            scope = subtree_ids(within) if on is None else subtree_ids_as_of(within, on)
            stmt = stmt.where(orgs.c.id.in_(scope))
        return [_org(row) for row in self._tx.connection.execute(stmt)]

    def move_candidates(self, candidate_ids: Sequence[str], to_org: str) -> None:
        for start in range(0, len(candidate_ids), 500):
            chunk = list(candidate_ids[start : start + 500])
            self._tx.connection.execute(update(candidates).where(candidates.c.id.in_(chunk)).values(org_id=to_org))

    def imported(self, kind: str, sha256: str) -> bool:
        stmt = select(func.count()).select_from(imports).where(imports.c.kind == kind, imports.c.sha256 == sha256)
        return bool(self._tx.connection.execute(stmt).scalar_one())

    def record_import(self, values: Mapping[str, Any]) -> None:
        self._tx.connection.execute(insert(imports).values(**values))

"""Webhook subscriptions: who wants the events of an organisation subtree, at which URL.

``active()`` runs on every event that is written, so it is one prepared statement on the DBAPI cursor, and none
at all when the event's own instance read already saw that no subscription is active (``store/instances.py``). The
other reads are administrative and scope themselves to a subtree in SQL (``org_id IN (subtree)``), so a caller
bound to one subtree never sees, or learns the existence of, a subscription outside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Dialect, insert, select, true, update

from admission_flow.domain.records import WebhookRecord
from admission_flow.domain.stored import Subscription
from admission_flow.store.orgs import subtree_ids
from admission_flow.store.prepared import Prepared
from admission_flow.store.schema import Webhook, table
from admission_flow.store.transaction import Tx

webhooks = table(Webhook)

_FIELDS = tuple(WebhookRecord.__dataclass_fields__)
_ACTIVE = (
    select(webhooks.c.id, webhooks.c.org_id, webhooks.c.url, webhooks.c.event_types)
    .where(webhooks.c.active == true())
    .order_by(webhooks.c.id)
)
_SELECT = select(*(webhooks.c[name] for name in _FIELDS))


class WebhookStatements:
    def __init__(self, dialect: Dialect) -> None:
        self.active = Prepared(_ACTIVE, dialect)


def _scoped(stmt: Any, within: str | None) -> Any:
    return stmt if within is None else stmt.where(webhooks.c.org_id.in_(subtree_ids(within)))


def _record(row: Any) -> WebhookRecord:
    values = dict(zip(_FIELDS, row, strict=True))
    return WebhookRecord(
        **{**values, "event_types": list(values["event_types"] or []), "active": bool(values["active"])}
    )


class SqlWebhooks:
    def __init__(self, tx: Tx, statements: WebhookStatements) -> None:
        self._tx = tx
        self._sql = statements

    def insert(self, values: Mapping[str, Any]) -> int:
        self._tx.webhooks_active = None
        found = self._tx.connection.execute(insert(webhooks).values(**values).returning(webhooks.c.id)).scalar_one()
        return int(found)

    def listing(self, within: str | None) -> list[WebhookRecord]:
        stmt = _scoped(_SELECT.order_by(webhooks.c.id), within)
        return [_record(r) for r in self._tx.connection.execute(stmt)]

    def get(self, webhook_id: int, within: str | None) -> WebhookRecord | None:
        stmt = _scoped(_SELECT.where(webhooks.c.id == webhook_id), within)
        row = self._tx.connection.execute(stmt).first()
        return None if row is None else _record(row)

    def secret(self, webhook_id: int) -> str | None:
        """The signing secret of an active subscription (None once it is removed)."""
        stmt = select(webhooks.c.secret).where(webhooks.c.id == webhook_id, webhooks.c.active == true())
        found = self._tx.connection.execute(stmt).scalar_one_or_none()
        return None if found is None else str(found)

    def deactivate(self, webhook_id: int, within: str | None) -> bool:
        """Switch a subscription in scope off (again, if it already was); False if there is none in scope."""
        # The scope is checked by a SELECT: an UPDATE led by the subtree's WITH clause reports no rowcount in
        # Python's sqlite3 (it counts only statements that begin with INSERT, UPDATE, DELETE or REPLACE).
        if self.get(webhook_id, within) is None:
            return False
        self._tx.webhooks_active = None
        self._tx.connection.execute(update(webhooks).where(webhooks.c.id == webhook_id).values(active=False))
        return True

    def active(self) -> list[Subscription]:
        if self._tx.webhooks_active is False:  # this transaction's instance load found none: no statement
            return []
        return [Subscription(r[0], r[1], r[2], list(r[3] or [])) for r in self._sql.active.all(self._tx.cursor(), {})]

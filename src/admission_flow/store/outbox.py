"""The outbox: messages written in the same transaction as their cause, delivered after commit.

The sweep inserts a batch with one prepared ``executemany`` (JSON columns arrive encoded). Delivery claims due
messages of one channel with a lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), and records each outcome only
while its lease is still the row's, so a slow worker whose lease ran out cannot undo what the next one recorded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Dialect, and_, bindparam, func, insert, literal, null, or_, select, update

from admission_flow.domain.stored import DEAD, PENDING, SENDING, SENT, OutboxRow
from admission_flow.store.orgs import subtree_ids
from admission_flow.store.prepared import Prepared
from admission_flow.store.schema import Candidate, Instance, Outbox, table
from admission_flow.store.transaction import Tx

outbox, instances, candidates = table(Outbox), table(Instance), table(Candidate)

_INSERT_SWEPT = insert(outbox).values(
    timer_id=bindparam("timer_id"),
    instance_id=bindparam("instance_id"),
    channel=literal("email"),
    template=bindparam("template"),
    recipients=bindparam("recipients", type_=outbox.c.recipients.type),
    subject=literal(""),
    body=literal(""),
    context=bindparam("context", type_=outbox.c.context.type),
    message_id=bindparam("message_id"),
    status=bindparam("status"),
    attempts=literal(0),
    last_error=bindparam("last_error"),
    next_attempt_at=bindparam("due", type_=outbox.c.next_attempt_at.type),
    created_at=bindparam("now", type_=outbox.c.created_at.type),
)
# A message an event writes (a webhook call): due at once, with no timer behind it.
_INSERT_MESSAGE = insert(outbox).values(
    timer_id=null(),
    instance_id=bindparam("instance_id"),
    channel=bindparam("channel"),
    template=bindparam("template"),
    recipients=bindparam("recipients", type_=outbox.c.recipients.type),
    subject=literal(""),
    body=literal(""),
    context=bindparam("context", type_=outbox.c.context.type),
    message_id=bindparam("message_id"),
    status=literal(PENDING),
    attempts=literal(0),
    last_error=null(),
    next_attempt_at=bindparam("now", type_=outbox.c.next_attempt_at.type),
    created_at=bindparam("now", type_=outbox.c.created_at.type),
)
# The outbox columns each swept row gives (the rest are bound once per batch or are constants).
OUTBOX_ROW_KEYS = ("timer_id", "instance_id", "template", "recipients", "context", "message_id", "status", "last_error")
_FIELDS = tuple(OutboxRow.__dataclass_fields__)


class OutboxStatements:
    def __init__(self, dialect: Dialect) -> None:
        self.postgresql = dialect.name == "postgresql"
        self.insert_swept = Prepared(_INSERT_SWEPT, dialect, raw=("recipients", "context"), for_executemany=True)
        self.insert_message = Prepared(_INSERT_MESSAGE, dialect, for_executemany=True)


def outbox_row(row: Any) -> OutboxRow:
    values = row._mapping
    return OutboxRow(*(values[name] for name in _FIELDS))


def _ready(now: datetime) -> Any:
    return or_(
        and_(outbox.c.status == PENDING, outbox.c.next_attempt_at <= now),
        and_(outbox.c.status == SENDING, outbox.c.lease_until <= now),
    )


def _held(message_id: int, lease: datetime) -> Any:
    return and_(outbox.c.id == message_id, outbox.c.status == SENDING, outbox.c.lease_until == lease)


class SqlOutbox:
    def __init__(self, tx: Tx, statements: OutboxStatements) -> None:
        self._tx = tx
        self._sql = statements

    def insert_swept(self, rows: Sequence[Mapping[str, Any]], now: datetime, due: datetime | None = None) -> None:
        if rows:
            self._sql.insert_swept.many(self._tx.cursor(), rows, {"now": now, "due": now if due is None else due})

    def insert_messages(self, rows: Sequence[Mapping[str, Any]], now: datetime) -> None:
        """One ``executemany`` of messages due at ``now`` (``recipients`` and ``context`` as Python values)."""
        if rows:
            self._sql.insert_message.many(self._tx.cursor(), rows, {"now": now})

    def claim(self, now: datetime, limit: int, lease_until: datetime, channel: str) -> list[OutboxRow]:
        """Messages ready to send (pending and due, or claimed by someone whose lease ran out); leases them."""
        stmt = (
            select(outbox)
            .where(_ready(now), outbox.c.channel == channel)
            .order_by(outbox.c.next_attempt_at, outbox.c.id)
            .limit(limit)
        )
        if self._sql.postgresql:
            stmt = stmt.with_for_update(skip_locked=True)
        rows = [outbox_row(r) for r in self._tx.connection.execute(stmt)]
        if rows:
            self._tx.connection.execute(
                update(outbox)
                .where(outbox.c.id.in_([r.id for r in rows]))
                .values(status=SENDING, lease_until=lease_until, attempts=outbox.c.attempts + 1)
            )
        return rows

    def renew(self, message_ids: Sequence[int], lease: datetime, until: datetime) -> list[int]:
        """Extend the lease of the messages still held under ``lease`` (the others were taken over)."""
        if not message_ids:
            return []
        held = and_(outbox.c.id.in_(list(message_ids)), outbox.c.status == SENDING, outbox.c.lease_until == lease)
        ids = [int(i) for i in self._tx.connection.execute(select(outbox.c.id).where(held)).scalars()]
        if ids:
            self._tx.connection.execute(update(outbox).where(outbox.c.id.in_(ids)).values(lease_until=until))
        return ids

    def count_ready(self, now: datetime) -> int:
        return int(self._tx.connection.execute(select(func.count()).where(_ready(now))).scalar_one())

    def store_text(self, message_id: int, subject: str, body: str) -> None:
        self._tx.connection.execute(update(outbox).where(outbox.c.id == message_id).values(subject=subject, body=body))

    def mark_sent(self, message_id: int, lease: datetime, now: datetime) -> bool:
        # last_error is kept: it may note a role that had no address, which stays true after sending.
        stmt = update(outbox).where(_held(message_id, lease)).values(status=SENT, sent_at=now, lease_until=None)
        return bool(self._tx.connection.execute(stmt).rowcount == 1)

    def mark_failed(
        self,
        message_id: int,
        lease: datetime,
        *,
        error: str,
        retry_at: datetime | None,
        recipients: list[dict[str, Any]] | None = None,
    ) -> bool:
        """Record a failed attempt: retry at ``retry_at`` (only ``recipients`` if given), or give up (dead)."""
        values: dict[str, Any] = {"last_error": error, "lease_until": None}
        values.update({"status": PENDING, "next_attempt_at": retry_at} if retry_at else {"status": DEAD})
        if recipients is not None:
            values["recipients"] = recipients
        stmt = update(outbox).where(_held(message_id, lease)).values(**values)
        return bool(self._tx.connection.execute(stmt).rowcount == 1)

    def listing(self, *, failed_only: bool, limit: int, within: str | None = None) -> list[OutboxRow]:
        stmt = select(outbox).order_by(outbox.c.id.desc()).limit(limit)
        if within is not None:  # messages about candidates of the subtree
            owners = (
                select(instances.c.id)
                .join(candidates, candidates.c.id == instances.c.candidate_id)
                .where(candidates.c.org_id.in_(subtree_ids(within)))
            )
            stmt = stmt.where(outbox.c.instance_id.in_(owners))
        if failed_only:
            stmt = stmt.where(
                or_(outbox.c.status == DEAD, and_(outbox.c.status != SENT, outbox.c.last_error.is_not(None)))
            )
        return [outbox_row(r) for r in self._tx.connection.execute(stmt)]

    def retry(self, now: datetime, message_ids: Sequence[int] | None) -> int:
        stmt = update(outbox).where(outbox.c.status == DEAD).values(status=PENDING, next_attempt_at=now, attempts=0)
        if message_ids:
            stmt = stmt.where(outbox.c.id.in_(list(message_ids)))
        return int(self._tx.connection.execute(stmt).rowcount)

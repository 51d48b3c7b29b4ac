"""Timers and outbox queries: projection writes, outbox delivery claims, leases and listings (the sweep's own
claim, outbox INSERT and finishing UPDATE are prepared statements in ``sweeping.py``).

Claims read only due rows through the ``(status, fire_at)`` / ``(status, next_attempt_at)`` indexes. On
PostgreSQL they lock with ``FOR UPDATE SKIP LOCKED`` so any number of processes can work side by side without
waiting for each other or taking the same row twice; SQLite serialises writers (``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, delete, insert, or_, select, update

from admission_flow.store.schema import Lease, Outbox, Timer, table

timers, outbox, leases = table(Timer), table(Outbox), table(Lease)

PENDING, DONE, CANCELLED, SKIPPED, FAILED = "pending", "done", "cancelled", "skipped", "failed"
SENDING, SENT, DEAD = "sending", "sent", "dead"


def cancel_pending(conn: Connection, instance_id: int, now: datetime) -> int:
    stmt = (
        update(timers)
        .where(timers.c.instance_id == instance_id, timers.c.status == PENDING)
        .values(status=CANCELLED, processed_at=now, outcome="left the state")
    )
    return conn.execute(stmt).rowcount


def cancel_deadline(conn: Connection, instance_id: int, epoch: int, deadline_id: str, now: datetime, why: str) -> int:
    stmt = (
        update(timers)
        .where(
            timers.c.instance_id == instance_id,
            timers.c.state_epoch == epoch,
            timers.c.deadline_id == deadline_id,
            timers.c.status == PENDING,
        )
        .values(status=CANCELLED, processed_at=now, outcome=why)
    )
    return conn.execute(stmt).rowcount


def set_timer_status(
    conn: Connection, timer_id: int, status: str, processed_at: datetime | None, why: str | None
) -> None:
    conn.execute(
        update(timers).where(timers.c.id == timer_id).values(status=status, processed_at=processed_at, outcome=why)
    )


def cancel_deadline_rung(conn: Connection, timer_id: int, now: datetime, why: str) -> None:
    conn.execute(
        update(timers)
        .where(timers.c.id == timer_id, timers.c.status == PENDING)
        .values(status=SKIPPED, processed_at=now, outcome=why)
    )


def timers_of_epoch(conn: Connection, instance_id: int, epoch: int) -> list[Row[Any]]:
    """The rows of one stay in a state, oldest occurrence first (so a dict by (deadline, rung) keeps the latest)."""
    stmt = (
        select(timers)
        .where(timers.c.instance_id == instance_id, timers.c.state_epoch == epoch)
        .order_by(timers.c.occurrence, timers.c.id)
    )
    return list(conn.execute(stmt))


def insert_timers(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(timers), list(rows))


def fire_at_of(conn: Connection, timer_id: int) -> datetime:
    return conn.execute(select(timers.c.fire_at).where(timers.c.id == timer_id)).scalar_one()  # type: ignore[no-any-return]


def move_timer(conn: Connection, timer_id: int, *, due_on: Any, fire_at: datetime) -> None:
    conn.execute(
        update(timers).where(timers.c.id == timer_id, timers.c.status == PENDING).values(due_on=due_on, fire_at=fire_at)
    )


def claim_outbox(conn: Connection, now: datetime, limit: int, lease_until: datetime) -> list[Row[Any]]:
    """Messages ready to send (pending and due, or claimed by someone whose lease ran out); leases them."""
    ready = or_(
        and_(outbox.c.status == PENDING, outbox.c.next_attempt_at <= now),
        and_(outbox.c.status == SENDING, outbox.c.lease_until <= now),
    )
    stmt = select(outbox).where(ready).order_by(outbox.c.next_attempt_at, outbox.c.id).limit(limit)
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    rows = list(conn.execute(stmt))
    if rows:
        conn.execute(
            update(outbox)
            .where(outbox.c.id.in_([r.id for r in rows]))
            .values(status=SENDING, lease_until=lease_until, attempts=outbox.c.attempts + 1)
        )
    return rows


def _held(message_id: int, lease: datetime) -> Any:
    """Only the worker whose lease is still the row's may record the outcome (a slow worker whose lease ran out
    must not undo what the next one recorded)."""
    return and_(outbox.c.id == message_id, outbox.c.status == SENDING, outbox.c.lease_until == lease)


def store_text(conn: Connection, message_id: int, subject: str, body: str) -> None:
    conn.execute(update(outbox).where(outbox.c.id == message_id).values(subject=subject, body=body))


def mark_sent(conn: Connection, message_id: int, lease: datetime, now: datetime) -> bool:
    # last_error is kept: it may note a role that had no address, which stays true after sending.
    stmt = update(outbox).where(_held(message_id, lease)).values(status=SENT, sent_at=now, lease_until=None)
    return conn.execute(stmt).rowcount == 1


def mark_failed(
    conn: Connection,
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
    return conn.execute(update(outbox).where(_held(message_id, lease)).values(**values)).rowcount == 1


def list_outbox(conn: Connection, *, failed_only: bool, limit: int) -> list[Row[Any]]:
    stmt = select(outbox).order_by(outbox.c.id.desc()).limit(limit)
    if failed_only:
        stmt = stmt.where(or_(outbox.c.status == DEAD, and_(outbox.c.status != SENT, outbox.c.last_error.is_not(None))))
    return list(conn.execute(stmt))


def retry_outbox(conn: Connection, now: datetime, message_ids: Sequence[int] | None) -> int:
    stmt = update(outbox).where(outbox.c.status == DEAD).values(status=PENDING, next_attempt_at=now, attempts=0)
    if message_ids:
        stmt = stmt.where(outbox.c.id.in_(list(message_ids)))
    return conn.execute(stmt).rowcount


def retry_failed(conn: Connection, instance_ids: Sequence[int] | None) -> int:
    """Failed timers (all, or those of the instances listed) back to pending: the next sweep acts on them again."""
    stmt = update(timers).where(timers.c.status == FAILED).values(status=PENDING, outcome=None, processed_at=None)
    if instance_ids is not None:
        stmt = stmt.where(timers.c.instance_id.in_(list(instance_ids)))
    return conn.execute(stmt).rowcount


def pending_timers(
    conn: Connection, *, kind: str | None, before: datetime | None, instance_ids: Sequence[int] | None
) -> list[Row[Any]]:
    stmt = select(timers).where(timers.c.status == PENDING).order_by(timers.c.fire_at, timers.c.id)
    if kind is not None:
        stmt = stmt.where(timers.c.kind == kind)
    if before is not None:
        stmt = stmt.where(timers.c.fire_at <= before)
    if instance_ids is not None:
        stmt = stmt.where(timers.c.instance_id.in_(list(instance_ids)))
    return list(conn.execute(stmt))


def acquire_lease(conn: Connection, name: str, holder: str, now: datetime, until: datetime) -> bool:
    """Take or renew the named lease; False if someone else holds it and it has not expired."""
    current = conn.execute(select(leases).where(leases.c.name == name)).first()
    if current is None:
        conn.execute(insert(leases).values(name=name, holder=holder, expires_at=until))
        return True
    if current.holder != holder and current.expires_at > now:
        return False
    conn.execute(update(leases).where(leases.c.name == name).values(holder=holder, expires_at=until))
    return True


def release_lease(conn: Connection, name: str, holder: str) -> None:
    conn.execute(delete(leases).where(leases.c.name == name, leases.c.holder == holder))


def open_deadlines(conn: Connection, org_ids: Sequence[str] | None) -> list[Row[Any]]:
    """The deadline row (rung 0) of each state a candidate is still in, with the candidate's name and org."""
    from admission_flow.store.schema import Candidate, Instance, table

    inst, cand = table(Instance), table(Candidate)
    stmt = (
        select(
            timers,
            inst.c.candidate_id,
            inst.c.workflow_id,
            inst.c.workflow_version,
            inst.c.extensions,
            cand.c.full_name,
            cand.c.org_id,
        )
        .join(inst, and_(inst.c.id == timers.c.instance_id, inst.c.state_epoch == timers.c.state_epoch))
        .join(cand, cand.c.id == inst.c.candidate_id)
        .where(timers.c.rung == 0, timers.c.status.in_([PENDING, DONE, FAILED]))
        .order_by(timers.c.due_on, timers.c.id)
    )
    if org_ids is not None:
        stmt = stmt.where(cand.c.org_id.in_(list(org_ids)))
    return list(conn.execute(stmt))

"""The sweep's three statements, compiled once per engine and run on the DBAPI cursor (see prepared.py).

* **claim**: the due timers, oldest first, joined with what a reminder says of its candidate (current state and
  epoch, pinned workflow, name, e-mail, organisation id), so a batch is one SELECT. It reads only due rows through
  ``ix_timers_status_fire_at``; on PostgreSQL it locks the timer rows alone (``FOR UPDATE OF timers SKIP
  LOCKED``): instances stay free for fires, and any number of sweepers share the work.
* **insert_outbox**: one ``executemany`` per batch; the instant and the empty columns are bound once, the
  JSON columns arrive encoded (the sweep builds them from cached parts).
* **finish**: the claimed rows' outcome, one statement per distinct outcome (``= ANY`` on PostgreSQL, an
  ``executemany`` by primary key on SQLite).

``bench/sweep.py`` measures the sweep against a raw-driver floor doing the same claim, INSERT and UPDATE.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import BigInteger, Dialect, any_, bindparam, insert, literal, select, update
from sqlalchemy.dialects.postgresql import ARRAY

from admission_flow.store.prepared import Prepared
from admission_flow.store.schema import Candidate, Instance, Outbox, Timer, table

timers, outbox, instances, candidates = (table(m) for m in (Timer, Outbox, Instance, Candidate))


class Claimed(NamedTuple):
    """A claimed timer row and, as of the claim, its instance's current state and its candidate."""

    id: int
    instance_id: int
    state: str
    state_epoch: int
    deadline_id: str
    rung: int
    due_on: date
    current_state: str
    current_epoch: int
    workflow_id: str
    workflow_version: str
    workflow_hash: str
    candidate_id: str
    full_name: str
    email: str | None
    org_id: str


_INSTANCE_PART = (
    instances.c.state.label("current_state"),
    instances.c.state_epoch.label("current_epoch"),
    instances.c.workflow_id,
    instances.c.workflow_version,
    instances.c.workflow_hash,
    candidates.c.id.label("candidate_id"),
    candidates.c.full_name,
    candidates.c.email,
    candidates.c.org_id,
)
_TIMER_PART = (
    timers.c.id,
    timers.c.instance_id,
    timers.c.state,
    timers.c.state_epoch,
    timers.c.deadline_id,
    timers.c.rung,
    timers.c.due_on,
)


# Re-read after an automatic event changed the instance mid-batch (the later rows of the batch see it).
CURRENT_FIELDS = tuple(c.name for c in _INSTANCE_PART)
assert Claimed._fields == tuple(c.name for c in _TIMER_PART) + CURRENT_FIELDS, "Claimed must follow the SELECT"


def claim_statement(dialect: Dialect) -> Any:
    stmt = (
        select(*_TIMER_PART, *_INSTANCE_PART)
        .select_from(timers)
        .join(instances, instances.c.id == timers.c.instance_id)
        .join(candidates, candidates.c.id == instances.c.candidate_id)
        .where(timers.c.status == literal("pending"), timers.c.fire_at <= bindparam("now", type_=timers.c.fire_at.type))
        .order_by(timers.c.fire_at, timers.c.id)
        .limit(bindparam("limit", type_=BigInteger()))
    )
    if dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True, of=timers)
    return stmt


def current_statement() -> Any:
    return (
        select(*_INSTANCE_PART)
        .select_from(instances)
        .join(candidates, candidates.c.id == instances.c.candidate_id)
        .where(instances.c.id == bindparam("iid"))
    )


_INSERT_OUTBOX = insert(outbox).values(
    timer_id=bindparam("timer_id"),
    instance_id=bindparam("instance_id"),
    template=bindparam("template"),
    recipients=bindparam("recipients", type_=outbox.c.recipients.type),
    subject=literal(""),
    body=literal(""),
    context=bindparam("context", type_=outbox.c.context.type),
    message_id=bindparam("message_id"),
    status=bindparam("status"),
    attempts=literal(0),
    last_error=bindparam("last_error"),
    next_attempt_at=bindparam("now", type_=outbox.c.next_attempt_at.type),
    created_at=bindparam("now", type_=outbox.c.created_at.type),
)
# The outbox columns each row gives (the rest are bound once per batch or are constants).
OUTBOX_ROW_KEYS = ("timer_id", "instance_id", "template", "recipients", "context", "message_id", "status", "last_error")


class SweepStatements:
    def __init__(self, dialect: Dialect) -> None:
        self.postgresql = dialect.name == "postgresql"
        self.claim_sql = Prepared(claim_statement(dialect), dialect)
        self.current_sql = Prepared(current_statement(), dialect)
        self.insert_sql = Prepared(_INSERT_OUTBOX, dialect, raw=("recipients", "context"), for_executemany=True)
        values = {
            "status": bindparam("status"),
            "outcome": bindparam("outcome"),
            "processed_at": bindparam("now", type_=timers.c.processed_at.type),
        }
        if self.postgresql:
            where = timers.c.id == any_(bindparam("ids", type_=ARRAY(BigInteger())))
        else:
            where = timers.c.id == bindparam("id")
        self.finish_sql = Prepared(update(timers).where(where).values(**values), dialect)

    def claim(self, cursor: Any, now: datetime, limit: int) -> list[Claimed]:
        return [Claimed(*r) for r in self.claim_sql.all(cursor, {"now": now, "limit": limit})]

    def current(self, cursor: Any, instance_id: int) -> dict[str, Any]:
        row = self.current_sql.first(cursor, {"iid": instance_id})
        assert row is not None, f"instance {instance_id} vanished"
        return dict(zip(CURRENT_FIELDS, row, strict=True))

    def insert_outbox(self, cursor: Any, rows: Sequence[Mapping[str, Any]], now: datetime) -> None:
        """``rows``: the ``OUTBOX_ROW_KEYS`` of each message, ``recipients`` and ``context`` already JSON text."""
        if rows:
            self.insert_sql.many(cursor, rows, {"now": now})

    def finish(self, cursor: Any, outcomes: Mapping[tuple[str, str], Sequence[int]], now: datetime) -> None:
        """``outcomes``: the timer ids per (status, outcome); every row is marked processed at ``now``."""
        for (status, outcome), ids in outcomes.items():
            shared = {"status": status, "outcome": outcome, "now": now}
            if self.postgresql:
                self.finish_sql.execute(cursor, {**shared, "ids": list(ids)})
            else:
                self.finish_sql.many(cursor, [{"id": i} for i in ids], shared)

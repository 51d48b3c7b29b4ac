"""Timer rows: projection's writes, the sweep's claim and finish, leases.

The statements every event or swept row runs are prepared once per engine (``prepared.py``) and run on the
DBAPI cursor. The claim reads only due rows through ``ix_timers_status_fire_at``, joined with what a reminder
says of its candidate (current state and epoch, pinned workflow, name, e-mail, organisation), so a batch is one
SELECT. On PostgreSQL it locks the timer rows alone (``FOR UPDATE OF timers SKIP LOCKED``): instances stay free
for fires, and any number of sweepers share the work; SQLite serialises writers (``BEGIN IMMEDIATE``), and
sweepers there take a lease. The finish marks the claimed rows' outcome, one statement per distinct outcome
(``= ANY`` on PostgreSQL, an ``executemany`` by primary key on SQLite).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Dialect, any_, bindparam, delete, func, insert, literal, select, update
from sqlalchemy.dialects.postgresql import ARRAY

from admission_flow.domain.outcome import TimerPlan
from admission_flow.domain.stored import CANCELLED, FAILED, PENDING, SKIPPED, Claimed, TimerRow
from admission_flow.store.prepared import Prepared
from admission_flow.store.schema import Candidate, Instance, Lease, Timer, table
from admission_flow.store.transaction import Tx

timers, instances, candidates, leases = table(Timer), table(Instance), table(Candidate), table(Lease)

_TIMER_COLUMNS = [c.name for c in timers.c if c.name != "id"]
_ROW_FIELDS = tuple(TimerRow.__dataclass_fields__)
_NOW = bindparam("now", type_=timers.c.processed_at.type)
_OF_STAY = (
    select(*(timers.c[name] for name in _ROW_FIELDS))
    .where(timers.c.instance_id == bindparam("iid"), timers.c.state_epoch == bindparam("epoch"))
    .order_by(timers.c.occurrence, timers.c.id)
)
_CANCEL_ALL = (
    update(timers)
    .where(timers.c.instance_id == bindparam("iid"), timers.c.status == literal(PENDING))
    .values(status=literal(CANCELLED), processed_at=_NOW, outcome=literal("left the state"))
)
_CANCEL_DEADLINE = (
    update(timers)
    .where(
        timers.c.instance_id == bindparam("iid"),
        timers.c.state_epoch == bindparam("epoch"),
        timers.c.deadline_id == bindparam("deadline"),
        timers.c.status == literal(PENDING),
    )
    .values(status=literal(CANCELLED), processed_at=_NOW, outcome=bindparam("why"))
)
_MOVE = (
    update(timers)
    .where(timers.c.id == bindparam("tid"), timers.c.status == literal(PENDING))
    .values(
        due_on=bindparam("due_on", type_=timers.c.due_on.type),
        fire_at=bindparam("fire_at", type_=timers.c.fire_at.type),
    )
)
_SKIP = (
    update(timers)
    .where(timers.c.id == bindparam("tid"), timers.c.status == literal(PENDING))
    .values(status=literal(SKIPPED), processed_at=_NOW, outcome=bindparam("why"))
)
_CURRENT = (
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
_CLAIMED = tuple(
    timers.c[name] for name in ("id", "instance_id", "state", "state_epoch", "deadline_id", "rung", "due_on")
)
# Re-read after an automatic event changed the instance mid-batch (the later rows of the batch see it).
CURRENT_FIELDS = tuple(c.name for c in _CURRENT)
assert Claimed._fields == tuple(c.name for c in _CLAIMED) + CURRENT_FIELDS, "Claimed must follow the SELECT"


def claim_statement(dialect: Dialect) -> Any:
    stmt = (
        select(*_CLAIMED, *_CURRENT)
        .select_from(timers)
        .join(instances, instances.c.id == timers.c.instance_id)
        .join(candidates, candidates.c.id == instances.c.candidate_id)
        .where(timers.c.status == literal(PENDING), timers.c.fire_at <= bindparam("now", type_=timers.c.fire_at.type))
        .order_by(timers.c.fire_at, timers.c.id)
        .limit(bindparam("limit", type_=BigInteger()))
    )
    if dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True, of=timers)
    return stmt


def _current_statement() -> Any:
    return (
        select(*_CURRENT)
        .select_from(instances)
        .join(candidates, candidates.c.id == instances.c.candidate_id)
        .where(instances.c.id == bindparam("iid"))
    )


class TimerStatements:
    """Projection's and the sweep's statements, prepared once per engine."""

    def __init__(self, dialect: Dialect) -> None:
        self.postgresql = dialect.name == "postgresql"
        self.of_stay = Prepared(_OF_STAY, dialect)
        self.cancel_all = Prepared(_CANCEL_ALL, dialect)
        self.cancel_deadline = Prepared(_CANCEL_DEADLINE, dialect)
        self.move = Prepared(_MOVE, dialect)
        self.skip = Prepared(_SKIP, dialect)
        self.insert = Prepared(insert(timers), dialect, _TIMER_COLUMNS, for_executemany=True)
        self.claim = Prepared(claim_statement(dialect), dialect)
        self.current = Prepared(_current_statement(), dialect)
        values = {"status": bindparam("status"), "outcome": bindparam("outcome"), "processed_at": _NOW}
        if self.postgresql:
            where = timers.c.id == any_(bindparam("ids", type_=ARRAY(BigInteger())))
        else:
            where = timers.c.id == bindparam("id")
        self.finish = Prepared(update(timers).where(where).values(**values), dialect)


def timer_row(row: Any) -> TimerRow:
    values = row._mapping
    return TimerRow(*(values[name] for name in _ROW_FIELDS))


class SqlTimers:
    def __init__(self, tx: Tx, statements: TimerStatements) -> None:
        self._tx = tx
        self._sql = statements

    # ------------------------------------------------------------ projection (inside the event's transaction)

    def of_stay(self, instance_id: int, epoch: int) -> list[TimerRow]:
        found = self._sql.of_stay.all(self._tx.cursor(), {"iid": instance_id, "epoch": epoch})
        return [TimerRow(*r) for r in found]

    def apply(self, instance_id: int, epoch: int, plan: TimerPlan, now: datetime) -> None:
        """Write a decided timer plan: cancel (all pending, or per deadline), move, then insert."""
        cursor, sql = self._tx.cursor(), self._sql
        if plan.cancel_all:
            sql.cancel_all.execute(cursor, {"iid": instance_id, "now": now})
        for deadline, why in plan.cancel:
            params = {"iid": instance_id, "epoch": epoch, "deadline": deadline, "now": now, "why": why}
            sql.cancel_deadline.execute(cursor, params)
        for move in plan.moves:
            sql.move.execute(cursor, {"tid": move.timer_id, "due_on": move.due_on, "fire_at": move.fire_at})
            if move.skip is not None:
                sql.skip.execute(cursor, {"tid": move.timer_id, "now": now, "why": move.skip})
        if plan.inserts:
            sql.insert.many(cursor, [{**r, "instance_id": instance_id} for r in plan.inserts], {})

    def set_status(self, timer_id: int, status: str, processed_at: datetime | None, why: str | None) -> None:
        stmt = (
            update(timers).where(timers.c.id == timer_id).values(status=status, processed_at=processed_at, outcome=why)
        )
        self._tx.connection.execute(stmt)

    def retry_failed(self, instance_ids: Sequence[int] | None) -> int:
        """Failed rows (all, or those of the instances listed) back to pending: the next sweep acts on them."""
        stmt = update(timers).where(timers.c.status == FAILED).values(status=PENDING, outcome=None, processed_at=None)
        if instance_ids is not None:
            stmt = stmt.where(timers.c.instance_id.in_(list(instance_ids)))
        return int(self._tx.connection.execute(stmt).rowcount)

    # ------------------------------------------------------------ the sweep

    def claim_due(self, now: datetime, limit: int) -> list[Claimed]:
        return [Claimed(*r) for r in self._sql.claim.all(self._tx.cursor(), {"now": now, "limit": limit})]

    def current(self, instance_id: int) -> dict[str, Any]:
        row = self._sql.current.first(self._tx.cursor(), {"iid": instance_id})
        assert row is not None, f"instance {instance_id} vanished"
        return dict(zip(CURRENT_FIELDS, row, strict=True))

    def fire_at(self, timer_id: int) -> datetime:
        return self._tx.connection.execute(select(timers.c.fire_at).where(timers.c.id == timer_id)).scalar_one()  # type: ignore[no-any-return]

    def finish(self, outcomes: Mapping[tuple[str, str], Sequence[int]], now: datetime) -> None:
        """``outcomes``: the timer ids per (status, outcome); every row is marked processed at ``now``."""
        cursor, sql = self._tx.cursor(), self._sql
        for (status, outcome), ids in outcomes.items():
            shared = {"status": status, "outcome": outcome, "now": now}
            if sql.postgresql:
                sql.finish.execute(cursor, {**shared, "ids": list(ids)})
            else:
                sql.finish.many(cursor, [{"id": i} for i in ids], shared)

    # ------------------------------------------------------------ leases

    def count_due(self, now: datetime) -> int:
        due = select(func.count()).where(timers.c.status == PENDING, timers.c.fire_at <= now)
        return int(self._tx.connection.execute(due).scalar_one())

    def acquire_lease(
        self, name: str, holder: str, now: datetime, until: datetime, takeover: Callable[[str], bool] | None = None
    ) -> bool:
        """Take or renew the named lease; False if someone else holds it, it has not expired and ``takeover``
        (if given) does not say its holder is gone."""
        current = self._tx.connection.execute(select(leases).where(leases.c.name == name)).first()
        if current is None:
            self._tx.connection.execute(insert(leases).values(name=name, holder=holder, expires_at=until))
            return True
        if current.holder != holder and current.expires_at > now and not (takeover and takeover(current.holder)):
            return False
        self._tx.connection.execute(update(leases).where(leases.c.name == name).values(holder=holder, expires_at=until))
        return True

    def release_lease(self, name: str, holder: str) -> None:
        self._tx.connection.execute(delete(leases).where(leases.c.name == name, leases.c.holder == holder))

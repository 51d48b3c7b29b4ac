"""The read side: listings over many candidates, scoped to an organisation subtree in SQL."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, select

from admission_flow.domain.stored import DONE, FAILED, PENDING, OpenDeadline, TimerRow
from admission_flow.store.orgs import subtree_ids
from admission_flow.store.schema import Candidate, Instance, Timer, table
from admission_flow.store.transaction import Tx

timers, instances, candidates = table(Timer), table(Instance), table(Candidate)
_ROW = tuple(timers.c[name] for name in TimerRow.__dataclass_fields__)


class SqlQueries:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def open_deadlines(self, org_id: str | None) -> list[OpenDeadline]:
        """The deadline row (rung 0) of each state a candidate is still in, soonest first (in ``org_id``'s
        subtree when given)."""
        stmt = (
            select(
                *_ROW,
                instances.c.candidate_id,
                instances.c.workflow_id,
                instances.c.workflow_version,
                instances.c.extensions,
                candidates.c.full_name,
                candidates.c.org_id,
            )
            .join(
                instances,
                and_(instances.c.id == timers.c.instance_id, instances.c.state_epoch == timers.c.state_epoch),
            )
            .join(candidates, candidates.c.id == instances.c.candidate_id)
            .where(timers.c.rung == 0, timers.c.status.in_([PENDING, DONE, FAILED]))
            .order_by(timers.c.due_on, timers.c.id)
        )
        if org_id is not None:
            stmt = stmt.where(candidates.c.org_id.in_(subtree_ids(org_id)))
        n = len(_ROW)
        return [OpenDeadline(TimerRow(*r[:n]), *r[n:]) for r in self._tx.connection.execute(stmt)]

    def pending_timers(self, before: datetime) -> list[TimerRow]:
        """Pending rows due up to ``before``, soonest first."""
        stmt = (
            select(*_ROW)
            .where(timers.c.status == PENDING, timers.c.fire_at <= before)
            .order_by(timers.c.fire_at, timers.c.id)
        )
        return [TimerRow(*r) for r in self._tx.connection.execute(stmt)]

"""The read side: listings over many candidates, scoped to an organisation subtree in SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, literal, select, tuple_

from admission_flow.domain.stored import DEAD, DONE, FAILED, PENDING, SENDING, OpenDeadline, TimerRow
from admission_flow.store.orgs import subtree_ids
from admission_flow.store.schema import Candidate, Instance, Outbox, Timer, table
from admission_flow.store.transaction import Tx

timers, instances, candidates, outbox = table(Timer), table(Instance), table(Candidate), table(Outbox)
_later = instances.alias("later")
# The candidate's latest attempt: no instance of the same candidate with a higher attempt (unique index).
LATEST = ~exists(
    select(_later.c.id).where(_later.c.candidate_id == instances.c.candidate_id, _later.c.attempt > instances.c.attempt)
)
SORTS = {"id": candidates.c.id, "full_name": candidates.c.full_name, "updated_at": instances.c.updated_at}
_ROW = tuple(timers.c[name] for name in TimerRow.__dataclass_fields__)


class SqlQueries:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def candidate_page(
        self,
        *,
        within: str | None,
        org_id: str | None,
        state: str | None,
        workflow_id: str | None,
        sort: str,
        descending: bool,
        after: tuple[Any, str] | None,
        limit: int,
    ) -> list[tuple[str, Any]]:
        """One page of candidate ids (with their sort value), keyset-paginated on (sort value, id); every filter,
        the caller's subtree included, is in SQL."""
        key = SORTS[sort]
        stmt = (
            select(candidates.c.id, key)
            .join(instances, instances.c.candidate_id == candidates.c.id)
            .where(LATEST)
            .limit(limit)
        )
        for name, root in (("scope", within), ("subtree", org_id)):
            if root is not None:
                stmt = stmt.where(candidates.c.org_id.in_(subtree_ids(root, name)))
        if state is not None:
            stmt = stmt.where(instances.c.state == state)
        if workflow_id is not None:  # ID, or ID@VERSION
            wid, _, version = workflow_id.partition("@")
            stmt = stmt.where(instances.c.workflow_id == wid)
            if version:
                stmt = stmt.where(instances.c.workflow_version == version)
        pair = tuple_(key, candidates.c.id) if key is not candidates.c.id else None
        if after is not None:
            if pair is None:
                stmt = stmt.where(candidates.c.id < after[1] if descending else candidates.c.id > after[1])
            else:
                bound = tuple_(literal(after[0], key.type), literal(after[1], candidates.c.id.type))
                stmt = stmt.where(pair < bound if descending else pair > bound)
        order = [key, candidates.c.id] if pair is not None else [candidates.c.id]
        stmt = stmt.order_by(*(c.desc() if descending else c.asc() for c in order))
        return [(r[0], r[1]) for r in self._tx.connection.execute(stmt)]

    def open_deadlines(
        self, org_id: str | None, *, within: str | None = None, candidate_id: str | None = None
    ) -> list[OpenDeadline]:
        """The deadline row (rung 0) of each state a candidate is still in, soonest first (in ``org_id``'s
        and ``within``'s subtrees when given; one candidate's with ``candidate_id``)."""
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
        for name, root in (("subtree", org_id), ("scope", within)):
            if root is not None:
                stmt = stmt.where(candidates.c.org_id.in_(subtree_ids(root, name)))
        if candidate_id is not None:
            stmt = stmt.where(candidates.c.id == candidate_id)
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

    def figures(self, now: datetime) -> dict[str, Any]:
        """What an operator watches: the oldest due timer not yet swept, and the outbox backlog by channel."""
        oldest = self._tx.connection.execute(
            select(func.min(timers.c.fire_at)).where(timers.c.status == PENDING, timers.c.fire_at <= now)
        ).scalar()
        counts = self._tx.connection.execute(
            select(outbox.c.channel, outbox.c.status, func.count())
            .where(outbox.c.status.in_([PENDING, SENDING, DEAD]))
            .group_by(outbox.c.channel, outbox.c.status)
        ).all()
        failing = self._tx.connection.execute(
            select(outbox.c.channel, func.count())
            .where(outbox.c.status == PENDING, outbox.c.last_error.is_not(None))
            .group_by(outbox.c.channel)
        ).all()
        return {
            "oldest_due_timer": oldest,
            "outbox": [(channel, status, int(n)) for channel, status, n in counts],
            "outbox_failing": [(channel, int(n)) for channel, n in failing],
        }

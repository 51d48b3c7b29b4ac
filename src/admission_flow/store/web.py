"""The web dashboard's rows: its users and sessions, and the read queries of its pages (My work, the boards).

Every page query names the signed-in person's organisation subtree as a recursive CTE in the statement, so
nothing outside it is read, shown or counted, and no candidate list is loaded into Python: My work is a page of
at most ``limit + 1`` rows, the boards are ``GROUP BY`` counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, func, insert, or_, select, update

from admission_flow.domain.stored import DONE, FAILED, PENDING
from admission_flow.domain.web import StoredUser, UserRecord
from admission_flow.store.orgs import subtree_ids
from admission_flow.store.queries import LATEST
from admission_flow.store.schema import Candidate, Instance, Timer, WebSession, WebUser, table
from admission_flow.store.transaction import Tx

users, sessions = table(WebUser), table(WebSession)
timers, instances, candidates = table(Timer), table(Instance), table(Candidate)
_USER = tuple(users.c[name] for name in UserRecord.__dataclass_fields__)
_OPEN = (PENDING, DONE, FAILED)  # the deadline rows of a stay that are still the candidate's deadlines


def _user(row: Sequence[Any]) -> UserRecord:
    values = dict(zip(UserRecord.__dataclass_fields__, row, strict=True))
    return UserRecord(**{**values, "roles": list(values["roles"] or [])})


def _open_deadline() -> Any:
    """Join condition: the deadline rows (rung 0) of the stay an instance is in now."""
    return and_(
        timers.c.instance_id == instances.c.id,
        timers.c.state_epoch == instances.c.state_epoch,
        timers.c.rung == 0,
        timers.c.status.in_(_OPEN),
    )


def _in_states(keys: Sequence[tuple[str, str, str]]) -> Any:
    """Instances in one of ``keys`` (workflow id, version, state): one ``state IN (...)`` per workflow version
    (a list of (id, version, state) triples would be an OR of every triple, read row by row)."""
    by_version: dict[tuple[str, str], list[str]] = {}
    for wid, version, state in keys:
        by_version.setdefault((wid, version), []).append(state)
    return or_(
        *(
            and_(instances.c.workflow_id == wid, instances.c.workflow_version == version, instances.c.state.in_(states))
            for (wid, version), states in sorted(by_version.items())
        )
    )


class SqlWeb:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    # ------------------------------------------------------------ users and sessions

    def insert_user(self, values: Mapping[str, Any]) -> int:
        found = self._tx.connection.execute(insert(users).values(**values).returning(users.c.id)).first()
        assert found is not None
        return int(found[0])

    def user_by_login(self, login: str) -> StoredUser | None:
        row = self._tx.connection.execute(select(*_USER, users.c.password_hash).where(users.c.login == login)).first()
        return None if row is None else StoredUser(_user(row[:-1]), row[-1])

    def users(self) -> list[UserRecord]:
        return [_user(r) for r in self._tx.connection.execute(select(*_USER).order_by(users.c.login))]

    def update_user(self, user_id: int, values: Mapping[str, Any]) -> None:
        self._tx.connection.execute(update(users).where(users.c.id == user_id).values(**values))

    def insert_session(self, values: Mapping[str, Any]) -> None:
        self._tx.connection.execute(insert(sessions).values(**values))

    def session(self, secret_hash: str) -> tuple[StoredUser, str, datetime, datetime | None] | None:
        """The session's user, form token, expiry and sign-out instant."""
        row = self._tx.connection.execute(
            select(*_USER, users.c.password_hash, sessions.c.csrf_token, sessions.c.expires_at, sessions.c.ended_at)
            .join(users, users.c.id == sessions.c.user_id)
            .where(sessions.c.secret_hash == secret_hash)
        ).first()
        if row is None:
            return None
        n = len(_USER)
        return StoredUser(_user(row[:n]), row[n]), row[n + 1], row[n + 2], row[n + 3]

    def end_sessions(self, now: datetime, *, secret_hash: str | None = None, user_id: int | None = None) -> None:
        """Sign out one session (by its hash) or every session of a user."""
        stmt = update(sessions).where(sessions.c.ended_at.is_(None)).values(ended_at=now)
        if secret_hash is not None:
            stmt = stmt.where(sessions.c.secret_hash == secret_hash)
        if user_id is not None:
            stmt = stmt.where(sessions.c.user_id == user_id)
        self._tx.connection.execute(stmt)

    # ------------------------------------------------------------ page queries

    def work(
        self, within: str, keys: Sequence[tuple[str, str, str]], offset: int, limit: int
    ) -> list[tuple[str, str, str, str, str, str]]:
        """Candidates of ``within``'s subtree whose latest attempt is in one of ``keys`` (workflow id, version,
        state): (id, name, organisation, workflow id, version, state), the nearest open deadline first, those
        with none last, then by id."""
        if not keys:
            return []
        # The nearest open deadline of each instance's current stay, as one grouped pass over the deadline rows
        # joined by hash (a correlated subquery per candidate cost ~10 µs a row on PostgreSQL).
        nearest = (
            select(timers.c.instance_id, timers.c.state_epoch, func.min(timers.c.due_on).label("due_on"))
            .where(timers.c.rung == 0, timers.c.status.in_(_OPEN))
            .group_by(timers.c.instance_id, timers.c.state_epoch)
            .subquery("nearest")
        )
        stmt = (
            select(
                candidates.c.id,
                candidates.c.full_name,
                candidates.c.org_id,
                instances.c.workflow_id,
                instances.c.workflow_version,
                instances.c.state,
            )
            .join(instances, instances.c.candidate_id == candidates.c.id)
            .outerjoin(
                nearest,
                and_(nearest.c.instance_id == instances.c.id, nearest.c.state_epoch == instances.c.state_epoch),
            )
            .where(LATEST, candidates.c.org_id.in_(subtree_ids(within, "scope")), _in_states(keys))
            .order_by(nearest.c.due_on.asc().nulls_last(), candidates.c.id)
            .offset(offset)
            .limit(limit)
        )
        return [tuple(r) for r in self._tx.connection.execute(stmt)]

    def deadlines_of(self, candidate_ids: Sequence[str]) -> list[tuple[str, str, str, str, date, datetime]]:
        """The open deadlines of these candidates' current stays: (candidate, workflow id, version, deadline id,
        due on, fires at), soonest first."""
        if not candidate_ids:
            return []
        stmt = (
            select(
                instances.c.candidate_id,
                instances.c.workflow_id,
                instances.c.workflow_version,
                timers.c.deadline_id,
                timers.c.due_on,
                timers.c.fire_at,
            )
            .join(instances, _open_deadline())
            .where(instances.c.candidate_id.in_(list(candidate_ids)), LATEST)
            .order_by(timers.c.due_on, timers.c.id)
        )
        return [tuple(r) for r in self._tx.connection.execute(stmt)]

    def deadline_counts(self, within: str, now: datetime, today: date) -> list[tuple[str, int, int, int, int]]:
        """Per organisation of ``within``'s subtree: open deadlines overdue (due instant passed), and due within
        30, 60 and 90 days of ``today`` and not yet overdue."""
        late = timers.c.fire_at <= now

        def within_days(days: int) -> Any:
            return func.sum(
                case((and_(~late, timers.c.due_on <= date.fromordinal(today.toordinal() + days)), 1), else_=0)
            )

        stmt = (
            select(
                candidates.c.org_id,
                func.sum(case((late, 1), else_=0)),
                within_days(30),
                within_days(60),
                within_days(90),
            )
            .select_from(timers)
            .join(instances, _open_deadline())
            .join(candidates, candidates.c.id == instances.c.candidate_id)
            .where(candidates.c.org_id.in_(subtree_ids(within, "scope")), LATEST)
            .group_by(candidates.c.org_id)
        )
        return [
            (r[0], int(r[1] or 0), int(r[2] or 0), int(r[3] or 0), int(r[4] or 0))
            for r in self._tx.connection.execute(stmt)
        ]

    def pipeline_counts(self, within: str) -> list[tuple[str, str, str, int]]:
        """Per organisation of ``within``'s subtree, workflow and state: how many candidates' latest attempts
        are there."""
        stmt = (
            select(candidates.c.org_id, instances.c.workflow_id, instances.c.state, func.count())
            .join(instances, instances.c.candidate_id == candidates.c.id)
            .where(candidates.c.org_id.in_(subtree_ids(within, "scope")), LATEST)
            .group_by(candidates.c.org_id, instances.c.workflow_id, instances.c.state)
        )
        return [(r[0], r[1], r[2], int(r[3])) for r in self._tx.connection.execute(stmt)]

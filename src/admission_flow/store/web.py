"""The web dashboard's rows: its users and sessions, and the read queries of its pages (My work, the boards).

Every page query first reads the ids of the signed-in person's organisation subtree (a recursive CTE over the
small ``orgs`` table) and names them in the statement, so nothing outside it is read, shown or counted, and no
candidate list is loaded into Python: My work is a page of at most ``limit + 1`` rows, the boards are
``GROUP BY`` counts. The indexes they lean on are migration ``0009_web_speed`` (docs/web.md, "Speed").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, exists, func, insert, literal_column, or_, select, update

from admission_flow.domain.web import StoredUser, UserRecord
from admission_flow.store.orgs import subtree_ids
from admission_flow.store.partial_indexes import open_deadline_row
from admission_flow.store.schema import Candidate, Instance, Timer, WebSession, WebUser, table
from admission_flow.store.transaction import Tx

users, sessions = table(WebUser), table(WebSession)
timers, instances, candidates = table(Timer), table(Instance), table(Candidate)
_USER = tuple(users.c[name] for name in UserRecord.__dataclass_fields__)


def _user(row: Sequence[Any]) -> UserRecord:
    values = dict(zip(UserRecord.__dataclass_fields__, row, strict=True))
    return UserRecord(**{**values, "roles": list(values["roles"] or [])})


def _open_deadline() -> Any:
    """Join condition: the deadline rows (rung 0) of the stay an instance is in now."""
    return and_(
        timers.c.instance_id == instances.c.id,
        timers.c.state_epoch == instances.c.state_epoch,
        open_deadline_row(timers),
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


_WORK = (
    candidates.c.id,
    candidates.c.full_name,
    candidates.c.org_id,
    instances.c.workflow_id,
    instances.c.workflow_version,
    instances.c.state,
)
_later = instances.alias("later")
# The candidate's newest attempt: no attempt of the same candidate is later. Attempts count from 1, so a later
# one is always above 1: saying so lets the check read only the few such rows (a partial index), not them all.
_CURRENT = ~exists().where(
    _later.c.candidate_id == instances.c.candidate_id,
    _later.c.attempt > instances.c.attempt,
    _later.c.attempt > literal_column("1"),
)
_earlier = timers.alias("earlier")
# This deadline row is its stay's nearest: no other open deadline row of the stay is due sooner (or on the same
# day with a smaller id), so walking rows in due_on order meets each candidate once, at its nearest deadline.
_NEAREST = ~exists().where(
    _earlier.c.instance_id == timers.c.instance_id,
    _earlier.c.state_epoch == timers.c.state_epoch,
    open_deadline_row(_earlier),
    or_(_earlier.c.due_on < timers.c.due_on, and_(_earlier.c.due_on == timers.c.due_on, _earlier.c.id < timers.c.id)),
)


def _waiting(scope: Sequence[str], keys: Sequence[tuple[str, str, str]]) -> Any:
    """Latest attempts of the subtree's candidates, in one of ``keys``."""
    return and_(_CURRENT, candidates.c.org_id.in_(scope), _in_states(keys))


def _with_deadline(scope: Sequence[str], keys: Sequence[tuple[str, str, str]], offset: int, limit: int) -> Any:
    """A page of the waiting candidates that have an open deadline, the nearest first (then by id)."""
    return (
        select(*_WORK)
        .select_from(timers)
        .join(instances, _open_deadline())
        .join(candidates, candidates.c.id == instances.c.candidate_id)
        # A deadline row carries its stay's state (a stay never changes state): filtering on it in the index
        # first leaves out the rows of states nobody here acts in before any join.
        .where(timers.c.state.in_(sorted({state for _, _, state in keys})), _NEAREST, _waiting(scope, keys))
        .order_by(timers.c.due_on, candidates.c.id)
        .offset(offset)
        .limit(limit)
    )


def _with_deadline_count(scope: Sequence[str], keys: Sequence[tuple[str, str, str]]) -> Any:
    """How many waiting candidates have an open deadline."""
    return (
        select(func.count())
        .select_from(candidates)
        .join(instances, instances.c.candidate_id == candidates.c.id)
        .where(_waiting(scope, keys), exists().where(_open_deadline()))
    )


def _without_deadline(scope: Sequence[str], keys: Sequence[tuple[str, str, str]]) -> Any:
    """The waiting candidates with no open deadline, by id."""
    return (
        select(*_WORK)
        .join(instances, instances.c.candidate_id == candidates.c.id)
        .where(_waiting(scope, keys), ~exists().where(_open_deadline()))
        .order_by(candidates.c.id)
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

    def _scope(self, within: str) -> list[str]:
        """The ids of ``within`` and every organisation below it. The page queries name them as a list, not as
        the recursive CTE itself: the planner then knows how many candidates the subtree holds (``org_id``'s
        statistics) and picks the index walk for a large subtree, a hash join for a small one."""
        return [r[0] for r in self._tx.connection.execute(subtree_ids(within, "scope"))]

    def work(
        self, within: str, keys: Sequence[tuple[str, str, str]], offset: int, limit: int
    ) -> list[tuple[str, str, str, str, str, str]]:
        """Candidates of ``within``'s subtree whose latest attempt is in one of ``keys`` (workflow id, version,
        state): (id, name, organisation, workflow id, version, state), the nearest open deadline first, those
        with none last, then by id.

        Two statements, each stopping at the page's end: those with an open deadline, walked in ``due_on``
        order through the partial index of open deadline rows (each stay's nearest row only); then, once
        those run out, those without one, by id (after counting the first kind, for the page's offset)."""
        if not keys:
            return []
        scope = self._scope(within)
        rows = self._walk(_with_deadline(scope, keys, offset, limit))
        if len(rows) < limit:
            skip = 0 if rows else offset - self._tx.connection.execute(_with_deadline_count(scope, keys)).scalar_one()
            stmt = _without_deadline(scope, keys).offset(skip).limit(limit - len(rows))
            rows += [tuple(r) for r in self._tx.connection.execute(stmt)]
        return rows

    def _walk(self, stmt: Any) -> list[Any]:
        """Run ``stmt`` as nested loops on PostgreSQL. Its filters are correlated (a deadline row's state and its
        attempt's state are the same fact), so the planner underestimates the rows it will meet, thinks the
        page's end far and sorts the whole subtree with hash joins: ten times slower than walking the index."""
        conn = self._tx.connection
        postgres = conn.dialect.name == "postgresql"
        for name in ("enable_hashjoin", "enable_mergejoin") if postgres else ():
            conn.exec_driver_sql(f"SET LOCAL {name} = off")
        rows = [tuple(r) for r in conn.execute(stmt)]
        for name in ("enable_hashjoin", "enable_mergejoin") if postgres else ():
            conn.exec_driver_sql(f"RESET {name}")
        return rows

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
            .select_from(timers)
            .join(instances, _open_deadline())
            .where(instances.c.candidate_id.in_(list(candidate_ids)), _CURRENT)
            .order_by(timers.c.due_on, timers.c.id)
        )
        return [tuple(r) for r in self._tx.connection.execute(stmt)]

    def deadline_counts(self, within: str, now: datetime, today: date) -> list[tuple[str, int, int, int, int]]:
        """Per organisation of ``within``'s subtree: open deadlines overdue (due instant passed), and due within
        30, 60 and 90 days of ``today`` and not yet overdue."""
        late = timers.c.fire_at <= now
        horizon = date.fromordinal(today.toordinal() + 90)  # rows due later, and not late, count nowhere

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
            .where(candidates.c.org_id.in_(self._scope(within)), _CURRENT, or_(late, timers.c.due_on <= horizon))
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
            .where(candidates.c.org_id.in_(self._scope(within)), _CURRENT)
            .group_by(candidates.c.org_id, instances.c.workflow_id, instances.c.state)
        )
        return [(r[0], r[1], r[2], int(r[3])) for r in self._tx.connection.execute(stmt)]

"""The read side of reports: every figure is a SQL aggregate (GROUP BY, window functions) over an organisation
subtree; nothing loops over rows in Python.

The subtree is a recursive CTE that also carries each organisation's *branch*: the child of the report's root
it lies under (the root itself for its own rows), so one GROUP BY gives the figures by child organisation. The
tree is read as it stood on a date (``org_periods``) or as it is now (``orgs``). A candidate counts in the
organisation they belong to (``candidates.org_id``), placed in that tree; the audit row's ``org_id`` names the
body that acted (a decision's committee), not the candidate's cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Integer,
    Select,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
)

from admission_flow.domain.reports import GROUPS, ReportOptions
from admission_flow.store.orgs import MAX_DEPTH, valid_on
from admission_flow.store.schema import (
    Candidate,
    Event,
    Instance,
    Org,
    OrgPeriod,
    Target,
    Timer,
    TrainingClass,
    table,
)
from admission_flow.store.transaction import Tx

orgs, periods, events = table(Org), table(OrgPeriod), table(Event)
instances, candidates, targets = table(Instance), table(Candidate), table(Target)
classes, timers = table(TrainingClass), table(Timer)


def branch_tree(root: str, on: date | None) -> CTE:
    """(id, branch, depth) of ``root`` and every organisation below it, as on ``on`` (None: as it is now)."""
    tree = (
        select(orgs.c.id, orgs.c.id.label("branch"), literal(0, Integer).label("depth"))
        .where(orgs.c.id == root)
        .cte("report_tree", recursive=True)
    )
    if on is None:
        child = orgs.alias("report_child")
        child_id, parent_id, held = child.c.id, child.c.parent_id, literal(True)
    else:
        child = periods.alias("report_child")
        child_id, parent_id, held = child.c.org_id, child.c.parent_id, valid_on(on, child)
    return tree.union_all(
        select(child_id, case((tree.c.depth == 0, child_id), else_=tree.c.branch), tree.c.depth + 1)
        .join(tree, parent_id == tree.c.id)
        .where(held, tree.c.depth < MAX_DEPTH)
    )


def days_between(dialect: str, later: Any, earlier: Any) -> ColumnElement[Any]:
    """Whole days from ``earlier`` to ``later`` (date columns)."""
    if dialect == "sqlite":
        return cast(func.julianday(later) - func.julianday(earlier), Integer)
    return cast(later - earlier, Integer)


def months_and_days_after(dialect: str, column: Any, months: int, days: int) -> ColumnElement[Any]:
    """The date ``months`` calendar months and then ``days`` days after a date column."""
    if dialect == "sqlite":
        return func.date(column, f"+{int(months)} months", f"+{int(days)} days")
    return cast(column + literal_column(f"INTERVAL '{int(months)} months {int(days)} days'"), events.c.occurred_on.type)


def last_states(on: date) -> Select[Any]:
    """(instance_id, state) of every attempt as it stood at the end of ``on``: the target of its last event on or
    before that day (the highest ``seq``; events are numbered in the order they were applied)."""
    last = (
        select(events.c.instance_id, func.max(events.c.seq).label("seq"))
        .where(events.c.occurred_on <= on)
        .group_by(events.c.instance_id)
        .subquery("last_event")
    )
    return select(events.c.instance_id, events.c.to_state.label("state")).join(
        last, and_(events.c.instance_id == last.c.instance_id, events.c.seq == last.c.seq)
    )


def group_conditions(options: ReportOptions) -> dict[str, ColumnElement[bool]]:
    """The condition of each composition group on ``candidates`` (values compared as stored; ethnicity and
    religion case-insensitively)."""
    c = candidates.c
    conditions: dict[str, ColumnElement[bool]] = {
        "women": c.sex == "female",
        "ethnic_minority": and_(
            c.ethnicity.is_not(None), c.ethnicity != "", func.lower(c.ethnicity) != options.majority_ethnicity.lower()
        ),
        "religious": and_(
            c.religion.is_not(None), func.lower(c.religion).not_in([r.lower() for r in options.no_religion])
        ),
        "youth_union": c.youth_union_member.is_(True),
        "student": c.occupation.in_(list(options.student_occupations)),
        "enterprise": c.occupation.in_(list(options.enterprise_occupations)),
        "university": c.education.in_(list(options.university_levels)),
        "manager": c.manager.is_(True),
    }
    return {name: conditions[name] for name in GROUPS}


class SqlReports:
    """The aggregates behind ``services/reports.py``; each method is one statement."""

    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    @property
    def _dialect(self) -> str:
        return self._tx.connection.dialect.name

    def _rows(self, stmt: Any) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self._tx.connection.execute(stmt)]

    def branches(self, root: str, on: date | None) -> list[tuple[str, str]]:
        """(id, name) of the root's children in that tree, by name."""
        tree = branch_tree(root, on)
        stmt = select(orgs.c.id, orgs.c.name).join(tree, tree.c.id == orgs.c.id).where(tree.c.depth == 1)
        return self._rows(stmt.order_by(orgs.c.name, orgs.c.id))

    def names(self, org_ids: Sequence[str]) -> dict[str, str]:
        return dict(self._rows(select(orgs.c.id, orgs.c.name).where(orgs.c.id.in_(list(org_ids)))))

    def counted_by_branch(self, root: str, on: date | None, trigger: str, start: date, end: date) -> dict[str, int]:
        """Attempts with the event ``trigger`` dated in [start, end], by branch."""
        tree = branch_tree(root, on)
        stmt = (
            select(tree.c.branch, func.count())
            .select_from(events)
            .join(instances, instances.c.id == events.c.instance_id)
            .join(candidates, candidates.c.id == instances.c.candidate_id)
            .join(tree, tree.c.id == candidates.c.org_id)
            .where(events.c.trigger == trigger, events.c.occurred_on >= start, events.c.occurred_on <= end)
            .group_by(tree.c.branch)
        )
        return dict(self._rows(stmt))

    def counted(self, root: str, on: date | None, triggers: Sequence[str], start: date, end: date) -> dict[str, int]:
        """Attempts with each of the events ``triggers`` dated in [start, end] (one statement, by trigger)."""
        tree = branch_tree(root, on)
        stmt = (
            select(events.c.trigger, func.count())
            .select_from(events)
            .join(instances, instances.c.id == events.c.instance_id)
            .join(candidates, candidates.c.id == instances.c.candidate_id)
            .join(tree, tree.c.id == candidates.c.org_id)
            .where(events.c.trigger.in_(list(triggers)), events.c.occurred_on >= start, events.c.occurred_on <= end)
            .group_by(events.c.trigger)
        )
        return dict(self._rows(stmt))

    def targets(self, org_ids: Sequence[str], kind: str, start: date, end: date) -> dict[str, tuple[int, int | None]]:
        """(admissions, sourcing plan) per organisation: the sum of its ``kind`` targets that overlap the period."""
        when = and_(targets.c.starts_on <= end, targets.c.ends_on >= start)
        stmt = (
            select(targets.c.org_id, func.sum(targets.c.admissions), func.sum(targets.c.sourcing_plan))
            .where(targets.c.org_id.in_(list(org_ids)), targets.c.kind == kind, when)
            .group_by(targets.c.org_id)
        )
        return {r[0]: (int(r[1]), None if r[2] is None else int(r[2])) for r in self._rows(stmt)}

    def sourcing(self, root: str, on: date | None, start: date, end: date) -> list[tuple[str, str, int, int | None]]:
        """(org id, name, quota, sourcing plan) of every annual target in the subtree overlapping the period."""
        tree = branch_tree(root, on)
        stmt = (
            select(orgs.c.id, orgs.c.name, func.sum(targets.c.admissions), func.sum(targets.c.sourcing_plan))
            .select_from(targets)
            .join(tree, tree.c.id == targets.c.org_id)
            .join(orgs, orgs.c.id == targets.c.org_id)
            .where(targets.c.kind == "annual", targets.c.starts_on <= end, targets.c.ends_on >= start)
            .group_by(orgs.c.id, orgs.c.name)
            .order_by(orgs.c.name, orgs.c.id)
        )
        return [(r[0], r[1], int(r[2]), None if r[3] is None else int(r[3])) for r in self._rows(stmt)]

    def states(self, root: str, on_tree: date | None, on: date, current: bool) -> dict[str, int]:
        """Attempts by state at the end of ``on`` (``current``: the stored state, for a date not in the past)."""
        tree = branch_tree(root, on_tree)
        if current:
            stmt = (
                select(instances.c.state, func.count())
                .join(candidates, candidates.c.id == instances.c.candidate_id)
                .join(tree, tree.c.id == candidates.c.org_id)
                .group_by(instances.c.state)
            )
        else:
            last = last_states(on).subquery("state_then")
            stmt = (
                select(last.c.state, func.count())
                .select_from(last)
                .join(instances, instances.c.id == last.c.instance_id)
                .join(candidates, candidates.c.id == instances.c.candidate_id)
                .join(tree, tree.c.id == candidates.c.org_id)
                .group_by(last.c.state)
            )
        return dict(self._rows(stmt))

    def classes(self, root: str, on: date | None, start: date, end: date) -> list[tuple[str, str, int, int]]:
        """(branch, kind, classes, attendees) of the classes that started in the period."""
        tree = branch_tree(root, on)
        stmt = (
            select(tree.c.branch, classes.c.kind, func.count(), func.sum(classes.c.attendees))
            .select_from(classes)
            .join(tree, tree.c.id == classes.c.org_id)
            .where(classes.c.starts_on >= start, classes.c.starts_on <= end)
            .group_by(tree.c.branch, classes.c.kind)
        )
        return [(r[0], r[1], int(r[2]), int(r[3] or 0)) for r in self._rows(stmt)]

    def recognised_on_time(
        self, root: str, on: date | None, start: date, end: date, names: tuple[str, str, str], grace_days: int
    ) -> tuple[int, int]:
        """(probations concluded in the period, of them recognised on time). ``names``: the ceremony,
        recognition and strike-off triggers. On time: the recognition is dated no later than ``grace_days`` after
        the probation's end (the ceremony + 12 months)."""
        ceremony, recognition, strike_off = names
        tree = branch_tree(root, on)
        held = events.alias("ceremony")
        deadline = months_and_days_after(self._dialect, held.c.occurred_on, 12, grace_days)
        on_time = and_(
            events.c.trigger == recognition, held.c.occurred_on.is_not(None), events.c.occurred_on <= deadline
        )
        stmt = (
            select(func.count(), func.coalesce(func.sum(case((on_time, 1), else_=0)), 0))
            .select_from(events)
            .join(instances, instances.c.id == events.c.instance_id)
            .join(candidates, candidates.c.id == instances.c.candidate_id)
            .join(tree, tree.c.id == candidates.c.org_id)
            .outerjoin(held, and_(held.c.instance_id == events.c.instance_id, held.c.trigger == ceremony))
            .where(
                events.c.trigger.in_([recognition, strike_off]),
                events.c.occurred_on >= start,
                events.c.occurred_on <= end,
            )
        )
        row = self._rows(stmt)[0]
        return int(row[0]), int(row[1])

    def composition(
        self,
        root: str,
        on_tree: date | None,
        options: ReportOptions,
        among: str | None,
        admitted: tuple[str, date, date] | None,
        members: tuple[Sequence[str], date] | None,
    ) -> tuple[int, dict[str, int]]:
        """(size of the base, count of each group in it). The base: attempts with the event ``admitted[0]`` in
        [admitted[1], admitted[2]], or attempts whose state on ``members[1]`` was one of ``members[0]``;
        narrowed to ``among`` when given."""
        tree = branch_tree(root, on_tree)
        groups = group_conditions(options)
        columns = [func.count()] + [func.coalesce(func.sum(case((cond, 1), else_=0)), 0) for cond in groups.values()]
        if admitted is not None:
            trigger, start, end = admitted
            stmt = (
                select(*columns)
                .select_from(events)
                .join(instances, instances.c.id == events.c.instance_id)
                .where(events.c.trigger == trigger, events.c.occurred_on >= start, events.c.occurred_on <= end)
            )
        else:
            assert members is not None
            states, on = members
            last = last_states(on).subquery("state_then")
            stmt = (
                select(*columns)
                .select_from(last)
                .join(instances, instances.c.id == last.c.instance_id)
                .where(last.c.state.in_(list(states)))
            )
        stmt = stmt.join(candidates, candidates.c.id == instances.c.candidate_id).join(
            tree, tree.c.id == candidates.c.org_id
        )
        if among is not None:
            stmt = stmt.where(groups[among])
        row = self._rows(stmt)[0]
        return int(row[0]), {name: int(value) for name, value in zip(groups, row[1:], strict=True)}

    def deadlines(self, root: str, today: date, until: date) -> list[tuple[str, str, int, int, date | None]]:
        """(deadline, state, overdue, due by ``until``, earliest due) of pending deadlines in the subtree now."""
        tree = branch_tree(root, None)
        overdue = func.coalesce(func.sum(case((timers.c.due_on < today, 1), else_=0)), 0)
        upcoming = func.coalesce(func.sum(case((timers.c.due_on >= today, 1), else_=0)), 0)
        stmt = (
            select(timers.c.deadline_id, timers.c.state, overdue, upcoming, func.min(timers.c.due_on))
            .select_from(timers)
            .join(instances, instances.c.id == timers.c.instance_id)
            .join(candidates, candidates.c.id == instances.c.candidate_id)
            .join(tree, tree.c.id == candidates.c.org_id)
            .where(timers.c.kind == "due", timers.c.status == "pending", timers.c.due_on <= until)
            .group_by(timers.c.deadline_id, timers.c.state)
            .order_by(timers.c.state, timers.c.deadline_id)
        )
        return [(r[0], r[1], int(r[2]), int(r[3]), r[4]) for r in self._rows(stmt)]

    def durations(self, root: str, on: date | None, start: date, end: date) -> list[tuple[str, int, float, int]]:
        """(state, stays, average days, 90th percentile days) of the stays that ended in the period. A stay runs
        from the event that entered a state to the next event that changed it (window ``LEAD``); the percentile is
        the nearest rank, which SQLite computes as well as PostgreSQL (``ROW_NUMBER`` against ``COUNT``)."""
        tree = branch_tree(root, on)
        moves = (
            select(
                events.c.instance_id,
                events.c.to_state.label("state"),
                events.c.occurred_on.label("entered"),
                func.lead(events.c.occurred_on)
                .over(partition_by=events.c.instance_id, order_by=events.c.seq)
                .label("left_on"),
            )
            .where(
                or_(events.c.from_state.is_(None), events.c.from_state != events.c.to_state),
                events.c.occurred_on <= end,
            )
            .subquery("moves")
        )
        days = days_between(self._dialect, moves.c.left_on, moves.c.entered)
        stays = (
            select(moves.c.state, days.label("days"))
            .select_from(moves)
            .join(instances, instances.c.id == moves.c.instance_id)
            .join(candidates, candidates.c.id == instances.c.candidate_id)
            .join(tree, tree.c.id == candidates.c.org_id)
            .where(moves.c.left_on >= start, moves.c.left_on <= end)
            .subquery("stays")
        )
        ranked = select(
            stays.c.state,
            stays.c.days,
            func.row_number().over(partition_by=stays.c.state, order_by=stays.c.days).label("rank"),
            func.count().over(partition_by=stays.c.state).label("n"),
        ).subquery("ranked")
        p90 = func.min(case((ranked.c.rank * 10 >= ranked.c.n * 9, ranked.c.days)))
        stmt = select(ranked.c.state, func.count(), func.avg(ranked.c.days), p90).group_by(ranked.c.state)
        return [(r[0], int(r[1]), float(r[2]), int(r[3])) for r in self._rows(stmt)]

"""The building blocks every report statement shares: the subtree with each organisation's branch (as on a
date or as now), whole days and "months then days after" in each database's words, the state of every attempt
on a day, the composition groups as conditions, and the join from a row to its attempt, candidate and tree.
Each is built once (``functools.cache``); the values are bound when a statement runs."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Date,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    literal_column,
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
    table,
)

orgs, periods, events = table(Org), table(OrgPeriod), table(Event)
instances, candidates = table(Instance), table(Candidate)


ROOT, TREE_ON = bindparam("root", type_=String), bindparam("tree_on", type_=Date)
START, END = bindparam("start", type_=Date), bindparam("end", type_=Date)


@cache
def branch_tree(as_of: bool) -> CTE:
    """(id, branch, depth) of ``:root`` and every organisation below it, as on ``:tree_on`` (``as_of``) or as it
    is now. Built once per shape: every statement here is built once and cached, its values bound at run time
    (building a SQLAlchemy statement costs more than running a small one)."""
    tree = (
        select(orgs.c.id, orgs.c.id.label("branch"), literal(0, Integer).label("depth"))
        .where(orgs.c.id == ROOT)
        .cte("report_tree", recursive=True)
    )
    if not as_of:
        child = orgs.alias("report_child")
        child_id, parent_id, held = child.c.id, child.c.parent_id, literal(True)
    else:
        child = periods.alias("report_child")
        child_id, parent_id, held = child.c.org_id, child.c.parent_id, valid_on(TREE_ON, child)
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


def last_states() -> Select[Any]:
    """(instance_id, state) of every attempt as it stood at the end of ``:on``: the target of its last event on or
    before that day (the highest ``seq``; events are numbered in the order they were applied)."""
    last = (
        select(events.c.instance_id, func.max(events.c.seq).label("seq"))
        .where(events.c.occurred_on <= bindparam("on", type_=Date))
        .group_by(events.c.instance_id)
        .subquery("last_event")
    )
    return select(events.c.instance_id, events.c.to_state.label("state")).join(
        last, and_(events.c.instance_id == last.c.instance_id, events.c.seq == last.c.seq)
    )


@cache
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


def joined(stmt: Select[Any], tree: CTE, base: Any = None) -> Select[Any]:
    """``stmt`` joined from ``base`` (default ``events``) to the attempt, the candidate and the tree."""
    base = events if base is None else base
    return (
        stmt.join(instances, instances.c.id == base.c.instance_id)
        .join(candidates, candidates.c.id == instances.c.candidate_id)
        .join(tree, tree.c.id == candidates.c.org_id)
    )

"""The dashboard's page queries (store/web.py) against a model, on SQLite and PostgreSQL.

Rows are written straight into the tables (a declared fixture: candidates, attempts, deadline rows), and every
page of My work, at several page sizes and every offset, and both boards' counts are compared with what a plain
Python reading of the same declaration gives: the newest attempt only, the current stay's open deadline rows
only, the subtree only, nearest deadline first then by id, those with none last by id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import insert

from admission_flow.flow import AdmissionFlow
from admission_flow.store.schema import Candidate, Instance, Timer, table
from admission_flow.testing import ManualClock
from admission_flow.testing.scenario import add_sample_orgs

WITHIN = "ks.anmy"  # its subtree: ks.anmy, ks.anmy.ap1, ks.anmy.ap2
KEYS = [("wf", "1", "waiting"), ("wf", "1", "voting")]  # the states someone here acts in (workflow wf, version 1)
TODAY = date(2026, 1, 5)  # the clock's day (tests/conftest.py)
OPEN = {"pending", "done", "failed"}


@dataclass(frozen=True)
class Row:
    """A deadline row: its deadline, the stay it belongs to (epoch), due day from TODAY, status, rung."""

    deadline: str
    epoch: int
    days: int
    status: str = "pending"
    rung: int = 0


@dataclass(frozen=True)
class Attempt:
    state: str
    epoch: int = 1
    version: str = "1"
    rows: tuple[Row, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Person:
    id: str
    org: str
    attempts: tuple[Attempt, ...]


PEOPLE = (
    # two open rows of the current stay (the nearer counts), a row of an earlier stay, a reminder, a cancelled row
    Person(
        "a1",
        "ks.anmy.ap1",
        (
            Attempt(
                "waiting",
                epoch=3,
                rows=(
                    Row("d1", 3, 5),
                    Row("d2", 3, 15, "done"),
                    Row("d0", 2, -4),
                    Row("d1", 3, -3, rung=1),
                    Row("d3", 3, -2, "cancelled"),
                ),
            ),
        ),
    ),
    Person("a2", "ks.anmy.ap2", (Attempt("voting", rows=(Row("d1", 1, 5),)),)),  # the same day as a1: by id
    Person("a3", "ks.anmy", (Attempt("waiting", rows=(Row("d1", 1, 0, "failed"),)),)),
    Person("b0", "ks.anmy", (Attempt("waiting"),)),  # no deadline at all
    Person("b1", "ks.anmy.ap1", (Attempt("voting"),)),
    Person("b2", "ks.anmy.ap1", (Attempt("waiting", rows=(Row("d1", 1, 1, "cancelled"),)),)),  # none open
    Person("g1", "ks.anmy", (Attempt("waiting", rows=(Row("d1", 1, 46),)),)),  # within 60 days
    Person("f1", "ks.anmy.ap2", (Attempt("waiting", rows=(Row("d1", 1, 105),)),)),  # beyond 90 days
    # superseded attempts: only the newest counts, with its own deadlines
    Person(
        "s1", "ks.anmy.ap1", (Attempt("waiting", rows=(Row("d1", 1, -3),)), Attempt("idle", rows=(Row("d1", 1, -2),)))
    ),
    Person(
        "s2", "ks.anmy.ap2", (Attempt("idle", rows=(Row("d1", 1, -3),)), Attempt("voting", rows=(Row("d1", 1, 10),)))
    ),
    Person("s3", "ks.anmy.ap1", (Attempt("waiting", rows=(Row("d1", 1, -5),)), Attempt("waiting"))),
    # the same state name in another version of the workflow, which nobody here acts in
    Person("w1", "ks.anmy.ap2", (Attempt("waiting", version="2", rows=(Row("d1", 1, -1),)),)),
    # one level outside the subtree (the parent, a sibling), with the earliest deadlines of all
    Person("o1", "ks", (Attempt("waiting", rows=(Row("d1", 1, -9),)),)),
    Person("o2", "ks.thpt", (Attempt("waiting", rows=(Row("d1", 1, -9),)),)),
)
SUBTREE = {"ks.anmy", "ks.anmy.ap1", "ks.anmy.ap2"}


def fire_at(days: int) -> datetime:
    return datetime.combine(TODAY + timedelta(days=days), time(10, 0), tzinfo=UTC)


def write(flow: AdmissionFlow, now: datetime) -> None:
    add_sample_orgs(flow)
    with flow.store.engine.begin() as conn:
        for p in PEOPLE:
            conn.execute(insert(table(Candidate)).values(id=p.id, org_id=p.org, full_name=p.id.upper(), created_at=now))
            for n, a in enumerate(p.attempts, start=1):
                (iid,) = conn.execute(
                    insert(table(Instance))
                    .values(
                        candidate_id=p.id,
                        attempt=n,
                        workflow_id="wf",
                        workflow_version=a.version,
                        workflow_hash="0" * 64,
                        state=a.state,
                        version=a.epoch,
                        dates={},
                        flags=[],
                        documents={},
                        started_at=now,
                        updated_at=now,
                        state_epoch=a.epoch,
                        extensions={},
                    )
                    .returning(table(Instance).c.id)
                ).one()
                for r in a.rows:
                    conn.execute(
                        insert(table(Timer)).values(
                            instance_id=iid,
                            state=a.state,  # a row carries the state of its stay; earlier stays here were the same
                            state_epoch=r.epoch,
                            deadline_id=r.deadline,
                            rung=r.rung,
                            kind="deadline" if r.rung == 0 else "reminder",
                            due_on=TODAY + timedelta(days=r.days),
                            fire_at=fire_at(r.days),
                            status=r.status,
                            created_at=now,
                        )
                    )


def open_rows(a: Attempt) -> list[Row]:
    return [r for r in a.rows if r.rung == 0 and r.epoch == a.epoch and r.status in OPEN]


def expected_work() -> list[str]:
    waiting = [p for p in PEOPLE if p.org in SUBTREE and ("wf", p.attempts[-1].version, p.attempts[-1].state) in KEYS]
    dated = sorted((min(r.days for r in open_rows(p.attempts[-1])), p.id) for p in waiting if open_rows(p.attempts[-1]))
    return [pid for _, pid in dated] + sorted(p.id for p in waiting if not open_rows(p.attempts[-1]))


@pytest.fixture
def written(flow: AdmissionFlow, clock: ManualClock) -> AdmissionFlow:
    write(flow, clock.now())
    return flow


def test_the_fixture_covers_both_kinds_and_the_edges() -> None:
    assert expected_work() == ["a3", "a1", "a2", "s2", "g1", "f1", "b0", "b1", "b2", "s3"]


def test_my_work_pages_at_every_size_and_offset_are_the_models_order(written: AdmissionFlow) -> None:
    order = expected_work()
    with written.store.transaction(readonly=True) as uow:
        for limit in (1, 2, 3, 4, 7, 25):
            for offset in range(len(order) + 2):
                rows = uow.web.work(WITHIN, KEYS, offset, limit)
                assert [r[0] for r in rows] == order[offset : offset + limit], (limit, offset)
        first = uow.web.work(WITHIN, KEYS, 0, 1)
        assert first == [("a3", "A3", "ks.anmy", "wf", "1", "waiting")]
        assert uow.web.work(WITHIN, [], 0, 10) == []
        # the newest attempt's deadlines only: s2's second attempt, none of s1's or s3's
        assert [(r[0], r[3]) for r in uow.web.deadlines_of(["s1", "s2", "s3"])] == [("s1", "d1"), ("s2", "d1")]
        assert [r[4] for r in uow.web.deadlines_of(["s2"])] == [TODAY + timedelta(days=10)]


def test_the_boards_count_the_newest_attempts_open_rows_in_the_subtree(
    written: AdmissionFlow, clock: ManualClock
) -> None:
    now = clock.now()
    counts: dict[str, list[int]] = {}
    pipeline: dict[tuple[str, str, str], int] = {}
    for p in PEOPLE:
        if p.org not in SUBTREE:
            continue
        newest = p.attempts[-1]
        pipeline[(p.org, "wf", newest.state)] = pipeline.get((p.org, "wf", newest.state), 0) + 1
        for r in open_rows(newest):
            late = fire_at(r.days) <= now
            figures = [late] + [not late and r.days <= d for d in (30, 60, 90)]
            counts[p.org] = [a + int(b) for a, b in zip(counts.get(p.org, [0, 0, 0, 0]), figures, strict=True)]
    assert counts == {"ks.anmy": [0, 1, 2, 2], "ks.anmy.ap1": [1, 2, 2, 2], "ks.anmy.ap2": [1, 2, 2, 2]}
    with written.store.transaction(readonly=True) as uow:
        found = {r[0]: list(r[1:]) for r in uow.web.deadline_counts(WITHIN, now, TODAY) if any(r[1:])}
        assert found == counts
        assert {r[:3]: r[3] for r in uow.web.pipeline_counts(WITHIN)} == pipeline

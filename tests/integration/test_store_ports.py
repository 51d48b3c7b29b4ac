"""The store's repositories behind ``ports.py``, held to the same behaviour on SQLite and PostgreSQL.

Where ``test_store_contract.py`` goes through the facade, these cases call the unit of work the use cases
receive: the organisation tree's recursive queries at their boundaries, the writer of a decided event, timer
plans, outbox channels, and rollback.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from helpers import open_flow
from sqlalchemy import event, func, select

from admission_flow import DocumentRecord
from admission_flow.domain.outcome import TimerMove, TimerPlan
from admission_flow.domain.stored import CANCELLED, PENDING, SKIPPED
from admission_flow.errors import ConcurrentUpdate
from admission_flow.flow import AdmissionFlow
from admission_flow.store.outbox import outbox
from admission_flow.store.timers import timers
from admission_flow.testing import ManualClock

TESTS = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)

# st → ks → ks.anmy → {ks.anmy.ap1, ks.anmy.ap2};  ks → ks.thpt → ks.thpt.gv → ks.thpt.gv.toan
TREE = [
    ("st", None, "province"),
    ("ks", "st", "superior_committee"),
    ("ks.anmy", "ks", "grassroots_committee"),
    ("ks.anmy.ap1", "ks.anmy", "cell"),
    ("ks.anmy.ap2", "ks.anmy", "cell"),
    ("ks.thpt", "ks", "grassroots_committee"),
    ("ks.thpt.gv", "ks.thpt", "partial_committee"),
    ("ks.thpt.gv.toan", "ks.thpt.gv", "cell"),
]


@pytest.fixture
def tree(flow: AdmissionFlow) -> AdmissionFlow:
    for org_id, parent, kind in TREE:
        flow.add_org(id=org_id, name=org_id.upper(), kind=kind, parent_id=parent)
    return flow


def test_the_ancestry_is_the_organisation_and_its_ancestors_nearest_first(tree: AdmissionFlow) -> None:
    with tree.store.transaction(readonly=True) as uow:
        assert [o.id for o in uow.orgs.ancestry("ks.thpt.gv.toan")] == [
            "ks.thpt.gv.toan",
            "ks.thpt.gv",
            "ks.thpt",
            "ks",
            "st",
        ]
        assert [o.id for o in uow.orgs.ancestry("st")] == ["st"]
        assert uow.orgs.ancestry("không-có") == []


def test_a_subtree_holds_everything_below_and_nothing_one_level_outside(tree: AdmissionFlow) -> None:
    with tree.store.transaction(readonly=True) as uow:
        assert sorted(uow.orgs.subtree("ks.anmy")) == ["ks.anmy", "ks.anmy.ap1", "ks.anmy.ap2"]
        assert sorted(uow.orgs.subtree("ks.anmy.ap1")) == ["ks.anmy.ap1"]  # its sibling and parent stay out
        assert len(uow.orgs.subtree("st")) == len(TREE)
        assert uow.orgs.subtree("không-có") == []


def test_a_listing_scoped_to_a_subtree_sees_no_candidate_one_level_outside_it(tree: AdmissionFlow) -> None:
    tree.add_candidate(id="inside", full_name="Trong", org_id="ks.anmy.ap1", birth_date=date(1999, 1, 1))
    tree.add_candidate(id="beside", full_name="Bên cạnh", org_id="ks.thpt.gv.toan", birth_date=date(1999, 1, 1))
    assert [c.id for c in tree.candidates(org_id="ks.anmy")] == ["inside"]
    assert [c.id for c in tree.candidates(org_id="ks.thpt")] == ["beside"]
    assert {c.id for c in tree.candidates(org_id="ks")} == {"inside", "beside"}


def enrolled(flow: AdmissionFlow) -> int:
    flow.add_org(id="cb", name="Chi bộ", kind="grassroots_cell")
    return flow.add_candidate(id="an", full_name="An", org_id="cb", birth_date=date(1999, 1, 1)).instance_id


def timer_values(instance_id: int, deadline: str, rung: int, epoch: int, fire_at: datetime) -> dict[str, object]:
    return {
        "instance_id": 0,  # set by the writer
        "state": "prospect",
        "state_epoch": epoch,
        "deadline_id": deadline,
        "rung": rung,
        "occurrence": 1,
        "kind": "due" if rung == 0 else "reminder",
        "due_on": fire_at.date(),
        "fire_at": fire_at,
        "status": PENDING,
        "outcome": None,
        "created_at": NOW,
        "processed_at": None,
    }


def test_a_timer_plan_cancels_moves_and_inserts_exactly_what_it_says(flow: AdmissionFlow) -> None:
    iid = enrolled(flow)
    later = NOW + timedelta(days=30)
    rows = tuple(timer_values(iid, d, r, 1, later) for d, r in (("a", 0), ("a", 1), ("b", 0)))
    with flow.store.transaction() as uow:
        uow.timers.apply(iid, 1, TimerPlan(inserts=rows), NOW)
    with flow.store.transaction(readonly=True) as uow:
        stay = uow.timers.of_stay(iid, 1)
    assert [(r.deadline_id, r.rung, r.instance_id) for r in stay] == [("a", 0, iid), ("a", 1, iid), ("b", 0, iid)]
    a0, a1, b0 = (r.id for r in stay)
    plan = TimerPlan(
        cancel=(("b", "done: x"),),
        moves=(TimerMove(a0, later.date(), later + timedelta(days=1)), TimerMove(a1, NOW.date(), NOW, "past")),
    )
    with flow.store.transaction() as uow:
        uow.timers.apply(iid, 1, plan, NOW)
    with flow.store.transaction(readonly=True) as uow:
        after = {r.id: r for r in uow.timers.of_stay(iid, 1)}
    assert (after[a0].status, after[a0].fire_at) == (PENDING, later + timedelta(days=1))
    assert (after[a1].status, after[a1].outcome) == (SKIPPED, "past")
    assert (after[b0].status, after[b0].outcome) == (CANCELLED, "done: x")
    with flow.store.transaction() as uow:
        uow.timers.apply(iid, 2, TimerPlan(cancel_all=True), NOW)
    with flow.store.transaction(readonly=True) as uow:
        assert {r.status for r in uow.timers.of_stay(iid, 1)} == {CANCELLED, SKIPPED}


def test_a_write_whose_version_moved_raises_and_leaves_nothing_behind(flow: AdmissionFlow, clock: ManualClock) -> None:
    enrolled(flow)
    flow.fire("an", "admit_to_sympathizer_list", on=date(2026, 1, 6), role="cell")
    with open_flow(flow.settings.database_url, clock) as other:
        other.fire("an", "assign_helper", on=date(2026, 1, 7), role="cell", data={"helper": "Bình"})
    events_before = len(flow.history("an"))
    with pytest.raises(ConcurrentUpdate):
        flow.fire("an", "assign_helper", on=date(2026, 1, 8), role="cell", data={"helper": "Cúc"}, expected_version=2)
    assert len(flow.history("an")) == events_before


def test_a_unit_of_work_that_raises_rolls_back_every_write(flow: AdmissionFlow) -> None:
    iid = enrolled(flow)
    with pytest.raises(RuntimeError), flow.store.transaction() as uow:
        uow.timers.apply(iid, 1, TimerPlan(inserts=(timer_values(iid, "a", 0, 1, NOW),)), NOW)
        raise RuntimeError("after the write")
    with flow.store.transaction(readonly=True) as uow:
        assert uow.connection.execute(select(func.count()).select_from(timers)).scalar_one() == 0


def test_delivery_claims_only_its_own_channel(flow: AdmissionFlow) -> None:
    iid = enrolled(flow)
    common = {"instance_id": iid, "template": "t", "recipients": [], "subject": "", "body": "", "status": PENDING}
    common |= {"attempts": 0, "next_attempt_at": NOW, "created_at": NOW}
    with flow.store.transaction() as uow:
        uow.connection.execute(outbox.insert(), [{**common, "message_id": "<m1>"}])
        uow.connection.execute(outbox.insert(), [{**common, "message_id": "<m2>", "channel": "webhook"}])
    with flow.store.transaction() as uow:
        claimed = uow.outbox.claim(NOW, 10, NOW + timedelta(minutes=5), "email")
    assert [(m.message_id, m.channel) for m in claimed] == [("<m1>", "email")]


@pytest.fixture
def traced(tmp_path: Path, clock: ManualClock) -> Iterator[tuple[AdmissionFlow, list[str]]]:
    """A SQLite flow on the test workflows whose connections log every statement they run."""
    statements: list[str] = []
    flow = open_flow(f"sqlite:///{tmp_path / 'traced.db'}", clock, workflows_dir=TESTS / "workflows" / "valid")
    flow.upgrade_database()
    flow.store.engine.dispose()

    @event.listens_for(flow.store.engine, "connect")
    def _trace(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.set_trace_callback(statements.append)

    yield flow, statements
    flow.close()


def test_an_event_in_a_state_without_deadlines_runs_no_timer_statement(
    traced: tuple[AdmissionFlow, list[str]],
) -> None:
    flow, statements = traced
    flow.add_org(id="cb", name="Chi bộ", kind="cell")
    flow.add_candidate(id="an", full_name="An", org_id="cb", birth_date=date(1990, 5, 1), workflow="minimal")
    flow.fire("an", "review", role="cell", on=date(2026, 3, 1))
    statements.clear()
    flow.fire(
        "an", "admit", role="cell", on=date(2026, 3, 2), documents=[DocumentRecord("application", date(2026, 3, 1))]
    )
    assert flow.candidate("an").state == "probationary"
    written = [s for s in statements if not s.startswith(("SELECT", "BEGIN", "COMMIT"))]
    assert [s.split()[0:3] for s in written] == [
        ["UPDATE", "instances", "SET"],
        ["INSERT", "INTO", "events"],
        ["INSERT", "INTO", "documents"],
    ]
    assert not [s for s in statements if "timers" in s]


def test_the_subtree_as_it_stood_on_a_date_follows_the_periods(tree: AdmissionFlow) -> None:
    """A cell moved from one committee to another on 2025-07-01 counts under the first until 2025-06-30."""
    from sqlalchemy import insert, update

    from admission_flow.store.orgs import periods, subtree_ids_as_of

    moved = date(2025, 7, 1)
    with tree.store.transaction() as uow:
        c = uow.connection
        c.execute(update(periods).where(periods.c.org_id == "ks.anmy.ap1").values(valid_until=moved))
        values = {"org_id": "ks.anmy.ap1", "name": "ap1", "kind": "cell", "attributes": {}}
        c.execute(insert(periods).values(**values, parent_id="ks.thpt", valid_from=moved))

        def under(root: str, on: date) -> set[str]:
            return set(c.execute(subtree_ids_as_of(root, on)).scalars())

        assert under("ks.anmy", date(2025, 6, 30)) == {"ks.anmy", "ks.anmy.ap1", "ks.anmy.ap2"}
        assert under("ks.anmy", moved) == {"ks.anmy", "ks.anmy.ap2"}
        assert "ks.anmy.ap1" not in under("ks.thpt", date(2025, 6, 30))
        assert "ks.anmy.ap1" in under("ks.thpt", moved)
        assert len(under("st", moved)) == len(TREE)

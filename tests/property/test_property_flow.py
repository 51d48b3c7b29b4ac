"""Property-based tests of ``AdmissionFlow`` (issue 13): random sequences of fires, corrections, extensions,
transfers, clock moves and sweeps on the standard workflow (2021 and 2025), checking after every step that

- the history has exactly ``version`` events, and every state in it and the current one is a workflow state;
- a refused fire (``TransitionRefused``, ``InvalidInput``, ``NotFound`` for an unknown ``acting_org``) wrote
  nothing: no table's row count changed, and the instance, its events, papers and timer rows are as before;
- the open deadlines (``flow.deadlines(candidate_id=...)``) and every pending timer row belong to the current
  stay (its state and epoch) and to that state's deadlines (``deadlines_of``); a pending row of a ``while_flag``
  deadline has its flag set;
- no reminder rung was turned into more than one outbox message (per instance, stay, deadline, rung and
  occurrence).

Each hypothesis example enrols a fresh candidate (driven along the happy path to a random state, on paper
dates around the clock's today) in one database per test: building a flow compiles the workflows (~0.3 s),
too slow to repeat per example within the CI budget. Earlier examples' candidates stay in the database; the
sweep acts on them too, which the invariants allow.

Budget: ``ADMISSION_FLOW_PROPERTY_EXAMPLES`` (default 25 here, per database) sets the examples per test;
the whole ``tests/property`` folder stays under a minute on two cores with the defaults. A longer run::

    ADMISSION_FLOW_PROPERTY_EXAMPLES=1000 .venv/bin/pytest tests/property -q

On PostgreSQL too when ``ADMISSION_FLOW_TEST_POSTGRES_URL`` is set (the ``database_url`` fixture).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from admission_flow.domain.values import DocumentRecord, Votes
from admission_flow.errors import InvalidInput, NotFound, TransitionRefused
from admission_flow.flow import AdmissionFlow
from admission_flow.samples import HAPPY_PATH, POWER_OF, SAMPLE_ORGS
from admission_flow.settings import Settings
from admission_flow.store.schema import Base, Document, Event, Instance, Outbox, Timer
from admission_flow.testing import ManualClock
from admission_flow.testing.scenario import add_sample_orgs, competent_org_for, drive

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
EXAMPLES = int(os.environ.get("ADMISSION_FLOW_PROPERTY_EXAMPLES", "25"))
STEPS = int(os.environ.get("ADMISSION_FLOW_PROPERTY_STEPS", "12"))
NOW = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
ORG_IDS = [o["id"] for o in SAMPLE_ORGS] + ["nowhere"]
CELLS = ["ks.anmy.ap1", "ks.anmy.ap2", "ks.thpt.gv.toan", "ks.ctyxk"]
HAPPY_STATES = [*dict.fromkeys(step.state for step in HAPPY_PATH), "full_member"]
ROLES = [
    None,
    "cell",
    "candidate",
    "system",
    "political_centre",
    "grassroots_committee",
    "partial_committee",
    "competent_committee",
    "provincial_standing_board",
    "organisation_department",
    "superior_committee",
]
TIMERS, OUTBOX, INSTANCES, EVENTS, DOCUMENTS = (
    Timer.__table__,
    Outbox.__table__,
    Instance.__table__,
    Event.__table__,
    Document.__table__,
)
PENDING = "pending"
_ids = itertools.count(1)
STATS: dict[str, int] = {}  # applied events per trigger, and "refused": to show the test is not vacuous


@pytest.fixture
def shared_flow(database_url: str) -> Iterator[tuple[AdmissionFlow, ManualClock]]:
    clock = ManualClock(NOW)
    flow = AdmissionFlow(Settings(database_url=database_url, workflows_dir=WORKFLOWS), clock=clock)
    flow.upgrade_database()
    add_sample_orgs(flow)
    yield flow, clock
    assert flow.store.connections.in_use() == 0, "a connection was not returned to the pool"  # type: ignore[attr-defined]
    flow.close()


# ---------------------------------------------------------------------------- raw reads (tests may use flow.store)


def _rows(flow: AdmissionFlow, stmt: Any) -> list[dict[str, Any]]:
    with flow.store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]


def snapshot(flow: AdmissionFlow, instance_id: int) -> dict[str, Any]:
    """Everything a fire could write: the instance, its events and papers, and the row count of every table."""
    with flow.store.engine.connect() as conn:
        counts = {
            name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
            for name, table in Base.metadata.tables.items()
        }
    return {
        "instance": _rows(flow, select(INSTANCES).where(INSTANCES.c.id == instance_id)),
        "events": _rows(flow, select(EVENTS).where(EVENTS.c.instance_id == instance_id).order_by(EVENTS.c.seq)),
        "documents": _rows(flow, select(DOCUMENTS).where(DOCUMENTS.c.instance_id == instance_id)),
        "timers": _rows(flow, select(TIMERS).where(TIMERS.c.instance_id == instance_id).order_by(TIMERS.c.id)),
        "rows_per_table": counts,
    }


# ---------------------------------------------------------------------------- strategies


def day_near(anchor: date, spread: int = 60) -> st.SearchStrategy[date]:
    return st.integers(-spread, spread).map(lambda d: anchor + timedelta(days=d))


votes_strategy = st.one_of(
    st.none(),
    st.integers(0, 15).flatmap(
        lambda eligible: st.builds(
            Votes, st.integers(0, eligible), st.just(eligible), st.one_of(st.none(), st.integers(0, eligible))
        )
    ),
)


def papers_of(names: tuple[str, ...], on: date) -> list[DocumentRecord]:
    """The papers of a happy-path step (``introducer:NAME`` is an introduction by a full member)."""
    papers = []
    for name in names:
        if name.startswith("introducer:"):
            who = name.split(":", 1)[1]
            since = on.replace(year=on.year - 3, day=min(on.day, 28))
            attributes = {"introducer": who, "full_member": True, "together_since": since.isoformat()}
            papers.append(DocumentRecord("introduction", on, f"GT/{who}", attributes))
        else:
            papers.append(DocumentRecord(name, on, f"{name}/{on.isoformat()}"))
    return papers


class FlowMachine(RuleBasedStateMachine):
    """One candidate, one random life. ``flow`` and ``clock`` are set on the class by the test."""

    flow: AdmissionFlow
    clock: ManualClock

    def __init__(self) -> None:
        super().__init__()
        self.cid = ""
        self.ref = ""
        self.refused = 0
        self.applied = 0

    # ------------------------------------------------------------------ set-up

    @initialize(
        workflow=st.sampled_from(["standard@2021", "standard@2025"]),
        until=st.sampled_from(HAPPY_STATES),
        days_back=st.integers(0, 900),
        org=st.sampled_from(CELLS),
    )
    def enrol(self, workflow: str, until: str, days_back: int, org: str) -> None:
        self.clock.set(NOW)
        self.cid = f"p{next(_ids)}"
        start = NOW.date() - timedelta(days=days_back)
        self.flow.add_candidate(
            id=self.cid,
            org_id=org,
            full_name="Nguyễn Văn An",
            birth_date=date(1995, 5, 15),
            education="university",
            email="an@example.vn",
            workflow=workflow,
            on=start,
        )
        record = drive(self.flow, self.cid, start, until=until)
        self.ref = record.workflow

    # ------------------------------------------------------------------ helpers

    @property
    def spec(self) -> Any:
        return self.flow.workflow(self.ref)

    def latest_day(self) -> date:
        record = self.flow.candidate(self.cid)
        days = [date.fromisoformat(v) for v in record.dates.values()]
        return max(days, default=NOW.date())

    def fire_checked(self, trigger: str, **kwargs: Any) -> None:
        """Fire; if refused, nothing may have changed."""
        record = self.flow.candidate(self.cid)
        before = snapshot(self.flow, record.instance_id)
        try:
            result = self.flow.fire(self.cid, trigger, **kwargs)
        except (TransitionRefused, InvalidInput, NotFound):  # NotFound: an unknown acting_org
            self.refused += 1
            STATS["refused"] = STATS.get("refused", 0) + 1
            after = snapshot(self.flow, record.instance_id)
            assert after == before, f"a refused {trigger!r} wrote something"
            return
        self.applied += 1
        STATS[trigger] = STATS.get(trigger, 0) + 1
        assert result.version == record.version + 1
        assert self.flow.candidate(self.cid).version == record.version + 1

    # ------------------------------------------------------------------ rules

    @rule(data=st.data())
    def fire_an_option(self, data: st.DataObject) -> None:
        """Any trigger the current state offers, allowed or not, with random papers, votes, data and role."""
        role = data.draw(st.sampled_from(ROLES), label="role")
        options = self.flow.options(self.cid, role=role)
        if not options:
            return
        option = data.draw(st.sampled_from(options), label="option")
        anchor = self.latest_day()
        kinds = sorted(self.spec.documents)
        route = next((t for t in self.spec.transitions if t.trigger == option.trigger), None)
        wanted = list(route.requires_documents) if route is not None else []
        chosen = data.draw(st.lists(st.sampled_from(kinds), max_size=3, unique=True), label="kinds")
        on = data.draw(day_near(anchor), label="on")
        documents = [
            DocumentRecord(kind, data.draw(day_near(on, 30), label=f"{kind} issued"), f"{kind}/x")
            for kind in dict.fromkeys([*wanted, *chosen])
            if data.draw(st.booleans(), label=f"attach {kind}") or kind in wanted
        ]
        payload = data.draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "reason": st.sampled_from(["lý do", ""]),
                    "extend_by": st.integers(-3, 40),
                    "to_org": st.sampled_from(ORG_IDS),
                    "helper": st.just("Trần Văn Bình"),
                },
            ),
            label="data",
        )
        acting = None
        power = POWER_OF.get(option.trigger)
        if power and data.draw(st.booleans(), label="competent acting_org"):
            acting = competent_org_for(self.flow, self.flow.candidate(self.cid).org_id, power)
        self.fire_checked(
            option.trigger,
            on=on,
            role=role,
            documents=documents,
            votes=data.draw(votes_strategy, label="votes"),
            data=payload,
            acting_org=acting,
        )

    @rule(data=st.data())
    def happy_step(self, data: st.DataObject) -> None:
        """A step of the happy path from the current state (moves, papers, timers), on a jittered date."""
        record = self.flow.candidate(self.cid)
        steps = [step for step in HAPPY_PATH if step.state == record.state]
        if not steps:
            return
        step = data.draw(st.sampled_from(steps), label="step")
        base = date.fromisoformat(record.dates[step.at]) if step.at and step.at in record.dates else self.latest_day()
        on = base + timedelta(days=step.days + data.draw(st.integers(-3, 3), label="jitter"))
        power = POWER_OF.get(step.trigger)
        self.fire_checked(
            step.trigger,
            on=on,
            role=step.role,
            documents=papers_of(step.documents, on),
            votes=step.votes,
            data=step.data,
            acting_org=competent_org_for(self.flow, record.org_id, power) if power else None,
        )

    @rule(data=st.data())
    def correct_dates(self, data: st.DataObject) -> None:
        route = next((t for t in self.spec.transitions if t.trigger == "correct_dates"), None)
        if route is None:
            return
        record = self.flow.candidate(self.cid)
        names = data.draw(st.lists(st.sampled_from(list(route.corrects)), max_size=2, unique=True), label="dates")
        anchor = self.latest_day()
        corrected = {
            name: data.draw(day_near(date.fromisoformat(record.dates.get(name, anchor.isoformat())), 90), label=name)
            for name in names
        }
        self.fire_checked(
            "correct_dates",
            on=data.draw(day_near(anchor, 10), label="on"),
            role=data.draw(st.sampled_from(["organisation_department", "cell", None]), label="role"),
            data={"reason": "đính chính", **{k: v.isoformat() for k, v in corrected.items()}},
        )

    @rule(data=st.data())
    def extend(self, data: st.DataObject) -> None:
        state = self.flow.candidate(self.cid).state
        triggers = [d.extension.trigger for d in self.spec.deadlines_of(state) if d.extension is not None]
        if not triggers:
            return
        acting = data.draw(st.sampled_from([None, "ks", "st", "nowhere"]), label="acting_org")
        self.fire_checked(
            data.draw(st.sampled_from(triggers), label="trigger"),
            on=data.draw(day_near(self.latest_day(), 20), label="on"),
            role="competent_committee",
            acting_org=acting,
            data={"reason": "gia hạn", "extend_by": data.draw(st.integers(0, 35), label="extend_by")},
        )

    @rule(data=st.data())
    def transfer(self, data: st.DataObject) -> None:
        trigger = data.draw(st.sampled_from(["start_transfer", "complete_transfer"]), label="trigger")
        self.fire_checked(
            trigger,
            on=data.draw(day_near(self.latest_day(), 40), label="on"),
            role=data.draw(st.sampled_from(["cell", "organisation_department"]), label="role"),
            data={"to_org": data.draw(st.sampled_from(ORG_IDS), label="to_org"), "reason": "chuyển"},
        )

    @rule(
        days=st.integers(0, 400),
        hours=st.integers(0, 23),
        twice=st.booleans(),
    )
    def advance_and_sweep(self, days: int, hours: int, twice: bool) -> None:
        self.clock.advance(timedelta(days=days, hours=hours))
        self.flow.sweep()
        if twice:
            self.flow.sweep()  # a repeated sweep at the same moment is harmless

    # ------------------------------------------------------------------ invariants

    @precondition(lambda self: bool(self.cid))
    @invariant()
    def history_length_is_version(self) -> None:
        record = self.flow.candidate(self.cid)
        history = self.flow.history(self.cid)
        assert len(history) == record.version, (len(history), record.version)
        assert [e.seq for e in history] == list(range(1, record.version + 1))

    @precondition(lambda self: bool(self.cid))
    @invariant()
    def no_state_outside_the_workflow(self) -> None:
        record = self.flow.candidate(self.cid)
        states = set(self.flow.workflow(record.workflow).states)
        assert record.state in states
        for event in self.flow.history(self.cid):
            assert event.to_state in states
            assert event.from_state is None or event.from_state in states

    @precondition(lambda self: bool(self.cid))
    @invariant()
    def open_timers_match_the_current_state(self) -> None:
        record = self.flow.candidate(self.cid)
        spec = self.flow.workflow(record.workflow)
        deadlines = {d.id: d for d in spec.deadlines_of(record.state)}
        for open_deadline in self.flow.deadlines(candidate_id=self.cid):
            assert open_deadline.state == record.state, open_deadline
            assert open_deadline.deadline in deadlines, open_deadline
        epoch = _rows(self.flow, select(INSTANCES.c.state_epoch).where(INSTANCES.c.id == record.instance_id))[0]
        pending = _rows(
            self.flow,
            select(TIMERS).where(TIMERS.c.instance_id == record.instance_id, TIMERS.c.status == PENDING),
        )
        for row in pending:
            where = (row["state"], row["state_epoch"], row["deadline_id"], row["rung"])
            assert (row["state"], row["state_epoch"]) == (record.state, epoch["state_epoch"]), where
            assert row["deadline_id"] in deadlines, where
            flag = deadlines[row["deadline_id"]].while_flag
            assert flag is None or flag in record.flags, (where, flag, record.flags)

    @invariant()
    def each_reminder_rung_sent_at_most_once(self) -> None:
        key = (TIMERS.c.instance_id, TIMERS.c.state_epoch, TIMERS.c.deadline_id, TIMERS.c.rung, TIMERS.c.occurrence)
        stmt = (
            select(*key, func.count(OUTBOX.c.id).label("n"))
            .select_from(OUTBOX.join(TIMERS, TIMERS.c.id == OUTBOX.c.timer_id))
            .group_by(*key)
            .having(func.count(OUTBOX.c.id) > 1)
        )
        assert _rows(self.flow, stmt) == []


def test_random_lives_keep_the_invariants(shared_flow: tuple[AdmissionFlow, ManualClock]) -> None:
    FlowMachine.flow, FlowMachine.clock = shared_flow
    STATS.clear()
    run_state_machine_as_test(
        FlowMachine,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            database=None,
        ),
    )
    # Not vacuous: some events were applied, some refused, and the sweeps sent reminders.
    flow = shared_flow[0]
    with flow.store.engine.connect() as conn:
        messages = int(conn.execute(select(func.count()).select_from(OUTBOX)).scalar_one())
    assert STATS.get("refused", 0) > 0 and sum(STATS.values()) > STATS.get("refused", 0), STATS
    assert messages > 0

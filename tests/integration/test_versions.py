"""Workflow versions on both databases: pinned instances, explicit migration between versions, and transfers.

A candidate runs on the workflow version (and content hash) it started on. Editing that file without a new
version refuses the candidate's events (``WorkflowChanged``) until the file is restored; a new version file
leaves running candidates alone. ``migrate`` moves candidates on purpose, reporting first (dry run) and then
applying exactly what it reported, one audited ``migrate_workflow`` event per candidate.

Each test works on its own copy of ``workflows/`` (or on a small pair of workflows written for it), and builds
a new AdmissionFlow on the same database whenever the files change, as a restarted process would.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from helpers import INSTANCES, WORKFLOWS, event_rows, migrated_flow, rows_per_table, snapshot
from sqlalchemy import select

from admission_flow.domain import stored as t
from admission_flow.domain.values import DocumentRecord
from admission_flow.errors import InvalidInput, NotFound, TransitionRefused, WorkflowChanged
from admission_flow.flow import AdmissionFlow
from admission_flow.migration import MIGRATE_TRIGGER, migrate
from admission_flow.store.schema import Outbox, Timer, table
from admission_flow.testing import ManualClock
from admission_flow.testing.scenario import add_sample_orgs, drive

VN = ZoneInfo("Asia/Ho_Chi_Minh")
TIMERS, OUTBOX = table(Timer), table(Outbox)
START = date(2025, 1, 1)  # drive() from here: awaiting_admission_decision on 2025-06-02, ceremony 2025-06-20
OLD, NEW = "standard@2021", "standard@2025"
SYMPATHISER_LABEL = "sympathizer: {label: {vi: Cảm tình Đảng, en: Party sympathiser}}"

MINI_1 = """\
id: mini
version: "1"
title: {vi: Quy trình thử, en: Trial procedure}
initial: a
roles:
  cell: {vi: Chi bộ, en: Party cell}
states:
  a: {label: {vi: Bước A, en: Step A}}
  b: {label: {vi: Bước B, en: Step B}}
  c: {label: {vi: Bước C, en: Step C}}
  done: {final: true, label: {vi: Xong, en: Done}}
transitions:
  - {trigger: go_b, source: a, dest: b, roles: [cell]}
  - {trigger: go_c, source: b, dest: c, roles: [cell]}
  - {trigger: finish, source: c, dest: done, roles: [cell]}
"""
MINI_2 = """\
id: mini
version: "2"
extends: mini@1
remove: {states: [b], transitions: [go_b, go_c]}
transitions:
  - {trigger: go_c, source: a, dest: c, roles: [cell]}
migrations:
  - from: mini@1
"""
MINI_3 = """\
id: mini
version: "3"
extends: mini@2
migrations:
  - from: mini@1
    states: {b: c}
"""


# -------------------------------------------------------------------- fixtures and helpers


@pytest.fixture
def open_flows(database_url: str, clock: ManualClock) -> Iterator[Callable[[Path], AdmissionFlow]]:
    """Build AdmissionFlows on the test database (each reads its workflows folder afresh); closed at the end."""
    opened: list[AdmissionFlow] = []

    def open_on(folder: Path) -> AdmissionFlow:
        flow = migrated_flow(database_url, clock, folder)
        opened.append(flow)
        return flow

    yield open_on
    for flow in opened:
        assert flow.store.connections.in_use() == 0, "a connection was not returned to the pool"
        flow.close()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A copy of the shipped workflows/ folder that a test may edit."""
    return Path(shutil.copytree(WORKFLOWS, tmp_path / "workflows"))


@pytest.fixture
def flow(open_flows: Callable[[Path], AdmissionFlow], folder: Path, clock: ManualClock) -> AdmissionFlow:
    """The copied workflows, the sample organisation tree, and the clock a month before the paper dates."""
    clock.set(local(START - timedelta(days=30), 9))
    flow = open_flows(folder)
    add_sample_orgs(flow)
    return flow


def local(day: date, hour: int = 0, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=VN)


def paper_day(clock: ManualClock, day: date) -> None:
    """The clock shows 09:00 local on ``day`` (it never goes back)."""
    clock.set(max(clock.now(), local(day, 9)))


def enrol(flow: AdmissionFlow, cid: str, workflow: str = OLD, org_id: str = "ks.anmy.ap1", **fields: Any) -> None:
    values: dict[str, Any] = {"full_name": f"Nguyễn Văn {cid}", "birth_date": date(1995, 5, 15)}
    flow.add_candidate(id=cid, org_id=org_id, workflow=workflow, education="university", **(values | fields))


def at_state(flow: AdmissionFlow, cid: str, state: str | None, workflow: str = OLD, **fields: Any) -> None:
    """Enrol ``cid`` on ``workflow`` and drive it to ``state`` (None: to the end of the happy path)."""
    enrol(flow, cid, workflow, **fields)
    assert drive(flow, cid, START, until=state).state == (state or "full_member")


def last_on(flow: AdmissionFlow, cid: str) -> date:
    return flow.history(cid)[-1].occurred_on


def timers_of(flow: AdmissionFlow, cid: str) -> list[dict[str, Any]]:
    ids = select(INSTANCES.c.id).where(INSTANCES.c.candidate_id == cid)
    stmt = select(TIMERS).where(TIMERS.c.instance_id.in_(ids)).order_by(TIMERS.c.id)
    with flow.store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]


def live_timers(flow: AdmissionFlow, cid: str) -> dict[tuple[str, int], tuple[Any, ...]]:
    """(deadline, rung) → (due_on, fire_at) of the pending timers."""
    return {
        (r["deadline_id"], r["rung"]): (r["due_on"], r["fire_at"])
        for r in timers_of(flow, cid)
        if r["status"] == t.PENDING
    }


def outbox_rows(flow: AdmissionFlow) -> list[dict[str, Any]]:
    with flow.store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(OUTBOX).order_by(OUTBOX.c.id))]


def sent_rungs(flow: AdmissionFlow, cid: str) -> list[tuple[str, int, date]]:
    """(deadline, rung, due_on) of every outbox message written for ``cid``'s timers, oldest first."""
    timers = {r["id"]: r for r in timers_of(flow, cid)}
    return [
        (timers[m["timer_id"]]["deadline_id"], timers[m["timer_id"]]["rung"], timers[m["timer_id"]]["due_on"])
        for m in outbox_rows(flow)
        if m["timer_id"] in timers
    ]


def pending_fire_at(flow: AdmissionFlow, cid: str, deadline: str, rung: int) -> datetime:
    fire_at: datetime = live_timers(flow, cid)[(deadline, rung)][1]
    return fire_at


def sweep_at(flow: AdmissionFlow, clock: ManualClock, instant: datetime) -> None:
    clock.set(max(clock.now(), instant))
    flow.sweep()


def untouched(flow: AdmissionFlow, cid: str) -> dict[str, Any]:
    """What a migration could write for ``cid``: its instance, events, documents and timers."""
    found = snapshot(flow, cid)
    del found["rows_per_table"]  # other candidates may move
    return found | {"timers": timers_of(flow, cid)}


def write_mini(folder: Path, *texts: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, text in enumerate(texts, start=1):
        (folder / f"mini-{i}.yaml").write_text(text, encoding="utf-8")
    return folder


# -------------------------------------------------------------------- pinned instances


def test_editing_a_version_in_place_refuses_the_candidates_pinned_to_it_and_writes_nothing(
    open_flows: Callable[[Path], AdmissionFlow], flow: AdmissionFlow, folder: Path
) -> None:
    enrol(flow, "an")
    pinned_hash = flow.candidate("an").workflow_hash
    file = folder / "standard-2021.yaml"
    original = file.read_text(encoding="utf-8")
    assert original.count(SYMPATHISER_LABEL) == 1
    file.write_text(original.replace("en: Party sympathiser}", "en: Party sympathizer}"), encoding="utf-8")

    edited = open_flows(folder)
    before = snapshot(edited, "an")
    with pytest.raises(WorkflowChanged) as raised:
        edited.fire("an", "admit_to_sympathizer_list", on=START, role="cell")

    changed = raised.value
    assert (changed.exit_code, changed.code, changed.workflow) == (4, "workflow_changed", OLD)
    assert changed.pinned_hash == pinned_hash
    assert changed.current_hash == edited.catalog.resolve(OLD).content_hash != pinned_hash
    assert snapshot(edited, "an") == before
    with pytest.raises(WorkflowChanged):
        edited.options("an", role="cell")


def test_restoring_the_edited_file_lets_the_pinned_candidate_go_on(
    open_flows: Callable[[Path], AdmissionFlow], flow: AdmissionFlow, folder: Path
) -> None:
    enrol(flow, "an")
    file = folder / "standard-2021.yaml"
    original = file.read_text(encoding="utf-8")
    file.write_text(original.replace("en: Party sympathiser}", "en: Party sympathizer}"), encoding="utf-8")
    with pytest.raises(WorkflowChanged):
        open_flows(folder).fire("an", "admit_to_sympathizer_list", on=START, role="cell")

    file.write_text(original, encoding="utf-8")
    restored = open_flows(folder)
    result = restored.fire("an", "admit_to_sympathizer_list", on=START, role="cell")

    assert (result.to_state, result.version) == ("sympathizer", 2)
    assert restored.history("an")[-1].workflow_hash == restored.candidate("an").workflow_hash


def test_a_layout_only_edit_keeps_the_hash_and_the_pinned_candidate_runs(
    open_flows: Callable[[Path], AdmissionFlow], flow: AdmissionFlow, folder: Path
) -> None:
    enrol(flow, "an")
    file = folder / "standard-2021.yaml"
    file.write_text("# reviewed 2026\n" + file.read_text(encoding="utf-8"), encoding="utf-8")

    assert open_flows(folder).fire("an", "admit_to_sympathizer_list", on=START, role="cell").to_state == "sympathizer"


def test_editing_the_base_also_refuses_candidates_on_variants_that_extend_it(
    open_flows: Callable[[Path], AdmissionFlow], flow: AdmissionFlow, folder: Path
) -> None:
    enrol(flow, "an", "students@2025")
    file = folder / "standard-2021.yaml"
    file.write_text(
        file.read_text(encoding="utf-8").replace("en: Party sympathiser}", "en: Party sympathizer}"), encoding="utf-8"
    )

    edited = open_flows(folder)
    with pytest.raises(WorkflowChanged) as raised:
        edited.fire("an", "admit_to_sympathizer_list", on=START, role="cell")
    assert raised.value.workflow == "students@2025"


def test_a_sweep_after_an_in_place_edit_fails_the_pinned_candidate_timers_instead_of_crashing(
    open_flows: Callable[[Path], AdmissionFlow], flow: AdmissionFlow, folder: Path, clock: ManualClock
) -> None:
    at_state(flow, "dec", "awaiting_admission_decision")
    due = pending_fire_at(flow, "dec", "admission_decision", 1)
    file = folder / "standard-2021.yaml"
    inline = "      - id: admission_decision\n        label: {vi: Cấp có thẩm quyền xét"
    text = file.read_text(encoding="utf-8")
    assert text.count(inline) == 1  # the awaiting_admission_decision state's own copy of the deadline
    file.write_text(text.replace(inline, inline.replace("admission_decision", "decision_limit", 1)), encoding="utf-8")
    edited = open_flows(folder)
    clock.set(due)

    edited.sweep()

    # The current state's copy of the deadline (earlier states had their own, cancelled when the candidate moved on).
    reminder = [r for r in timers_of(edited, "dec") if (r["deadline_id"], r["rung"]) == ("admission_decision", 1)][-1]
    assert reminder["status"] == t.FAILED
    assert "changed since this candidate started" in reminder["outcome"]
    assert sent_rungs(edited, "dec") == []


def test_timers_failed_by_an_in_place_edit_are_sent_once_retried_after_the_file_is_restored(
    open_flows: Callable[[Path], AdmissionFlow], flow: AdmissionFlow, folder: Path, clock: ManualClock
) -> None:
    at_state(flow, "dec", "awaiting_admission_decision")
    due = pending_fire_at(flow, "dec", "admission_decision", 1)
    file = folder / "standard-2021.yaml"
    original = file.read_text(encoding="utf-8")
    file.write_text(original.replace("en: Party sympathiser}", "en: Party sympathizer}"), encoding="utf-8")
    clock.set(due)
    open_flows(folder).sweep()
    failed = [r for r in timers_of(flow, "dec") if r["status"] == t.FAILED]
    assert [(r["deadline_id"], r["rung"]) for r in failed] == [("admission_decision", 1)]

    file.write_text(original, encoding="utf-8")
    restored = open_flows(folder)
    with pytest.raises(NotFound):
        restored.retry_timers("nobody")
    assert restored.retry_timers("dec") == 1
    assert restored.retry_timers() == 0  # nothing failed is left
    report = restored.sweep()

    assert (report.claimed, report.messages, report.failed) == (1, 1, 0)
    assert sent_rungs(restored, "dec") == [("admission_decision", 1, failed[0]["due_on"])]
    again = next(r for r in timers_of(restored, "dec") if r["id"] == failed[0]["id"])
    assert (again["status"], again["outcome"]) == (t.DONE, "reminder deadline_reminder")


def test_a_new_version_file_leaves_pinned_candidates_alone_while_new_ones_can_start_on_it(
    open_flows: Callable[[Path], AdmissionFlow], flow: AdmissionFlow, folder: Path
) -> None:
    enrol(flow, "an")
    pinned_hash = flow.candidate("an").workflow_hash
    text = (folder / "standard-2021.yaml").read_text(encoding="utf-8")
    (folder / "standard-2022.yaml").write_text(
        text.replace('version: "2021"', 'version: "2022"').replace(
            "en: Party sympathiser}", "en: Sympathiser of the Party}"
        ),
        encoding="utf-8",
    )

    later = open_flows(folder)
    later.fire("an", "admit_to_sympathizer_list", on=START, role="cell")
    enrol(later, "binh", "standard@2022")
    later.fire("binh", "admit_to_sympathizer_list", on=START, role="cell")

    an, binh = later.candidate("an"), later.candidate("binh")
    assert (an.workflow, an.workflow_hash, an.state) == (OLD, pinned_hash, "sympathizer")
    assert {e.workflow_hash for e in later.history("an")} == {pinned_hash}
    new_hash = later.catalog.resolve("standard@2022").content_hash
    assert new_hash != pinned_hash
    assert (binh.workflow, binh.workflow_hash, binh.state) == ("standard@2022", new_hash, "sympathizer")
    assert later.catalog.resolve("standard@2022").spec.states["sympathizer"].label.en == "Sympathiser of the Party"
    assert later.catalog.resolve(OLD).spec.states["sympathizer"].label.en == "Party sympathiser"


# -------------------------------------------------------------------- migration: report, then apply


def cohort(flow: AdmissionFlow) -> dict[str, str | None]:
    """Candidates on standard@2021 in several states, one already finished, one started on 2025."""
    states: dict[str, str | None] = {
        "sym": "sympathizer",
        "dos": "dossier_in_progress",
        "dec": "awaiting_admission_decision",
        "pro": "probationary",
        "fin": None,
    }
    for cid, state in states.items():
        at_state(flow, cid, state)
    enrol(flow, "new", NEW)
    return states


def test_a_dry_run_reports_every_running_candidate_and_changes_nothing(flow: AdmissionFlow) -> None:
    cohort(flow)
    tables = rows_per_table(flow)

    items = migrate(flow, OLD, NEW, dry_run=True)

    assert sorted((i.candidate_id, i.from_state, i.to_state, i.reason) for i in items) == [
        ("dec", "awaiting_admission_decision", "awaiting_admission_decision", None),
        ("dos", "dossier_in_progress", "dossier_in_progress", None),
        ("pro", "probationary", "probationary", None),
        ("sym", "sympathizer", "sympathizer", None),
    ]
    assert all(i.mappable and i.org_id == "ks.anmy.ap1" for i in items)
    assert rows_per_table(flow) == tables
    assert {c.id: c.workflow for c in flow.candidates()} == {
        "sym": OLD,
        "dos": OLD,
        "dec": OLD,
        "pro": OLD,
        "fin": OLD,
        "new": NEW,
    }


def test_applying_a_migration_does_exactly_what_the_dry_run_reported(flow: AdmissionFlow) -> None:
    cohort(flow)
    events_before = {c.id: len(flow.history(c.id)) for c in flow.candidates()}

    planned = migrate(flow, OLD, NEW, dry_run=True)
    applied = migrate(flow, OLD, NEW, dry_run=False)

    assert applied == planned
    new_hash = flow.catalog.resolve(NEW).content_hash
    old_hash = flow.catalog.resolve(OLD).content_hash
    for item in applied:
        record = flow.candidate(item.candidate_id)
        assert (record.workflow, record.workflow_hash, record.state) == (NEW, new_hash, item.from_state)
        history = flow.history(item.candidate_id)
        assert len(history) == events_before[item.candidate_id] + 1
        event = history[-1]
        assert [e.trigger for e in history].count(MIGRATE_TRIGGER) == 1
        assert (event.trigger, event.from_state, event.to_state, event.actor) == (
            MIGRATE_TRIGGER,
            item.from_state,
            item.to_state,
            "migration",
        )
        assert event.payload == {"from": OLD, "to": NEW, "from_hash": old_hash, "to_hash": new_hash}
        assert (event.workflow, event.workflow_hash) == (NEW, new_hash)
        assert (event.seq, record.version) == (len(history), len(history))
    assert flow.candidate("fin").workflow == OLD  # finished: not migrated
    assert len(flow.history("fin")) == events_before["fin"]


def test_a_second_dry_run_after_the_migration_finds_nobody(flow: AdmissionFlow) -> None:
    cohort(flow)
    migrate(flow, OLD, NEW, dry_run=False)

    assert migrate(flow, OLD, NEW, dry_run=True) == []
    assert migrate(flow, OLD, NEW, dry_run=False) == []


def test_a_migrated_candidate_runs_under_the_new_rules(flow: AdmissionFlow) -> None:
    at_state(flow, "dec", "awaiting_admission_decision")
    on = last_on(flow, "dec") + timedelta(days=20)
    migrate(flow, OLD, NEW, dry_run=False)
    decision = [DocumentRecord("admission_decision", on, "QĐ/dec")]

    with pytest.raises(TransitionRefused) as raised:
        flow.fire("dec", "decide_admission", on=on, role="competent_committee", documents=decision)
    assert [r.code for r in raised.value.reasons] == ["not_competent_authority"]

    result = flow.fire(
        "dec", "decide_admission", on=on, role="competent_committee", documents=decision, acting_org="ks"
    )
    assert result.to_state == "awaiting_ceremony"
    assert flow.history("dec")[-1].workflow == NEW


def test_a_migration_limited_to_an_organisation_moves_only_candidates_under_it(flow: AdmissionFlow) -> None:
    enrol(flow, "ap1", org_id="ks.anmy.ap1")
    enrol(flow, "ap2", org_id="ks.anmy.ap2")
    enrol(flow, "toan", org_id="ks.thpt.gv.toan")

    planned = migrate(flow, OLD, NEW, org_id="ks.anmy", dry_run=True)
    applied = migrate(flow, OLD, NEW, org_id="ks.anmy", dry_run=False)

    assert sorted(i.candidate_id for i in planned) == ["ap1", "ap2"]
    assert applied == planned
    assert {c.id: c.workflow for c in flow.candidates()} == {"ap1": NEW, "ap2": NEW, "toan": OLD}
    assert [i.candidate_id for i in migrate(flow, OLD, NEW, dry_run=True)] == ["toan"]


def test_a_migration_the_target_does_not_declare_is_invalid_input(flow: AdmissionFlow) -> None:
    enrol(flow, "an", NEW)

    with pytest.raises(InvalidInput, match="declares no migration from standard@2025"):
        migrate(flow, NEW, OLD, dry_run=True)
    assert flow.candidate("an").workflow == NEW


def test_a_migration_refuses_candidates_whose_version_was_edited_in_place(
    open_flows: Callable[[Path], AdmissionFlow], flow: AdmissionFlow, folder: Path
) -> None:
    enrol(flow, "an")
    file = folder / "standard-2021.yaml"
    file.write_text(
        file.read_text(encoding="utf-8").replace("en: Party sympathiser}", "en: Party sympathizer}"), encoding="utf-8"
    )
    edited = open_flows(folder)
    before = snapshot(edited, "an")

    with pytest.raises(WorkflowChanged):
        migrate(edited, OLD, NEW, dry_run=False)
    assert snapshot(edited, "an") == before


# -------------------------------------------------------------------- migration: unmappable and mapped states


def test_a_candidate_in_a_state_that_disappears_without_mapping_is_reported_and_left_untouched(
    open_flows: Callable[[Path], AdmissionFlow], tmp_path: Path
) -> None:
    mini = open_flows(write_mini(tmp_path / "mini", MINI_1, MINI_2))
    add_sample_orgs(mini)
    for cid in ("in_a", "in_b"):
        enrol(mini, cid, "mini@1")
    mini.fire("in_b", "go_b", on=START, role="cell")
    before = untouched(mini, "in_b")

    planned = migrate(mini, "mini@1", "mini@2", dry_run=True)
    applied = migrate(mini, "mini@1", "mini@2", dry_run=False)

    assert applied == planned
    by_id = {i.candidate_id: i for i in applied}
    assert (by_id["in_a"].to_state, by_id["in_a"].reason) == ("a", None)
    unmapped = by_id["in_b"]
    assert (unmapped.mappable, unmapped.from_state, unmapped.to_state) == (False, "b", None)
    assert unmapped.reason == "state 'b' does not exist in mini@2 and the migration maps it nowhere"
    assert untouched(mini, "in_b") == before
    assert mini.candidate("in_a").workflow == "mini@2"
    assert [i.candidate_id for i in migrate(mini, "mini@1", "mini@2", dry_run=True)] == ["in_b"]


def test_a_mapped_state_moves_the_candidate_to_its_new_name(
    open_flows: Callable[[Path], AdmissionFlow], tmp_path: Path
) -> None:
    mini = open_flows(write_mini(tmp_path / "mini", MINI_1, MINI_2, MINI_3))
    add_sample_orgs(mini)
    enrol(mini, "in_b", "mini@1")
    mini.fire("in_b", "go_b", on=START, role="cell")

    (item,) = migrate(mini, "mini@1", "mini@3", dry_run=False)

    assert (item.from_state, item.to_state) == ("b", "c")
    record = mini.candidate("in_b")
    assert (record.workflow, record.state) == ("mini@3", "c")
    event = mini.history("in_b")[-1]
    assert (event.trigger, event.from_state, event.to_state) == (MIGRATE_TRIGGER, "b", "c")
    assert mini.fire("in_b", "finish", on=START, role="cell").to_state == "done"


# -------------------------------------------------------------------- migration and reminders


def decision_pending(flow: AdmissionFlow, clock: ManualClock, cid: str = "dec") -> None:
    """``cid`` awaits the admission decision on standard@2021, with its three timers ahead of the clock."""
    at_state(flow, cid, "awaiting_admission_decision")
    assert set(live_timers(flow, cid)) == {
        ("admission_decision", 0),
        ("admission_decision", 1),
        ("admission_decision", 2),
    }


def test_a_reminder_sent_before_the_migration_is_not_sent_again(flow: AdmissionFlow, clock: ManualClock) -> None:
    decision_pending(flow, clock)
    first, second = (pending_fire_at(flow, "dec", "admission_decision", r) for r in (1, 2))
    sweep_at(flow, clock, first)
    assert [(d, r) for d, r, _ in sent_rungs(flow, "dec")] == [("admission_decision", 1)]

    (item,) = migrate(flow, OLD, NEW, dry_run=False)
    assert item.reminders_skipped == ["admission_decision#1"]
    assert sorted(item.timers_carried) == ["admission_decision", "admission_decision#2"]
    flow.sweep()
    assert [(d, r) for d, r, _ in sent_rungs(flow, "dec")] == [("admission_decision", 1)]

    sweep_at(flow, clock, second)
    rungs = sent_rungs(flow, "dec")
    assert [(d, r) for d, r, _ in rungs] == [("admission_decision", 1), ("admission_decision", 2)]
    assert rungs[0][2] == rungs[1][2]  # the same due date: nothing moved


def test_an_escalation_sent_before_the_migration_is_not_sent_again(flow: AdmissionFlow, clock: ManualClock) -> None:
    decision_pending(flow, clock)
    due = pending_fire_at(flow, "dec", "admission_decision", 0)
    sweep_at(flow, clock, due)
    sent = sent_rungs(flow, "dec")
    assert sorted((d, r) for d, r, _ in sent) == [
        ("admission_decision", 0),
        ("admission_decision", 1),
        ("admission_decision", 2),
    ]

    (item,) = migrate(flow, OLD, NEW, dry_run=False)
    flow.sweep()
    sweep_at(flow, clock, due + timedelta(days=30))

    assert sorted(item.reminders_skipped) == ["admission_decision", "admission_decision#1", "admission_decision#2"]
    assert sent_rungs(flow, "dec") == sent
    assert all(r["status"] != t.PENDING for r in timers_of(flow, "dec"))


def test_a_reminder_swept_with_a_later_instant_than_the_clock_is_not_sent_again(
    flow: AdmissionFlow, clock: ManualClock
) -> None:
    decision_pending(flow, clock)
    first = pending_fire_at(flow, "dec", "admission_decision", 1)
    flow.sweep(first)  # the worker's instant is ahead of the clock used by the migration

    migrate(flow, OLD, NEW, dry_run=False)
    sweep_at(flow, clock, first)

    assert [(d, r) for d, r, _ in sent_rungs(flow, "dec")] == [("admission_decision", 1)]
    skipped = [r for r in timers_of(flow, "dec") if r["outcome"] == "already sent before the migration"]
    assert [(r["deadline_id"], r["rung"], r["status"]) for r in skipped] == [("admission_decision", 1, t.SKIPPED)]


def test_a_reminder_due_but_not_yet_swept_is_carried_over_as_the_report_says(
    flow: AdmissionFlow, clock: ManualClock
) -> None:
    decision_pending(flow, clock)
    first = pending_fire_at(flow, "dec", "admission_decision", 1)
    clock.set(first + timedelta(hours=1))  # due an hour ago; the worker has not swept yet

    (item,) = migrate(flow, OLD, NEW, dry_run=False)
    assert "admission_decision#1" in item.timers_carried
    flow.sweep()

    assert [(d, r) for d, r, _ in sent_rungs(flow, "dec")] == [("admission_decision", 1)]


def test_a_deadline_already_satisfied_by_its_done_by_event_is_not_projected_again(
    flow: AdmissionFlow, clock: ManualClock
) -> None:
    at_state(flow, "pro", "probationary")
    on = last_on(flow, "pro") + timedelta(days=5)
    flow.fire("pro", "file_member_records", on=on, role="candidate", documents=[DocumentRecord("member_records", on)])
    assert not [key for key in live_timers(flow, "pro") if key[0] == "member_records"]

    (item,) = migrate(flow, OLD, NEW, dry_run=False)

    assert not [name for name in item.reminders_scheduled if name.startswith("member_records")]
    assert not [key for key in live_timers(flow, "pro") if key[0] == "member_records"]


def test_pending_timers_keep_their_moments_across_the_migration(flow: AdmissionFlow, clock: ManualClock) -> None:
    at_state(flow, "pro", "probationary")
    before = live_timers(flow, "pro")

    (item,) = migrate(flow, OLD, NEW, dry_run=False)

    assert live_timers(flow, "pro") == before
    assert sorted(item.timers_carried) == sorted(k if r == 0 else f"{k}#{r}" for k, r in before)
    epochs = {r["state_epoch"] for r in timers_of(flow, "pro") if r["status"] == t.PENDING}
    assert epochs == {flow.candidate("pro").version}


# -------------------------------------------------------------------- transfers on the standard workflow


def probationer(flow: AdmissionFlow, clock: ManualClock, cid: str = "an") -> date:
    """``cid`` on the newest standard version, probationary; returns the day to start a transfer on."""
    enrol(flow, cid, NEW)  # named: a bare "standard" picks the version in force on the (2025) paper date
    assert flow.candidate(cid).workflow == NEW
    assert drive(flow, cid, START, until="probationary").state == "probationary"
    day = last_on(flow, cid) + timedelta(days=10)
    paper_day(clock, day)
    return day


def start_transfer(flow: AdmissionFlow, day: date, cid: str = "an") -> None:
    flow.fire(cid, "start_transfer", on=day, role="cell", data={"to_org": "ks.anmy.ap2", "reason": "chuyển nơi cư trú"})


def test_a_probationer_transfer_keeps_probation_and_its_timers_and_runs_its_own_deadline(
    flow: AdmissionFlow, clock: ManualClock
) -> None:
    day = probationer(flow, clock)
    record = flow.candidate("an")
    probation = {k: v for k, v in live_timers(flow, "an").items() if k[0] != "transfer_arrival"}
    assert ("probation_end", 0) in probation

    start_transfer(flow, day)

    started = flow.candidate("an")
    assert (started.state, started.org_id, started.dates["transfer_started_on"]) == (
        "probationary",
        "ks.anmy.ap1",
        day.isoformat(),
    )
    assert "transfer_in_progress" in started.flags
    arrival = {k: v for k, v in live_timers(flow, "an").items() if k[0] == "transfer_arrival"}
    assert {k: v[0] for k, v in arrival.items()} == {
        ("transfer_arrival", 0): day + timedelta(days=30),
        ("transfer_arrival", 1): day + timedelta(days=30),
    }

    arrived = day + timedelta(days=12)
    flow.fire("an", "complete_transfer", on=arrived, role="cell", data={"to_org": "ks.anmy.ap2"})

    done = flow.candidate("an")
    assert (done.state, done.org_id, done.dates["transfer_completed_on"]) == (
        "probationary",
        "ks.anmy.ap2",
        arrived.isoformat(),
    )
    assert done.dates["probation_end_on"] == record.dates["probation_end_on"]
    assert "transfer_in_progress" not in done.flags
    assert live_timers(flow, "an") == probation
    cancelled = [r for r in timers_of(flow, "an") if r["deadline_id"] == "transfer_arrival"]
    assert {(r["rung"], r["status"], r["outcome"]) for r in cancelled} == {
        (0, t.CANCELLED, "done: complete_transfer"),
        (1, t.CANCELLED, "done: complete_transfer"),
    }
    assert flow.history("an")[-1].payload == {"to_org": "ks.anmy.ap2", "from_org": "ks.anmy.ap1"}


@pytest.mark.parametrize("target", ["ks.anmy", "ks.anmy.ap1", "nowhere"], ids=["committee", "same-cell", "unknown"])
def test_completing_a_transfer_to_a_non_cell_or_the_same_cell_is_refused_and_writes_nothing(
    flow: AdmissionFlow, clock: ManualClock, target: str
) -> None:
    day = probationer(flow, clock)
    start_transfer(flow, day)
    before = snapshot(flow, "an")

    with pytest.raises(TransitionRefused) as raised:
        flow.fire("an", "complete_transfer", on=day + timedelta(days=5), role="cell", data={"to_org": target})

    assert [(r.code, r.values["to_org"]) for r in raised.value.reasons] == [("transfer_destination_invalid", target)]
    assert snapshot(flow, "an") == before


def test_a_transfer_cannot_complete_before_it_started(flow: AdmissionFlow, clock: ManualClock) -> None:
    day = probationer(flow, clock)

    with pytest.raises(TransitionRefused) as raised:
        flow.fire("an", "complete_transfer", on=day, role="cell", data={"to_org": "ks.anmy.ap2"})

    assert "flag_missing" in [r.code for r in raised.value.reasons]
    assert flow.candidate("an").org_id == "ks.anmy.ap1"
    assert not [r for r in timers_of(flow, "an") if r["deadline_id"] == "transfer_arrival"]


def test_the_event_log_keeps_one_row_per_transfer_step(flow: AdmissionFlow, clock: ManualClock) -> None:
    day = probationer(flow, clock)
    count = len(event_rows(flow, "an"))

    start_transfer(flow, day)
    flow.fire("an", "complete_transfer", on=day + timedelta(days=3), role="cell", data={"to_org": "ks.anmy.ap2"})

    rows = event_rows(flow, "an")
    assert [r["trigger"] for r in rows[count:]] == ["start_transfer", "complete_transfer"]
    assert [r["org_id"] for r in rows[count:]] == ["ks.anmy.ap1", "ks.anmy.ap1"]


def test_a_second_transfer_in_the_same_state_runs_its_own_arrival_deadline_and_reminds_again(
    flow: AdmissionFlow, clock: ManualClock
) -> None:
    day = probationer(flow, clock)
    start_transfer(flow, day)
    first = {r["rung"]: r for r in timers_of(flow, "an") if r["deadline_id"] == "transfer_arrival"}
    clock.set(first[1]["fire_at"])
    flow.sweep()
    assert arrivals_sent(flow) == [day + timedelta(days=30)]  # the first transfer's reminder, 10 days before
    flow.fire("an", "complete_transfer", on=day + timedelta(days=25), role="cell", data={"to_org": "ks.anmy.ap2"})

    again = day + timedelta(days=60)
    paper_day(clock, again)
    flow.fire("an", "start_transfer", on=again, role="cell", data={"to_org": "ks.anmy.ap1", "reason": "về lại"})

    arrival = sorted(
        (r["occurrence"], r["rung"], r["status"], r["due_on"])
        for r in timers_of(flow, "an")
        if r["deadline_id"] == "transfer_arrival"
    )
    assert arrival == [
        (1, 0, t.CANCELLED, day + timedelta(days=30)),
        (1, 1, t.DONE, day + timedelta(days=30)),
        (2, 0, t.PENDING, again + timedelta(days=30)),
        (2, 1, t.PENDING, again + timedelta(days=30)),
    ]
    second = next(
        r for r in timers_of(flow, "an") if (r["deadline_id"], r["rung"], r["occurrence"]) == ("transfer_arrival", 1, 2)
    )
    clock.set(second["fire_at"])
    flow.sweep()
    flow.sweep()
    assert arrivals_sent(flow) == [day + timedelta(days=30), again + timedelta(days=30)]  # its own, once


def arrivals_sent(flow: AdmissionFlow) -> list[date]:
    return [due for deadline, _, due in sent_rungs(flow, "an") if deadline == "transfer_arrival"]

"""Durable time on both databases: timers projected with each event, the sweep that claims them when due, the
outbox it fills, and the listings of deadlines and upcoming reminders.

Paper dates follow the worked example of the domain document (§6.5): decision received 26/8/2024, ceremony
15/9/2024, probation ending 15/9/2025. The ManualClock is moved along paper time so that what is projected is
still ahead of "now", except in the tests about history typed in late. Messages go to an in-memory notifier.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from helpers import INSTANCES, open_flow, snapshot
from sqlalchemy import func, insert, select, text

from admission_flow.domain import stored as t
from admission_flow.domain.values import DocumentRecord
from admission_flow.errors import TransitionRefused
from admission_flow.flow import AdmissionFlow
from admission_flow.notify import OutgoingMail
from admission_flow.services.sweep_plans import context
from admission_flow.settings import Settings
from admission_flow.store.schema import Outbox, Timer, table
from admission_flow.testing import ManualClock
from admission_flow.testing.scenario import add_sample_orgs, drive

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
VN = ZoneInfo("Asia/Ho_Chi_Minh")
TIMERS, OUTBOX = table(Timer), table(Outbox)
MICROSECOND = timedelta(microseconds=1)
STANDARD = "standard@2021"  # the deadlines under test are those of the 2021 rules

START = date(2024, 3, 1)  # drive() from here reaches awaiting_admission_decision on 9/7/2024 (cell vote 27/6/2024)
DECIDED = date(2024, 8, 25)
RECEIVED = date(2024, 8, 26)  # ceremony limit: 9/10/2024
CEREMONY = date(2024, 9, 15)  # probation ends 15/9/2025; member records due 25/10/2024


class RecordingNotifier:
    """Keeps every message it is asked to send; sends nothing."""

    def __init__(self) -> None:
        self.sent: list[OutgoingMail] = []

    def send(self, mail: OutgoingMail) -> None:
        self.sent.append(mail)


@pytest.fixture
def mail() -> RecordingNotifier:
    return RecordingNotifier()


def flow_with_mail(url: str, clock: ManualClock, notifier: RecordingNotifier, workflows: Path = WORKFLOWS) -> Any:
    flow = AdmissionFlow(Settings(database_url=url, workflows_dir=workflows), clock=clock, notifier=notifier)
    flow.upgrade_database()
    add_sample_orgs(flow)
    return flow


@pytest.fixture
def timed(database_url: str, clock: ManualClock, mail: RecordingNotifier) -> Iterator[AdmissionFlow]:
    """The shipped workflows, the sample organisation tree with its contacts, and the recording notifier."""
    flow = flow_with_mail(database_url, clock, mail)
    yield flow
    assert flow.store.connections.in_use() == 0, "a connection was not returned to the pool"
    flow.close()


# -------------------------------------------------------------------- helpers


def local(day: date, hour: int = 0, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=VN)


def paper_day(clock: ManualClock, day: date) -> None:
    """The clock shows 09:00 local on ``day`` (it never goes back)."""
    clock.set(max(clock.now(), local(day, 9)))


def enrol(flow: AdmissionFlow, cid: str = "an", **fields: Any) -> None:
    values: dict[str, Any] = {"full_name": "Nguyễn Văn An", "birth_date": date(1995, 5, 15), "education": "university"}
    flow.add_candidate(id=cid, org_id="ks.anmy.ap1", workflow=STANDARD, **(values | fields))


def awaiting_decision(flow: AdmissionFlow, clock: ManualClock, cid: str = "an", **fields: Any) -> None:
    """Enrol ``cid`` and walk the happy path (paper dates from START) to the competent committee's decision.

    The clock is put back to a month before START, so every timer projected on the way is still ahead.
    """
    clock.set(local(START - timedelta(days=30), 9))
    enrol(flow, cid, **fields)
    assert drive(flow, cid, START, until="awaiting_admission_decision").state == "awaiting_admission_decision"


def awaiting_ceremony(flow: AdmissionFlow, clock: ManualClock, cid: str = "an", received: date = RECEIVED) -> None:
    paper_day(clock, DECIDED)
    decision = [DocumentRecord("admission_decision", DECIDED, f"QĐ/{cid}")]
    flow.fire(cid, "decide_admission", on=DECIDED, role="competent_committee", documents=decision)
    paper_day(clock, received)
    flow.fire(cid, "receive_decision", on=received, role="cell")


def probationary(flow: AdmissionFlow, clock: ManualClock, cid: str = "an", ceremony: date = CEREMONY) -> None:
    awaiting_decision(flow, clock, cid)
    awaiting_ceremony(flow, clock, cid)
    paper_day(clock, ceremony)
    flow.fire(cid, "hold_ceremony", on=ceremony, role="cell")
    assert flow.candidate(cid).state == "probationary"


def timers_of(flow: AdmissionFlow, cid: str = "an", state: str | None = None) -> list[dict[str, Any]]:
    ids = select(INSTANCES.c.id).where(INSTANCES.c.candidate_id == cid)
    stmt = select(TIMERS).where(TIMERS.c.instance_id.in_(ids)).order_by(TIMERS.c.id)
    with flow.store.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(stmt)]
    return [r for r in rows if state is None or r["state"] == state]


def timer(flow: AdmissionFlow, deadline: str, rung: int, cid: str = "an") -> dict[str, Any]:
    """The newest row of that deadline and rung (the state entry the candidate is in, or last was)."""
    return [r for r in timers_of(flow, cid) if (r["deadline_id"], r["rung"]) == (deadline, rung)][-1]


def ladder(flow: AdmissionFlow, state: str, cid: str = "an") -> dict[tuple[str, int], tuple[Any, ...]]:
    """(deadline, rung) → (due_on, fire_at, status) for the timers set on entering ``state``."""
    return {
        (r["deadline_id"], r["rung"]): (r["due_on"], r["fire_at"], r["status"]) for r in timers_of(flow, cid, state)
    }


def outbox_rows(flow: AdmissionFlow) -> list[dict[str, Any]]:
    with flow.store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(OUTBOX).order_by(OUTBOX.c.id))]


def messages_per_timer(flow: AdmissionFlow) -> dict[int, int]:
    stmt = select(OUTBOX.c.timer_id, func.count()).group_by(OUTBOX.c.timer_id)
    with flow.store.engine.connect() as conn:
        return {row[0]: row[1] for row in conn.execute(stmt)}


def next_pending(flow: AdmissionFlow, cid: str = "an") -> datetime | None:
    pending = [r["fire_at"] for r in timers_of(flow, cid) if r["status"] == t.PENDING]
    return min(pending, default=None)


def sweep_until(flow: AdmissionFlow, clock: ManualClock, until: datetime, cid: str = "an") -> None:
    """Move the clock to each pending timer of ``cid`` in turn and sweep there, up to ``until``."""
    for _ in range(100):
        due = next_pending(flow, cid)
        if due is None or due > until:
            break
        clock.set(max(clock.now(), due))
        flow.sweep()
    clock.set(max(clock.now(), until))


def emails(message: dict[str, Any]) -> list[str]:
    return [r["email"] for r in message["recipients"]]


# -------------------------------------------------------------------- claim boundaries


@pytest.mark.parametrize(("deadline", "rung"), [("ceremony", 1), ("ceremony", 2), ("ceremony", 0)])
def test_a_timer_is_not_claimed_one_microsecond_before_it_is_due_and_is_claimed_at_that_instant(
    timed: AdmissionFlow, clock: ManualClock, deadline: str, rung: int
) -> None:
    awaiting_decision(timed, clock)
    awaiting_ceremony(timed, clock)
    due_at = timer(timed, deadline, rung)["fire_at"]

    timed.sweep(due_at - MICROSECOND)
    assert timer(timed, deadline, rung)["status"] == t.PENDING

    report = timed.sweep(due_at)
    claimed = timer(timed, deadline, rung)
    assert (claimed["status"], claimed["processed_at"]) == (t.DONE, due_at)
    assert report.claimed == 1 and report.messages == 1
    assert messages_per_timer(timed) == {r["id"]: 1 for r in timers_of(timed) if r["status"] == t.DONE}


def test_the_ceremony_timers_fall_due_at_the_projected_instants(timed: AdmissionFlow, clock: ManualClock) -> None:
    awaiting_decision(timed, clock)
    awaiting_ceremony(timed, clock)

    assert ladder(timed, "awaiting_ceremony") == {
        ("ceremony", 0): (date(2024, 10, 9), local(date(2024, 10, 10)), t.PENDING),
        ("ceremony", 1): (date(2024, 10, 9), local(date(2024, 9, 11), 8), t.PENDING),
        ("ceremony", 2): (date(2024, 10, 9), local(date(2024, 10, 2), 8), t.PENDING),
    }


def test_sweeping_again_at_the_same_or_a_later_instant_never_claims_a_timer_twice(
    timed: AdmissionFlow, clock: ManualClock
) -> None:
    awaiting_decision(timed, clock)
    awaiting_ceremony(timed, clock)
    first_due = timer(timed, "ceremony", 1)["fire_at"]

    assert timed.sweep(first_due).claimed == 1
    assert timed.sweep(first_due).claimed == 0
    assert timed.sweep(first_due + timedelta(days=1)).claimed == 0
    all_due = local(date(2024, 12, 31))
    assert timed.sweep(all_due).claimed == 2  # the second reminder, then the escalation
    assert timed.sweep(all_due).claimed == 0

    done = sorted((r for r in timers_of(timed) if r["status"] == t.DONE), key=lambda r: r["fire_at"])
    assert [(r["deadline_id"], r["rung"]) for r in done] == [("ceremony", 1), ("ceremony", 2), ("ceremony", 0)]
    assert messages_per_timer(timed) == {r["id"]: 1 for r in done}
    assert [m["template"] for m in outbox_rows(timed)] == ["deadline_reminder", "deadline_reminder", "deadline_overdue"]


def test_each_outbox_message_keeps_a_message_id_derived_from_its_timer(
    timed: AdmissionFlow, clock: ManualClock
) -> None:
    awaiting_decision(timed, clock)
    awaiting_ceremony(timed, clock)

    timed.sweep(local(date(2024, 12, 31)))

    for message in outbox_rows(timed):
        assert message["message_id"] == f"<timer-{message['timer_id']}.{message['instance_id']}@localhost>"
        assert message["status"] == t.PENDING and message["attempts"] == 0


# -------------------------------------------------------------------- the probation run


def test_probation_ends_by_itself_and_the_recognition_review_is_projected_from_its_end(
    timed: AdmissionFlow, clock: ManualClock
) -> None:
    probationary(timed, clock)
    probation_end = timer(timed, "probation_end", 0)
    assert (probation_end["due_on"], probation_end["fire_at"]) == (date(2025, 9, 15), local(date(2025, 9, 15)))

    sweep_until(timed, clock, local(date(2025, 9, 15), 6))

    record = timed.candidate("an")
    assert record.state == "awaiting_recognition_vote"
    assert record.dates["probation_end_on"] == "2025-09-15"
    last = timed.history("an")[-1]
    assert (last.trigger, last.actor, last.role, last.occurred_on) == (
        "probation_elapsed",
        "timer:probation_end",
        "system",
        date(2025, 9, 15),
    )
    assert (last.from_state, last.to_state) == ("probationary", "awaiting_recognition_vote")
    fired = timer(timed, "probation_end", 0)
    assert (fired["status"], fired["outcome"]) == (t.DONE, f"fired probation_elapsed (event {last.id})")
    assert ladder(timed, "awaiting_recognition_vote") == {
        ("recognition_review", 0): (date(2025, 10, 27), local(date(2025, 10, 28)), t.PENDING),
        ("recognition_review", 1): (date(2025, 10, 27), local(date(2025, 9, 29), 8), t.PENDING),
        ("recognition_review", 2): (date(2025, 10, 27), local(date(2025, 10, 20), 8), t.PENDING),
    }
    assert all(r["state"] == "awaiting_recognition_vote" for r in timers_of(timed) if r["status"] == t.PENDING)


def test_the_probation_ladder_sends_each_reminder_once_to_the_resolved_contacts_in_date_order(
    timed: AdmissionFlow, clock: ManualClock
) -> None:
    probationary(timed, clock)

    sweep_until(timed, clock, local(date(2025, 9, 15), 6))

    sent = [(m["template"], emails(m), m["created_at"]) for m in outbox_rows(timed)]
    cell, office = "bithu.ks-anmy-ap1@example.vn", "bantochuc.ks@example.vn"
    assert sent == [
        ("deadline_reminder", [cell], local(date(2024, 10, 4), 8)),  # member records, 15 working days before
        ("deadline_overdue", [cell], local(date(2024, 10, 26))),  # member records not filed by 25/10/2024
        ("deadline_reminder", [office], local(date(2024, 12, 15), 8)),  # new-member course: 9 months before
        ("deadline_reminder", [office], local(date(2025, 3, 15), 8)),
        ("deadline_reminder", [office], local(date(2025, 6, 15), 8)),
        ("deadline_reminder", [cell], local(date(2025, 7, 17), 8)),  # 60 days before
        ("probation_ending", [cell], local(date(2025, 8, 1), 8)),  # 45 days before
        ("probation_ending", [], local(date(2025, 8, 16), 8)),  # helper and candidate: no address known
    ]
    assert max(messages_per_timer(timed).values()) == 1


def test_a_message_to_roles_without_any_address_is_kept_as_dead_with_the_missing_roles(
    timed: AdmissionFlow, clock: ManualClock
) -> None:
    probationary(timed, clock)

    sweep_until(timed, clock, local(date(2025, 8, 16), 8))

    last = outbox_rows(timed)[-1]
    assert (last["template"], last["recipients"], last["status"]) == ("probation_ending", [], t.DEAD)
    assert last["last_error"] == "no e-mail address for role(s): helper, candidate"
    flagged = [(m.status, m.template, m.last_error) for m in timed.outbox(failed_only=True)]
    assert flagged == [
        (t.DEAD, "probation_ending", "no e-mail address for role(s): helper, candidate"),
        # reached the cell secretary, but the candidate has no address: listed so someone adds it
        (t.PENDING, "deadline_reminder", "no e-mail address for role(s): candidate"),
    ]


def test_the_candidate_is_reached_at_their_own_address_when_they_have_one(
    timed: AdmissionFlow, clock: ManualClock
) -> None:
    awaiting_decision(timed, clock, email="an@example.vn")
    awaiting_ceremony(timed, clock)
    paper_day(clock, CEREMONY)
    timed.fire("an", "hold_ceremony", on=CEREMONY, role="cell")

    sweep_until(timed, clock, local(date(2024, 10, 4), 8))

    (reminder,) = outbox_rows(timed)
    assert emails(reminder) == ["an@example.vn", "bithu.ks-anmy-ap1@example.vn"]
    assert reminder["last_error"] is None


def test_each_stored_context_is_exactly_the_reference_context_even_for_names_json_must_escape(
    timed: AdmissionFlow, clock: ManualClock
) -> None:
    """The sweep assembles the context JSON from cached parts; it must equal ``sweep_plans.context`` field by field."""
    name = 'Nguyễn "Út" Văn\\An/B'
    awaiting_decision(timed, clock, full_name=name, email="an@example.vn")
    awaiting_ceremony(timed, clock)
    paper_day(clock, CEREMONY)
    timed.fire("an", "hold_ceremony", on=CEREMONY, role="cell")

    sweep_until(timed, clock, local(date(2025, 9, 15), 6))

    messages = outbox_rows(timed)
    with timed.store.transaction(readonly=True) as tx:
        iid = messages[0]["instance_id"]
        inst = tx.instances.load_by_ids([iid])[iid]
    wf = timed.catalog.get(inst.workflow_id, inst.workflow_version)
    timer_rows = {r["id"]: r for r in timers_of(timed)}
    seen_with_candidate = seen_without = 0
    for m in messages:
        row = timer_rows[m["timer_id"]]
        deadline = next(d for d in wf.spec.deadlines_of(row["state"]) if d.id == row["deadline_id"])
        today = m["created_at"].astimezone(VN).date()
        who = (inst.candidate.id, inst.candidate.full_name)
        org = (inst.org.id, inst.org.name)
        expected = context(wf, row["state"], deadline, org, who, row["due_on"], today, m["recipients"])
        assert m["context"] == expected | {"due_on": row["due_on"].isoformat()}
        if "candidate" in {r["role"] for r in m["recipients"]}:
            seen_with_candidate += 1
        else:
            seen_without += 1
    assert m["context"]["candidate"]["full_name"] == name
    assert seen_with_candidate and seen_without  # both ways of building the recipients were exercised


# -------------------------------------------------------------------- leaving a state, done_by


def test_leaving_a_state_cancels_its_pending_timers(timed: AdmissionFlow, clock: ManualClock) -> None:
    awaiting_decision(timed, clock)
    awaiting_ceremony(timed, clock)
    paper_day(clock, CEREMONY)  # the first ceremony reminder (11/9/2024) is past but was never swept

    timed.fire("an", "hold_ceremony", on=CEREMONY, role="cell")

    left = timers_of(timed, state="awaiting_ceremony")
    assert {(r["status"], r["outcome"], r["processed_at"]) for r in left} == {
        (t.CANCELLED, "left the state", clock.now())
    }
    assert timed.sweep(local(date(2024, 10, 31))).claimed == 2  # only the probation timers: member records
    assert {m["timer_id"] for m in outbox_rows(timed)}.isdisjoint({r["id"] for r in left})


def test_withdrawing_cancels_every_pending_timer_and_a_final_state_sets_none(
    timed: AdmissionFlow, clock: ManualClock
) -> None:
    probationary(timed, clock)

    timed.fire("an", "withdraw", on=date(2024, 10, 1))

    assert timed.candidate("an").state == "withdrawn"
    assert [r for r in timers_of(timed) if r["status"] == t.PENDING] == []
    assert timers_of(timed, state="withdrawn") == []
    assert timed.sweep(local(date(2026, 12, 31))).claimed == 0
    assert timed.deadlines() == []


def test_filing_the_member_records_stops_their_reminders_and_nothing_else(
    timed: AdmissionFlow, clock: ManualClock
) -> None:
    probationary(timed, clock)
    paper_day(clock, date(2024, 10, 1))

    records = [DocumentRecord("member_records", date(2024, 10, 1), "LLĐV/1")]
    timed.fire("an", "file_member_records", on=date(2024, 10, 1), role="cell", documents=records)

    stopped = [r for r in timers_of(timed, state="probationary") if r["deadline_id"] == "member_records"]
    assert {(r["status"], r["outcome"]) for r in stopped} == {(t.CANCELLED, "done: file_member_records")}
    others = [r for r in timers_of(timed, state="probationary") if r["deadline_id"] != "member_records"]
    assert {r["status"] for r in others} == {t.PENDING}
    sweep_until(timed, clock, local(date(2024, 12, 31)))
    assert [m["template"] for m in outbox_rows(timed)] == ["deadline_reminder"]  # the new-member course (15/12)
    assert {d.deadline for d in timed.deadlines()} == {"probation_end", "new_member_course"}


def test_filing_the_member_records_after_the_reminder_stops_only_the_overdue_notice(
    timed: AdmissionFlow, clock: ManualClock
) -> None:
    probationary(timed, clock)
    sweep_until(timed, clock, local(date(2024, 10, 10)))

    records = [DocumentRecord("member_records", date(2024, 10, 10), "LLĐV/1")]
    timed.fire("an", "file_member_records", on=date(2024, 10, 10), role="cell", documents=records)
    sweep_until(timed, clock, local(date(2024, 11, 30)))

    assert (timer(timed, "member_records", 1)["status"], timer(timed, "member_records", 0)["status"]) == (
        t.DONE,
        t.CANCELLED,
    )
    assert [m["template"] for m in outbox_rows(timed)] == ["deadline_reminder"]


# -------------------------------------------------------------------- corrections


def test_correcting_the_ceremony_date_moves_the_probation_end_and_the_pending_timers_without_resending(
    timed: AdmissionFlow, clock: ManualClock
) -> None:
    probationary(timed, clock)
    sweep_until(timed, clock, local(date(2024, 10, 10)))  # the member-records reminder went on 4/10/2024
    sent_before = outbox_rows(timed)
    assert [m["template"] for m in sent_before] == ["deadline_reminder"]

    timed.fire(
        "an",
        "correct_dates",
        on=date(2024, 10, 10),
        role="organisation_department",
        data={"reason": "biên bản ghi nhầm ngày lễ kết nạp", "ceremony_on": "2024-09-20"},
    )

    dates = timed.candidate("an").dates
    assert (dates["ceremony_on"], dates["probation_end_on"]) == ("2024-09-20", "2025-09-20")
    moved = ladder(timed, "probationary")
    assert moved[("probation_end", 0)] == (date(2025, 9, 20), local(date(2025, 9, 20)), t.PENDING)
    assert moved[("probation_end", 1)] == (date(2025, 9, 20), local(date(2025, 8, 6), 8), t.PENDING)
    assert moved[("probation_end", 2)] == (date(2025, 9, 20), local(date(2025, 8, 21), 8), t.PENDING)
    # 20/9/2024 + 30 working days = 1/11/2024; the reminder already sent stays as it was.
    assert moved[("member_records", 0)] == (date(2024, 11, 1), local(date(2024, 11, 2)), t.PENDING)
    assert moved[("member_records", 1)] == (date(2024, 10, 25), local(date(2024, 10, 4), 8), t.DONE)
    assert moved[("new_member_course", 1)] == (date(2025, 9, 20), local(date(2024, 12, 20), 8), t.PENDING)

    sweep_until(timed, clock, local(date(2024, 11, 30)))
    assert [(m["template"], m["created_at"]) for m in outbox_rows(timed)] == [
        ("deadline_reminder", local(date(2024, 10, 4), 8)),
        ("deadline_overdue", local(date(2024, 11, 2))),
    ]
    assert max(messages_per_timer(timed).values()) == 1


def test_the_automatic_probation_end_follows_a_corrected_ceremony_date(
    timed: AdmissionFlow, clock: ManualClock
) -> None:
    probationary(timed, clock)
    paper_day(clock, date(2024, 10, 1))
    timed.fire(
        "an",
        "correct_dates",
        on=date(2024, 10, 1),
        role="cell",
        data={"reason": "sai ngày", "ceremony_on": "2024-09-20"},
    )

    sweep_until(timed, clock, local(date(2025, 9, 19), 23))
    assert timed.candidate("an").state == "probationary"
    sweep_until(timed, clock, local(date(2025, 9, 20), 1))

    assert timed.candidate("an").state == "awaiting_recognition_vote"
    assert timed.history("an")[-1].occurred_on == date(2025, 9, 20)
    assert timer(timed, "recognition_review", 0)["due_on"] == date(2025, 10, 31)  # Sat 20/9/2025 + 30 working days


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"reason": "sai ngày"}, "correction_missing"),
        ({"reason": "sai ngày", "ceremony_on": "20/9/2024"}, "correction_invalid"),
        ({"reason": "sai ngày", "ceremony_on": "2024-02-30"}, "correction_invalid"),
    ],
)
def test_a_correction_without_a_valid_date_is_refused_and_writes_nothing(
    timed: AdmissionFlow, clock: ManualClock, data: dict[str, Any], code: str
) -> None:
    probationary(timed, clock)
    before = snapshot(timed, "an") | {"timers": timers_of(timed)}

    with pytest.raises(TransitionRefused) as refused:
        timed.fire("an", "correct_dates", on=date(2024, 10, 1), role="cell", data=data)

    assert [r.code for r in refused.value.reasons] == [code]
    assert snapshot(timed, "an") | {"timers": timers_of(timed)} == before


def test_a_correction_that_moves_a_pending_reminder_into_the_past_does_not_send_it_late(
    timed: AdmissionFlow, clock: ManualClock
) -> None:
    probationary(timed, clock)
    paper_day(clock, date(2024, 9, 20))

    timed.fire(
        "an",
        "correct_dates",
        on=date(2024, 9, 20),
        role="cell",
        data={"reason": "biên bản ghi nhầm tháng", "ceremony_on": "2024-08-20"},
    )
    # 20/8/2024 + 30 working days = 3/10/2024 (2–3/9 off); 15 working days before it = 12/9/2024, already past.
    reminder = timer(timed, "member_records", 1)
    assert (reminder["due_on"], reminder["fire_at"]) == (date(2024, 10, 3), local(date(2024, 9, 12), 8))
    timed.sweep()

    assert [m["template"] for m in outbox_rows(timed)] == []
    assert timer(timed, "member_records", 1)["status"] == t.SKIPPED


# -------------------------------------------------------------------- extensions


def extend(flow: AdmissionFlow, by: Any, on: date = date(2024, 8, 1)) -> None:
    data = {"reason": "chờ kết quả thẩm tra bổ sung", "extend_by": by}
    flow.fire("an", "extend_decision_deadline", on=on, role="competent_committee", data=data)


def test_an_extension_moves_the_decision_deadline_by_that_many_working_days(
    timed: AdmissionFlow, clock: ManualClock
) -> None:
    awaiting_decision(timed, clock)
    # 27/6/2024 (cell resolution) + 60 working days = 23/9/2024 (2–3/9 are National Day)
    assert ladder(timed, "awaiting_admission_decision")[("admission_decision", 0)][0] == date(2024, 9, 23)

    extend(timed, 10)

    assert ladder(timed, "awaiting_admission_decision") == {
        ("admission_decision", 0): (date(2024, 10, 7), local(date(2024, 10, 8)), t.PENDING),
        ("admission_decision", 1): (date(2024, 10, 7), local(date(2024, 9, 9), 8), t.PENDING),
        ("admission_decision", 2): (date(2024, 10, 7), local(date(2024, 9, 30), 8), t.PENDING),
    }
    (listed,) = timed.deadlines()
    assert (listed.deadline, listed.due_on, listed.extended_by) == ("admission_decision", date(2024, 10, 7), 10)


def test_an_extension_beyond_the_cap_is_refused_and_writes_nothing(timed: AdmissionFlow, clock: ManualClock) -> None:
    awaiting_decision(timed, clock)
    extend(timed, 10)
    before = snapshot(timed, "an") | {"timers": timers_of(timed)}

    with pytest.raises(TransitionRefused) as refused:
        extend(timed, 25, on=date(2024, 8, 2))

    (reason,) = refused.value.reasons
    assert reason.code == "extension_exceeds_cap"
    assert reason.values == {"deadline": "admission_decision", "granted": 10, "requested": 25, "cap": 30}
    assert snapshot(timed, "an") | {"timers": timers_of(timed)} == before


def test_extensions_up_to_exactly_the_cap_are_granted(timed: AdmissionFlow, clock: ManualClock) -> None:
    awaiting_decision(timed, clock)

    extend(timed, 10)
    extend(timed, 20, on=date(2024, 8, 2))

    # 23/9/2024 + 30 working days = 4/11/2024
    assert timer(timed, "admission_decision", 0)["due_on"] == date(2024, 11, 4)
    assert timed.deadlines()[0].extended_by == 30


@pytest.mark.parametrize("amount", [0, -5, "10", 2.5, True])
def test_an_extension_amount_that_is_not_a_positive_whole_number_is_refused(
    timed: AdmissionFlow, clock: ManualClock, amount: Any
) -> None:
    awaiting_decision(timed, clock)
    before = snapshot(timed, "an") | {"timers": timers_of(timed)}

    with pytest.raises(TransitionRefused) as refused:
        extend(timed, amount)

    assert [r.code for r in refused.value.reasons] == ["extension_amount_missing"]
    assert snapshot(timed, "an") | {"timers": timers_of(timed)} == before


def test_an_extension_does_not_follow_the_candidate_into_the_next_state(
    timed: AdmissionFlow, clock: ManualClock
) -> None:
    awaiting_decision(timed, clock)
    extend(timed, 10)

    awaiting_ceremony(timed, clock)

    assert timed.deadlines()[0].extended_by == 0
    assert [d.deadline for d in timed.deadlines()] == ["ceremony"]


def test_the_age_60_boundary_is_projected_from_the_candidates_birth_date(
    timed: AdmissionFlow, clock: ManualClock
) -> None:
    clock.set(local(START - timedelta(days=30), 9))
    enrol(timed, "gia", full_name="Trần Văn Giá", birth_date=date(1966, 6, 1))

    drive(timed, "gia", START, until="dossier_in_progress")

    boundary = {k: v for k, v in ladder(timed, "dossier_in_progress", "gia").items() if k[0] == "age_60_boundary"}
    assert boundary == {
        ("age_60_boundary", 0): (date(2026, 6, 1), local(date(2026, 6, 1)), t.PENDING),
        ("age_60_boundary", 1): (date(2026, 6, 1), local(date(2025, 12, 1), 8), t.PENDING),
        ("age_60_boundary", 2): (date(2026, 6, 1), local(date(2026, 4, 1), 8), t.PENDING),
    }


# -------------------------------------------------------------------- automatic events that are refused

TIMED_WORKFLOW = """\
id: timed
version: "1"
title: {vi: Quy trình có thời hạn, en: Timed workflow}
initial: waiting
roles:
  cell: {vi: Chi bộ, en: Party cell}
  cell_secretary: {vi: Bí thư chi bộ, en: Cell secretary}
dates:
  received_on: {vi: Ngày nhận hồ sơ, en: Dossier received}
flags:
  approved: {vi: Đã được duyệt, en: Approved}
states:
  waiting:
    label: {vi: Chờ xử lý, en: Waiting}
    deadlines:
      - id: answer
        label: {vi: Trả lời, en: Answer}
        from: received_on
        after: {working_days: 5}
        remind:
          - {before: {working_days: 2}, to: [cell_secretary], template: deadline_reminder}
          - {after: {working_days: 2}, to: [cell_secretary], template: escalation}
        on_due: {notify: {to: [cell_secretary], template: deadline_overdue}}
      - id: expiry
        label: {vi: Hết hạn chờ, en: Waiting expires}
        from: entered
        after: {days: 30}
        due: start_of_day
        on_due: {fire: time_out}
  timed_out:
    label: {vi: Hết hạn, en: Timed out}
  closed:
    final: true
    label: {vi: Đã đóng, en: Closed}
transitions:
  - trigger: receive
    source: waiting
    roles: [cell]
    records: [received_on]
  - trigger: approve
    source: waiting
    roles: [cell]
    sets: [approved]
  - trigger: time_out
    source: waiting
    dest: timed_out
    roles: [cell]
    guards:
      - flag_set: {flag: approved}
  - trigger: close
    source: [waiting, timed_out]
    dest: closed
"""


@pytest.fixture
def custom(database_url: str, clock: ManualClock, mail: RecordingNotifier, tmp_path: Path) -> Iterator[AdmissionFlow]:
    folder = tmp_path / "workflows"
    folder.mkdir()
    (folder / "timed.yaml").write_text(TIMED_WORKFLOW, encoding="utf-8")
    flow = flow_with_mail(database_url, clock, mail, folder)
    flow.add_candidate(id="an", full_name="Nguyễn Văn An", org_id="ks.anmy.ap1", workflow="timed")
    yield flow
    assert flow.store.connections.in_use() == 0, "a connection was not returned to the pool"
    flow.close()


def test_an_automatic_event_refused_by_its_guards_marks_the_timer_failed_with_the_reason_codes(
    custom: AdmissionFlow, clock: ManualClock
) -> None:
    expiry = timer(custom, "expiry", 0)  # entered 5/1/2026 + 30 days: 4/2/2026 at 00:00
    assert expiry["fire_at"] == local(date(2026, 2, 4))
    events_before = len(custom.history("an"))
    clock.set(expiry["fire_at"])

    report = custom.sweep()

    assert (report.claimed, report.fired, report.failed) == (1, 0, 1)
    failed = timer(custom, "expiry", 0)
    assert (failed["status"], failed["outcome"]) == (t.FAILED, "refused: role_not_allowed, flag_missing")
    assert custom.candidate("an").state == "waiting"
    assert len(custom.history("an")) == events_before
    assert custom.sweep(expiry["fire_at"] + timedelta(days=1)).claimed == 0
    (listed,) = custom.deadlines(overdue=True)
    assert (listed.deadline, listed.status, listed.outcome) == ("expiry", t.FAILED, failed["outcome"])


HOLD_WORKFLOW = """\
id: hold
version: "1"
title: {vi: Tạm dừng, en: On hold}
initial: waiting
roles:
  cell: {vi: Chi bộ, en: Party cell}
  cell_secretary: {vi: Bí thư chi bộ, en: Cell secretary}
flags:
  on_hold: {vi: Tạm dừng, en: On hold}
states:
  waiting:
    label: {vi: Chờ xử lý, en: Waiting}
    deadlines:
      - id: hold_review
        label: {vi: Xem lại việc tạm dừng, en: Review the hold}
        from: entered
        after: {days: 10}
        while_flag: on_hold
        remind:
          - {before: {days: 3}, to: [cell_secretary], template: deadline_reminder}
        on_due: {notify: {to: [cell_secretary], template: deadline_overdue}}
  closed:
    final: true
    label: {vi: Đã đóng, en: Closed}
transitions:
  - trigger: hold
    source: waiting
    roles: [cell]
    sets: [on_hold]
  - trigger: resume
    source: waiting
    roles: [cell]
    clears: [on_hold]
  - trigger: close
    source: waiting
    dest: closed
    roles: [cell]
"""


def test_clearing_the_while_flag_cancels_the_deadline_it_kept_running(
    database_url: str, clock: ManualClock, mail: RecordingNotifier, tmp_path: Path
) -> None:
    folder = tmp_path / "workflows"
    folder.mkdir()
    (folder / "hold.yaml").write_text(HOLD_WORKFLOW, encoding="utf-8")
    flow = flow_with_mail(database_url, clock, mail, folder)
    try:
        flow.add_candidate(id="an", full_name="Nguyễn Văn An", org_id="ks.anmy.ap1", workflow="hold")
        assert timers_of(flow) == []  # the flag is not set: nothing projected

        flow.fire("an", "hold", role="cell")
        assert [(r["rung"], r["status"]) for r in timers_of(flow)] == [(0, t.PENDING), (1, t.PENDING)]

        flow.fire("an", "resume", role="cell")
        assert [(r["rung"], r["status"], r["outcome"]) for r in timers_of(flow)] == [
            (0, t.CANCELLED, "flag on_hold cleared"),
            (1, t.CANCELLED, "flag on_hold cleared"),
        ]
        clock.set(clock.now() + timedelta(days=30))
        assert flow.sweep().claimed == 0
        assert outbox_rows(flow) == []
    finally:
        flow.close()


def test_a_reminder_projected_after_its_time_has_passed_is_skipped_not_sent(
    custom: AdmissionFlow, clock: ManualClock
) -> None:
    # Typed in on 5/1/2026 from a paper dated 10/12/2025: due 17/12/2025, reminder 15/12/2025.
    custom.fire("an", "receive", on=date(2025, 12, 10), role="cell")

    reminder, due = timer(custom, "answer", 1), timer(custom, "answer", 0)
    assert (reminder["status"], reminder["processed_at"]) == (t.SKIPPED, clock.now())
    assert reminder["outcome"] == "reminder time had passed when the deadline was projected"
    assert due["status"] == t.PENDING

    custom.sweep()

    assert timer(custom, "answer", 1)["status"] == t.SKIPPED
    sent_for = {m["timer_id"]: m["template"] for m in outbox_rows(custom)}
    assert sent_for[due["id"]] == "deadline_overdue"  # the limit itself is still handled
    assert reminder["id"] not in sent_for


def test_a_reminder_after_the_due_date_projected_late_is_still_sent_like_the_deadline_itself(
    custom: AdmissionFlow, clock: ManualClock
) -> None:
    # timekeeper._timer_row: "the deadline itself and escalations after it still are [sent]".
    custom.fire("an", "receive", on=date(2025, 12, 10), role="cell")

    assert timer(custom, "answer", 2)["status"] == t.PENDING


# -------------------------------------------------------------------- history typed in from old paper dates


def test_reminders_of_history_typed_in_late_are_skipped_while_the_overdue_deadline_is_still_handled(
    timed: AdmissionFlow, clock: ManualClock
) -> None:
    # The clock shows 5/1/2026; the papers go back to 2025: ceremony 20/6/2025, member records due 1/8/2025.
    enrol(timed)
    drive(timed, "an", date(2025, 1, 1), until="probationary")

    statuses = {k: v[2] for k, v in ladder(timed, "probationary").items()}
    assert statuses == {
        ("probation_end", 0): t.PENDING,
        ("probation_end", 1): t.PENDING,
        ("probation_end", 2): t.PENDING,
        ("member_records", 0): t.PENDING,  # the limit itself passed: still handled (overdue notice)
        ("member_records", 1): t.SKIPPED,
        ("new_member_course", 0): t.PENDING,
        ("new_member_course", 1): t.SKIPPED,
        ("new_member_course", 2): t.SKIPPED,
        ("new_member_course", 3): t.PENDING,
        ("new_member_course", 4): t.PENDING,
    }

    report = timed.sweep()

    assert (report.claimed, report.messages) == (1, 1)
    (overdue,) = outbox_rows(timed)
    assert overdue["timer_id"] == timer(timed, "member_records", 0)["id"]
    assert overdue["template"] == "deadline_overdue"


# -------------------------------------------------------------------- listings


def two_candidates(flow: AdmissionFlow, clock: ManualClock) -> None:
    """``an`` on probation since 15/9/2024; ``binh`` received the decision on 28/10/2024; today 1/11/2024."""
    awaiting_decision(flow, clock, "an")
    enrol(flow, "binh", full_name="Trần Thị Bình", birth_date=date(1996, 2, 3))
    assert drive(flow, "binh", START, until="awaiting_admission_decision").state == "awaiting_admission_decision"
    awaiting_ceremony(flow, clock, "an")
    paper_day(clock, CEREMONY)
    flow.fire("an", "hold_ceremony", on=CEREMONY, role="cell")
    paper_day(clock, date(2024, 10, 20))
    decision = [DocumentRecord("admission_decision", date(2024, 10, 20), "QĐ/binh")]
    flow.fire("binh", "decide_admission", on=date(2024, 10, 20), role="competent_committee", documents=decision)
    paper_day(clock, date(2024, 10, 28))
    flow.fire("binh", "receive_decision", on=date(2024, 10, 28), role="cell")
    paper_day(clock, date(2024, 11, 1))


def test_overdue_deadlines_list_only_those_already_past_with_how_late_they_are(
    timed: AdmissionFlow, clock: ManualClock
) -> None:
    two_candidates(timed, clock)

    (late,) = timed.deadlines(overdue=True)

    assert (late.candidate_id, late.full_name, late.org_id, late.state, late.deadline) == (
        "an",
        "Nguyễn Văn An",
        "ks.anmy.ap1",
        "probationary",
        "member_records",
    )
    assert (late.due_on, late.due_at, late.days_left, late.overdue) == (
        date(2024, 10, 25),
        local(date(2024, 10, 26)),
        -7,
        True,
    )
    assert (late.status, late.outcome, late.extended_by) == (t.PENDING, None, 0)
    assert late.label == {"vi": "Khai lý lịch đảng viên và phiếu đảng viên", "en": "File the member records"}


def test_all_open_deadlines_are_listed_earliest_first_and_an_escalated_one_stays_listed(
    timed: AdmissionFlow, clock: ManualClock
) -> None:
    two_candidates(timed, clock)
    timed.sweep()  # the member-records reminder and overdue notice go out; the deadline is still open

    listed = [(d.candidate_id, d.deadline, d.due_on, d.overdue, d.status) for d in timed.deadlines()]

    assert listed == [
        ("an", "member_records", date(2024, 10, 25), True, t.DONE),
        ("binh", "ceremony", date(2024, 12, 9), False, t.PENDING),  # 28/10/2024 + 30 working days
        ("an", "probation_end", date(2025, 9, 15), False, t.PENDING),
        ("an", "new_member_course", date(2025, 9, 15), False, t.PENDING),
    ]
    assert [d.deadline for d in timed.deadlines(org_id="ks.anmy.ap2")] == []
    assert len(timed.deadlines(org_id="ks.anmy")) == 4


def test_upcoming_reminders_list_what_the_sweep_will_do_with_recipients_and_missing_roles(
    timed: AdmissionFlow, clock: ManualClock
) -> None:
    two_candidates(timed, clock)

    upcoming = timed.upcoming_reminders(timedelta(days=90), include_due=True)
    # by default only what is still ahead: the late rows are for deadlines(overdue=True)
    assert timed.upcoming_reminders(timedelta(days=90)) == [r for r in upcoming if r.fire_at > clock.now()]

    cell, office = "bithu.ks-anmy-ap1@example.vn", "bantochuc.ks@example.vn"
    assert [
        (r.fire_at, r.candidate_id, r.deadline, r.kind, r.template, r.action, [p["email"] for p in r.recipients])
        for r in upcoming
    ] == [
        # not yet swept, so still to do even though their time has come
        (local(date(2024, 10, 4), 8), "an", "member_records", "reminder", "deadline_reminder",
         "remind (15 working days before)", [cell]),
        (local(date(2024, 10, 26)), "an", "member_records", "due", "deadline_overdue", "notify", [cell]),
        # 9/12/2024 back 20 and 5 working days
        (local(date(2024, 11, 11), 8), "binh", "ceremony", "reminder", "deadline_reminder",
         "remind (20 working days before)", [cell]),
        (local(date(2024, 12, 2), 8), "binh", "ceremony", "reminder", "deadline_reminder",
         "remind (5 working days before)", [cell]),
        (local(date(2024, 12, 10)), "binh", "ceremony", "due", "deadline_overdue", "escalate", [cell, office]),
        (local(date(2024, 12, 15), 8), "an", "new_member_course", "reminder", "deadline_reminder",
         "remind (9 months before)", [office]),
    ]  # fmt: skip
    assert [r.missing_roles for r in upcoming] == [["candidate"], [], [], [], [], []]
    assert [p["name"] for p in upcoming[4].recipients] == ["Bí thư Chi bộ ấp An Phú", "Ban Tổ chức Huyện ủy Kế Sách"]


def test_upcoming_reminders_include_automatic_events_and_stop_at_the_horizon(
    timed: AdmissionFlow, clock: ManualClock
) -> None:
    probationary(timed, clock)
    clock.set(local(date(2025, 7, 1), 9))

    upcoming = timed.upcoming_reminders(timedelta(days=76))  # until 15/9/2025 09:00

    automatic = [r for r in upcoming if r.kind == "due" and r.deadline == "probation_end"]
    assert [(r.action, r.template, r.recipients, r.missing_roles) for r in automatic] == [
        ("fire probation_elapsed", None, [], [])
    ]
    helper_rung = next(
        r for r in upcoming if r.deadline == "probation_end" and r.fire_at == local(date(2025, 8, 16), 8)
    )
    assert (helper_rung.recipients, helper_rung.missing_roles) == ([], ["helper", "candidate"])
    assert max(r.fire_at for r in upcoming) <= clock.now() + timedelta(days=76)
    assert [r for r in timed.upcoming_reminders(timedelta(days=1)) if r.fire_at > clock.now()] == []


# -------------------------------------------------------------------- the SQLite sweep lease


def test_a_second_sqlite_flow_does_not_sweep_while_another_holder_has_the_lease(
    tmp_path: Path, clock: ManualClock, mail: RecordingNotifier
) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    first = flow_with_mail(url, clock, mail)
    second = open_flow(url, clock)
    try:
        awaiting_decision(first, clock)
        awaiting_ceremony(first, clock)
        now = local(date(2024, 12, 31))
        with first.store.transaction() as tx:
            assert tx.timers.acquire_lease("sweeper", first.holder, now, now + timedelta(minutes=5))

        report = second.sweep(now)

        assert (report.lease_held_elsewhere, report.claimed, report.messages) == (True, 0, 0)
        assert {r["status"] for r in timers_of(first, state="awaiting_ceremony")} == {t.PENDING}
        assert outbox_rows(first) == []
        assert first.sweep(now).claimed == 3  # the holder itself carries on
        later = second.sweep(now + timedelta(minutes=6))  # the lease ran out: anyone may take it
        assert later.lease_held_elsewhere is False
    finally:
        first.close()
        second.close()


def test_a_finished_sqlite_sweep_lets_another_process_sweep_straight_after(
    tmp_path: Path, clock: ManualClock, mail: RecordingNotifier
) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    first = flow_with_mail(url, clock, mail)
    second = open_flow(url, clock)
    try:
        awaiting_decision(first, clock)
        awaiting_ceremony(first, clock)
        first.sweep(local(date(2024, 9, 12)))

        report = second.sweep(local(date(2024, 9, 12)))

        assert report.lease_held_elsewhere is False
    finally:
        first.close()
        second.close()


# -------------------------------------------------------------------- the claim query's plan

NOT_DUE = 20_000


def fill_with_not_due_timers(flow: AdmissionFlow, now: datetime) -> None:
    """~20k rows the sweep must not read: half already processed (in the past), half pending in the future."""
    enrol(flow, "filler")
    with flow.store.engine.begin() as conn:
        instance_id = conn.execute(select(INSTANCES.c.id).where(INSTANCES.c.candidate_id == "filler")).scalar_one()
        rows = [
            {
                "instance_id": instance_id,
                "state": "prospect",
                "state_epoch": 1000 + i,
                "deadline_id": "filler",
                "rung": 0,
                "kind": "due",
                "due_on": date(2026, 1, 1),
                "fire_at": now - timedelta(days=1 + i % 365) if i % 2 else now + timedelta(days=1 + i % 365, seconds=i),
                "status": (t.DONE, t.CANCELLED)[i % 4 // 2] if i % 2 else t.PENDING,
                "outcome": None,
                "created_at": now,
                "processed_at": None,
            }
            for i in range(NOT_DUE)
        ]
        conn.execute(insert(TIMERS), rows)


def claim_sql(flow: AdmissionFlow, now: datetime) -> tuple[str, Any]:
    """The sweep's own claim statement (``store/timers.py``) and its parameters, as the sweep runs it."""
    prepared = flow.store.statements.timers.claim
    return prepared.sql, prepared.parameters({"now": now, "limit": 500})


@pytest.mark.postgres
def test_on_postgresql_the_claim_query_reads_the_status_fire_at_index_not_the_whole_table(
    postgres_schema_url: str, clock: ManualClock
) -> None:
    flow = make_plain_flow(postgres_schema_url, clock)
    try:
        fill_with_not_due_timers(flow, clock.now())
        sql, params = claim_sql(flow, clock.now())
        with flow.store.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
            plan = "\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + sql, params))
        print(f"\n-- PostgreSQL, {NOT_DUE} timers not due, after ANALYZE\nEXPLAIN {sql}\n{plan}")

        assert "FOR UPDATE OF timers SKIP LOCKED" in sql  # locks timer rows only: instances stay free for fires
        assert "Index Scan using ix_timers_status_fire_at on timers" in plan
        assert "Index Cond: (((status)::text = 'pending'::text) AND (fire_at <=" in plan
        assert "Seq Scan on timers" not in plan
    finally:
        flow.close()


def test_on_sqlite_the_claim_query_searches_the_status_fire_at_index(tmp_path: Path, clock: ManualClock) -> None:
    flow = make_plain_flow(f"sqlite:///{tmp_path / 'plan.db'}", clock)
    try:
        fill_with_not_due_timers(flow, clock.now())
        sql, params = claim_sql(flow, clock.now())
        with flow.store.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
            plan = "\n".join(str(row[-1]) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params))
        print(f"\n-- SQLite, {NOT_DUE} timers not due, after ANALYZE\nEXPLAIN QUERY PLAN {sql}\n{plan}")

        assert plan.splitlines()[0].startswith("SEARCH timers USING INDEX ix_timers_status_fire_at")
        assert "SCAN timers" not in plan
    finally:
        flow.close()


def test_the_claim_reads_due_rows_oldest_first_with_their_candidate(timed: AdmissionFlow, clock: ManualClock) -> None:
    awaiting_decision(timed, clock)
    awaiting_ceremony(timed, clock)
    now = local(date(2024, 10, 3))
    with timed.store.transaction() as tx:
        claimed = tx.timers.claim_due(now, 500)

    assert [r.id for r in claimed] == [timer(timed, "ceremony", 1)["id"], timer(timed, "ceremony", 2)["id"]]
    first = claimed[0]
    assert (first.deadline_id, first.rung, first.state, first.current_state) == (
        "ceremony",
        1,
        "awaiting_ceremony",
        "awaiting_ceremony",
    )
    assert isinstance(first.due_on, date)
    assert (first.candidate_id, first.org_id, first.workflow_id, first.workflow_version) == (
        "an",
        "ks.anmy.ap1",
        "standard",
        "2021",
    )


def make_plain_flow(url: str, clock: ManualClock) -> AdmissionFlow:
    flow = AdmissionFlow(Settings(database_url=url, workflows_dir=WORKFLOWS), clock=clock)
    flow.upgrade_database()
    add_sample_orgs(flow)
    return flow


def test_utc_instants_survive_the_round_trip_to_the_microsecond(timed: AdmissionFlow, clock: ManualClock) -> None:
    awaiting_decision(timed, clock)
    awaiting_ceremony(timed, clock)
    due_at = timer(timed, "ceremony", 1)["fire_at"]

    assert due_at.tzinfo is not None and due_at.utcoffset() == timedelta(0)
    assert due_at == datetime(2024, 9, 11, 1, 0, tzinfo=UTC)

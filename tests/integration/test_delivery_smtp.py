"""Reminders end to end over real SMTP: timers → sweep → outbox → deliver → an aiosmtpd server in this process.

The flow has no injected notifier, so the shipped ``SmtpNotifier`` talks SMTP to 127.0.0.1. The candidate is
driven to ``probationary`` (``scenario.drive``); the ManualClock then moves past the probation_end reminder
rungs (45 days before: the cell secretary; 30 days before: the helper, who has no address, and the candidate).
Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from smtp_servers import ALWAYS, NO_SUCH_USER, SENDER, TRY_LATER, Refusals, SmtpServer
from sqlalchemy import select

from admission_flow.domain.records import CandidateRecord, OutboxRecord, ReminderRecord
from admission_flow.domain.values import DocumentRecord
from admission_flow.flow import AdmissionFlow
from admission_flow.store.outbox import outbox as OUTBOX
from admission_flow.testing import ManualClock
from admission_flow.testing.scenario import SAMPLE_ORGS, add_sample_orgs, drive, sample_contacts

pytest_plugins = ["smtp_servers"]

WORKFLOW = "standard@2021"  # the version whose probation reminders these tests read (not the newest)
START = date(2026, 1, 5)  # drive() starts here; the ceremony is on 2026-06-24, probation ends on 2027-06-24
NAME = "Nguyễn Văn An"
CANDIDATE_EMAIL = "an@example.vn"
CELL = next(org for org in SAMPLE_ORGS if org["id"] == "ks.anmy.ap1")
SECRETARY = sample_contacts(CELL)["cell_secretary"][0]
BACKOFF = timedelta(minutes=10)
LATER = timedelta(hours=1)  # the clock moves this far past a reminder's moment before the sweep

OpenFlow = Callable[..., AdmissionFlow]


@pytest.fixture
def mail_flows(database_url: str, clock: ManualClock) -> Iterator[OpenFlow]:
    """Open migrated flows on ``database_url`` that deliver to a given server; closed when the test ends."""
    opened: list[AdmissionFlow] = []

    def open_flow(server: SmtpServer, **settings: Any) -> AdmissionFlow:
        settings = {"delivery_backoff_seconds": BACKOFF.total_seconds()} | settings
        if not opened:
            flow = server.flow(database_url, clock, **settings)
        else:  # a second handle on the same (already migrated) database
            flow = AdmissionFlow(server.settings(database_url, **settings), clock=clock)
        opened.append(flow)
        return flow

    yield open_flow
    for flow in opened:
        assert flow.store.connections.in_use() == 0, "a connection was not returned to the pool"
        flow.close()


def probationer(flow: AdmissionFlow, *, only_probation_reminders: bool = True) -> CandidateRecord:
    """The sample organisations and one candidate with an e-mail address, driven to ``probationary``.

    With ``only_probation_reminders`` the member records are filed and the new-member course is completed at
    once, so the probation_end rungs are the only reminders left.
    """
    add_sample_orgs(flow)
    flow.add_candidate(
        workflow=WORKFLOW,
        id="an",
        full_name=NAME,
        org_id=CELL["id"],
        birth_date=date(1998, 5, 17),
        education="university",
        email=CANDIDATE_EMAIL,
    )
    record = drive(flow, "an", START, until="probationary")
    assert record.state == "probationary"
    if only_probation_reminders:
        on = date.fromisoformat(record.dates["ceremony_on"]) + timedelta(days=10)
        for trigger, role, paper in (
            ("file_member_records", "candidate", "member_records"),
            ("complete_new_member_course", "political_centre", "new_member_certificate"),
        ):
            flow.fire("an", trigger, on=on, role=role, documents=[DocumentRecord(paper, on, f"{paper}/an")])
    return flow.candidate("an")


def reminders(flow: AdmissionFlow, deadline: str) -> list[ReminderRecord]:
    """The pending reminder rungs of ``deadline``, earliest first."""
    found = [r for r in flow.upcoming_reminders(timedelta(days=800)) if r.deadline == deadline]
    return sorted((r for r in found if r.kind == "reminder"), key=lambda r: r.fire_at)


def probation_rungs(flow: AdmissionFlow) -> tuple[ReminderRecord, ReminderRecord]:
    rungs = reminders(flow, "probation_end")
    assert [r.action for r in rungs] == ["remind (45 days before)", "remind (30 days before)"]
    return rungs[0], rungs[1]


def outbox_by_message_id(flow: AdmissionFlow) -> dict[str, OutboxRecord]:
    return {r.message_id: r for r in flow.outbox()}


def the_only(records: list[Any]) -> Any:
    assert len(records) == 1, records
    return records[0]


def smtp_server_ids(server: SmtpServer) -> set[str]:
    return {m.message_id for m in server.received}


def probation_subject(due: date) -> str:
    return f"[Nhắc hạn] Hết thời hạn dự bị ngày {due:%d/%m/%Y} — {NAME}"


# -------------------------------------------------------------------- one mail per rung, never twice


def test_each_probation_reminder_rung_sends_one_vietnamese_mail_to_its_recipients(
    mail_flows: OpenFlow, smtp_server: SmtpServer, clock: ManualClock
) -> None:
    flow = mail_flows(smtp_server)
    due = date.fromisoformat(probationer(flow).dates["probation_end_on"])
    before_45, before_30 = probation_rungs(flow)

    clock.set(before_45.fire_at + LATER)
    assert flow.sweep().messages == 1
    assert flow.deliver().sent == 1
    to_secretary = the_only(smtp_server.received)
    assert to_secretary.envelope_from == SENDER
    assert to_secretary.sender == SENDER
    assert to_secretary.envelope_to == (SECRETARY["email"],)
    assert to_secretary.to == SECRETARY["email"]
    assert to_secretary.subject == probation_subject(due)
    assert f"Kính gửi {SECRETARY['name']}," in to_secretary.body
    assert f"Đồng chí {NAME} (Chi bộ ấp An Phú) sẽ hết 12 tháng dự bị vào ngày {due:%d/%m/%Y}" in to_secretary.body
    assert "(còn 45 ngày)" in to_secretary.body
    assert "Căn cứ: Thời hạn dự bị 12 tháng kể từ ngày chi bộ tổ chức lễ kết nạp" in to_secretary.body
    assert to_secretary.message_id == the_only(flow.outbox()).message_id

    clock.set(before_30.fire_at + LATER)
    assert flow.sweep().messages == 1
    assert flow.deliver().sent == 1
    first, to_candidate = smtp_server.received
    assert first == to_secretary
    assert to_candidate.envelope_to == (CANDIDATE_EMAIL,)
    assert to_candidate.to == CANDIDATE_EMAIL
    assert to_candidate.subject == probation_subject(due)
    assert f"Kính gửi {NAME}," in to_candidate.body
    assert "(còn 30 ngày)" in to_candidate.body

    rows = outbox_by_message_id(flow)
    assert set(rows) == {to_secretary.message_id, to_candidate.message_id}
    assert {r.status for r in rows.values()} == {"sent"}
    assert [r.recipients for r in rows.values()] == [
        [{"role": "candidate", "name": NAME, "email": CANDIDATE_EMAIL}],
        [{"role": "cell_secretary", **SECRETARY}],
    ]


def test_sweeping_and_delivering_again_never_sends_a_reminder_twice(
    mail_flows: OpenFlow, smtp_server: SmtpServer, clock: ManualClock
) -> None:
    flow = mail_flows(smtp_server)
    probationer(flow)
    _, before_30 = probation_rungs(flow)
    clock.set(before_30.fire_at + LATER)
    assert flow.sweep().messages == 2
    assert flow.deliver().sent == 2
    sent = smtp_server.by_message_id()

    second_worker = mail_flows(smtp_server)
    for moment in (clock.now(), clock.now() + timedelta(days=1), clock.now() + timedelta(days=20)):
        clock.set(moment)
        for each in (flow, second_worker):
            assert each.sweep().messages == 0
            assert each.deliver().sent == 0

    assert smtp_server.by_message_id() == sent
    assert {len(copies) for copies in sent.values()} == {1}
    assert set(sent) == set(outbox_by_message_id(flow))


# -------------------------------------------------------------------- refusals, backoff, giving up


@pytest.mark.parametrize("command", ["DATA", "RCPT"])
def test_a_refused_delivery_is_recorded_and_sent_again_only_after_the_backoff(
    mail_flows: OpenFlow, smtp_servers: Callable[[Refusals], SmtpServer], clock: ManualClock, command: str
) -> None:
    server = smtp_servers(Refusals(first=1, command=command, reply=TRY_LATER))
    flow = mail_flows(server)
    probationer(flow)
    _, before_30 = probation_rungs(flow)
    clock.set(before_30.fire_at + LATER)
    assert flow.sweep().messages == 2
    refused_at = clock.now()

    report = flow.deliver()
    assert (report.sent, report.retried, report.dead) == (1, 1, 0)
    assert len(server.refusals.refused) == 1
    waiting = the_only([r for r in flow.outbox() if r.status == "pending"])
    assert waiting.attempts == 1
    assert waiting.last_error is not None and "451" in waiting.last_error
    assert waiting.next_attempt_at == refused_at + BACKOFF
    assert waiting.message_id in the_only(report.errors)
    assert waiting.message_id not in smtp_server_ids(server)

    clock.set(refused_at + BACKOFF - timedelta(seconds=1))
    assert flow.deliver().sent == 0
    assert len(server.received) == 1

    clock.set(refused_at + BACKOFF)
    assert flow.deliver().sent == 1
    delivered = outbox_by_message_id(flow)[waiting.message_id]
    assert (delivered.status, delivered.attempts, delivered.sent_at) == ("sent", 2, clock.now())

    copies = server.by_message_id()
    assert set(copies) == set(outbox_by_message_id(flow))
    assert {len(mails) for mails in copies.values()} == {1}


def test_the_retry_delay_doubles_after_each_refusal(
    mail_flows: OpenFlow, smtp_servers: Callable[[Refusals], SmtpServer], clock: ManualClock
) -> None:
    server = smtp_servers(Refusals(first=3, command="DATA", reply=TRY_LATER))
    flow = mail_flows(server)
    probationer(flow)
    before_45, _ = probation_rungs(flow)
    clock.set(before_45.fire_at + LATER)
    assert flow.sweep().messages == 1

    for attempt, delay in ((1, BACKOFF), (2, 2 * BACKOFF), (3, 4 * BACKOFF)):
        refused_at = clock.now()
        assert flow.deliver().retried == 1
        row = the_only(flow.outbox())
        assert (row.status, row.attempts, row.next_attempt_at) == ("pending", attempt, refused_at + delay)
        clock.set(row.next_attempt_at)

    assert flow.deliver().sent == 1
    assert the_only(server.received).message_id == the_only(flow.outbox()).message_id


def test_a_message_refused_max_attempts_times_goes_dead_until_retry_outbox_requeues_it(
    mail_flows: OpenFlow, smtp_servers: Callable[[Refusals], SmtpServer], clock: ManualClock
) -> None:
    server = smtp_servers(Refusals(first=ALWAYS, command="RCPT", reply=NO_SUCH_USER))
    flow = mail_flows(server, delivery_max_attempts=2)
    probationer(flow)
    before_45, _ = probation_rungs(flow)
    clock.set(before_45.fire_at + LATER)
    assert flow.sweep().messages == 1

    assert flow.deliver().retried == 1
    clock.advance(BACKOFF)
    report = flow.deliver()
    assert (report.sent, report.retried, report.dead) == (0, 0, 1)
    dead = the_only(flow.outbox(failed_only=True))
    assert (dead.status, dead.attempts) == ("dead", 2)
    assert dead.last_error is not None and "550" in dead.last_error

    clock.advance(timedelta(days=30))
    assert flow.deliver().sent == 0
    assert len(server.refusals.refused) == 2, "a dead message is not tried again on its own"

    server.accept_everything()
    assert flow.retry_outbox() == 1
    requeued = the_only(flow.outbox())
    assert (requeued.status, requeued.attempts, requeued.next_attempt_at) == ("pending", 0, clock.now())
    assert flow.deliver().sent == 1

    received = the_only(server.received)
    assert received.message_id == dead.message_id
    assert received.envelope_to == (SECRETARY["email"],)
    assert the_only(flow.outbox()).status == "sent"
    assert flow.outbox(failed_only=True) == []


def test_retry_outbox_with_ids_requeues_only_the_messages_named(
    mail_flows: OpenFlow, smtp_servers: Callable[[Refusals], SmtpServer], clock: ManualClock
) -> None:
    server = smtp_servers(Refusals(first=ALWAYS, command="DATA", reply=NO_SUCH_USER))
    flow = mail_flows(server, delivery_max_attempts=1)
    probationer(flow)
    _, before_30 = probation_rungs(flow)
    clock.set(before_30.fire_at + LATER)
    assert flow.sweep().messages == 2
    assert flow.deliver().dead == 2
    to_candidate, to_secretary = flow.outbox(failed_only=True)
    assert to_candidate.recipients[0]["email"] == CANDIDATE_EMAIL

    server.accept_everything()
    assert flow.retry_outbox([to_secretary.id]) == 1
    assert flow.deliver().sent == 1
    assert the_only(server.received).message_id == to_secretary.message_id
    assert [(r.id, r.status) for r in flow.outbox(failed_only=True)] == [(to_candidate.id, "dead")]


# -------------------------------------------------------------------- roles without an address


def test_a_role_without_an_address_is_recorded_without_losing_the_candidates_mail(
    mail_flows: OpenFlow, smtp_server: SmtpServer, clock: ManualClock
) -> None:
    flow = mail_flows(smtp_server)
    probationer(flow)
    _, before_30 = probation_rungs(flow)
    assert before_30.missing_roles == ["helper"]
    clock.set(before_30.fire_at + LATER)
    assert flow.sweep().messages == 2

    noted = the_only([r for r in flow.outbox(failed_only=True) if r.status != "dead"])
    assert noted.status == "pending"
    assert noted.recipients == [{"role": "candidate", "name": NAME, "email": CANDIDATE_EMAIL}]
    assert noted.last_error is not None and "helper" in noted.last_error

    assert flow.deliver().sent == 2
    to_candidate = the_only(smtp_server.received_for(CANDIDATE_EMAIL))
    assert to_candidate.envelope_to == (CANDIDATE_EMAIL,)
    assert to_candidate.message_id == noted.message_id


def test_the_missing_helper_address_stays_on_record_after_the_candidates_mail_is_sent(
    mail_flows: OpenFlow, smtp_server: SmtpServer, clock: ManualClock
) -> None:
    flow = mail_flows(smtp_server)
    probationer(flow)
    _, before_30 = probation_rungs(flow)
    clock.set(before_30.fire_at + LATER)
    flow.sweep()
    assert flow.deliver().sent == 2

    sent_to_candidate = next(r for r in flow.outbox() if r.recipients[0]["email"] == CANDIDATE_EMAIL)
    assert sent_to_candidate.status == "sent"
    assert sent_to_candidate.last_error is not None and "helper" in sent_to_candidate.last_error


# -------------------------------------------------------------------- what the recipients actually get


def test_a_recipient_refused_while_another_is_accepted_still_gets_the_mail(
    mail_flows: OpenFlow, smtp_servers: Callable[[Refusals], SmtpServer], clock: ManualClock
) -> None:
    server = smtp_servers(Refusals(first=1, command="RCPT", reply=TRY_LATER, addresses=frozenset({CANDIDATE_EMAIL})))
    flow = mail_flows(server)
    probationer(flow, only_probation_reminders=False)
    first_rung = reminders(flow, "member_records")[0]  # to the candidate and the cell secretary
    assert [p["email"] for p in first_rung.recipients] == [CANDIDATE_EMAIL, SECRETARY["email"]]
    clock.set(first_rung.fire_at + LATER)
    assert flow.sweep().messages == 1

    for _ in range(3):  # the refusal is temporary: a few rounds, each after the longest backoff so far
        flow.deliver()
        clock.advance(4 * BACKOFF)

    assert server.refusals.refused == [f"RCPT {CANDIDATE_EMAIL}"]
    assert len(server.received_for(SECRETARY["email"])) >= 1
    assert len(server.received_for(CANDIDATE_EMAIL)) >= 1


def test_every_subject_and_body_arrive_exactly_as_the_outbox_holds_them(
    mail_flows: OpenFlow, smtp_server: SmtpServer, clock: ManualClock
) -> None:
    flow = mail_flows(smtp_server)
    probationer(flow, only_probation_reminders=False)
    _, before_30 = probation_rungs(flow)
    clock.set(before_30.fire_at + LATER)
    queued = flow.sweep().messages
    assert queued == 8  # member records x2, new-member course x4, probation end x2
    assert flow.deliver().sent == queued

    with flow.store.engine.connect() as conn:
        rows = list(conn.execute(select(OUTBOX)))
    assert {m.message_id: m.body for m in smtp_server.received} == {r.message_id: r.body for r in rows}
    assert {m.message_id: m.subject for m in smtp_server.received} == {r.message_id: r.subject for r in rows}

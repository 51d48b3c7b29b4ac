"""Outages and crashes (issue 13): leases that recover in seconds, a sweep that finishes its own work, delivery
that says when it could send nothing, drains everything due and queues trial messages at the real time.

The process tests kill a real sweeper or sender (``SIGKILL``) and measure how long the next run on the real clock
takes to carry on. Every wait is bounded; nothing sleeps to synchronise.
"""

from __future__ import annotations

import multiprocessing
import signal
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from outage_targets import deliver_then_hang, sweep_then_hang
from smtp_servers import CALENDAR, WAIT_SECONDS, WORKFLOWS, SmtpServer
from sqlalchemy import select

from admission_flow.domain.records import CandidateRecord
from admission_flow.flow import AdmissionFlow
from admission_flow.notify import OutgoingMail
from admission_flow.settings import Settings
from admission_flow.store.outbox import outbox
from admission_flow.store.schema import Lease, table
from admission_flow.testing import ManualClock
from admission_flow.testing.scenario import add_sample_orgs, drive

pytest_plugins = ["smtp_servers"]

WORKFLOW = "standard@2021"  # probation reminders (8 messages once the 30-day rung is past)
SPAWN = multiprocessing.get_context("spawn")
TAKEOVER_SECONDS = 10.0  # bound on a takeover measured on the real clock (the old lease was 300 s)
leases = table(Lease)


def probationer(flow: AdmissionFlow, start: date) -> CandidateRecord:
    add_sample_orgs(flow)
    flow.add_candidate(
        workflow=WORKFLOW,
        id="an",
        full_name="Nguyễn Văn An",
        org_id="ks.anmy.ap1",
        birth_date=date(1998, 5, 17),
        education="university",
        email="an@example.vn",
    )
    record = drive(flow, "an", start, until="probationary")
    assert record.state == "probationary"
    return record


def rows(flow: AdmissionFlow, table_: Any) -> list[Any]:
    with flow.store.engine.connect() as conn:
        return list(conn.execute(select(table_).order_by(*table_.primary_key.columns)))


def settings_for(url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"database_url": url, "workflows_dir": WORKFLOWS, "calendar_file": CALENDAR}
    return Settings(**(values | overrides))


def killed(target: Callable[..., None], *args: Any) -> None:
    """Run ``target`` in a process, wait until it says it hangs, then ``kill -9`` it (and reap it)."""
    hanging, release = SPAWN.Event(), SPAWN.Event()
    process = SPAWN.Process(target=target, args=(*args, hanging, release))
    process.start()
    try:
        assert hanging.wait(WAIT_SECONDS), "the process never got to the point where it hangs"
        process.kill()
        process.join(WAIT_SECONDS)
        assert process.exitcode == -signal.SIGKILL
    finally:
        if process.is_alive():
            process.kill()
        process.join(WAIT_SECONDS)


def until(action: Callable[[], bool]) -> float:
    """Repeat ``action`` until it returns True (bounded); the seconds it took on the real clock."""
    started = time.monotonic()
    while not action():
        assert time.monotonic() - started < WAIT_SECONDS, "never recovered"
        time.sleep(0.1)
    return time.monotonic() - started


# -------------------------------------------------------------------- leases that recover in seconds


def test_a_sweep_killed_mid_batch_is_taken_over_by_the_next_run_within_seconds(
    database_url: str, clock: ManualClock
) -> None:
    clock.set(datetime(2024, 1, 5, 2, 0, tzinfo=UTC))
    settings = settings_for(database_url)
    with AdmissionFlow(settings, clock=clock) as setup:
        setup.upgrade_database()
        probationer(setup, date(2024, 1, 5))  # its probation timers are all due on the real clock
    killed(sweep_then_hang, settings)

    with AdmissionFlow(settings) as flow:  # the real clock
        if flow.store.single_writer:
            (lease,) = rows(flow, leases)  # the dead sweeper's, still unexpired
            assert lease.expires_at > datetime.now(UTC)
        reports = []

        def sweep() -> bool:
            reports.append(flow.sweep())
            return reports[-1].claimed > 0

        took = until(sweep)
        assert took < TAKEOVER_SECONDS
        assert reports[0].lease_held_elsewhere is False, "a dead holder on this host is taken over at once"
        assert rows(flow, leases) == []
        assert flow.sweep().claimed == 0


def test_the_sqlite_sweep_lease_of_a_live_holder_runs_out_after_the_configured_seconds(
    tmp_path: Any, clock: ManualClock
) -> None:
    settings = settings_for(f"sqlite:///{tmp_path / 'lease.db'}")
    assert settings.sweep_lease_seconds == 30
    first, second = AdmissionFlow(settings, clock=clock), AdmissionFlow(settings, clock=clock)
    try:
        first.upgrade_database()
        with first.store.transaction() as tx:  # a live holder (this process) that stopped renewing
            assert tx.timers.acquire_lease("sweeper", first.holder, clock.now(), clock.now() + timedelta(seconds=30))
        assert second.sweep().lease_held_elsewhere is True
        clock.advance(timedelta(seconds=29))
        assert second.sweep().lease_held_elsewhere is True
        clock.advance(timedelta(seconds=1))
        assert second.sweep().lease_held_elsewhere is False
    finally:
        first.close()
        second.close()


def test_a_delivery_killed_mid_batch_is_taken_over_once_its_short_lease_ends(
    database_url: str, clock: ManualClock, smtp_server: SmtpServer
) -> None:
    assert settings_for(database_url).delivery_lease_seconds == 30  # the default (was 300); 2 s here
    lease = 2.0
    clock.set(datetime(2024, 1, 5, 2, 0, tzinfo=UTC))
    settings = smtp_server.settings(database_url, delivery_lease_seconds=lease)
    with AdmissionFlow(settings, clock=clock) as setup:
        setup.upgrade_database()
        probationer(setup, date(2024, 1, 5))
        clock.set(datetime(2025, 5, 25, 3, 0, tzinfo=UTC))
        assert setup.sweep().messages == 8
    killed(deliver_then_hang, settings)
    assert len(smtp_server.received) == 1

    with AdmissionFlow(settings) as flow:  # the real clock
        assert {(r.status, r.attempts) for r in rows(flow, outbox)} == {("sending", 1)}
        sent: list[int] = []

        def deliver() -> bool:
            sent.append(flow.deliver().sent)
            return sum(sent) > 0

        took = until(deliver)
        assert took < lease + TAKEOVER_SECONDS
        assert sum(sent) == 8  # every message once more (the first one a recognisable resend)
        assert {r.status for r in rows(flow, outbox)} == {"sent"}


def test_a_long_delivery_renews_its_lease_so_no_other_run_takes_its_messages(
    database_url: str, clock: ManualClock, smtp_server: SmtpServer
) -> None:
    settings = smtp_server.settings(database_url, delivery_lease_seconds=30)
    other: list[int] = []

    class SlowServer:  # each message takes 20 s of the (manual) clock; another run tries halfway
        sent = 0

        def send(self, mail: OutgoingMail) -> None:
            clock.advance(timedelta(seconds=20))
            self.sent += 1
            if self.sent == 4:
                other.append(rival.deliver().sent)

    server = SlowServer()
    flow = AdmissionFlow(settings, clock=clock, notifier=server)
    rival = AdmissionFlow(settings, clock=clock, notifier=server)
    try:
        flow.upgrade_database()
        probationer(flow, date(2026, 1, 5))
        clock.set(datetime(2027, 5, 25, 3, 0, tzinfo=UTC))
        assert flow.sweep().messages == 8

        assert flow.deliver().sent == 8
        assert other == [0], "the rival found every message still leased"
        assert server.sent == 8
    finally:
        flow.close()
        rival.close()


# -------------------------------------------------------------------- a sweep finishes its own work


def ends_probation(flow: AdmissionFlow) -> datetime:
    flow.upgrade_database()
    probationer(flow, date(2024, 1, 5))
    return datetime(2026, 6, 1, tzinfo=UTC)  # long after the probation end: the next state's timers are due too


def test_one_sweep_also_acts_on_the_timers_its_automatic_events_make_due(database_url: str, clock: ManualClock) -> None:
    with AdmissionFlow(settings_for(database_url), clock=clock) as flow:
        later = ends_probation(flow)

        report = flow.sweep(later)

        assert report.fired >= 1 and report.rounds >= 2 and report.left_due == 0
        assert flow.sweep(later).claimed == 0, "nothing due by then is left for a second run"


def test_a_sweep_stops_after_the_configured_rounds_and_says_what_is_still_due(
    database_url: str, clock: ManualClock
) -> None:
    with AdmissionFlow(settings_for(database_url, sweep_max_rounds=1), clock=clock) as flow:
        later = ends_probation(flow)

        report = flow.sweep(later)

        assert (report.rounds, report.left_due > 0) == (1, True)
        assert flow.sweep(later).claimed >= report.left_due  # the next sweep goes on


# -------------------------------------------------------------------- delivery


def test_messages_a_trial_sweep_in_the_future_queues_are_due_at_the_real_time(
    database_url: str, clock: ManualClock, smtp_server: SmtpServer
) -> None:
    flow = smtp_server.flow(database_url, clock)
    try:
        probationer(flow, date(2026, 1, 5))
        queued = flow.sweep(datetime(2027, 5, 25, 3, 0, tzinfo=UTC)).messages
        assert queued == 8

        assert {r.next_attempt_at for r in rows(flow, outbox)} == {clock.now()}
        assert flow.deliver().sent == 8  # the real-time worker sends them now
    finally:
        flow.close()


def test_delivery_drains_everything_due_in_batches_and_a_limit_reports_what_remains(
    database_url: str, clock: ManualClock, smtp_server: SmtpServer
) -> None:
    flow = smtp_server.flow(database_url, clock, delivery_batch=3)
    try:
        probationer(flow, date(2026, 1, 5))
        clock.set(datetime(2027, 5, 25, 3, 0, tzinfo=UTC))
        assert flow.sweep().messages == 8

        limited = flow.deliver(limit=2)
        assert (limited.sent, limited.remaining) == (2, 6)
        drained = flow.deliver()
        assert (drained.sent, drained.remaining) == (6, 0)
        assert len(smtp_server.received) == 8
    finally:
        flow.close()


def test_a_delivery_that_could_send_nothing_says_so(database_url: str, clock: ManualClock) -> None:
    settings = settings_for(database_url, smtp_host="127.0.0.1", smtp_port=1, smtp_timeout_seconds=2.0)
    with AdmissionFlow(settings, clock=clock) as flow:
        flow.upgrade_database()
        probationer(flow, date(2026, 1, 5))
        clock.set(datetime(2027, 5, 25, 3, 0, tzinfo=UTC))
        assert flow.sweep().messages == 8

        report = flow.deliver()

        assert (report.sent, report.retried, report.sent_nothing) == (0, 8, True)
        assert flow.deliver().sent_nothing is False  # nothing was due: nothing to complain about

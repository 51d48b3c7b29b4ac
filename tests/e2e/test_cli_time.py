"""The durable-time commands through the real entry point (``python -m admission_flow`` in a subprocess):
simulate, sweep, deliver, outbox, deadlines and reminders, with the contract's exit codes.

The database these commands read is prepared through the library with a manual clock, as if each event had
been recorded on its paper date: candidate ``an`` (no e-mail address) held the admission ceremony on
15/9/2024, so every timer of the probation is pending and already due before the real "now" of any test run.
Listings that read the system clock therefore do not depend on the day the tests run. No SMTP server listens
on the configured port: delivery fails with ConnectionRefusedError and is recorded.
"""

from __future__ import annotations

import socket
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from clitools import Run, as_json

from admission_flow.domain.values import DocumentRecord
from admission_flow.flow import AdmissionFlow
from admission_flow.settings import Settings
from admission_flow.testing import ManualClock
from admission_flow.testing.scenario import add_sample_orgs, drive

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CELL = "bithu.ks-anmy-ap1@example.vn"
OFFICE = "bantochuc.ks@example.vn"


def local(day: date, hour: int = 0, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=VN)


def utc_text(instant: datetime) -> str:
    """An instant as the CLI prints it in JSON."""
    return instant.astimezone(UTC).isoformat()


@pytest.fixture
def on_probation(workdir: Path, cli: Run) -> Run:
    """``an`` on standard@2021: decision received 26/8/2024, ceremony 15/9/2024, probation ends 15/9/2025."""
    clock = ManualClock(local(date(2024, 1, 31), 9))
    settings = Settings(
        database_url=f"sqlite:///{workdir / 'cli.db'}",
        workflows_dir=workdir / "workflows",
        calendar_file=workdir / "config" / "calendar-vn.toml",
    )
    with AdmissionFlow(settings, clock=clock) as flow:
        flow.upgrade_database()
        add_sample_orgs(flow)
        flow.add_candidate(
            id="an",
            full_name="Nguyễn Văn An",
            org_id="ks.anmy.ap1",
            birth_date=date(1995, 5, 15),
            education="university",
            workflow="standard@2021",
        )
        drive(flow, "an", date(2024, 3, 1), until="awaiting_admission_decision")
        decision = [DocumentRecord("admission_decision", date(2024, 8, 25), "QĐ/an")]
        flow.fire("an", "decide_admission", on=date(2024, 8, 25), role="competent_committee", documents=decision)
        flow.fire("an", "receive_decision", on=date(2024, 8, 26), role="cell")
        clock.set(local(date(2024, 9, 15), 9))
        flow.fire("an", "hold_ceremony", on=date(2024, 9, 15), role="cell")
    return cli


# -------------------------------------------------------------------- simulate


def test_simulating_the_standard_workflow_ends_probation_automatically_and_lists_the_messages(cli: Run) -> None:
    timeline = as_json(cli("simulate", "standard", "--start", "2026-01-05", "--json"))

    assert {e["kind"] for e in timeline} == {"event", "automatic", "message"}
    assert timeline[0]["what"] == "admit_to_sympathizer_list" and timeline[0]["on"] == "2026-01-05"
    (automatic,) = [e for e in timeline if e["kind"] == "automatic"]
    assert (automatic["what"], automatic["state"], automatic["detail"]) == (
        "probation_elapsed",
        "awaiting_recognition_vote",
        "timer:probation_end",
    )
    (ceremony,) = [e for e in timeline if e["what"] == "hold_ceremony"]
    held = date.fromisoformat(ceremony["on"])
    assert automatic["on"] == held.replace(year=held.year + 1).isoformat()  # twelve months of probation
    messages = [e for e in timeline if e["kind"] == "message"]
    assert messages and all(m["detail"].startswith("to ") for m in messages)
    assert any("Hết thời hạn dự bị" in m["what"] for m in messages)
    assert [e["at"] for e in timeline] == sorted(e["at"] for e in timeline)
    assert timeline[-1]["state"] == "full_member"


def test_simulating_the_2021_rules_sends_the_probation_reminders_before_the_automatic_end(cli: Run) -> None:
    timeline = as_json(cli("simulate", "standard@2021", "--start", "2026-01-05", "--json"))

    ending = [
        (e["kind"], e["what"][:42], e["detail"]) for e in timeline if "dự bị" in e["what"] or e["kind"] == "automatic"
    ]
    assert [kind for kind, _, _ in ending] == ["message", "message", "automatic"]
    assert ending[0][2] == f"to {CELL}"
    assert "no e-mail address for role(s): helper" in ending[1][2]  # the sample tree lists no helper


def test_simulating_a_custom_path_runs_exactly_those_steps_after_the_given_gaps(cli: Run) -> None:
    done = cli(
        "simulate",
        "standard@2021",
        "--start",
        "2026-01-05",
        "--path",
        "admit_to_sympathizer_list+0",
        "--path",
        "assign_helper+1",
        "--path",
        "nominate_for_class+30",
        "--path",
        "withdraw+3",
        "--json",
    )

    timeline = as_json(done)
    assert [(e["kind"], e["on"], e["what"], e["state"]) for e in timeline] == [
        ("event", "2026-01-05", "admit_to_sympathizer_list", "sympathizer"),
        ("event", "2026-01-06", "assign_helper", "sympathizer"),
        ("event", "2026-02-05", "nominate_for_class", "in_awareness_class"),
        ("event", "2026-02-08", "withdraw", "withdrawn"),
    ]


def test_simulating_prints_a_table_without_json(cli: Run) -> None:
    done = cli("simulate", "standard@2021", "--path", "admit_to_sympathizer_list+0", "--path", "withdraw+2")

    assert "Simulation of standard@2021 from 2026-01-05" in done.stdout
    assert "admit_to_sympathizer_list" in done.stdout and "withdrawn" in done.stdout


def test_simulating_a_path_with_a_misspelt_trigger_is_refused_as_invalid_input(cli: Run) -> None:
    done = cli("simulate", "standard@2021", "--path", "admit_to_sympatizer_list", "--json", expect=2)

    assert "admit_to_sympatizer_list" in done.stdout + done.stderr


# -------------------------------------------------------------------- sweep and the outbox


def test_a_sweep_at_a_given_instant_queues_the_due_reminders_in_the_outbox(on_probation: Run) -> None:
    report = as_json(on_probation("sweep", "--now", "2024-10-26", "--json"))

    assert report == {
        "claimed": 2,
        "messages": 2,
        "fired": 0,
        "failed": 0,
        "stale": 0,
        "batches": 1,
        "lease_held_elsewhere": False,
        "rounds": 1,
        "left_due": 0,
    }
    outbox = as_json(on_probation("outbox", "list", "--json"))
    assert [(m["template"], [r["email"] for r in m["recipients"]], m["status"], m["attempts"]) for m in outbox] == [
        ("deadline_overdue", [CELL], "pending", 0),  # member records not filed by 25/10/2024 (newest first)
        ("deadline_reminder", [CELL], "pending", 0),  # 15 working days before, on 4/10/2024
    ]
    assert outbox[0]["subject"].startswith("[Quá hạn] Khai lý lịch đảng viên")
    assert outbox[1]["last_error"] == "no e-mail address for role(s): candidate"


def test_a_sweep_without_json_says_what_it_did(on_probation: Run) -> None:
    done = on_probation("sweep", "--now", "2024-10-26")

    assert "claimed 2 due timer(s): 2 message(s), 0 automatic event(s), 0 refused, 0 stale" in done.stdout


def test_a_sweep_after_the_probation_end_moves_the_candidate_by_itself(on_probation: Run) -> None:
    report = as_json(on_probation("sweep", "--now", "2025-09-15T06:00:00+07:00", "--json"))

    assert (report["claimed"], report["fired"], report["failed"]) == (10, 1, 0)  # every timer of the probation
    shown = as_json(on_probation("candidate", "show", "an", "--json"))
    assert shown["state"] == "awaiting_recognition_vote"
    last = as_json(on_probation("history", "an", "--json"))[-1]
    assert (last["trigger"], last["actor"], last["occurred_on"]) == (
        "probation_elapsed",
        "timer:probation_end",
        "2025-09-15",
    )


def test_sweeps_run_one_after_another_never_queue_a_message_twice(on_probation: Run) -> None:
    first = as_json(on_probation("sweep", "--now", "2024-10-26", "--json"))
    later = as_json(on_probation("sweep", "--now", "2024-12-16", "--json"))  # the first one's lease has run out

    assert (first["claimed"], later["claimed"], later["lease_held_elsewhere"]) == (2, 1, False)
    outbox = as_json(on_probation("outbox", "list", "--json"))
    assert len({m["message_id"] for m in outbox}) == len(outbox) == 3


def test_a_trial_sweep_in_the_future_does_not_lock_out_the_next_sweep(on_probation: Run) -> None:
    on_probation("sweep", "--now", "2030-01-01", "--json")

    report = as_json(on_probation("sweep", "--json"))

    assert report["lease_held_elsewhere"] is False


def test_delivery_without_a_mail_server_records_the_error_and_keeps_the_message_for_a_retry(
    on_probation: Run,
) -> None:
    on_probation("sweep", "--now", "2024-10-26")

    report = as_json(on_probation("deliver", "--json", expect=1))  # nothing of what was due could be sent

    assert (report["sent"], report["retried"], report["dead"]) == (0, 2, 0)
    assert all("ConnectionRefusedError" in line for line in report["errors"])
    failed = as_json(on_probation("outbox", "list", "--failed", "--json"))
    assert [(m["status"], m["attempts"]) for m in failed] == [("pending", 1), ("pending", 1)]
    assert all(m["last_error"].startswith("ConnectionRefusedError") for m in failed)
    assert all(m["sent_at"] is None for m in failed)
    assert all(m["next_attempt_at"] > m["created_at"] for m in failed)  # backed off


def test_delivery_with_a_limit_says_how_many_messages_are_still_due(on_probation: Run) -> None:
    on_probation("sweep", "--now", "2024-10-26")

    report = as_json(on_probation("deliver", "--limit", "1", "--json", expect=1))  # the server is down
    text = on_probation("deliver", "--limit", "1", expect=1)

    assert (report["sent"], report["retried"], report["remaining"]) == (0, 1, 1)
    assert "sent 0, will retry 1, gave up on 0; 0 more due" not in text.stdout
    assert "nothing could be sent" in text.stderr
    assert "--limit" in on_probation("deliver", "--help").stdout


def test_the_failed_list_shows_only_messages_with_a_problem(on_probation: Run) -> None:
    on_probation("sweep", "--now", "2024-12-16")  # member-records reminder and notice, new-member-course reminder

    failed = as_json(on_probation("outbox", "list", "--failed", "--json"))

    assert [(m["template"], m["last_error"]) for m in failed] == [
        ("deadline_reminder", "no e-mail address for role(s): candidate")
    ]
    assert len(as_json(on_probation("outbox", "list", "--json"))) == 3


def test_retrying_the_outbox_queues_dead_messages_again_with_fresh_attempts(on_probation: Run) -> None:
    on_probation("sweep", "--now", "2024-10-26")
    on_probation("deliver", env={"ADMISSION_FLOW_DELIVERY_MAX_ATTEMPTS": "1"}, expect=1)  # the server is down
    assert {(m["status"], m["attempts"]) for m in as_json(on_probation("outbox", "list", "--json"))} == {("dead", 1)}
    newest = as_json(on_probation("outbox", "list", "--json"))[0]["id"]

    one = on_probation("outbox", "retry", str(newest))
    everything = on_probation("outbox", "retry")

    assert "1 message(s) queued again" in one.stdout
    assert "1 message(s) queued again" in everything.stdout  # the other one; the first is no longer dead
    assert {(m["status"], m["attempts"]) for m in as_json(on_probation("outbox", "list", "--json"))} == {("pending", 0)}
    assert "0 message(s) queued again" in on_probation("outbox", "retry").stdout


def test_a_message_to_nobody_is_dead_at_once_and_listed_as_failed(on_probation: Run) -> None:
    on_probation("sweep", "--now", "2025-08-17")  # ... up to the helper/candidate reminder of 16/8/2025

    failed = as_json(on_probation("outbox", "list", "--failed", "--json"))

    nobody = [m for m in failed if m["recipients"] == []]
    assert [(m["template"], m["status"], m["last_error"]) for m in nobody] == [
        ("probation_ending", "dead", "no e-mail address for role(s): helper, candidate")
    ]


# -------------------------------------------------------------------- deadlines and reminders


def test_overdue_deadlines_are_listed_as_json(on_probation: Run) -> None:
    listed = as_json(on_probation("deadlines", "list", "--overdue", "--json"))

    assert [(d["candidate_id"], d["deadline"], d["due_on"], d["due_at"], d["overdue"]) for d in listed] == [
        ("an", "member_records", "2024-10-25", utc_text(local(date(2024, 10, 26))), True),
        ("an", "probation_end", "2025-09-15", utc_text(local(date(2025, 9, 15))), True),
        ("an", "new_member_course", "2025-09-15", utc_text(local(date(2025, 9, 15))), True),
    ]
    assert all(d["days_left"] < 0 and d["status"] == "pending" and d["state"] == "probationary" for d in listed)


def test_deadlines_can_be_limited_to_an_organisation_subtree(on_probation: Run) -> None:
    assert len(as_json(on_probation("deadlines", "list", "--org", "ks.anmy", "--json"))) == 3
    assert as_json(on_probation("deadlines", "list", "--org", "ks.anmy.ap2", "--json")) == []


def test_deadlines_of_an_unknown_organisation_exit_3_like_the_candidate_list(on_probation: Run) -> None:
    on_probation("candidate", "list", "--org", "nowhere", "--json", expect=3)

    on_probation("deadlines", "list", "--org", "nowhere", "--json", expect=3)


def test_upcoming_reminders_list_every_pending_timer_with_its_recipients(on_probation: Run) -> None:
    upcoming = as_json(on_probation("reminders", "upcoming", "--within", "400d", "--include-due", "--json"))

    assert [
        (r["fire_at"], r["deadline"], r["kind"], r["action"], [p["email"] for p in r["recipients"]], r["missing_roles"])
        for r in upcoming
    ] == [
        (utc_text(local(date(2024, 10, 4), 8)), "member_records", "reminder", "remind (15 working days before)",
         [CELL], ["candidate"]),
        (utc_text(local(date(2024, 10, 26))), "member_records", "due", "notify", [CELL], []),
        (utc_text(local(date(2024, 12, 15), 8)), "new_member_course", "reminder", "remind (9 months before)",
         [OFFICE], []),
        (utc_text(local(date(2025, 3, 15), 8)), "new_member_course", "reminder", "remind (6 months before)",
         [OFFICE], []),
        (utc_text(local(date(2025, 6, 15), 8)), "new_member_course", "reminder", "remind (3 months before)",
         [OFFICE], []),
        (utc_text(local(date(2025, 7, 17), 8)), "new_member_course", "reminder", "remind (60 days before)",
         [CELL], []),
        (utc_text(local(date(2025, 8, 1), 8)), "probation_end", "reminder", "remind (45 days before)", [CELL], []),
        (utc_text(local(date(2025, 8, 16), 8)), "probation_end", "reminder", "remind (30 days before)", [],
         ["helper", "candidate"]),
        (utc_text(local(date(2025, 9, 15))), "probation_end", "due", "fire probation_elapsed", [], []),
        (utc_text(local(date(2025, 9, 15))), "new_member_course", "due", "due (no action)", [], []),
    ]  # fmt: skip


def test_upcoming_reminders_shrink_as_the_sweep_handles_them(on_probation: Run) -> None:
    on_probation("sweep", "--now", "2024-12-16")

    upcoming = as_json(on_probation("reminders", "upcoming", "--within", "2w", "--include-due", "--json"))

    assert len(upcoming) == 7
    assert upcoming[0]["fire_at"] == utc_text(local(date(2025, 3, 15), 8))


@pytest.mark.parametrize("span", ["3x", "90", "d90", "-5d", "ninety days", ""])
def test_a_malformed_within_span_exits_2_and_says_what_is_expected(on_probation: Run, span: str) -> None:
    done = on_probation("reminders", "upcoming", "--within", span, expect=2)

    assert "expected a span such as 90d, 2w or 12h" in done.stderr


def test_a_malformed_sweep_instant_exits_2(on_probation: Run) -> None:
    done = on_probation("sweep", "--now", "next tuesday", expect=2)

    assert "not a date or instant: 'next tuesday'" in done.stderr
    assert as_json(on_probation("outbox", "list", "--json")) == []


def test_a_date_or_an_instant_without_an_offset_is_read_as_utc(on_probation: Run) -> None:
    # The first reminder is due at 08:00 in Hà Nội on 4/10/2024, i.e. 01:00 UTC.
    midnight = as_json(on_probation("sweep", "--now", "2024-10-04", "--json"))
    five_utc = as_json(on_probation("sweep", "--now", "2024-10-04T05:00:00", "--json"))  # 12:00 in Hà Nội

    assert (midnight["claimed"], five_utc["claimed"]) == (0, 1)


def test_smtp_sink_on_a_port_already_taken_says_so_in_one_line_and_exits_1(cli: Run) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = cli("smtp-sink", "--port", str(port), expect=1)

    assert f"smtp-sink: cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "address already in use" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_worker_refuses_to_start_when_the_named_calendar_file_is_missing(cli: Run, workdir: Path) -> None:
    done = cli("worker", expect=2, env={"ADMISSION_FLOW_CALENDAR_FILE": str(workdir / "calendar-typo.toml")})

    assert "calendar_file" in done.stderr and "calendar-typo.toml: no such file" in done.stderr
    assert "ticking" not in done.stderr


def test_deadlines_retry_reports_how_many_failed_timers_it_set_pending_and_refuses_an_unknown_candidate(
    on_probation: Run,
) -> None:
    assert "0 failed timer(s) pending again" in on_probation("deadlines", "retry").stdout
    unknown = on_probation("deadlines", "retry", "--candidate", "nobody", expect=3)
    assert "nobody" in unknown.stderr

"""Deadline projection and deadline checks, pure: ``project()`` on the real Vietnamese working-day calendar in
Asia/Ho_Chi_Minh, and the problems ``load_spec_text`` reports for deadlines, each located at file:line:column.

Expected dates are counted by hand (the start day is not counted; weekends, public holidays and the days off
given for Tết and National Day are skipped), never recomputed with the code under test.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from admission_flow.calendar import load_calendar
from admission_flow.engine.catalog import Catalog, load_spec_text
from admission_flow.guards import default_registry
from admission_flow.workflow.deadlines import Projection, anchor_date, due_date, project
from admission_flow.workflow.spec import DeadlineSpec

ROOT = Path(__file__).resolve().parents[2]
CALENDAR = load_calendar(ROOT / "config" / "calendar-vn.toml")
VN = ZoneInfo("Asia/Ho_Chi_Minh")
EIGHT = time(8, 0)
TEMPLATES = frozenset({"deadline_reminder", "deadline_overdue", "escalation", "probation_ending"})


def deadline(**fields: Any) -> DeadlineSpec:
    """A deadline as a workflow file would write it; ``from`` defaults to 'entered', ``after`` to 30 working days."""
    values: dict[str, Any] = {
        "id": "limit",
        "label": {"vi": "Thời hạn", "en": "Limit"},
        "from": "entered",
        "after": {"working_days": 30},
    }
    return DeadlineSpec.model_validate(values | fields)


def rung(side: str, amount: dict[str, int], to: tuple[str, ...] = ("cell_secretary",)) -> dict[str, Any]:
    return {side: amount, "to": list(to), "template": "deadline_reminder"}


def projected(spec: DeadlineSpec, anchor: date, extended_by: int = 0, at: time = EIGHT) -> list[Projection]:
    return project(spec, anchor, extended_by=extended_by, calendar=CALENDAR, zone=VN, reminder_time=at)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VN)


def due_row(rows: list[Projection]) -> Projection:
    (row,) = [r for r in rows if r.kind == "due"]
    return row


def shipped_deadline(state: str, deadline_id: str) -> DeadlineSpec:
    catalog = Catalog.from_path(ROOT / "workflows" / "standard-2021.yaml", default_registry(), TEMPLATES)
    return next(d for d in catalog.get("standard").spec.states[state].deadlines if d.id == deadline_id)


# ---------------------------------------------------------------- when a deadline falls due


def test_a_limit_falls_due_at_local_midnight_after_its_last_day() -> None:
    row = due_row(projected(deadline(due="end_of_day"), date(2024, 8, 26)))

    assert row.due_on == date(2024, 10, 9)
    assert row.fire_at == local(2024, 10, 10, 0, 0)
    assert row.fire_at == datetime(2024, 10, 9, 17, 0, tzinfo=UTC)


def test_a_period_falls_due_at_local_midnight_at_the_start_of_its_last_day() -> None:
    row = due_row(projected(deadline(after={"months": 12}, due="start_of_day"), date(2024, 9, 15)))

    assert row.due_on == date(2025, 9, 15)
    assert row.fire_at == local(2025, 9, 15, 0, 0)
    assert row.fire_at == datetime(2025, 9, 14, 17, 0, tzinfo=UTC)


def test_a_deadline_without_a_due_setting_is_a_limit_that_falls_due_after_its_last_day() -> None:
    row = due_row(projected(deadline(after={"days": 10}), date(2025, 3, 1)))

    assert (row.due_on, row.fire_at) == (date(2025, 3, 11), local(2025, 3, 12))


def test_projected_instants_are_given_in_utc() -> None:
    rows = projected(deadline(remind=[rung("before", {"days": 3})]), date(2025, 3, 3))

    assert {r.fire_at.utcoffset() for r in rows} == {UTC.utcoffset(None)}
    assert all(r.fire_at.tzinfo is UTC for r in rows)


def test_the_due_row_is_rung_zero_and_each_reminder_rung_is_numbered_in_ladder_order() -> None:
    spec = deadline(remind=[rung("before", {"working_days": 20}), rung("before", {"working_days": 5})])

    rows = projected(spec, date(2024, 8, 26))

    assert [(r.deadline_id, r.rung, r.kind) for r in rows] == [
        ("limit", 0, "due"),
        ("limit", 1, "reminder"),
        ("limit", 2, "reminder"),
    ]
    assert {r.due_on for r in rows} == {date(2024, 10, 9)}  # every rung carries the deadline's own date


# ---------------------------------------------------------------- reminder rungs


def test_reminders_before_a_limit_count_working_days_back_from_its_last_day() -> None:
    spec = deadline(remind=[rung("before", {"working_days": 20}), rung("before", {"working_days": 5})])

    _, twenty_before, five_before = projected(spec, date(2024, 8, 26))

    # 9/10/2024 back 20 working days (Sat/Sun skipped) = Wed 11/9; back 5 = Wed 2/10. Reminders go at 08:00.
    assert twenty_before.fire_at == local(2024, 9, 11, 8, 0)
    assert five_before.fire_at == local(2024, 10, 2, 8, 0)


def test_reminders_before_a_limit_skip_the_national_day_holidays_when_counting_back() -> None:
    spec = deadline(remind=[rung("before", {"working_days": 10})])

    _, reminder = projected(spec, date(2024, 8, 26))

    # 9/10/2024 back 10 working days: 8,7,4,3,2,1/10, 30,27,26,25/9 = Wed 25/9 (no holiday in that span);
    # from 13/9/2024, 10 back crosses 2–3/9: 12,11,10,9,6,5,4/9, 30,29,28/8 = Wed 28/8.
    assert reminder.fire_at == local(2024, 9, 25, 8, 0)
    later = deadline(after={"working_days": 10}, remind=[rung("before", {"working_days": 10})])
    due, back = projected(later, date(2024, 8, 28))
    assert due.due_on == date(2024, 9, 13)  # 29,30/8, (2,3/9 off) 4,5,6,9,10,11,12,13/9
    assert back.fire_at == local(2024, 8, 28, 8, 0)


def test_reminders_before_a_period_in_days_and_months_use_the_calendar_not_working_days() -> None:
    spec = deadline(
        after={"months": 12},
        due="start_of_day",
        remind=[rung("before", {"months": 9}), rung("before", {"days": 45}), rung("before", {"weeks": 2})],
    )

    _, nine_months, forty_five_days, two_weeks = projected(spec, date(2024, 9, 15))

    assert nine_months.fire_at == local(2024, 12, 15, 8, 0)  # a Sunday: calendar months ignore weekends
    assert forty_five_days.fire_at == local(2025, 8, 1, 8, 0)
    assert two_weeks.fire_at == local(2025, 9, 1, 8, 0)  # a National Day holiday: calendar days ignore it


def test_a_reminder_months_before_a_month_end_is_clamped_to_the_shorter_month() -> None:
    spec = deadline(after={"months": 12}, due="start_of_day", remind=[rung("before", {"months": 6})])

    _, reminder = projected(spec, date(2024, 8, 31))

    assert reminder.due_on == date(2025, 8, 31)
    assert reminder.fire_at == local(2025, 2, 28, 8, 0)


def test_reminders_after_a_limit_count_forward_from_its_last_day() -> None:
    spec = deadline(remind=[rung("after", {"working_days": 2}), rung("after", {"months": 1})])

    due, two_days_late, a_month_late = projected(spec, date(2025, 9, 15))

    assert due.due_on == date(2025, 10, 27)  # a Monday
    assert two_days_late.fire_at == local(2025, 10, 29, 8, 0)
    assert a_month_late.fire_at == local(2025, 11, 27, 8, 0)


def test_a_reminder_after_a_limit_ending_on_a_friday_skips_the_weekend() -> None:
    spec = deadline(after={"working_days": 4}, remind=[rung("after", {"working_days": 1})])

    due, next_working_day = projected(spec, date(2025, 10, 6))

    assert due.due_on == date(2025, 10, 10)
    assert next_working_day.fire_at == local(2025, 10, 13, 8, 0)


def test_reminders_go_out_at_the_configured_local_time() -> None:
    spec = deadline(remind=[rung("before", {"working_days": 5})])

    _, reminder = projected(spec, date(2024, 8, 26), at=time(7, 30))

    assert reminder.fire_at == local(2024, 10, 2, 7, 30)
    assert reminder.fire_at == datetime(2024, 10, 2, 0, 30, tzinfo=UTC)


# ---------------------------------------------------------------- extensions


def test_an_extension_in_working_days_moves_the_due_date_by_that_many_working_days() -> None:
    spec = deadline(after={"working_days": 5}, extension={"trigger": "extend", "max": {"working_days": 30}})

    assert due_row(projected(spec, date(2025, 10, 6))).due_on == date(2025, 10, 13)
    extended = due_row(projected(spec, date(2025, 10, 6), extended_by=10))
    assert extended.due_on == date(2025, 10, 27)
    assert extended.fire_at == local(2025, 10, 28)


def test_an_extension_in_working_days_skips_tet() -> None:
    spec = deadline(after={"working_days": 5}, extension={"trigger": "extend", "max": {"working_days": 30}})

    # 9/2/2026 + 5: 10,11,12,13/2, (16–20/2 Tết) 23/2; + 10 more: 24,25,26,27/2, 2–6/3, 9/3.
    assert due_row(projected(spec, date(2026, 2, 9))).due_on == date(2026, 2, 23)
    assert due_row(projected(spec, date(2026, 2, 9), extended_by=10)).due_on == date(2026, 3, 9)


def test_an_extension_is_counted_in_the_unit_of_its_cap_not_of_the_deadline() -> None:
    in_days = deadline(after={"working_days": 5}, extension={"trigger": "extend", "max": {"days": 30}})
    in_months = deadline(after={"working_days": 5}, extension={"trigger": "extend", "max": {"months": 3}})

    assert due_row(projected(in_days, date(2025, 10, 6), extended_by=10)).due_on == date(2025, 10, 23)
    assert due_row(projected(in_months, date(2025, 10, 6), extended_by=2)).due_on == date(2025, 12, 13)


def test_reminders_follow_an_extended_due_date() -> None:
    spec = deadline(
        after={"working_days": 5},
        remind=[rung("before", {"working_days": 2})],
        extension={"trigger": "extend", "max": {"working_days": 30}},
    )

    due, reminder = projected(spec, date(2025, 10, 6), extended_by=10)

    assert due.due_on == reminder.due_on == date(2025, 10, 27)
    assert reminder.fire_at == local(2025, 10, 23, 8, 0)


def test_a_granted_amount_is_ignored_by_a_deadline_that_has_no_extension_rule() -> None:
    spec = deadline(after={"working_days": 5})

    assert due_date(spec, date(2025, 10, 6), 10, CALENDAR) == date(2025, 10, 13)


# ---------------------------------------------------------------- 30 working days across holidays


def test_thirty_working_days_across_tet_2026_skip_the_five_days_off() -> None:
    row = due_row(projected(deadline(), date(2026, 2, 2)))

    # 3–6/2 (4), 9–13/2 (9), 16–20/2 Tết, 23–27/2 (14), 2–6/3 (19), 9–13/3 (24), 16–20/3 (29), 23/3 (30).
    assert row.due_on == date(2026, 3, 23)
    assert row.fire_at == local(2026, 3, 24)


def test_a_window_opened_during_tet_starts_counting_after_it() -> None:
    spec = deadline(after={"working_days": 1})

    assert due_row(projected(spec, date(2026, 2, 16))).due_on == date(2026, 2, 23)


def test_thirty_working_days_across_national_day_2025_skip_the_first_two_days_of_september() -> None:
    row = due_row(projected(deadline(), date(2025, 8, 25)))

    # 26–29/8 (4), 1–2/9 off, 3–5/9 (7), 8–12/9 (12), 15–19/9 (17), 22–26/9 (22), 29/9–3/10 (27), 6–8/10 (30).
    assert row.due_on == date(2025, 10, 8)
    assert row.fire_at == local(2025, 10, 9)


# ---------------------------------------------------------------- the worked example (domain §6.5)


def test_worked_example_ceremony_limit_is_9_october_2024_for_a_decision_received_on_26_august() -> None:
    rows = projected(shipped_deadline("awaiting_ceremony", "ceremony"), date(2024, 8, 26))

    due, twenty_before, five_before = rows
    assert due.due_on == date(2024, 10, 9)
    assert due.fire_at == local(2024, 10, 10)
    assert twenty_before.fire_at == local(2024, 9, 11, 8, 0)
    assert five_before.fire_at == local(2024, 10, 2, 8, 0)


def test_worked_example_probation_ends_on_15_september_2025_at_the_start_of_the_day() -> None:
    rows = projected(shipped_deadline("probationary", "probation_end"), date(2024, 9, 15))

    due, forty_five_before, thirty_before = rows
    assert (due.due_on, due.fire_at) == (date(2025, 9, 15), local(2025, 9, 15))
    assert forty_five_before.fire_at == local(2025, 8, 1, 8, 0)
    assert thirty_before.fire_at == local(2025, 8, 16, 8, 0)


def test_worked_example_cell_review_is_due_27_october_2025_after_probation_ends_on_15_september() -> None:
    rows = projected(shipped_deadline("awaiting_recognition_vote", "recognition_review"), date(2025, 9, 15))

    due, twenty_before, five_before = rows
    assert due.due_on == date(2025, 10, 27)
    assert due.fire_at == local(2025, 10, 28)
    assert twenty_before.fire_at == local(2025, 9, 29, 8, 0)
    assert five_before.fire_at == local(2025, 10, 20, 8, 0)


# ---------------------------------------------------------------- the anchor date


def test_the_anchor_is_the_entry_date_for_entered_and_the_recorded_date_otherwise() -> None:
    recorded = {"ceremony_on": date(2024, 9, 15)}

    assert anchor_date(deadline(), recorded, date(2025, 1, 2)) == date(2025, 1, 2)
    assert anchor_date(deadline(**{"from": "ceremony_on"}), recorded, date(2025, 1, 2)) == date(2024, 9, 15)
    assert anchor_date(deadline(**{"from": "probation_end_on"}), recorded, date(2025, 1, 2)) is None


# ---------------------------------------------------------------- checks, located at file:line:column

VALID = """\
id: timed
version: "1"
title: {vi: Thử thời hạn, en: Deadline test}
initial: waiting
roles:
  cell: {vi: Chi bộ, en: Party cell}
  cell_secretary: {vi: Bí thư chi bộ, en: Cell secretary}
dates:
  received_on: {vi: Ngày nhận, en: Received}
states:
  waiting:
    label: {vi: Chờ trả lời, en: Waiting}
    deadlines:
      - id: answer
        label: {vi: Trả lời, en: Answer}
        from: received_on
        after: {working_days: 30}
        remind:
          - {before: {working_days: 5}, to: [cell_secretary, candidate], template: deadline_reminder}
        on_due: {fire: time_out}
        extension: {trigger: extend_answer, max: {working_days: 30}}
        done_by: [acknowledge]
  timed_out:
    label: {vi: Quá hạn, en: Timed out}
  closed:
    final: true
    label: {vi: Đã đóng, en: Closed}
transitions:
  - trigger: receive
    source: waiting
    records: [received_on]
  - trigger: acknowledge
    source: waiting
  - trigger: extend_answer
    source: waiting
  - trigger: time_out
    source: waiting
    dest: timed_out
  - trigger: reopen
    source: timed_out
    dest: waiting
  - trigger: close
    source: [waiting, timed_out]
    dest: closed
"""


def problems_in(text: str, templates: frozenset[str] | None = TEMPLATES) -> list[str]:
    _, problems = load_spec_text(text, "f.yaml", default_registry(), templates=templates)
    return [str(p) for p in problems]


def variant(old: str, new: str) -> str:
    assert VALID.count(old) == 1, f"{old!r} must occur once in the valid workflow"
    return VALID.replace(old, new)


def test_the_valid_timed_workflow_has_no_problems() -> None:
    assert problems_in(VALID) == []


def test_an_unknown_anchor_date_is_reported_at_the_from_value() -> None:
    text = variant("from: received_on", "from: recieved_on")

    assert problems_in(text) == [
        "f.yaml:16:15: states.waiting.deadlines[0].from: unknown date 'recieved_on': use 'entered' or a declared date"
    ]


@pytest.mark.parametrize("anchor", ["entered", "received_on", "birth_date"])
def test_entered_declared_dates_and_the_birth_date_are_valid_anchors(anchor: str) -> None:
    assert problems_in(variant("from: received_on", f"from: {anchor}")) == []


def test_occurred_on_is_not_a_valid_anchor_because_it_names_no_recorded_date() -> None:
    assert problems_in(variant("from: received_on", "from: occurred_on")) == [
        "f.yaml:16:15: states.waiting.deadlines[0].from: unknown date 'occurred_on': use 'entered' or a declared date"
    ]


def test_a_while_flag_that_is_not_declared_is_reported_with_a_suggestion() -> None:
    text = variant("        done_by: [acknowledge]\n", "        done_by: [acknowledge]\n        while_flag: pendng\n")
    text = text.replace("dates:\n", "flags:\n  pending: {vi: Đang chờ, en: Pending}\ndates:\n", 1)

    assert problems_in(text) == [
        "f.yaml:25:21: states.waiting.deadlines[0].while_flag: unknown flag 'pendng' (did you mean 'pending'?)"
    ]


def test_a_while_flag_in_a_workflow_without_flags_says_to_declare_it() -> None:
    text = variant("        done_by: [acknowledge]\n", "        done_by: [acknowledge]\n        while_flag: pending\n")

    assert problems_in(text) == [
        "f.yaml:23:21: states.waiting.deadlines[0].while_flag: unknown flag 'pending' (declare it under flags)"
    ]


def test_a_declared_while_flag_is_valid() -> None:
    text = variant("        done_by: [acknowledge]\n", "        done_by: [acknowledge]\n        while_flag: pending\n")
    text = text.replace("dates:\n", "flags:\n  pending: {vi: Đang chờ, en: Pending}\ndates:\n", 1)

    assert problems_in(text) == []


def test_an_unknown_recipient_role_is_reported_at_the_role_in_the_to_list() -> None:
    text = variant("to: [cell_secretary, candidate]", "to: [cell_secretary, secretary]")

    assert problems_in(text) == [
        "f.yaml:19:62: states.waiting.deadlines[0].remind[0].to[1]: unknown role 'secretary' (declare it under roles)"
    ]


def test_an_unknown_recipient_of_an_escalation_is_reported_under_on_due() -> None:
    text = variant("on_due: {fire: time_out}", "on_due: {escalate: {to: [board], template: escalation}}")

    assert problems_in(text) == [
        "f.yaml:20:34: states.waiting.deadlines[0].on_due.escalate.to[0]: unknown role 'board' (declare it under roles)"
    ]


def test_an_unknown_template_is_reported_with_the_known_ones() -> None:
    text = variant("template: deadline_reminder", "template: deadline_remider")

    assert problems_in(text) == [
        "f.yaml:19:84: states.waiting.deadlines[0].remind[0].template: unknown template 'deadline_remider'; "
        "known: deadline_overdue, deadline_reminder, escalation, probation_ending"
    ]


def test_templates_are_not_checked_when_no_template_set_is_given() -> None:
    assert problems_in(variant("template: deadline_reminder", "template: anything"), templates=None) == []


def test_an_on_due_fire_trigger_that_cannot_be_fired_from_the_state_is_reported() -> None:
    text = variant("on_due: {fire: time_out}", "on_due: {fire: reopen}")

    assert problems_in(text) == [
        "f.yaml:20:24: states.waiting.deadlines[0].on_due.fire: trigger 'reopen' cannot be fired from this state"
    ]


def test_an_on_due_fire_trigger_that_does_not_exist_is_reported() -> None:
    text = variant("on_due: {fire: time_out}", "on_due: {fire: time_up}")

    assert problems_in(text) == [
        "f.yaml:20:24: states.waiting.deadlines[0].on_due.fire: trigger 'time_up' cannot be fired from this state"
    ]


def test_an_extension_trigger_that_moves_the_candidate_is_reported() -> None:
    text = variant("trigger: extend_answer, max", "trigger: time_out, max")

    assert problems_in(text) == [
        "f.yaml:21:30: states.waiting.deadlines[0].extension.trigger: "
        "trigger 'time_out' must be an internal event of this state"
    ]


def test_an_extension_trigger_of_another_state_is_reported() -> None:
    text = variant("trigger: extend_answer, max", "trigger: reopen, max")

    assert problems_in(text) == [
        "f.yaml:21:30: states.waiting.deadlines[0].extension.trigger: "
        "trigger 'reopen' must be an internal event of this state"
    ]


def test_a_done_by_trigger_that_moves_the_candidate_is_reported_at_its_list_entry() -> None:
    text = variant("done_by: [acknowledge]", "done_by: [acknowledge, close]")

    assert problems_in(text) == [
        "f.yaml:22:32: states.waiting.deadlines[0].done_by[1]: trigger 'close' must be an internal event of this state"
    ]


def test_a_done_by_trigger_with_one_moving_alternative_is_not_internal() -> None:
    text = variant(
        "  - trigger: acknowledge\n    source: waiting\n",
        "  - trigger: acknowledge\n    source: waiting\n    when: [{flag_set: {flag: x}}]\n"
        "  - trigger: acknowledge\n    source: waiting\n    dest: closed\n",
    )
    text = text.replace("dates:\n", "flags:\n  x: {vi: Cờ, en: Flag}\ndates:\n", 1)

    assert problems_in(text) == [
        "f.yaml:24:19: states.waiting.deadlines[0].done_by[0]: "
        "trigger 'acknowledge' must be an internal event of this state"
    ]


def test_a_deadline_id_used_twice_in_one_state_is_reported_at_the_second_id() -> None:
    second = (
        "        done_by: [acknowledge]\n"
        "      - id: answer\n"
        "        label: {vi: Trả lời lần hai, en: Second answer}\n"
        "        from: entered\n"
        "        after: {days: 10}\n"
    )
    text = variant("        done_by: [acknowledge]\n", second)

    assert problems_in(text) == [
        "f.yaml:23:13: states.waiting.deadlines[1].id: deadline id 'answer' is used twice in state 'waiting'"
    ]


def test_the_same_deadline_id_in_two_states_is_allowed() -> None:
    other = (
        "    label: {vi: Quá hạn, en: Timed out}\n"
        "    deadlines:\n"
        "      - {id: answer, label: {vi: Trả lời, en: Answer}, from: entered, after: {days: 10}}\n"
    )

    assert problems_in(variant("    label: {vi: Quá hạn, en: Timed out}\n", other)) == []


def test_a_deadline_on_a_final_state_is_reported_at_the_deadline() -> None:
    final = (
        "    label: {vi: Đã đóng, en: Closed}\n"
        "    deadlines:\n"
        "      - id: archive\n"
        "        label: {vi: Lưu trữ, en: Archive}\n"
        "        from: entered\n"
        "        after: {months: 1}\n"
    )
    text = variant("    label: {vi: Đã đóng, en: Closed}\n", final)

    assert problems_in(text) == ["f.yaml:29:9: states.closed.deadlines[0]: final state 'closed' cannot have deadlines"]


def test_every_deadline_mistake_in_one_file_is_reported_at_once() -> None:
    text = variant("from: received_on", "from: recieved_on")
    text = text.replace("template: deadline_reminder", "template: nope").replace(
        "done_by: [acknowledge]", "done_by: [x]"
    )

    found = problems_in(text)

    assert [p.split(": ", 2)[:2] for p in found] == [
        ["f.yaml:16:15", "states.waiting.deadlines[0].from"],
        ["f.yaml:19:84", "states.waiting.deadlines[0].remind[0].template"],
        ["f.yaml:22:19", "states.waiting.deadlines[0].done_by[0]"],
    ]


def test_the_shipped_standard_workflow_passes_the_deadline_checks_with_the_shipped_templates() -> None:
    text = (ROOT / "workflows" / "standard-2021.yaml").read_text(encoding="utf-8")

    assert problems_in(text) == []

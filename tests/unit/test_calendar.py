"""Working-day arithmetic: weekends, Vietnamese holidays and swaps, overrides, the §6.5 worked example."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import holidays
import pytest

from admission_flow.calendar import (
    WorkingCalendar,
    default_calendar,
    load_calendar,
    shift,
)
from admission_flow.dates import Duration
from admission_flow.errors import ConfigurationError

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "calendar-vn.toml"
PLAIN = WorkingCalendar()  # the holidays package alone
CONFIGURED = load_calendar(CONFIG)


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


# ---------------------------------------------------------------- weekends and the counting convention


def test_weekends_are_not_working_days() -> None:
    assert PLAIN.day_off_reason(date(2025, 10, 4)) == "Saturday"
    assert PLAIN.day_off_reason(date(2025, 10, 5)) == "Sunday"
    assert PLAIN.day_off_reason(date(2025, 10, 6)) is None
    assert [PLAIN.is_working_day(d) for d in days(date(2025, 10, 6), date(2025, 10, 12))] == [True] * 5 + [False] * 2


def test_start_day_is_not_counted() -> None:
    friday = date(2025, 10, 3)
    assert PLAIN.add_working_days(friday, 1) == date(2025, 10, 6)  # Monday
    assert PLAIN.add_working_days(date(2025, 10, 4), 1) == date(2025, 10, 6)  # from a Saturday too
    assert PLAIN.add_working_days(date(2025, 10, 6), 5) == date(2025, 10, 13)  # Monday + 5 = next Monday
    assert PLAIN.subtract_working_days(date(2025, 10, 6), 1) == friday


@pytest.mark.parametrize("start", [date(2025, 10, 3), date(2025, 10, 4), date(2025, 9, 2)])
def test_zero_working_days_is_the_start_even_on_a_day_off(start: date) -> None:
    assert PLAIN.add_working_days(start, 0) == start
    assert PLAIN.subtract_working_days(start, 0) == start


def test_negative_counts_go_the_other_way() -> None:
    assert PLAIN.add_working_days(date(2025, 10, 6), -1) == date(2025, 10, 3)
    assert PLAIN.subtract_working_days(date(2025, 10, 3), -1) == date(2025, 10, 6)


# ---------------------------------------------------------------- what the holidays package gives


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        (date(2024, 1, 1), "New Year's Day"),
        (date(2024, 2, 8), "29 of Lunar New Year"),
        (date(2024, 2, 14), "Fifth Day of Lunar New Year"),
        (date(2024, 4, 18), "Hung Kings' Commemoration Day"),
        (date(2024, 4, 29), "Day off (substituted from 05/04/2024)"),
        (date(2024, 9, 2), "National Day"),
        (date(2024, 9, 3), "National Day"),
        (date(2025, 1, 27), "29 of Lunar New Year"),
        (date(2025, 1, 31), "Third Day of Lunar New Year"),
        (date(2025, 4, 7), "Hung Kings' Commemoration Day"),
        (date(2025, 5, 2), "Day off (substituted from 04/26/2025)"),
        (date(2025, 9, 1), "National Day"),
        (date(2026, 2, 16), "Lunar New Year's Eve"),
        (date(2026, 2, 20), "Fourth Day of Lunar New Year"),
        (date(2026, 4, 27), "Hung Kings' Commemoration Day (observed)"),
        (date(2026, 8, 31), "Day off (substituted from 08/22/2026)"),
    ],
)
def test_public_holidays_and_swaps_from_the_package(day: date, reason: str) -> None:
    assert PLAIN.day_off_reason(day) == reason
    assert not PLAIN.is_working_day(day)


@pytest.mark.parametrize("saturday", [date(2024, 5, 4), date(2025, 4, 26), date(2026, 8, 22)])
def test_make_up_saturdays_from_the_package_are_working_days(saturday: date) -> None:
    """The swaps the config file relies on the package for (fails on a holidays release that lacks them)."""
    assert saturday.weekday() == 5
    assert PLAIN.is_working_day(saturday)
    assert PLAIN.add_working_days(saturday - timedelta(days=1), 1) == saturday


def test_holiday_names_follow_the_language() -> None:
    vietnamese = WorkingCalendar(language="vi")
    assert vietnamese.day_off_reason(date(2025, 9, 2)) == "Quốc khánh"
    assert vietnamese.day_off_reason(date(2025, 10, 4)) == "Thứ Bảy"


@pytest.mark.parametrize(("year", "holiday"), [(1990, date(1990, 1, 1)), (2100, date(2100, 1, 1))])
def test_any_year_from_1990_to_2100(year: int, holiday: date) -> None:
    assert PLAIN.day_off_reason(holiday) == "New Year's Day"
    assert PLAIN.working_days_between(date(year, 1, 1), date(year, 12, 31)) > 240


def test_years_are_loaded_lazily_and_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded: list[Any] = []
    real = holidays.country_holidays

    def spy(*args: Any, **kwargs: Any) -> Any:
        loaded.append(kwargs["years"])
        return real(*args, **kwargs)

    monkeypatch.setattr(holidays, "country_holidays", spy)
    fresh = WorkingCalendar()
    assert loaded == []
    assert fresh.add_working_days(date(2025, 12, 30), 3) == date(2026, 1, 5)  # 31/12, 2/1, 5/1 (1/1 off)
    assert fresh.add_working_days(date(2025, 12, 30), 3) == date(2026, 1, 5)
    assert loaded == [(2024, 2025), (2025, 2026)]


# ---------------------------------------------------------------- windows spanning Tết and National Day


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (date(2024, 2, 7), date(2024, 2, 15)),  # Tết Giáp Thìn: 8–14/2/2024
        (date(2025, 1, 24), date(2025, 2, 3)),  # Tết Ất Tỵ: 25/1–2/2/2025 (Sat 1/2 is a Tết day)
        (date(2026, 2, 13), date(2026, 2, 23)),  # Tết Bính Ngọ: 14/2–22/2/2026
        (date(2024, 8, 30), date(2024, 9, 4)),  # National Day 2024: 31/8–3/9
        (date(2025, 8, 29), date(2025, 9, 3)),  # National Day 2025: 30/8–2/9
        (date(2025, 4, 29), date(2025, 5, 5)),  # 30/4–4/5/2025 (2/5 swapped with Sat 26/4)
        (date(2026, 8, 28), date(2026, 9, 3)),  # National Day 2026: 29/8–2/9 (31/8 swapped with Sat 22/8)
    ],
)
def test_the_next_working_day_after_a_holiday_period(before: date, after: date) -> None:
    assert PLAIN.add_working_days(before, 1) == after
    assert PLAIN.subtract_working_days(after, 1) == before
    assert PLAIN.working_days_between(before, after) == 1


def test_a_window_spanning_tet_2025() -> None:
    # From Monday 20/1/2025: 21–24/1 (4), Tết until Sunday 2/2, then 3–7/2 (9), 10/2 is the 10th.
    assert PLAIN.add_working_days(date(2025, 1, 20), 10) == date(2025, 2, 10)
    assert PLAIN.working_days_between(date(2024, 12, 31), date(2025, 2, 28)) == 37  # 43 weekdays − 6 holidays


def test_a_window_spanning_tet_2026() -> None:
    assert PLAIN.add_working_days(date(2026, 2, 9), 10) == date(2026, 3, 2)  # 10–13/2 (4), 23–27/2 (9), 2/3
    assert PLAIN.working_days_between(date(2026, 1, 31), date(2026, 2, 28)) == 15  # 20 weekdays − 5 holidays


# ---------------------------------------------------------------- the worked example (domain §6.5)


def test_ceremony_deadline_skips_national_day_2024() -> None:
    received = date(2024, 8, 26)
    assert PLAIN.add_working_days(received, 30) == date(2024, 10, 9)
    assert [d for d in days(received, date(2024, 10, 9)) if PLAIN.day_off_reason(d) == "National Day"] == [
        date(2024, 9, 2),
        date(2024, 9, 3),
    ]
    assert PLAIN.working_days_between(received, date(2024, 10, 9)) == 30
    assert PLAIN.subtract_working_days(date(2024, 10, 9), 30) == received


def test_recognition_review_due_30_working_days_after_probation_end() -> None:
    probation_end = date(2025, 9, 15)
    assert PLAIN.add_working_days(probation_end, 30) == date(2025, 10, 27)
    assert CONFIGURED.add_working_days(probation_end, 30) == date(2025, 10, 27)
    window = days(probation_end, date(2025, 10, 27))
    assert all(PLAIN.day_off_reason(d) in (None, "Saturday", "Sunday") for d in window)  # no holiday in it


def test_worked_example_through_shift() -> None:
    assert shift(date(2024, 8, 26), Duration(working_days=30), CONFIGURED) == date(2024, 10, 9)
    probation_end = shift(date(2024, 9, 15), Duration(months=12), CONFIGURED)
    assert probation_end == date(2025, 9, 15)
    assert shift(probation_end, Duration(working_days=30), CONFIGURED) == date(2025, 10, 27)


# ---------------------------------------------------------------- add, subtract and between agree


@pytest.mark.parametrize("n", [1, 2, 5, 30, 60])
def test_subtract_mirrors_add_and_between_inverts_add(n: int) -> None:
    for start in days(date(2023, 12, 1), date(2026, 12, 31)):
        end = CONFIGURED.add_working_days(start, n)
        assert CONFIGURED.is_working_day(end)
        assert CONFIGURED.working_days_between(start, end) == n
        assert CONFIGURED.working_days_between(end, start) == -n
        back = CONFIGURED.subtract_working_days(end, n)
        if CONFIGURED.is_working_day(start):
            assert back == start
        else:  # the last working day before a day off
            assert back == CONFIGURED.subtract_working_days(start, 1)


def test_working_days_between_is_half_open() -> None:
    monday, friday = date(2025, 10, 6), date(2025, 10, 10)
    assert PLAIN.working_days_between(monday, monday) == 0
    assert PLAIN.working_days_between(monday, friday) == 4  # Monday itself not counted
    assert PLAIN.working_days_between(friday, date(2025, 10, 12)) == 0
    assert PLAIN.working_days_between(friday, monday) == -4


# ---------------------------------------------------------------- overrides


def test_an_extra_day_off_pushes_a_deadline_by_one_day() -> None:
    bridged = WorkingCalendar(extra_days_off={date(2025, 10, 1): "Nghỉ thử nghiệm"})
    assert bridged.add_working_days(date(2025, 9, 15), 30) == date(2025, 10, 28)
    assert bridged.day_off_reason(date(2025, 10, 1)) == "Nghỉ thử nghiệm"
    assert bridged.working_days_between(date(2025, 9, 15), date(2025, 10, 27)) == 29


def test_a_make_up_saturday_counts() -> None:
    made_up = WorkingCalendar(extra_working_days={date(2025, 10, 4): "Làm bù thử nghiệm"})
    assert made_up.is_working_day(date(2025, 10, 4))
    assert made_up.add_working_days(date(2025, 10, 3), 1) == date(2025, 10, 4)
    assert made_up.add_working_days(date(2025, 9, 15), 30) == date(2025, 10, 24)


def test_a_working_day_override_does_not_cancel_a_holiday() -> None:
    cal = WorkingCalendar(extra_working_days={date(2025, 2, 1): "Làm bù thử nghiệm"})  # Sat, 4th day of Tết
    assert cal.day_off_reason(date(2025, 2, 1)) == "Fourth Day of Lunar New Year"


def test_a_date_cannot_be_both_day_off_and_working_day() -> None:
    with pytest.raises(ConfigurationError, match="2025-10-04"):
        WorkingCalendar({date(2025, 10, 4): "off"}, {date(2025, 10, 4): "on"})


def test_the_shipped_config_adds_new_year_2026() -> None:
    assert CONFIGURED.day_off_reason(date(2026, 1, 2)) is not None
    assert CONFIGURED.is_working_day(date(2026, 1, 10))
    assert CONFIGURED.add_working_days(date(2025, 12, 31), 1) == date(2026, 1, 5)
    assert PLAIN.add_working_days(date(2025, 12, 31), 1) == date(2026, 1, 2)
    assert CONFIGURED.add_working_days(date(2026, 1, 9), 1) == date(2026, 1, 10)


def test_the_shipped_config_does_not_repeat_the_package() -> None:
    assert CONFIGURED.extra_days_off, "expected at least the 2026 New Year swap"
    for day, name in CONFIGURED.extra_days_off.items():
        assert PLAIN.is_working_day(day), f"{day} ({name}) is already a day off in the holidays package"
    for day, name in CONFIGURED.extra_working_days.items():
        assert not PLAIN.is_working_day(day), f"{day} ({name}) is already a working day in the holidays package"


def test_default_calendar_reads_config_from_the_working_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert default_calendar().is_working_day(date(2026, 1, 10))


def test_default_calendar_without_config_has_no_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    cal = default_calendar()
    assert not cal.extra_days_off
    assert not cal.extra_working_days


# ---------------------------------------------------------------- load_calendar


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "calendar-vn.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_load_calendar_without_file_gives_no_overrides(tmp_path: Path) -> None:
    for cal in (load_calendar(None), load_calendar(tmp_path / "missing.toml")):
        assert not cal.extra_days_off
        assert not cal.extra_working_days
        assert cal.add_working_days(date(2025, 4, 25), 1) == date(2025, 4, 26)


def test_load_calendar_reads_the_documented_shape(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [[day_off]]
        date = 2025-10-01
        name = "Nghỉ thử nghiệm"
        [[working_day]]
        date = 2025-10-04
        name = "Làm bù thử nghiệm"
        """,
    )
    cal = load_calendar(path)
    assert cal.extra_days_off == {date(2025, 10, 1): "Nghỉ thử nghiệm"}
    assert cal.extra_working_days == {date(2025, 10, 4): "Làm bù thử nghiệm"}
    assert cal.add_working_days(date(2025, 9, 30), 2) == date(2025, 10, 3)
    assert cal.add_working_days(date(2025, 10, 3), 1) == date(2025, 10, 4)


def test_an_empty_file_gives_no_overrides(tmp_path: Path) -> None:
    assert not load_calendar(write(tmp_path, "# nothing yet\n")).extra_days_off


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[day_off]\ndate = 2025-10-01\n", "cannot read"),
        ('[[day_off]]\nname = "x"\n', r"\[\[day_off\]\] entry 1: 'date' missing"),
        ('[[day_off]]\ndate = "2025-10-01"\nname = "x"\n', r"entry 1: 'date' '2025-10-01' is not a date"),
        ('[[day_off]]\ndate = 2025-10-01T08:00:00\nname = "x"\n', "is not a date"),
        ("[[day_off]]\ndate = 2025-10-01\n", r"entry 1 \(2025-10-01\): 'name'"),
        ('[[day_off]]\ndate = 2025-10-01\nname = "x"\nwhen = 1\n', "unknown key.*when"),
        ('[[holiday]]\ndate = 2025-10-01\nname = "x"\n', "unknown key.*holiday"),
        ('day_off = "2025-10-01"\n', "array of tables"),
        (
            '[[day_off]]\ndate = 2025-10-01\nname = "a"\n[[day_off]]\ndate = 2025-10-01\nname = "b"\n',
            r"\[\[day_off\]\] entry 2: 2025-10-01 is listed twice",
        ),
        (
            '[[day_off]]\ndate = 2025-10-04\nname = "a"\n[[working_day]]\ndate = 2025-10-04\nname = "b"\n',
            r"2025-10-04 is listed both as \[\[day_off\]\] \('a'\) and as \[\[working_day\]\] \('b'\)",
        ),
        ('[[working_day]]\ndate = 2025-10-01\nname = "x"\n', r"\[\[working_day\]\] entry 1: 2025-10-01 is a Wednesday"),
    ],
)
def test_load_calendar_errors_name_the_file_and_the_entry(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigurationError, match=message) as caught:
        load_calendar(path)
    assert str(path) in str(caught.value)


def test_load_calendar_on_a_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot read"):
        load_calendar(tmp_path)


# ---------------------------------------------------------------- shift


@pytest.mark.parametrize(
    ("start", "duration", "forwards", "backwards"),
    [
        (date(2025, 3, 31), Duration(days=10), date(2025, 4, 10), date(2025, 3, 21)),
        (date(2025, 3, 31), Duration(weeks=2), date(2025, 4, 14), date(2025, 3, 17)),
        (date(2025, 3, 31), Duration(months=1), date(2025, 4, 30), date(2025, 2, 28)),
        (date(2024, 3, 31), Duration(months=1), date(2024, 4, 30), date(2024, 2, 29)),
        (date(2024, 2, 29), Duration(months=12), date(2025, 2, 28), date(2023, 2, 28)),
        (date(2025, 10, 27), Duration(working_days=30), date(2025, 12, 8), date(2025, 9, 15)),
        (date(2024, 9, 4), Duration(working_days=1), date(2024, 9, 5), date(2024, 8, 30)),
        (date(2025, 10, 4), Duration(days=0), date(2025, 10, 4), date(2025, 10, 4)),
        (date(2025, 10, 4), Duration(working_days=0), date(2025, 10, 4), date(2025, 10, 4)),
    ],
)
def test_shift_each_unit(start: date, duration: Duration, forwards: date, backwards: date) -> None:
    assert shift(start, duration, PLAIN) == forwards
    assert shift(start, duration, PLAIN, backwards=True) == backwards

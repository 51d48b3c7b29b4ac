"""Working days counted from the calendar's yearly running totals equal a count day by day."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from admission_flow.calendar import WorkingCalendar, load_calendar

EXAMPLES = 8 * int(os.environ.get("ADMISSION_FLOW_PROPERTY_EXAMPLES", "25"))
CONFIG = Path(__file__).resolve().parents[2] / "config" / "calendar-vn.toml"  # the shipped make-up days
CALENDARS = {"plain": WorkingCalendar(), "configured": load_calendar(CONFIG)}


def one_by_one(calendar: WorkingCalendar, a: date, b: date) -> int:
    if b < a:
        return -one_by_one(calendar, b, a)
    return sum(calendar.is_working_day(a + timedelta(days=i)) for i in range(1, (b - a).days + 1))


@settings(max_examples=EXAMPLES, deadline=None, database=None)
@given(
    name=st.sampled_from(sorted(CALENDARS)),
    a=st.dates(date(2014, 1, 1), date(2032, 12, 31)),
    span=st.integers(-2000, 2000),
)
@example(name="plain", a=date(2024, 12, 31), span=1)  # across New Year
@example(name="plain", a=date(2024, 1, 1), span=365)  # a leap year's last day
@example(name="configured", a=date(2023, 12, 31), span=0)
@example(name="plain", a=date(2020, 6, 1), span=-1)
def test_a_count_from_running_totals_is_the_day_by_day_count(name: str, a: date, span: int) -> None:
    calendar = CALENDARS[name]
    b = a + timedelta(days=span)
    assert calendar.working_days_between(a, b) == one_by_one(calendar, a, b)


def test_the_configured_calendar_differs_from_the_plain_one() -> None:
    assert CALENDARS["configured"].extra_days_off or CALENDARS["configured"].extra_working_days


def test_the_last_representable_day_is_counted() -> None:
    calendar = WorkingCalendar()
    assert calendar.working_days_between(date(9999, 12, 30), date.max) == one_by_one(
        calendar, date(9999, 12, 30), date.max
    )

"""The deadline rows ``engine.timing`` remembers per (deadline, anchor, extension, rules) equal what
``workflow.deadlines.project`` computes afresh, for every deadline of the shipped workflows, on both calendars."""

from __future__ import annotations

import os
from datetime import date, time
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from admission_flow.calendar import WorkingCalendar, load_calendar
from admission_flow.engine import timing
from admission_flow.engine.catalog import Catalog
from admission_flow.engine.timing import TimeRules, projections
from admission_flow.guards import default_registry
from admission_flow.workflow.deadlines import project

EXAMPLES = 4 * int(os.environ.get("ADMISSION_FLOW_PROPERTY_EXAMPLES", "25"))
ROOT = Path(__file__).resolve().parents[2]
CATALOG = Catalog.from_folder(ROOT / "workflows", default_registry())
DEADLINES = [(wf, state, d) for wf in CATALOG for state in wf.spec.states for d in wf.spec.deadlines_of(state)]
RULES = [
    TimeRules(ZoneInfo("Asia/Ho_Chi_Minh"), time(8, 0), WorkingCalendar()),
    TimeRules(ZoneInfo("Asia/Ho_Chi_Minh"), time(7, 30), load_calendar(ROOT / "config" / "calendar-vn.toml")),
    TimeRules(ZoneInfo("UTC"), time(8, 0), WorkingCalendar()),
]


def test_the_sample_has_deadlines_of_every_kind() -> None:
    units = {d.after.unit for _, _, d in DEADLINES}
    assert len(DEADLINES) >= 20 and {"working_days", "months"} <= units, units


@settings(max_examples=EXAMPLES, deadline=None, database=None)
@given(
    which=st.integers(0, 10_000),
    rules=st.sampled_from(range(len(RULES))),
    anchor=st.dates(date(2014, 1, 1), date(2032, 12, 31)),
    extended_by=st.integers(0, 40),
    other_rules=st.sampled_from(range(len(RULES))),
)
def test_remembered_rows_are_the_rows_computed_afresh(
    which: int, rules: int, anchor: date, extended_by: int, other_rules: int
) -> None:
    wf, state, deadline = DEADLINES[which % len(DEADLINES)]
    r, other = RULES[rules], RULES[other_rules]
    fresh = project(
        deadline, anchor, extended_by=extended_by, calendar=r.calendar, zone=r.zone, reminder_time=r.reminder_time
    )
    for _ in range(2):  # computed, then remembered
        assert list(timing._projected(deadline, anchor, extended_by, r)) == fresh
    # Other rules on the same deadline and date are not answered from the first rules' entry.
    assert list(timing._projected(deadline, anchor, extended_by, other)) == project(
        deadline,
        anchor,
        extended_by=extended_by,
        calendar=other.calendar,
        zone=other.zone,
        reminder_time=other.reminder_time,
    )
    dates = {"birth_date": anchor, **{name: anchor for name in wf.spec.dates}}
    extensions = {deadline.id: extended_by}
    flags = {d.while_flag for _, _, d in DEADLINES if d.while_flag}
    once = projections(wf, state, dates, anchor, extensions, flags, r)
    timing._PROJECTED.clear()
    assert projections(wf, state, dates, anchor, extensions, flags, r) == once

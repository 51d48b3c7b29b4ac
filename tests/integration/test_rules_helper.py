"""The helper receives the reminders addressed to ``helper`` (issue 12, item 3) on SQLite and PostgreSQL: named
with an e-mail when assigned, and a change of helper re-addresses the reminders sent after it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from helpers import migrated_flow

from admission_flow.dates import add_months
from admission_flow.flow import AdmissionFlow
from admission_flow.testing import ManualClock
from admission_flow.testing.scenario import add_sample_orgs, drive

START = date(2025, 1, 1)


@pytest.fixture
def probationer(database_url: str, clock: ManualClock) -> Iterator[tuple[AdmissionFlow, date]]:
    """A candidate on standard@2021 in probation; yields the flow and the probation's end."""
    clock.set(datetime(2025, 1, 1, 2, 0, tzinfo=UTC))
    flow = migrated_flow(database_url, clock)
    add_sample_orgs(flow)
    person = {"full_name": "Nguyễn Văn An", "birth_date": date(1995, 5, 15), "education": "university"}
    flow.add_candidate(id="an", org_id="ks.anmy.ap1", workflow="standard@2021", on=START, **person)
    record = drive(flow, "an", START, until="probationary")
    assert record.state == "probationary"
    yield flow, add_months(date.fromisoformat(record.dates["ceremony_on"]), 12)
    assert flow.store.connections.in_use() == 0, "a connection was not returned to the pool"
    flow.close()


def helper_mail(flow: AdmissionFlow) -> list[str]:
    return [
        r["email"]
        for m in flow.outbox()
        if m.template == "probation_ending"
        for r in m.recipients
        if r.get("role") == "helper"
    ]


def assign(flow: AdmissionFlow, on: date, name: str, email: str) -> None:
    flow.fire("an", "assign_helper", on=on, role="cell", data={"helper": name, "helper_email": email})


def test_the_latest_helper_named_receives_the_probation_reminder(
    probationer: tuple[AdmissionFlow, date], clock: ManualClock
) -> None:
    flow, probation_end = probationer
    ceremony = add_months(probation_end, -12)
    assign(flow, ceremony + timedelta(days=1), "Trần Văn Bình", "binh@example.vn")
    assign(flow, ceremony + timedelta(days=40), "Lê Thị Cúc", "cuc@example.vn")  # a change of helper

    clock.set(datetime.combine(probation_end - timedelta(days=29), datetime.min.time(), UTC))
    flow.sweep()

    assert helper_mail(flow) == ["cuc@example.vn"]

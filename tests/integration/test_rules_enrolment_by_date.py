"""Enrolment picks the rule set of its paper date (issue 12, item 6) on SQLite and PostgreSQL: a bare workflow ID
starts the candidate on the release in force on ``on`` (today when not given), a named version as named."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from admission_flow.errors import NotFound
from admission_flow.flow import AdmissionFlow
from admission_flow.testing.scenario import add_sample_orgs

PERSON: dict[str, Any] = {"full_name": "Nguyễn Văn An", "birth_date": date(1995, 5, 15), "education": "university"}


@pytest.fixture
def orgs(flow: AdmissionFlow) -> AdmissionFlow:
    add_sample_orgs(flow)
    return flow


@pytest.mark.parametrize(
    ("workflow", "on", "expected"),
    [
        ("standard", date(2024, 3, 15), "standard@2021"),
        ("standard", date(2025, 6, 30), "standard@2021"),
        ("standard", date(2025, 7, 1), "standard@2025.1"),  # the revision, in force the same day: the newer
        ("students", date(2023, 9, 5), "students@2021"),
        ("readmission", date(2025, 7, 1), "readmission@2025.2"),  # same day as 2025: the newest version
        ("students", date(2025, 7, 1), "students@2025.1"),
        ("standard@2025", date(2024, 3, 15), "standard@2025"),  # named: taken as named
    ],
)
def test_a_past_paper_date_starts_the_candidate_on_the_rules_of_that_date(
    orgs: AdmissionFlow, workflow: str, on: date, expected: str
) -> None:
    record = orgs.add_candidate(id="an", org_id="ks.anmy.ap1", workflow=workflow, on=on, **PERSON)
    assert record.workflow == expected
    stored = orgs.candidate("an")
    assert (stored.workflow, stored.workflow_hash) == (expected, orgs.catalog.resolve(expected).content_hash)
    assert orgs.history("an")[0].occurred_on == on


def test_without_a_date_the_default_workflow_starts_on_the_rules_in_force_today(orgs: AdmissionFlow) -> None:
    assert orgs.add_candidate(id="an", org_id="ks.anmy.ap1", **PERSON).workflow == "standard@2025.1"  # 5/1/2026


def test_a_date_before_any_release_refuses_the_enrolment_and_writes_nothing(orgs: AdmissionFlow) -> None:
    with pytest.raises(NotFound, match="standard on 2019-04-01"):
        orgs.add_candidate(id="an", org_id="ks.anmy.ap1", workflow="standard", on=date(2019, 4, 1), **PERSON)
    assert orgs.candidates() == []

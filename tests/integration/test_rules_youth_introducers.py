"""The youth-age introduction path through a workflow (issue 12, item 1) on SQLite and PostgreSQL: a version that
turns on ``introducers_ok``'s ``youth_path`` refuses a dossier with two full members for a candidate aged 30 in a
cell with a Youth Union, and accepts it with the Youth Union's resolution; at 31 two full members suffice."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from helpers import WORKFLOWS, migrated_flow

from admission_flow.domain.values import DocumentRecord
from admission_flow.errors import TransitionRefused
from admission_flow.flow import AdmissionFlow
from admission_flow.testing import ManualClock
from admission_flow.testing.scenario import add_sample_orgs, drive

# How a rule set turns the path on: restate the transitions that judge the introducers with youth_path: true.
PILOT = """\
id: youth_pilot
version: "1"
extends: standard@2021
title: {vi: Thí điểm giới thiệu độ tuổi đoàn, en: Youth-age introduction pilot}
transitions:
  - trigger: dossier_complete
    source: dossier_in_progress
    dest: awaiting_branch_vote
    roles: [cell]
    requires_documents: [application, background, introduction, comments_summary]
    guards:
      - flag_set: {flag: background_certified}
      - introducers_ok: {min_months_together: 12, youth_path: true, youth_max_age: 30}
      - documents_fresh: {}
    records: [dossier_completed_on]
"""
START = date(2025, 1, 1)  # drive() fires dossier_complete on 19/4/2025
DOSSIER_ON = date(2025, 4, 19)


@pytest.fixture
def orgs(database_url: str, clock: ManualClock, tmp_path: Path) -> Iterator[AdmissionFlow]:
    folder = tmp_path / "workflows"
    shutil.copytree(WORKFLOWS, folder)
    (folder / "youth-pilot.yaml").write_text(PILOT, encoding="utf-8")
    flow = migrated_flow(database_url, clock, folder)
    add_sample_orgs(flow)  # ks.anmy.ap1 has a Youth Union
    yield flow
    assert flow.store.connections.in_use() == 0, "a connection was not returned to the pool"
    flow.close()


def enrol(flow: AdmissionFlow, birth_date: date) -> None:
    person = {"full_name": "Phạm Thu Hà", "birth_date": birth_date, "education": "university"}
    flow.add_candidate(
        id="ha", org_id="ks.anmy.ap1", workflow="youth_pilot@1", on=START, youth_union_member=True, **person
    )


def test_at_30_two_full_members_are_refused_and_the_youth_union_resolution_opens_the_vote(orgs: AdmissionFlow) -> None:
    enrol(orgs, date(1994, 4, 20))  # 30 years old on 19/4/2025, the day before turning 31

    with pytest.raises(TransitionRefused) as refused:
        drive(orgs, "ha", START, until="awaiting_branch_vote", youth_union=False)  # two full members introduce

    assert [r.code for r in refused.value.reasons] == ["youth_union_introduction_required"]
    assert orgs.candidate("ha").state == "dossier_in_progress"
    paper = DocumentRecord("youth_union_resolution", DOSSIER_ON, "NQ-05/ĐTN")
    orgs.fire("ha", "submit_youth_union_resolution", on=DOSSIER_ON, role="cell", documents=[paper])
    assert orgs.fire("ha", "dossier_complete", on=DOSSIER_ON, role="cell").to_state == "awaiting_branch_vote"


def test_at_31_two_full_members_are_enough(orgs: AdmissionFlow) -> None:
    enrol(orgs, date(1994, 4, 19))  # 31 on 19/4/2025

    assert drive(orgs, "ha", START, until="awaiting_branch_vote").state == "awaiting_branch_vote"

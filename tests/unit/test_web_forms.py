"""The dashboard's pure parts: reading the fire form, and which moves wait on a person's roles."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from admission_flow.domain.values import DocumentRecord, Votes
from admission_flow.errors import InvalidInput
from admission_flow.flow import AdmissionFlow
from admission_flow.services.web_pages import acts_of
from admission_flow.settings import Settings
from admission_flow.web.candidate import _event

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"


def form(**values: str | list[str]) -> dict[str, list[str]]:
    return {k: v if isinstance(v, list) else [v] for k, v in values.items()}


def test_web_the_fire_form_becomes_papers_votes_data_and_a_date() -> None:
    event = _event(
        form(
            on="2026-01-05",
            paper_kind=["branch_resolution", ""],
            paper_on=["2026-01-05", ""],
            paper_ref=["05-NQ/CB", ""],
            in_favour="8",
            eligible="9",
            against="",
            data="to_org=ks.thpt\nreason = moved house\ncount=3\n\n",
            acting_org=" ks ",
        )
    )
    assert event["on"] == date(2026, 1, 5)
    assert event["documents"] == [DocumentRecord("branch_resolution", date(2026, 1, 5), "05-NQ/CB")]
    assert event["votes"] == Votes(8, 9, None)
    assert event["data"] == {"to_org": "ks.thpt", "reason": "moved house", "count": 3}
    assert event["acting_org"] == "ks"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (form(on="5/1/2026"), "date: a date YYYY-MM-DD"),
        (form(paper_kind="application", paper_on=""), "paper 1 \\(application\\): the date it was issued is missing"),
        (form(in_favour="8"), "votes: give both"),
        (form(in_favour="eight", eligible="9"), "in favour: a whole number"),
        (form(data="ok=1\nno equals sign"), "data line 2: key=value"),
    ],
)
def test_web_a_bad_fire_form_names_the_field(values: dict[str, list[str]], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        _event(values)


def test_web_my_work_counts_moves_named_for_a_state_and_held_by_a_role() -> None:
    with AdmissionFlow(Settings(database_url="sqlite://", workflows_dir=WORKFLOWS)) as flow:  # never connects
        spec = flow.workflow("standard@2021")
    cell = acts_of(spec, ["cell"])
    assert {a["trigger"] for a in cell["awaiting_branch_vote"]} >= {"branch_vote_passed", "branch_vote_failed"}
    assert all(a["trigger"] != "start_transfer" for acts in cell.values() for a in acts)  # "*": not waited on
    assert "awaiting_admission_decision" not in cell  # the committee's act, not the cell's
    assert "awaiting_admission_decision" in acts_of(spec, ["competent_committee"])
    assert acts_of(spec, []) == {}

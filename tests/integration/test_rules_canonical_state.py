"""The canonical ``transfer_pending`` stays visible (issue 12, item 8) on SQLite and PostgreSQL: while a file is
being transferred, the candidate record's ``canonical_state`` says so; the procedural state is unchanged."""

from __future__ import annotations

from datetime import date

from admission_flow.flow import AdmissionFlow
from admission_flow.testing.scenario import add_sample_orgs


def test_a_transfer_shows_transfer_pending_until_the_destination_receives_the_file(flow: AdmissionFlow) -> None:
    add_sample_orgs(flow)
    person = {"full_name": "Nguyễn Văn An", "birth_date": date(1995, 5, 15), "education": "university"}
    started = flow.add_candidate(id="an", org_id="ks.anmy.ap1", workflow="standard@2021", on=date(2025, 1, 2), **person)
    move = {"to_org": "ks.anmy.ap2", "reason": "chuyển nơi cư trú"}

    flow.fire("an", "start_transfer", on=date(2025, 2, 3), role="cell", data=move)
    moving = flow.candidate("an")
    flow.fire("an", "complete_transfer", on=date(2025, 2, 10), role="cell", data={"to_org": "ks.anmy.ap2"})
    arrived = flow.candidate("an")

    assert (started.state, started.canonical_state) == ("prospect", "prospect")
    assert (moving.state, moving.canonical_state) == ("prospect", "transfer_pending")
    assert (arrived.state, arrived.canonical_state, arrived.org_id) == ("prospect", "prospect", "ks.anmy.ap2")
    assert flow.candidate_page().items[0].canonical_state == "prospect"

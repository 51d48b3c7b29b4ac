"""What a candidate record shows beside its state (issue 12, items 8 and 5) on SQLite and PostgreSQL: the canonical
``transfer_pending`` while a file is being transferred, and once recognised the official date and the party age."""

from __future__ import annotations

from datetime import date

from admission_flow.dates import add_months
from admission_flow.flow import AdmissionFlow
from admission_flow.testing.scenario import add_sample_orgs, drive


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


def test_a_recognised_member_shows_the_official_date_and_the_party_age_from_the_decision(flow: AdmissionFlow) -> None:
    add_sample_orgs(flow)
    person = {"full_name": "Nguyễn Văn An", "birth_date": date(1995, 5, 15), "education": "university"}
    flow.add_candidate(id="an", org_id="ks.anmy.ap1", workflow="standard@2021", on=date(2025, 1, 1), **person)
    record = drive(flow, "an", date(2025, 1, 1))
    assert record.state == "full_member"
    decided = date.fromisoformat(record.dates["decision_signed_on"])
    official = date.fromisoformat(record.dates["probation_end_on"])

    found = flow.membership("an", on=add_months(decided, 30))

    assert (found.admission_decided_on, found.official_on, found.recognised) == (decided, official, True)
    assert (found.party_age_from, found.party_age_months) == (decided, 30)

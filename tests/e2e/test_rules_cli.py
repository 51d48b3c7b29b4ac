"""Rules fidelity through the real entry point (issue 12): ``candidate add --on`` with a bare workflow ID starts
the candidate on the release in force on that paper date."""

from __future__ import annotations

import pytest
from clitools import Run, as_json


@pytest.fixture
def seeded(cli: Run) -> Run:
    cli("db", "upgrade")
    cli("org", "add", "ks.anmy", "--name", "Đảng ủy xã An Mỹ", "--kind", "grassroots_committee")
    cli("org", "add", "ks.anmy.ap1", "--name", "Chi bộ ấp An Phú", "--kind", "cell", "--parent", "ks.anmy")
    return cli


def test_candidate_add_on_a_past_date_starts_on_the_rules_in_force_then(seeded: Run) -> None:
    base = ("candidate", "add", "--name", "Nguyễn Văn An", "--org", "ks.anmy.ap1", "--birth-date", "15/05/1995")

    old = as_json(seeded(*base, "an", "--workflow", "students", "--on", "15/03/2024", "--json"))
    text = seeded(*base, "bo", "--workflow", "students", "--on", "2025-07-01").stdout
    refused = seeded(*base, "cu", "--on", "2019-04-01", expect=3)

    assert old["workflow"] == "students@2021"
    assert "bo started on students@2025.1 in state prospect" in text
    assert "standard on 2019-04-01" in refused.stdout + refused.stderr
    history = as_json(seeded("history", "an", "--json"))
    assert history[0]["occurred_on"] == "2024-03-15"
    membership = seeded("membership", "an").stdout
    assert "party age on" in membership and "counted once recognised" in membership


def test_readmission_data_from_the_cli_and_a_warning_before_the_vote(seeded: Run) -> None:
    seeded(
        "candidate", "add", "cuong", "--name", "Lê Văn Cường", "--org", "ks.anmy.ap1",
        "--workflow", "readmission", "--on", "2025-07-02",
    )  # fmt: skip
    seeded(
        "fire", "cuong", "declare_previous_membership", "--on", "2025-07-02", "--role", "cell",
        "--document", "kind=previous_membership,left_reason=less_serious_crime,readmitted_before=no",
        "--data", "left_party_on=2015-03-01", "--data", "conviction_expunged_on=2021-09-30",
    )  # fmt: skip
    early = as_json(seeded("check-ahead", "cuong", "--on", "2026-09-29", "--json"))
    ready = seeded("check-ahead", "cuong", "--on", "30/09/2026").stdout  # 60 months after the expungement
    seeded(
        "fire", "cuong", "declare_previous_membership", "--on", "2025-07-03", "--role", "cell",
        "--document", "kind=previous_membership,left_reason=serious_crime", "--data", "left_party_on=2015-03-01",
    )  # fmt: skip
    never = seeded("check-ahead", "cuong", "--on", "30/09/2026").stdout

    assert early["workflow"] == "readmission@2025.2"
    assert [r["code"] for r in early["reasons"]] == ["readmission_expungement_wait_not_over"]
    assert "would pass" in ready
    assert "would be refused" in never and "readmission_never_allowed" in never

"""Rules fidelity over HTTP (issue 12): a candidate registered with a past ``on`` and a bare workflow ID starts on
the release in force on that date; a date before every release is a 404 problem and writes nothing."""

from __future__ import annotations

from apitools import PERSON, V1, Api, problem_of

CANDIDATE = f"{V1}/candidates"


def test_a_bare_workflow_id_with_a_past_date_starts_on_the_rules_of_that_date(api: Api) -> None:
    _, secret = api.token("ks.anmy", ["cell"])
    client = api.client_with(secret)
    body = {"id": "an", "org_id": "ks.anmy.ap1", "workflow": "students", "on": "2024-03-15", **PERSON}

    created = client.post(CANDIDATE, json=body)

    assert created.status_code == 201, created.text
    assert created.json()["workflow"] == "students@2021"
    later = client.post(CANDIDATE, json={**body, "id": "bo", "on": "2025-07-01"})
    assert later.json()["workflow"] == "students@2025"
    too_early = client.post(CANDIDATE, json={**body, "id": "cu", "on": "2020-01-01"})
    assert "students on 2020-01-01" in problem_of(too_early, 404, "not_found")["detail"]
    assert [c.id for c in api.flow.candidates()] == ["an", "bo"]

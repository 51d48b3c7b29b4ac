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
    assert later.json()["workflow"] == "students@2025.1"  # from 1/7/2025: the revised release
    too_early = client.post(CANDIDATE, json={**body, "id": "cu", "on": "2020-01-01"})
    assert "students on 2020-01-01" in problem_of(too_early, 404, "not_found")["detail"]
    assert [c.id for c in api.flow.candidates()] == ["an", "bo"]


def test_readmission_data_comes_with_the_event_and_check_ahead_warns_before_the_vote(api: Api) -> None:
    _, secret = api.token("ks.anmy", ["cell"])
    client = api.client_with(secret)
    body = {"id": "cuong", "org_id": "ks.anmy.ap1", "workflow": "readmission@2025.1", "on": "2025-07-02", **PERSON}
    assert client.post(CANDIDATE, json=body).status_code == 201
    paper = {"kind": "previous_membership", "issued_on": "2025-07-02", "attributes": {"left_reason": "expelled"}}
    event = {"trigger": "declare_previous_membership", "on": "2025-07-02", "documents": [paper]}
    declared = client.post(f"{CANDIDATE}/cuong/events", json=event | {"data": {"left_party_on": "2023-08-01"}})
    assert declared.status_code == 201, declared.text

    early = client.get(f"{CANDIDATE}/cuong/check-ahead", params={"on": "2026-07-31"})
    ready = client.get(f"{CANDIDATE}/cuong/check-ahead", params={"on": "2026-08-01", "guard": "readmission_ok"})

    assert early.status_code == 200, early.text
    assert (early.json()["ok"], [r["code"] for r in early.json()["reasons"]]) == (False, ["readmission_wait_not_over"])
    assert (ready.json()["ok"], ready.json()["guards"]) == (True, ["readmission_ok"])
    problem_of(client.get(f"{CANDIDATE}/nobody/check-ahead"), 404, "not_found")
    problem_of(client.get(f"{CANDIDATE}/cuong/check-ahead", params={"trigger": "nope"}), 400, "invalid_input")


def test_membership_before_recognition_shows_no_party_age_yet(api: Api) -> None:
    _, secret = api.token("ks.anmy", ["cell"])
    client = api.client_with(secret)
    assert client.post(
        CANDIDATE, json={"id": "an", "org_id": "ks.anmy.ap1", "workflow": "standard", **PERSON}
    ).is_success

    found = client.get(f"{CANDIDATE}/an/membership", params={"on": "2026-01-05"})

    assert found.status_code == 200, found.text
    assert {k: found.json()[k] for k in ("recognised", "official_on", "party_age")} == {
        "recognised": False,
        "official_on": None,
        "party_age": None,
    }
    problem_of(client.get(f"{CANDIDATE}/nobody/membership"), 404, "not_found")

"""``/api/v1/targets``, ``/classes``, ``/people`` and ``/handover`` over HTTP on SQLite and PostgreSQL; and the
people's identifiers on ``/candidates`` (a number another person holds: 409 problem naming the field)."""

from __future__ import annotations

from typing import Any

from apitools import PERSON, V1, WORKFLOW, Api, problem_of

CANDIDATE = f"{V1}/candidates"


def person(cid: str, **fields: Any) -> dict[str, Any]:
    return {"id": cid, "org_id": "ks.anmy.ap1", "workflow": WORKFLOW, **PERSON, **fields}


def test_identifiers_are_created_read_corrected_and_unique_with_a_409_naming_the_field(api: Api) -> None:
    client = api.client("ks.anmy", ["cell"])
    body = person("an", personal_id="079095000123", party_card_no="79.001", manager=True)
    created = client.post(CANDIDATE, json=body)
    assert created.status_code == 201, created.text
    assert {k: created.json()[k] for k in ("personal_id", "party_card_no", "old_card_no", "manager")} == {
        "personal_id": "079095000123",
        "party_card_no": "79.001",
        "old_card_no": None,
        "manager": True,
    }
    taken = client.post(CANDIDATE, json=person("binh", personal_id="079095000123"))
    problem = problem_of(taken, 409, "identifier_taken")
    assert problem["field"] == "personal_id" and "an" not in problem["detail"].split()
    client.post(CANDIDATE, json=person("binh"))
    patched = client.patch(f"{CANDIDATE}/binh", json={"party_card_no": "79.001"})
    assert problem_of(patched, 409, "identifier_taken")["field"] == "party_card_no"
    wrong = client.post(CANDIDATE, json=person("cuong", personal_id="079098000123"))  # born 1995, not 1998
    assert wrong.status_code == 422 and "personal_id_birth_year" in wrong.text
    found = client.get(f"{V1}/people", params={"party_card_no": "79.001"})
    assert (found.status_code, found.json()["id"]) == (200, "an")
    # another subtree's token gets a 404, not the person
    other = api.client("ks.thpt", ["cell"])
    problem_of(other.get(f"{V1}/people", params={"personal_id": "079095000123"}), 404, "not_found")
    problem_of(client.get(f"{V1}/people"), 400, "invalid_input")


def test_targets_are_set_listed_allocated_and_removed_within_the_tokens_subtree(api: Api) -> None:
    client = api.client("ks.anmy", ["cell"])
    parent = client.put(f"{V1}/targets", json={"year": 2024, "admissions": 10, "sourcing_plan": 35})
    assert parent.status_code == 200, parent.text
    assert (parent.json()["org_id"], parent.json()["starts_on"], parent.json()["ends_on"]) == (
        "ks.anmy",
        "2024-01-01",
        "2024-12-31",
    )
    assert [w["code"] for w in parent.json()["warnings"]] == ["sourcing_plan_large"]
    child = client.put(f"{V1}/targets", json={"org_id": "ks.anmy.ap1", "year": 2024, "admissions": 4})
    assert [w["code"] for w in child.json()["warnings"]] == ["allocation_short"]
    [row] = client.get(f"{V1}/targets/allocation", params={"year": 2024}).json()
    assert (row["org_id"], row["allocated"], row["status"]) == ("ks.anmy", 4, "short")
    listed = client.get(f"{V1}/targets", params={"year": 2024, "kind": "annual"}).json()
    assert [t["org_id"] for t in listed] == ["ks.anmy", "ks.anmy.ap1"]
    outsider = client.put(f"{V1}/targets", json={"org_id": "ks.thpt", "year": 2024, "admissions": 4})
    problem_of(outsider, 404, "not_found")
    assert client.put(f"{V1}/targets", json={"year": 2024, "admissions": -1}).status_code == 422
    problem_of(client.put(f"{V1}/targets", json={"kind": "term", "admissions": 5}), 400, "invalid_input")
    assert client.delete(f"{V1}/targets/ks.anmy.ap1/annual/2024-01-01").status_code == 204
    problem_of(client.delete(f"{V1}/targets/ks.anmy.ap1/annual/2024-01-01"), 404, "not_found")
    reader = api.client("ks.anmy", ["cell"], read_only=True)
    assert reader.put(f"{V1}/targets", json={"year": 2025, "admissions": 1}).status_code == 403


def test_classes_are_recorded_once_and_listed(api: Api) -> None:
    client = api.client("ks.anmy", ["cell"])
    body = {"kind": "awareness", "reference": "01/2024", "starts_on": "2024-03-04", "attendees": 77}
    created = client.post(f"{V1}/classes", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["org_id"] == "ks.anmy"
    problem_of(client.post(f"{V1}/classes", json=body), 409, "already_exists")
    listed = client.get(f"{V1}/classes", params={"year": 2024}).json()
    assert [(c["reference"], c["attendees"]) for c in listed] == [("01/2024", 77)]
    assert api.client("ks.thpt", ["cell"]).get(f"{V1}/classes").json() == []


def test_the_handover_lists_people_by_period_in_the_tokens_subtree(api: Api) -> None:
    client = api.client("ks.anmy", ["cell"])
    client.post(CANDIDATE, json=person("an", personal_id="079095000123"))
    answer = client.get(f"{V1}/handover", params={"starts": "2024-01-01", "ends": "2024-12-31"})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "org_id": "ks.anmy",
        "starts_on": "2024-01-01",
        "ends_on": "2024-12-31",
        "rows": [],
        "without_personal_id": [],
    }
    problem_of(client.get(f"{V1}/handover", params={"org_id": "ks.thpt"}), 404, "not_found")

"""``/api/v1/candidates``: registering, reading and correcting a candidate, and what the API shows of one
(history, papers, deadlines, who is competent, what can happen next), over HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from apitools import PERSON, V1, WORKFLOW, Api, at_admission_decision, at_branch_vote, enrol, problem_of

CANDIDATE = f"{V1}/candidates"


def new_candidate(cid: str = "vn-2026-0001", org_id: str = "ks.anmy.ap1", **fields: Any) -> dict[str, Any]:
    return {"id": cid, "org_id": org_id, "workflow": WORKFLOW, **PERSON, **fields}


# -------------------------------------------------------------------- create


def test_creating_a_candidate_answers_201_with_its_location_etag_and_record(api: Api) -> None:
    token, secret = api.token("ks.anmy", ["cell"])
    client = api.client_with(secret)
    body = new_candidate(on="2026-01-02", sex="male", youth_union_member=True, attributes={"quê_quán": "Sóc Trăng"})

    created = client.post(CANDIDATE, json=body)

    assert created.status_code == 201, created.text
    assert created.headers["content-type"] == "application/json"
    record = created.json()
    assert created.headers["location"] == f"{CANDIDATE}/vn-2026-0001"
    assert created.headers["etag"] == f'"{record["instance_id"]}.1"'
    assert {k: record[k] for k in ("id", "org_id", "full_name", "birth_date", "sex", "youth_union_member")} == {
        "id": "vn-2026-0001",
        "org_id": "ks.anmy.ap1",
        "full_name": "Nguyễn Văn An",
        "birth_date": "1995-05-15",
        "sex": "male",
        "youth_union_member": True,
    }
    assert (record["workflow"], record["state"], record["version"], record["attributes"]) == (
        WORKFLOW,
        "prospect",
        1,
        {"quê_quán": "Sóc Trăng"},
    )
    fetched = client.get(created.headers["location"])
    assert (fetched.status_code, fetched.json(), fetched.headers["etag"]) == (200, record, created.headers["etag"])
    assert api.flow.candidate("vn-2026-0001").as_dict() == record
    (first,) = client.get(f"{CANDIDATE}/vn-2026-0001/events").json()
    assert (first["trigger"], first["occurred_on"], first["actor"], first["token_id"]) == (
        "add_to_source_plan",
        "2026-01-02",
        f"token:{token.name}",
        token.id,
    )


def test_a_candidate_that_cannot_be_created_is_a_problem_and_nothing_is_written(api: Api) -> None:
    client = api.client("ks.anmy", ["cell"])
    assert client.post(CANDIDATE, json=new_candidate("an")).status_code == 201

    duplicate = problem_of(
        client.post(CANDIDATE, json=new_candidate("an", full_name="Someone Else")), 409, "already_exists"
    )
    no_org = problem_of(client.post(CANDIDATE, json=new_candidate("bo", org_id="ks.anmy.ap9")), 404, "not_found")
    no_workflow = problem_of(
        client.post(CANDIDATE, json=new_candidate("cu", workflow="standard@1999")), 404, "not_found"
    )
    missing = problem_of(client.post(CANDIDATE, json={"id": "dy", "org_id": "ks.anmy.ap1"}), 422, "validation_failed")
    unknown = problem_of(
        client.post(CANDIDATE, json=new_candidate("em", state="full_member")), 422, "validation_failed"
    )
    bad_id = problem_of(client.post(CANDIDATE, json=new_candidate("-x y")), 422, "validation_failed")
    bad_level = problem_of(client.post(CANDIDATE, json=new_candidate("gi", education="phd")), 422, "validation_failed")

    assert "'an'" in duplicate["detail"] and (no_org["kind"], no_workflow["kind"]) == ("org", "workflow")
    assert [e["path"] for e in missing["errors"]] == ["body.full_name"]
    assert [e["path"] for e in unknown["errors"]] == ["body.state"]
    assert [e["path"] for e in bad_id["errors"]] == ["body.id"]
    assert [e["path"] for e in bad_level["errors"]] == ["body.education"]
    assert [c.id for c in api.flow.candidates()] == ["an"]
    assert api.flow.candidate("an").full_name == "Nguyễn Văn An"


def test_reading_a_candidate_that_does_not_exist_is_a_404_problem(api: Api) -> None:
    client = api.client("ks", ["cell"])
    body = problem_of(client.get(f"{CANDIDATE}/nobody"), 404, "not_found")
    assert (body["detail"], body["kind"]) == ("candidate 'nobody' not found", "candidate")


# -------------------------------------------------------------------- correct personal data


def test_patch_corrects_personal_data_and_audits_each_old_and_new_value_with_the_token(api: Api) -> None:
    record = enrol(api.flow, "an")
    token, secret = api.token("ks.anmy", ["cell"])
    client = api.client_with(secret)
    etag = client.get(f"{CANDIDATE}/an").headers["etag"]

    changed = client.patch(
        f"{CANDIDATE}/an",
        json={"full_name": "Nguyễn Văn Ân", "email": "an@example.vn", "sex": "male", "ethnicity": "Kinh"},
        headers={"If-Match": etag},
    )

    assert changed.status_code == 200, changed.text
    assert changed.headers["etag"] == f'"{record.instance_id}.2"'
    assert {k: changed.json()[k] for k in ("full_name", "email", "sex", "ethnicity", "version")} == {
        "full_name": "Nguyễn Văn Ân",
        "email": "an@example.vn",
        "sex": "male",
        "ethnicity": "Kinh",
        "version": 2,
    }
    audit = client.get(f"{CANDIDATE}/an/events").json()[-1]
    assert {k: audit[k] for k in ("seq", "trigger", "from_state", "to_state", "actor", "token_id", "payload")} == {
        "seq": 2,
        "trigger": "update_personal_data",
        "from_state": "prospect",
        "to_state": "prospect",
        "actor": f"token:{token.name}",
        "token_id": token.id,
        "payload": {
            "changes": {
                "email": {"from": None, "to": "an@example.vn"},
                "ethnicity": {"from": None, "to": "Kinh"},
                "full_name": {"from": "Nguyễn Văn An", "to": "Nguyễn Văn Ân"},
                "sex": {"from": None, "to": "male"},
            }
        },
    }
    assert api.flow.candidate("an").full_name == "Nguyễn Văn Ân"

    stale = problem_of(
        client.patch(f"{CANDIDATE}/an", json={"full_name": "X"}, headers={"If-Match": etag}), 412, "precondition_failed"
    )
    assert stale["detail"] and api.flow.candidate("an").full_name == "Nguyễn Văn Ân"

    cleared = client.patch(f"{CANDIDATE}/an", json={"email": None})
    assert (cleared.status_code, cleared.json()["email"], cleared.json()["version"]) == (200, None, 3)
    unchanged = client.patch(f"{CANDIDATE}/an", json={"full_name": "Nguyễn Văn Ân"})
    assert (unchanged.status_code, unchanged.json()["version"]) == (200, 3)  # a change to nothing records nothing
    assert len(client.get(f"{CANDIDATE}/an/events").json()) == 3


def test_patch_refuses_what_is_not_a_correction(api: Api) -> None:
    enrol(api.flow, "an")
    client = api.client("ks.anmy", ["cell"])
    for body, path in (
        ({}, "body"),
        ({"org_id": "ks.anmy.ap2"}, "body.org_id"),  # a move is a transfer event, not a correction
        ({"full_name": None}, "body.full_name"),  # never null: the schema says so
        ({"full_name": ""}, "body.full_name"),
        ({"birth_date": "2026-02-30"}, "body.birth_date"),
        ({"email": "not an address"}, "body.email"),
        ({"sex": "other"}, "body.sex"),
        ({"remote_area": "maybe"}, "body.remote_area"),
    ):
        found = problem_of(client.patch(f"{CANDIDATE}/an", json=body), 422, "validation_failed")
        assert [e["path"] for e in found["errors"]] == [path], body
    problem_of(client.patch(f"{CANDIDATE}/nobody", json={"full_name": "X"}), 404, "not_found")
    assert len(api.flow.history("an")) == 1


# -------------------------------------------------------------------- what the API shows of a candidate


def test_history_documents_deadlines_and_options_of_a_candidate_at_the_branch_vote(api: Api) -> None:
    record = at_branch_vote(api.flow, "an")
    client = api.client("ks.anmy", ["cell"])
    base = f"{CANDIDATE}/an"

    history = client.get(f"{base}/events")
    assert history.status_code == 200
    events = history.json()
    assert [e["seq"] for e in events] == list(range(1, record.version + 1))
    assert events[0]["trigger"] == "add_to_source_plan" and events[-1]["trigger"] == "dossier_complete"
    assert events == [e.as_dict() for e in api.flow.history("an")]

    documents = client.get(f"{base}/documents").json()
    assert {"application", "background", "awareness_certificate", "introduction"} <= documents.keys()
    assert documents == record.documents

    deadlines = client.get(f"{base}/deadlines").json()
    assert [(d["deadline"], d["due_on"], d["overdue"]) for d in deadlines] == [
        ("certificate_validity", "2030-10-13", False),
        ("age_60_boundary", "2055-05-15", False),
    ]

    options = client.get(f"{base}/options").json()
    assert {o["trigger"] for o in options} >= {"branch_vote_passed", "branch_vote_failed", "withdraw"}
    vote = next(o for o in options if o["trigger"] == "branch_vote_passed")
    assert vote["allowed"] is False
    assert {"document_missing", "votes_missing"} <= {r["code"] for r in vote["reasons"]}
    for reason in vote["reasons"]:
        assert reason["message"]["vi"] and reason["message"]["en"]
    assert next(o for o in options if o["trigger"] == "branch_vote_failed")["allowed"] is True
    dated = client.get(f"{base}/options", params={"on": "2026-01-06", "role": "cell"})
    assert dated.status_code == 200 and [o["trigger"] for o in dated.json()] == [o["trigger"] for o in options]

    problem_of(client.get(f"{base}/options", params={"role": "candidate"}), 403, "forbidden")
    problem_of(client.get(f"{base}/options", params={"on": "2026-13-01"}), 422, "validation_failed")
    for tail in ("events", "documents", "deadlines", "options", "competent"):
        problem_of(client.get(f"{CANDIDATE}/nobody/{tail}"), 404, "not_found")


def test_competent_names_the_organisation_holding_the_power_the_next_events_need(api: Api) -> None:
    at_admission_decision(api.flow, "an")
    at_branch_vote(api.flow, "bo")
    client = api.client("ks.anmy", ["cell"])

    competent = client.get(f"{CANDIDATE}/an/competent")

    assert competent.status_code == 200
    assert competent.json() == [
        {"trigger": "decide_admission", "power": "admission", "org": {"id": "ks", "name": "Huyện ủy Kế Sách"}},
        {"trigger": "reject_admission", "power": "admission", "org": {"id": "ks", "name": "Huyện ủy Kế Sách"}},
    ]
    assert client.get(f"{CANDIDATE}/bo/competent").json() == []  # a cell's vote needs no power

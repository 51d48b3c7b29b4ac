"""``POST /api/v1/candidates/{id}/events`` and ``/options``: a fire answers 201 with the new version, a refused one
a 422 problem with every reason in Vietnamese and English, and options judged with the same papers and votes
agree with the fire; on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from apitools import V1, Api, at_branch_vote, branch_vote, enrol, problem_of

CANDIDATES = f"{V1}/candidates"


def options_body(fire_body: dict[str, Any]) -> dict[str, Any]:
    """What the event would carry, without the trigger: the body ``POST .../options`` takes."""
    return {k: v for k, v in fire_body.items() if k not in ("trigger", "actor")}


def test_a_fire_answers_201_with_the_new_version_and_the_history_names_the_token(api: Api) -> None:
    record = enrol(api.flow, "an")
    token, secret = api.token("ks.anmy", ["cell"])
    client = api.client_with(secret)

    fired = client.post(
        f"{CANDIDATES}/an/events",
        json={"trigger": "admit_to_sympathizer_list", "on": "2026-01-02", "actor": "Bí thư Nguyễn Thị Lan"},
    )

    assert fired.status_code == 201, fired.text
    assert fired.headers["content-type"] == "application/json"
    assert fired.headers["etag"] == f'"{record.instance_id}.2"'
    (event,) = [e for e in client.get(f"{CANDIDATES}/an/events").json() if e["seq"] == 2]
    assert fired.json() == {
        "candidate_id": "an",
        "instance_id": record.instance_id,
        "event_id": event["id"],
        "trigger": "admit_to_sympathizer_list",
        "from_state": "prospect",
        "to_state": "sympathizer",
        "version": 2,
        "occurred_on": "2026-01-02",
        "replayed": False,
    }
    assert {k: event[k] for k in ("trigger", "actor", "role", "token_id", "occurred_on", "org_id")} == {
        "trigger": "admit_to_sympathizer_list",
        "actor": "Bí thư Nguyễn Thị Lan",
        "role": "cell",  # the token's only role
        "token_id": token.id,
        "occurred_on": "2026-01-02",
        "org_id": "ks.anmy",  # acting for the token's organisation
    }
    read = client.get(f"{CANDIDATES}/an")
    assert (read.json()["state"], read.headers["etag"]) == ("sympathizer", fired.headers["etag"])
    unnamed = client.post(f"{CANDIDATES}/an/events", json={"trigger": "assign_helper", "data": {"helper": "Lê Văn Ba"}})
    assert unnamed.status_code == 201
    assert api.flow.history("an")[-1].actor == f"token:{token.name}"  # no actor given: the token's name


def test_a_refused_fire_is_a_422_problem_with_every_reason_in_both_languages_and_writes_nothing(api: Api) -> None:
    enrol(api.flow, "an")
    client = api.client("ks.anmy", ["cell"])

    unavailable = problem_of(
        client.post(f"{CANDIDATES}/an/events", json={"trigger": "assign_helper"}), 422, "transition_refused"
    )
    api.flow.fire("an", "admit_to_sympathizer_list", role="cell")
    unmet = problem_of(
        client.post(f"{CANDIDATES}/an/events", json={"trigger": "assign_helper"}), 422, "transition_refused"
    )
    unknown = problem_of(
        client.post(f"{CANDIDATES}/an/events", json={"trigger": "no_such_step"}), 422, "transition_refused"
    )

    assert (unavailable["trigger"], unavailable["state"]) == ("assign_helper", "prospect")
    assert [r["code"] for r in unavailable["reasons"]] == ["trigger_not_available"]
    assert (unmet["state"], [r["code"] for r in unmet["reasons"]]) == ("sympathizer", ["data_missing"])
    assert unknown["reasons"] and unknown["trigger"] == "no_such_step"
    for reason in unavailable["reasons"] + unmet["reasons"] + unknown["reasons"]:
        assert isinstance(reason["code"], str) and reason["code"]
        assert (
            reason["message"]["vi"] and reason["message"]["en"] and reason["message"]["vi"] != reason["message"]["en"]
        )
    assert [e.trigger for e in api.flow.history("an")] == ["add_to_source_plan", "admit_to_sympathizer_list"]


def test_a_role_the_token_does_not_hold_is_forbidden_and_several_roles_need_one_named(api: Api) -> None:
    enrol(api.flow, "an")
    cell = api.client("ks.anmy", ["cell"])
    several = api.client("ks.anmy", ["cell", "candidate"])
    body = {"trigger": "admit_to_sympathizer_list"}

    forbidden = problem_of(
        cell.post(f"{CANDIDATES}/an/events", json={**body, "role": "grassroots_committee"}), 403, "forbidden"
    )
    unnamed = problem_of(several.post(f"{CANDIDATES}/an/events", json=body), 400, "invalid_input")
    bad_name = problem_of(
        cell.post(f"{CANDIDATES}/an/events", json={**body, "role": "Cell!"}), 422, "validation_failed"
    )

    assert "grassroots_committee" in forbidden["detail"]
    assert "several roles" in unnamed["detail"]
    assert [e["path"] for e in bad_name["errors"]] == ["body.role"]
    assert len(api.flow.history("an")) == 1
    named = several.post(f"{CANDIDATES}/an/events", json={**body, "role": "cell"})
    assert (named.status_code, named.json()["to_state"]) == (201, "sympathizer")


def test_options_and_fire_agree_on_the_same_votes_and_papers_either_side_of_two_thirds(api: Api) -> None:
    at_branch_vote(api.flow, "an")
    client = api.client("ks.anmy", ["cell"])
    version = api.flow.candidate("an").version

    five_of_nine = branch_vote(5, 9)
    judged = client.post(f"{CANDIDATES}/an/options", json=options_body(five_of_nine))
    assert judged.status_code == 200, judged.text
    (option,) = [o for o in judged.json() if o["trigger"] == "branch_vote_passed"]
    refused = problem_of(client.post(f"{CANDIDATES}/an/events", json=five_of_nine), 422, "transition_refused")
    assert option["allowed"] is False
    assert [r["code"] for r in option["reasons"]] == ["vote_ratio_not_reached"]
    assert refused["reasons"] == option["reasons"]  # the same reasons, values and messages
    assert api.flow.candidate("an").version == version

    six_of_nine = branch_vote(6, 9)
    (option,) = [
        o
        for o in client.post(f"{CANDIDATES}/an/options", json=options_body(six_of_nine)).json()
        if o["trigger"] == "branch_vote_passed"
    ]
    fired = client.post(f"{CANDIDATES}/an/events", json=six_of_nine)
    assert (option["allowed"], option["reasons"]) == (True, [])
    assert fired.status_code == 201, fired.text
    assert (fired.json()["to_state"], fired.json()["version"]) == (option["dest"], version + 1)
    event = api.flow.history("an")[-1]
    assert (event.trigger, event.votes) == ("branch_vote_passed", {"in_favour": 6, "eligible": 9, "against": 3})


def test_votes_that_cannot_be_are_refused_before_any_rule_runs(api: Api) -> None:
    at_branch_vote(api.flow, "an")
    client = api.client("ks.anmy", ["cell"])
    impossible: list[dict[str, Any]] = [
        {"in_favour": 10**23, "eligible": 10**23},
        {"in_favour": 6, "eligible": 10**23},
        {"in_favour": 10, "eligible": 9},
        {"in_favour": 6, "eligible": 9, "against": 4},
        {"in_favour": -1, "eligible": 9},
        {"in_favour": 6, "eligible": 0},
        {"in_favour": "six", "eligible": 9},
        {"in_favour": 6.5, "eligible": 9},
        {"in_favour": 6},
        {"in_favour": 6, "eligible": 9, "abstained": 1},
    ]
    for votes in impossible:
        body = {**branch_vote(6, 9), "votes": votes}
        for path in ("events", "options"):
            sent = body if path == "events" else options_body(body)
            found = problem_of(client.post(f"{CANDIDATES}/an/{path}", json=sent), 422, "validation_failed")
            assert all(e["path"].startswith("body.votes") for e in found["errors"]), (votes, found)
    assert api.flow.candidate("an").state == "awaiting_branch_vote"

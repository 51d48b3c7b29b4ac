"""``/api/v1`` besides candidates: workflow versions (listing, one version with its diagram, the one in force,
checking an upload), the organisation tree, an organisation's deadlines, the outbox and webhook subscriptions;
on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from apitools import ADMISSION_DUE, V1, Api, at_admission_decision, at_branch_vote, closed_port, enrol, problem_of

from admission_flow.bootstrap import validate_workflows

TESTS = Path(__file__).resolve().parents[1]
INVALID = TESTS / "workflows" / "invalid"
VALID = TESTS / "workflows" / "valid" / "minimal.yaml"


# -------------------------------------------------------------------- workflows


def test_workflow_versions_one_version_with_its_diagram_and_the_version_in_force(api: Api) -> None:
    client = api.client("ks.anmy", ["cell"])

    listed = client.get(f"{V1}/workflows").json()
    keys = [w["key"] for w in listed]
    assert {"standard@2021", "standard@2025", "students@2025"} <= set(keys)
    assert keys == [w.key for w in api.flow.catalog]
    standard = {w["key"]: w for w in listed}["standard@2021"]
    assert (standard["id"], standard["version"], standard["in_force_from"], standard["release"]) == (
        "standard",
        "2021",
        "2021-07-30",
        True,
    )
    assert standard["hash"] == api.flow.catalog.resolve("standard@2021").content_hash

    one = client.get(f"{V1}/workflows/standard@2021")
    assert one.status_code == 200
    body = one.json()
    assert body["workflow"] == "standard@2021"
    assert body["definition"]["id"] == "standard" and "awaiting_branch_vote" in body["definition"]["states"]
    assert body["mermaid"].startswith("stateDiagram-v2") and "awaiting_branch_vote" in body["mermaid"]
    assert client.get(f"{V1}/workflows/standard").json()["workflow"] == "standard@2025.1"  # the newest release

    def in_force(on: str) -> str:
        answer = client.get(f"{V1}/workflows/standard/in-force", params={"on": on})
        assert answer.status_code == 200, answer.text
        return str(answer.json()["key"])

    assert (in_force("2021-07-30"), in_force("2025-06-30"), in_force("2025-07-01"), in_force("2099-01-01")) == (
        "standard@2021",
        "standard@2021",
        "standard@2025.1",  # in force from 2025-07-01 like standard@2025, and newer
        "standard@2025.1",
    )
    problem_of(client.get(f"{V1}/workflows/standard/in-force", params={"on": "2021-07-29"}), 404, "not_found")
    problem_of(client.get(f"{V1}/workflows/nothing/in-force", params={"on": "2025-01-01"}), 404, "not_found")
    problem_of(client.get(f"{V1}/workflows/standard/in-force"), 422, "validation_failed")
    problem_of(client.get(f"{V1}/workflows/standard/in-force", params={"on": "2025-02-29"}), 422, "validation_failed")
    problem_of(client.get(f"{V1}/workflows/standard@1999"), 404, "not_found")
    problem_of(client.get(f"{V1}/workflows/nothing"), 404, "not_found")


def test_validating_an_upload_lists_every_problem_with_line_and_column_as_the_cli_does(api: Api) -> None:
    client = api.client("ks.anmy", ["cell"], read_only=True)
    settings = api.flow.settings

    good = client.post(
        f"{V1}/workflows/validate", content=VALID.read_bytes(), headers={"Content-Type": "application/yaml"}
    )
    assert good.status_code == 200
    ((expected,), no_problems) = validate_workflows([VALID], settings)
    assert no_problems == [] and good.json() == {"valid": True, "workflow": expected, "problems": []}

    for name in ("many_structure_mistakes.yaml", "many_reference_mistakes.yaml", "tab_in_indentation.yaml"):
        path = INVALID / name
        answer = client.post(f"{V1}/workflows/validate", params={"name": name}, content=path.read_bytes())
        assert answer.status_code == 200, answer.text
        body = answer.json()
        _, cli = validate_workflows([path], settings)
        assert (body["valid"], body["workflow"]) == (False, None)
        assert len(body["problems"]) == len(cli) > 0
        for found, problem in zip(body["problems"], cli, strict=True):
            assert (found["file"], found["line"], found["column"], found["path"], found["message"]) == (
                name,
                problem.line,
                problem.column,
                problem.path,
                problem.message,
            )
            assert found["where"] == str(problem).replace(str(path), name)
            assert found["where"].startswith(f"{name}:{problem.line}:{problem.column}: ")

    default_name = client.post(f"{V1}/workflows/validate", content=b"id: [unclosed\n").json()
    assert default_name["valid"] is False
    assert [p["file"] for p in default_name["problems"]] == ["upload.yaml"]
    not_utf8 = client.post(f"{V1}/workflows/validate", content=b"id: caf\xe9\n").json()
    assert (not_utf8["valid"], [(p["line"], p["column"]) for p in not_utf8["problems"]]) == (False, [(1, 1)])
    assert "UTF-8" in not_utf8["problems"][0]["message"]
    too_big = problem_of(
        client.post(f"{V1}/workflows/validate", content=b"#" * (1024 * 1024 + 1)), 400, "invalid_input"
    )
    assert "1048576" in too_big["detail"]
    problem_of(
        client.post(f"{V1}/workflows/validate", params={"name": "a\tb"}, content=b"id: x"), 422, "validation_failed"
    )
    problem_of(client.post(f"{V1}/workflows/validate", content=b" \n"), 400, "invalid_input")  # no file at all


# -------------------------------------------------------------------- organisations


def test_the_organisation_tree_a_subtree_and_one_organisation(api: Api) -> None:
    anmy, root = api.client("ks.anmy", ["cell"]), api.client("st", [])

    assert [o["id"] for o in anmy.get(f"{V1}/orgs").json()] == ["ks.anmy", "ks.anmy.ap1", "ks.anmy.ap2"]
    assert [o["id"] for o in root.get(f"{V1}/orgs").json()] == sorted(o.id for o in api.flow.orgs())
    assert len(root.get(f"{V1}/orgs").json()) == 9
    one = anmy.get(f"{V1}/orgs/ks.anmy.ap1")
    assert one.status_code == 200 and one.json() == api.flow.org("ks.anmy.ap1").as_dict()
    assert (one.json()["parent_id"], one.json()["kind"], one.json()["has_youth_union"]) == ("ks.anmy", "cell", True)
    assert [o["id"] for o in root.get(f"{V1}/orgs/ks.thpt/subtree").json()] == [
        "ks.thpt",
        "ks.thpt.gv",
        "ks.thpt.gv.toan",
    ]
    assert [o["id"] for o in anmy.get(f"{V1}/orgs/ks.anmy.ap2/subtree").json()] == ["ks.anmy.ap2"]
    problem_of(root.get(f"{V1}/orgs/nowhere"), 404, "not_found")
    problem_of(root.get(f"{V1}/orgs/nowhere/subtree"), 404, "not_found")


def test_an_organisation_deadlines_open_overdue_and_upcoming(api: Api) -> None:
    at_admission_decision(api.flow, "an")  # admission decision due 2026-01-21 (16 days after the clock's day)
    at_branch_vote(api.flow, "bo", "ks.anmy.ap2")  # certificate and age deadlines years away
    at_admission_decision(api.flow, "gv", "ks.thpt.gv.toan")  # outside ks.anmy
    client = api.client("ks.anmy", ["cell"])

    def listed(status: str, org: str = "ks.anmy", **params: object) -> list[tuple[str, str, str]]:
        answer = client.get(f"{V1}/orgs/{org}/deadlines", params={"status": status, **params})
        assert answer.status_code == 200, answer.text
        return [(d["candidate_id"], d["deadline"], d["due_on"]) for d in answer.json()]

    decision = ("an", "admission_decision", ADMISSION_DUE.isoformat())
    later = [("bo", "certificate_validity", "2030-10-13"), ("bo", "age_60_boundary", "2055-05-15")]
    assert listed("open") == [decision, *later]
    assert listed("open", "ks.anmy.ap2") == later
    assert listed("overdue") == []
    assert listed("upcoming", days=16) == [decision]
    assert listed("upcoming", days=15) == []
    assert listed("upcoming") == [decision]  # within 30 days by default
    first = client.get(f"{V1}/orgs/ks.anmy/deadlines").json()[0]
    assert (first["days_left"], first["overdue"], first["org_id"], first["state"]) == (
        16,
        False,
        "ks.anmy.ap1",
        "awaiting_admission_decision",
    )

    api.clock.set(datetime(2026, 1, 22, 2, 0, tzinfo=UTC))  # the day after it was due
    assert listed("overdue") == [decision]
    assert listed("open") == [decision, *later]
    assert listed("upcoming", days=3660) == later[:1]  # no longer upcoming once overdue; 2055 is beyond 10 years
    assert client.get(f"{V1}/orgs/ks.anmy/deadlines").json()[0]["overdue"] is True
    problem_of(client.get(f"{V1}/orgs/ks.anmy/deadlines", params={"status": "late"}), 422, "validation_failed")
    problem_of(
        client.get(f"{V1}/orgs/ks.anmy/deadlines", params={"status": "upcoming", "days": 0}), 422, "validation_failed"
    )
    problem_of(client.get(f"{V1}/orgs/nowhere/deadlines"), 404, "not_found")


# -------------------------------------------------------------------- outbox and webhooks


def test_the_outbox_lists_webhook_calls_newest_first_and_the_failed_ones_on_their_own(api: Api) -> None:
    refusing = f"http://127.0.0.1:{closed_port()}/hook"
    api.flow.add_webhook("ks.anmy", refusing)
    for cid in ("an", "bo", "cu"):
        enrol(api.flow, cid)
        api.flow.fire(cid, "admit_to_sympathizer_list", role="cell")
        api.clock.advance(timedelta(minutes=1))
    client = api.client("ks.anmy", ["cell"])

    everything = client.get(f"{V1}/outbox").json()
    assert len(everything) == 3 and {m["channel"] for m in everything} == {"webhook"}
    assert [m["created_at"] for m in everything] == sorted((m["created_at"] for m in everything), reverse=True)
    assert [m["recipients"][0]["url"] for m in everything] == [refusing] * 3
    assert client.get(f"{V1}/outbox", params={"failed_only": "true"}).json() == []
    assert len(client.get(f"{V1}/outbox", params={"limit": 2}).json()) == 2

    report = api.flow.deliver()
    assert report.sent == 0 and report.retried == 3
    failed = client.get(f"{V1}/outbox", params={"failed_only": True}).json()
    assert len(failed) == 3
    assert all(m["attempts"] == 1 and m["last_error"] and m["status"] == "pending" for m in failed)
    problem_of(client.get(f"{V1}/outbox", params={"limit": 0}), 422, "validation_failed")
    problem_of(client.get(f"{V1}/outbox", params={"failed_only": "perhaps"}), 422, "validation_failed")


def test_webhook_subscriptions_are_created_listed_read_and_removed(api: Api) -> None:
    client = api.client("ks.anmy", ["cell"])
    enrol(api.flow, "an")

    created = client.post(
        f"{V1}/webhooks",
        json={
            "url": "https://hooks.example.vn/ap1",
            "event_types": ["assign_helper", "admit_to_sympathizer_list"],
            "org_id": "ks.anmy.ap1",
        },
    )
    assert created.status_code == 201, created.text
    hook = created.json()
    assert created.headers["location"] == f"{V1}/webhooks/{hook['id']}"
    assert isinstance(hook.pop("secret"), str)
    assert {k: hook[k] for k in ("org_id", "url", "event_types", "active")} == {
        "org_id": "ks.anmy.ap1",
        "url": "https://hooks.example.vn/ap1",
        "event_types": ["assign_helper", "admit_to_sympathizer_list"],
        "active": True,
    }
    default = client.post(f"{V1}/webhooks", json={"url": "http://hooks.example.vn/all"}).json()
    assert (default["org_id"], default["event_types"]) == ("ks.anmy", ["*"])  # the token's organisation, every event

    listed = client.get(f"{V1}/webhooks").json()
    assert [w["id"] for w in listed] == [hook["id"], default["id"]]
    assert all("secret" not in w for w in listed)
    assert client.get(f"{V1}/webhooks/{hook['id']}").json() == listed[0] == hook

    removed = client.delete(f"{V1}/webhooks/{hook['id']}")
    assert (removed.status_code, removed.content) == (204, b"")
    assert client.get(f"{V1}/webhooks/{hook['id']}").json()["active"] is False
    assert client.delete(f"{V1}/webhooks/{hook['id']}").status_code == 204  # removing again changes nothing
    api.flow.fire("an", "admit_to_sympathizer_list", role="cell")
    assert [m["recipients"][0]["url"] for m in client.get(f"{V1}/outbox").json()] == ["http://hooks.example.vn/all"]

    for body, status, code in (
        ({"url": "ftp://hooks.example.vn/x"}, 422, "validation_failed"),  # the schema says http(s)
        ({"url": "https://hooks.example.vn/x", "event_types": ["no_such_trigger"]}, 400, "invalid_input"),
        ({"url": "https://hooks.example.vn/x", "org_id": "ks.nowhere"}, 404, "not_found"),
        ({"url": "https://hooks.example.vn/x", "event_types": []}, 422, "validation_failed"),
        ({"url": "short"}, 422, "validation_failed"),
        ({"url": "https://hooks.example.vn/x", "secret": "mine"}, 422, "validation_failed"),
        ({}, 422, "validation_failed"),
    ):
        problem_of(client.post(f"{V1}/webhooks", json=body), status, code)
    problem_of(client.get(f"{V1}/webhooks/999"), 404, "not_found")
    problem_of(client.delete(f"{V1}/webhooks/999"), 404, "not_found")
    problem_of(client.get(f"{V1}/webhooks/first"), 422, "validation_failed")
    assert len(api.flow.webhooks()) == 2

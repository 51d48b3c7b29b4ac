"""``GET /api/v1/orgs?as_of=`` and ``GET /api/v1/orgs/{org_id}/history``: the tree as it stood on a date and an
organisation's audited changes, within the token's subtree; SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date

from apitools import V1, Api, problem_of

from admission_flow.api.problems import from_error
from admission_flow.errors import OrgChangeRefused

JULY = date(2025, 7, 1)


def test_the_tree_as_of_a_date_and_the_history_of_an_organisation(api: Api) -> None:
    flow = api.flow
    flow.create_org(id="ks.new", name="Chi bộ mới", kind="cell", parent_id="ks.anmy", effective_on=JULY)
    flow.move_org("ks.anmy.ap2", "ks.new", effective_on=JULY, actor="btc", note="sáp nhập")
    client = api.client("ks.anmy", ("cell",), read_only=True)

    then = client.get(f"{V1}/orgs", params={"as_of": "2025-06-30"})
    now = client.get(f"{V1}/orgs", params={"as_of": "2025-07-01"})
    assert then.status_code == now.status_code == 200
    assert "ks.new" not in {o["id"] for o in then.json()}
    assert {o["id"]: o["parent_id"] for o in now.json()}["ks.anmy.ap2"] == "ks.new"
    assert {o["id"]: o["parent_id"] for o in then.json()}["ks.anmy.ap2"] == "ks.anmy"

    history = client.get(f"{V1}/orgs/ks.anmy.ap2/history")
    assert history.status_code == 200
    assert [(h["change"], h["effective_on"], h["after"], h["actor"]) for h in history.json()] == [
        ("move", "2025-07-01", {"parent_id": "ks.new"}, "btc")
    ]
    problem_of(client.get(f"{V1}/orgs/ks/history"), 404, "not_found")  # above the token's subtree
    problem_of(client.get(f"{V1}/orgs", params={"as_of": "not-a-date"}), 422, "validation_failed")
    problem_of(client.get(f"{V1}/orgs", params={"as_of": "2025-02-30"}), 400, "invalid_input")


def test_a_refused_change_of_the_tree_is_a_409_problem_not_a_500() -> None:
    answer = from_error(OrgChangeRefused("move_cycle", vi="vòng lặp", en="a cycle", org="a"))
    assert answer.status_code == 409
    assert json.loads(answer.body)["code"] == "org_change_refused"

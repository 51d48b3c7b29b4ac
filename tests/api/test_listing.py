"""``GET /api/v1/candidates``: filters, the six sorts and keyset pagination behind an opaque cursor, walked page
by page (no row twice, none skipped), and cursors that were not given out for this sort; SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from apitools import V1, Api, enrol, problem_of

CANDIDATES = f"{V1}/candidates"
SORTS = ("id", "-id", "full_name", "-full_name", "updated_at", "-updated_at")
# Lower-case ASCII names compare the same under every collation (SQLite's binary, PostgreSQL's C or en_US):
# the order can then be checked against Python's. Repeated names and instants make the id break ties.
NAMES = ("tran", "le", "nguyen", "pham", "le", "vo", "tran", "dang")
ORGS = ("ks.anmy.ap1", "ks.anmy.ap2", "ks.thpt.gv.toan", "ks.ctyxk")


@pytest.fixture
def listed(api: Api) -> Api:
    """23 candidates over four organisations: names and update instants repeat; a few are sympathizers."""
    for n in range(23):
        if n % 3 == 0:
            api.clock.advance(timedelta(minutes=5))  # three candidates share each instant
        enrol(api.flow, f"c{n:02d}", ORGS[n % len(ORGS)], full_name=NAMES[n % len(NAMES)])
        if n % 5 == 0:
            api.flow.fire(f"c{n:02d}", "admit_to_sympathizer_list", role="cell")
    return api


def walk(client: httpx.Client, **params: Any) -> list[list[dict[str, Any]]]:
    """Every page of a listing, following next_cursor until it is null."""
    pages: list[list[dict[str, Any]]] = []
    cursor = None
    while True:
        answer = client.get(CANDIDATES, params={**params, **({"cursor": cursor} if cursor else {})})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert set(body) == {"items", "next_cursor"}
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 50, "the cursor never ends"


def expected_order(records: list[dict[str, Any]], sort: str) -> list[str]:
    field = sort.removeprefix("-")
    ordered = sorted(
        records, key=lambda r: (r[field], r["id"]) if field != "id" else r["id"], reverse=sort.startswith("-")
    )
    return [r["id"] for r in ordered]


def test_each_sort_walks_every_candidate_once_in_order_page_by_page(listed: Api) -> None:
    client = listed.client("ks", ["cell"])
    everyone = {c.id: c.as_dict() for c in listed.flow.candidates()}
    updated = {c.id: listed.flow.history(c.id)[-1].recorded_at for c in listed.flow.candidates()}
    records = [{**r, "updated_at": updated[cid]} for cid, r in everyone.items()]
    assert len(records) == 23

    for sort in SORTS:
        pages = walk(client, sort=sort, limit=4)
        ids = [item["id"] for page in pages for item in page]
        assert [len(page) for page in pages] == [4, 4, 4, 4, 4, 3], sort
        assert ids == expected_order(records, sort), sort
        assert len(set(ids)) == len(ids) == 23, sort
        one_page = client.get(CANDIDATES, params={"sort": sort, "limit": 500}).json()
        assert ([item["id"] for item in one_page["items"]], one_page["next_cursor"]) == (ids, None), sort
        assert [item for page in pages for item in page] == [everyone[i] for i in ids], sort


def test_a_page_boundary_is_kept_when_rows_are_added_and_changed_while_walking(listed: Api) -> None:
    client = listed.client("ks", ["cell"])
    first = client.get(CANDIDATES, params={"sort": "id", "limit": 10}).json()
    assert [i["id"] for i in first["items"]] == [f"c{n:02d}" for n in range(10)]
    enrol(listed.flow, "a00")  # sorts before the cursor: not shown later
    enrol(listed.flow, "c10a")  # sorts after it: shown
    listed.flow.fire("c05", "assign_helper", role="cell", data={"helper": "x"})  # already seen: not again
    rest = [i["id"] for page in walk_from(client, first["next_cursor"], sort="id", limit=10) for i in page]
    assert rest == ["c10", "c10a", *(f"c{n:02d}" for n in range(11, 23))]


def walk_from(client: httpx.Client, cursor: str, **params: Any) -> list[list[dict[str, Any]]]:
    pages = []
    while cursor:
        body = client.get(CANDIDATES, params={**params, "cursor": cursor}).json()
        pages.append(body["items"])
        cursor = body["next_cursor"]
    return pages


def test_filters_by_state_workflow_and_organisation_subtree(listed: Api) -> None:
    client = listed.client("ks", ["cell"])
    enrol_other = listed.flow.add_candidate(id="w01", org_id="ks.anmy.ap1", full_name="vo", workflow="students")
    assert enrol_other.workflow.startswith("students@")

    def ids(**params: Any) -> list[str]:
        return [item["id"] for page in walk(client, limit=3, **params) for item in page]

    sympathizers = [f"c{n:02d}" for n in range(0, 23, 5)]
    assert ids(state="sympathizer") == sympathizers
    assert ids(state="prospect", workflow="students") == ["w01"]
    assert ids(workflow="standard") == [f"c{n:02d}" for n in range(23)]
    assert ids(state="no_such_state") == []
    assert ids(org_id="ks.anmy.ap2") == [f"c{n:02d}" for n in range(1, 23, 4)]
    assert ids(org_id="ks.anmy") == sorted([*(f"c{n:02d}" for n in range(23) if n % 4 in (0, 1)), "w01"])
    assert ids(org_id="ks.thpt", state="sympathizer", sort="-id") == ["c10"]
    problem_of(client.get(CANDIDATES, params={"org_id": "ks.nowhere"}), 404, "not_found")


def cursor_of(*parts: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode().rstrip("=")


def shown(cursor: str) -> str:
    """A cursor as the JSON it encodes, when it does."""
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("utf-8")
    except ValueError:
        return repr(cursor)


def test_a_cursor_that_was_not_given_out_for_this_sort_is_a_400_problem(listed: Api) -> None:
    client = listed.client("ks", ["cell"])
    by_name = client.get(CANDIDATES, params={"sort": "full_name", "limit": 2}).json()["next_cursor"]
    assert by_name is not None

    for sort in ("id", "-id", "updated_at"):
        found = problem_of(client.get(CANDIDATES, params={"sort": sort, "cursor": by_name}), 400, "invalid_input")
        assert "cursor" in found["detail"], found
    bad = (
        ("full_name", "not a cursor"),
        ("full_name", "%%%"),
        ("full_name", "e30"),  # {}
        ("full_name", base64.urlsafe_b64encode(b"\xff\xfe").decode()),
        ("full_name", cursor_of("full_name", "le")),  # two parts, not three
        ("full_name", cursor_of("full_name", "le", 7)),  # the id is not text
        ("full_name", cursor_of("full_name", 7, "c01")),  # the name is not text
        ("full_name", cursor_of("full_name", ["le"], "c01")),
        ("full_name", cursor_of("full_name", {"le": 1}, "c01")),
        ("id", cursor_of("id", ["c01"], "c01")),
        ("updated_at", cursor_of("updated_at", "yesterday", "c01")),
        ("updated_at", cursor_of("updated_at", 1767571200, "c01")),
        ("updated_at", cursor_of("updated_at", "2026-01-05", "c01")),  # a date: no time of day, no zone
        ("updated_at", cursor_of("updated_at", "2026-01-05T02:00:00", "c01")),  # no zone
    )
    offenders = []
    for sort, cursor in bad:
        answer = client.get(CANDIDATES, params={"sort": sort, "cursor": cursor})
        if answer.status_code != 400 or answer.json().get("code") != "invalid_input":
            code = answer.json().get("code") if answer.status_code >= 400 else "a page"
            offenders.append(f"sort={sort} cursor={shown(cursor)}: {answer.status_code} {code}")
    assert not offenders, "\n".join(offenders)
    problem_of(client.get(CANDIDATES, params={"sort": "size"}), 422, "validation_failed")
    for limit in (0, 501, 10**23, -1, "ten"):
        problem_of(client.get(CANDIDATES, params={"limit": limit}), 422, "validation_failed")

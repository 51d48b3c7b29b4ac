"""Who may do what: every ``/api/v1`` route needs a live token, a read-only token never writes, and a token sees
and acts only within its organisation's subtree. What lies outside is answered exactly like what does not exist,
so no answer tells the two apart; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
from apitools import ENDPOINTS, V1, Api, enrol, is_problem, problem_of

CANDIDATES = f"{V1}/candidates"
EVENT = {"trigger": "admit_to_sympathizer_list"}


def concrete(path: str) -> str:
    """A path template with every parameter filled in."""
    return re.sub(r"\{[a-z_]+\}", lambda m: "1" if m.group(0) == "{webhook_id}" else "x", path)


def body_for(method: str, path: str) -> dict[str, Any]:
    if method == "POST" and path.endswith("/events"):
        return {"json": EVENT}
    if method in ("POST", "PATCH") and not path.endswith("/validate"):
        return {"json": {}}
    return {"content": b"id: x"} if method == "POST" else {}


def test_every_api_route_but_the_problem_pages_answers_401_with_a_bearer_challenge_without_a_live_token(
    api: Api,
) -> None:
    record, revoked = api.token("ks.anmy")
    api.flow.revoke_token(record.id)
    expiring, expired = api.token("ks.anmy", expires_at=api.clock.now() + timedelta(hours=1))
    anonymous = api.client_with(None)
    credentials: dict[str, dict[str, str]] = {
        "none": {},
        "unknown": {"Authorization": "Bearer af_" + "A" * 43},
        "revoked": {"Authorization": f"Bearer {revoked}"},
        "expired": {"Authorization": f"Bearer {expired}"},
        "not af_": {"Authorization": "Bearer " + expired.removeprefix("af_")},
        "basic": {"Authorization": "Basic dXNlcjpwYXNz"},
        "no secret": {"Authorization": "Bearer"},
        "long": {"Authorization": "Bearer af_" + "A" * 5000},
    }
    api.clock.advance(timedelta(hours=1))  # `expired` was good until now
    assert expiring.expires_at == api.clock.now()

    offenders = []
    answers = set()
    for method, path in sorted(ENDPOINTS):
        if not path.startswith(V1) or path.startswith(f"{V1}/problems/"):
            continue
        for name, headers in credentials.items():
            answer = anonymous.request(method, concrete(path), headers=headers, **body_for(method, path))
            if (
                answer.status_code != 401
                or not is_problem(answer)
                or answer.json()["code"] != "unauthenticated"
                or answer.headers.get("www-authenticate") != "Bearer"
            ):
                offenders.append(f"{method} {path} ({name}): {answer.status_code} {answer.headers} {answer.text[:200]}")
            if name in ("unknown", "revoked", "expired", "not af_", "long"):
                answers.add(answer.content)
    assert not offenders, "\n".join(offenders)
    assert len(answers) == 1, answers  # unknown, revoked and expired are never told apart
    for open_path in ("/healthz", "/readyz", "/metrics", f"{V1}/problems/forbidden", "/openapi.json"):
        assert anonymous.get(open_path).status_code == 200, open_path


def test_a_token_works_until_it_expires_or_is_revoked(api: Api) -> None:
    enrol(api.flow, "an")
    _, secret = api.token("ks.anmy", expires_at=api.clock.now() + timedelta(minutes=30))
    revoked, other = api.token("ks.anmy")
    client, second = api.client_with(secret), api.client_with(other)
    assert client.get(f"{CANDIDATES}/an").status_code == 200
    assert second.get(f"{CANDIDATES}/an").status_code == 200

    api.flow.revoke_token(revoked.id)
    api.clock.advance(timedelta(minutes=29, seconds=59))
    assert client.get(f"{CANDIDATES}/an").status_code == 200
    api.clock.advance(timedelta(seconds=1))

    for gone in (client, second):
        answer = gone.post(f"{CANDIDATES}/an/events", json=EVENT)
        problem_of(answer, 401, "unauthenticated")
        assert answer.headers["www-authenticate"] == "Bearer"
    assert api.flow.candidate("an").version == 1


def test_a_read_only_token_reads_and_judges_but_every_write_is_forbidden(api: Api) -> None:
    enrol(api.flow, "an")
    hook, _ = api.flow.add_webhook("ks.anmy", "https://hooks.example.vn/an-my")
    reader = api.client("ks.anmy", ["cell"], read_only=True)
    writes: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", CANDIDATES, {"id": "bo", "full_name": "Bơ", "org_id": "ks.anmy.ap1"}),
        ("PATCH", f"{CANDIDATES}/an", {"full_name": "Ân"}),
        ("POST", f"{CANDIDATES}/an/events", EVENT),
        ("POST", f"{V1}/webhooks", {"url": "https://hooks.example.vn/x"}),
        ("DELETE", f"{V1}/webhooks/{hook.id}", {}),
    ]
    for method, path, body in writes:
        found = problem_of(reader.request(method, path, **({"json": body} if body else {})), 403, "forbidden")
        assert "read-only" in found["detail"], (method, path)
    assert reader.get(f"{CANDIDATES}/an").status_code == 200
    assert reader.post(f"{CANDIDATES}/an/options", json={}).status_code == 200
    assert reader.post(f"{V1}/workflows/validate", content=b"id: x\n").status_code == 200
    assert [c.id for c in api.flow.candidates()] == ["an"]
    assert api.flow.candidate("an").version == 1
    assert [(w.id, w.active) for w in api.flow.webhooks()] == [(hook.id, True)]


# -------------------------------------------------------------------- organisation subtrees

OUTSIDE = "thpt-001"  # a candidate of ks.thpt.gv.toan
MISSING = "none-001"  # no such candidate (same length: the two answers then have the same bytes)


def same_but_for(key: str, outside: httpx.Response, missing: httpx.Response, missing_key: str) -> bool:
    """Whether two answers are the same bytes once the id each names is swapped."""
    return outside.status_code == missing.status_code and outside.content == missing.content.replace(
        missing_key.encode(), key.encode()
    )


def test_a_token_of_an_my_is_refused_everything_about_the_school_as_if_it_did_not_exist(api: Api) -> None:
    flow = api.flow
    enrol(flow, OUTSIDE, "ks.thpt.gv.toan")
    enrol(flow, "anmy-001", "ks.anmy.ap1")
    outside_hook, _ = flow.add_webhook("ks.thpt", "https://hooks.example.vn/thpt")
    before = (flow.history(OUTSIDE), flow.candidates(), flow.webhooks())
    client = api.client("ks.anmy", ["cell"])
    candidate_calls: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "", {}),
        ("PATCH", "", {"json": {"full_name": "Ai đó"}}),
        ("PATCH", "", {"json": {"full_name": "Ai đó"}, "headers": {"If-Match": '"1.1"'}}),
        ("POST", "/events", {"json": EVENT}),
        ("POST", "/events", {"json": EVENT, "headers": {"If-Match": '"1.1"'}}),
        ("POST", "/events", {"json": EVENT, "headers": {"Idempotency-Key": "{cid}"}}),
        ("GET", "/events", {}),
        ("GET", "/options", {}),
        ("GET", "/options?role=cell&on=2026-01-05", {}),
        ("POST", "/options", {"json": {}}),
        ("GET", "/documents", {}),
        ("GET", "/deadlines", {}),
        ("GET", "/competent", {}),
    ]
    offenders = []

    def compare(what: str, call: Callable[[str], httpx.Response], outside: str, missing: str) -> None:
        a, b = call(outside), call(missing)
        if a.status_code != 404 or not is_problem(a) or not same_but_for(outside, a, b, missing):
            offenders.append(f"{what}: outside {a.status_code} {a.text[:200]} | missing {b.status_code} {b.text[:200]}")
        drop = {"date", "content-length"}
        if {k: v for k, v in a.headers.items() if k not in drop} != {
            k: v for k, v in b.headers.items() if k not in drop
        }:
            offenders.append(f"{what}: headers differ {a.headers} {b.headers}")

    def candidate_call(method: str, tail: str, kwargs: dict[str, Any]) -> Callable[[str], httpx.Response]:
        def call(cid: str) -> httpx.Response:
            headers = {k: v.format(cid=cid) for k, v in kwargs.get("headers", {}).items()}  # a key per request
            return client.request(method, f"{CANDIDATES}/{cid}{tail}", **{**kwargs, "headers": headers})

        return call

    for method, tail, kwargs in candidate_calls:
        compare(
            f"{method} {tail or '/'} {kwargs.get('headers', '')}",
            candidate_call(method, tail, kwargs),
            OUTSIDE,
            MISSING,
        )
    for tail in ("", "/subtree", "/deadlines", "/deadlines?status=overdue"):
        compare(
            f"GET /orgs/ks.thpt{tail}",
            lambda org, tail=tail: client.get(f"{V1}/orgs/{org}{tail}"),
            "ks.thpt",
            "ks.none",
        )
    compare("GET /candidates?org_id", lambda org: client.get(CANDIDATES, params={"org_id": org}), "ks.thpt", "ks.none")
    compare(
        "POST /candidates in the school",
        lambda org: client.post(CANDIDATES, json={"id": "new-001", "full_name": "Mới", "org_id": org}),
        "ks.thpt.gv.toan",
        "ks.none.gv.toan",
    )
    compare(
        "POST /webhooks for the school",
        lambda org: client.post(f"{V1}/webhooks", json={"url": "https://e.vn/h", "org_id": org}),
        "ks.thpt",
        "ks.none",
    )
    missing_hook = outside_hook.id + 7
    for method in ("GET", "DELETE"):
        compare(
            f"{method} /webhooks/{{outside}}",
            lambda hid, method=method: client.request(method, f"{V1}/webhooks/{hid}"),
            str(outside_hook.id),
            str(missing_hook),
        )
    for acting in ("ks.thpt", "ks", "st"):  # a sibling, the parent, the root: all outside ks.anmy's subtree
        compare(
            f"fire acting for {acting}",
            lambda org: client.post(f"{CANDIDATES}/anmy-001/events", json={**EVENT, "acting_org": org}),
            acting,
            "x" * len(acting),
        )
        compare(
            f"options acting for {acting}",
            lambda org: client.post(f"{CANDIDATES}/anmy-001/options", json={"acting_org": org}),
            acting,
            "x" * len(acting),
        )
    assert not offenders, "\n".join(offenders)
    assert (flow.history(OUTSIDE), flow.candidates(), flow.webhooks()) == before
    assert flow.candidate("anmy-001").version == 1


def test_listings_never_include_rows_outside_the_token_subtree(api: Api) -> None:
    flow = api.flow
    for cid, org in (
        ("ap1-01", "ks.anmy.ap1"),
        ("ap2-01", "ks.anmy.ap2"),
        ("gv-01", "ks.thpt.gv.toan"),
        ("xk-01", "ks.ctyxk"),
    ):
        enrol(flow, cid, org)
    flow.add_webhook("ks.anmy", "https://hooks.example.vn/anmy")
    flow.add_webhook("ks.thpt", "https://hooks.example.vn/thpt")
    flow.add_webhook("ks", "https://hooks.example.vn/ks")
    for cid in ("ap1-01", "ap2-01", "gv-01", "xk-01"):
        flow.fire(cid, "admit_to_sympathizer_list", role="cell")  # one webhook call per subscription above it
    anmy = api.client("ks.anmy", ["cell"])
    ks = api.client("ks", ["cell"])

    def listing(client: httpx.Client, path: str, key: Callable[[dict[str, Any]], Any]) -> list[Any]:
        answer = client.get(path, params={"limit": 500} if path == CANDIDATES else None)
        assert answer.status_code == 200, (path, answer.text)
        items = answer.json()["items"] if path == CANDIDATES else answer.json()
        return sorted(key(item) for item in items)

    def by_id(item: dict[str, Any]) -> Any:
        return item["id"]

    def hook_url(item: dict[str, Any]) -> Any:
        return item["recipients"][0]["url"]

    assert listing(anmy, CANDIDATES, by_id) == ["ap1-01", "ap2-01"]
    assert listing(ks, CANDIDATES, by_id) == ["ap1-01", "ap2-01", "gv-01", "xk-01"]
    assert listing(anmy, f"{V1}/orgs", by_id) == ["ks.anmy", "ks.anmy.ap1", "ks.anmy.ap2"]
    assert listing(anmy, f"{V1}/webhooks", lambda w: w["org_id"]) == ["ks.anmy"]
    assert listing(ks, f"{V1}/webhooks", lambda w: w["org_id"]) == ["ks", "ks.anmy", "ks.thpt"]
    # the outbox lists the calls about the subtree's candidates, whichever subscription queued them
    assert listing(anmy, f"{V1}/outbox", hook_url) == sorted(
        ["https://hooks.example.vn/anmy", "https://hooks.example.vn/ks"] * 2
    )
    assert len(listing(ks, f"{V1}/outbox", hook_url)) == 7


def test_a_cell_token_does_not_see_its_sibling_cell_but_the_commune_committee_sees_both(api: Api) -> None:
    enrol(api.flow, "ap1-01", "ks.anmy.ap1")
    enrol(api.flow, "ap2-01", "ks.anmy.ap2")
    ap1 = api.client("ks.anmy.ap1", ["cell"])
    anmy = api.client("ks.anmy", ["cell"])

    assert ap1.get(f"{CANDIDATES}/ap1-01").status_code == 200
    problem_of(ap1.get(f"{CANDIDATES}/ap2-01"), 404, "not_found")
    problem_of(ap1.post(f"{CANDIDATES}/ap2-01/events", json=EVENT), 404, "not_found")
    problem_of(ap1.get(f"{V1}/orgs/ks.anmy.ap2"), 404, "not_found")
    problem_of(ap1.get(f"{V1}/orgs/ks.anmy"), 404, "not_found")  # its own parent is outside too
    assert [c["id"] for c in ap1.get(CANDIDATES).json()["items"]] == ["ap1-01"]
    assert [o["id"] for o in ap1.get(f"{V1}/orgs").json()] == ["ks.anmy.ap1"]

    assert anmy.get(f"{CANDIDATES}/ap1-01").status_code == 200
    assert anmy.get(f"{CANDIDATES}/ap2-01").status_code == 200
    assert anmy.post(f"{CANDIDATES}/ap2-01/events", json=EVENT).status_code == 201
    assert [c["id"] for c in anmy.get(CANDIDATES).json()["items"]] == ["ap1-01", "ap2-01"]

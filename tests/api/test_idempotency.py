"""``Idempotency-Key`` and ``If-Match`` over HTTP: a replay is the first answer byte for byte, a key is bound to
its request and its token, and neither eight simultaneous replays nor eight fires on the same ETag ever apply an
event twice; on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
from apitools import V1, WAIT_SECONDS, Api, enrol, is_problem, problem_of

CANDIDATES = f"{V1}/candidates"
HELPER = {"trigger": "assign_helper", "data": {"helper": "Trần Văn Bình"}}  # keeps the state: may happen again
THREADS = 8


def keyed(key: str) -> dict[str, str]:
    return {"Idempotency-Key": key}


def sympathizer(api: Api, cid: str = "an") -> None:
    enrol(api.flow, cid)
    api.flow.fire(cid, "admit_to_sympathizer_list", role="cell")


def test_a_replayed_write_returns_the_first_answer_byte_for_byte_and_writes_nothing(api: Api) -> None:
    sympathizer(api)
    client = api.client("ks.anmy", ["cell"])
    writes: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", f"{CANDIDATES}/an/events", HELPER),
        ("POST", CANDIDATES, {"id": "bo", "full_name": "Trần Thị Bơ", "org_id": "ks.anmy.ap2"}),
        ("PATCH", f"{CANDIDATES}/an", {"occupation": "giáo viên"}),
        ("POST", f"{V1}/webhooks", {"url": "https://hooks.example.vn/an-my", "event_types": ["assign_helper"]}),
    ]
    for n, (method, path, body) in enumerate(writes):
        first = client.request(method, path, json=body, headers=keyed(f"write-{n}"))
        assert first.status_code in (200, 201), first.text
        assert "idempotent-replayed" not in first.headers
        for _ in range(2):
            again = client.request(method, path, json=body, headers=keyed(f"write-{n}"))
            if path.endswith("/webhooks"):  # the signing secret is shown once: a replay has it null
                assert (again.status_code, again.json()) == (first.status_code, {**first.json(), "secret": None})
            else:
                assert (again.status_code, again.content) == (first.status_code, first.content), path
            assert again.headers["idempotent-replayed"] == "true"
            for header in ("content-type", "etag", "location"):
                assert again.headers.get(header) == first.headers.get(header), (path, header)
    history = api.flow.history("an")
    assert [e.trigger for e in history][-2:] == ["assign_helper", "update_personal_data"]
    assert len(history) == 4
    assert sorted(c.id for c in api.flow.candidates()) == ["an", "bo"]
    assert len(api.flow.webhooks()) == 1
    # the stored answer is the answer of its time, even once the candidate has moved on
    api.flow.fire("an", "nominate_for_class", role="cell")
    late = client.post(f"{CANDIDATES}/an/events", json=HELPER, headers=keyed("write-0"))
    assert (late.status_code, late.json()["from_state"]) == (201, "sympathizer")


def test_a_refused_fire_retried_with_its_key_is_refused_alike_and_runs_again_once_allowed(api: Api) -> None:
    """A refused event changed nothing, so its answer is not kept (writes.py): the same request with the same
    key is judged again. While nothing has changed it gets the same 422, byte for byte; once the candidate has
    moved on, it is applied, once."""
    enrol(api.flow, "an")
    client = api.client("ks.anmy", ["cell"])
    refused = client.post(f"{CANDIDATES}/an/events", json=HELPER, headers=keyed("too-early"))
    problem_of(refused, 422, "transition_refused")

    again = client.post(f"{CANDIDATES}/an/events", json=HELPER, headers=keyed("too-early"))

    assert (again.status_code, again.content) == (422, refused.content)
    assert again.headers["content-type"] == "application/problem+json"
    assert len(api.flow.history("an")) == 1

    api.flow.fire("an", "admit_to_sympathizer_list", role="cell")  # now assign_helper is allowed
    applied = client.post(f"{CANDIDATES}/an/events", json=HELPER, headers=keyed("too-early"))
    replayed = client.post(f"{CANDIDATES}/an/events", json=HELPER, headers=keyed("too-early"))
    assert (applied.status_code, replayed.status_code, replayed.content) == (201, 201, applied.content)
    assert replayed.headers["idempotent-replayed"] == "true"
    assert [e.trigger for e in api.flow.history("an")] == [
        "add_to_source_plan",
        "admit_to_sympathizer_list",
        "assign_helper",
    ]


def test_an_event_shows_its_idempotency_key_only_to_the_token_that_sent_it(api: Api) -> None:
    sympathizer(api)
    sender, other = api.client("ks.anmy", ["cell"]), api.client("ks.anmy", ["cell"])
    assert sender.post(f"{CANDIDATES}/an/events", json=HELPER, headers=keyed("mine-1")).status_code == 201

    assert sender.get(f"{CANDIDATES}/an/events").json()[-1]["idempotency_key"] == "mine-1"
    assert other.get(f"{CANDIDATES}/an/events").json()[-1]["idempotency_key"] is None


def test_a_key_used_again_for_another_request_is_a_422_and_changes_nothing(api: Api) -> None:
    sympathizer(api)
    enrol(api.flow, "bo")
    client = api.client("ks.anmy", ["cell"])
    assert client.post(f"{CANDIDATES}/an/events", json=HELPER, headers=keyed("k")).status_code == 201
    others: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", f"{CANDIDATES}/an/events", {**HELPER, "actor": "someone else"}),  # another body
        ("POST", f"{CANDIDATES}/an/events", {**HELPER, "data": {"helper": "Lê Thị Cúc"}}),
        ("POST", f"{CANDIDATES}/bo/events", HELPER),  # another candidate
        ("PATCH", f"{CANDIDATES}/an", {"occupation": "nông dân"}),  # another method and path
        ("POST", f"{CANDIDATES}/an/events?x=1", HELPER),  # another query
    ]
    for method, path, body in others:
        found = problem_of(client.request(method, path, json=body, headers=keyed("k")), 422, "idempotency_conflict")
        assert "k" in found["detail"]
    assert len(api.flow.history("an")) == 3 and len(api.flow.history("bo")) == 1
    for bad in ("", "x" * 181, "tab\there", "é".encode()):
        answer = client.post(f"{CANDIDATES}/an/events", json=HELPER, headers={"Idempotency-Key": bad})  # type: ignore[dict-item]
        assert is_problem(answer) and answer.status_code in (400, 422), (bad, answer.text)
    assert len(api.flow.history("an")) == 3


def test_the_same_key_from_another_token_is_another_request(api: Api) -> None:
    sympathizer(api)
    first, second = api.client("ks.anmy", ["cell"]), api.client("ks.anmy.ap1", ["cell"])

    one = first.post(f"{CANDIDATES}/an/events", json=HELPER, headers=keyed("shared"))
    two = second.post(f"{CANDIDATES}/an/events", json=HELPER, headers=keyed("shared"))
    other_body = second.post(f"{CANDIDATES}/an/events", json={**HELPER, "actor": "x"}, headers=keyed("mine"))

    assert (one.status_code, two.status_code, other_body.status_code) == (201, 201, 201)
    assert "idempotent-replayed" not in two.headers
    assert one.json()["event_id"] != two.json()["event_id"]
    assert (one.json()["version"], two.json()["version"]) == (3, 4)
    conflict = first.post(f"{CANDIDATES}/an/events", json={**HELPER, "actor": "x"}, headers=keyed("shared"))
    problem_of(conflict, 422, "idempotency_conflict")  # still bound to the first token's own request
    assert len(api.flow.history("an")) == 5


def at_once(clients: list[httpx.Client], send: Callable[[httpx.Client], httpx.Response]) -> list[httpx.Response]:
    """``send`` from every client in a thread of its own, all released together; the answers in client order."""
    start = threading.Barrier(len(clients))
    answers: list[httpx.Response | BaseException | None] = [None] * len(clients)

    def run(n: int) -> None:
        try:
            start.wait(WAIT_SECONDS)
            answers[n] = send(clients[n])
        except BaseException as exc:  # reported below, in the test's own thread
            answers[n] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_SECONDS)
    assert all(isinstance(a, httpx.Response) for a in answers), answers
    return answers  # type: ignore[return-value]


def test_eight_simultaneous_replays_apply_the_event_once_and_each_gets_the_201_or_a_409(api: Api) -> None:
    sympathizer(api)
    _, secret = api.token("ks.anmy", ["cell"])
    clients = [api.client_with(secret) for _ in range(THREADS)]  # one token: one key space
    events = len(api.flow.history("an"))

    answers = at_once(clients, lambda c: c.post(f"{CANDIDATES}/an/events", json=HELPER, headers=keyed("together")))

    created = [a for a in answers if a.status_code == 201]
    waiting = [a for a in answers if a.status_code == 409]
    assert len(created) + len(waiting) == THREADS, [(a.status_code, a.text[:200]) for a in answers]
    assert created, "no request was answered 201"
    assert len({a.content for a in created}) == 1
    for answer in waiting:
        assert problem_of(answer, 409, "request_in_progress")
    assert Counter(a.headers.get("idempotent-replayed") for a in created)[None] == 1  # one answer was the first
    assert len(api.flow.history("an")) == events + 1
    later = clients[0].post(f"{CANDIDATES}/an/events", json=HELPER, headers=keyed("together"))
    assert (later.status_code, later.content, later.headers["idempotent-replayed"]) == (201, created[0].content, "true")
    assert len(api.flow.history("an")) == events + 1


def test_a_stale_if_match_is_412_and_eight_fires_on_one_etag_apply_exactly_one(api: Api) -> None:
    sympathizer(api)
    client = api.client("ks.anmy", ["cell"])
    etag = client.get(f"{CANDIDATES}/an").headers["etag"]
    instance, version = etag.strip('"').split(".")

    for stale in (
        f'"{instance}.{int(version) - 1}"',
        f'"{instance}.{int(version) + 1}"',
        f'"{int(instance) + 1}.{version}"',
    ):
        sent = client.post(f"{CANDIDATES}/an/events", json=HELPER, headers={"If-Match": stale})
        problem_of(sent, 412, "precondition_failed")
    for malformed in ('"garbage"', "3.3", f"W/{etag}x", '"1.-1"'):  # never an ETag this API gave out
        sent = client.post(f"{CANDIDATES}/an/events", json=HELPER, headers={"If-Match": malformed})
        assert "If-Match" in problem_of(sent, 422, "validation_failed")["detail"]  # the header's schema
    assert api.flow.candidate("an").version == int(version)

    events = len(api.flow.history("an"))
    clients = [api.client("ks.anmy", ["cell"]) for _ in range(THREADS)]
    answers = at_once(clients, lambda c: c.post(f"{CANDIDATES}/an/events", json=HELPER, headers={"If-Match": etag}))

    statuses = Counter(a.status_code for a in answers)
    assert statuses[201] == 1 and statuses[201] + statuses[412] + statuses[409] == THREADS, [
        (a.status_code, a.text[:200]) for a in answers
    ]
    for answer in answers:
        if answer.status_code != 201:
            problem_of(
                answer, answer.status_code, "precondition_failed" if answer.status_code == 412 else "concurrent_update"
            )
    (won,) = [a for a in answers if a.status_code == 201]
    assert won.headers["etag"] == f'"{instance}.{int(version) + 1}"'
    assert api.flow.candidate("an").version == int(version) + 1
    assert [e.trigger for e in api.flow.history("an")[events:]] == ["assign_helper"]
    assert (
        client.post(f"{CANDIDATES}/an/events", json=HELPER, headers={"If-Match": won.headers["etag"]}).status_code
        == 201
    )


def test_eight_simultaneous_creations_of_one_id_and_corrections_on_one_etag_each_succeed_once(api: Api) -> None:
    enrol(api.flow, "an")
    clients = [api.client("ks.anmy", ["cell"]) for _ in range(THREADS)]
    new = {"id": "bo", "full_name": "Trần Thị Bơ", "org_id": "ks.anmy.ap2"}

    created = at_once(clients, lambda c: c.post(CANDIDATES, json=new))
    etag = clients[0].get(f"{CANDIDATES}/an").headers["etag"]
    corrected = at_once(
        clients, lambda c: c.patch(f"{CANDIDATES}/an", json={"occupation": f"nghề {id(c)}"}, headers={"If-Match": etag})
    )

    assert sorted(a.status_code for a in created) == [201] + [409] * (THREADS - 1)
    for answer in created:
        if answer.status_code == 409:
            problem_of(answer, 409, "already_exists")
    assert sorted(a.status_code for a in corrected) == [200] + [412] * (THREADS - 1)
    assert sorted(c.id for c in api.flow.candidates()) == ["an", "bo"]
    assert [e.trigger for e in api.flow.history("an")] == ["add_to_source_plan", "update_personal_data"]

"""Bad input of every kind is answered with a 4xx ``application/problem+json`` (``type``, ``title``, ``status``,
``detail``), never a 5xx: malformed and oversized bodies, wrong types, impossible numbers and dates, odd
characters in paths and queries, text a database cannot hold, non-finite numbers and hostile workflow uploads.
Each test sends its whole batch and reports every request that was answered wrongly at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from apitools import V1, Api, enrol, is_problem

CANDIDATES = f"{V1}/candidates"
JSON = {"Content-Type": "application/json"}
TEN_MB = 10 * 1024 * 1024


@dataclass(frozen=True)
class Bad:
    """One request that must be answered with a 4xx problem (``refused``) or at least not with a 5xx."""

    what: str
    method: str
    url: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    refused: bool = True


def raw(body: bytes) -> dict[str, Any]:
    return {"content": body, "headers": JSON}


def answered_wrongly(client: httpx.Client, cases: list[Bad]) -> list[str]:
    """Every case answered with a 5xx, with a 4xx that is not a problem, or (``refused``) with a success."""
    wrong = []
    for case in cases:
        answer = client.request(case.method, case.url, **case.kwargs)
        ok = is_problem(answer) if case.refused else answer.status_code < 400 or is_problem(answer)
        if not ok:
            code = answer.json().get("code") if answer.headers.get("content-type", "").endswith("json") else None
            wrong.append(
                f"{case.what}: {case.method} {case.url[:90]} -> {answer.status_code} {code or answer.text[:120]}"
            )
    return wrong


# The routes that take a JSON body.
JSON_BODIED = (
    ("POST", CANDIDATES),
    ("PATCH", f"{CANDIDATES}/an"),
    ("POST", f"{CANDIDATES}/an/events"),
    ("POST", f"{CANDIDATES}/an/options"),
    ("POST", f"{V1}/webhooks"),
)


def test_malformed_oversized_and_mistyped_bodies_are_4xx_problems(api: Api) -> None:
    enrol(api.flow, "an")
    client = api.client("ks.anmy", ["cell"])
    shapes: list[tuple[str, dict[str, Any]]] = [
        ("broken JSON", raw(b'{"trigger": ')),
        ("JSON with a trailing comma", raw(b'{"trigger": "withdraw",}')),
        ("a list", raw(b"[]")),
        ("a string", raw(b'"withdraw"')),
        ("a number", raw(b"42")),
        ("null", raw(b"null")),
        ("empty body", raw(b"")),
        ("not UTF-8", raw(b'{"trigger": "caf\xe9"}')),
        (
            "not JSON at all",
            {"content": b"trigger=withdraw", "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
        ),
        ("JSON sent as text/plain", {"content": b'{"trigger": "withdraw"}', "headers": {"Content-Type": "text/plain"}}),
        ("nested 100,000 deep", raw(b"[" * 100_000 + b"]" * 100_000)),
        ("10 MB of garbage", raw(b"x" * TEN_MB)),
        ("10 MB string field", raw(b'{"trigger": "' + b"a" * TEN_MB + b'"}')),
        (
            "unknown field",
            {"json": {"trigger": "withdraw", "id": "an", "full_name": "x", "org_id": "ks.anmy.ap1", "surprise": 1}},
        ),
    ]
    cases = [Bad(f"{name} to {path}", method, path, kwargs) for name, kwargs in shapes for method, path in JSON_BODIED]
    typed: list[tuple[str, str, str, Any]] = [
        ("POST", CANDIDATES, "id as a number", {"id": 123, "full_name": "x", "org_id": "ks.anmy.ap1"}),
        ("POST", CANDIDATES, "name as a list", {"id": "bo", "full_name": ["x"], "org_id": "ks.anmy.ap1"}),
        (
            "POST",
            CANDIDATES,
            "attributes as a list",
            {"id": "bo", "full_name": "x", "org_id": "ks.anmy.ap1", "attributes": []},
        ),
        ("POST", CANDIDATES, "a 201-character name", {"id": "bo", "full_name": "x" * 201, "org_id": "ks.anmy.ap1"}),
        ("POST", CANDIDATES, "a 10,000-character id", {"id": "b" * 10_000, "full_name": "x", "org_id": "ks.anmy.ap1"}),
        (
            "POST",
            CANDIDATES,
            "boolean as text",
            {"id": "bo", "full_name": "x", "org_id": "ks.anmy.ap1", "remote_area": "si"},
        ),
        ("PATCH", f"{CANDIDATES}/an", "birth date as a number", {"birth_date": 19950515}),
        ("POST", f"{CANDIDATES}/an/events", "no trigger", {"on": "2026-01-05"}),
        ("POST", f"{CANDIDATES}/an/events", "trigger as a number", {"trigger": 7}),
        ("POST", f"{CANDIDATES}/an/events", "data as a list", {"trigger": "withdraw", "data": [1, 2]}),
        ("POST", f"{CANDIDATES}/an/events", "documents as text", {"trigger": "withdraw", "documents": "application"}),
        (
            "POST",
            f"{CANDIDATES}/an/events",
            "a paper without a date",
            {"trigger": "withdraw", "documents": [{"kind": "application"}]},
        ),
        (
            "POST",
            f"{CANDIDATES}/an/events",
            "51 papers",
            {"trigger": "withdraw", "documents": [{"kind": "application", "issued_on": "2026-01-01"}] * 51},
        ),
        ("POST", f"{CANDIDATES}/an/events", "votes as a list", {"trigger": "withdraw", "votes": [6, 9]}),
        ("POST", f"{CANDIDATES}/an/events", "a 201-character actor", {"trigger": "withdraw", "actor": "a" * 201}),
        (
            "POST",
            f"{CANDIDATES}/an/events",
            "a 65-character acting_org",
            {"trigger": "withdraw", "acting_org": "o" * 65},
        ),
        ("POST", f"{CANDIDATES}/an/options", "a trigger where none is taken", {"trigger": "withdraw"}),
        ("POST", f"{V1}/webhooks", "event types as text", {"url": "https://hooks.example.vn/x", "event_types": "*"}),
        ("POST", f"{V1}/webhooks", "a URL of 2,001 characters", {"url": "https://h.vn/" + "x" * 1990}),
    ]
    cases += [Bad(what, method, path, {"json": body}) for method, path, what, body in typed]

    wrong = answered_wrongly(client, cases)

    assert not wrong, "\n".join(wrong)
    assert api.flow.candidate("an").version == 1 and [c.id for c in api.flow.candidates()] == ["an"]
    assert client.get(f"{CANDIDATES}/an").status_code == 200  # still serving


def test_impossible_numbers_and_dates_are_4xx_problems(api: Api) -> None:
    enrol(api.flow, "an")
    hook, _ = api.flow.add_webhook("ks.anmy", "https://hooks.example.vn/an-my")
    client = api.client("ks.anmy", ["cell"])
    huge = 10**23
    cases = [
        Bad(
            "10**23 in favour",
            "POST",
            f"{CANDIDATES}/an/events",
            {"json": {"trigger": "withdraw", "votes": {"in_favour": huge, "eligible": huge}}},
        ),
        Bad(
            "in favour over eligible",
            "POST",
            f"{CANDIDATES}/an/options",
            {"json": {"votes": {"in_favour": 10, "eligible": 9}}},
        ),
        Bad(
            "a 400-digit number", "POST", f"{CANDIDATES}/an/options", {"json": {"data": {"n": 10**400}}}, refused=False
        ),
        Bad("limit 10**23", "GET", CANDIDATES, {"params": {"limit": huge}}),
        Bad("outbox limit 10**23", "GET", f"{V1}/outbox", {"params": {"limit": huge}}),
        Bad("days 10**23", "GET", f"{V1}/orgs/ks.anmy/deadlines", {"params": {"status": "upcoming", "days": huge}}),
        Bad("webhook 10**23", "GET", f"{V1}/webhooks/{huge}"),
        Bad("webhook 2**63", "GET", f"{V1}/webhooks/{2**63}"),
        Bad("webhook 2**31", "GET", f"{V1}/webhooks/{2**31}"),
        Bad("remove webhook 10**23", "DELETE", f"{V1}/webhooks/{huge}"),
        Bad("remove webhook 2**31", "DELETE", f"{V1}/webhooks/{2**31}"),
        Bad("webhook -1", "GET", f"{V1}/webhooks/-1"),
        Bad("webhook 1.5", "GET", f"{V1}/webhooks/1.5"),
    ]
    for value in (
        "2026-02-30",
        "2026-13-01",
        "yesterday",
        "",
        "20260105",
        "0000-01-01",
        "10000-01-01",
        "2026-01-05T25:00",
    ):
        cases += [
            Bad(
                f"event on {value!r}", "POST", f"{CANDIDATES}/an/events", {"json": {"trigger": "withdraw", "on": value}}
            ),
            Bad(
                f"paper of {value!r}",
                "POST",
                f"{CANDIDATES}/an/options",
                {"json": {"documents": [{"kind": "application", "issued_on": value}]}},
            ),
            Bad(f"born {value!r}", "PATCH", f"{CANDIDATES}/an", {"json": {"birth_date": value}}),
            Bad(
                f"start {value!r}",
                "POST",
                CANDIDATES,
                {"json": {"id": "bo", "full_name": "x", "org_id": "ks.anmy.ap1", "on": value}},
            ),
            Bad(f"options on {value!r}", "GET", f"{CANDIDATES}/an/options", {"params": {"on": value}}),
            Bad(f"in force on {value!r}", "GET", f"{V1}/workflows/standard/in-force", {"params": {"on": value}}),
        ]

    wrong = answered_wrongly(client, cases)

    assert not wrong, "\n".join(wrong)
    assert api.flow.candidate("an").version == 1 and api.flow.webhook(hook.id).active


ODD = (
    "%00",
    "a%00b",
    "%FF",
    "%C3%28",
    "..",
    "%2e%2e",
    "a%2Fb",
    "Nguy%E1%BB%85n",
    "a%20b",
    "%F0%9F%98%80",
    "x" * 5000,
    "%25",
    "%0A",
)


def test_odd_characters_in_path_ids_and_queries_are_4xx_problems(api: Api) -> None:
    enrol(api.flow, "an")
    client = api.client("ks.anmy", ["cell"])
    cases = []
    for odd in ODD:
        for tail in ("", "/events", "/options", "/documents", "/deadlines", "/competent"):
            cases.append(Bad(f"candidate {odd[:12]!r}{tail}", "GET", f"{CANDIDATES}/{odd}{tail}"))
        cases += [
            Bad(f"fire on {odd[:12]!r}", "POST", f"{CANDIDATES}/{odd}/events", {"json": {"trigger": "withdraw"}}),
            Bad(f"patch {odd[:12]!r}", "PATCH", f"{CANDIDATES}/{odd}", {"json": {"full_name": "x"}}),
            Bad(f"org {odd[:12]!r}", "GET", f"{V1}/orgs/{odd}"),
            Bad(f"subtree {odd[:12]!r}", "GET", f"{V1}/orgs/{odd}/subtree"),
            Bad(f"org deadlines {odd[:12]!r}", "GET", f"{V1}/orgs/{odd}/deadlines"),
            Bad(f"workflow {odd[:12]!r}", "GET", f"{V1}/workflows/{odd}"),
            Bad(f"in force {odd[:12]!r}", "GET", f"{V1}/workflows/{odd}/in-force?on=2026-01-05"),
            Bad(f"webhook {odd[:12]!r}", "GET", f"{V1}/webhooks/{odd}"),
            Bad(f"problem page {odd[:12]!r}", "GET", f"{V1}/problems/{odd}"),
        ]
    for name in ("state", "org_id", "workflow", "cursor"):
        for value in ("\x00", "a\x00b", "\ud7ff", "x" * 1001):
            cases.append(Bad(f"?{name}={value[:6]!r}", "GET", CANDIDATES, {"params": {name: value}}, refused=False))
    cases += [
        Bad("?role=NUL", "GET", f"{CANDIDATES}/an/options", {"params": {"role": "\x00"}}),
        Bad("?name=NUL", "POST", f"{V1}/workflows/validate", {"params": {"name": "\x00"}, "content": b"id: x"}),
        # (A control character in a header never reaches the app: uvicorn's HTTP parser answers 400 itself.)
        Bad(
            "If-Match not a tag",
            "POST",
            f"{CANDIDATES}/an/events",
            {"json": {"trigger": "withdraw"}, "headers": {"If-Match": '"a.1"'}},
        ),
        Bad(
            "Idempotency-Key of 181",
            "POST",
            f"{CANDIDATES}/an/events",
            {"json": {"trigger": "withdraw"}, "headers": {"Idempotency-Key": "k" * 181}},
        ),
        Bad(
            "Idempotency-Key in UTF-8",
            "POST",
            f"{CANDIDATES}/an/events",
            {"json": {"trigger": "withdraw"}, "headers": {"Idempotency-Key": "khóa".encode()}},
        ),
    ]

    wrong = answered_wrongly(client, cases)

    assert not wrong, "\n".join(wrong)
    assert api.flow.candidate("an").version == 1


NUL = "a\x00b"


def test_text_a_database_cannot_hold_is_refused_as_input_not_failed_as_a_database_error(api: Api) -> None:
    """PostgreSQL cannot store U+0000 in text or JSONB; SQLite can. Either way it is bad input (4xx), refused
    alike on both databases, before anything is written."""
    enrol(api.flow, "an")
    api.flow.fire("an", "admit_to_sympathizer_list", role="cell")
    client = api.client("ks.anmy", ["cell"])
    new = {"full_name": "Bơ", "org_id": "ks.anmy.ap1"}
    helper = {"trigger": "assign_helper", "data": {"helper": "Lê Văn Ba"}}
    paper = {"kind": "application", "issued_on": "2026-01-02"}
    cases = [
        Bad("name", "POST", CANDIDATES, {"json": {**new, "id": "n1", "full_name": NUL}}),
        Bad("ethnicity", "POST", CANDIDATES, {"json": {**new, "id": "n2", "ethnicity": NUL}}),
        Bad("attribute value", "POST", CANDIDATES, {"json": {**new, "id": "n3", "attributes": {"note": NUL}}}),
        Bad("attribute key", "POST", CANDIDATES, {"json": {**new, "id": "n4", "attributes": {NUL: 1}}}),
        Bad("organisation", "POST", CANDIDATES, {"json": {**new, "id": "n5", "org_id": NUL}}),
        Bad("corrected name", "PATCH", f"{CANDIDATES}/an", {"json": {"full_name": NUL}}),
        Bad("corrected attributes", "PATCH", f"{CANDIDATES}/an", {"json": {"attributes": {"note": NUL}}}),
        Bad("event data", "POST", f"{CANDIDATES}/an/events", {"json": {**helper, "data": {"helper": NUL}}}),
        Bad("actor", "POST", f"{CANDIDATES}/an/events", {"json": {**helper, "actor": NUL}}),
        Bad("acting organisation", "POST", f"{CANDIDATES}/an/events", {"json": {**helper, "acting_org": NUL}}),
        Bad(
            "paper reference",
            "POST",
            f"{CANDIDATES}/an/events",
            {"json": {**helper, "documents": [{**paper, "reference": NUL}]}},
        ),
        Bad(
            "paper attributes",
            "POST",
            f"{CANDIDATES}/an/events",
            {"json": {**helper, "documents": [{**paper, "attributes": {"x": NUL}}]}},
        ),
        Bad(
            "webhook organisation",
            "POST",
            f"{V1}/webhooks",
            {"json": {"url": "https://hooks.example.vn/x", "org_id": NUL}},
        ),
        Bad("options data", "POST", f"{CANDIDATES}/an/options", {"json": {"acting_org": NUL}}, refused=False),
    ]

    wrong = answered_wrongly(client, cases)

    assert not wrong, "\n".join(wrong)
    assert [c.id for c in api.flow.candidates()] == ["an"]
    assert api.flow.candidate("an").version == 2 and api.flow.webhooks() == []


def test_numbers_json_cannot_hold_are_refused_and_never_poison_later_reads(api: Api) -> None:
    """``NaN`` and ``Infinity`` are not JSON (RFC 8259), though Python's parser reads them: they are bad input,
    refused on both databases; nothing that reads the candidate afterwards may fail."""
    for cid in ("an", "bo"):
        enrol(api.flow, cid)
    client = api.client("ks.anmy", ["cell"])
    admit = b'{"trigger": "admit_to_sympathizer_list", '
    cases = [
        Bad("NaN in event data", "POST", f"{CANDIDATES}/an/events", raw(admit + b'"data": {"x": NaN}}')),
        Bad(
            "Infinity in paper attributes",
            "POST",
            f"{CANDIDATES}/bo/events",
            raw(
                admit
                + b'"documents": [{"kind": "application", "issued_on": "2026-01-01", "attributes": {"x": Infinity}}]}'
            ),
        ),
        Bad(
            "-Infinity in candidate attributes",
            "POST",
            CANDIDATES,
            raw(b'{"id": "cu", "full_name": "x", "org_id": "ks.anmy.ap1", "attributes": {"x": -Infinity}}'),
        ),
        Bad("NaN in corrected attributes", "PATCH", f"{CANDIDATES}/an", raw(b'{"attributes": {"x": NaN}}')),
        Bad("NaN in judged data", "POST", f"{CANDIDATES}/an/options", raw(b'{"data": {"x": NaN}}'), refused=False),
    ]

    wrong = answered_wrongly(client, cases)
    reads = [
        Bad(f"read {path}", "GET", path, refused=False)
        for path in (
            CANDIDATES,
            f"{CANDIDATES}/an",
            f"{CANDIDATES}/an/events",
            f"{CANDIDATES}/bo/events",
            f"{CANDIDATES}/bo/documents",
            f"{CANDIDATES}/cu",
        )
    ]
    wrong += answered_wrongly(client, reads)

    assert not wrong, "\n".join(wrong)
    assert sorted(c.id for c in api.flow.candidates()) == ["an", "bo"]


def test_hostile_workflow_uploads_are_answered_with_problems(sqlite_api: Api) -> None:
    """Once, on SQLite: an upload never reaches the database."""
    client = sqlite_api.client("ks.anmy", ["cell"], read_only=True)
    uploads = {
        "not UTF-8": b"id: caf\xe9\n",
        "UTF-16": "id: x\n".encode("utf-16"),
        "every byte": bytes(range(256)),
        "a NUL": b"id: x\x00\n",
        "empty": b"",
        "only a comment": b"# nothing here\n",
        "a list": b"- a\n- b\n",
        "JSON": b'{"id": "x", "states": {}}',
        "nested 100,000 deep": b"[" * 100_000,
        "a Python tag": b"!!python/object/apply:os.system ['true']\n",
        "a 5,000-digit number": b"id: x\nversion: 1" + b"0" * 5000 + b"\n",
        "a lone surrogate": b'{"id": "\\ud800"}',
        "an alias cycle": b"&a [*a]",
        "10 MB": b"#" * TEN_MB,
    }
    cases = [
        Bad(
            name,
            "POST",
            f"{V1}/workflows/validate",
            {"content": body, "headers": {"Content-Type": "application/yaml"}},
            refused=False,
        )
        for name, body in uploads.items()
    ]
    wrong = answered_wrongly(client, cases)
    for case in cases:
        answer = client.request(case.method, case.url, **case.kwargs)
        if answer.status_code == 200 and answer.json()["valid"] is not False:
            wrong.append(f"{case.what}: valid {answer.json()}")
    assert not wrong, "\n".join(wrong)


def test_an_alias_bomb_upload_is_refused_without_expanding_it(sqlite_api: Api) -> None:
    """A few hundred bytes of YAML whose aliases expand to over half a million nodes (the "billion laughs"
    pattern, five levels here; eight would take hours) must be refused for what its aliases do, not expanded.
    Runs once, on SQLite: the upload never reaches the database."""
    levels = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for n in range(1, 6):
        name, previous = chr(97 + n), chr(96 + n)
        levels.append(f"{name}: &{name} [{', '.join(['*' + previous] * 9)}]")
    bomb = ("\n".join(levels) + "\n").encode()
    assert len(bomb) < 300
    client = sqlite_api.client("ks", [], read_only=True)

    answer = client.post(f"{V1}/workflows/validate", content=bomb)

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["valid"] is False
    assert any("alias" in p["message"].lower() for p in body["problems"]), body["problems"]

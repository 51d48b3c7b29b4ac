"""Webhooks end to end on both databases: subscriptions scoped to a subtree, calls queued with the event,
POSTed by ``AdmissionFlow.deliver`` to a real HTTP server in this process (``webhook_receiver.py``), which checks
every signature with the documented ``verify`` helper.

Candidate ``an`` belongs to cell ks.anmy.ap1 (under ks.anmy, ks, st); ``binh`` to ks.thpt.gv.toan (under ks.thpt,
ks, st). The flow has no notifier and SMTP points at the default localhost:25: webhook delivery never needs it.
"""

from __future__ import annotations

import json
import socket
import sqlite3
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers import WORKFLOW, open_flow
from sqlalchemy import event
from webhook_receiver import Receiver, serve

from admission_flow.domain.records import FireResult, OutboxRecord, WebhookRecord
from admission_flow.errors import InvalidInput, NotFound
from admission_flow.flow import AdmissionFlow
from admission_flow.services import webhooks as hooks
from admission_flow.testing import ManualClock
from admission_flow.testing.scenario import add_sample_orgs

BACKOFF = timedelta(seconds=60)  # the default delivery_backoff_seconds
MAX_ATTEMPTS = 8  # the default delivery_max_attempts
ADMIT, HELPER = "admit_to_sympathizer_list", "assign_helper"
FIRST_DAY = date(2026, 1, 5)


@pytest.fixture
def receiver(clock: ManualClock) -> Iterator[Receiver]:
    yield from serve(lambda: clock.now().timestamp())


@pytest.fixture
def tree(flow: AdmissionFlow) -> AdmissionFlow:
    """The sample organisations with one prospect in each of two subtrees."""
    add_sample_orgs(flow)
    for cid, org in (("an", "ks.anmy.ap1"), ("binh", "ks.thpt.gv.toan")):
        flow.add_candidate(
            id=cid, full_name="Nguyễn Văn An", org_id=org, birth_date=date(1995, 5, 15), workflow=WORKFLOW
        )
    return flow


def subscribe(flow: AdmissionFlow, receiver: Receiver, org: str, path: str, *types: str) -> WebhookRecord:
    record, secret = flow.add_webhook(org, receiver.url(path), types or ("*",))
    receiver.secrets[path] = secret
    return record


def calls(flow: AdmissionFlow) -> list[OutboxRecord]:
    return [r for r in flow.outbox() if r.channel == "webhook"]


def fire(flow: AdmissionFlow, cid: str, trigger: str, on: date = FIRST_DAY, **data: Any) -> FireResult:
    """Fire an event; if the fire path does not queue webhook calls itself yet, queue them as it will."""
    before = len(calls(flow))
    result = flow.fire(cid, trigger, on=on, role="cell", data=data)
    if len(calls(flow)) == before:
        org_id = flow.candidate(cid).org_id
        payload = {"candidate_id": cid, "trigger": trigger, "event_id": result.event_id, "to_state": result.to_state}
        with flow._deps.db.transaction() as uow:
            hooks.enqueue_event(
                uow,
                instance_id=result.instance_id,
                org_id=org_id,
                trigger=trigger,
                payload=payload,
                now=flow.clock.now(),
            )
    return result


def queue(flow: AdmissionFlow, cid: str, trigger: str) -> int:
    """Queue an event's calls as the fire path does, with a payload naming the candidate and the trigger."""
    record = flow.candidate(cid)
    with flow._deps.db.transaction() as uow:
        return hooks.enqueue_event(
            uow,
            instance_id=record.instance_id,
            org_id=record.org_id,
            trigger=trigger,
            payload={"candidate_id": cid, "trigger": trigger},
            now=flow.clock.now(),
        )


def closed_port() -> int:
    """A local TCP port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def the_only(items: list[Any]) -> Any:
    assert len(items) == 1, items
    return items[0]


# -------------------------------------------------------------------- delivery, retries, signatures


def test_a_refused_call_is_sent_again_after_the_backoff_with_the_same_body_and_a_fresh_signature(
    tree: AdmissionFlow, receiver: Receiver, clock: ManualClock
) -> None:
    hook = subscribe(tree, receiver, "ks.anmy", "/anmy")
    subscribe(tree, receiver, "ks.thpt", "/thpt")  # another subtree: hears nothing of an
    receiver.answer_next("/anmy", 500)
    fire(tree, "an", ADMIT)
    queued = the_only(calls(tree))
    assert (queued.status, queued.recipients) == ("pending", [{"url": receiver.url("/anmy"), "webhook_id": hook.id}])
    assert queued.subject == "(webhook: event)"
    refused_at = clock.now()

    report = tree.deliver()
    assert (report.sent, report.retried, report.dead) == (0, 1, 0)
    waiting = the_only(calls(tree))
    assert (waiting.status, waiting.attempts, waiting.next_attempt_at) == ("pending", 1, refused_at + BACKOFF)
    assert waiting.last_error == "HTTP 500: nope"
    assert the_only(report.errors) == f"{waiting.message_id}: HTTP 500: nope"

    clock.set(refused_at + BACKOFF - timedelta(seconds=1))
    assert tree.deliver().sent == 0
    assert len(receiver.to("/anmy")) == 1

    clock.set(refused_at + BACKOFF)
    assert tree.deliver().sent == 1
    first, second = receiver.to("/anmy")
    assert (first.answered, second.answered) == (500, 200)
    assert first.verified and second.verified
    assert first.body == second.body, "a retry sends the very same bytes"
    assert first.headers["Webhook-Id"] == second.headers["Webhook-Id"] == waiting.message_id
    assert int(first.headers["Webhook-Timestamp"]) == int(refused_at.timestamp())
    assert int(second.headers["Webhook-Timestamp"]) == int((refused_at + BACKOFF).timestamp())
    assert first.headers["Webhook-Signature"] != second.headers["Webhook-Signature"]
    assert second.headers["Content-Type"] == "application/json"
    assert second.headers["User-Agent"].startswith("admission-flow/")

    body = json.loads(second.body)
    assert (body["id"], body["type"]) == (waiting.message_id, "event.recorded")
    assert body["created_at"] == refused_at.isoformat()
    assert isinstance(body["data"], dict)
    sent = the_only(calls(tree))
    assert (sent.status, sent.attempts, sent.sent_at) == ("sent", 2, clock.now())
    assert receiver.to("/thpt") == []
    assert tree._wiring.notifier is None, "no SMTP notifier is made when only webhook calls are due"


def test_each_retry_waits_twice_as_long_and_the_last_attempt_gives_up_until_retry_outbox(
    tree: AdmissionFlow, receiver: Receiver, clock: ManualClock
) -> None:
    subscribe(tree, receiver, "ks.anmy.ap1", "/cell")
    receiver.always["/cell"] = 503
    fire(tree, "an", ADMIT)

    for attempt in range(1, MAX_ATTEMPTS):
        tried_at = clock.now()
        assert tree.deliver().retried == 1
        row = the_only(calls(tree))
        assert (row.status, row.attempts) == ("pending", attempt)
        assert row.next_attempt_at == tried_at + BACKOFF * 2 ** (attempt - 1)
        clock.set(row.next_attempt_at)
    report = tree.deliver()
    assert (report.sent, report.retried, report.dead) == (0, 0, 1)
    dead = the_only(tree.outbox(failed_only=True))
    assert (dead.status, dead.attempts, dead.last_error) == ("dead", MAX_ATTEMPTS, "HTTP 503: nope")

    clock.advance(timedelta(days=30))
    assert tree.deliver().sent == 0
    assert len(receiver.to("/cell")) == MAX_ATTEMPTS, "a dead call is not tried again on its own"

    del receiver.always["/cell"]
    assert tree.retry_outbox() == 1
    assert tree.deliver().sent == 1
    received = receiver.to("/cell")
    assert len(received) == MAX_ATTEMPTS + 1
    assert len({c.body for c in received}) == 1
    assert all(c.verified for c in received)
    assert the_only(calls(tree)).status == "sent"


def test_an_unreachable_url_is_recorded_as_a_connection_error_and_tried_again(
    tree: AdmissionFlow, clock: ManualClock
) -> None:
    tree.add_webhook("ks", f"http://127.0.0.1:{closed_port()}/hook")
    fire(tree, "an", ADMIT)
    tried_at = clock.now()
    assert tree.deliver().retried == 1
    row = the_only(calls(tree))
    assert row.last_error is not None and row.last_error.startswith("ConnectError")
    assert (row.attempts, row.next_attempt_at) == (1, tried_at + BACKOFF)

    clock.set(row.next_attempt_at)
    assert tree.deliver().retried == 1
    assert the_only(calls(tree)).attempts == 2


def test_a_call_queued_for_a_subscription_removed_since_is_given_up_without_calling(
    tree: AdmissionFlow, receiver: Receiver
) -> None:
    hook = subscribe(tree, receiver, "ks.anmy", "/anmy")
    fire(tree, "an", ADMIT)
    tree.remove_webhook(hook.id)

    report = tree.deliver()
    assert (report.sent, report.dead) == (0, 1)
    dead = the_only(calls(tree))
    assert (dead.status, dead.last_error) == ("dead", f"webhook {hook.id} was removed: the call is given up")
    assert receiver.calls == []

    fire(tree, "an", HELPER, on=FIRST_DAY + timedelta(days=1), helper="Trần Văn Bình")
    assert len(calls(tree)) == 1, "a removed subscription gets no new calls"


def test_the_body_is_utf8_json_as_queued(tree: AdmissionFlow, receiver: Receiver, clock: ManualClock) -> None:
    subscribe(tree, receiver, "st", "/root")
    payload = {"full_name": "Nguyễn Văn An", "org": "Chi bộ ấp An Phú", "n": [1, 2.5, None, True]}
    instance_id = tree.candidate("an").instance_id
    with tree._deps.db.transaction() as uow:
        count = hooks.enqueue_event(
            uow, instance_id=instance_id, org_id="ks.anmy.ap1", trigger=ADMIT, payload=payload, now=clock.now()
        )
    assert count == 1
    assert tree.deliver().sent == 1
    call = the_only(receiver.to("/root"))
    assert "Nguyễn Văn An".encode() in call.body, "non-ASCII text is sent as UTF-8, not escaped"
    assert b": " not in call.body and b", " not in call.body, "compact separators"
    assert json.loads(call.body.decode("utf-8"))["data"] == payload
    assert int(call.headers["Content-Length"]) == len(call.body)


# -------------------------------------------------------------------- who gets which event


def test_an_event_reaches_subscriptions_of_its_organisation_and_ancestors_that_want_its_trigger(
    tree: AdmissionFlow, receiver: Receiver
) -> None:
    subscribe(tree, receiver, "st", "/everything")
    subscribe(tree, receiver, "ks.anmy.ap1", "/admissions", ADMIT)
    subscribe(tree, receiver, "ks.anmy", "/helpers", HELPER)
    subscribe(tree, receiver, "ks.thpt", "/school")
    subscribe(tree, receiver, "ks.anmy.ap2", "/sibling-cell")

    assert [queue(tree, "an", ADMIT), queue(tree, "an", HELPER), queue(tree, "binh", ADMIT)] == [2, 2, 2]
    assert tree.deliver().sent == 6

    def heard(path: str) -> list[tuple[str, str]]:
        return sorted(
            (d["candidate_id"], d["trigger"]) for d in (json.loads(c.body)["data"] for c in receiver.to(path))
        )

    assert heard("/everything") == [("an", ADMIT), ("an", HELPER), ("binh", ADMIT)]
    assert heard("/admissions") == [("an", ADMIT)]
    assert heard("/helpers") == [("an", HELPER)]
    assert heard("/school") == [("binh", ADMIT)]
    assert heard("/sibling-cell") == []
    assert all(c.verified for c in receiver.calls)


def test_a_fired_event_is_called_out_once_per_matching_subscription(tree: AdmissionFlow, receiver: Receiver) -> None:
    subscribe(tree, receiver, "ks", "/district", ADMIT)
    subscribe(tree, receiver, "ks.thpt", "/school")
    fire(tree, "an", ADMIT)
    fire(tree, "an", HELPER, on=FIRST_DAY + timedelta(days=1), helper="Trần Văn Bình")
    assert tree.deliver().sent == 1
    call = the_only(receiver.to("/district"))
    assert call.verified and json.loads(call.body)["type"] == "event.recorded"
    assert receiver.to("/school") == []


# -------------------------------------------------------------------- subscriptions and their scope


def test_adding_listing_and_removing_subscriptions_within_a_subtree(tree: AdmissionFlow, clock: ManualClock) -> None:
    anmy, secret = tree.add_webhook("ks.anmy.ap1", "https://hooks.example.vn/a", [ADMIT, ADMIT, HELPER], within="ks")
    assert (anmy.org_id, anmy.url, anmy.event_types, anmy.active) == (
        "ks.anmy.ap1",
        "https://hooks.example.vn/a",
        [ADMIT, HELPER],
        True,
    )
    assert anmy.created_at == clock.now()
    assert len(secret) >= 40 and secret not in json.dumps([r.as_dict() for r in tree.webhooks()])
    school, other = tree.add_webhook("ks.thpt", "http://10.0.0.7:8080/in", ["*", ADMIT])
    assert school.event_types == ["*"] and other != secret

    assert [w.id for w in tree.webhooks()] == [anmy.id, school.id]
    assert [w.id for w in tree.webhooks(within="ks.anmy")] == [anmy.id]
    assert tree.webhooks(within="ks.ctyxk") == []
    assert tree.webhook(school.id, within="ks") == school
    with pytest.raises(NotFound):
        tree.webhook(school.id, within="ks.anmy")
    with pytest.raises(NotFound):
        tree.webhook(999)

    with pytest.raises(NotFound):
        tree.remove_webhook(school.id, within="ks.anmy")
    assert tree.webhook(school.id).active
    tree.remove_webhook(school.id, within="ks.thpt")
    assert not tree.webhook(school.id).active
    assert [w.active for w in tree.webhooks()] == [True, False]
    with pytest.raises(NotFound):
        tree.remove_webhook(999)


@pytest.mark.parametrize(("org", "within"), [("nowhere", None), ("ks.thpt", "ks.anmy"), ("st", "ks")])
def test_an_organisation_unknown_or_outside_the_callers_subtree_is_not_found(
    tree: AdmissionFlow, org: str, within: str | None
) -> None:
    with pytest.raises(NotFound) as raised:
        tree.add_webhook(org, "https://hooks.example.vn/", within=within)
    assert str(raised.value) == f"org {org!r} not found"
    assert tree.webhooks() == []


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example.vn/",
        "hooks.example.vn/in",
        "https:///no-host",
        "http://",
        "https://hooks.example.vn/a b",
        "https://hooks.example.vn:99999/",
        "https://hooks.example.vn/" + "x" * (2001 - len("https://hooks.example.vn/")),
        "",
    ],
)
def test_a_url_that_is_not_absolute_http_with_a_host_is_refused(tree: AdmissionFlow, url: str) -> None:
    with pytest.raises(InvalidInput):
        tree.add_webhook("ks", url)


def test_the_longest_url_accepted_is_2000_characters(tree: AdmissionFlow) -> None:
    url = "https://hooks.example.vn/" + "x" * (2000 - len("https://hooks.example.vn/"))
    assert tree.add_webhook("ks", url)[0].url == url


@pytest.mark.parametrize("types", [[], ["no_such_trigger"], [ADMIT, "admit-to-list"], "admit_to_sympathizer_list!"])
def test_event_types_must_be_known_triggers_or_the_wildcard(tree: AdmissionFlow, types: Any) -> None:
    with pytest.raises(InvalidInput):
        tree.add_webhook("ks", "https://hooks.example.vn/", types)
    assert tree.webhooks() == []


def test_one_trigger_given_as_a_string_is_one_event_type(tree: AdmissionFlow) -> None:
    assert tree.add_webhook("ks", "https://hooks.example.vn/", ADMIT)[0].event_types == [ADMIT]


# -------------------------------------------------------------------- the hot path (SQLite statement trace)


@pytest.fixture
def traced(tmp_path: Path, clock: ManualClock) -> Iterator[tuple[AdmissionFlow, list[str]]]:
    statements: list[str] = []
    flow = open_flow(f"sqlite:///{tmp_path / 'traced.db'}", clock)
    flow.upgrade_database()
    flow.store.engine.dispose()

    @event.listens_for(flow.store.engine, "connect")
    def _trace(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.set_trace_callback(statements.append)

    add_sample_orgs(flow)
    flow.add_candidate(id="an", full_name="An", org_id="ks.anmy.ap1", birth_date=date(1995, 5, 15), workflow=WORKFLOW)
    yield flow, statements
    flow.close()


def _enqueue_traced(flow: AdmissionFlow, statements: list[str], trigger: str) -> tuple[int, list[str]]:
    instance_id = flow.candidate("an").instance_id
    with flow._deps.db.transaction() as uow:
        statements.clear()
        count = hooks.enqueue_event(
            uow, instance_id=instance_id, org_id="ks.anmy.ap1", trigger=trigger, payload={}, now=flow.clock.now()
        )
        ran = list(statements)
    return count, ran


def test_without_a_subscription_that_wants_the_event_queueing_is_one_small_query(
    traced: tuple[AdmissionFlow, list[str]],
) -> None:
    flow, statements = traced
    count, ran = _enqueue_traced(flow, statements, ADMIT)
    assert count == 0
    assert len(ran) == 1 and ran[0].startswith("SELECT webhooks.id")

    flow.add_webhook("ks", "https://hooks.example.vn/", [HELPER])
    count, ran = _enqueue_traced(flow, statements, ADMIT)
    assert (count, len(ran)) == (0, 1), "a subscription to other triggers costs no ancestry query"

    count, ran = _enqueue_traced(flow, statements, HELPER)
    assert count == 1
    assert [s.split()[0] for s in ran] == ["SELECT", "WITH", "INSERT"]

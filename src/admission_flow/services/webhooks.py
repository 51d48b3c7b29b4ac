"""Webhooks: an organisation subscribes a URL to the events of the candidates in its subtree.

An event's webhook calls are queued in the event's own transaction (:func:`enqueue_event`), as outbox rows of
the ``webhook`` channel, so a call is never made for an event that rolled back and never lost for one that
committed. :func:`deliver_webhooks` POSTs them after commit, signed with the subscription's secret, and retries
failures with the same backoff as e-mail. docs/webhooks.md describes the payload, the headers and how a
receiver checks the signature (:func:`verify`, which a receiver may copy: it needs only the standard library).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from importlib import metadata
from typing import Any
from urllib.parse import urlsplit
from uuid import uuid4

import httpx

from admission_flow.clock import SystemClock
from admission_flow.domain.records import DeliveryReport, WebhookRecord
from admission_flow.domain.stored import OutboxRow
from admission_flow.errors import InvalidInput, NotFound
from admission_flow.ports import UnitOfWork
from admission_flow.services.deps import Deps
from admission_flow.services.retries import keep_lease, lease_from, record_failure
from admission_flow.services.scope import require_org

WEBHOOK = "webhook"  # the outbox channel
TEMPLATE = "event"  # the outbox template of an event's call (there is only one kind of call today)
EVENT_TYPE = "event.recorded"
EVERY = "*"
MAX_URL = 2000
MAX_EVENT_TYPES = 100
TIMEOUT_SECONDS = 10.0
DEFAULT_TOLERANCE = 300.0  # seconds a receiver accepts between Webhook-Timestamp and its own clock
SCHEME = "v1"
ERROR_TEXT = 200  # characters of a refusing receiver's answer kept in the error


# ---------------------------------------------------------------- subscriptions


def add_webhook(
    deps: Deps, org_id: str, url: str, event_types: Sequence[str], within: str | None = None
) -> tuple[WebhookRecord, str]:
    """Subscribe ``url`` to the events (``event_types``: triggers, or ``"*"``) of candidates in ``org_id``'s
    subtree. Returns the subscription and its signing secret, which is never shown again.

    ``org_id`` must lie in ``within``'s subtree when that is given; otherwise it is reported as not found, like
    an organisation that does not exist, so a caller learns nothing about the tree outside its own part.
    """
    url = checked_url(url)
    types = _checked_event_types(deps, event_types)
    secret = secrets.token_urlsafe(32)
    with deps.db.transaction() as uow:
        require_org(uow, org_id, within)
        values = {
            "org_id": org_id,
            "url": url,
            "event_types": types,
            "secret": secret,
            "active": True,
            "created_at": deps.clock.now(),
        }
        found = uow.webhooks.get(uow.webhooks.insert(values), None)
    assert found is not None
    return found, secret


def webhooks(deps: Deps, within: str | None = None) -> list[WebhookRecord]:
    """Every subscription, removed ones included (``active`` False), of organisations in ``within``'s subtree."""
    with deps.db.transaction(readonly=True) as uow:
        return uow.webhooks.listing(within)


def webhook(deps: Deps, webhook_id: int, within: str | None = None) -> WebhookRecord:
    with deps.db.transaction(readonly=True) as uow:
        found = uow.webhooks.get(webhook_id, within)
    if found is None:
        raise NotFound("webhook", webhook_id)
    return found


def remove_webhook(deps: Deps, webhook_id: int, within: str | None = None) -> None:
    """Switch a subscription off: no new calls are queued, and calls still queued for it are given up."""
    with deps.db.transaction() as uow:
        if not uow.webhooks.deactivate(webhook_id, within):
            raise NotFound("webhook", webhook_id)


def checked_url(url: str) -> str:
    """``url`` if it is an absolute http(s) URL with a host, at most ``MAX_URL`` characters; else InvalidInput."""
    if not isinstance(url, str) or not url:
        raise InvalidInput("a webhook needs a URL")
    if len(url) > MAX_URL:
        raise InvalidInput(f"the webhook URL is longer than {MAX_URL} characters")
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise InvalidInput("the webhook URL contains spaces or control characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 — raises ValueError for a port that is not a number in range
    except ValueError as exc:
        raise InvalidInput(f"not a valid URL: {exc}") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"a webhook URL must be http:// or https:// with a host, got {url!r}")
    return url


def _checked_event_types(deps: Deps, event_types: Sequence[str]) -> list[str]:
    """The triggers asked for, each once, in order; ``["*"]`` if every event is. Unknown triggers are refused."""
    if isinstance(event_types, str) or not isinstance(event_types, Sequence):
        raise InvalidInput("event types must be a list of triggers (or '*')")
    wanted = list(dict.fromkeys(event_types))
    if not wanted:
        raise InvalidInput("a webhook needs at least one event type (a trigger, or '*' for every event)")
    if len(wanted) > MAX_EVENT_TYPES:
        raise InvalidInput(f"a webhook takes at most {MAX_EVENT_TYPES} event types")
    if any(not isinstance(t, str) for t in wanted):
        raise InvalidInput("event types must be strings")
    if EVERY in wanted:
        return [EVERY]
    known = {trigger for wf in deps.catalog for trigger in wf.triggers}
    unknown = [t for t in wanted if t not in known]
    if unknown:
        raise InvalidInput(f"no workflow has the trigger(s): {', '.join(unknown)}")
    return wanted


# ---------------------------------------------------------------- queueing (inside the event's transaction)


def enqueue_event(
    uow: UnitOfWork, *, instance_id: int, org_id: str, trigger: str, payload: dict[str, Any], now: datetime
) -> int:
    """Queue one call per active subscription that wants ``trigger`` and whose organisation is ``org_id`` or one
    of its ancestors; returns how many. With no active subscription this is a single small query."""
    subscriptions = uow.webhooks.active()
    if not subscriptions:
        return 0
    wanted = [s for s in subscriptions if EVERY in s.event_types or trigger in s.event_types]
    if not wanted:
        return 0
    ancestry = {o.id for o in uow.orgs.ancestry(org_id)}
    rows = []
    for s in wanted:
        if s.org_id not in ancestry:
            continue
        message_id = str(uuid4())
        body = {"id": message_id, "type": EVENT_TYPE, "created_at": now.isoformat(), "data": payload}
        rows.append(
            {
                "instance_id": instance_id,
                "channel": WEBHOOK,
                "template": TEMPLATE,
                "recipients": [{"url": s.url, "webhook_id": s.id}],
                "context": body,
                "message_id": message_id,
            }
        )
    uow.outbox.insert_messages(rows, now)
    return len(rows)


# ---------------------------------------------------------------- signing


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The ``Webhook-Signature`` header: ``v1=`` and the hex HMAC-SHA256, keyed with ``secret``, of the
    timestamp, a full stop and the body exactly as sent (bytes)."""
    signed = f"{timestamp}.".encode() + body
    return f"{SCHEME}={hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()}"


def verify(
    secret: str,
    header: str,
    timestamp: str,
    body: bytes,
    tolerance: float = DEFAULT_TOLERANCE,
    *,
    now: float | None = None,
) -> bool:
    """Whether a received call is genuine and fresh: ``header`` (``Webhook-Signature``) holds a ``v1=`` signature
    of ``timestamp`` (``Webhook-Timestamp``) and the raw ``body`` with ``secret``, and the timestamp is at most
    ``tolerance`` seconds away from ``now`` (default: this machine's clock, in Unix seconds).

    Several signatures separated by spaces or commas are accepted (any one matching is enough). Compare the raw
    body, never a re-serialised one. Receivers should also drop a ``Webhook-Id`` they have already seen.
    """
    if not timestamp.isascii() or not timestamp.isdigit():
        return False
    current = SystemClock().now().timestamp() if now is None else now
    if abs(current - int(timestamp)) > tolerance:
        return False
    expected = sign(secret, timestamp, body)
    offered = [part.strip() for part in header.replace(",", " ").split()]
    return any(hmac.compare_digest(expected.encode(), part.encode()) for part in offered)


# ---------------------------------------------------------------- delivery (after commit)


def deliver_webhooks(deps: Deps, now: datetime, limit: int = 100) -> DeliveryReport:
    """POST due webhook calls; each outcome is recorded as it happens (sent, retried later, or dead)."""
    lease = lease_from(deps, now)
    report = DeliveryReport()
    with deps.db.transaction() as uow:
        claimed = uow.outbox.claim(now, limit, lease, WEBHOOK)
        calls = [_prepared(uow, row) for row in claimed]
    if not claimed:
        return report
    with httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False) as client:
        for index, (row, (body, secret)) in enumerate(zip(claimed, calls, strict=True)):
            lease, held = keep_lease(deps, claimed[index:], lease)
            if row.id not in held:  # our lease ran out and another run took the call over
                continue
            if secret is None:
                hook = row.recipients[0].get("webhook_id") if row.recipients else None
                gone = f"webhook {hook} was removed: the call is given up"
                record_failure(deps, row, lease, now, gone, report, give_up=True)
                continue
            error = _post(client, row, body, secret, int(deps.clock.now().timestamp()))
            if error is not None:
                record_failure(deps, row, lease, now, error, report)
                continue
            with deps.db.transaction() as uow:
                uow.outbox.mark_sent(row.id, lease, deps.clock.now())
            report.sent += 1
    return report


def _prepared(uow: UnitOfWork, row: OutboxRow) -> tuple[bytes, str | None]:
    """The body to send (serialised on the first attempt and kept, so every retry sends the same bytes) and the
    subscription's secret (None once it is removed)."""
    body = row.body
    if not body:
        body = json.dumps(row.context, ensure_ascii=False, separators=(",", ":"))
        uow.outbox.store_text(row.id, "", body)
    hook = row.recipients[0].get("webhook_id") if row.recipients else None
    secret = uow.webhooks.secret(int(hook)) if hook is not None else None
    return body.encode("utf-8"), secret


def _post(client: httpx.Client, row: OutboxRow, body: bytes, secret: str, timestamp: int) -> str | None:
    """Make one call; None if the receiver answered 2xx, else what went wrong."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"admission-flow/{_version()}",
        "Webhook-Id": row.message_id,
        "Webhook-Timestamp": str(timestamp),
        "Webhook-Signature": sign(secret, timestamp, body),
    }
    try:
        with client.stream("POST", row.recipients[0]["url"], content=body, headers=headers) as response:
            if 200 <= response.status_code < 300:
                return None
            answer = _start_of(response)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    note = " (redirects are not followed)" if response.is_redirect else ""
    return f"HTTP {response.status_code}{note}" + (f": {answer}" if answer else "")


def _start_of(response: httpx.Response) -> str:
    """The first characters of a refusing receiver's answer (without reading all of a long one)."""
    chunk = b""
    for part in response.iter_bytes():
        chunk += part
        if len(chunk) >= ERROR_TEXT * 4:
            break
    return " ".join(chunk.decode("utf-8", "replace").split())[:ERROR_TEXT]


@cache
def _version() -> str:
    try:
        return metadata.version("admission-flow")
    except metadata.PackageNotFoundError:
        return "0"

"""Delivery: send due outbox messages after commit, record each outcome, retry with exponential backoff.

A claimed message is leased (``delivery_lease_seconds``, renewed while the run is still sending), so a worker that
dies between claim and send leaves it to be resent once the short lease ends; its Message-ID never changes, so a
resend is recognisable. A run drains everything due, a batch at a time, unless given a limit. Messages swept but
not yet rendered are rendered here (once; the text is kept, so retries send exactly the same). :func:`deliver`
sends both channels: ``email`` here, then ``webhook`` (``services/webhooks.py``). The SMTP connection is made
only when an e-mail is due.
"""

from __future__ import annotations

from datetime import date, datetime

from admission_flow.clock import ensure_utc
from admission_flow.domain.records import DeliveryReport
from admission_flow.domain.stored import OutboxRow
from admission_flow.errors import ConfigurationError
from admission_flow.notify import DeliveryError, OutgoingMail
from admission_flow.ports import UnitOfWork
from admission_flow.services.deps import Deps
from admission_flow.services.retries import keep_lease, lease_from, record_failure
from admission_flow.services.webhooks import deliver_webhooks

EMAIL = "email"
Texts = dict[int, tuple[str, str] | str]  # message id → (subject, body), or why it could not be rendered


def deliver(deps: Deps, now: datetime | None = None, limit: int | None = None) -> DeliveryReport:
    """Send everything due on every channel, e-mail first, then webhooks, claiming ``policy.delivery_batch``
    messages at a time. With ``limit``, at most that many messages in all; ``remaining`` then says how many are
    still due."""
    now = deps.clock.now() if now is None else ensure_utc(now, "now")
    report = DeliveryReport()
    budget = limit
    for channel in (deliver_mail, deliver_webhooks):
        while budget is None or budget > 0:
            size = deps.policy.delivery_batch if budget is None else min(budget, deps.policy.delivery_batch)
            part = channel(deps, now, size)
            handled = part.sent + part.retried + part.dead  # each claimed message ends in exactly one of them
            report.sent += part.sent
            report.retried += part.retried
            report.dead += part.dead
            report.errors.extend(part.errors)
            budget = None if budget is None else budget - handled
            if handled < size:
                break
    if budget == 0:
        with deps.db.transaction() as uow:
            report.remaining = uow.outbox.count_ready(now)
    return report


def deliver_mail(deps: Deps, now: datetime, limit: int) -> DeliveryReport:
    lease = lease_from(deps, now)
    report = DeliveryReport()
    with deps.db.transaction() as uow:
        claimed = uow.outbox.claim(now, limit, lease, EMAIL)
        texts = _render_claimed(deps, uow, claimed)
    if not claimed:
        return report
    notifier = deps.notifier_of()
    for index, row in enumerate(claimed):
        lease, held = keep_lease(deps, claimed[index:], lease)
        if row.id not in held:  # our lease ran out and another run took the message over
            continue
        text = texts.get(row.id)
        if isinstance(text, str):  # the template failed: nothing to send, and retrying cannot help
            record_failure(deps, row, lease, now, text, report, give_up=True)
            continue
        subject, body = text or (row.subject, row.body)
        mail = OutgoingMail(
            row.message_id, deps.policy.sender, tuple(r["email"] for r in row.recipients), subject, body
        )
        try:
            refused = notifier.send(mail) or {}
        except DeliveryError as exc:
            record_failure(deps, row, lease, now, str(exc), report)
            continue
        if refused:  # the others got it: retry only those the server turned away
            again = [r for r in row.recipients if r["email"] in refused]
            error = "refused: " + "; ".join(f"{a} ({why})" for a, why in refused.items())
            record_failure(deps, row, lease, now, error, report, recipients=again)
            continue
        with deps.db.transaction() as uow:
            uow.outbox.mark_sent(row.id, lease, deps.clock.now())
        report.sent += 1
    return report


def render_message(deps: Deps, row: OutboxRow) -> tuple[str, str]:
    """The subject and body of a swept message (raises ``ConfigurationError`` if its template fails)."""
    assert row.context is not None
    context = dict(row.context, due_on=date.fromisoformat(row.context["due_on"]))
    return deps.renderer.render(row.template, context)


def _render_claimed(deps: Deps, uow: UnitOfWork, claimed: list[OutboxRow]) -> Texts:
    """Render messages swept but not yet rendered, and keep the text (retries send exactly the same)."""
    texts: Texts = {}
    for row in claimed:
        if row.body or row.context is None:
            continue
        try:
            subject, body = texts[row.id] = render_message(deps, row)
        except ConfigurationError as exc:
            texts[row.id] = str(exc)
            continue
        uow.outbox.store_text(row.id, subject, body)
    return texts

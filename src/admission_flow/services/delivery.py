"""Delivery: send due outbox messages after commit, record each outcome, retry with exponential backoff.

A claimed message is leased, so a worker that dies between claim and send leaves it to be resent once the lease
ends; its Message-ID never changes, so a resend is recognisable. Messages swept but not yet rendered are rendered
here (once; the text is kept, so retries send exactly the same). :func:`deliver` sends both channels: ``email``
here, then ``webhook`` (``services/webhooks.py``). The SMTP connection is made only when an e-mail is due.
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
from admission_flow.services.retries import record_failure
from admission_flow.services.webhooks import deliver_webhooks

EMAIL = "email"
Texts = dict[int, tuple[str, str] | str]  # message id → (subject, body), or why it could not be rendered


def deliver(deps: Deps, now: datetime | None = None, limit: int = 100) -> DeliveryReport:
    """Send what is due on every channel (at most ``limit`` messages of each), e-mail first, then webhooks."""
    now = deps.clock.now() if now is None else ensure_utc(now, "now")
    report = deliver_mail(deps, now, limit)
    calls = deliver_webhooks(deps, now, limit)
    report.sent += calls.sent
    report.retried += calls.retried
    report.dead += calls.dead
    report.errors.extend(calls.errors)
    return report


def deliver_mail(deps: Deps, now: datetime, limit: int) -> DeliveryReport:
    lease = now + deps.policy.lease
    report = DeliveryReport()
    with deps.db.transaction() as uow:
        claimed = uow.outbox.claim(now, limit, lease, EMAIL)
        texts = _render_claimed(deps, uow, claimed)
    if not claimed:
        return report
    notifier = deps.notifier_of()
    for row in claimed:
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

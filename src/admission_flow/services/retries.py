"""A failed delivery attempt, whatever the channel: try again after an exponential backoff, or give up.

The first retry waits ``policy.backoff``, each later one twice as long as the one before. After
``policy.max_attempts`` attempts (or at once, with ``give_up``) the message is dead until an operator runs
``retry_outbox``. The outcome is recorded only while the caller's lease is still the row's; a run that sends for
long renews its lease (:func:`keep_lease`) so that no other run takes its messages over meanwhile.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from admission_flow.domain.records import DeliveryReport
from admission_flow.domain.stored import OutboxRow
from admission_flow.services.deps import Deps


def record_failure(
    deps: Deps,
    row: OutboxRow,
    lease: datetime,
    now: datetime,
    error: str,
    report: DeliveryReport,
    *,
    recipients: list[dict[str, Any]] | None = None,
    give_up: bool = False,
) -> None:
    """Record ``error`` on a claimed message: pending again later (only ``recipients``, if given), or dead."""
    attempts = row.attempts + 1
    last = give_up or attempts >= deps.policy.max_attempts
    retry_at = None if last else now + deps.policy.backoff * 2 ** (attempts - 1)
    with deps.db.transaction() as uow:
        uow.outbox.mark_failed(row.id, lease, error=error, retry_at=retry_at, recipients=recipients)
    report.errors.append(f"{row.message_id}: {error}")
    if retry_at is None:
        report.dead += 1
    else:
        report.retried += 1


def lease_from(deps: Deps, now: datetime) -> datetime:
    """The lease of a claim at ``now``: on the real clock, or later for a trial run in the future."""
    return max(now, deps.clock.now()) + deps.policy.lease


def keep_lease(deps: Deps, rows: Sequence[OutboxRow], lease: datetime) -> tuple[datetime, set[int]]:
    """Before the next send: renew the lease over the claimed ``rows`` still to send once half of it has gone
    by. Returns the lease now held and the ids still held under it (another run may have taken some over)."""
    real = deps.clock.now()
    if lease - real > deps.policy.lease / 2:
        return lease, {r.id for r in rows}
    until = real + deps.policy.lease
    with deps.db.transaction() as uow:
        held = uow.outbox.renew([r.id for r in rows], lease, until)
    return until, set(held)

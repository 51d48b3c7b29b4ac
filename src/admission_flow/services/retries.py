"""A failed delivery attempt, whatever the channel: try again after an exponential backoff, or give up.

The first retry waits ``policy.backoff``, each later one twice as long as the one before. After
``policy.max_attempts`` attempts (or at once, with ``give_up``) the message is dead until an operator runs
``retry_outbox``. The outcome is recorded only while the caller's lease is still the row's.
"""

from __future__ import annotations

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

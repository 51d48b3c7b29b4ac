"""What a migration does to one candidate's timer rows, as the report lists it (pure)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from admission_flow.domain.stored import CANCELLED, DONE, PENDING, TimerRow
from admission_flow.workflow.deadlines import Projection

Key = tuple[str, int]


def _name(key: Key) -> str:
    return key[0] if key[1] == 0 else f"{key[0]}#{key[1]}"


def timer_changes(
    before: dict[Key, Projection], after: dict[Key, Projection], current: dict[Key, TimerRow], now: datetime
) -> dict[str, Any]:
    """``before``/``after``: what the old and the new version project; ``current``: the rows of the stay."""
    dues_before = {k[0]: p.due_on for k, p in before.items() if k[1] == 0}
    dues_after = {k[0]: p.due_on for k, p in after.items() if k[1] == 0}
    satisfied = sorted(
        {r.deadline_id for r in current.values() if r.status == CANCELLED and (r.outcome or "").startswith("done:")}
    )
    changes: dict[str, Any] = {
        "deadlines_moved": [
            {"deadline": d, "from": dues_before[d].isoformat(), "to": dues_after[d].isoformat()}
            for d in dues_before
            if d in dues_after and dues_before[d] != dues_after[d]
        ],
        "deadlines_added": [d for d in dues_after if d not in dues_before],
        "deadlines_removed": [d for d in dues_before if d not in dues_after],
        "reminders_cancelled": [
            _name(k)
            for k, r in current.items()
            if r.status == PENDING and (k not in after or after[k].fire_at != r.fire_at)
        ],
        "reminders_scheduled": [],
        "reminders_skipped": [],
        "reminders_resent": [],
        "timers_carried": [],
        "deadlines_satisfied": satisfied,
    }
    for key, p in after.items():
        old = current.get(key)
        if key[0] in satisfied:
            changes["reminders_skipped"].append(_name(key))  # its done_by event already happened
        elif old is not None and old.status == PENDING and old.fire_at == p.fire_at:
            changes["timers_carried"].append(_name(key))  # due or not, it goes on exactly as before
        elif old is not None and old.status == DONE and old.due_on == p.due_on:
            changes["reminders_skipped"].append(_name(key))  # already sent for this very date
        elif p.stale(now):
            changes["reminders_skipped"].append(_name(key))  # its moment has passed
        elif old is not None and old.status == DONE:
            changes["reminders_resent"].append(_name(key))  # already sent, but the date moved
        else:
            changes["reminders_scheduled"].append(_name(key))
    return changes

"""The canonical state names outside systems see (domain reference §6.2; issue 12, item 8).

The shipped workflows keep a candidate in their procedural state during a transfer and mark it with the flag
``transfer_in_progress`` (set by ``start_transfer``, cleared by ``complete_transfer``), so that the deadlines of
that state keep running. The canonical machine names that situation ``transfer_pending`` (state 16, "hold,
returns to the previous state"): a candidate record shows it as ``canonical_state`` while the flag is set.
"""

from __future__ import annotations

from collections.abc import Iterable

TRANSFER_FLAG = "transfer_in_progress"
TRANSFER_PENDING = "transfer_pending"


def canonical_state(state: str, flags: Iterable[str]) -> str:
    """``transfer_pending`` while the file is being transferred, else the state itself."""
    return TRANSFER_PENDING if TRANSFER_FLAG in flags else state


__all__ = ["TRANSFER_FLAG", "TRANSFER_PENDING", "canonical_state"]

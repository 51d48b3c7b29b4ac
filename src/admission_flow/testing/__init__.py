"""Helpers for tests and simulations of code that embeds admission_flow.

``ManualClock`` (a clock that moves only when told to) is importable from here;
:mod:`admission_flow.testing.scenario` drives sample candidates along the standard procedure (imported on demand,
not by this module).
"""

from __future__ import annotations

from admission_flow.clock import ManualClock

__all__ = ["ManualClock"]

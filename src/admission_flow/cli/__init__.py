"""The ``admission-flow`` command line."""

from __future__ import annotations

from admission_flow.cli import migrate_command, sink, time_commands  # noqa: F401 — they register their commands
from admission_flow.cli.app import app, main

__all__ = ["app", "main"]

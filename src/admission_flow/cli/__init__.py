"""The ``admission-flow`` command line."""

from __future__ import annotations

from admission_flow.cli import (  # noqa: F401 — they register their commands
    api_commands,
    migrate_command,
    sink,
    time_commands,
    user_commands,
    webhook_commands,
)
from admission_flow.cli.app import app, main

__all__ = ["app", "main"]

"""The ``admission-flow`` command line."""

from __future__ import annotations

from admission_flow.cli import (  # noqa: F401 — they register their commands
    api_commands,
    handover_commands,
    import_commands,
    migrate_command,
    org_commands,
    people_commands,
    report_commands,
    rules_commands,
    sink,
    target_commands,
    time_commands,
    user_commands,
    webhook_commands,
)
from admission_flow.cli.app import app, main

__all__ = ["app", "main"]

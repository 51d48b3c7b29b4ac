"""Process targets for ``test_outages.py`` (importable by name: ``multiprocessing`` in the ``spawn`` start method).

Each builds its own AdmissionFlow on the real clock and hangs at a chosen point until the test kills it.
"""

from __future__ import annotations

from typing import Any

from smtp_servers import WAIT_SECONDS, SendThenHang

from admission_flow.flow import AdmissionFlow
from admission_flow.notify.smtp import SmtpNotifier
from admission_flow.settings import Settings


def sweep_then_hang(settings: Settings, hanging: Any, release: Any) -> None:
    """Take the sweep lease (SQLite), claim the first batch and hang inside its transaction."""
    from admission_flow.services import sweep

    def hang(*_: Any) -> None:
        hanging.set()
        release.wait(WAIT_SECONDS)  # never set: the test kills the process while it waits here

    sweep._process = hang  # type: ignore[assignment]
    with AdmissionFlow(settings) as flow:
        flow.sweep()


def deliver_then_hang(settings: Settings, hanging: Any, release: Any) -> None:
    """Claim every due message on the real clock and hang after the first one went out."""
    smtp = SmtpNotifier(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds)
    with AdmissionFlow(settings, notifier=SendThenHang(smtp, hanging, release)) as flow:
        flow.deliver()

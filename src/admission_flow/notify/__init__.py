"""Outgoing messages: rendering (Jinja2, sandboxed) and delivery (SMTP) behind a small port."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from admission_flow.errors import OperationError


@dataclass(frozen=True)
class OutgoingMail:
    message_id: str
    sender: str
    recipients: tuple[str, ...]
    subject: str
    body: str


class DeliveryError(OperationError):
    """A message could not be delivered this time; the outbox records it and retries later."""

    code = "delivery_failed"


class Notifier(Protocol):
    def send(self, mail: OutgoingMail) -> dict[str, str] | None:
        """Deliver ``mail`` or raise :class:`DeliveryError`. May return the recipients that were refused while
        the others were accepted (address → reason); they are retried later on their own."""
        ...


__all__ = ["DeliveryError", "Notifier", "OutgoingMail"]

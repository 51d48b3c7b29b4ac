"""The facade's webhook doors: subscribe a URL to the events of an organisation subtree, list, remove.

``AdmissionFlow`` inherits them (as it does ``AccessDoors``), which keeps ``flow.py`` under the length limit.
Delivery needs no door of its own: ``AdmissionFlow.deliver`` sends webhook calls along with e-mail.
"""

from __future__ import annotations

from collections.abc import Iterable

from admission_flow.domain.records import WebhookRecord
from admission_flow.services import webhooks
from admission_flow.services.deps import Deps


class WebhookDoors:
    _deps: Deps

    def add_webhook(
        self, org_id: str, url: str, event_types: Iterable[str] = ("*",), *, within: str | None = None
    ) -> tuple[WebhookRecord, str]:
        """POST the events (triggers, or ``"*"`` for all) of candidates in ``org_id``'s subtree to ``url``.

        Returns the subscription and its signing secret, which is shown only now. With ``within``, ``org_id``
        must lie in that subtree (otherwise ``NotFound``, as for an unknown organisation).
        """
        types = [event_types] if isinstance(event_types, str) else list(event_types)
        return webhooks.add_webhook(self._deps, org_id, url, types, within)

    def webhooks(self, *, within: str | None = None) -> list[WebhookRecord]:
        """Every subscription (removed ones too, ``active`` False), or those of ``within``'s subtree."""
        return webhooks.webhooks(self._deps, within)

    def webhook(self, webhook_id: int, *, within: str | None = None) -> WebhookRecord:
        return webhooks.webhook(self._deps, webhook_id, within)

    def remove_webhook(self, webhook_id: int, *, within: str | None = None) -> None:
        """Stop calling the URL: no new calls are queued, and calls still queued are given up."""
        webhooks.remove_webhook(self._deps, webhook_id, within)

"""The member assigned to help a candidate (Điều lệ Art. 5.1; domain ref. Stage J; issue 12, item 3).

The helper is named in an event's data: ``helper`` (the name) and ``helper_email``, given when the cell assigns
one (``assign_helper``) or at the ceremony (``hold_ceremony``). The latest event that names a helper wins, so a
change of helper re-addresses every reminder sent after it; a later naming without an e-mail leaves nobody to
write to (the message is recorded as undeliverable), never the previous helper. Pure: the caller passes the
candidate's event payloads, oldest first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

HELPER_KEYS = ("helper", "helper_email")


def helper_contact(payloads: Iterable[Mapping[str, Any]]) -> list[dict[str, str]] | None:
    """The helper to write to, as a recipient (``[]``: named without an e-mail), or None when no event named one."""
    latest: Mapping[str, Any] | None = None
    for payload in payloads:
        if any(payload.get(key) for key in HELPER_KEYS):
            latest = payload
    if latest is None:
        return None
    email = latest.get("helper_email")
    if not isinstance(email, str) or not email.strip():
        return []
    name = latest.get("helper")
    return [{"role": "helper", "name": str(name).strip() if name else email.strip(), "email": email.strip()}]


__all__ = ["HELPER_KEYS", "helper_contact"]

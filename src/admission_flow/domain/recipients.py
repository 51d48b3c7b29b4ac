"""Who a message goes to: a role's contacts from the nearest organisation that lists them, and the candidate.

Pure: the caller passes the organisation ancestry it loaded (nearest first) and the candidate's name and e-mail.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any


def role_contacts(role: str, ancestry: Sequence[Any]) -> list[dict[str, str]]:
    """A role's contacts, from the nearest organisation (itself, then its ancestors) that lists them.

    ``ancestry`` holds objects with a ``contacts`` mapping (role → people with ``name`` and ``email``)."""
    people: list[dict[str, str]] = next((org.contacts[role] for org in ancestry if (org.contacts or {}).get(role)), [])
    return [{"role": role, "name": p["name"], "email": p["email"]} for p in people]


def candidate_contact(full_name: str, email: str | None) -> list[dict[str, str]]:
    return [{"role": "candidate", "name": full_name, "email": email}] if email else []


def collect_recipients(
    roles: Iterable[str], full_name: str, email: str | None, contacts: Callable[[str], list[dict[str, str]]]
) -> tuple[list[dict[str, str]], list[str]]:
    """Each role's people (``candidate`` is the person, the other roles come from ``contacts``), and the roles
    nobody could be found for."""
    found: list[dict[str, str]] = []
    missing: list[str] = []
    for role in roles:
        people = candidate_contact(full_name, email) if role == "candidate" else contacts(role)
        if not people:
            missing.append(role)
        found += people
    return found, missing


__all__ = ["candidate_contact", "collect_recipients", "role_contacts"]

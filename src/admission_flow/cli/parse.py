"""Parsing of the CLI's compact option formats (dates, votes, documents, key=value data)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from admission_flow.domain.inputs import VOTE_LIMIT, check_votes
from admission_flow.domain.values import DocumentRecord, Votes
from admission_flow.errors import InvalidInput


def parse_date(text: str) -> date:
    """ISO ``2024-03-05`` or Vietnamese ``05/03/2024`` (day first). Empty text is refused, never "today"."""
    if not text.strip():
        raise InvalidInput("empty date: give YYYY-MM-DD or DD/MM/YYYY (leave the option out for the default)")
    try:
        if re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", text):
            return datetime.strptime(text, "%d/%m/%Y").date()
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"not a date: {text!r} (use YYYY-MM-DD or DD/MM/YYYY)") from None


def parse_scalar(text: str) -> Any:
    """``true``/``false`` → bool, integers → int, everything else stays text (dates too)."""
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    return text


def parse_pairs(items: list[str] | None, option: str) -> dict[str, Any]:
    """``KEY=VALUE`` items; a key given twice is refused (the last value would silently win)."""
    pairs: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(f"{option} expects KEY=VALUE, got {item!r}")
        if key.strip() in pairs:
            raise InvalidInput(f"{option} gives the key {key.strip()!r} more than once: give each key once")
        pairs[key.strip()] = parse_scalar(value.strip())
    return pairs


def parse_votes(text: str | None) -> Votes | None:
    """``6/9``: 6 in favour of 9 full members (the denominator); checked as the facade checks ``Votes``."""
    if text is None:
        return None
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if match is None:
        raise InvalidInput(f"--votes expects IN_FAVOUR/ELIGIBLE, whole numbers from 0 such as 6/9, got {text!r}")
    if any(len(g.lstrip("0")) > len(str(VOTE_LIMIT)) for g in match.groups()):  # before int(): no 10^5000
        raise InvalidInput(f"--votes {text.strip()}: a count is at most {VOTE_LIMIT:,}")
    votes = Votes(in_favour=int(match.group(1)), eligible=int(match.group(2)))
    try:
        return check_votes(votes)
    except InvalidInput as exc:
        raise InvalidInput(f"--votes {text.strip()}: {str(exc).removeprefix('votes: ')}") from None


def parse_document(text: str, default_on: date) -> DocumentRecord:
    """``application`` or ``kind=introduction,on=2024-03-01,ref=GT/12,introducer=Trần Văn Bình,full_member=true``."""
    if "=" not in text:
        return DocumentRecord(kind=text.strip(), issued_on=default_on)
    fields: dict[str, str] = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        if not sep:
            raise InvalidInput(f"--document parts are KEY=VALUE separated by commas, got {part!r}")
        fields[key.strip()] = value.strip()
    kind = fields.pop("kind", None)
    if not kind:
        raise InvalidInput(f"--document needs kind=..., got {text!r}")
    issued = parse_date(fields.pop("on")) if "on" in fields else default_on
    reference = fields.pop("ref", None)
    attributes = {k: parse_scalar(v) for k, v in fields.items()}
    return DocumentRecord(kind=kind, issued_on=issued, reference=reference, attributes=attributes)


def parse_contacts(items: list[str] | None) -> dict[str, list[dict[str, str]]]:
    """``cell_secretary=Nguyễn Văn A <a@example.vn>`` (repeatable)."""
    contacts: dict[str, list[dict[str, str]]] = {}
    for item in items or []:
        match = re.fullmatch(r"\s*([a-z][a-z0-9_]*)\s*=\s*(.+?)\s*<([^>]+)>\s*", item)
        if match is None:
            raise InvalidInput(f"--contact expects ROLE=NAME <EMAIL>, got {item!r}")
        role, name, email = match.groups()
        contacts.setdefault(role, []).append({"name": name, "email": email})
    return contacts

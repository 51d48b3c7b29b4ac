"""Organisations over time: the records of the tree's audit trail and of a tree import, and the pure decisions
behind a change (which fields a period keeps, what differs between two states of an organisation, the refusals).

An organisation's *period* says what it was (parent, name, kind, attributes: its powers among them) from a date
until the day before another; the open period is the present and matches the ``orgs`` row. Contacts and the
Youth Union / Trade Union flags live only on the row: a change of them is audited but opens no new period.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from admission_flow.domain.records import OrgRecord, Record
from admission_flow.errors import OrgChangeRefused

POWERS: tuple[str, ...] = ("admission", "recognition", "consent")
PERIOD_FIELDS: tuple[str, ...] = ("parent_id", "name", "kind", "attributes")
ROW_FIELDS: tuple[str, ...] = (
    "parent_id",
    "name",
    "kind",
    "has_youth_union",
    "has_trade_union",
    "contacts",
    "attributes",
)
# Marks a merge or a dissolution leaves in the attributes of the organisation that ceased to exist.
DISSOLVED_ON, MERGED_INTO = "dissolved_on", "merged_into"
CHANGES: tuple[str, ...] = ("create", "rename", "move", "merge", "authority", "dissolve", "update")


@dataclass(frozen=True)
class OrgChangeRecord(Record):
    """One row of the tree's audit trail: what changed, from when, before and after, who recorded it."""

    id: int
    org_id: str
    change: str
    effective_on: date
    before: dict[str, Any]
    after: dict[str, Any]
    actor: str
    note: str | None
    recorded_at: datetime


@dataclass(frozen=True)
class OrgPeriodRow:
    """The open period of an organisation as the store returns it."""

    id: int
    org_id: str
    valid_from: date | None
    valid_until: date | None


@dataclass(frozen=True)
class OrgImportReport(Record):
    """What an import of a tree file did: organisations created, changes recorded, rows left as they were."""

    file_name: str
    sha256: str
    rows: int
    effective_on: date
    created: list[str] = field(default_factory=list)
    changes: list[dict[str, str]] = field(default_factory=list)  # {"org_id", "change"} in the order recorded
    unchanged: int = 0
    seen_before: bool = False  # a file with the same SHA-256 was imported before (its content was compared again)


def row_values(org: OrgRecord) -> dict[str, Any]:
    """The fields of an organisation's row a change can touch."""
    return {name: getattr(org, name) for name in ROW_FIELDS}


def authority_of(attributes: dict[str, Any]) -> list[str]:
    """The powers in ``attributes``, in the canonical order (admission, recognition, consent)."""
    held = attributes.get("authority") or []
    return [p for p in POWERS if p in held]


def is_dissolved(org: OrgRecord) -> bool:
    return DISSOLVED_ON in org.attributes


def check_effective(org_id: str, period_start: date | None, on: date, today: date) -> None:
    """A change takes effect on ``on``: not after today, not before the organisation's open period starts (the
    same day is fine: the period it ends then held for no day)."""
    if on > today:
        raise OrgChangeRefused(
            "effective_in_future",
            vi=f"Ngày hiệu lực {on.isoformat()} ở tương lai (hôm nay {today.isoformat()}): "
            "chỉ ghi thay đổi đã có hiệu lực",
            en=f"the effective date {on.isoformat()} is in the future (today is {today.isoformat()}): "
            "record a change once it has taken effect",
            org=org_id,
            effective_on=on.isoformat(),
            today=today.isoformat(),
        )
    if period_start is not None and on < period_start:
        raise OrgChangeRefused(
            "effective_before_period",
            vi=f"Ngày hiệu lực {on.isoformat()} trước ngày {period_start.isoformat()} "
            f"mà {org_id} mang tình trạng hiện tại",
            en=f"the effective date {on.isoformat()} is before {period_start.isoformat()}, when {org_id}'s "
            "present period began: record changes in date order",
            org=org_id,
            effective_on=on.isoformat(),
            period_from=period_start.isoformat(),
        )


def refuse_dissolved(org: OrgRecord, role: str = "org") -> None:
    if is_dissolved(org):
        when = org.attributes.get(DISSOLVED_ON)
        raise OrgChangeRefused(
            "org_dissolved",
            vi=f"Tổ chức {org.id} đã giải thể (hoặc hợp nhất) từ ngày {when}",
            en=f"organisation {org.id} was dissolved (or merged) on {when}",
            org=org.id,
            role=role,
            dissolved_on=when,
        )


def refuse_cycle(org_id: str, target: str, subtree: list[str], change: str) -> None:
    """``target`` (a new parent, or the organisation merged into) may not be ``org_id`` or lie below it."""
    if target == org_id:
        code = "merge_into_self" if change == "merge" else "move_cycle"
        raise OrgChangeRefused(
            code,
            vi=f"Không thể {'hợp nhất' if change == 'merge' else 'chuyển'} {org_id} vào chính nó",
            en=f"cannot {change} {org_id} into itself",
            org=org_id,
            target=target,
        )
    if target in subtree:
        code = "merge_into_subtree" if change == "merge" else "move_cycle"
        raise OrgChangeRefused(
            code,
            vi=f"{target} là tổ chức cấp dưới của {org_id}: thay đổi sẽ tạo vòng lặp trong cây tổ chức",
            en=f"{target} lies below {org_id}: the {change} would make a cycle in the tree",
            org=org_id,
            target=target,
        )


def refuse_not_yet(target: str, on: date) -> None:
    raise OrgChangeRefused(
        "target_not_yet",
        vi=f"Tổ chức {target} chưa tồn tại vào ngày {on.isoformat()}",
        en=f"organisation {target} did not exist yet on {on.isoformat()}",
        target=target,
        effective_on=on.isoformat(),
    )


def nothing_to_change(org_id: str) -> OrgChangeRefused:
    return OrgChangeRefused(
        "nothing_to_change",
        vi=f"Tổ chức {org_id} đã đúng như vậy: không có gì thay đổi",
        en=f"organisation {org_id} is already so: nothing to change",
        org=org_id,
    )


def classify(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """Split the difference between two states of an organisation's row into audited changes, in the order they
    are recorded: rename, move, authority, update (kind, the unions, contacts, other attributes). Each item is
    ``(change, before, after)`` holding only the fields that differ."""
    found: list[tuple[str, dict[str, Any], dict[str, Any]]] = []

    def part(change: str, names: tuple[str, ...]) -> None:
        old = {n: before[n] for n in names if before[n] != after[n]}
        if old:
            found.append((change, old, {n: after[n] for n in old}))

    part("rename", ("name",))
    part("move", ("parent_id",))
    old_attrs, new_attrs = dict(before["attributes"]), dict(after["attributes"])
    if authority_of(old_attrs) != authority_of(new_attrs):
        found.append(("authority", {"authority": authority_of(old_attrs)}, {"authority": authority_of(new_attrs)}))
    old_attrs.pop("authority", None)
    new_attrs.pop("authority", None)
    rest_before = {n: before[n] for n in ("kind", "has_youth_union", "has_trade_union", "contacts")}
    rest_after = {n: after[n] for n in rest_before}
    rest_before["attributes"], rest_after["attributes"] = old_attrs, new_attrs
    part_before = {n: v for n, v in rest_before.items() if v != rest_after[n]}
    if part_before:
        found.append(("update", part_before, {n: rest_after[n] for n in part_before}))
    return found


def with_authority(attributes: dict[str, Any], powers: list[str]) -> dict[str, Any]:
    """``attributes`` holding exactly ``powers`` (canonical order; no ``authority`` key when there is none)."""
    rest = {k: v for k, v in attributes.items() if k != "authority"}
    held = [p for p in POWERS if p in powers]
    return {**rest, "authority": held} if held else rest


def apply_change(state: dict[str, Any], change: str, after: dict[str, Any]) -> dict[str, Any]:
    """The row values after one change (as :func:`classify` describes it) is applied to ``state``."""
    new = dict(state)
    if change == "authority":
        new["attributes"] = with_authority(state["attributes"], after["authority"])
        return new
    for name, value in after.items():
        if name == "attributes":  # an update replaces the other attributes and keeps the powers
            new["attributes"] = with_authority(value, authority_of(state["attributes"]))
        else:
            new[name] = value
    return new

"""The bar on official transfers during an inspection or a complaint review (Quy định 294-QĐ/TW §6.3.1;
regulations-2025.md D5): ``transfer_not_blocked``.

The workflow records the inspection and the review as flags (set when they open, cleared when they close); the
guard refuses the transfer while any of them is set, naming which.
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from admission_flow.domain.values import reason
from admission_flow.errors import Reason
from admission_flow.guards.base import FlagRef, GuardContext, GuardParams, GuardRegistry

__all__ = ["TransferBlockParams", "register_transfer_guards", "transfer_not_blocked"]

_LABELS: dict[str, tuple[str, str]] = {
    "under_inspection": ("đang bị kiểm tra", "under inspection"),
    "under_complaint_review": ("đang giải quyết khiếu nại, tố cáo", "under complaint or denunciation review"),
}


class TransferBlockParams(GuardParams):
    flags: list[FlagRef] = Field(
        default_factory=lambda: ["under_inspection", "under_complaint_review"], min_length=1, validate_default=True
    )


def transfer_not_blocked(ctx: GuardContext, p: TransferBlockParams) -> Iterator[Reason]:
    """No official transfer while the person is under inspection or complaint review (QĐ 294 §6.3.1)."""
    for flag in p.flags:
        if flag in ctx.flags:
            vi_l, en_l = _LABELS.get(flag, (flag, flag))
            en = f"No transfer while the person is {en_l} ('{flag}' is recorded)"
            vi = f"Không chuyển sinh hoạt đảng chính thức khi đang {vi_l.removeprefix('đang ')} ('{flag}')"
            yield reason("transfer_blocked", "transfer_not_blocked", en=en, vi=vi, flag=flag)


def register_transfer_guards(registry: GuardRegistry) -> None:
    registry.register(
        "transfer_not_blocked", transfer_not_blocked, TransferBlockParams, "no transfer under inspection or review"
    )

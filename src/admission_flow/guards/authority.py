"""Who decides is configuration on the organisation tree, not a hard-coded level.

An organisation node lists the powers its standing board (or, for an authorised grassroots committee, the
committee itself) holds in its attributes: ``{"authority": ["admission", "recognition", "consent"]}``. The
competent body for a candidate is the nearest node at or above the candidate's organisation holding the power
(before 1/7/2025 typically the district committee; after, the commune committee or the province, depending
on how the 2025 reorganisation is applied locally: Quy định 294-QĐ/TW).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from admission_flow.domain.values import OrgFacts, reason
from admission_flow.errors import Reason
from admission_flow.guards.base import GuardContext, GuardParams, GuardRegistry

Power = Literal["admission", "recognition", "consent"]
POWER_VI = {"admission": "quyết định kết nạp", "recognition": "quyết định công nhận", "consent": "đồng ý bằng văn bản"}


class AuthorityParams(GuardParams):
    power: Power


def competent_org(ancestry: tuple[OrgFacts, ...] | list[OrgFacts], power: str) -> OrgFacts | None:
    return next((o for o in ancestry if power in (o.attributes.get("authority") or [])), None)


def competent_authority(ctx: GuardContext, p: AuthorityParams) -> Iterator[Reason]:
    """The event must be recorded on behalf of the organisation configured to hold ``power`` for this candidate."""
    competent = competent_org(list(ctx.org_ancestry()), p.power)
    if competent is None:
        yield reason(
            "no_competent_authority",
            "competent_authority",
            en=f"no organisation at or above {ctx.org.id} is configured with the power '{p.power}'",
            vi=f"Chưa cấu hình tổ chức có thẩm quyền {POWER_VI[p.power]} cho {ctx.org.id}",
            power=p.power,
            org=ctx.org.id,
        )
    elif ctx.acting_org != competent.id:
        yield reason(
            "not_competent_authority",
            "competent_authority",
            en=f"'{p.power}' for this candidate belongs to {competent.id}, not {ctx.acting_org or 'an unnamed body'}",
            vi=f"Thẩm quyền {POWER_VI[p.power]} thuộc {competent.id}, không phải {ctx.acting_org or '(chưa ghi)'}",
            power=p.power,
            competent_org=competent.id,
            acting_org=ctx.acting_org,
        )


def register_authority_guards(registry: GuardRegistry) -> None:
    registry.register(
        "competent_authority",
        competent_authority,
        AuthorityParams,
        "the acting body holds the power",
        needs_ancestry=True,
    )

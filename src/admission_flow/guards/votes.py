"""The built-in guard on the vote of the party cell or committee: ``vote_ratio``.

Rule sources are cited as in ``docs/domain`` (ĐL = Điều lệ Đảng, HD 06 = Hướng dẫn 06-HD/TW).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

from pydantic import Field, field_validator

from admission_flow.domain.values import reason
from admission_flow.errors import Reason
from admission_flow.guards.base import GuardContext, GuardParams

__all__ = ["VoteRatioParams", "vote_ratio"]

# ---------------------------------------------------------------- vote_ratio


class VoteRatioParams(GuardParams):
    at_least: str = "2/3"
    min_eligible: int = Field(default=3, ge=1)

    @field_validator("at_least", mode="before")
    @classmethod
    def _number_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value

    @field_validator("at_least")
    @classmethod
    def _fraction(cls, value: str) -> str:
        try:
            share = Fraction(value.strip())
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"{value!r} is not a fraction such as '2/3' or '0.5'") from None
        if not 0 < share <= 1:
            raise ValueError(f"{value!r} must be above 0 and at most 1")
        return value.strip()


def vote_ratio(ctx: GuardContext, p: VoteRatioParams) -> Iterator[Reason]:
    """At least a share (2/3) of all full members voted in favour (ĐL Art. 4; HD 06 §3.6(b))."""
    g, v = "vote_ratio", ctx.votes
    if v is None:
        yield reason("votes_missing", g, en="No vote result is recorded", vi="Chưa có kết quả biểu quyết")
        return
    values = {"in_favour": v.in_favour, "eligible": v.eligible, "against": v.against}
    against = v.against or 0
    if v.eligible <= 0 or not 0 <= v.in_favour <= v.eligible or against < 0 or v.in_favour + against > v.eligible:
        en = f"Invalid vote result: {v.in_favour} in favour"
        vi = f"Kết quả biểu quyết không hợp lệ: {v.in_favour} tán thành"
        if v.against is not None:  # not given: say nothing of it (never "None against")
            en, vi = en + f", {v.against} against", vi + f", {v.against} không tán thành"
        en += f", of {v.eligible} full members"
        yield reason("votes_invalid", g, en=en, vi=vi + f" trên tổng số {v.eligible} đảng viên chính thức", **values)
        return
    if v.eligible < p.min_eligible:
        en = f"The voting body has {v.eligible} full members; at least {p.min_eligible} are needed"
        vi = f"Tổ chức biểu quyết chỉ có {v.eligible} đảng viên chính thức, cần ít nhất {p.min_eligible}"
        yield reason("voting_body_too_small", g, en=en, vi=vi, min_eligible=p.min_eligible, **values)
        return
    share = Fraction(p.at_least)
    if Fraction(v.in_favour, v.eligible) < share:
        needed = math.ceil(share * v.eligible)
        en = f"{v.in_favour} of {v.eligible} full members voted in favour, below {p.at_least}; {needed} needed"
        vi = f"{v.in_favour}/{v.eligible} đảng viên chính thức tán thành, chưa đạt tỷ lệ {p.at_least}"
        vi += f" (cần ít nhất {needed})"
        yield reason("vote_ratio_not_reached", g, en=en, vi=vi, required=p.at_least, needed=needed, **values)

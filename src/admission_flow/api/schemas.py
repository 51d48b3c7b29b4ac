"""Request bodies of the REST API (pydantic), with examples in Vietnamese and English for the OpenAPI document.

Responses are the package's own records (``domain/records.py``): FastAPI documents them from their dataclasses.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Header
from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator

from admission_flow.domain.inputs import NewCandidate

NAME = r"^[a-z][a-z0-9_]{0,63}$"
LIMIT = 1_000_000  # no real voting body is larger; bigger counts are mistakes, refused before any rule runs


# Optional headers with a non-nullable schema (a header is a string or absent, never null).
IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        max_length=180,
        pattern=r"^[!-~]([ -~]*[!-~])?$",
        description="Replaying the same key (same token, same request) returns the first answer; no second effect.",
    ),
]
IfMatch = Annotated[
    str,
    Header(
        alias="If-Match",
        max_length=100,
        pattern=r'^(\*|(W/)?"[0-9]+\.[0-9]+")$',
        description="The ETag read before: 412 if the candidate changed since.",
    ),
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DocumentIn(Strict):
    kind: str = Field(pattern=NAME, description="a document kind the workflow declares, e.g. application")
    issued_on: date
    reference: str | None = Field(default=None, max_length=500, description="number, file reference")
    attributes: dict[str, Any] = Field(default_factory=dict)


class VotesIn(Strict):
    in_favour: StrictInt = Field(ge=0, le=LIMIT)
    eligible: StrictInt = Field(ge=1, le=LIMIT, description="every full member of the voting body (the denominator)")
    against: StrictInt | None = Field(default=None, ge=0, le=LIMIT)

    @model_validator(mode="after")
    def _counts_fit(self) -> VotesIn:
        if self.in_favour + (self.against or 0) > self.eligible:
            raise ValueError("in_favour + against cannot exceed eligible")
        return self


class OptionsIn(Strict):
    """What the event would carry: options are judged with it, as the fire would be."""

    on: date | None = Field(default=None, description="the paper date (default: today)")
    role: str | None = Field(default=None, pattern=NAME, description="a role this token holds")
    data: dict[str, Any] = Field(default_factory=dict)
    documents: list[DocumentIn] = Field(default_factory=list, max_length=50)
    votes: VotesIn | None = None
    acting_org: str | None = Field(default=None, max_length=64, description="default: the token's organisation")


class EventIn(OptionsIn):
    trigger: str = Field(pattern=NAME)
    actor: str | None = Field(default=None, min_length=1, max_length=200, description="who acted (a person)")


class CandidateIn(NewCandidate):
    workflow: str | None = Field(default=None, max_length=100, description="ID or ID@VERSION (default: settings)")
    on: date | None = Field(default=None, description="paper date of the sourcing plan entry (default: today)")


class WebhookIn(Strict):
    url: str = Field(
        min_length=8,
        max_length=2000,
        pattern=r"^https?://[^\s/]+",
        description="http(s) URL that receives POSTed events",
    )
    event_types: list[Annotated[str, Field(pattern=r"^(\*|[a-z][a-z0-9_]{0,63})$")]] = Field(
        default_factory=lambda: ["*"], min_length=1, max_length=100, description='triggers, or "*" for every event'
    )
    org_id: str | None = Field(
        default=None, min_length=1, max_length=64, description="default: the token's organisation"
    )


FIRE_EXAMPLES: dict[str, Any] = {
    "vi": {
        "summary": "Chi bộ biểu quyết đề nghị kết nạp (6/9 đảng viên tán thành)",
        "value": {
            "trigger": "branch_vote_passed",
            "on": "2026-03-02",
            "role": "cell",
            "actor": "Bí thư chi bộ Nguyễn Thị Lan",
            "votes": {"in_favour": 6, "eligible": 9, "against": 3},
            "documents": [{"kind": "branch_resolution", "issued_on": "2026-03-02", "reference": "05-NQ/CB"}],
        },
    },
    "en": {
        "summary": "Admit a prospect to the sympathizer list",
        "value": {"trigger": "admit_to_sympathizer_list", "on": "2026-01-12", "actor": "Cell secretary"},
    },
}
CANDIDATE_EXAMPLES: dict[str, Any] = {
    "vi": {
        "summary": "Quần chúng ưu tú của chi bộ ấp An Phú",
        "value": {
            "id": "vn-2026-0001",
            "full_name": "Trần Văn Bình",
            "org_id": "ks.anmy.ap1",
            "birth_date": "2001-04-12",
            "sex": "male",
            "ethnicity": "Kinh",
            "education": "upper_secondary",
            "youth_union_member": True,
            "personal_id": "094201000123",
        },
    },
    "en": {
        "summary": "A candidate on a named workflow version",
        "value": {
            "id": "vn-2026-0002",
            "full_name": "Lê Thị Hoa",
            "org_id": "ks.anmy.ap1",
            "workflow": "standard@2025",
        },
    },
}

"""What goes in: validated inputs of the use cases, and the checks that turn a caller's values into them.

Values a caller passes are checked here before anything reaches the store: pydantic models for organisations
and candidates, length limits and JSON-safety for an event's free text and data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from admission_flow.domain.identity import card_number_problems, personal_id_problems
from admission_flow.domain.values import EDUCATION_LEVELS, DocumentRecord, Votes
from admission_flow.errors import InvalidInput

OrgKind = Literal[
    "central",
    "province",
    "superior_committee",
    "commune_committee",
    "grassroots_committee",
    "partial_committee",
    "grassroots_cell",
    "cell",
]
ORG_KINDS: tuple[str, ...] = OrgKind.__args__  # type: ignore[attr-defined]
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


def no_nul(value: Any) -> Any:
    """A pydantic field check: text a database can store (PostgreSQL refuses U+0000)."""
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("text may not contain the NUL character (U+0000)")
    return value


# Bidirectional embeddings, overrides and isolates: they reorder what a terminal or a page shows.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


# The same characters as one pattern: Unicode's "Cc" category is exactly U+0000-U+001F and U+007F-U+009F (a test
# holds the two equal). A search in C: every fire checks its actor, role and key with it.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f" + "".join(sorted(BIDI_CONTROLS)) + "]")


def control_in(text: str) -> str | None:
    """The first control character of ``text`` as ``U+XXXX`` (ESC starts terminal escape sequences; tabs and
    line breaks count too), or None."""
    found = _CONTROLS.search(text)
    return None if found is None else f"U+{ord(found.group()):04X}"


def plain_text(value: Any) -> Any:
    """A pydantic check of free text shown to people (names, ethnicity, occupation...): surrounding whitespace
    is stripped; control characters left inside (terminal escape sequences, line breaks, NUL) are refused."""
    if not isinstance(value, str):
        return value
    value = value.strip()  # a pasted trailing tab or line break goes; one inside the text is refused
    found = control_in(value)
    if found is not None:
        raise ValueError(f"text may not contain control characters or terminal escape sequences (found {found})")
    return value


def plain_name(value: Any) -> Any:
    """:func:`plain_text`, and not blank."""
    value = plain_text(value)
    if isinstance(value, str) and not value:
        raise ValueError("may not be blank")
    return value


# ---- people's identifiers (issue 10, item 2): the checks of domain/identity.py as pydantic field checks
IDENTIFIERS: tuple[str, ...] = ("personal_id", "party_card_no", "old_card_no")


def checked_personal_id(value: str | None, info: ValidationInfo) -> str | None:
    """A personal identification number, checked against the birth date and sex given beside it (if any)."""
    if value is None:
        return None
    value = value.strip()
    problems = personal_id_problems(value, birth_date=info.data.get("birth_date"), sex=info.data.get("sex"))
    if problems:
        raise ValueError("; ".join(f"[{p.code}] {p}" for p in problems))
    return value


def checked_card(value: str | None) -> str | None:
    """A party card number (or an old one): letters, digits and ``. / -``."""
    if value is None:
        return None
    value = value.strip()
    problems = card_number_problems(value)
    if problems:
        raise ValueError("; ".join(f"[{p.code}] {p}" for p in problems))
    return value


class Contact(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    _text = field_validator("*")(no_nul)
    _name = field_validator("name", mode="before")(plain_name)
    name: str = Field(min_length=1)
    email: EmailStr


class NewOrg(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    _text = field_validator("*")(no_nul)
    _name = field_validator("name", mode="before")(plain_name)

    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    kind: OrgKind
    parent_id: str | None = None
    has_youth_union: bool = False
    has_trade_union: bool = False
    contacts: dict[str, list[Contact]] = Field(default_factory=dict, description="role → people to notify")
    attributes: dict[str, Any] = Field(default_factory=dict)


class NewCandidate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    _text = field_validator("*")(no_nul)
    _name = field_validator("full_name", mode="before")(plain_name)
    _free_text = field_validator("ethnicity", "religion", "occupation", mode="before")(plain_text)

    id: str = Field(pattern=ID_PATTERN)
    full_name: str = Field(min_length=1, max_length=200)
    org_id: str
    birth_date: date | None = None
    sex: Literal["male", "female"] | None = None
    ethnicity: str | None = Field(default=None, max_length=64)
    religion: str | None = Field(default=None, max_length=64)
    education: str | None = None
    remote_area: bool = False
    occupation: str | None = Field(default=None, max_length=64)
    youth_union_member: bool = False
    trade_union_member: bool = False
    email: EmailStr | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)
    # People's identifiers (each unique per person) and the leader-or-manager fact of the composition reports.
    personal_id: str | None = Field(default=None, description="12-digit personal identification number (căn cước)")
    party_card_no: str | None = Field(default=None, max_length=32, description="party card number")
    old_card_no: str | None = Field(default=None, max_length=32, description="an earlier party card number")
    manager: bool = Field(default=False, description="a leader or manager (lãnh đạo, quản lý)")

    _personal_id = field_validator("personal_id")(checked_personal_id)
    _cards = field_validator("party_card_no", "old_card_no")(checked_card)

    @field_validator("education")
    @classmethod
    def _known_level(cls, value: str | None) -> str | None:
        if value is not None and value not in EDUCATION_LEVELS:
            raise ValueError(f"unknown education level {value!r}; one of: {', '.join(EDUCATION_LEVELS)}")
        return value


class CandidateChanges(BaseModel):
    """Corrections to a candidate's personal data: only the fields given change. ``null`` clears a field that may
    be empty; the name, the yes/no facts and the attributes cannot be cleared (their schema is not nullable).
    The organisation is not here: a candidate changes organisation by a transfer event."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"minProperties": 1})
    _text = field_validator("*")(no_nul)
    _name = field_validator("full_name", mode="before")(plain_name)
    _free_text = field_validator("ethnicity", "religion", "occupation", mode="before")(plain_text)

    # Given or not, never null: a default of None that is not validated marks "not given".
    full_name: str = Field(default=None, min_length=1, max_length=200, validate_default=False)  # type: ignore[assignment]
    birth_date: date | None = None
    sex: Literal["male", "female"] | None = None
    ethnicity: str | None = Field(default=None, max_length=64)
    religion: str | None = Field(default=None, max_length=64)
    education: str | None = None
    remote_area: bool = Field(default=None, validate_default=False)  # type: ignore[assignment]
    occupation: str | None = Field(default=None, max_length=64)
    youth_union_member: bool = Field(default=None, validate_default=False)  # type: ignore[assignment]
    trade_union_member: bool = Field(default=None, validate_default=False)  # type: ignore[assignment]
    email: EmailStr | None = None
    attributes: dict[str, Any] = Field(  # type: ignore[call-overload]
        default=None, validate_default=False, description="replaces the attributes as a whole"
    )
    # Identifiers: the number's agreement with the birth date and sex is checked against the stored person too.
    personal_id: str | None = Field(default=None, description="12-digit personal identification number")
    party_card_no: str | None = Field(default=None, max_length=32)
    old_card_no: str | None = Field(default=None, max_length=32)
    manager: bool = Field(default=None, validate_default=False)  # type: ignore[assignment]

    _personal_id = field_validator("personal_id")(checked_personal_id)
    _cards = field_validator("party_card_no", "old_card_no")(checked_card)
    _known_level = field_validator("education")(NewCandidate._known_level.__func__)  # type: ignore[attr-defined]

    @model_validator(mode="after")
    def _something(self) -> CandidateChanges:
        if not self.model_fields_set:
            raise ValueError("no field to change")
        return self

    def given(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in sorted(self.model_fields_set)}


@dataclass(frozen=True)
class EventInput:
    """Everything a fire carries besides the trigger."""

    occurred_on: date | None = None
    actor: str = "system"
    role: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    documents: tuple[DocumentRecord, ...] = ()
    votes: Votes | None = None
    idempotency_key: str | None = None
    expected_version: int | None = None
    acting_org: str | None = None
    token_id: int | None = None  # the API token that acted, for the audit row


Model = TypeVar("Model", bound=BaseModel)

# The longest text an event's columns hold: longer values are invalid input, never a database error.
FIELD_LIMITS = {"actor": 200, "role": 64, "idempotency_key": 200}


def validated(model: type[Model], values: Mapping[str, Any]) -> Model:
    """``model`` built from ``values``, or ``InvalidInput`` listing every field that is wrong."""
    try:
        return model.model_validate(dict(values))
    except ValidationError as exc:
        details = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'input'}: {e['msg']}" for e in exc.errors())
        raise InvalidInput(details) from None


def json_safe(values: dict[str, Any], what: str) -> dict[str, Any]:
    """Dates become ISO text; anything else that JSON cannot hold (NaN and infinities included) or a database
    cannot store (a NUL character) is invalid input, never a database error."""

    def convert(value: Any) -> Any:
        if isinstance(value, date | datetime):
            return value.isoformat()
        raise TypeError(type(value).__name__)

    if not values:  # most events carry no data: nothing to check, and the round trip below costs a few µs
        return {}
    try:
        found = dict(json.loads(json.dumps(values, default=convert, ensure_ascii=False, allow_nan=False)))
    except (TypeError, ValueError, RecursionError) as exc:
        raise InvalidInput(
            f"{what} must hold text, numbers, true/false, lists, mappings or dates (got {exc})"
        ) from None
    if _holds_nul(found):
        raise InvalidInput(f"{what}: text may not contain the NUL character (U+0000)")
    return found


def _holds_nul(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def check_text(**values: str | None) -> None:
    """Identifiers and names a caller passes as they are: no NUL character (PostgreSQL cannot store one), no
    other control character (a terminal escape sequence in an actor would be printed raw by ``history``)."""
    for name, value in values.items():
        if value is not None and "\x00" in value:
            raise InvalidInput(f"{name}: text may not contain the NUL character (U+0000)")
        found = None if value is None else control_in(value)
        if found is not None:
            raise InvalidInput(
                f"{name}: text may not contain control characters or terminal escape sequences (found {found})"
            )


# The largest vote count taken: the size of any real voting body is far below (the REST API's bound too).
VOTE_LIMIT = 1_000_000


def check_votes(votes: Votes | None) -> Votes | None:
    """``votes`` when its counts are whole numbers that fit together, or ``InvalidInput`` saying which do not."""
    if votes is None:
        return None
    counts = {"in_favour": votes.in_favour, "eligible": votes.eligible, "against": votes.against}
    for name, count in counts.items():
        if count is None and name == "against":
            continue
        if not isinstance(count, int) or isinstance(count, bool):
            raise InvalidInput(f"votes: {name} must be a whole number, got {count!r}")
        if not 0 <= count <= VOTE_LIMIT:
            raise InvalidInput(f"votes: {name} must be between 0 and {VOTE_LIMIT:,}, got {count}")
    against = votes.against or 0
    if votes.eligible == 0:
        raise InvalidInput("votes: eligible (every full member of the voting body) must be at least 1")
    if votes.in_favour + against > votes.eligible:
        cast = f"{votes.in_favour} in favour" + (f" and {against} against" if votes.against is not None else "")
        raise InvalidInput(f"votes: {cast} is more than the {votes.eligible} eligible full members")
    return votes


def papers(documents: Iterable[DocumentRecord]) -> tuple[DocumentRecord, ...]:
    """Papers as the engine takes them: attributes JSON can hold, text a database can store."""
    found = []
    for d in documents:
        check_text(kind=d.kind, reference=d.reference)
        attributes = json_safe(dict(d.attributes), f"the attributes of paper {d.kind}")
        found.append(d if attributes == d.attributes else replace(d, attributes=attributes))
    return tuple(found)


def check_lengths(actor: str | None, role: str | None, idempotency_key: str | None) -> None:
    """``InvalidInput`` when an event's actor, role or idempotency key is longer than its column."""
    for name, value in (("actor", actor), ("role", role), ("idempotency_key", idempotency_key)):
        limit = FIELD_LIMITS[name]
        if value is not None and len(value) > limit:
            raise InvalidInput(f"{name} is longer than {limit} characters")


__all__ = [
    "IDENTIFIERS",
    "ID_PATTERN",
    "ORG_KINDS",
    "VOTE_LIMIT",
    "Contact",
    "EventInput",
    "NewCandidate",
    "NewOrg",
    "OrgKind",
    "check_lengths",
    "check_votes",
    "json_safe",
    "validated",
]

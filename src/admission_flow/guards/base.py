"""Guard framework: what a guard reads, what it returns, and the registry that names guards.

A guard is a plain function ``check(ctx, params) -> Iterable[Reason]``: it yields one ``Reason`` per rule
that fails and nothing when it passes. Parameters are a pydantic model validated when the workflow loads,
with the workflow's declared dates, flags and documents in the validation context, so a misspelt date name
in YAML is a load-time error with its line, never a run-time surprise. YAML never contains code: it names
guards registered here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationInfo

from admission_flow.dates import BUILTIN_DATES, Duration

# What a guard reads: plain values from ``domain.values``, re-exported here for guard writers.
from admission_flow.domain.values import EDUCATION_LEVELS as EDUCATION_LEVELS
from admission_flow.domain.values import CandidateFacts as CandidateFacts
from admission_flow.domain.values import DocumentRecord as DocumentRecord
from admission_flow.domain.values import OrgFacts as OrgFacts
from admission_flow.domain.values import Votes as Votes
from admission_flow.domain.values import reason as reason
from admission_flow.errors import Reason

if TYPE_CHECKING:
    from admission_flow.calendar import WorkingCalendar


@dataclass(frozen=True)
class GuardContext:
    trigger: str
    occurred_on: date
    candidate: CandidateFacts
    org: OrgFacts
    role: str | None = None
    dates: Mapping[str, date] = field(default_factory=dict)
    flags: frozenset[str] = frozenset()
    documents: Mapping[str, Sequence[DocumentRecord]] = field(default_factory=dict)
    votes: Votes | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    document_validity: Mapping[str, Duration] = field(default_factory=dict)
    calendar: WorkingCalendar | None = None  # for guards counting working days
    acting_org: str | None = None  # the organisation on whose behalf the event is recorded
    org_ancestry: Callable[[], Sequence[OrgFacts]] = field(default=lambda: ())  # nearest first (needs_ancestry)

    def date(self, name: str) -> date | None:
        """A date by name: ``occurred_on``, ``birth_date`` or one recorded on the candidate."""
        if name == "occurred_on":
            return self.occurred_on
        if name == "birth_date":
            return self.candidate.birth_date
        return self.dates.get(name)


# ---------------------------------------------------------------- parameter types that know the workflow


def _known(kind: str, builtin: tuple[str, ...] = ()) -> Callable[[str, ValidationInfo], str]:
    def check(value: str, info: ValidationInfo) -> str:
        known = (info.context or {}).get(kind)
        if known is not None and value not in known and value not in builtin:
            choices = ", ".join(sorted({*known, *builtin})) or "none declared"
            raise ValueError(f"unknown {kind[:-1]} {value!r} (declared: {choices})")
        return value

    return check


DateRef = Annotated[str, AfterValidator(_known("dates", BUILTIN_DATES))]
FlagRef = Annotated[str, AfterValidator(_known("flags"))]
DocumentRef = Annotated[str, AfterValidator(_known("documents"))]


class GuardParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class NoParams(GuardParams):
    pass


P = TypeVar("P", bound=GuardParams)
GuardCheck = Callable[[GuardContext, P], Iterable[Reason]]


@dataclass(frozen=True)
class GuardDef(Generic[P]):
    name: str
    params: type[P]
    check: GuardCheck[P]
    description: str = ""
    needs_ancestry: bool = False  # reads ctx.org_ancestry(): the event then loads it before deciding

    def evaluate(self, ctx: GuardContext, params: GuardParams) -> list[Reason]:
        return list(self.check(ctx, params))  # type: ignore[arg-type]


class GuardRegistry:
    """Named guards. Built-ins come from :func:`admission_flow.guards.default_registry`; embedders add theirs."""

    def __init__(self) -> None:
        self._guards: dict[str, GuardDef[Any]] = {}

    def register(
        self,
        name: str,
        check: GuardCheck[P],
        params: type[P] = NoParams,  # type: ignore[assignment]
        description: str = "",
        *,
        replace: bool = False,
        needs_ancestry: bool = False,
    ) -> None:
        """``needs_ancestry``: the guard reads ``ctx.org_ancestry()`` (the organisation and its ancestors); events
        that name it load the ancestry before deciding, and no other event pays for that read."""
        if name in self._guards and not replace:
            raise ValueError(f"guard {name!r} is already registered (pass replace=True to override it)")
        self._guards[name] = GuardDef(name, params, check, description, needs_ancestry)

    def get(self, name: str) -> GuardDef[Any] | None:
        return self._guards.get(name)

    def names(self) -> list[str]:
        return sorted(self._guards)

    def copy(self) -> GuardRegistry:
        clone = GuardRegistry()
        clone._guards = dict(self._guards)
        return clone

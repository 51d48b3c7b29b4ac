"""The workflow language as strict pydantic models (``extra="forbid"``).

A file is parsed by :mod:`admission_flow.workflow.loader` into plain data, validated here, then checked as a
graph by :mod:`admission_flow.workflow.checks`. The JSON Schema printed by ``admission-flow schema`` is
generated from these models, so editors and the docs follow them.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from admission_flow.dates import BUILTIN_DATES as BUILTIN_DATES
from admission_flow.dates import DURATION_UNITS as DURATION_UNITS
from admission_flow.dates import Duration as Duration

NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
Name = Annotated[str, Field(pattern=NAME_PATTERN, description="snake_case identifier")]
ANY_STATE = "*"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Label(Strict):
    """A text in Vietnamese (required) and English."""

    vi: str = Field(min_length=1)
    en: str = Field(min_length=1)


class Rung(Strict):
    """One reminder of a ladder: sent once, ``before`` or ``after`` the deadline's date."""

    before: Duration | None = None
    after: Duration | None = None
    to: list[Name] = Field(min_length=1, description="recipient roles (organisation contacts, or candidate)")
    template: Name

    @model_validator(mode="after")
    def _one_side(self) -> Rung:
        if (self.before is None) == (self.after is None):
            raise ValueError("a reminder gives exactly one of 'before' or 'after'")
        return self


class Notify(Strict):
    to: list[Name] = Field(min_length=1)
    template: Name


class OnDue(Strict):
    """What happens when the deadline falls due: fire a trigger, escalate, or only notify."""

    fire: Name | None = None
    escalate: Notify | None = None
    notify: Notify | None = None

    @model_validator(mode="after")
    def _one_action(self) -> OnDue:
        if sum(x is not None for x in (self.fire, self.escalate, self.notify)) != 1:
            raise ValueError("on_due gives exactly one of 'fire', 'escalate' or 'notify'")
        return self


class Extension(Strict):
    """An event that pushes the deadline back. The event's data carries the amount (in ``max``'s unit)."""

    trigger: Name
    max: Duration = Field(description="cap on the total of all extensions")


class DeadlineSpec(Strict):
    id: Name
    label: Label
    basis: Label | None = Field(default=None, description="the legal limit and its source, quoted in e-mails")
    from_: Name = Field(alias="from", description="'entered' (the state) or a recorded date such as ceremony_on")
    after: Duration
    due: Literal["end_of_day", "start_of_day"] = Field(
        default="end_of_day",
        description="end_of_day: a limit, overdue once the date has passed; start_of_day: a period that ends that day",
    )
    remind: list[Rung] = Field(default_factory=list)
    on_due: OnDue | None = None
    extension: Extension | None = None
    while_flag: Name | None = Field(default=None, description="only projected while this flag is set")
    done_by: list[Name] = Field(
        default_factory=list, description="internal events that satisfy the deadline: its remaining reminders stop"
    )

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)


class StateSpec(Strict):
    label: Label
    final: bool = False
    description: str | None = None
    deadlines: list[DeadlineSpec] = Field(default_factory=list)


class DocumentSpec(Strict):
    """A paper the procedure uses, e.g. the handwritten application (form 1-KNĐ)."""

    form: str | None = Field(default=None, description="official form code, e.g. 1-KNĐ")
    label: Label
    valid_for: Duration | None = Field(
        default=None, description="how long the paper stays usable after its date (guard documents_fresh)"
    )


class RecordSpec(Strict):
    """A date an event records on the candidate.

    ``- ceremony_on`` records the event's paper date (``occurred_on``). ``- {date: probation_end_on, from:
    ceremony_on, add: {months: 12}}`` computes it from another date, read after this event's own records.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)

    date: Name
    from_: Name | None = Field(default=None, alias="from")
    add: Duration | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_yaml(cls, value: Any) -> Any:
        return {"date": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _both_or_neither(self) -> RecordSpec:
        if (self.from_ is None) != (self.add is None):
            raise ValueError("a computed date needs both 'from' and 'add'")
        return self


class GuardCall(Strict):
    """One guard with its parameters. In YAML: ``- name`` or ``- name: {param: value}``."""

    name: Name
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _from_yaml(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"name": value, "params": {}}
        if isinstance(value, dict) and set(value) - {"name", "params"}:
            if len(value) != 1:
                raise ValueError("a guard is written as one key (its name) mapping to its parameters")
            ((name, params),) = value.items()
            if params is None:
                params = {}
            if not isinstance(params, dict):
                raise ValueError(f"parameters of guard {name!r} must be a mapping")
            return {"name": name, "params": params}
        return value


class TransitionSpec(Strict):
    trigger: Name
    label: Label | None = None
    source: list[str] = Field(description=f"state name(s); {ANY_STATE!r} means every non-final state")
    dest: Name | None = Field(default=None, description="omit for an internal event that records without moving")
    roles: list[Name] = Field(default_factory=list, description="roles allowed to fire; empty means any role")
    requires_documents: list[Name] = Field(default_factory=list)
    guards: list[GuardCall] = Field(default_factory=list, description="eligibility rules; every failure is reported")
    when: list[GuardCall] = Field(
        default_factory=list,
        description="routing conditions: among transitions sharing trigger and source, the first whose "
        "conditions all pass is taken",
    )
    records: list[RecordSpec] = Field(
        default_factory=list, description="dates this event sets on the candidate (default: its occurred_on)"
    )
    transfers: bool = Field(
        default=False,
        description="this event moves the candidate's file to the organisation named in its data (to_org); "
        "the state and its running deadlines carry over",
    )
    corrects: list[Name] = Field(
        default_factory=list,
        description="dates this event corrects: each new value comes in the event's data under the date's name; "
        "deadlines that depend on them are re-projected",
    )
    sets: list[Name] = Field(default_factory=list, description="flags this event sets")
    clears: list[Name] = Field(default_factory=list, description="flags this event clears")

    @field_validator("source", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @property
    def internal(self) -> bool:
        return self.dest is None


class RemoveSpec(Strict):
    """What a variant takes out of its base (see ``extends``)."""

    states: list[Name] = Field(default_factory=list)
    transitions: list[Name] = Field(default_factory=list, description="triggers: all their transitions go")
    roles: list[Name] = Field(default_factory=list)
    documents: list[Name] = Field(default_factory=list)
    dates: list[Name] = Field(default_factory=list)
    flags: list[Name] = Field(default_factory=list)
    deadlines: list[str] = Field(default_factory=list, description="STATE.DEADLINE_ID")


class MigrationSpec(Strict):
    """How instances of an earlier version map onto this one (``admission-flow migrate``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)

    from_: str = Field(alias="from", description="ID@VERSION the candidates are on now")
    states: dict[Name, Name] = Field(default_factory=dict, description="old state → new state; others keep their name")


class WorkflowSpec(Strict):
    id: Name
    version: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    extends: str | None = Field(default=None, description="ID@VERSION of the base workflow this one changes")
    remove: RemoveSpec | None = Field(default=None, description="only with extends: what to take out of the base")
    title: Label
    description: str | None = None
    initial: Name
    calendar: Literal["vn"] = Field(default="vn", description="working-day calendar for working_days durations")
    in_force_from: date | None = Field(
        default=None,
        description="YYYY-MM-DD: from this day on, new candidates start on this version (the release with the "
        "latest such date not after their start); not part of the content hash",
    )
    roles: dict[Name, Label] = Field(default_factory=dict)
    documents: dict[Name, DocumentSpec] = Field(default_factory=dict)
    dates: dict[Name, Label] = Field(default_factory=dict, description="dates events may record on the candidate")
    flags: dict[Name, Label] = Field(default_factory=dict, description="yes/no facts events may set")
    states: dict[Name, StateSpec]
    transitions: list[TransitionSpec]
    deadlines: list[DeadlineSpec] = Field(
        default_factory=list, description="deadlines that apply in every non-final state (e.g. a transfer's limit)"
    )
    migrations: list[MigrationSpec] = Field(default_factory=list)

    def deadlines_of(self, state: str) -> list[DeadlineSpec]:
        """The state's own deadlines, then the workflow-wide ones (which do not apply to final states)."""
        spec = self.states[state]
        return list(spec.deadlines) if spec.final else [*spec.deadlines, *self.deadlines]

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, value: Any) -> Any:
        # `version: 2021` is a number in YAML; administrators mean the text "2021".
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("in_force_from", mode="before")
    @classmethod
    def _date_as_text(cls, value: Any) -> Any:
        # The loader keeps dates as text; only the plain ISO form is accepted (no timestamps, no 2025-7-1).
        if isinstance(value, date) or value is None:
            return value
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                raise ValueError(f"{value!r} is not a day of the calendar") from None
        raise ValueError("must be a date written YYYY-MM-DD, e.g. 2025-07-01")

    @property
    def key(self) -> str:
        return f"{self.id}@{self.version}"


def parse_workflow_ref(ref: str) -> tuple[str, str | None]:
    """``standard@2021`` → ("standard", "2021"); ``standard`` → ("standard", None)."""
    match = re.fullmatch(r"([a-z][a-z0-9_]*)(?:@([A-Za-z0-9][A-Za-z0-9._-]*))?", ref)
    if match is None:
        raise ValueError(f"not a workflow reference: {ref!r} (expected ID or ID@VERSION)")
    return match.group(1), match.group(2)


# Literal kept for the JSON Schema's description of the built-in date names.
BuiltinDate = Literal["occurred_on", "birth_date"]

"""Report records: the period a report covers, its options, its rows and the one rounding rule of percentages.

Plain data (no I/O): the store computes the aggregates in SQL, ``services/reports.py`` turns them into these
records, and the adapters (CLI, REST, charts) render them. A percentage is always stated with its base: the
``base`` field of a row says what the count is a share of.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any, Literal, TypeVar

from admission_flow.errors import InvalidInput

REPORT_NAMES: tuple[str, ...] = (
    "attainment",
    "sourcing",
    "pipeline",
    "classes",
    "milestones",
    "composition",
    "deadlines",
    "durations",
)

# The canonical states in the order a candidate meets them (domain reference §6.2): the funnel's order.
STATE_ORDER: tuple[str, ...] = (
    "prospect",
    "sympathizer",
    "in_awareness_class",
    "awareness_certified",
    "dossier_in_progress",
    "awaiting_branch_vote",
    "awaiting_partial_appraisal",
    "awaiting_grassroots_vote",
    "awaiting_exception_consent",
    "awaiting_admission_decision",
    "awaiting_ceremony",
    "probationary",
    "awaiting_recognition_vote",
    "awaiting_recognition_decision",
    "vote_deadlock_escalated",
    "transfer_pending",
    "full_member",
    "struck_off",
    "dropped",
    "admission_rejected",
    "withdrawn",
    "deceased",
)

# Probationary and full members: the base "members on a date" (Kon Tum: 215 religious of 3,442 members).
MEMBER_STATES: tuple[str, ...] = (
    "probationary",
    "awaiting_recognition_vote",
    "awaiting_recognition_decision",
    "vote_deadlock_escalated",
    "full_member",
)

# The groups of the composition report, in the order they are printed.
GROUPS: tuple[str, ...] = (
    "women",
    "ethnic_minority",
    "religious",
    "youth_union",
    "student",
    "enterprise",
    "university",
    "manager",
)

GROUP_LABELS: dict[str, str] = {
    "women": "Nữ / women",
    "ethnic_minority": "Dân tộc thiểu số / ethnic minorities",
    "religious": "Có đạo / religious",
    "youth_union": "Đoàn viên / Youth Union members",
    "student": "Học sinh, sinh viên / students",
    "enterprise": "Trong doanh nghiệp / enterprise workers",
    "university": "Đại học trở lên / university or higher",
    "manager": "Lãnh đạo, quản lý / leaders and managers",
}

Base = Literal["admitted", "members"]


ROUNDINGS = {"half_up": ROUND_HALF_UP, "down": ROUND_DOWN}


def percent(part: int, whole: int | None, decimals: int = 1, rounding: str = "half_up") -> Decimal | None:
    """``part / whole`` as a percentage rounded to ``decimals`` places; None when there is no base. ``half_up``
    (the default: a tie goes away from zero) or ``down`` (cut off, as some articles print: Lào Cai's 242/587 =
    41.2266 % appears as 41.22). Decimal arithmetic, so 54.45 rounds to 54.5, never to 54.4 by binary noise."""
    if not whole:
        return None
    exact = Decimal(part) * 100 / Decimal(whole)
    return exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUNDINGS[rounding])


def largest_remainder(counts: list[int], decimals: int = 1) -> list[Decimal]:
    """Shares of a partition that sum to exactly 100 (Hamilton's method): every share is first cut down to
    ``decimals`` places, then the units still missing go one each to the largest remainders (ties: first)."""
    total = sum(counts)
    if total <= 0:
        return [Decimal(0) for _ in counts]
    unit = 10**decimals
    exact = [Decimal(c) * 100 * unit / total for c in counts]
    floors = [int(x) for x in exact]
    missing = 100 * unit - sum(floors)
    order = sorted(range(len(counts)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:missing]:
        floors[i] += 1
    step = Decimal(1).scaleb(-decimals)
    return [(Decimal(f) / unit).quantize(step) for f in floors]


@dataclass(frozen=True)
class Period:
    """The days a report covers, both ends included."""

    start: date
    end: date
    label: str
    kind: Literal["year", "term", "range"]

    @classmethod
    def of(
        cls, *, year: int | None = None, term: str | None = None, start: date | None = None, end: date | None = None
    ) -> Period:
        """Exactly one of: a ``year``; a congress ``term`` written ``2020-2025`` (1 January of the first year to
        31 December of the last); or ``start`` and ``end``."""
        chosen = sum(x is not None for x in (year, term)) + (start is not None or end is not None)
        if chosen != 1:
            raise InvalidInput("give one period: a year, a term (2020-2025), or a start and an end date")
        if year is not None:
            if not 1900 <= year <= 2200:
                raise InvalidInput(f"year {year} is out of range (1900-2200)")
            return cls(date(year, 1, 1), date(year, 12, 31), str(year), "year")
        if term is not None:
            first, sep, last = term.partition("-")
            if not (sep and first.isdigit() and last.isdigit() and len(first) == 4 and len(last) == 4):
                raise InvalidInput(f"term {term!r}: write it as two years, e.g. 2020-2025")
            if not 1900 <= int(first) <= int(last) <= 2200:
                raise InvalidInput(f"term {term!r}: the first year must not come after the last")
            return cls(date(int(first), 1, 1), date(int(last), 12, 31), term, "term")
        if start is None or end is None:
            raise InvalidInput("a period by dates needs both a start and an end date")
        if end < start:
            raise InvalidInput(f"the period ends ({end}) before it starts ({start})")
        return cls(start, end, f"{start.isoformat()}..{end.isoformat()}", "range")


@dataclass(frozen=True)
class ReportOptions:
    """The choices a report is computed with (from the settings; see ``docs/reports.md``)."""

    count_admissions_by: Literal["decision", "ceremony"] = "decision"
    tree: Literal["as_it_was", "as_it_is"] = "as_it_was"
    admission_trigger: str = "decide_admission"
    ceremony_trigger: str = "hold_ceremony"
    recognition_trigger: str = "decide_recognition"
    strike_off_trigger: str = "decide_strike_off"
    majority_ethnicity: str = "Kinh"
    no_religion: tuple[str, ...] = ("", "none", "không")
    student_occupations: tuple[str, ...] = ("student",)
    enterprise_occupations: tuple[str, ...] = ("enterprise_worker",)
    university_levels: tuple[str, ...] = ("university", "postgraduate")
    recognition_on_time_days: int = 90
    upcoming_days: int = 30
    decimals: int = 1
    rounding: Literal["half_up", "down"] = "half_up"
    sourcing_min: Decimal = Decimal(2)
    sourcing_max: Decimal = Decimal(3)

    @property
    def counted_trigger(self) -> str:
        """The event whose date counts as "admitted"."""
        return self.admission_trigger if self.count_admissions_by == "decision" else self.ceremony_trigger


# ---------------------------------------------------------------- rows


@dataclass(frozen=True)
class AttainmentRow:
    """Admissions against the target of one organisation (a child of the report's root), or the total."""

    org_id: str
    org_name: str
    target: int | None
    admitted: int
    attainment_pct: Decimal | None  # admitted / target × 100
    over_under_pct: Decimal | None  # attainment − 100: +14.8 means 14.8 % above the target


@dataclass(frozen=True)
class SourcingRow:
    """The sourcing plan of one organisation against its annual quota (the 2–3× rule)."""

    org_id: str
    org_name: str
    quota: int
    sourcing_plan: int | None
    ratio: Decimal | None  # sourcing_plan / quota, two decimals
    status: str  # ok | low | high | missing


@dataclass(frozen=True)
class PipelineRow:
    """How many attempts stood in a state on the report's date (the share sums to 100 by largest remainder)."""

    state: str
    count: int
    share_pct: Decimal


@dataclass(frozen=True)
class ClassRow:
    """Classes an organisation's subtree held in the period, and their attendees."""

    org_id: str
    org_name: str
    kind: str  # awareness | new_member
    classes: int
    attendees: int


@dataclass(frozen=True)
class MilestoneRow:
    """A count of the period, or a share with its base (recognised on time)."""

    measure: str
    count: int
    base: int | None = None
    base_label: str = ""
    percent: Decimal | None = None


@dataclass(frozen=True)
class CompositionRow:
    """How many of the base belong to a group, and the share."""

    group: str
    label: str
    count: int
    base: int
    base_label: str
    percent: Decimal | None


@dataclass(frozen=True)
class DeadlineRow:
    """Open deadlines of one kind in one state (the candidates' current stays): overdue, and due in the coming
    days."""

    deadline_id: str
    state: str
    overdue: int
    upcoming: int
    earliest_due: date | None


@dataclass(frozen=True)
class DurationRow:
    """Days spent in a state, over the stays that ended in the period (from consecutive events)."""

    state: str
    stays: int
    average_days: Decimal
    p90_days: int  # nearest rank: the smallest stay at least 90 % of the stays do not exceed


@dataclass(frozen=True)
class Report:
    """One report: what it covers, its rows (one record type per report) and the notes that state its bases,
    definitions and rounding."""

    name: str
    title: str
    org_id: str
    org_name: str
    period: Period
    rows: tuple[Any, ...]
    notes: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)

    def columns(self) -> list[str]:
        """The row fields, in order (the header of a table, a CSV or a sheet)."""
        return [f.name for f in fields(self.rows[0])] if self.rows else []

    def table(self) -> list[list[Any]]:
        """The rows as lists of plain values, in ``columns()`` order."""
        return [[getattr(row, name) for name in self.columns()] for row in self.rows]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (dates as ISO text, percentages as numbers)."""
        return {
            "report": self.name,
            "title": self.title,
            "org_id": self.org_id,
            "org_name": self.org_name,
            "period": {
                "label": self.period.label,
                "start": self.period.start.isoformat(),
                "end": self.period.end.isoformat(),
            },
            "notes": list(self.notes),
            "meta": {k: _plain(v) for k, v in self.meta.items()},
            "rows": [{k: _plain(v) for k, v in asdict(row).items()} for row in self.rows],
        }


R = TypeVar("R")


def record_maker(cls: type[R]) -> Callable[..., R]:
    """A constructor of the frozen record ``cls`` (no defaults applied, no ``__post_init__``): its fields
    positionally, giving the same object as ``cls(...)`` (equal, same repr and hash) without the frozen
    ``__init__``'s one ``object.__setattr__`` per field, about half its cost; for a report of hundreds of rows.
    The function is written out for the record's own field names (identifiers), as one dict display."""
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    body = ", ".join(f"{name!r}: {name}" for name in names)
    code = f"def make({', '.join(names)}):\n    row = _new(_cls)\n    _set(row, '__dict__', {{{body}}})\n    return row"
    scope: dict[str, Any] = {"_new": object.__new__, "_set": object.__setattr__, "_cls": cls}
    exec(code, scope)  # the code is built above from the record's field names only
    make: Callable[..., R] = scope["make"]
    return make


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    return value

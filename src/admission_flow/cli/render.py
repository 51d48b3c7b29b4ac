"""Human output with rich; machine output (--json) as plain JSON on stdout."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape as escape
from rich.table import Table

from admission_flow.domain.records import (
    CandidateRecord,
    DeadlineRecord,
    EventRecord,
    FireResult,
    Option,
    OrgRecord,
)
from admission_flow.errors import AdmissionFlowError, TransitionRefused, WorkflowDefinitionError

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")


def reasons_table(reasons: Sequence[dict[str, Any]], title: str = "Reasons / Lý do") -> Table:
    table = Table(title=title, show_lines=False)
    for column in ("code", "guard", "tiếng Việt", "English"):
        table.add_column(column)
    for r in reasons:
        table.add_row(r["code"], r["guard"], r["message"]["vi"], r["message"]["en"])
    return table


def error(exc: AdmissionFlowError, *, as_json: bool) -> None:
    if as_json:
        payload: dict[str, Any] = {"error": exc.code, "message": str(exc)}
        if isinstance(exc, TransitionRefused):
            payload["reasons"] = [r.as_dict() for r in exc.reasons]
        if isinstance(exc, WorkflowDefinitionError):
            payload["problems"] = [str(p) for p in exc.problems]
        emit_json(payload)
        return
    if isinstance(exc, WorkflowDefinitionError):
        for problem in exc.problems:
            err.print(str(problem), markup=False)
        err.print(f"[red]{len(exc.problems)} problem(s)[/red]")
    elif isinstance(exc, TransitionRefused):
        err.print(f"[red]refused[/red]: {exc.trigger} in state {exc.state}")
        err.print(reasons_table([r.as_dict() for r in exc.reasons]))
    else:
        err.print(f"[red]error[/red] ({exc.code}): {escape(str(exc))}", markup=True)


def orgs(records: Sequence[OrgRecord]) -> None:
    table = Table(title="Organisations")
    for column in ("id", "kind", "name", "parent", "youth union", "trade union"):
        table.add_column(column)
    for o in records:
        table.add_row(o.id, o.kind, o.name, o.parent_id or "", _yes(o.has_youth_union), _yes(o.has_trade_union))
    out.print(table)


def candidates(records: Sequence[CandidateRecord]) -> None:
    table = Table(title=f"Candidates ({len(records)})")
    for column in ("id", "name", "org", "workflow", "state", "version"):
        table.add_column(column)
    for c in records:
        table.add_row(c.id, c.full_name, c.org_id, c.workflow, c.state, str(c.version))
    out.print(table)


def version(value: bool) -> None:
    """``--version``: print the package's version and stop."""
    if value:
        from admission_flow import __version__

        out.print(f"admission-flow {__version__}")
        raise typer.Exit()


def candidate(record: CandidateRecord, state_label: str, deadlines: Sequence[DeadlineRecord] = ()) -> None:
    out.print(f"[bold]{record.full_name}[/bold] ({record.id}) — {record.org_id}")
    out.print(
        f"  workflow {record.workflow}  state [bold]{record.state}[/bold] ({state_label})  version {record.version}"
    )
    personal = {
        "birth date": record.birth_date,
        "sex": record.sex,
        "ethnicity": record.ethnicity,
        "religion": record.religion,
        "education": record.education,
    }
    out.print("  " + "  ".join(f"{k}: {v}" for k, v in personal.items() if v is not None))
    identifiers = {
        "personal id": record.personal_id,
        "party card": record.party_card_no,
        "old card": record.old_card_no,
    }
    shown = [f"{k}: {v}" for k, v in identifiers.items() if v is not None] + (
        ["leader/manager"] if record.manager else []
    )
    if shown:
        out.print("  " + "  ".join(shown))
    if record.dates:
        table = Table(title="Recorded dates")
        table.add_column("date")
        table.add_column("value")
        for name, value in sorted(record.dates.items(), key=lambda kv: kv[1]):
            table.add_row(name, value)
        out.print(table)
    if record.flags:
        out.print("  flags: " + ", ".join(record.flags))
    if record.documents:
        out.print("  documents: " + ", ".join(f"{k}×{len(v)}" for k, v in record.documents.items()))
    if not deadlines:
        out.print("  open deadlines: none")
    for d in deadlines:
        when = f"{-d.days_left} day(s) overdue" if d.overdue else f"in {d.days_left} day(s)"
        out.print(f"  deadline {d.deadline} ({d.label['vi']}): due {d.due_on.isoformat()}, {when}")


def fired(result: FireResult) -> None:
    note = " (replayed: nothing written)" if result.replayed else ""
    out.print(
        f"[green]ok[/green] {result.trigger}: {result.from_state} → [bold]{result.to_state}[/bold] "
        f"on {result.occurred_on.isoformat()} (event {result.event_id}, version {result.version}){note}"
    )


def options(records: Sequence[Option]) -> None:
    table = Table(title="What can happen next / Việc có thể làm tiếp")
    for column in ("trigger", "→ state", "allowed", "why not (vi / en)"):
        table.add_column(column)
    for o in records:
        why = "\n".join(f"{r['code']}: {r['message']['vi']} / {r['message']['en']}" for r in o.reasons)
        table.add_row(o.trigger, o.dest, "[green]yes[/green]" if o.allowed else "[red]no[/red]", why)
    out.print(table)


def history(records: Sequence[EventRecord]) -> None:
    table = Table(title="History / Lịch sử")
    for column in ("#", "paper date", "trigger", "from → to", "actor", "role", "recorded at"):
        table.add_column(column)
    for e in records:
        table.add_row(
            str(e.seq),
            e.occurred_on.isoformat(),
            e.trigger,
            f"{e.from_state or '—'} → {e.to_state}",
            e.actor,
            e.role or "",
            e.recorded_at.isoformat(timespec="seconds"),
        )
    out.print(table)


def _yes(value: bool) -> str:
    return "yes" if value else ""

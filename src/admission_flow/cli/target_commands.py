"""CLI commands for planning: ``target set|list|remove|allocation`` and ``class add|list|remove``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from admission_flow.cli import parse, render
from admission_flow.cli.app import JsonOpt, app, handled, open_flow
from admission_flow.domain.planning import AllocationRecord, PlanWarning, TargetRecord

target_app = typer.Typer(
    help="Term targets and annual quotas, and their allocation down the tree.", no_args_is_help=True
)
class_app = typer.Typer(help="Party-awareness and new-member classes held.", no_args_is_help=True)
app.add_typer(target_app, name="target")
app.add_typer(class_app, name="class")

KindOpt = Annotated[str, typer.Option(help="annual (a year's quota) or term (a congress term's target).")]
YearOpt = Annotated[int | None, typer.Option(help="A calendar year (1 January – 31 December).")]
FromOpt = Annotated[str | None, typer.Option("--from", help="Start date (YYYY-MM-DD or DD/MM/YYYY).")]
ToOpt = Annotated[str | None, typer.Option("--to", help="End date, inclusive.")]
OrgFilter = Annotated[str | None, typer.Option("--org", help="Only this organisation and everything under it.")]


def _date(text: str | None) -> date | None:
    return None if text is None else parse.parse_date(text)


def _print_warnings(warnings: Sequence[PlanWarning]) -> None:
    for w in warnings:
        render.err.print(f"[yellow]warning[/yellow] ({w.code}) {escape(w.org_id)}: {escape(w.message_vi)}")
        render.err.print(f"        {escape(w.message_en)}", markup=True)


@target_app.command("set")
@handled
def target_set(
    ctx: typer.Context,
    org: Annotated[str, typer.Argument(metavar="ORG")],
    admissions: Annotated[int, typer.Option(help="Admissions aimed at in the period.")],
    kind: KindOpt = "annual",
    year: YearOpt = None,
    start: FromOpt = None,
    end: ToOpt = None,
    sourcing_plan: Annotated[int | None, typer.Option(help="People in the sourcing plan (2–3× the quota).")] = None,
    note: Annotated[str | None, typer.Option()] = None,
    as_json: JsonOpt = False,
) -> None:
    """Set or replace a target (same organisation, kind and start date); warnings do not refuse it."""
    with open_flow(ctx) as flow:
        record = flow.set_target(
            org,
            kind=kind,
            admissions=admissions,
            year=year,
            starts_on=_date(start),
            ends_on=_date(end),
            sourcing_plan=sourcing_plan,
            note=note,
        )
    if as_json:
        return render.emit_json(record.as_dict())
    render.out.print(
        f"[green]ok[/green] {escape(record.org_id)} {record.kind} {record.starts_on} – {record.ends_on}: "
        f"{record.admissions} admissions"
        + ("" if record.sourcing_plan is None else f", sourcing plan {record.sourcing_plan}")
    )
    _print_warnings(record.warnings)


@target_app.command("list")
@handled
def target_list(
    ctx: typer.Context,
    org: OrgFilter = None,
    kind: Annotated[str | None, typer.Option(help="annual or term.")] = None,
    year: YearOpt = None,
    start: FromOpt = None,
    end: ToOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List targets (those whose period meets the year or dates given), with their sourcing-plan warnings."""
    with open_flow(ctx) as flow:
        records = flow.targets(org_id=org, kind=kind, year=year, starts=_date(start), ends=_date(end))
    if as_json:
        return render.emit_json([r.as_dict() for r in records])
    _targets_table(records)


def _targets_table(records: Sequence[TargetRecord]) -> None:
    table = Table(title=f"Targets / Chỉ tiêu ({len(records)})")
    for column in ("org", "kind", "from", "to", "admissions", "sourcing plan", "warning"):
        table.add_column(column)
    for r in records:
        plan = "" if r.sourcing_plan is None else str(r.sourcing_plan)
        warning = ", ".join(w.code for w in r.warnings)
        table.add_row(r.org_id, r.kind, str(r.starts_on), str(r.ends_on), str(r.admissions), plan, warning)
    render.out.print(table)


@target_app.command("remove")
@handled
def target_remove(
    ctx: typer.Context,
    org: Annotated[str, typer.Argument(metavar="ORG")],
    kind: KindOpt = "annual",
    year: YearOpt = None,
    start: FromOpt = None,
) -> None:
    """Remove the target of an organisation, kind and start date (or year)."""
    starts_on = date(year, 1, 1) if year is not None else _date(start)
    if starts_on is None:
        raise typer.BadParameter("give --year or --from")
    with open_flow(ctx) as flow:
        flow.remove_target(org, kind=kind, starts_on=starts_on)
    render.out.print(f"[green]ok[/green] removed {escape(org)} {kind} from {starts_on}")


@target_app.command("allocation")
@handled
def target_allocation(
    ctx: typer.Context,
    org: OrgFilter = None,
    kind: KindOpt = "annual",
    year: YearOpt = None,
    start: FromOpt = None,
    end: ToOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Each parent's target beside the sum of its children's for the same period (short or over: a warning)."""
    with open_flow(ctx) as flow:
        records = flow.allocation(kind=kind, org_id=org, year=year, starts=_date(start), ends=_date(end))
    if as_json:
        return render.emit_json([r.as_dict() for r in records])
    _allocation_table(records)


def _allocation_table(records: Sequence[AllocationRecord]) -> None:
    table = Table(title="Allocation / Phân bổ chỉ tiêu")
    for column in ("org", "from", "to", "target", "children", "with target", "allocated", "status"):
        table.add_column(column)
    for r in records:
        status = r.status if r.status in ("balanced", "unallocated") else f"[yellow]{r.status}[/yellow]"
        cells = (r.org_id, str(r.starts_on), str(r.ends_on), str(r.admissions), str(r.children))
        table.add_row(*cells, str(r.children_with_target), str(r.allocated), status)
    render.out.print(table)
    _print_warnings([w for r in records for w in r.warnings])


@class_app.command("add")
@handled
def class_add(
    ctx: typer.Context,
    org: Annotated[str, typer.Argument(metavar="ORG")],
    reference: Annotated[str, typer.Option(help="The class's number or name (unique per organisation and kind).")],
    start: Annotated[str, typer.Option("--from", help="First day.")],
    attendees: Annotated[int, typer.Option(help="People who attended.")],
    kind: Annotated[str, typer.Option(help="awareness or new_member.")] = "awareness",
    end: ToOpt = None,
    note: Annotated[str | None, typer.Option()] = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a party-awareness class or a new-member class an organisation held."""
    with open_flow(ctx) as flow:
        record = flow.add_class(
            org,
            kind=kind,
            reference=reference,
            starts_on=parse.parse_date(start),
            ends_on=_date(end),
            attendees=attendees,
            note=note,
        )
    if as_json:
        return render.emit_json(record.as_dict())
    render.out.print(f"[green]ok[/green] {escape(record.org_id)} {record.kind} class {escape(record.reference)}")


@class_app.command("list")
@handled
def class_list(
    ctx: typer.Context,
    org: OrgFilter = None,
    kind: Annotated[str | None, typer.Option(help="awareness or new_member.")] = None,
    year: YearOpt = None,
    start: FromOpt = None,
    end: ToOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List classes held (in the year or between the dates given), with a total of attendees."""
    with open_flow(ctx) as flow:
        records = flow.classes(org_id=org, kind=kind, year=year, starts=_date(start), ends=_date(end))
    if as_json:
        return render.emit_json([r.as_dict() for r in records])
    table = Table(title=f"Classes / Lớp bồi dưỡng ({len(records)})")
    for column in ("org", "kind", "reference", "from", "to", "attendees"):
        table.add_column(column)
    for r in records:
        table.add_row(r.org_id, r.kind, r.reference, str(r.starts_on), str(r.ends_on or ""), str(r.attendees))
    render.out.print(table)
    render.out.print(f"{len(records)} class(es), {sum(r.attendees for r in records)} attendee(s)")


@class_app.command("remove")
@handled
def class_remove(
    ctx: typer.Context,
    org: Annotated[str, typer.Argument(metavar="ORG")],
    reference: Annotated[str, typer.Option()],
    kind: Annotated[str, typer.Option(help="awareness or new_member.")] = "awareness",
) -> None:
    """Remove a class recorded by mistake."""
    with open_flow(ctx) as flow:
        flow.remove_class(org, kind=kind, reference=reference)
    render.out.print(f"[green]ok[/green] removed {escape(org)} {kind} class {escape(reference)}")

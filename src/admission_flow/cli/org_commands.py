"""CLI commands for the organisation tree over time: rename, move, merge, authority, dissolve, update (each with
``--effective DATE``), history, the tree now or as of a date, and import and export of the tree (CSV, YAML)."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from admission_flow.cli import parse, render
from admission_flow.cli.app import JsonOpt, handled, open_flow, org_app
from admission_flow.domain.org_history import OrgChangeRecord, authority_of
from admission_flow.domain.records import OrgRecord
from admission_flow.errors import InvalidFile, InvalidInput

EffectiveOpt = Annotated[
    str | None,
    typer.Option("--effective", help="Date the change takes effect, YYYY-MM-DD or DD/MM/YYYY (default today)."),
]
ActorOpt = Annotated[str, typer.Option(help="Who records the change.")]
NoteOpt = Annotated[str | None, typer.Option(help="Why: the decision's number and date, for instance.")]


def _date(text: str | None) -> date | None:
    return None if text is None else parse.parse_date(text)


def _done(change: OrgChangeRecord, as_json: bool) -> None:
    if as_json:
        render.emit_json(change.as_dict())
        return
    render.out.print(
        f"[green]ok[/green] {escape(change.org_id)}: {change.change} from {change.effective_on.isoformat()} "
        f"{escape(_short(change.before))} → {escape(_short(change.after))}"
    )


def _short(values: dict[str, Any], limit: int = 60) -> str:
    """``k=v, …`` with each value cut to ``limit`` characters (``--json`` gives them whole)."""
    shown = (f"{k}={v}" if len(str(v)) <= limit else f"{k}={str(v)[:limit]}…" for k, v in values.items() if v != {})
    return ", ".join(shown) or "—"


@org_app.command("rename")
@handled
def org_rename(
    ctx: typer.Context,
    org_id: Annotated[str, typer.Argument(metavar="ID")],
    name: Annotated[str, typer.Argument(metavar="NAME")],
    effective: EffectiveOpt = None,
    actor: ActorOpt = "cli",
    note: NoteOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Give an organisation a new name from a date."""
    with open_flow(ctx) as flow:
        _done(flow.rename_org(org_id, name, effective_on=_date(effective), actor=actor, note=note), as_json)


@org_app.command("move")
@handled
def org_move(
    ctx: typer.Context,
    org_id: Annotated[str, typer.Argument(metavar="ID")],
    parent: Annotated[str, typer.Argument(metavar="PARENT", help="The new parent ('-' for none: a root).")],
    effective: EffectiveOpt = None,
    actor: ActorOpt = "cli",
    note: NoteOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Put an organisation (and everything under it) under another parent from a date."""
    with open_flow(ctx) as flow:
        change = flow.move_org(
            org_id, None if parent == "-" else parent, effective_on=_date(effective), actor=actor, note=note
        )
        _done(change, as_json)


@org_app.command("merge")
@handled
def org_merge(
    ctx: typer.Context,
    org_id: Annotated[str, typer.Argument(metavar="ID")],
    into: Annotated[str, typer.Option(help="The organisation it merges into.")],
    effective: EffectiveOpt = None,
    actor: ActorOpt = "cli",
    note: NoteOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Merge an organisation into another: its children and running candidates move; it ends on the date."""
    with open_flow(ctx) as flow:
        _done(flow.merge_org(org_id, into, effective_on=_date(effective), actor=actor, note=note), as_json)


@org_app.command("authority")
@handled
def org_authority(
    ctx: typer.Context,
    org_id: Annotated[str, typer.Argument(metavar="ID")],
    grant: Annotated[list[str] | None, typer.Option(help="Power to grant: admission, recognition, consent.")] = None,
    withdraw: Annotated[list[str] | None, typer.Option(help="Power to withdraw (repeatable).")] = None,
    effective: EffectiveOpt = None,
    actor: ActorOpt = "cli",
    note: NoteOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Grant or withdraw the powers of an organisation's standing board from a date."""
    if not grant and not withdraw:
        raise InvalidInput("give --grant POWER or --withdraw POWER")
    with open_flow(ctx) as flow:
        change = flow.set_org_authority(
            org_id, grant=grant or [], withdraw=withdraw or [], effective_on=_date(effective), actor=actor, note=note
        )
        _done(change, as_json)


@org_app.command("dissolve")
@handled
def org_dissolve(
    ctx: typer.Context,
    org_id: Annotated[str, typer.Argument(metavar="ID")],
    effective: EffectiveOpt = None,
    actor: ActorOpt = "cli",
    note: NoteOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """End an organisation with nothing under it and no candidate in progress (otherwise merge it)."""
    with open_flow(ctx) as flow:
        _done(flow.dissolve_org(org_id, effective_on=_date(effective), actor=actor, note=note), as_json)


@org_app.command("update")
@handled
def org_update(
    ctx: typer.Context,
    org_id: Annotated[str, typer.Argument(metavar="ID")],
    kind: Annotated[str | None, typer.Option(help="A new kind.")] = None,
    youth_union: Annotated[bool | None, typer.Option("--youth-union/--no-youth-union")] = None,
    trade_union: Annotated[bool | None, typer.Option("--trade-union/--no-trade-union")] = None,
    contact: Annotated[
        list[str] | None, typer.Option(help="ROLE=NAME <EMAIL> (repeatable): replaces every contact.")
    ] = None,
    effective: EffectiveOpt = None,
    actor: ActorOpt = "cli",
    note: NoteOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change an organisation's kind, union flags or contacts from a date."""
    changes: dict[str, Any] = {}
    if kind is not None:
        changes["kind"] = kind
    if youth_union is not None:
        changes["has_youth_union"] = youth_union
    if trade_union is not None:
        changes["has_trade_union"] = trade_union
    if contact:
        changes["contacts"] = parse.parse_contacts(contact)
    with open_flow(ctx) as flow:
        _done(flow.update_org(org_id, effective_on=_date(effective), actor=actor, note=note, **changes), as_json)


@org_app.command("history")
@handled
def org_history(
    ctx: typer.Context, org_id: Annotated[str, typer.Argument(metavar="ID")], as_json: JsonOpt = False
) -> None:
    """The changes of an organisation, in the order they took effect."""
    with open_flow(ctx) as flow:
        records = flow.org_history(org_id)
    if as_json:
        render.emit_json([r.as_dict() for r in records])
        return
    table = Table(title=f"History of {escape(org_id)} / Lịch sử tổ chức")
    for column in ("effective", "change", "before", "after", "actor", "note", "recorded at"):
        table.add_column(column)
    for r in records:
        effective, after = r.effective_on.isoformat(), r.after
        if r.change == "create":  # the creation: from when, and what matters to find it again
            effective = r.after.get("valid_from") or "always / từ trước"
            after = {k: r.after.get(k) for k in ("name", "kind", "parent_id")}
        table.add_row(
            effective,
            r.change,
            escape(_short(r.before)),
            escape(_short(after)),
            escape(r.actor),
            escape(r.note or ""),
            r.recorded_at.isoformat(timespec="seconds"),
        )
    render.out.print(table)


def _label(org: OrgRecord) -> str:
    powers = authority_of(org.attributes)
    held = f"  [cyan]{', '.join(powers)}[/cyan]" if powers else ""
    return f"[bold]{escape(org.id)}[/bold] {escape(org.name)} [dim]({org.kind})[/dim]{held}"


@org_app.command("tree")
@handled
def org_tree(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option(help="The tree as it stood on this date (default: now).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The organisation tree now (dissolved organisations left out) or as of a date, with the powers held."""
    with open_flow(ctx) as flow:
        records = flow.org_tree(as_of=_date(as_of))
    if as_json:
        render.emit_json([r.as_dict() for r in records])
        return
    ids = {o.id for o in records}
    children: dict[str | None, list[OrgRecord]] = {}
    for org in records:
        children.setdefault(org.parent_id if org.parent_id in ids else None, []).append(org)
    root = Tree(f"Organisations{' as of ' + as_of if as_of else ''} / Cây tổ chức")

    def grow(branch: Tree, parent: str | None) -> None:
        for org in children.get(parent, []):
            grow(branch.add(_label(org)), org.id)

    grow(root, None)
    render.out.print(root)


@org_app.command("export")
@handled
def org_export(
    ctx: typer.Context,
    format: Annotated[str, typer.Option("--format", help="csv or yaml.")] = "csv",
    as_of: Annotated[str | None, typer.Option(help="The tree as it stood on this date (default: now).")] = None,
    output: Annotated[Path | None, typer.Option(help="Write to this file (default: standard output).")] = None,
) -> None:
    """Write the tree as CSV or YAML, which `org import` reads back."""
    with open_flow(ctx) as flow:
        text = flow.export_orgs(format=format, as_of=_date(as_of))
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        render.err.print(f"[green]ok[/green] wrote {escape(str(output))}")


@org_app.command("import")
@handled
def org_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A .csv, .yaml or .yml file.")],
    effective: EffectiveOpt = None,
    format: Annotated[str | None, typer.Option("--format", help="csv or yaml (default: from the extension).")] = None,
    actor: ActorOpt = "import",
    as_json: JsonOpt = False,
) -> None:
    """Create the file's new organisations and record each difference of the others as a change effective
    --effective (default today). All or nothing; every problem is listed with its line (and column)."""
    kind = format or ("yaml" if file.suffix.lower() in (".yaml", ".yml") else "csv")
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read {file}: {exc}") from None
    with open_flow(ctx) as flow:
        try:
            report = flow.import_orgs(
                text, format=kind, file_name=str(file), effective_on=_date(effective), actor=actor
            )
        except InvalidFile as exc:
            if as_json:
                render.emit_json({"error": exc.code, "problems": [p.__dict__ for p in exc.problems]})
            else:
                for problem in exc.problems:
                    render.err.print(str(problem), markup=False)
                render.err.print(f"[red]{len(exc.problems)} problem(s); nothing was imported / không nhập gì[/red]")
            raise typer.Exit(exc.exit_code) from None
    if as_json:
        render.emit_json(report.as_dict())
        return
    seen = " (this file was imported before)" if report.seen_before else ""
    render.out.print(
        f"[green]ok[/green] {escape(str(file))}: {report.rows} row(s), {len(report.created)} created, "
        f"{len(report.changes)} change(s) effective {report.effective_on.isoformat()}, "
        f"{report.unchanged} unchanged{seen}"
    )
    for item in report.changes:
        render.out.print(f"  {escape(item['org_id'])}: {item['change']}")

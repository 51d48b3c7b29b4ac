"""``handover export`` and ``handover reconcile``: the hand-over to the national party-member database.

``reconcile`` exits 0 when both lists agree and 4 (the contract's "conflict") when anything mismatched, so a
script can tell the two apart without reading the output.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.markup import escape
from rich.table import Table

from admission_flow.cli import parse, render
from admission_flow.cli.app import JsonOpt, app, handled, open_flow
from admission_flow.domain.handover import KINDS, ReconcileReport
from admission_flow.errors import InvalidInput

handover_app = typer.Typer(help="Hand-over to the national party-member database.", no_args_is_help=True)
app.add_typer(handover_app, name="handover")

FromOpt = Annotated[str | None, typer.Option("--from", help="First day of the period (YYYY-MM-DD or DD/MM/YYYY).")]
ToOpt = Annotated[str | None, typer.Option("--to", help="Last day of the period, inclusive.")]
MISMATCHED = 4


def _date(text: str | None) -> Any:
    return None if text is None else parse.parse_date(text)


@handover_app.command("export")
@handled
def handover_export(
    ctx: typer.Context,
    org: Annotated[str, typer.Option(help="Organisation whose subtree is handed over.")],
    output: Annotated[Path, typer.Option(help="File to write (.csv or .xlsx).")],
    start: FromOpt = None,
    end: ToOpt = None,
    fmt: Annotated[str | None, typer.Option("--format", help="csv or xlsx (default: from the file name).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Write who was admitted or recognised as a full member in the period, keyed on the personal id."""
    from admission_flow.tabular import format_of

    found = format_of(output, fmt)
    with open_flow(ctx) as flow:
        export = flow.handover_export(org, starts=_date(start), ends=_date(end))
        content = flow.handover_file(export, found)
    output.write_bytes(content)
    held = export.without_personal_id
    if as_json:
        summary = {"output": str(output), "rows": len(export.rows), "without_personal_id": [r.as_dict() for r in held]}
        return render.emit_json(summary)
    render.out.print(f"[green]ok[/green] {len(export.rows)} row(s) written to {escape(str(output))}")
    for r in held:
        render.err.print(
            f"[yellow]warning[/yellow] (personal_id_missing) {escape(r.candidate_id)} {escape(r.full_name)} "
            f"({escape(r.org_id)}, {r.change}): no personal id, not in the file / chưa có số định danh cá nhân"
        )


def _mapping(path: Path | None, pairs: list[str] | None) -> dict[str, str] | None:
    found: dict[str, str] = {}
    if path is not None:
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise InvalidInput(f"{path}: cannot read the mapping ({exc})") from None
        if not isinstance(loaded, dict) or not all(isinstance(v, str) for v in loaded.values()):
            raise InvalidInput(f"{path}: a mapping is 'our_field: their column header' lines")
        found.update({str(k): v for k, v in loaded.items()})
    for pair in pairs or []:
        field, sep, column = pair.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise InvalidInput(f"--map {pair!r}: expected FIELD=COLUMN")
        found[field.strip()] = column.strip()
    return found or None


@handover_app.command("reconcile")
@handled
def handover_reconcile(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The member database's list (.csv or .xlsx).")],
    mapping: Annotated[Path | None, typer.Option(help="YAML file: our_field: their column header.")] = None,
    map_pairs: Annotated[list[str] | None, typer.Option("--map", help="FIELD=COLUMN (repeatable).")] = None,
    org: Annotated[str | None, typer.Option(help="Whose hand-over they should hold (for 'missing').")] = None,
    start: FromOpt = None,
    end: ToOpt = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv, xlsx or json.")] = "table",
    output: Annotated[Path | None, typer.Option(help="Write the mismatches here (csv/xlsx).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Compare the member database's list with ours; exit 4 if anything mismatched."""
    try:
        content = file.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"{file}: cannot read ({exc.strerror})") from None
    fmt = "json" if as_json else fmt
    if fmt not in ("table", "csv", "xlsx", "json"):
        raise InvalidInput(f"--format must be table, csv, xlsx or json, not {fmt!r}")
    with open_flow(ctx) as flow:
        report = flow.handover_reconcile(
            content,
            file_name=str(file),
            mapping=_mapping(mapping, map_pairs),
            org_id=org,
            starts=_date(start),
            ends=_date(end),
        )
        table_file = flow.reconcile_file(report, fmt) if fmt in ("csv", "xlsx") else None
    _show(report, fmt, table_file, output)
    if not report.clean:
        raise typer.Exit(MISMATCHED)


def _show(report: ReconcileReport, fmt: str, table_file: bytes | None, output: Path | None) -> None:
    if fmt == "json":
        render.emit_json({**report.as_dict(), "clean": report.clean})
        return
    if table_file is not None:
        if output is None and fmt == "xlsx":
            raise InvalidInput("--format xlsx needs --output FILE")
        if output is None:
            render.out.file.write(table_file.decode("utf-8-sig"))
        else:
            output.write_bytes(table_file)
    elif report.mismatches:
        table = Table(title="Mismatches / Chênh lệch")
        for column in ("kind", "row", "personal id", "candidate", "name", "field", "ours", "theirs", "reason"):
            table.add_column(column)
        for m in report.mismatches:
            cells = (m.kind, str(m.row or ""), m.personal_id or "", m.candidate_id or "", m.full_name or "")
            more = (m.field or "", _shown(m.ours), _shown(m.theirs), m.reason or "")
            table.add_row(*(escape(c) for c in (*cells, *more)))
        render.out.print(table)
    counts = ", ".join(f"{kind} {report.counts[kind]}" for kind in KINDS)
    summary = f"{report.rows_read} row(s) read, {report.matched} matched; {counts}"
    (render.err if fmt == "csv" and output is None else render.out).print(summary, markup=False)


def _shown(value: Any) -> str:
    return "" if value is None else str(value)

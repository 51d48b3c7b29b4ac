"""CLI command for bulk import: ``admission-flow import candidates FILE --mapping MAPPING.yaml [--dry-run]
[--report rejected.csv]``. A rich progress bar on a terminal (stderr), the rejected rows as a table and, with
``--report``, as a CSV file (UTF-8 with a byte-order mark, so spreadsheet programs show the Vietnamese)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from admission_flow.cli import render
from admission_flow.cli.app import JsonOpt, app, handled, open_flow
from admission_flow.domain.import_mapping import ImportResult, Rejection

import_app = typer.Typer(help="Bulk import of paper-era records from CSV or XLSX.", no_args_is_help=True)
app.add_typer(import_app, name="import")

REFUSED_EXIT = 4  # some row was rejected: nothing was written
SHOWN = 200  # rejected rows printed; the report file has them all
REPORT_COLUMNS = ("row", "column", "code", "reason_vi", "reason_en")


@import_app.command("candidates")
@handled
def import_candidates(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The spreadsheet: .csv (UTF-8) or .xlsx.")],
    mapping: Annotated[Path, typer.Option(help="The column-mapping YAML file (see docs/import.md).")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check every row; write nothing.")] = False,
    report: Annotated[Path | None, typer.Option(help="Write the rejected rows to this CSV file.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Import candidates and their paper history, all or nothing: any rejected row and nothing is written."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    # Drawn when the import reports progress (every 500 rows), not by rich's refresh thread: the import forks
    # its worker processes only from a process that runs no other thread (services/import_workers.py).
    quiet = as_json or not render.err.is_terminal
    with (
        open_flow(ctx) as flow,
        Progress(*columns, console=render.err, transient=True, disable=quiet, auto_refresh=False) as bar,
    ):
        task = bar.add_task("checking rows / kiểm tra", total=None)

        def progress(phase: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, refresh=True)

        result = flow.import_candidates(file, mapping, dry_run=dry_run, progress=progress)
    if report is not None:
        write_report(report, result.rejected)
    if as_json:
        render.emit_json(as_dict(result))
    else:
        show(result, report)
    if result.rejected:
        raise typer.Exit(REFUSED_EXIT)


def write_report(path: Path, rejected: tuple[Rejection, ...]) -> None:
    with path.open("w", newline="", encoding="utf-8-sig") as f:
        out = csv.writer(f)
        out.writerow(REPORT_COLUMNS)
        out.writerows((r.row, r.column, r.code, r.vi, r.en) for r in rejected)


def as_dict(result: ImportResult) -> dict[str, object]:
    seen = result.seen_before
    return {
        "file": result.file,
        "sha256": result.sha256,
        "rows": result.rows,
        "accepted": result.accepted,
        "written": result.written,
        "dry_run": result.dry_run,
        "seen_before": None if seen is None else {"file": seen[0], "rows": seen[1], "imported_at": seen[2].isoformat()},
        "states": dict(result.states),
        "workflows": dict(result.workflows),
        "events": result.events,
        "documents": result.documents,
        "timers": result.timers,
        "rejected": [
            {"row": r.row, "column": r.column, "code": r.code, "vi": r.vi, "en": r.en} for r in result.rejected
        ],
    }


def show(result: ImportResult, report: Path | None) -> None:
    name = escape(result.file)
    if result.seen_before is not None:
        when = result.seen_before[2].strftime("%Y-%m-%d %H:%M UTC")
        render.out.print(
            f"[yellow]unchanged[/yellow] {name} was already imported on {when} ({result.seen_before[1]} rows): "
            "nothing to do / tệp này đã được nhập, không thay đổi gì"
        )
        return
    if result.rejected:
        table = Table(title=f"Rejected rows / Dòng bị từ chối: {len(result.rejected)} problem(s)")
        for column in ("row", "column", "code", "lý do", "reason"):
            table.add_column(column, overflow="fold")
        for r in result.rejected[:SHOWN]:
            table.add_row(str(r.row), escape(r.column), r.code, escape(r.vi), escape(r.en))
        render.out.print(table)
        if len(result.rejected) > SHOWN:
            more = f"… {len(result.rejected) - SHOWN} more"
            render.out.print(more + (f" in {report}" if report else " (use --report FILE to get them all)"))
        render.out.print(
            f"[red]refused[/red] {name}: {result.accepted} of {result.rows} rows passed; nothing was written "
            "/ không ghi dòng nào (all or nothing per file)"
        )
        return
    verb = "checked (dry run, nothing written)" if result.dry_run else "imported"
    render.out.print(f"[green]ok[/green] {name}: {result.accepted} candidates {verb}")
    render.out.print(
        f"  audit rows {result.events}, papers {result.documents}, timer rows {result.timers}; "
        f"workflows: {', '.join(f'{k} {v}' for k, v in sorted(result.workflows.items()))}"
    )
    render.out.print("  states: " + ", ".join(f"{k} {v}" for k, v in sorted(result.states.items())))

"""``admission-flow report NAME``: a report of an organisation subtree over a period, as a table, CSV, JSON or
XLSX, with an optional chart (PNG or SVG)."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from admission_flow.cli import render
from admission_flow.cli.app import app, handled, open_flow
from admission_flow.cli.parse import parse_date
from admission_flow.domain.reports import REPORT_NAMES, Report
from admission_flow.errors import InvalidInput


def _shown(value: Any) -> str:
    if value is None:
        return "–"
    return escape(str(value))


def show_table(report: Report) -> None:
    """The report as a rich table, its notes (bases, definitions, rounding) under it."""
    table = Table(title=f"{report.title}\n{report.org_name} ({report.org_id}) · {report.period.label}")
    numeric = (
        {
            name
            for name, value in zip(report.columns(), report.table()[0], strict=True)
            if isinstance(value, int | Decimal)
        }
        if report.rows
        else set()
    )
    for name in report.columns():
        table.add_column(name, justify="right" if name in numeric else "left")
    for values in report.table():
        table.add_row(*(_shown(v) for v in values))
    render.out.print(table)
    for note in report.notes:
        render.out.print(f"• {escape(note)}")


@app.command("report")
@handled
def report_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help=f"One of: {', '.join(REPORT_NAMES)}.")],
    org: Annotated[str, typer.Option(help="The organisation whose subtree is reported.")],
    year: Annotated[int | None, typer.Option(help="A calendar year.")] = None,
    term: Annotated[str | None, typer.Option(help="A congress term, e.g. 2020-2025.")] = None,
    start: Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD or DD/MM/YYYY).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day, included.")] = None,
    base: Annotated[str, typer.Option(help="composition: admitted (in the period) or members (on --on).")] = "admitted",
    among: Annotated[str | None, typer.Option(help="composition: narrow the base to a group, e.g. religious.")] = None,
    on: Annotated[str | None, typer.Option(help="members / pipeline: the day (default: the period's end).")] = None,
    decimals: Annotated[int | None, typer.Option(help="Decimal places of percentages (default: settings).")] = None,
    rounding: Annotated[str | None, typer.Option(help="half_up (default) or down.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv, json or xlsx.")] = "table",
    output: Annotated[Path | None, typer.Option(help="Write the file here (needed for xlsx).")] = None,
    chart: Annotated[Path | None, typer.Option(help="Also draw the chart to this .png or .svg file.")] = None,
) -> None:
    """Print a report: attainment, sourcing, pipeline, classes, milestones, composition, deadlines, durations."""
    if fmt not in ("table", "csv", "json", "xlsx"):
        raise InvalidInput(f"unknown format {fmt!r}; one of: table, csv, json, xlsx")
    if fmt == "xlsx" and output is None:
        raise InvalidInput("--format xlsx writes a workbook: give --output FILE.xlsx")
    chart_format = None
    if chart is not None:
        chart_format = chart.suffix.lower().lstrip(".")
        if chart_format not in ("png", "svg"):
            raise InvalidInput(f"--chart {chart}: the file must end in .png or .svg")
    with open_flow(ctx) as flow:
        report = flow.report(
            name,
            org,
            year=year,
            term=term,
            start=parse_date(start) if start else None,
            end=parse_date(end) if end else None,
            base=base,
            among=among,
            on=parse_date(on) if on else None,
            decimals=decimals,
            rounding=rounding,
        )
        data = None if fmt == "table" else flow.export_report(report, fmt)
        picture = None if chart_format is None else flow.report_chart(report, chart_format)
    if data is None:
        show_table(report)
    elif output is not None:
        output.write_bytes(data)
        render.err.print(f"wrote {output}")
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    if picture is not None and chart is not None:
        chart.write_bytes(picture)
        render.err.print(f"wrote {chart}")

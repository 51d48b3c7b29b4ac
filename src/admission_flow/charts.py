"""Charts of report records as PNG or SVG bytes (matplotlib, no window: a ``Figure`` rendered by the Agg canvas).

Attainment bars by organisation (the 100 % line marked), a funnel of attempts by stage, composition bars;
the other reports get plain bars of their main figure. DejaVu Sans, which ships with matplotlib, renders the
Vietnamese diacritics. The dashboard calls :func:`chart` with the same records the CLI and the API get.
"""

from __future__ import annotations

import io
import textwrap
from typing import Any

from admission_flow.domain.reports import Report
from admission_flow.errors import InvalidInput

FONT = "DejaVu Sans"
CHART_FORMATS = ("png", "svg")
BLUE, GREY, RED, GREEN = "#1f5fa8", "#9aa5b1", "#c0392b", "#2e8b57"


def _figure(rows: int) -> Any:
    from matplotlib.figure import Figure  # loaded only when a chart is drawn

    figure = Figure(figsize=(9, max(3.0, 0.45 * rows + 1.6)), dpi=110, layout="constrained")
    return figure, figure.add_subplot()


def _title(axes: Any, report: Report, what: str) -> None:
    head = textwrap.fill(f"{report.org_name} — {report.period.label}", 80)
    axes.set_title(f"{head}\n{what}", fontsize=11, loc="left")


def _attainment(report: Report) -> Any:
    rows = [r for r in report.rows if r.attainment_pct is not None] or list(report.rows)
    figure, axes = _figure(len(rows))
    names = [r.org_name for r in rows][::-1]
    values = [float(r.attainment_pct or 0) for r in rows][::-1]
    colours = [GREEN if v >= 100 else RED for v in values]
    bars = axes.barh(names, values, color=colours)
    axes.axvline(100, color="black", linewidth=1, linestyle="--")
    for bar, row in zip(bars, rows[::-1], strict=True):
        target = "–" if row.target is None else row.target
        share = "–" if row.attainment_pct is None else row.attainment_pct
        label = f"{row.admitted}/{target}  {share} %"
        axes.text(bar.get_width() + 1, bar.get_y() + bar.get_height() / 2, label, va="center", fontsize=9)
    axes.set_xlabel("% chỉ tiêu / % of target")
    axes.set_xlim(0, max([*values, 100]) * 1.3)
    _title(axes, report, "Kết nạp so với chỉ tiêu / admissions against the target")
    return figure


def _funnel(report: Report) -> Any:
    rows = list(report.rows)
    figure, axes = _figure(len(rows))
    counts = [r.count for r in rows][::-1]
    widest = max(counts, default=1) or 1
    lefts = [(widest - c) / 2 for c in counts]
    bars = axes.barh([r.state for r in rows][::-1], counts, left=lefts, color=BLUE)
    for bar, row in zip(bars, rows[::-1], strict=True):
        axes.text(
            widest / 2,
            bar.get_y() + bar.get_height() / 2,
            f"{row.count} ({row.share_pct} %)",
            va="center",
            ha="center",
            fontsize=9,
            color="white" if row.count > widest * 0.2 else "black",
        )
    axes.set_xticks([])
    _title(axes, report, "Số người theo bước / attempts by stage")
    return figure


def _composition(report: Report) -> Any:
    rows = list(report.rows)
    figure, axes = _figure(len(rows))
    values = [float(r.percent or 0) for r in rows][::-1]
    bars = axes.barh([r.label for r in rows][::-1], values, color=BLUE)
    for bar, row in zip(bars, rows[::-1], strict=True):
        axes.text(
            bar.get_width() + 0.5,
            bar.get_y() + bar.get_height() / 2,
            f"{row.count} ({'–' if row.percent is None else row.percent} %)",
            va="center",
            fontsize=9,
        )
    axes.set_xlim(0, 128)
    axes.set_xlabel(f"% của / of: {rows[0].base_label} = {rows[0].base}" if rows else "%")
    _title(axes, report, "Cơ cấu / composition")
    return figure


MAIN_FIGURE = {
    "sourcing": ("org_name", "ratio"),
    "classes": ("org_name", "attendees"),
    "milestones": ("measure", "count"),
    "deadlines": ("deadline_id", "overdue"),
    "durations": ("state", "average_days"),
}


def _bars(report: Report) -> Any:
    label, value = MAIN_FIGURE[report.name]
    rows = list(report.rows)
    figure, axes = _figure(len(rows))
    names = [f"{getattr(r, label)}" + (f" · {r.kind}" if report.name == "classes" else "") for r in rows][::-1]
    values = [float(getattr(r, value) or 0) for r in rows][::-1]
    axes.barh(names, values, color=GREY if report.name == "deadlines" else BLUE)
    axes.set_xlabel(value)
    _title(axes, report, report.title)
    return figure


DRAW = {"attainment": _attainment, "pipeline": _funnel, "composition": _composition}


def chart(report: Report, fmt: str = "png") -> bytes:
    """The report's chart as PNG or SVG bytes."""
    if fmt not in CHART_FORMATS:
        raise InvalidInput(f"unknown chart format {fmt!r}; one of: {', '.join(CHART_FORMATS)}")
    import matplotlib

    with matplotlib.rc_context({"font.family": FONT, "svg.fonttype": "path"}):
        figure = DRAW.get(report.name, _bars)(report)
        if not report.rows:
            figure.axes[0].text(0.5, 0.5, "không có số liệu / no data", ha="center", transform=figure.axes[0].transAxes)
        out = io.BytesIO()
        figure.savefig(out, format=fmt)
    return out.getvalue()

"""A report as a file: CSV, JSON or XLSX bytes (the CLI's ``--format``, the REST API's ``?format=``).

Every format carries the same rows and the notes that state the bases, definitions and rounding: JSON as a
``notes`` list, CSV as ``#`` lines after the table, XLSX on a second sheet.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Any

from admission_flow.domain.reports import Report
from admission_flow.errors import InvalidInput

FORMATS = ("csv", "json", "xlsx")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _cell(value: Any) -> Any:
    """A value as a cell: percentages as numbers, dates as ISO text, None as empty."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def as_csv(report: Report) -> bytes:
    """UTF-8 with a BOM (spreadsheet programs then read the Vietnamese names right), notes as ``#`` lines."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(report.columns())
    for values in report.table():
        writer.writerow([_cell(v) for v in values])
    for note in (f"{report.title}: {report.org_name} ({report.org_id}), {report.period.label}", *report.notes):
        writer.writerow([f"# {note}"])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def as_json(report: Report) -> bytes:
    return json.dumps(report.as_dict(), ensure_ascii=False, indent=2).encode("utf-8")


def as_xlsx(report: Report) -> bytes:
    """A workbook: the report on the first sheet (header in bold, columns sized), the notes on the second."""
    from openpyxl import Workbook  # loaded only when a workbook is asked for
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.create_sheet(index=0)
    book.remove(book.worksheets[1])  # the empty sheet a new workbook starts with
    sheet.title = report.name[:31]
    sheet.append(report.columns())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for values in report.table():
        sheet.append([_cell(v) for v in values])
    for index, name in enumerate(report.columns(), start=1):
        widest = max([len(str(name)), *(len(str(_cell(r[index - 1]))) for r in report.table())])
        sheet.column_dimensions[get_column_letter(index)].width = min(60, widest + 2)
    notes = book.create_sheet("notes")
    notes.append([f"{report.title}: {report.org_name} ({report.org_id}), {report.period.label}"])
    for note in report.notes:
        notes.append([note])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export(report: Report, fmt: str) -> bytes:
    """The report in ``fmt`` (csv, json, xlsx)."""
    writers = {"csv": as_csv, "json": as_json, "xlsx": as_xlsx}
    if fmt not in writers:
        raise InvalidInput(f"unknown format {fmt!r}; one of: {', '.join(FORMATS)}")
    return writers[fmt](report)

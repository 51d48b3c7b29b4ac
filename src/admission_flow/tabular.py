"""Tables in files: write rows as CSV or XLSX, read a CSV or XLSX file back as rows keyed by its header.

CSV is written as UTF-8 with a byte-order mark (so spreadsheet programs show Vietnamese correctly) and read as
UTF-8 with or without one. XLSX goes through openpyxl; dates stay dates in both directions. A row read back
carries its line (CSV) or row number (XLSX), so a bad value can be named as ``file:row: column: reason``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from admission_flow.errors import InvalidInput

FORMATS = ("csv", "xlsx")
MAX_ROWS = 2_000_000  # a file larger than the whole Party is not a member list


@dataclass(frozen=True)
class ReadRow:
    """One data row of a file: its number as a person sees it (the header is row 1) and its cells by header."""

    number: int
    cells: dict[str, Any]


def format_of(path: Path, given: str | None = None) -> str:
    """``csv`` or ``xlsx``: as given, else from the file name's suffix."""
    found = (given or path.suffix.lstrip(".")).lower()
    if found not in FORMATS:
        raise InvalidInput(f"{path}: unknown format {found!r}; use .csv or .xlsx (or --format csv|xlsx)")
    return found


def _cell(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    return "" if value is None else value


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(header: Sequence[str], rows: Iterable[Sequence[Any]], title: str = "Sheet1") -> bytes:
    from openpyxl import Workbook  # loaded only for XLSX

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.append(list(header))
    for row in rows:
        sheet.append([v.isoformat() if isinstance(v, datetime) else v for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write(fmt: str, header: Sequence[str], rows: Iterable[Sequence[Any]], title: str = "Sheet1") -> bytes:
    return to_xlsx(header, rows, title) if fmt == "xlsx" else to_csv(header, rows)


def read(content: bytes, fmt: str, name: str) -> tuple[list[str], list[ReadRow]]:
    """The header (stripped) and every non-empty data row of a CSV or XLSX file (the first sheet)."""
    header, rows = _read_xlsx(content, name) if fmt == "xlsx" else _read_csv(content, name)
    header = [str(h).strip() if h is not None else "" for h in header]
    seen: set[str] = set()
    for column in header:
        if column and column in seen:
            raise InvalidInput(f"{name}:1: column {column!r} appears twice in the header")
        seen.add(column)
    found: list[ReadRow] = []
    for number, values in rows:
        if len(found) >= MAX_ROWS:
            raise InvalidInput(f"{name}: more than {MAX_ROWS:,} rows")
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        cells = {h: (values[i] if i < len(values) else None) for i, h in enumerate(header) if h}
        found.append(ReadRow(number, cells))
    return header, found


def _read_csv(content: bytes, name: str) -> tuple[list[Any], list[tuple[int, list[Any]]]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{name}: not UTF-8 text (byte {exc.start}); save the CSV as UTF-8") from None
    lines = list(csv.reader(io.StringIO(text, newline="")))
    if not lines:
        raise InvalidInput(f"{name}: the file is empty (a header row is needed)")
    return lines[0], [(i + 2, list(r)) for i, r in enumerate(lines[1:])]


def _read_xlsx(content: bytes, name: str) -> tuple[list[Any], list[tuple[int, list[Any]]]]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InvalidInput(f"{name}: not a readable XLSX file ({exc})") from None
    try:
        sheet = book.worksheets[0]
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    finally:
        book.close()
    if not rows:
        raise InvalidInput(f"{name}: the first sheet is empty (a header row is needed)")
    return rows[0], [(i + 2, r) for i, r in enumerate(rows[1:])]

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
    """The header (stripped) and every non-empty data row of a CSV or XLSX file (the first sheet), keyed by header."""
    header, rows = read_rows(content, fmt, name)
    seen: set[str] = set()
    for column in header:
        if column and column in seen:
            raise InvalidInput(f"{name}:1: column {column!r} appears twice in the header")
        seen.add(column)
    if len(rows) > MAX_ROWS:
        raise InvalidInput(f"{name}: more than {MAX_ROWS:,} rows")
    found = [
        ReadRow(number, {h: (values[i] if i < len(values) else None) for i, h in enumerate(header) if h})
        for number, values in rows
    ]
    return header, found


def read_rows(
    content: bytes, fmt: str, name: str, sheet: str | None = None
) -> tuple[list[str], list[tuple[int, Sequence[Any]]]]:
    """The header (each cell stripped text) and the non-empty data rows with their numbers as a person sees them
    (the header is row 1). CSV: UTF-8 with or without a byte-order mark, comma, semicolon or tab (whichever the
    header line holds most of). XLSX: ``sheet``, or the first."""
    header, rows = _read_xlsx(content, name, sheet) if fmt == "xlsx" else _read_csv(content, name)
    return [str(h).strip() if h is not None else "" for h in header], rows


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _read_csv(content: bytes, name: str) -> tuple[Sequence[Any], list[tuple[int, Sequence[Any]]]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{name}: not UTF-8 text (byte {exc.start}); save the CSV as UTF-8") from None
    delimiter = max((",", ";", "\t"), key=text.split("\n", 1)[0].count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    if header is None:
        raise InvalidInput(f"{name}: the file is empty (a header row is needed)")
    return header, [(i, r) for i, r in enumerate(reader, start=2) if not all(map(_blank, r))]


def _read_xlsx(content: bytes, name: str, sheet: str | None) -> tuple[Sequence[Any], list[tuple[int, Sequence[Any]]]]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook  # loaded only for XLSX

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InvalidInput(f"{name}: not a readable XLSX file ({type(exc).__name__}: {exc})") from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise InvalidInput(f"{name}: no sheet {sheet!r}; sheets: {', '.join(book.sheetnames)}")
        found = (book[sheet] if sheet is not None else book.worksheets[0]).iter_rows(values_only=True)
        header = next(found, None)
        if header is None:
            raise InvalidInput(f"{name}: the sheet is empty (a header row is needed)")
        rows: list[tuple[int, Sequence[Any]]] = [
            (i, r) for i, r in enumerate(found, start=2) if not all(map(_blank, r))
        ]
    finally:
        book.close()
    return header, rows

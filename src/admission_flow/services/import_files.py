"""Reading an import's spreadsheet: CSV (UTF-8, with or without a byte-order mark; comma, semicolon or tab) or XLSX
(openpyxl in read-only mode, streaming its rows), as a header and numbered rows. Row numbers are the spreadsheet's:
the header is row 1, so a report's "row 7" is the seventh line a person sees in the file.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from admission_flow.errors import InvalidInput

MAX_FILE_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Sheet:
    """A file read: its header, its data rows (number, cells), how many there are, and the SHA-256 of its bytes."""

    name: str
    sha256: str
    header: tuple[str, ...]
    rows: list[tuple[int, Sequence[Any]]]


def read_sheet(path: Path, sheet: str | None = None) -> Sheet:
    """The file at ``path`` (by its suffix: ``.csv`` or ``.xlsx``), or ``InvalidInput`` saying why not."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read the file: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput(f"{path}: the file is over {MAX_FILE_BYTES // (1024 * 1024)} MiB")
    digest = hashlib.sha256(data).hexdigest()
    suffix = path.suffix.lower()
    if suffix == ".csv":
        header, rows = _csv(path, data)
    elif suffix in (".xlsx", ".xlsm"):
        header, rows = _xlsx(path, data, sheet)
    else:
        raise InvalidInput(f"{path}: import reads .csv or .xlsx files, not {suffix or 'a file without a suffix'!r}")
    return Sheet(path.name, digest, header, rows)


def _csv(path: Path, data: bytes) -> tuple[tuple[str, ...], list[tuple[int, Sequence[Any]]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path}: the file is not UTF-8 (byte {exc.start}); save it as CSV UTF-8") from None
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = _header(path, next(reader, None))
    rows: list[tuple[int, Sequence[Any]]] = [(i, r) for i, r in enumerate(reader, start=2) if any(c.strip() for c in r)]
    return header, rows


def _xlsx(path: Path, data: bytes, sheet: str | None) -> tuple[tuple[str, ...], list[tuple[int, Sequence[Any]]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign file
        raise InvalidInput(f"{path}: not a readable XLSX workbook ({type(exc).__name__}: {exc})") from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise InvalidInput(f"{path}: no sheet {sheet!r}; sheets: {', '.join(book.sheetnames)}")
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        found: Iterator[tuple[Any, ...]] = ws.iter_rows(values_only=True)
        header = _header(path, next(found, None))
        rows: list[tuple[int, Sequence[Any]]] = [
            (i, r) for i, r in enumerate(found, start=2) if any(c not in (None, "") for c in r)
        ]
    finally:
        book.close()
    return header, rows


def _header(path: Path, row: Sequence[Any] | None) -> tuple[str, ...]:
    if row is None:
        raise InvalidInput(f"{path}: the file is empty (no header row)")
    return tuple("" if c is None else str(c).strip() for c in row)


def column_index(path_name: str, header: Sequence[str], needed: Sequence[str]) -> dict[str, int]:
    """Each needed header's position, or ``InvalidInput`` naming every one the file lacks."""
    index: dict[str, int] = {}
    for i, name in enumerate(header):
        index.setdefault(name, i)
    missing = [h for h in needed if h not in index]
    if missing:
        raise InvalidInput(
            f"{path_name}:1: the mapping names column(s) the file lacks: {', '.join(map(repr, missing))}; "
            f"the file's columns: {', '.join(map(repr, header))}"
        )
    return index

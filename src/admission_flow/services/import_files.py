"""Reading an import's spreadsheet (``tabular.read_rows``: CSV in UTF-8 with comma, semicolon or tab, or XLSX in
openpyxl's read-only mode) as a header and numbered rows, with the SHA-256 of its bytes. Row numbers are the
spreadsheet's: the header is row 1, so a report's "row 7" is the seventh line a person sees in the file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from admission_flow.errors import InvalidInput
from admission_flow.tabular import read_rows

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
    if suffix not in (".csv", ".xlsx", ".xlsm"):
        raise InvalidInput(f"{path}: import reads .csv or .xlsx files, not {suffix or 'a file without a suffix'!r}")
    header, rows = read_rows(data, "csv" if suffix == ".csv" else "xlsx", str(path), sheet)
    return Sheet(path.name, digest, tuple(header), rows)


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

"""The facade's bulk-import door: candidates and their paper history from a CSV or XLSX file, checked against the
workflow in force on the paper dates, all or nothing per file. ``AdmissionFlow`` inherits it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from admission_flow.domain.import_mapping import ImportMapping, ImportResult, parse_mapping
from admission_flow.errors import InvalidInput
from admission_flow.services import imports
from admission_flow.services.deps import Deps
from admission_flow.services.imports import Progress


class ImportDoors:
    _deps: Deps

    def import_candidates(
        self,
        path: str | Path,
        mapping: str | Path | ImportMapping | dict[str, Any],
        *,
        dry_run: bool = False,
        progress: Progress | None = None,
    ) -> ImportResult:
        """Import the candidates of ``path`` (``.csv`` or ``.xlsx``) as ``mapping`` (a YAML file, its data or a
        parsed mapping) says. Any rejected row: nothing is written (``result.rejected`` lists row, column, code
        and reasons). The same file again: nothing is written (``result.seen_before``). ``progress(phase, done,
        total)`` is called as rows are checked and written."""
        return imports.import_candidates(
            self._deps, Path(path), load_mapping(mapping), dry_run=dry_run, progress=progress
        )


def load_mapping(mapping: str | Path | ImportMapping | dict[str, Any]) -> ImportMapping:
    """A mapping from a YAML file's path, its parsed data, or as is."""
    if isinstance(mapping, ImportMapping):
        return mapping
    if isinstance(mapping, dict):
        return parse_mapping(mapping)
    path = Path(mapping)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read the mapping: {exc.strerror or exc}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path}: not a YAML file: {exc}") from None
    return parse_mapping(data, str(path))

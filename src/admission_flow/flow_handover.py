"""The facade's doors for the hand-over to the national party-member database. ``AdmissionFlow`` inherits them.

``handover_export`` lists a subtree's newly admitted and newly recognised members, keyed on the personal
identification number; ``handover_reconcile`` compares the member database's list (CSV or XLSX) with ours.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path

from admission_flow import tabular
from admission_flow.domain.handover import COLUMNS, HandoverExport, Mismatch, ReconcileReport
from admission_flow.domain.inputs import check_text
from admission_flow.errors import InvalidInput
from admission_flow.services import handover
from admission_flow.services.deps import Deps

MISMATCH_COLUMNS = tuple(Mismatch.__dataclass_fields__)


def _period(starts: date | None, ends: date | None) -> None:
    if starts is not None and ends is not None and ends < starts:
        raise InvalidInput(f"the period ends ({ends}) before it starts ({starts})")


class HandoverDoors:
    _deps: Deps

    def handover_export(
        self,
        org_id: str | None = None,
        *,
        starts: date | None = None,
        ends: date | None = None,
        within: str | None = None,
    ) -> HandoverExport:
        """Who in ``org_id``'s subtree was admitted (decision signed) or recognised as a full member (recognition
        decision signed) between ``starts`` and ``ends``, inclusive. People without a personal identification
        number are not in ``rows`` but in ``without_personal_id``, so that nobody is dropped unseen."""
        check_text(org_id=org_id)
        _period(starts, ends)
        return handover.export(self._deps, org_id, starts, ends, within)

    def handover_file(self, export: HandoverExport, fmt: str = "csv") -> bytes:
        """The export as a CSV (UTF-8 with BOM) or XLSX file, one row per person, columns as ``COLUMNS``."""
        if fmt not in tabular.FORMATS:
            raise InvalidInput(f"format must be csv or xlsx, not {fmt!r}")
        return tabular.write(fmt, COLUMNS, (r.cells() for r in export.rows), title="handover")

    def handover_reconcile(
        self,
        content: bytes,
        *,
        file_name: str,
        fmt: str | None = None,
        mapping: Mapping[str, str] | None = None,
        org_id: str | None = None,
        starts: date | None = None,
        ends: date | None = None,
        within: str | None = None,
    ) -> ReconcileReport:
        """Compare the member database's list with ours: ``not_here`` (listed there, no such person here),
        ``missing`` (handed over for the period, not listed there), ``different`` (a date, the name or the card
        number differs: field and both values), ``invalid`` (an id or a date that cannot be read, or an id twice).
        ``mapping``: our field → their column header (default: the export's own column names)."""
        check_text(org_id=org_id)
        _period(starts, ends)
        found = tabular.format_of(Path(file_name), fmt)
        return handover.reconcile_file(
            self._deps,
            content,
            found,
            file_name,
            mapping=mapping,
            org_id=org_id,
            starts=starts,
            ends=ends,
            within=within,
        )

    def reconcile_file(self, report: ReconcileReport, fmt: str = "csv") -> bytes:
        """The mismatches as a CSV or XLSX file (one row each, columns as ``Mismatch``'s fields)."""
        if fmt not in tabular.FORMATS:
            raise InvalidInput(f"format must be csv or xlsx, not {fmt!r}")
        rows = ([getattr(m, c) for c in MISMATCH_COLUMNS] for m in report.mismatches)
        return tabular.write(fmt, MISMATCH_COLUMNS, rows, title="mismatches")

"""The facade's report doors: the figures the seed articles publish (targets met, composition, classes,
recognitions, deadlines, stage durations) for an organisation subtree and a period, as typed report records.

``AdmissionFlow`` inherits them. The choices a report depends on (which event counts as admitted, which tree,
which values mean minority, student, enterprise worker, university) come from the settings (``report_*``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from admission_flow import charts, exports
from admission_flow.domain.reports import REPORT_NAMES, Period, Report, ReportOptions
from admission_flow.errors import InvalidInput
from admission_flow.services import reports
from admission_flow.services.deps import Deps
from admission_flow.settings import Settings


def report_options(settings: Settings, decimals: int | None = None, rounding: str | None = None) -> ReportOptions:
    """The report choices of these settings (``decimals`` and ``rounding`` override ``report_percent_decimals``
    and ``report_rounding``)."""
    if decimals is not None and not 0 <= decimals <= 4:
        raise InvalidInput(f"decimals {decimals}: give 0 to 4")
    if rounding is not None and rounding not in ("half_up", "down"):
        raise InvalidInput(f"rounding {rounding!r}: one of half_up, down")
    return ReportOptions(
        count_admissions_by=settings.report_count_admissions_by,
        tree=settings.report_tree,
        admission_trigger=settings.report_admission_trigger,
        ceremony_trigger=settings.report_ceremony_trigger,
        recognition_trigger=settings.report_recognition_trigger,
        strike_off_trigger=settings.report_strike_off_trigger,
        majority_ethnicity=settings.report_majority_ethnicity,
        no_religion=tuple(settings.report_no_religion),
        student_occupations=tuple(settings.report_student_occupations),
        enterprise_occupations=tuple(settings.report_enterprise_occupations),
        university_levels=tuple(settings.report_university_levels),
        recognition_on_time_days=settings.report_recognition_on_time_days,
        upcoming_days=settings.report_upcoming_days,
        decimals=settings.report_percent_decimals if decimals is None else decimals,
        rounding="half_up" if (rounding or settings.report_rounding) == "half_up" else "down",
        sourcing_min=Decimal(2),
        sourcing_max=Decimal(3),
    )


class ReportDoors:
    _deps: Deps
    settings: Settings

    def report_names(self) -> list[str]:
        return list(REPORT_NAMES)

    def report(
        self,
        name: str,
        org_id: str,
        *,
        year: int | None = None,
        term: str | None = None,
        start: date | None = None,
        end: date | None = None,
        base: str = "admitted",
        among: str | None = None,
        on: date | None = None,
        decimals: int | None = None,
        rounding: str | None = None,
        within: str | None = None,
    ) -> Report:
        """The report ``name`` (see ``report_names()``) of ``org_id``'s subtree over one period: a ``year``, a
        ``term`` ("2020-2025") or ``start``..``end``. ``composition`` takes ``base`` ("admitted" in the period, or
        "members" on ``on``, default the period's end) and ``among`` (a group the base is narrowed to);
        ``pipeline`` reads states on ``on``. With ``within``, ``org_id`` must lie in that subtree."""
        period = Period.of(year=year, term=term, start=start, end=end)
        options = report_options(self.settings, decimals, rounding)
        return reports.build_report(
            self._deps, name, org_id, period, options, within=within, base=base, among=among, on=on
        )

    def export_report(self, report: Report, fmt: str) -> bytes:
        """The report as a file: ``csv`` (UTF-8 with BOM, notes as # lines), ``json`` or ``xlsx``."""
        return exports.export(report, fmt)

    def report_chart(self, report: Report, fmt: str = "png") -> bytes:
        """The report's chart (attainment bars, stage funnel, composition bars...) as ``png`` or ``svg`` bytes."""
        return charts.chart(report, fmt)

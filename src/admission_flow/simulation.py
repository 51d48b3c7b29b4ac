"""Deprecated path, kept for one release: use ``AdmissionFlow.simulate`` (the use case is
:mod:`admission_flow.services.simulation`)."""

from __future__ import annotations

from datetime import date

from admission_flow.domain.records import TimelineEntry
from admission_flow.flow import AdmissionFlow
from admission_flow.services.simulation import Step, default_path, parse_path
from admission_flow.settings import Settings


def simulate(
    settings: Settings,
    workflow: str,
    start: date,
    *,
    path: list[Step] | None = None,
    birth_date: date = date(1998, 5, 17),
    org_id: str = "ks.anmy.ap1",
) -> list[TimelineEntry]:
    sandbox = settings.model_copy(update={"database_url": "sqlite://"})
    with AdmissionFlow(sandbox) as flow:
        return flow.simulate(workflow, start, path=path, birth_date=birth_date, org_id=org_id)


__all__ = ["Step", "TimelineEntry", "default_path", "parse_path", "simulate"]

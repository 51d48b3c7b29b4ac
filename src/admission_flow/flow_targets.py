"""The facade's doors for planning: term targets and annual quotas, their allocation down the tree, the
sourcing plan's 2–3× rule (warnings), and the classes held. ``AdmissionFlow`` inherits them.

``within``: as everywhere, answer and act only inside that organisation's subtree.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from admission_flow.domain.inputs import validated
from admission_flow.domain.planning import (
    AllocationRecord,
    ClassRecord,
    NewClass,
    NewTarget,
    SourcingRule,
    TargetRecord,
    year_period,
)
from admission_flow.errors import ConfigurationError, InvalidInput
from admission_flow.services import planning
from admission_flow.services.deps import Deps
from admission_flow.settings import Settings


def _period(year: int | None, starts: date | None, ends: date | None) -> tuple[date | None, date | None]:
    """A calendar year, or the dates given (either may be open)."""
    if year is None:
        return starts, ends
    if starts is not None or ends is not None:
        raise InvalidInput("give a year or dates, not both")
    if not 1900 <= year <= 2999:
        raise InvalidInput(f"year {year} is out of range")
    return year_period(year)


class TargetDoors:
    _deps: Deps
    settings: Settings

    @property
    def sourcing_rule(self) -> SourcingRule:
        """The 2–3× rule with the configured factors (``sourcing_plan_min_factor``/``_max_factor``)."""
        low, high = self.settings.sourcing_plan_min_factor, self.settings.sourcing_plan_max_factor
        if low > high:
            raise ConfigurationError(f"sourcing_plan_min_factor {low} is above sourcing_plan_max_factor {high}")
        return SourcingRule.of(low, high)

    def set_target(
        self,
        org_id: str,
        *,
        kind: str,
        admissions: int,
        year: int | None = None,
        starts_on: date | None = None,
        ends_on: date | None = None,
        sourcing_plan: int | None = None,
        note: str | None = None,
        within: str | None = None,
    ) -> TargetRecord:
        """Set (or replace: same organisation, kind and start) a term target or an annual quota. ``year`` stands for
        1 January to 31 December. The record's ``warnings`` hold the 2–3× check of the sourcing plan and how the
        organisation's and its parent's targets are allocated to their children; none of them refuses."""
        starts_on, ends_on = _period(year, starts_on, ends_on)
        values: dict[str, Any] = {"org_id": org_id, "kind": kind, "admissions": admissions, "note": note}
        values.update(starts_on=starts_on, ends_on=ends_on, sourcing_plan=sourcing_plan)
        return planning.set_target(self._deps, validated(NewTarget, values), self.sourcing_rule, within)

    def targets(
        self,
        *,
        org_id: str | None = None,
        kind: str | None = None,
        year: int | None = None,
        starts: date | None = None,
        ends: date | None = None,
        within: str | None = None,
    ) -> list[TargetRecord]:
        """Targets of ``org_id``'s subtree (or every one in scope) whose period meets the year or dates given."""
        starts, ends = _period(year, starts, ends)
        return planning.list_targets(
            self._deps, self.sourcing_rule, within=within, org_id=org_id, kind=kind, starts=starts, ends=ends
        )

    def remove_target(self, org_id: str, *, kind: str, starts_on: date, within: str | None = None) -> None:
        planning.remove_target(self._deps, org_id, kind, starts_on, within)

    def allocation(
        self,
        *,
        kind: str = "annual",
        org_id: str | None = None,
        year: int | None = None,
        starts: date | None = None,
        ends: date | None = None,
        within: str | None = None,
    ) -> list[AllocationRecord]:
        """Each parent's target beside its children's sum for the same period: ``balanced``, ``short``, ``over``
        (each of the last two with a warning) or ``unallocated`` (no child has one yet)."""
        if kind not in ("term", "annual"):
            raise InvalidInput(f"kind must be term or annual, not {kind!r}")
        starts, ends = _period(year, starts, ends)
        return planning.allocation(self._deps, kind=kind, within=within, org_id=org_id, starts=starts, ends=ends)

    def add_class(self, org_id: str, *, within: str | None = None, **values: Any) -> ClassRecord:
        """Record an awareness (``awareness``) or new-member (``new_member``) class: reference, starts_on,
        ends_on, attendees, note. The reference is unique per organisation and kind."""
        return planning.add_class(self._deps, validated(NewClass, {"org_id": org_id, **values}), within)

    def classes(
        self,
        *,
        org_id: str | None = None,
        kind: str | None = None,
        year: int | None = None,
        starts: date | None = None,
        ends: date | None = None,
        within: str | None = None,
    ) -> list[ClassRecord]:
        """Classes of ``org_id``'s subtree (or every one in scope) held in the year or between the dates given."""
        starts, ends = _period(year, starts, ends)
        return planning.list_classes(self._deps, within=within, org_id=org_id, kind=kind, starts=starts, ends=ends)

    def remove_class(self, org_id: str, *, kind: str, reference: str, within: str | None = None) -> None:
        planning.remove_class(self._deps, org_id, kind, reference, within)

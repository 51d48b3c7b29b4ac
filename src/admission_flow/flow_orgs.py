"""The facade's doors to the organisation tree over time: changes with effective dates (each one transaction
and audited), the tree as it stood on a date, an organisation's history, and import and export of the tree.

``AdmissionFlow`` inherits them. ``effective_on`` is the date written on the decision that changed the tree
(default: today); ``within`` answers only about that organisation's subtree, as elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from admission_flow.domain.inputs import NewOrg, check_lengths, check_text, json_safe, validated
from admission_flow.domain.org_history import POWERS, OrgChangeRecord, OrgImportReport
from admission_flow.domain.records import OrgRecord
from admission_flow.errors import InvalidInput
from admission_flow.services import org_changes, org_import
from admission_flow.services.deps import Deps

NOTE_LIMIT = 2000


def _powers(values: Iterable[str], what: str) -> list[str]:
    found = [values] if isinstance(values, str) else list(values)
    unknown = [p for p in found if p not in POWERS]
    if unknown:
        raise InvalidInput(f"{what}: unknown power(s) {', '.join(map(repr, unknown))}; one of: {', '.join(POWERS)}")
    return found


class OrgHistoryDoors:
    _deps: Deps

    def _stamp(
        self, effective_on: date | None, actor: str, note: str | None, *, default_today: bool = True
    ) -> org_changes.Stamp:
        check_lengths(actor=actor, role=None, idempotency_key=None)
        check_text(actor=actor)
        if note is not None and len(note) > NOTE_LIMIT:
            raise InvalidInput(f"note is longer than {NOTE_LIMIT} characters")
        if effective_on is not None and not isinstance(effective_on, date):
            raise InvalidInput("effective_on must be a date")
        return org_changes.stamp(self._deps, effective_on, actor, note, default_today=default_today)

    # ---------------------------------------------------------------- changes

    def create_org(
        self,
        *,
        effective_on: date | None = None,
        actor: str = "system",
        note: str | None = None,
        within: str | None = None,
        **values: Any,
    ) -> OrgRecord:
        """Add an organisation that exists from ``effective_on`` (None: since always, like ``add_org``), with a
        ``create`` row in its history. The parent must exist (and not be dissolved) on that date."""
        if "attributes" in values:
            values["attributes"] = json_safe(dict(values["attributes"] or {}), "attributes")
        org = validated(NewOrg, values)
        return org_changes.create(self._deps, org, self._stamp(effective_on, actor, note, default_today=False), within)

    def rename_org(
        self,
        org_id: str,
        name: str,
        *,
        effective_on: date | None = None,
        actor: str = "system",
        note: str | None = None,
        within: str | None = None,
    ) -> OrgChangeRecord:
        return org_changes.rename(self._deps, org_id, name, self._stamp(effective_on, actor, note), within)

    def move_org(
        self,
        org_id: str,
        parent_id: str | None,
        *,
        effective_on: date | None = None,
        actor: str = "system",
        note: str | None = None,
        within: str | None = None,
    ) -> OrgChangeRecord:
        """Put ``org_id`` (and its subtree) under ``parent_id``; refused if that would make a cycle."""
        check_text(parent_id=parent_id)
        return org_changes.move(self._deps, org_id, parent_id, self._stamp(effective_on, actor, note), within)

    def merge_org(
        self,
        org_id: str,
        into: str,
        *,
        effective_on: date | None = None,
        actor: str = "system",
        note: str | None = None,
        within: str | None = None,
    ) -> OrgChangeRecord:
        """Merge ``org_id`` into ``into``: children and running candidates move to ``into``; closed histories
        stay; ``org_id`` is marked merged and dissolved from ``effective_on``."""
        check_text(into=into)
        return org_changes.merge(self._deps, org_id, into, self._stamp(effective_on, actor, note), within)

    def set_org_authority(
        self,
        org_id: str,
        *,
        grant: Iterable[str] = (),
        withdraw: Iterable[str] = (),
        effective_on: date | None = None,
        actor: str = "system",
        note: str | None = None,
        within: str | None = None,
    ) -> OrgChangeRecord:
        """Grant and withdraw powers (admission, recognition, consent) of the organisation's standing board."""
        granted, withdrawn = _powers(grant, "grant"), _powers(withdraw, "withdraw")
        if set(granted) & set(withdrawn):
            raise InvalidInput("a power cannot be granted and withdrawn at once")
        at = self._stamp(effective_on, actor, note)
        return org_changes.set_authority(self._deps, org_id, granted, withdrawn, at, within)

    def dissolve_org(
        self,
        org_id: str,
        *,
        effective_on: date | None = None,
        actor: str = "system",
        note: str | None = None,
        within: str | None = None,
    ) -> OrgChangeRecord:
        """End an organisation that has nothing under it and no candidate in progress (else: merge it)."""
        return org_changes.dissolve(self._deps, org_id, self._stamp(effective_on, actor, note), within)

    def update_org(
        self,
        org_id: str,
        *,
        effective_on: date | None = None,
        actor: str = "system",
        note: str | None = None,
        within: str | None = None,
        **changes: Any,
    ) -> OrgChangeRecord:
        """Change the kind, the Youth Union / Trade Union flags, the contacts or the other attributes."""
        if "attributes" in changes:
            changes["attributes"] = json_safe(dict(changes["attributes"] or {}), "attributes")
        if not changes:
            raise InvalidInput("nothing to update: give kind, has_youth_union, has_trade_union, contacts or attributes")
        return org_changes.update(self._deps, org_id, changes, self._stamp(effective_on, actor, note), within)

    # ---------------------------------------------------------------- reads

    def org_history(self, org_id: str, *, within: str | None = None) -> list[OrgChangeRecord]:
        """The organisation's changes, in the order they took effect."""
        return org_changes.history(self._deps, org_id, within)

    def org_tree(self, *, as_of: date | None = None, within: str | None = None) -> list[OrgRecord]:
        """The organisations now (dissolved ones left out), or as they stood on ``as_of`` (read from their
        periods: parent, name, kind and attributes of then; contacts and the unions as they are now)."""
        return org_changes.tree(self._deps, as_of, within)

    def org_as_of(self, org_id: str, on: date, *, within: str | None = None) -> OrgRecord:
        """One organisation as it stood on ``on`` (``NotFound`` if it did not exist then)."""
        return org_changes.org_as_of(self._deps, org_id, on, within)

    # ---------------------------------------------------------------- files

    def export_orgs(self, *, format: str = "csv", as_of: date | None = None, within: str | None = None) -> str:
        """The tree (now, or as of a date) as CSV or YAML text that :meth:`import_orgs` reads back."""
        return org_import.export_tree(self._deps, format, as_of, within)

    def import_orgs(
        self,
        text: str,
        *,
        format: str = "csv",
        file_name: str = "-",
        effective_on: date | None = None,
        actor: str = "import",
        within: str | None = None,
    ) -> OrgImportReport:
        """Create the organisations of a CSV or YAML file that do not exist and record, for those whose row
        differs, the differences as audited changes effective ``effective_on`` (default today). New
        organisations exist since always, or from ``effective_on`` when it is given. All or nothing:
        ``InvalidFile`` lists every problem with its line (and column for CSV)."""
        at = self._stamp(effective_on, actor, None)
        return org_import.import_tree(self._deps, text, format, file_name, at, effective_on is not None, within)

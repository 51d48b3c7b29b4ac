"""The facade's doors for reading candidates a page at a time and correcting their personal data (audited).
``AdmissionFlow`` inherits them, which keeps ``flow.py`` under the length limit."""

from __future__ import annotations

from typing import Any

from admission_flow.domain.inputs import CandidateChanges, check_lengths, json_safe, validated
from admission_flow.domain.records import CandidateRecord
from admission_flow.services import candidate_pages, personal_data
from admission_flow.services.candidate_pages import CandidatePage
from admission_flow.services.deps import Deps


class CandidateDoors:
    _deps: Deps

    def candidate_page(
        self,
        *,
        within: str | None = None,
        org_id: str | None = None,
        state: str | None = None,
        workflow: str | None = None,
        sort: str = "id",
        cursor: str | None = None,
        limit: int = 50,
    ) -> CandidatePage:
        """One page of candidates (``sort``: id, full_name, updated_at; ``-`` for descending) and the cursor of
        the next page (None on the last)."""
        return candidate_pages.page_candidates(
            self._deps,
            within=within,
            org_id=org_id,
            state=state,
            workflow=workflow,
            sort=sort,
            cursor=cursor,
            limit=limit,
        )

    def update_candidate(
        self,
        candidate_id: str,
        *,
        within: str | None = None,
        actor: str = "system",
        token_id: int | None = None,
        expected_version: int | None = None,
        **changes: Any,
    ) -> CandidateRecord:
        """Correct personal data; each change is audited (event ``update_personal_data``, old and new values)."""
        check_lengths(actor=actor, role=None, idempotency_key=None)
        if changes.get("attributes") is not None:
            changes["attributes"] = json_safe(dict(changes["attributes"]), "attributes")
        return personal_data.update_candidate(
            self._deps,
            candidate_id,
            validated(CandidateChanges, changes),
            actor=actor,
            token_id=token_id,
            within=within,
            expected_version=expected_version,
        )

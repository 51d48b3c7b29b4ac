"""The facade's door for finding a person by an identifier. ``AdmissionFlow`` inherits it.

The identifiers themselves are fields of ``add_candidate`` and ``update_candidate`` (``personal_id``,
``party_card_no``, ``old_card_no``, ``manager``); a number another person holds is refused with
``IdentifierTaken`` naming the field.
"""

from __future__ import annotations

from admission_flow.domain.inputs import check_text
from admission_flow.domain.records import CandidateRecord
from admission_flow.errors import InvalidInput
from admission_flow.services import person_lookup
from admission_flow.services.deps import Deps


class PeopleDoors:
    _deps: Deps

    def candidate_by_identifier(
        self,
        *,
        personal_id: str | None = None,
        party_card_no: str | None = None,
        old_card_no: str | None = None,
        within: str | None = None,
    ) -> CandidateRecord:
        """The candidate holding exactly one given identifier; ``NotFound`` if nobody (in ``within``'s subtree)."""
        given = {
            k: v
            for k, v in (("personal_id", personal_id), ("party_card_no", party_card_no), ("old_card_no", old_card_no))
            if v is not None
        }
        if len(given) != 1:
            raise InvalidInput("give exactly one of personal_id, party_card_no, old_card_no")
        [(field, value)] = given.items()
        check_text(**{field: value})
        return person_lookup.by_identifier(self._deps, field, value.strip(), within)

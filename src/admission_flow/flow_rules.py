"""The facade's rules doors (issue 12): a look ahead at a later step's rules, as a warning that refuses nothing.
``AdmissionFlow`` inherits them, which keeps ``flow.py`` under the length limit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from admission_flow.domain.checks import RuleCheck
from admission_flow.domain.membership import MembershipDates
from admission_flow.errors import InvalidInput
from admission_flow.services import rules
from admission_flow.services.deps import Deps

AHEAD_GUARDS = ("readmission_ok",)  # what check_ahead looks at unless told: the re-admission waits


class RulesDoors:
    _deps: Deps

    def check_ahead(
        self,
        candidate_id: str,
        *,
        trigger: str = "branch_vote_passed",
        guards: Sequence[str] | None = None,
        on: date | None = None,
        within: str | None = None,
    ) -> RuleCheck:
        """Would ``trigger``'s named guards pass on ``on`` (default today) for this candidate as recorded now? For
        example whether the re-admission waits are over by a planned vote date. Papers, votes and data of the step
        itself are not judged; nothing is written. A guard the workflow does not use on ``trigger`` is left out
        (``guards`` in the answer lists those judged); None: ``readmission_ok``."""
        guards = AHEAD_GUARDS if guards is None else guards
        if not guards or any(not g or len(g) > 64 for g in guards) or len(guards) > 20:
            raise InvalidInput("guards: give 1 to 20 guard names of at most 64 characters")
        return rules.check_ahead(self._deps, candidate_id, trigger, list(guards), on, within)

    def membership(self, candidate_id: str, *, on: date | None = None, within: str | None = None) -> MembershipDates:
        """The official date of full membership (the day probation ends, however late the recognition) and the
        party age on ``on`` (default today): from the admission decision, or for a re-admitted member from the
        first decision (attribute ``first_admitted_on``) minus the months outside the Party."""
        return rules.membership(self._deps, candidate_id, on, within)

"""Named, parameterised eligibility rules. See :mod:`admission_flow.guards.base` for the framework."""

from __future__ import annotations

from admission_flow.domain.values import EDUCATION_LEVELS, CandidateFacts, DocumentRecord, OrgFacts, Votes, reason
from admission_flow.guards.base import (
    DateRef,
    DocumentRef,
    FlagRef,
    GuardContext,
    GuardDef,
    GuardParams,
    GuardRegistry,
    NoParams,
)
from admission_flow.guards.builtin import register_builtin_guards


def default_registry() -> GuardRegistry:
    """A fresh registry holding every built-in guard."""
    from admission_flow.guards.authority import register_authority_guards
    from admission_flow.guards.exceptions import register_exception_guards
    from admission_flow.guards.limits import register_limit_guards
    from admission_flow.guards.readmission import register_readmission_guards
    from admission_flow.guards.transfers import register_transfer_guards

    registry = GuardRegistry()
    register_builtin_guards(registry)
    register_limit_guards(registry)
    register_authority_guards(registry)
    register_readmission_guards(registry)
    register_exception_guards(registry)
    register_transfer_guards(registry)
    return registry


__all__ = [
    "EDUCATION_LEVELS",
    "CandidateFacts",
    "DateRef",
    "DocumentRecord",
    "DocumentRef",
    "FlagRef",
    "GuardContext",
    "GuardDef",
    "GuardParams",
    "GuardRegistry",
    "NoParams",
    "OrgFacts",
    "Votes",
    "default_registry",
    "reason",
]

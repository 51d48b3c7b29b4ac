"""The built-in guards: the eligibility rules of the admission procedure, each a small named check.

Every check yields one :class:`~admission_flow.errors.Reason` per failing rule, with a stable code, a message
in Vietnamese and English naming the values it read, and those values. Rule sources are cited as in
``docs/domain`` (QĐ 24 = Quy định 24-QĐ/TW 2021, HD 01 = Hướng dẫn 01-HD/TW 2021, ĐL = Điều lệ Đảng).

This module registers them; the checks and their parameter models live by topic:

* :mod:`admission_flow.guards.person`: the candidate (``age_in_range``, ``education_ok``, ``personal_id_recorded``,
  ``candidate_field``);
* :mod:`admission_flow.guards.papers`: the dossier (``awareness_certificate_valid``, ``documents_present``,
  ``documents_fresh``, ``introducers_ok``);
* :mod:`admission_flow.guards.votes`: the vote (``vote_ratio``);
* :mod:`admission_flow.guards.data`: recorded facts (``date_not_before``, ``flag_set``, ``flag_not_set``,
  ``org_kind``, ``data_present``).

The parameter models are re-exported here, where they have always been importable from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from admission_flow.errors import Reason
from admission_flow.guards.base import GuardContext, GuardParams, GuardRegistry, NoParams
from admission_flow.guards.data import DataPresentParams as DataPresentParams
from admission_flow.guards.data import DateNotBeforeParams as DateNotBeforeParams
from admission_flow.guards.data import FlagParams as FlagParams
from admission_flow.guards.data import OrgKindParams as OrgKindParams
from admission_flow.guards.data import data_present, date_not_before, flag_not_set, flag_set, org_kind
from admission_flow.guards.papers import AwarenessCertificateParams as AwarenessCertificateParams
from admission_flow.guards.papers import DocumentsFreshParams as DocumentsFreshParams
from admission_flow.guards.papers import DocumentsPresentParams as DocumentsPresentParams
from admission_flow.guards.papers import IntroducersParams as IntroducersParams
from admission_flow.guards.papers import awareness_certificate_valid, documents_fresh, documents_present, introducers_ok
from admission_flow.guards.person import AgeParams as AgeParams
from admission_flow.guards.person import CandidateFieldParams as CandidateFieldParams
from admission_flow.guards.person import EducationParams as EducationParams
from admission_flow.guards.person import age_in_range, candidate_field, education_ok, personal_id_recorded
from admission_flow.guards.votes import VoteRatioParams as VoteRatioParams
from admission_flow.guards.votes import vote_ratio

__all__ = [
    "AgeParams",
    "AwarenessCertificateParams",
    "CandidateFieldParams",
    "DataPresentParams",
    "DateNotBeforeParams",
    "DocumentsFreshParams",
    "DocumentsPresentParams",
    "EducationParams",
    "FlagParams",
    "IntroducersParams",
    "OrgKindParams",
    "VoteRatioParams",
    "register_builtin_guards",
]


# ---------------------------------------------------------------- registration

_BUILTINS: tuple[tuple[str, Callable[[GuardContext, Any], Iterator[Reason]], type[GuardParams]], ...] = (
    ("age_in_range", age_in_range, AgeParams),
    ("education_ok", education_ok, EducationParams),
    ("personal_id_recorded", personal_id_recorded, NoParams),
    ("awareness_certificate_valid", awareness_certificate_valid, AwarenessCertificateParams),
    ("documents_present", documents_present, DocumentsPresentParams),
    ("documents_fresh", documents_fresh, DocumentsFreshParams),
    ("introducers_ok", introducers_ok, IntroducersParams),
    ("vote_ratio", vote_ratio, VoteRatioParams),
    ("date_not_before", date_not_before, DateNotBeforeParams),
    ("flag_set", flag_set, FlagParams),
    ("flag_not_set", flag_not_set, FlagParams),
    ("org_kind", org_kind, OrgKindParams),
    ("candidate_field", candidate_field, CandidateFieldParams),
    ("data_present", data_present, DataPresentParams),
)


def register_builtin_guards(registry: GuardRegistry) -> None:
    """Register every built-in guard; each description is the first line of the check's docstring."""
    for name, check, params in _BUILTINS:
        registry.register(name, check, params, (check.__doc__ or "").strip().splitlines()[0])

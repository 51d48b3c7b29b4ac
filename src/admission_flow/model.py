"""Deprecated path, kept for one release: import from admission_flow.domain.inputs and admission_flow.domain.records."""

from admission_flow.domain.inputs import ID_PATTERN as ID_PATTERN
from admission_flow.domain.inputs import ORG_KINDS as ORG_KINDS
from admission_flow.domain.inputs import Contact as Contact
from admission_flow.domain.inputs import EventInput as EventInput
from admission_flow.domain.inputs import NewCandidate as NewCandidate
from admission_flow.domain.inputs import NewOrg as NewOrg
from admission_flow.domain.inputs import OrgKind as OrgKind
from admission_flow.domain.records import CandidateRecord as CandidateRecord
from admission_flow.domain.records import EventRecord as EventRecord
from admission_flow.domain.records import FireResult as FireResult
from admission_flow.domain.records import Option as Option
from admission_flow.domain.records import OrgRecord as OrgRecord
from admission_flow.domain.records import Record as Record
from admission_flow.domain.records import reasons_as_dicts as reasons_as_dicts

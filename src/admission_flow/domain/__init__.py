"""The domain's plain data: values the rules read, validated inputs, output records, message recipients.

No I/O, no state machine, no SQLAlchemy: everything here can be built and compared in a unit test.

* :mod:`~admission_flow.domain.values`: candidate and organisation facts, papers, votes, ``reason()``;
* :mod:`~admission_flow.domain.inputs`: ``NewOrg``, ``NewCandidate``, ``EventInput`` and the input checks;
* :mod:`~admission_flow.domain.records`: every record the use cases return;
* :mod:`~admission_flow.domain.recipients`: who a reminder or escalation goes to.
"""

from __future__ import annotations

from admission_flow.domain.inputs import (
    ID_PATTERN,
    ORG_KINDS,
    Contact,
    EventInput,
    NewCandidate,
    NewOrg,
    OrgKind,
    check_lengths,
    json_safe,
    validated,
)
from admission_flow.domain.recipients import candidate_contact, collect_recipients, role_contacts
from admission_flow.domain.records import (
    CandidateRecord,
    DeadlineRecord,
    DeliveryReport,
    EventRecord,
    FireResult,
    MigrationItem,
    Option,
    OrgRecord,
    OutboxRecord,
    Record,
    ReminderRecord,
    SweepReport,
    TimelineEntry,
    reasons_as_dicts,
)
from admission_flow.domain.values import EDUCATION_LEVELS, CandidateFacts, DocumentRecord, OrgFacts, Votes, reason

__all__ = [
    "EDUCATION_LEVELS",
    "ID_PATTERN",
    "ORG_KINDS",
    "CandidateFacts",
    "CandidateRecord",
    "Contact",
    "DeadlineRecord",
    "DeliveryReport",
    "DocumentRecord",
    "EventInput",
    "EventRecord",
    "FireResult",
    "MigrationItem",
    "NewCandidate",
    "NewOrg",
    "Option",
    "OrgFacts",
    "OrgKind",
    "OrgRecord",
    "OutboxRecord",
    "Record",
    "ReminderRecord",
    "SweepReport",
    "TimelineEntry",
    "Votes",
    "candidate_contact",
    "check_lengths",
    "collect_recipients",
    "json_safe",
    "reason",
    "reasons_as_dicts",
    "role_contacts",
    "validated",
]

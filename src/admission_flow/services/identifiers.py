"""People's identifiers: the personal identification number (12 digits), the party card number and an old card
number, each held by at most one person.

The database keeps them unique (one unique column each), so two concurrent writers cannot both win; this module
turns the refused row into :class:`IdentifierTaken` naming the field (``person_lookup.py`` finds a person by one).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from admission_flow.domain.identity import personal_id_problems
from admission_flow.domain.inputs import IDENTIFIERS
from admission_flow.domain.stored import Person
from admission_flow.errors import DuplicateKey, IdentifierTaken, InvalidInput


def taken(error: DuplicateKey, values: dict[str, Any]) -> IdentifierTaken | None:
    """The identifier a refused row collided on, if the constraint named is one of them (SQLite names the column
    ``candidates.personal_id``, PostgreSQL the constraint ``uq_candidates_personal_id``)."""
    for field in IDENTIFIERS:
        if field in error.detail and values.get(field) is not None:
            return IdentifierTaken(field, values[field])
    return None


def check_agreement(person: Person, given: dict[str, Any]) -> None:
    """A correction that touches the personal number, the birth date or the sex must leave them agreeing."""
    if not {"personal_id", "birth_date", "sex"} & given.keys():
        return
    number = given.get("personal_id", person.personal_id)
    if number is None:
        return
    birth: date | None = given.get("birth_date", person.birth_date)
    sex: str | None = given.get("sex", person.sex)
    problems = personal_id_problems(number, birth_date=birth, sex=sex)
    if problems:
        raise InvalidInput("personal_id: " + "; ".join(f"[{p.code}] {p}" for p in problems))

"""Hostile input at the doors (issue 13): the CLI's option parsing, the checks of ``NewCandidate``/``NewOrg``/
``CandidateChanges``, ``Votes`` given from Python, an acting organisation that does not exist and a date whose
deadlines fall past 9999-12-31, refused as ``InvalidInput`` or ``NotFound`` before anything is written; the REST
API answers the same date with a 400 problem."""

from __future__ import annotations

import asyncio
import sys
import unicodedata
from datetime import date
from typing import Any

import httpx
import pytest

from admission_flow.api.app import create_app
from admission_flow.cli import parse
from admission_flow.domain.inputs import (
    BIDI_CONTROLS,
    VOTE_LIMIT,
    CandidateChanges,
    NewCandidate,
    NewOrg,
    check_text,
    check_votes,
    control_in,
    validated,
)
from admission_flow.domain.values import Votes
from admission_flow.errors import InvalidInput, NotFound
from admission_flow.flow import AdmissionFlow
from admission_flow.testing.scenario import add_sample_orgs

ESCAPES = ["\x1b[31mred", "Nguyễn\x1b]0;owned\x07", "An\nForged: line", "An\rB", "\x9b31m", "An\u202egnp.exe"]
BLANKS = ["", " ", "   ", "\t"]

# ---------------------------------------------------------------- CLI parsing


@pytest.mark.parametrize("text", ["", " ", "  \t"])
def test_an_empty_date_is_refused_never_today(text: str) -> None:
    with pytest.raises(InvalidInput, match="empty date"):
        parse.parse_date(text)


def test_a_data_key_given_twice_is_refused_naming_the_key() -> None:
    with pytest.raises(InvalidInput, match="'helper' more than once"):
        parse.parse_pairs(["helper=A", " helper = B"], "--data")
    assert parse.parse_pairs(["helper=A", "count=2"], "--data") == {"helper": "A", "count": 2}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("10/9", r"--votes 10/9: 10 in favour is more than the 9 eligible full members$"),
        ("5/0", "eligible .* must be at least 1"),
        ("-1/9", "whole numbers from 0"),
        ("6/-9", "whole numbers from 0"),
        ("1000001/1000001", "between 0 and 1,000,000"),
        ("100000000000000000000000/100000000000000000000000", "at most 1,000,000"),
        ("9" * 5000 + "/" + "9" * 5000, "at most 1,000,000"),  # no int() of 5,000 digits (Python refuses 4,301)
    ],
)
def test_votes_that_cannot_be_are_refused_with_a_correct_message(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as caught:
        parse.parse_votes(text)
    assert "None" not in str(caught.value)


def test_votes_that_fit_are_parsed() -> None:
    assert parse.parse_votes(" 6 / 9 ") == Votes(6, 9)
    assert parse.parse_votes("0/1") == Votes(0, 1)
    assert parse.parse_votes(f"{VOTE_LIMIT}/{VOTE_LIMIT}") == Votes(VOTE_LIMIT, VOTE_LIMIT)
    assert parse.parse_votes("0001/0002") == Votes(1, 2)


# ---------------------------------------------------------------- votes from Python


@pytest.mark.parametrize(
    ("votes", "message"),
    [
        (Votes(10, 9), "10 in favour is more than the 9 eligible"),
        (Votes(5, 9, against=5), "5 in favour and 5 against is more than the 9 eligible"),
        (Votes(-1, 9), "in_favour must be between 0 and 1,000,000, got -1"),
        (Votes(1, 9, against=-1), "against must be between 0"),
        (Votes(1, 0), "eligible .* at least 1"),
        (Votes(10**23, 10**23), "between 0 and 1,000,000"),
        (Votes(1, True), "eligible must be a whole number"),
        (Votes(1.5, 9), "in_favour must be a whole number"),  # type: ignore[arg-type]
    ],
)
def test_check_votes_refuses_what_cannot_be(votes: Votes, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        check_votes(votes)


def test_check_votes_keeps_what_fits() -> None:
    assert check_votes(None) is None
    assert check_votes(Votes(6, 9, against=3)) == Votes(6, 9, against=3)


# ---------------------------------------------------------------- names and free text


@pytest.mark.parametrize("name", BLANKS)
def test_a_blank_name_is_refused(name: str) -> None:
    with pytest.raises(InvalidInput, match="full_name"):
        validated(NewCandidate, {"id": "an", "full_name": name, "org_id": "ks"})
    with pytest.raises(InvalidInput, match="name"):
        validated(NewOrg, {"id": "ks", "name": name, "kind": "cell"})
    with pytest.raises(InvalidInput, match="full_name"):
        validated(CandidateChanges, {"full_name": name})


@pytest.mark.parametrize("text", ESCAPES)
def test_control_characters_and_escape_sequences_are_refused_in_free_text(text: str) -> None:
    message = "control characters or terminal escape sequences"
    with pytest.raises(InvalidInput, match=f"full_name: .*{message}"):
        validated(NewCandidate, {"id": "an", "full_name": text, "org_id": "ks"})
    with pytest.raises(InvalidInput, match=f"occupation: .*{message}"):
        validated(NewCandidate, {"id": "an", "full_name": "An", "org_id": "ks", "occupation": text})
    with pytest.raises(InvalidInput, match=f"name: .*{message}"):
        validated(NewOrg, {"id": "ks", "name": text, "kind": "cell"})
    contact = {"name": text, "email": "a@example.vn"}
    with pytest.raises(InvalidInput, match=message):
        validated(NewOrg, {"id": "ks", "name": "Chi bộ", "kind": "cell", "contacts": {"cell_secretary": [contact]}})
    with pytest.raises(InvalidInput, match=f"religion: .*{message}"):
        validated(CandidateChanges, {"religion": text})
    with pytest.raises(InvalidInput, match=f"actor: .*{message}"):
        check_text(actor=text)


def test_surrounding_whitespace_is_stripped_and_vietnamese_names_kept() -> None:
    found = validated(NewCandidate, {"id": "an", "full_name": "  Nguyễn Thị Ánh Tuyết ", "org_id": "ks"})
    assert found.full_name == "Nguyễn Thị Ánh Tuyết"
    assert validated(NewOrg, {"id": "ks", "name": " Chi bộ ấp An Phú\t", "kind": "cell"}).name == "Chi bộ ấp An Phú"
    assert validated(CandidateChanges, {"full_name": " Lê Văn Ba "}).given() == {"full_name": "Lê Văn Ba"}
    assert validated(CandidateChanges, {"ethnicity": None}).given() == {"ethnicity": None}  # null still clears


# ---------------------------------------------------------------- through the facade


def _at_class(flow: AdmissionFlow) -> None:
    """A candidate in ``in_awareness_class``: the certificate's fire projects a 60-month deadline."""
    add_sample_orgs(flow)
    flow.add_candidate(id="an", full_name="Nguyễn Văn An", org_id="ks.anmy.ap1", birth_date=date(2000, 5, 17))
    flow.fire("an", "admit_to_sympathizer_list", role="cell", on=date(2026, 1, 2))
    flow.fire("an", "assign_helper", role="cell", on=date(2026, 1, 3), data={"helper": "Lê Thị Cúc"})
    flow.fire("an", "nominate_for_class", role="cell", on=date(2026, 1, 4))


def _certificate(on: date) -> dict[str, Any]:
    from admission_flow.domain.values import DocumentRecord

    return {"role": "political_centre", "on": on, "documents": [DocumentRecord("awareness_certificate", on)]}


def test_a_date_whose_deadline_falls_past_9999_is_invalid_input_and_writes_nothing(flow: AdmissionFlow) -> None:
    _at_class(flow)
    with pytest.raises(InvalidInput, match=r"'certificate_validity' .* counted from 9999-12-31"):
        flow.fire("an", "issue_awareness_certificate", **_certificate(date(9999, 12, 31)))
    assert flow.candidate("an").version == 4
    assert {o.trigger for o in flow.options("an", on=date(9999, 12, 31))}  # options never project deadlines


def test_the_api_answers_a_date_past_the_calendar_with_a_400_problem(flow: AdmissionFlow) -> None:
    _at_class(flow)
    _, secret = flow.create_token(name="centre", org_id="ks.anmy", roles=["political_centre"])
    body = {"trigger": "issue_awareness_certificate", "on": "9999-12-31"}
    body["documents"] = [{"kind": "awareness_certificate", "issued_on": "9999-12-31"}]

    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(create_app(flow))
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            headers = {"Authorization": f"Bearer {secret}"}
            return await client.post("/api/v1/candidates/an/events", json=body, headers=headers)

    answer = asyncio.run(post())
    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] == "invalid_input"
    assert "9999-12-31" in answer.json()["detail"]
    assert flow.candidate("an").version == 4


def test_an_acting_org_that_does_not_exist_is_not_found_and_writes_nothing(flow: AdmissionFlow) -> None:
    _at_class(flow)
    with pytest.raises(NotFound, match="nosuch"):
        flow.fire("an", "withdraw", role="candidate", acting_org="nosuch")
    with pytest.raises(NotFound, match="nosuch"):
        flow.options("an", acting_org="nosuch")
    assert flow.candidate("an").version == 4
    assert len(flow.history("an")) == 4


@pytest.mark.parametrize("votes", [Votes(10, 9), Votes(10**23, 10**23), Votes(-1, 9)])
def test_votes_from_python_that_cannot_be_are_invalid_input(flow: AdmissionFlow, votes: Votes) -> None:
    _at_class(flow)
    with pytest.raises(InvalidInput, match="votes: "):
        flow.fire("an", "withdraw", role="candidate", votes=votes)
    with pytest.raises(InvalidInput, match="votes: "):
        flow.options("an", votes=votes)
    assert flow.candidate("an").version == 4


def test_the_control_pattern_is_exactly_unicodes_control_category_and_the_bidi_marks() -> None:
    expected = {c for c in map(chr, range(sys.maxunicode + 1)) if unicodedata.category(c) == "Cc"} | BIDI_CONTROLS
    found = {c for c in map(chr, range(sys.maxunicode + 1)) if control_in(f"a{c}b") is not None}
    assert found == expected
    assert control_in("Nguyễn\u202eabc\x1b[31m") == "U+202E"  # the first one, as U+XXXX

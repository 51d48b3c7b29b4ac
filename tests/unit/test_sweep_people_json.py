"""The sweep writes a reminder's recipients with ``people_json``: ``json.dumps`` character for character for the
shape it writes out (role, name, e-mail, all text), and the same JSON value for any other."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from admission_flow.services.sweep_plans import people_json

_person = st.builds(
    lambda role, name, email: {"role": role, "name": name, "email": email}, st.text(), st.text(), st.text()
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_person, max_size=4))
def test_people_json_is_json_dumps_for_any_text(people: list[dict[str, str]]) -> None:
    assert people_json(people) == json.dumps(people)


def test_vietnamese_names_and_quotes_are_escaped_as_json_dumps_escapes_them() -> None:
    people = [{"role": "helper", "name": 'Nguyễn "Bí thư"\n', "email": "bt@example.vn"}]
    assert (
        people_json(people)
        == json.dumps(people)
        == ('[{"role": "helper", "name": "Nguy\\u1ec5n \\"B\\u00ed th\\u01b0\\"\\n", "email": "bt@example.vn"}]')
    )


def test_other_shapes_give_the_same_json_value() -> None:
    reordered = [{"role": "helper", "email": "a@example.vn", "name": "A"}]
    assert json.loads(people_json(reordered)) == reordered
    odd: list[Any] = [
        [{"role": "candidate", "name": "B", "email": None}],  # not text
        [{"role": "cell", "name": "C", "email": "c@example.vn", "phone": "1"}],  # another key
        [],
    ]
    for people in odd:
        assert people_json(people) == json.dumps(people)

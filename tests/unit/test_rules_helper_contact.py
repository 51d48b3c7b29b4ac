"""``helper_contact`` (issue 12, item 3): the latest event naming a helper says who receives ``helper`` reminders."""

from __future__ import annotations

from admission_flow.domain.helper import helper_contact

BINH = {"helper": "Trần Văn Bình", "helper_email": "binh@example.vn"}
CUC = {"helper": "Lê Thị Cúc", "helper_email": " cuc@example.vn "}


def test_no_event_naming_a_helper_leaves_it_to_the_organisation() -> None:
    assert helper_contact([{}, {"votes": 3}]) is None


def test_the_latest_naming_wins() -> None:
    assert helper_contact([BINH, {}, CUC, {"other": 1}]) == [
        {"role": "helper", "name": "Lê Thị Cúc", "email": "cuc@example.vn"}
    ]


def test_a_later_naming_without_an_e_mail_never_falls_back_to_the_previous_helper() -> None:
    assert helper_contact([BINH, {"helper": "Lê Thị Cúc"}]) == []


def test_an_e_mail_alone_names_the_helper_by_it() -> None:
    assert helper_contact([{"helper_email": "binh@example.vn"}]) == [
        {"role": "helper", "name": "binh@example.vn", "email": "binh@example.vn"}
    ]

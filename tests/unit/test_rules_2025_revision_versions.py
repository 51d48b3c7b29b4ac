"""The revised 2025 rule set is released (issue 12): ``standard@2025.1`` and ``exceptions@2025.1`` are in force from
1/7/2025 like the 2025 releases and, being newer, are what a bare id starts on from that day; standard@2025 and
exceptions@2025 stay, unchanged, for the candidates pinned to them. The revision turns the new rules on where the
2025 releases keep them off."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from admission_flow.engine.catalog import Catalog, is_release
from admission_flow.guards import default_registry

REGISTRY = default_registry()
SHIPPED = Catalog.from_folder(Path(__file__).resolve().parents[2] / "workflows", REGISTRY)


def test_the_revision_is_released_and_chosen_for_a_bare_id_from_the_first_of_july_2025() -> None:
    assert is_release("2025.1")
    assert not {wf.key for wf in SHIPPED} & {"standard@2025.1rc", "exceptions@2025.1rc"}
    for day in (date(2025, 7, 1), date(2026, 1, 5)):
        assert SHIPPED.in_force("standard", day).key == "standard@2025.1"
        assert SHIPPED.in_force("exceptions", day).key == "exceptions@2025.1"
    assert SHIPPED.in_force("standard", date(2025, 6, 30)).key == "standard@2021"
    assert SHIPPED.get("standard", "2025.1").spec.extends == "standard@2025"
    assert SHIPPED.get("exceptions", "2025.1").spec.extends == "standard@2025.1"


def guard_params(key: tuple[str, str], trigger: str, guard: str) -> list[dict[str, object]]:
    """The parameters ``guard`` is given on every route of ``trigger``, defaults filled in."""
    definition = REGISTRY.get(guard)
    assert definition is not None
    found = []
    for transition in SHIPPED.get(*key).spec.transitions:
        if transition.trigger == trigger:
            given = [g.params for g in transition.guards if g.name == guard]
            found += [definition.params.model_validate(p).model_dump() for p in given]
    assert found, f"{guard} is not on {trigger}"
    return found


def test_the_youth_path_is_on_in_the_revision_and_off_in_the_2025_release() -> None:
    for trigger in ("dossier_complete", "branch_vote_passed"):
        assert {p["youth_path"] for p in guard_params(("standard", "2025.1"), trigger, "introducers_ok")} == {True}
        assert {p["youth_path"] for p in guard_params(("standard", "2025"), trigger, "introducers_ok")} == {False}


def test_named_education_exceptions_are_judged_only_in_the_exceptions_revision() -> None:
    named = {
        p["named_exceptions"] for p in guard_params(("exceptions", "2025.1"), "branch_vote_passed", "education_ok")
    }
    plain = {p["named_exceptions"] for p in guard_params(("standard", "2025.1"), "branch_vote_passed", "education_ok")}
    assert (named, plain) == ({True}, {False})


def test_the_decision_checks_the_consent_for_the_exceptions_each_rule_set_routes_to_it() -> None:
    [standard] = guard_params(("standard", "2025.1"), "decide_admission", "exception_consent_ok")
    [exceptions] = guard_params(("exceptions", "2025.1"), "decide_admission", "exception_consent_ok")
    assert standard["consent_for"] == []
    assert set(exceptions["consent_for"]) == {
        "remote_area",
        "fisherman_at_sea",
        "village_elder",
        "hamlet_head",
        "prestigious_person",
    }

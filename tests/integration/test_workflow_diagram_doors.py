"""The facade's doors the dashboard's workflow pages use: a version drawn as SVG (the current state stressed,
the states a newer version changes flagged, labels in the page's language) and the diff of two versions."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from admission_flow.errors import NotFound
from admission_flow.flow import AdmissionFlow
from admission_flow.workflow.diff import changed_states, diff


def test_a_version_is_drawn_with_the_current_state_in_the_language_asked(flow: AdmissionFlow) -> None:
    spec = flow.workflow("standard@2025")
    english = flow.diagram_svg("standard", current="probationary", lang="en")  # a bare id: the newest release
    assert english.startswith("<svg") and "Workflow diagram: standard@2025" in english
    assert english.count('class="state current') == 1
    assert f"Current state: {spec.states['probationary'].label.en}." in english
    vietnamese = flow.diagram_svg("standard@2025")
    assert "Sơ đồ quy trình: standard@2025" in vietnamese and 'class="state current' not in vietnamese
    assert spec.states["probationary"].label.vi in vietnamese


def test_the_states_a_newer_version_changes_are_flagged_and_its_changes_listed(flow: AdmissionFlow) -> None:
    old, new = flow.workflow("standard@2021"), flow.workflow("standard@2025")
    assert flow.workflow_diff("standard@2021", "standard@2025") == diff(old, new)
    assert flow.workflow_diff("standard@2025", "standard@2025") == []
    drawn = flow.diagram_svg("standard@2025", changed_from="standard@2021")
    flagged = sorted(set(changed_states(old, new)))
    assert flagged and drawn.count(" changed") == len(flagged)
    assert all(f'data-state="{name}"' in drawn for name in flagged)


@pytest.mark.parametrize(
    "call",
    [
        lambda f: f.diagram_svg("nothing@1"),
        lambda f: f.diagram_svg("standard@2025", changed_from="nothing@1"),
        lambda f: f.workflow_diff("standard@2021", "nothing@1"),
    ],
    ids=["drawn", "compared-with", "diff"],
)
def test_an_unknown_version_is_not_found(flow: AdmissionFlow, call: Callable[[AdmissionFlow], object]) -> None:
    with pytest.raises(NotFound):
        call(flow)

"""The variants' revised releases (issue 12), without a database: each extends standard@2025.1 and changes it
exactly as its 2025 release changes standard@2025 (the same variant content on the new base), and is what a bare
id gives from 1/7/2025; re-admission's revised release is readmission@2025.2, beside the kept readmission@2025.1."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from admission_flow.engine.catalog import Catalog
from admission_flow.guards import default_registry
from admission_flow.workflow.diff import diff

SHIPPED = Catalog.from_folder(Path(__file__).resolve().parents[2] / "workflows", default_registry())
DAY_2025 = date(2025, 7, 1)
# variant: (its 2025 release as revised before, its release on the revised base)
REVISIONS = {
    "students": ("students@2025", "students@2025.1"),
    "enterprise_workers": ("enterprise_workers@2025", "enterprise_workers@2025.1"),
    "military_recruits": ("military_recruits@2025", "military_recruits@2025.1"),
    "religious_believers": ("religious_believers@2025", "religious_believers@2025.1"),
    "readmission": ("readmission@2025.1", "readmission@2025.2"),
}


def own_changes(base: str, variant: str) -> list[str]:
    """What ``variant`` changes in ``base``, as ``admission-flow diff`` prints it, the title left out."""
    changes = diff(SHIPPED.resolve(base).spec, SHIPPED.resolve(variant).spec)
    return [str(c) for c in changes if (c.section, c.name) != ("workflow", "title")]


@pytest.mark.parametrize("variant", sorted(REVISIONS))
def test_the_revised_variant_changes_the_revised_standard_as_the_2025_variant_changes_standard_2025(
    variant: str,
) -> None:
    before, revised = REVISIONS[variant]
    assert SHIPPED.resolve(revised).spec.extends == "standard@2025.1"
    assert own_changes("standard@2025.1", revised) == own_changes("standard@2025", before)
    assert own_changes("standard@2025.1", revised)  # a variant, not a copy of the standard


@pytest.mark.parametrize("variant", sorted(REVISIONS))
def test_a_bare_id_from_the_first_of_july_2025_gives_the_revised_release(variant: str) -> None:
    _, revised = REVISIONS[variant]
    assert SHIPPED.in_force(variant, DAY_2025).key == revised
    assert SHIPPED.in_force(variant, date(2026, 1, 5)).key == revised
    assert SHIPPED.resolve(revised).spec.in_force_from == DAY_2025


@pytest.mark.parametrize("variant", sorted(REVISIONS))
def test_the_revised_release_declares_the_move_from_the_one_it_revises(variant: str) -> None:
    before, revised = REVISIONS[variant]
    assert before in {m.from_ for m in SHIPPED.resolve(revised).spec.migrations}


@pytest.mark.parametrize("variant", sorted(REVISIONS))
def test_the_revised_guards_are_on_every_revised_variant(variant: str) -> None:
    _, revised = REVISIONS[variant]
    spec = SHIPPED.resolve(revised).spec
    dossier = [g for t in spec.transitions if t.trigger == "dossier_complete" for g in t.guards]
    assert "personal_id_recorded" in {g.name for g in dossier}
    for trigger in ("dossier_complete", "branch_vote_passed"):
        introducers = [
            g for t in spec.transitions if t.trigger == trigger for g in t.guards if g.name == "introducers_ok"
        ]
        assert introducers and all(g.params["youth_path"] is True for g in introducers)
    votes = [g for t in spec.transitions if t.trigger == "branch_vote_passed" for g in t.guards]
    assert "over_60_ok" in {g.name for g in votes}

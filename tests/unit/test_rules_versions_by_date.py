"""Rule sets by date (issue 12, item 6), without a database: a bare workflow ID resolves to the release in force
on a paper date, ``ID@VERSION`` to that version whatever the date, and every variant exists under the 2021 rules
as well as the 2025 ones, each version with its own day."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from admission_flow.engine.catalog import Catalog
from admission_flow.errors import NotFound
from admission_flow.guards import default_registry

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = Catalog.from_folder(ROOT / "workflows", default_registry())
VARIANTS = ["enterprise_workers", "exceptions", "military_recruits", "readmission", "religious_believers", "students"]
DAY_2021, DAY_2025 = date(2021, 7, 30), date(2025, 7, 1)  # 24-QĐ/TW signed; 294-QĐ/TW in force
# The revised 2025 releases (issue 12), in force from the same day as the 2025 ones: the newer version is chosen.
REVISED_2025 = {name: "2025.1" for name in ["standard", *VARIANTS]} | {"readmission": "2025.2"}


@pytest.mark.parametrize("variant", VARIANTS)
def test_each_variant_exists_under_both_rule_sets_on_its_own_base(variant: str) -> None:
    old, new = SHIPPED.get(variant, "2021"), SHIPPED.get(variant, "2025")
    assert (old.spec.extends, old.spec.in_force_from) == ("standard@2021", DAY_2021)
    assert (new.spec.extends, new.spec.in_force_from) == ("standard@2025", DAY_2025)


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_2021_variant_adds_to_its_base_what_the_2025_variant_adds_to_its_own(variant: str) -> None:
    # The variant's own rule is the same under both rule sets: what it adds to or changes in its base is alike.
    def own(key: str, base: str) -> set[str]:
        wf, std = SHIPPED.resolve(key), SHIPPED.resolve(base)
        return {t.trigger for t in wf.spec.transitions} - {t.trigger for t in std.spec.transitions} | (
            set(wf.spec.documents) - set(std.spec.documents)
        )

    # The revised releases (…@2025.1) against the standard in force beside them: standard@2025.1.
    newest_2025 = SHIPPED.in_force(variant, DAY_2025).key
    assert own(f"{variant}@2021", "standard@2021") == own(newest_2025, SHIPPED.in_force("standard", DAY_2025).key)


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(2021, 7, 30), "2021"),
        (date(2024, 3, 15), "2021"),
        (date(2025, 6, 30), "2021"),  # the last day before 294-QĐ/TW
        (date(2025, 7, 1), "2025"),
        (date(2026, 1, 5), "2025"),
    ],
)
@pytest.mark.parametrize("workflow", ["standard", *VARIANTS])
def test_a_bare_id_resolves_to_the_release_in_force_on_the_date(workflow: str, on: date, expected: str) -> None:
    if expected == "2025":
        expected = REVISED_2025.get(workflow, expected)  # the revised rules (issue 12): same day, newer version
    assert SHIPPED.resolve_on(workflow, on).key == f"{workflow}@{expected}"


def test_a_named_version_is_taken_as_named_whatever_the_date() -> None:
    assert SHIPPED.resolve_on("students@2025", date(2022, 1, 1)).key == "students@2025"
    assert SHIPPED.resolve_on("standard@2021", date(2026, 1, 5)).key == "standard@2021"


def test_a_date_before_any_release_is_not_found_and_names_the_date() -> None:
    with pytest.raises(NotFound, match="students on 2021-07-29"):
        SHIPPED.resolve_on("students", date(2021, 7, 29))


@pytest.mark.parametrize("ref", ["nope", "nope@2025", "standard@1999", "bad ref@"])
def test_an_unknown_workflow_or_version_is_not_found(ref: str) -> None:
    with pytest.raises(NotFound):
        SHIPPED.resolve_on(ref, date(2025, 7, 1))

"""``in_force_from``: which release of a workflow new candidates get on a given day, without a database.

The key says when a version takes over; it is not part of the content hash (running candidates stay pinned to
what their procedure says). A variant of another workflow comes into force with its base; a new version of the
same workflow names its own day. Problems read as ``FILE:LINE:COLUMN: PATH: MESSAGE``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from admission_flow.engine.catalog import Catalog, content_hash, is_release
from admission_flow.errors import NotFound, WorkflowDefinitionError
from admission_flow.guards import default_registry

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = Catalog.from_folder(ROOT / "workflows", default_registry())

MINI = """\
id: mini
version: "{version}"
{extra}title: {{vi: Quy trình thử, en: Trial procedure}}
initial: a
states:
  a: {{label: {{vi: Bước A, en: Step A}}}}
  done: {{final: true, label: {{vi: Xong, en: Done}}}}
transitions:
  - {{trigger: finish, source: a, dest: done}}
"""


def mini(version: str, in_force_from: str | None = None, *, label: str = "Step A") -> str:
    extra = "" if in_force_from is None else f"in_force_from: {in_force_from}\n"
    return MINI.format(version=version, extra=extra).replace("Step A", label)


def catalog(folder: Path, **files: str) -> Catalog:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    return Catalog.from_folder(folder, default_registry())


def problems(folder: Path, **files: str) -> list[str]:
    with pytest.raises(WorkflowDefinitionError) as caught:
        catalog(folder, **files)
    return [str(p) for p in caught.value.problems]


# ---------------------------------------------------------------- the shipped workflows


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(2021, 7, 30), "standard@2021"),
        (date(2025, 6, 30), "standard@2021"),  # the last day of Quy định 24 (and 232)
        # Quy định 294-QĐ/TW is in force from 1/7/2025: standard@2025 and its revision standard@2025.1 both name
        # that day, and on the same day the newer version is chosen.
        (date(2025, 7, 1), "standard@2025.1"),
        (date(2026, 1, 5), "standard@2025.1"),
    ],
)
def test_the_standard_version_in_force_changes_on_the_first_of_july_2025(on: date, expected: str) -> None:
    assert SHIPPED.in_force("standard", on).key == expected


def test_no_standard_version_is_in_force_before_the_2021_regulation() -> None:
    with pytest.raises(NotFound) as caught:
        SHIPPED.in_force("standard", date(2021, 7, 29))
    assert str(caught.value) == "workflow 'standard on 2021-07-29' not found"


def test_an_unknown_workflow_is_not_found_on_any_day() -> None:
    with pytest.raises(NotFound, match="nope on 2025-07-01"):
        SHIPPED.in_force("nope", date(2025, 7, 1))


def test_the_2025_variants_come_into_force_with_standard_2025() -> None:
    variants = [wf for wf in SHIPPED if wf.spec.extends == "standard@2025" and wf.spec.id != "standard"]
    assert len(variants) == 6
    assert {wf.spec.in_force_from for wf in variants} == {date(2025, 7, 1)}
    assert SHIPPED.in_force("students", date(2025, 7, 1)).key == "students@2025.1"  # the revision, same day
    assert SHIPPED.in_force("students", date(2025, 6, 30)).key == "students@2021"  # the 2021 variant (issue 12)
    with pytest.raises(NotFound):
        SHIPPED.in_force("students", date(2021, 7, 29))


def test_the_shipped_hashes_did_not_move_when_the_days_were_added() -> None:
    # The hashes running candidates are pinned to (README, docs/variants.md): in_force_from is not hashed.
    assert SHIPPED.get("standard", "2021").content_hash.startswith("c527a2ba3c6f")
    assert SHIPPED.get("standard", "2025").content_hash.startswith("4af6ed53f314")
    assert SHIPPED.get("students", "2025").content_hash.startswith("3f5e62bc47c6")


# ---------------------------------------------------------------- choosing a version


def test_a_draft_with_a_later_day_is_never_chosen(tmp_path: Path) -> None:
    cat = catalog(
        tmp_path,
        one=mini("1", "2020-01-01"),
        two=mini("2", "2024-01-01"),
        draft=mini("3-draft", "2025-01-01"),
    )
    assert not is_release("3-draft") and is_release("2")
    assert cat.in_force("mini", date(2026, 1, 1)).key == "mini@2"
    assert cat.in_force("mini", date(2023, 12, 31)).key == "mini@1"


def test_a_version_without_a_day_is_in_force_since_always(tmp_path: Path) -> None:
    cat = catalog(tmp_path, one=mini("1"), two=mini("2", "2024-01-01"))
    assert cat.in_force("mini", date(1990, 1, 1)).key == "mini@1"
    assert cat.in_force("mini", date(2023, 12, 31)).key == "mini@1"
    assert cat.in_force("mini", date(2024, 1, 1)).key == "mini@2"


def test_two_releases_in_force_from_the_same_day_give_the_newer_one(tmp_path: Path) -> None:
    cat = catalog(tmp_path, a=mini("2", "2024-01-01"), b=mini("2.1", "2024-01-01"), c=mini("1", "2020-01-01"))
    assert cat.in_force("mini", date(2024, 1, 1)).key == "mini@2.1"


def test_only_drafts_means_nothing_is_in_force(tmp_path: Path) -> None:
    cat = catalog(tmp_path, draft=mini("1-draft", "2020-01-01"))
    with pytest.raises(NotFound):
        cat.in_force("mini", date(2026, 1, 1))


# ---------------------------------------------------------------- the content hash


def test_in_force_from_does_not_change_the_content_hash(tmp_path: Path) -> None:
    undated = catalog(tmp_path / "a", one=mini("1")).get("mini", "1")
    dated = catalog(tmp_path / "b", one=mini("1", "2024-01-01")).get("mini", "1")
    moved = catalog(tmp_path / "c", one=mini("1", "2025-03-01")).get("mini", "1")
    assert dated.spec.in_force_from == date(2024, 1, 1) and undated.spec.in_force_from is None
    assert undated.content_hash == dated.content_hash == moved.content_hash
    assert content_hash(dated.spec) == content_hash(dated.spec.model_copy(update={"in_force_from": None}))


def test_the_content_hash_still_changes_with_the_content(tmp_path: Path) -> None:
    dated = catalog(tmp_path / "a", one=mini("1", "2024-01-01")).get("mini", "1")
    relabelled = catalog(tmp_path / "b", one=mini("1", "2024-01-01", label="Step One")).get("mini", "1")
    assert dated.content_hash != relabelled.content_hash


# ---------------------------------------------------------------- the key as written


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("2025-7-1", "must be a date written YYYY-MM-DD, e.g. 2025-07-01"),
        ("20250701", "must be a date written YYYY-MM-DD, e.g. 2025-07-01"),
        ("yes", "must be a date written YYYY-MM-DD, e.g. 2025-07-01"),
        ("2025-02-30", "'2025-02-30' is not a day of the calendar"),
    ],
)
def test_a_day_not_written_as_yyyy_mm_dd_is_reported_at_its_value(tmp_path: Path, written: str, message: str) -> None:
    file = tmp_path / "wf" / "one.yaml"
    assert problems(tmp_path / "wf", one=mini("1", written)) == [f"{file}:3:16: in_force_from: {message}"]


def test_a_quoted_day_is_accepted(tmp_path: Path) -> None:
    cat = catalog(tmp_path, one=mini("1", '"2024-01-01"'))
    assert cat.get("mini", "1").spec.in_force_from == date(2024, 1, 1)


# ---------------------------------------------------------------- variants and new versions


VARIANT = 'id: pilot\nversion: "1"\nextends: mini@1\ntitle: {vi: Thí điểm, en: Pilot}\n'
NEXT = 'id: mini\nversion: "{version}"\nextends: mini@1\n'


def test_a_variant_of_another_workflow_inherits_the_day_its_base_comes_into_force(tmp_path: Path) -> None:
    cat = catalog(tmp_path, base=mini("1", "2024-01-01"), pilot=VARIANT)
    assert cat.get("pilot", "1").spec.in_force_from == date(2024, 1, 1)
    assert cat.in_force("pilot", date(2024, 1, 1)).key == "pilot@1"


def test_a_variant_that_names_its_own_day_keeps_it(tmp_path: Path) -> None:
    cat = catalog(tmp_path, base=mini("1", "2024-01-01"), pilot=VARIANT + "in_force_from: 2024-09-01\n")
    assert cat.get("pilot", "1").spec.in_force_from == date(2024, 9, 1)
    with pytest.raises(NotFound):
        cat.in_force("pilot", date(2024, 8, 31))


def test_a_new_version_of_the_same_workflow_must_name_its_own_day(tmp_path: Path) -> None:
    # Inheriting 2024-01-01 would make mini@2 replace mini@1 retroactively, from mini@1's own first day.
    folder = tmp_path / "wf"
    assert problems(folder, base=mini("1", "2024-01-01"), next=NEXT.format(version="2")) == [
        f"{folder / 'next.yaml'}:2:10: version: no in_force_from, but the older mini@1 is in force from "
        "2024-01-01: new candidates would not start on mini@2; give the day it comes into force"
    ]
    cat = catalog(
        tmp_path / "ok", base=mini("1", "2024-01-01"), next=NEXT.format(version="2") + "in_force_from: 2025-01-01\n"
    )
    assert cat.in_force("mini", date(2024, 12, 31)).key == "mini@1"
    assert cat.in_force("mini", date(2025, 1, 1)).key == "mini@2"


def test_a_newer_release_without_a_day_is_reported_without_extends_too(tmp_path: Path) -> None:
    folder = tmp_path / "wf"
    found = problems(folder, one=mini("1", "2024-01-01"), two=mini("2"))
    assert found == [
        f"{folder / 'two.yaml'}:2:10: version: no in_force_from, but the older mini@1 is in force from "
        "2024-01-01: new candidates would not start on mini@2; give the day it comes into force"
    ]


def test_a_draft_of_the_same_workflow_needs_no_day_and_inherits_none(tmp_path: Path) -> None:
    cat = catalog(tmp_path, base=mini("1", "2024-01-01"), draft=NEXT.format(version="2-draft"))
    assert cat.get("mini", "2-draft").spec.in_force_from is None
    assert cat.in_force("mini", date(2030, 1, 1)).key == "mini@1"

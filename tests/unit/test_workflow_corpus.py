"""The workflow language's error corpus, and what the catalog makes of whole folders.

Every file in ``tests/workflows/invalid`` is a near-copy of a small valid workflow with one mistake (two files
hold several). Its first lines say exactly which problems it must produce, as ``# expect: LINE:COLUMN: PATH:
MESSAGE``, i.e. ``str(Problem)`` without the ``file:`` prefix. A file must produce those problems and no
others, so a wrong line, a wrong column, a changed message or an extra echo of the same mistake all fail.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from admission_flow.engine.catalog import Catalog, content_hash, load_spec_text
from admission_flow.errors import Problem, WorkflowDefinitionError
from admission_flow.guards import default_registry
from admission_flow.workflow.spec import WorkflowSpec

TESTS = Path(__file__).resolve().parents[1]
SHIPPED = TESTS.parent / "workflows"
VALID = TESTS / "workflows" / "valid"
INVALID = TESTS / "workflows" / "invalid"
INVALID_FILES = sorted(INVALID.glob("*.yaml"))
MANY_MISTAKES = ("many_reference_mistakes", "many_structure_mistakes")
REGISTRY = default_registry()
EXPECT = "# expect: "


def expectations(path: Path) -> list[str]:
    """The ``# expect:`` lines at the top of a corpus file, without the marker."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found = []
    for line in lines:
        if not line.startswith(EXPECT):
            break
        found.append(line.removeprefix(EXPECT))
    return found


def problem_texts(problems: list[Problem], file: str) -> list[str]:
    """``str(problem)`` for each problem in reading order, with the ``file:`` prefix checked and removed."""
    texts = [str(p) for p in sorted(problems)]
    assert all(t.startswith(f"{file}:") for t in texts), texts
    return [t.removeprefix(f"{file}:") for t in texts]


def load_text(path: Path) -> tuple[WorkflowSpec | None, list[Problem]]:
    return load_spec_text(path.read_text(encoding="utf-8"), path.name, REGISTRY)


# ---------------------------------------------------------------- the corpus itself


def test_the_corpus_has_enough_files_each_opening_with_an_expectation() -> None:
    single = [p for p in INVALID_FILES if p.stem not in MANY_MISTAKES]
    assert len(single) >= 28
    for path in INVALID_FILES:
        assert path.read_text(encoding="utf-8").startswith(EXPECT), path.name
        assert expectations(path), path.name
    for path in single:
        assert len(expectations(path)) == 1, f"{path.name} should hold exactly one mistake"


@pytest.mark.parametrize("path", INVALID_FILES, ids=lambda p: p.stem)
def test_each_invalid_file_reports_exactly_the_expected_problems(path: Path) -> None:
    _, problems = load_text(path)
    assert problem_texts(problems, path.name) == expectations(path)


@pytest.mark.parametrize("path", INVALID_FILES, ids=lambda p: p.stem)
def test_the_catalog_reports_the_same_problems_with_the_full_file_name(path: Path, tmp_path: Path) -> None:
    shutil.copy(path, tmp_path / path.name)
    with pytest.raises(WorkflowDefinitionError) as caught:
        Catalog.from_folder(tmp_path, REGISTRY)
    assert problem_texts(list(caught.value.problems), str(tmp_path / path.name)) == expectations(path)
    assert caught.value.exit_code == 5


@pytest.mark.parametrize("stem", MANY_MISTAKES)
def test_a_file_with_many_mistakes_reports_all_of_them_at_once(stem: str) -> None:
    path = INVALID / f"{stem}.yaml"
    expected = expectations(path)
    assert len(expected) >= 5
    assert len({line.split(":")[0] for line in expected}) == len(expected), "one mistake per line"
    _, problems = load_text(path)
    assert problem_texts(problems, path.name) == expected


def test_an_unknown_dest_state_is_reported_with_a_suggestion_and_no_echoes() -> None:
    _, problems = load_text(INVALID / "unknown_dest_state_with_suggestion.yaml")
    [problem] = problems
    assert (problem.line, problem.column, problem.path) == (30, 11, "transitions[1].dest")
    assert problem.message == "unknown state 'probationry' (did you mean 'probationary'?)"


def test_a_misspelt_state_still_reports_a_transition_that_leaves_a_final_state() -> None:
    text = (INVALID / "transition_leaves_a_final_state.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "    dest: probationary\n  - trigger: recognise", "    dest: probationry\n  - trigger: recognise"
    )
    _, problems = load_spec_text(text, "f.yaml", REGISTRY)
    assert [p.message for p in sorted(problems)] == [
        "final state 'full_member' cannot be left (only internal events may start from it)",
        "unknown state 'probationry' (did you mean 'probationary'?)",
    ]


def test_a_problem_reads_file_line_column_path_message() -> None:
    _, problems = load_text(INVALID / "unknown_role.yaml")
    assert [str(p) for p in problems] == [
        "unknown_role.yaml:42:13: transitions[2].roles[0]: unknown role 'cel' (did you mean 'cell'?)"
    ]


# ---------------------------------------------------------------- folders


def test_a_folder_with_two_bad_files_reports_the_problems_of_both(tmp_path: Path) -> None:
    for name in ("unknown_role.yaml", "missing_id.yaml"):
        shutil.copy(INVALID / name, tmp_path / name)
    shutil.copy(VALID / "minimal.yaml", tmp_path / "minimal.yaml")
    with pytest.raises(WorkflowDefinitionError) as caught:
        Catalog.from_folder(tmp_path, REGISTRY)
    assert [str(p) for p in caught.value.problems] == [
        f"{tmp_path / 'missing_id.yaml'}:2:1: required key 'id' is missing",
        f"{tmp_path / 'unknown_role.yaml'}:42:13: transitions[2].roles[0]: unknown role 'cel' (did you mean 'cell'?)",
    ]
    assert str(caught.value) == "\n".join(str(p) for p in caught.value.problems)


def test_the_shipped_workflows_load_without_a_single_problem() -> None:
    catalog = Catalog.from_folder(SHIPPED, REGISTRY)
    assert len(catalog) >= 1
    assert catalog.get("standard", "2021").key == "standard@2021"
    keys = {wf.key for wf in catalog}
    for path in sorted(SHIPPED.glob("*.y*ml")):
        if "extends:" not in path.read_text(encoding="utf-8"):  # a variant only loads together with its base
            assert load_text(path)[1] == [], path.name
        stem = path.stem.rsplit("-", 1)
        assert f"{stem[0]}@{stem[1]}" in keys, f"{path.name} is not named ID-VERSION.yaml or did not load"


def test_the_valid_test_workflows_load_without_a_single_problem() -> None:
    catalog = Catalog.from_folder(VALID, REGISTRY)
    assert [wf.key for wf in catalog] == ["minimal@1"]


def test_the_same_id_and_version_in_two_files_is_reported(tmp_path: Path) -> None:
    shutil.copy(VALID / "minimal.yaml", tmp_path / "a.yaml")
    shutil.copy(VALID / "minimal.yaml", tmp_path / "b.yaml")
    with pytest.raises(WorkflowDefinitionError) as caught:
        Catalog.from_folder(tmp_path, REGISTRY)
    [problem] = caught.value.problems
    assert (problem.file, problem.path) == (str(tmp_path / "b.yaml"), "id")
    assert problem.message == f"minimal@1 is also defined in {tmp_path / 'a.yaml'}"


def test_two_versions_of_one_workflow_load_side_by_side(tmp_path: Path) -> None:
    text = (VALID / "minimal.yaml").read_text(encoding="utf-8")
    (tmp_path / "v1.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "v2.yaml").write_text(text.replace('version: "1"', 'version: "2"'), encoding="utf-8")
    catalog = Catalog.from_folder(tmp_path, REGISTRY)
    assert [wf.key for wf in catalog] == ["minimal@1", "minimal@2"]
    assert catalog.resolve("minimal").key == "minimal@2"


# ---------------------------------------------------------------- content hash


def spec_of(text: str) -> WorkflowSpec:
    spec, problems = load_spec_text(text, "minimal.yaml", REGISTRY)
    assert problems == [] and spec is not None
    return spec


MINIMAL = (VALID / "minimal.yaml").read_text(encoding="utf-8")


def test_the_content_hash_ignores_comments_blank_lines_and_layout() -> None:
    relaid = "# a new comment\n\n" + MINIMAL.replace(
        "title: {vi: Quy trình kết nạp rút gọn, en: Minimal admission workflow}",
        "title:\n  en: Minimal admission workflow   # keys in another order\n  vi: Quy trình kết nạp rút gọn\n",
    ).replace("    roles: [cell]\n", "    roles:\n      - cell\n\n")
    assert relaid != MINIMAL
    assert content_hash(spec_of(relaid)) == content_hash(spec_of(MINIMAL))


def test_the_content_hash_changes_when_a_label_changes() -> None:
    changed = MINIMAL.replace("en: Minimal admission workflow", "en: Minimal admission procedure")
    assert content_hash(spec_of(changed)) != content_hash(spec_of(MINIMAL))


def test_the_content_hash_changes_when_alternatives_are_reordered() -> None:
    first = "  - trigger: admit # first alternative: over 60 needs the superior's consent\n"
    block_start = MINIMAL.index(first)
    block_end = MINIMAL.index("  - trigger: admit # second alternative")
    second_end = MINIMAL.index("  - trigger: grant_consent")
    swapped = (
        MINIMAL[:block_start] + MINIMAL[block_end:second_end] + MINIMAL[block_start:block_end] + MINIMAL[second_end:]
    )
    assert content_hash(spec_of(swapped)) != content_hash(spec_of(MINIMAL))


def test_the_compiled_workflow_carries_its_content_hash() -> None:
    wf = Catalog.from_folder(VALID, REGISTRY).get("minimal", "1")
    assert wf.content_hash == content_hash(spec_of(MINIMAL))
    assert len(wf.content_hash) == 64

"""The located YAML loader: bool-safe, dates as text, 1-based positions, and every structural mistake reported."""

from __future__ import annotations

from pathlib import Path

from admission_flow.errors import Problem
from admission_flow.workflow.loader import (
    LocatedDocument,
    Position,
    format_path,
    iter_workflow_files,
    parse_yaml,
    read_yaml_file,
)

SHIPPED = Path(__file__).resolve().parents[2] / "workflows"


def parsed(text: str) -> LocatedDocument:
    doc, problems = parse_yaml(text, "f.yaml")
    assert problems == []
    assert doc is not None
    return doc


def problems_of(text: str) -> list[str]:
    return [str(p) for p in parse_yaml(text, "f.yaml")[1]]


# ---------------------------------------------------------------- scalars


def test_on_off_yes_and_no_stay_text_while_true_and_false_are_booleans() -> None:
    doc = parsed("a: on\nb: off\nc: yes\nd: no\ne: y\nf: n\ng: true\nh: false\ni: True\nj: FALSE\n")
    assert doc.data == {
        "a": "on",
        "b": "off",
        "c": "yes",
        "d": "no",
        "e": "y",
        "f": "n",
        "g": True,
        "h": False,
        "i": True,
        "j": False,
    }


def test_a_guard_parameter_named_on_stays_a_text_key() -> None:
    doc = parsed("guards:\n  - age_in_range: {min_months: 216, on: ceremony_on}\n")
    assert doc.data == {"guards": [{"age_in_range": {"min_months": 216, "on": "ceremony_on"}}]}


def test_dates_and_timestamps_stay_text() -> None:
    doc = parsed("a: 2024-02-29\nb: 2024-02-29T10:30:00\nc: 2024-02-29 10:30:00+07:00\n")
    assert doc.data == {"a": "2024-02-29", "b": "2024-02-29T10:30:00", "c": "2024-02-29 10:30:00+07:00"}


def test_numbers_and_nulls_keep_their_yaml_types() -> None:
    doc = parsed("a: 12\nb: 1.5\nc: null\nd: ~\ne:\nf: '12'\n")
    assert doc.data == {"a": 12, "b": 1.5, "c": None, "d": None, "e": None, "f": "12"}


def test_keys_are_the_text_as_written() -> None:
    doc = parsed("true: 1\n0x10: 2\n~: 3\n2024-01-01: 4\n'quoted key': 5\n")
    assert list(doc.data) == ["true", "0x10", "~", "2024-01-01", "quoted key"]


# ---------------------------------------------------------------- positions


def test_positions_are_one_based_lines_and_columns_of_keys_and_values() -> None:
    doc = parsed("# comment\nid: tiny\nstates:\n  applicant:\n    label: {vi: A, en: B}\nlist:\n  - x\n  - [y, z]\n")
    assert doc.values[()] == Position("f.yaml", 2, 1)
    assert doc.keys[("id",)] == Position("f.yaml", 2, 1)
    assert doc.values[("id",)] == Position("f.yaml", 2, 5)
    assert doc.keys[("states", "applicant")] == Position("f.yaml", 4, 3)
    assert doc.values[("states", "applicant", "label")] == Position("f.yaml", 5, 12)
    assert doc.values[("states", "applicant", "label", "en")] == Position("f.yaml", 5, 24)
    assert doc.values[("list", 0)] == Position("f.yaml", 7, 5)
    assert doc.values[("list", 1, 1)] == Position("f.yaml", 8, 9)


def test_locate_falls_back_to_the_nearest_ancestor_that_was_written() -> None:
    doc = parsed("transitions:\n  - trigger: admit\n    source: applicant\n")
    assert doc.locate(("transitions", 0, "source", 0)) == Position("f.yaml", 3, 13)
    assert doc.locate(("transitions", 0, "dest")) == Position("f.yaml", 2, 5)
    assert doc.locate(("transitions", 0, "source"), prefer_key=True) == Position("f.yaml", 3, 5)
    assert doc.locate(("nowhere", 3)) == Position("f.yaml", 1, 1)


def test_a_problem_carries_the_position_and_the_readable_path() -> None:
    doc = parsed("transitions:\n  - trigger: admit\n    dest: probationry\n")
    problem = doc.problem(("transitions", 0, "dest"), "unknown state")
    assert problem == Problem("f.yaml", 3, 11, "transitions[0].dest", "unknown state")
    assert str(problem) == "f.yaml:3:11: transitions[0].dest: unknown state"


def test_paths_read_as_dotted_keys_and_bracketed_indexes() -> None:
    assert format_path(()) == ""
    assert format_path(("id",)) == "id"
    assert format_path(("transitions", 2, "records", 0, "from")) == "transitions[2].records[0].from"
    assert format_path((0, "a")) == "[0].a"


# ---------------------------------------------------------------- mistakes in the YAML


def test_a_duplicate_key_is_reported_with_the_line_of_the_first_and_the_first_value_is_kept() -> None:
    doc, problems = parse_yaml("states:\n  a: 1\n  b: 2\n  a: 3\n", "f.yaml")
    assert [str(p) for p in problems] == ["f.yaml:4:3: states.a: duplicate key 'a' (first defined at line 2)"]
    assert doc is not None and doc.data == {"states": {"a": 1, "b": 2}}


def test_every_duplicate_key_is_reported() -> None:
    assert problems_of("a: 1\na: 2\nb:\n  c: 1\n  c: 2\n") == [
        "f.yaml:2:1: a: duplicate key 'a' (first defined at line 1)",
        "f.yaml:5:3: b.c: duplicate key 'c' (first defined at line 4)",
    ]


def test_anchors_and_aliases_are_expanded() -> None:
    doc = parsed(
        "base: &docs [application, background]\nfirst: *docs\nguards: &g\n  - flag_set: {flag: x}\nsecond: *g\n"
    )
    assert doc.data["first"] == ["application", "background"]
    assert doc.data["second"] == [{"flag_set": {"flag": "x"}}]
    # An alias has no position of its own: its values point at the anchored original.
    assert doc.values[("first", 1)] == doc.values[("base", 1)] == Position("f.yaml", 1, 27)


def test_the_shipped_workflow_with_its_anchors_parses_without_problems() -> None:
    doc, problems = read_yaml_file(SHIPPED / "standard-2021.yaml")
    assert problems == []
    assert doc is not None
    routes = [t for t in doc.data["transitions"] if t["trigger"] == "branch_vote_passed"]
    assert len(routes) == 4 and all(r["guards"] == routes[0]["guards"] for r in routes)


def test_an_alias_cycle_is_reported_instead_of_recursing_forever() -> None:
    doc, problems = parse_yaml("a: &x\n  b: *x\n", "f.yaml")
    assert doc is None
    # The alias has no position of its own, so the problem points at the anchor it names.
    assert [str(p) for p in problems] == ["f.yaml:1:4: a.b: a YAML alias refers back to its own anchor (a cycle)"]


def test_a_merge_key_is_rejected_and_its_keys_are_not_merged() -> None:
    doc, problems = parse_yaml("base: &b {final: true}\nstate:\n  <<: *b\n  label: x\n", "f.yaml")
    assert [str(p) for p in problems] == ["f.yaml:3:3: state: YAML merge keys (<<) are not supported"]
    assert doc is not None and doc.data["state"] == {"label": "x"}


def test_a_key_that_is_not_plain_text_is_reported() -> None:
    assert problems_of("? [a, b]\n: 1\nc: 2\n") == ["f.yaml:1:3: keys must be plain text"]


def test_a_syntax_error_names_where_the_unclosed_bracket_started() -> None:
    doc, problems = parse_yaml("id: x\ntitle: {vi: A, en: B\ninitial: a\n", "f.yaml")
    assert doc is None
    assert [str(p) for p in problems] == [
        "f.yaml:3:8: YAML syntax error: while parsing a flow mapping at line 2, column 8: "
        "expected ',' or '}', but got ':'"
    ]


def test_a_tab_in_the_indentation_is_reported_with_a_hint() -> None:
    assert problems_of("states:\n\tapplicant: {}\n") == [
        "f.yaml:2:1: YAML syntax error: while scanning for the next token: found character '\\t' that cannot "
        "start any token (indent with spaces, not tabs)"
    ]


def test_a_value_where_a_mapping_continues_is_a_syntax_error() -> None:
    assert problems_of("dest: a: b\n") == ["f.yaml:1:8: YAML syntax error: mapping values are not allowed here"]


def test_two_documents_in_one_file_are_reported() -> None:
    assert problems_of("id: a\n---\nid: b\n") == [
        "f.yaml:2:1: YAML syntax error: expected a single document in the stream but found another document"
    ]


def test_python_tags_are_refused_by_the_safe_loader() -> None:
    doc, problems = parse_yaml("a: !!python/object:os.system echo\n", "f.yaml")
    assert doc is None
    assert [p.message for p in problems] == [
        "YAML syntax error: could not determine a constructor for the tag 'tag:yaml.org,2002:python/object:os.system'"
    ]


def test_an_empty_or_comment_only_file_is_reported_as_empty() -> None:
    for text in ("", "\n\n", "# only a comment\n"):
        assert parse_yaml(text, "f.yaml") == (None, [Problem("f.yaml", 1, 1, "", "the file is empty")])


# ---------------------------------------------------------------- files


def test_a_file_that_is_not_utf8_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("id: tiny\ntitle: {vi: Quy trình, en: Café}\n".encode("latin-1", errors="replace"))
    doc, problems = read_yaml_file(path, "latin1.yaml")
    assert doc is None
    assert problems == [Problem("latin1.yaml", 1, 1, "", "the file is not UTF-8 text (invalid continuation byte)")]


def test_a_utf8_file_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + "id: tiny\nlabel: Đơn xin vào Đảng\n".encode())
    doc, problems = read_yaml_file(path)
    assert problems == []
    assert doc is not None and doc.data == {"id": "tiny", "label": "Đơn xin vào Đảng"}
    assert doc.keys[("id",)] == Position(str(path), 1, 1)


def test_a_missing_file_is_reported_with_its_name(tmp_path: Path) -> None:
    doc, problems = read_yaml_file(tmp_path / "absent.yaml", "absent.yaml")
    assert doc is None
    assert [str(p) for p in problems] == ["absent.yaml:1:1: cannot read the file: No such file or directory"]


def test_workflow_files_are_the_yaml_and_yml_files_of_a_folder_in_name_order(tmp_path: Path) -> None:
    for name in ("b.yml", "a.yaml", "notes.txt", "c.yaml.bak"):
        (tmp_path / name).write_text("id: x\n", encoding="utf-8")
    (tmp_path / "folder.yaml").mkdir()
    assert [p.name for p in iter_workflow_files(tmp_path)] == ["a.yaml", "b.yml"]

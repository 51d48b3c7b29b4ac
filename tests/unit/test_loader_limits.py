"""The loader's bounds on hostile and large documents (issue 13): aliases are counted, never expanded past
``MAX_NODES``; nesting stops at ``MAX_DEPTH``; a character YAML refuses is reported where it is; numbers, tags and
values that cannot be read are problems. Every case answers with a ``Problem`` at its place, never an exception,
on libyaml's parser and on the pure-Python one, through the facade and through ``admission-flow validate``."""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from admission_flow.engine.catalog import Catalog
from admission_flow.errors import WorkflowDefinitionError
from admission_flow.flow import AdmissionFlow
from admission_flow.guards import default_registry
from admission_flow.settings import Settings
from admission_flow.workflow import loader
from admission_flow.workflow.loader import MAX_DEPTH, MAX_NODES, MAX_NUMBER_CHARS, parse_yaml

# Not a speed check (speed is measured in bench/validate.py): the unbounded expansion these tests guard against
# takes hours, so a generous bound only tells an answer from a hang, even on a loaded CI machine.
HANG = 60.0

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = (ROOT / "tests" / "workflows" / "valid" / "minimal.yaml").read_text(encoding="utf-8")
SHIPPED = Catalog.from_folder(ROOT / "workflows", default_registry())


def laughs(levels: int = 10) -> str:
    """The "billion laughs": ``a`` a list of nine x, then each name a list of nine aliases of the one before."""
    lines = ["a: &a [x,x,x,x,x,x,x,x,x]"]
    for n in range(1, levels):
        name, previous = chr(97 + n), chr(96 + n)
        lines.append(f"{name}: &{name} [{','.join(['*' + previous] * 9)}]")
    return "\n".join(lines) + "\n"


BOMB = laughs()  # nine aliases deep: 9**10 x once expanded
BOMB_AT = "6:8"  # the first *e in f's list: a to e count 74,738 keys and values, f adds 2, *e 66,430 more


@pytest.fixture(params=["libyaml", "pure-python"], autouse=True)
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Every test runs on both parsers: libyaml's, and PyYAML's, which reads what libyaml rejects."""
    if request.param == "pure-python":
        monkeypatch.setattr(loader, "_LIBYAML", False)
    elif not loader._LIBYAML:
        pytest.skip("libyaml is not installed")
    yield request.param


def problems_of(text: str) -> list[str]:
    doc, problems = parse_yaml(text, "f.yaml")
    assert doc is None, "a refused document must not be walked further"
    return [str(p) for p in problems]


def column_of(text: str, token: str, line: int) -> int:
    return text.splitlines()[line - 1].index(token) + 1


# ---------------------------------------------------------------- expanded size


def sized(total: int) -> tuple[str, int]:
    """A document of exactly ``total`` keys and values once expanded, its last item an alias of a 100-node list;
    and that alias's column on line 2. root, key a, the anchored list (100), key b, b's list: 104 nodes."""
    aliases, padding = divmod(total - 104, 100)
    items = ["y"] * padding + ["*a"] * aliases
    text = f"a: &a [{','.join(['x'] * 99)}]\nb: [{','.join(items)}]\n"
    return text, len(text.splitlines()[1]) - 2


def test_a_document_of_exactly_the_expanded_limit_is_read() -> None:
    text, _ = sized(MAX_NODES)
    doc, problems = parse_yaml(text, "f.yaml")
    assert problems == [] and doc is not None
    assert len(doc.data["b"]) == (MAX_NODES - 104) // 100 + (MAX_NODES - 104) % 100


def test_one_node_over_the_expanded_limit_is_refused_at_the_alias_that_crosses_it() -> None:
    text, column = sized(MAX_NODES + 1)
    assert text[text.index("\n") + column :].startswith("*a]")
    assert problems_of(text) == [
        f"f.yaml:2:{column}: this YAML alias makes the document larger than {MAX_NODES:,} keys and values once "
        "aliases are expanded; aliases are not expanded past that"
    ]


def test_a_large_document_without_aliases_is_refused_where_it_passes_the_limit() -> None:
    text = "[" + ",".join(["x"] * MAX_NODES) + "]"
    (found,) = problems_of(text)
    # The list is node 1; the (MAX_NODES)th x is node MAX_NODES + 1, at column 2 * MAX_NODES.
    assert found == f"f.yaml:1:{2 * MAX_NODES}: the document has more than {MAX_NODES:,} keys and values"


def test_the_billion_laughs_answers_at_once_with_the_crossing_alias() -> None:
    assert len(BOMB.encode()) < 350
    started = time.perf_counter()
    found = problems_of(BOMB)
    assert time.perf_counter() - started < HANG
    assert len(found) == 1 and found[0].startswith(f"f.yaml:{BOMB_AT}: this YAML alias makes the document larger")
    assert column_of(BOMB, "*e", 6) == int(BOMB_AT.split(":")[1])


def test_an_alias_cycle_is_still_a_cycle_not_a_size() -> None:
    assert problems_of("&a [*a, *a]") == [
        "f.yaml:1:1: [0]: a YAML alias refers back to its own anchor (a cycle)",
        "f.yaml:1:1: [1]: a YAML alias refers back to its own anchor (a cycle)",
    ]


def test_the_shipped_workflows_are_far_below_the_bounds() -> None:
    for file in sorted((ROOT / "workflows").glob("*.yaml")):
        text = file.read_text(encoding="utf-8")
        composer = loader._CountingLoader(text) if loader._LIBYAML else loader._SafeLoader(text)
        composer.get_single_node()
        assert composer._total < MAX_NODES // 20, file.name
        assert composer._reach <= 10, file.name


# ---------------------------------------------------------------- depth


@pytest.mark.parametrize(
    ("nest", "close"),
    [("[", "]"), ("{a: ", "}"), ("- ", "x")],
    ids=["flow-lists", "flow-mappings", "block-lists"],
)
def test_nesting_at_the_depth_limit_is_read_and_one_deeper_is_refused(nest: str, close: str) -> None:
    def nested(depth: int) -> str:
        return nest * depth + (close * depth if close != "x" else "x") + "\n"

    doc, problems = parse_yaml(nested(MAX_DEPTH), "f.yaml")
    assert problems == [] and doc is not None
    # The limit is crossed at the first character of the level one too deep.
    assert problems_of(nested(MAX_DEPTH + 1)) == [
        f"f.yaml:1:{len(nest) * MAX_DEPTH + 1}: the document is nested too deeply "
        f"(more than {MAX_DEPTH} levels of lists and mappings)"
    ]


def test_nesting_of_a_block_mapping_is_refused_on_its_line() -> None:
    text = "".join(f"{'  ' * i}k{i}:\n" for i in range(MAX_DEPTH + 1)) + "  " * (MAX_DEPTH + 1) + "v\n"
    assert problems_of(text) == [
        f"f.yaml:{MAX_DEPTH + 1}:{2 * MAX_DEPTH + 1}: the document is nested too deeply "
        f"(more than {MAX_DEPTH} levels of lists and mappings)"
    ]


@pytest.mark.parametrize("depth", [1_000, 5_000, 500_000])
def test_nesting_libyaml_or_python_would_not_survive_is_a_problem(depth: int) -> None:
    (found,) = problems_of("[" * depth + "]" * depth)
    assert found.startswith(f"f.yaml:1:{MAX_DEPTH + 1}: the document is nested too deeply")


def test_an_alias_nesting_past_the_depth_limit_is_refused_at_the_alias() -> None:
    # a's lists are levels 2 to 50 under the top-level mapping (a height of 49): an alias of it at level 51
    # reaches level 100 once expanded, one level more reaches 101.
    anchored = "a: &a " + "[" * 49 + "x" + "]" * 49 + "\n"
    doc, problems = parse_yaml(anchored + "b: " + "[" * 50 + "*a" + "]" * 50 + "\n", "f.yaml")
    assert problems == [] and doc is not None
    assert problems_of(anchored + "b: " + "[" * 51 + "*a" + "]" * 51 + "\n") == [
        f"f.yaml:2:{4 + 51}: this YAML alias nests the document too deeply once expanded "
        f"(more than {MAX_DEPTH} levels of lists and mappings)"
    ]


def test_chained_aliases_cannot_nest_a_small_document_a_thousand_levels_deep() -> None:
    # Each line 90 levels deep around an alias of the line before: 1,080 levels once expanded, in 2.3 KB.
    lines = [f"a{i}: &a{i} " + "[" * 90 + (f"*a{i - 1}" if i else "x") + "]" * 90 for i in range(12)]
    assert problems_of("\n".join(lines) + "\n") == [
        "f.yaml:2:99: this YAML alias nests the document too deeply once expanded "
        f"(more than {MAX_DEPTH} levels of lists and mappings)"
    ]


def test_a_workflow_at_the_depth_limit_is_checked_without_recursing_too_far() -> None:
    deep = "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)  # under the top-level mapping: MAX_DEPTH levels
    wf, problems = SHIPPED.check_text(MINIMAL + f"x-deep: {deep}\n", "deep.yaml")
    assert problems == [] and wf is not None


# ---------------------------------------------------------------- characters, numbers, tags


@pytest.mark.parametrize(
    ("text", "where", "character"),
    [
        ("id: x\ntitle: a\x00b\n", "2:9", "0000"),
        ("\ufeffid: x\r\ntitle: ạ\x01\n", "2:9", "0001"),  # a BOM, CRLF and a character outside ASCII before it
        ("a:\n  - \x1b[31m\n", "2:5", "001b"),
        ("a: '\ud800'\n", "1:5", "d800"),
    ],
    ids=["nul", "after-crlf-and-bom", "escape", "lone-surrogate"],
)
def test_a_character_yaml_refuses_is_reported_where_it_is(text: str, where: str, character: str) -> None:
    assert problems_of(text) == [
        f"f.yaml:{where}: YAML syntax error: character #x{character} is not allowed "
        "(control characters and lone surrogates are refused)"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id: !!int abc\n", "1:5: the YAML could not be read: 'abc' is not a valid !!int"),
        ("id: !!bool maybe\n", "1:5: the YAML could not be read: 'maybe' is not a valid !!bool"),
        ("id: !!float x\n", "1:5: the YAML could not be read: 'x' is not a valid !!float"),
        ("on: !!timestamp 2025-13-45\n", "1:5: the YAML could not be read: '2025-13-45' is not a valid !!timestamp"),
        ("on: !!timestamp soon\n", "1:5: the YAML could not be read: 'soon' is not a valid !!timestamp"),
        (
            "!!python/object/apply:os.system ['true']\n",
            "1:1: the YAML tag !!python/object/apply:os.system is not supported (only plain lists and mappings)",
        ),
        (
            "a: !!python/name:os.system ''\n",
            "1:4: YAML syntax error: could not determine a constructor for the tag "
            "'tag:yaml.org,2002:python/name:os.system'",
        ),
        (
            "a:\n  b: !!python/object:os.system {x: 1}\n",
            "2:6: the YAML tag !!python/object:os.system is not supported (only plain lists and mappings)",
        ),
        ("a: !local x\n", "1:4: YAML syntax error: could not determine a constructor for the tag '!local'"),
        ("a: !!set {x}\n", "1:4: the YAML tag !!set is not supported (only plain lists and mappings)"),
        ("a: !!omap [x: 1]\n", "1:4: the YAML tag !!omap is not supported (only plain lists and mappings)"),
        (
            "id: x\nversion: 1" + "0" * 5000 + "\n",
            f"2:10: a number of 5,001 characters; at most {MAX_NUMBER_CHARS} are read (quote it to keep it as text)",
        ),
        (
            "a: 1" + ":1" * 100_000 + "\n",  # sexagesimal: converting it takes time quadratic in its length
            f"1:4: a number of 200,001 characters; at most {MAX_NUMBER_CHARS} are read (quote it to keep it as text)",
        ),
        (
            "a: !!float " + "9" * 101 + "\n",
            f"1:4: a number of 101 characters; at most {MAX_NUMBER_CHARS} are read (quote it to keep it as text)",
        ),
    ],
)
def test_a_value_that_cannot_be_read_is_a_problem_at_the_value(text: str, expected: str) -> None:
    started = time.perf_counter()
    assert problems_of(text) == [f"f.yaml:{expected}"]
    assert time.perf_counter() - started < HANG


def test_numbers_up_to_the_limit_and_quoted_long_numbers_are_read() -> None:
    doc, problems = parse_yaml(f"a: {'9' * MAX_NUMBER_CHARS}\nb: '{'9' * 5000}'\nc: !!str 1:2\n", "f.yaml")
    assert problems == [] and doc is not None
    assert doc.data == {"a": int("9" * MAX_NUMBER_CHARS), "b": "9" * 5000, "c": "1:2"}


def test_no_input_raises() -> None:
    """Random documents over YAML's punctuation: whatever they are, the answer is a document or problems."""
    alphabet = [*"[]{}:,-&*!?|>'\"#%@` \n\t\r", "a", "b", "0", "x: ", "&a ", "*a", "!!int ", "\x00", "ạ"]
    rng = random.Random(13)
    for _ in range(1500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        doc, problems = parse_yaml(text, "f.yaml")
        assert doc is not None or problems, repr(text)


def random_document(rng: random.Random, anchors: list[str], depth: int = 0) -> str:
    """A flow-style document of lists, mappings, anchors and aliases (cycles included)."""
    roll = rng.random()
    if roll < 0.3 and anchors:
        return "*" + rng.choice(anchors)
    anchor = ""
    if rng.random() < 0.4:
        anchors.append(f"n{len(anchors)}")
        anchor = f"&{anchors[-1]} "
    if depth > 6 or roll < 0.45:
        return anchor + "x"
    items = [random_document(rng, anchors, depth + 1) for _ in range(rng.randint(0, 4))]
    if roll < 0.75:
        return anchor + "[" + ", ".join(items) + "]"
    return anchor + "{" + ", ".join(f"k{i}: {item}" for i, item in enumerate(items)) + "}"


@pytest.mark.parametrize(("nodes", "depth"), [(20, 6), (20, 5)])
@pytest.mark.parametrize("parser", ["both"])  # each document is parsed both ways below
def test_the_builder_and_the_bounded_composer_agree_on_where_a_document_crosses_a_bound(
    monkeypatch: pytest.MonkeyPatch, parser: str, nodes: int, depth: int
) -> None:
    """On libyaml's composer the builder checks the bounds and the bounded composer, counting the same way,
    says where they are crossed; on the pure-Python parser the composer alone refuses. Small bounds make random
    documents cross them often: both answer the same, and always at a place."""
    from admission_flow.workflow.limits import LoaderLimits

    small = LoaderLimits(max_nodes=nodes, max_depth=depth)
    rng = random.Random(13)
    seen: set[str] = set()
    for _ in range(1000):
        text = "root: " + random_document(rng, [])
        with monkeypatch.context() as pure:
            pure.setattr(loader, "_LIBYAML", False)
            expected = parse_yaml(text, "f.yaml", small)
        assert parse_yaml(text, "f.yaml", small) == expected, text
        seen.update(p.message for p in expected[1])
    kinds = (
        "a YAML alias refers back",
        "the document has more than",
        "this YAML alias makes",
        "the document is nested",
        "this YAML alias nests",
    )
    assert {kind for kind in kinds if any(message.startswith(kind) for message in seen)} == set(kinds)
    assert not any(message.startswith("the document is over") for message in seen)


# ---------------------------------------------------------------- through the catalog, the facade and the CLI


def test_a_bomb_in_the_workflows_folder_stops_the_load_at_once_with_its_place(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "workflows", tmp_path / "workflows")
    (tmp_path / "workflows" / "bomb.yaml").write_text(BOMB, encoding="utf-8")
    started = time.perf_counter()
    with pytest.raises(WorkflowDefinitionError) as caught:
        Catalog.from_folder(tmp_path / "workflows", default_registry())
    assert time.perf_counter() - started < HANG
    assert [str(p).split(": ")[0] for p in caught.value.problems] == [
        f"{tmp_path / 'workflows' / 'bomb.yaml'}:{BOMB_AT}"
    ]


def test_the_facade_answers_a_bomb_and_deep_nesting_with_problems(tmp_path: Path) -> None:
    flow = AdmissionFlow(Settings(database_url=f"sqlite:///{tmp_path / 'f.db'}", workflows_dir=ROOT / "workflows"))
    try:
        started = time.perf_counter()
        summary, problems = flow.validate_workflow_text("bomb.yaml", BOMB)
        assert time.perf_counter() - started < HANG
        assert summary is None and len(problems) == 1
        assert str(problems[0]).startswith(f"bomb.yaml:{BOMB_AT}: this YAML alias")
        summary, problems = flow.validate_workflow_text("deep.yaml", "[" * 5000 + "]" * 5000)
        assert summary is None
        assert [str(p) for p in problems] == [
            f"deep.yaml:1:{MAX_DEPTH + 1}: the document is nested too deeply "
            f"(more than {MAX_DEPTH} levels of lists and mappings)"
        ]
    finally:
        flow.close()


@pytest.mark.parametrize(
    ("text", "where"),
    [(BOMB, BOMB_AT), ("a: " + "[" * 1000 + "]" * 1000 + "\n", f"1:{4 + MAX_DEPTH - 1}"), ("a: x\x00\n", "1:5")],
    ids=["bomb", "deep", "nul"],
)
@pytest.mark.parametrize("parser", ["its-own"])  # the command runs in its own process: once, not per parser
def test_the_cli_validate_reports_the_place_and_exits_5_without_a_traceback(
    tmp_path: Path, parser: str, text: str, where: str
) -> None:
    (tmp_path / "bad.yaml").write_text(text, encoding="utf-8")
    started = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "admission_flow",
            "--database-url",
            f"sqlite:///{tmp_path / 'cli.db'}",
            "validate",
            "bad.yaml",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "200"},
    )
    assert time.perf_counter() - started < HANG
    output = done.stdout + done.stderr
    assert done.returncode == 5, output
    assert f"bad.yaml:{where}: " in output
    assert "Traceback" not in output


def test_the_bounds_are_a_value_the_settings_choose() -> None:
    """Depth, size, number length and file size at their boundaries with smaller limits than the defaults."""
    from admission_flow.workflow.limits import LoaderLimits

    tight = LoaderLimits(max_depth=10, max_nodes=50, max_number_chars=5, max_file_bytes=64)
    assert parse_yaml("a: " + "[" * 9 + "]" * 9, "f.yaml", tight)[0] is not None  # 10 levels with the mapping
    doc, found = parse_yaml("a: " + "[" * 10 + "]" * 10, "f.yaml", tight)
    assert doc is None and "more than 10 levels" in str(found[0])
    assert parse_yaml("[" + ",".join("x" * 49) + "]", "f.yaml", tight)[0] is not None
    assert "more than 50 keys and values" in str(parse_yaml("[" + ",".join("x" * 50) + "]", "f.yaml", tight)[1][0])
    assert parse_yaml("a: 12345", "f.yaml", tight)[0] is not None
    assert "at most 5 are read" in str(parse_yaml("a: 123456", "f.yaml", tight)[1][0])


def test_a_workflow_file_over_the_size_bound_is_refused_unread(tmp_path: Path) -> None:
    from admission_flow.workflow.limits import LoaderLimits
    from admission_flow.workflow.loader import read_yaml_file

    file = tmp_path / "big.yaml"
    file.write_text("a: 1\n" * 13, encoding="utf-8")  # 65 bytes
    assert read_yaml_file(file, limits=LoaderLimits(max_file_bytes=65))[0] is not None
    doc, found = read_yaml_file(file, limits=LoaderLimits(max_file_bytes=64))
    assert doc is None and [str(p) for p in found] == [
        f"{file}:1:1: the file has 65 bytes; at most 64 are read (workflow_max_file_bytes)"
    ]

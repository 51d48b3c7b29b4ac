"""Fuzzing the workflow loader (issue 13): random YAML documents and mutations of the shipped workflow files
(byte flips, truncation, duplicated and removed lines, injected anchors and aliases, alias bombs, deep nesting)
through ``loader.parse_yaml`` (libyaml's path and the pure-Python one), ``Catalog.check_text`` and
``AdmissionFlow.validate_workflow_text``. Whatever comes in:

- nothing raises (a ``WorkflowDefinitionError`` would be allowed; today nothing does raise);
- every problem has a positive line and column;
- a document that is read stays within the limits: at most ``MAX_DEPTH`` levels of lists and mappings, at most
  ``MAX_NODES`` keys and values once aliases are expanded;
- each call returns within ``SECONDS`` (the bounds keep a hostile file cheap).

Budget: ``ADMISSION_FLOW_PROPERTY_EXAMPLES`` (default 25, as in test_property_flow.py): four times that many
examples of the small random texts, twice that many of the mutated whole files (each ~0.3 s: two parses and a
full validation; a mutation with an alias bomb ~2 s, libyaml's path building up to ``MAX_NODES`` before it
refuses). A longer run::

    ADMISSION_FLOW_PROPERTY_EXAMPLES=1000 .venv/bin/pytest tests/property -q
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from admission_flow.errors import Problem, WorkflowDefinitionError
from admission_flow.flow import AdmissionFlow
from admission_flow.settings import Settings
from admission_flow.workflow import loader
from admission_flow.workflow.loader import MAX_DEPTH, MAX_NODES, parse_yaml

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = {p.name: p.read_text(encoding="utf-8") for p in sorted((ROOT / "workflows").glob("*.yaml"))}
VALID = {p.name: p.read_text(encoding="utf-8") for p in sorted((ROOT / "tests/workflows/valid").glob("*.yaml"))}
SOURCES = {**SHIPPED, **VALID}
BASE = int(os.environ.get("ADMISSION_FLOW_PROPERTY_EXAMPLES", "25"))
SECONDS = 60.0  # tells an answer from a hang (unbounded expansion takes hours); speed is bench/validate.py's
QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture]
FUZZ = settings(max_examples=4 * BASE, deadline=None, database=None, suppress_health_check=QUIET)  # small texts
MUTATE = settings(max_examples=2 * BASE, deadline=None, database=None, suppress_health_check=QUIET)  # whole files


@pytest.fixture(scope="module")
def flow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AdmissionFlow]:
    """The shipped workflows loaded; validating text never touches the database (not even migrated)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'unused.db'}"
    with AdmissionFlow(Settings(database_url=url, workflows_dir=ROOT / "workflows")) as flow:
        assert len(flow.catalog) > 0
        yield flow


@contextmanager
def parser(pure: bool) -> Iterator[None]:
    """libyaml's fast path (when installed), or the pure-Python parser the loader falls back on."""
    if pure:
        with mock.patch.object(loader, "_LIBYAML", False):
            yield
    else:
        yield


# ---------------------------------------------------------------------------- checks


def check_problems(problems: list[Problem]) -> None:
    for problem in problems:
        assert isinstance(problem, Problem), problem
        assert problem.line >= 1 and problem.column >= 1, problem
        assert isinstance(problem.message, str) and problem.message, problem


def within_limits(data: Any) -> None:
    """Depth and expanded size of what the loader returned, counted as the loader counts: every key and every
    value, lists and mappings included (aliases share objects: each use counts)."""
    count = 1
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            depth += 1
            assert depth <= MAX_DEPTH, "deeper than MAX_DEPTH"
            count += 2 * len(value)
            stack.extend((v, depth) for v in value.values())
        elif isinstance(value, list):
            depth += 1
            assert depth <= MAX_DEPTH, "deeper than MAX_DEPTH"
            count += len(value)
            stack.extend((v, depth) for v in value)
        assert count <= MAX_NODES, "larger than MAX_NODES once expanded"


def timed(call: Any, *args: Any, **kwargs: Any) -> Any:
    start = time.perf_counter()
    try:
        result = call(*args, **kwargs)
    except WorkflowDefinitionError as exc:  # the one exception the package may answer with
        check_problems(list(exc.problems))
        result = None
    took = time.perf_counter() - start
    assert took < SECONDS, f"{call.__qualname__} took {took:.1f} s"
    return result


def check_everywhere(flow: AdmissionFlow, text: str, *, whole: bool = True) -> None:
    """The text through the loader (both parsers), the catalog and the facade (as text and as UTF-8 bytes). Not
    ``whole``: the catalog and the bytes are left out (the facade checks the text through the catalog anyway),
    for the larger mutated files, whose examples cost more."""
    for pure in (False, True):
        with parser(pure):
            doc, problems = timed(parse_yaml, text, "fuzz.yaml")
        check_problems(problems)
        if doc is not None:
            within_limits(doc.data)
            for position in [*doc.values.values(), *doc.keys.values()]:
                assert position.line >= 1 and position.column >= 1, position
    checked = timed(flow.catalog.check_text, text, "fuzz.yaml") if whole else None
    if checked is not None:
        wf, problems = checked
        check_problems(problems)
        assert (wf is None) == bool(problems) or wf is None
    for payload in (text, text.encode("utf-8", "surrogatepass")) if whole else (text,):
        answered = timed(flow.validate_workflow_text, "fuzz.yaml", payload)
        if answered is not None:
            summary, problems = answered
            check_problems(problems)
            assert (summary is None) == bool(problems)


def check_bytes(flow: AdmissionFlow, data: bytes) -> None:
    """Raw bytes (perhaps not UTF-8) through the facade, and their lenient decoding through everything."""
    answered = timed(flow.validate_workflow_text, "fuzz.yaml", data)
    if answered is not None:
        check_problems(answered[1])
    check_everywhere(flow, data.decode("utf-8", "replace"), whole=False)


# ---------------------------------------------------------------------------- random documents

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.sampled_from(["on", "off", "yes", "~", "0x10", "1e400", "2025-13-40", "*", "&", "!!", "<<"]),
)
plain_data = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(st.one_of(st.text(max_size=10), st.integers(), st.booleans()), children, max_size=5),
    ),
    max_leaves=40,
)
yaml_tokens = st.sampled_from(
    [
        "a: 1",
        "- x",
        "&a",
        "*a",
        "&b [*a, *a]",
        "!!int abc",
        "!!python/object:os.system",
        "!!binary AAAA",
        "<<: *a",
        "? complex",
        "{",
        "}",
        "[",
        "]",
        ":",
        "---",
        "...",
        "%YAML 1.1",
        "|",
        ">-",
        "'",
        '"',
        "\t",
        "\x00",
        "\ufeff",
        "\u2028",
        "# c",
        "  ",
        "\n",
    ]
)


@FUZZ
@given(data=plain_data, flow_style=st.sampled_from([None, True, False]))
def test_random_yaml_documents(flow: AdmissionFlow, data: Any, flow_style: bool | None) -> None:
    check_everywhere(flow, yaml.safe_dump(data, default_flow_style=flow_style, allow_unicode=True))


@FUZZ
@given(
    tokens=st.lists(yaml_tokens, max_size=30),
    joiners=st.lists(st.sampled_from([" ", "\n", "\n  ", ""]), min_size=30, max_size=30),
)
def test_random_yaml_token_soup(flow: AdmissionFlow, tokens: list[str], joiners: list[str]) -> None:
    check_everywhere(flow, "".join(t + j for t, j in zip(tokens, joiners, strict=False)))


@FUZZ
@given(text=st.text(max_size=300))
def test_random_text(flow: AdmissionFlow, text: str) -> None:
    check_everywhere(flow, text)


# ---------------------------------------------------------------------------- mutations of real workflow files


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A shipped or valid workflow file with one to three random mutations."""
    text = SOURCES[draw(st.sampled_from(sorted(SOURCES)), label="file")]
    for _ in range(draw(st.integers(1, 3), label="mutations")):
        kind = draw(
            st.sampled_from(["truncate", "duplicate", "remove", "swap", "alias", "anchor", "nest", "bomb", "chars"]),
            label="kind",
        )
        lines = _lines(text) or [""]
        at = draw(st.integers(0, max(0, len(lines) - 1)), label="line")
        if kind == "truncate":
            text = text[: draw(st.integers(0, len(text)), label="cut")]
        elif kind == "duplicate":
            lines.insert(at, lines[at])
            text = "".join(lines)
        elif kind == "remove":
            del lines[at]
            text = "".join(lines)
        elif kind == "swap":
            other = draw(st.integers(0, len(lines) - 1), label="other")
            lines[at], lines[other] = lines[other], lines[at]
            text = "".join(lines)
        elif kind == "alias":
            name = draw(st.sampled_from(["a", "certificate_validity", "admission_decision", "nope"]), label="alias")
            line = lines[at]
            head = line.split(":", 1)[0] + ": " if ":" in line else line.rstrip("\n") + " "
            lines[at] = f"{head}*{name}\n"
            text = "".join(lines)
        elif kind == "anchor":
            line = lines[at].rstrip("\n")
            lines[at] = (line.replace(": ", ": &a ", 1) if ": " in line else line + " &a") + "\n"
            text = "".join(lines)
        elif kind == "nest":
            depth = draw(st.integers(1, 3 * MAX_DEPTH), label="depth")
            style = draw(st.sampled_from(["flow_list", "flow_map", "block"]), label="style")
            if style == "flow_list":
                nest = "[" * depth + "]" * draw(st.integers(0, depth), label="closing")
            elif style == "flow_map":
                nest = "{a: " * depth + "}" * draw(st.integers(0, depth), label="closing")
            else:
                nest = "".join("  " * i + "- \n" for i in range(min(depth, 150)))
            lines.insert(at, f"x-nest: {nest}\n" if style != "block" else "x-nest:\n" + nest)
            text = "".join(lines)
        elif kind == "bomb":
            levels = draw(st.integers(2, 12), label="levels")
            width = draw(st.integers(2, 12), label="width")
            bomb = ["x-l0: &l0 [" + ",".join(["x"] * width) + "]\n"]
            bomb += [f"x-l{n}: &l{n} [{','.join([f'*l{n - 1}'] * width)}]\n" for n in range(1, levels)]
            text = "".join(bomb) + text
        else:
            pos = draw(st.integers(0, len(text)), label="pos")
            junk = draw(st.text(min_size=1, max_size=4), label="junk")
            text = text[:pos] + junk + text[pos + draw(st.integers(0, 4), label="drop") :]
    return text


@MUTATE
@given(text=mutated())
@example(text="x-a: &a [" + "[" * 150 + "]" * 150 + "]\n")
@example(text="".join(f"x-l{n}: &l{n} [{','.join([f'*l{n - 1}' if n else 'x'] * 10)}]\n" for n in range(10)))
def test_mutated_workflow_files(flow: AdmissionFlow, text: str) -> None:
    check_everywhere(flow, text, whole=False)


@MUTATE
@given(
    name=st.sampled_from(sorted(SOURCES)),
    flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(1, 255)), min_size=1, max_size=8),
)
def test_byte_flips_of_workflow_files(flow: AdmissionFlow, name: str, flips: list[tuple[float, int]]) -> None:
    data = bytearray(SOURCES[name].encode("utf-8"))
    for where, mask in flips:
        data[int(where * len(data))] ^= mask
    check_bytes(flow, bytes(data))


def test_the_shipped_files_pass_the_checks_unchanged(flow: AdmissionFlow) -> None:
    """The oracle's baseline: every shipped and valid file is read, within the limits, with no problem."""
    for name, text in SOURCES.items():
        doc, problems = parse_yaml(text, name)
        assert doc is not None and problems == [], (name, problems)
        within_limits(doc.data)

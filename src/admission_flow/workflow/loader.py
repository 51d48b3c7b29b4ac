"""Read YAML into plain data while remembering where every key and value came from.

The loader is bool-safe (only ``true``/``false`` are booleans; ``on``, ``off``, ``yes``, ``no`` stay text, so a
guard parameter named ``on`` works), keeps dates as text (pydantic parses them), and reports duplicate keys,
which plain PyYAML silently overwrites. Positions are 1-based ``line:column`` and are kept per path so that
validation errors, and later merges of ``extends`` files, can point back at the exact spot.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from admission_flow.errors import Problem

PathKey = tuple[str | int, ...]


@dataclass(frozen=True)
class Position:
    file: str
    line: int
    column: int


@dataclass
class LocatedDocument:
    """Plain data (dicts, lists, scalars) plus the position of each path's key and value."""

    file: str
    data: Any
    values: dict[PathKey, Position] = field(default_factory=dict)
    keys: dict[PathKey, Position] = field(default_factory=dict)

    def locate(self, path: PathKey, *, prefer_key: bool = False) -> Position:
        """The position of ``path``, or of its nearest ancestor that has one."""
        probe = tuple(path)
        while True:
            table = (self.keys, self.values) if prefer_key else (self.values, self.keys)
            for positions in table:
                if probe in positions:
                    return positions[probe]
            if not probe:
                return Position(self.file, 1, 1)
            probe = probe[:-1]

    def problem(self, path: PathKey, message: str, *, prefer_key: bool = False) -> Problem:
        pos = self.locate(path, prefer_key=prefer_key)
        return Problem(pos.file, pos.line, pos.column, format_path(path), message)


def format_path(path: PathKey) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class _SafeLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans and no implicit timestamps."""


class _FastLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The same rules on libyaml's parser when it is installed (several times faster)."""


for _loader in (_SafeLoader, _FastLoader):
    _loader.yaml_implicit_resolvers = {
        first: [
            (tag, rx) for tag, rx in resolvers if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")
        ]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    _loader.add_implicit_resolver(
        "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
    )


class _Builder:
    def __init__(self, file: str, loader: Any) -> None:
        self.doc = LocatedDocument(file=file, data=None)
        self.loader = loader
        self.problems: list[Problem] = []
        self._open: set[int] = set()  # nodes being built: an alias back into one of them is a cycle
        self.cyclic = False

    def pos(self, node: yaml.Node) -> Position:
        return Position(self.doc.file, node.start_mark.line + 1, node.start_mark.column + 1)

    def build(self, node: yaml.Node, path: PathKey) -> Any:
        self.doc.values[path] = self.pos(node)
        if isinstance(node, yaml.ScalarNode):
            return self.loader.construct_object(node, deep=True)
        if id(node) in self._open:
            self.cyclic = True
            self.problems.append(self._at(node, path, "a YAML alias refers back to its own anchor (a cycle)"))
            return None
        self._open.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path)
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        finally:
            self._open.discard(id(node))

    def _mapping(self, node: yaml.MappingNode, path: PathKey) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.problems.append(self._at(key_node, path, "YAML merge keys (<<) are not supported"))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append(self._at(key_node, path, "keys must be plain text"))
                continue
            # The key as written: `true:`, `0x10:` or `~:` stay "true", "0x10" and "~", not "True", "16", "None".
            key = str(key_node.value)
            child = (*path, key)
            if key in result:
                first = self.doc.keys[child]
                self.problems.append(
                    self._at(key_node, child, f"duplicate key {key!r} (first defined at line {first.line})")
                )
                continue
            self.doc.keys[child] = self.pos(key_node)
            result[key] = self.build(value_node, child)
        return result

    def _at(self, node: yaml.Node, path: PathKey, message: str) -> Problem:
        pos = self.pos(node)
        return Problem(pos.file, pos.line, pos.column, format_path(path), message)


def parse_yaml(text: str, file: str) -> tuple[LocatedDocument | None, list[Problem]]:
    """Parse one YAML document. Returns the located document (None on a syntax error) and the problems.

    libyaml parses when available; a file it rejects is parsed again by the pure-Python parser, whose
    messages say more (and are the ones the invalid-file corpus pins).
    """
    if _FastLoader is not _SafeLoader:
        try:
            return _parse(_FastLoader(text), file)
        except yaml.YAMLError:
            pass
    try:
        return _parse(_SafeLoader(text), file)
    except yaml.MarkedYAMLError as exc:
        return None, [_syntax_problem(exc, file)]
    except yaml.YAMLError as exc:
        return None, [Problem(file, 1, 1, "", f"YAML error: {exc}")]


def _parse(loader: Any, file: str) -> tuple[LocatedDocument | None, list[Problem]]:
    try:
        node = loader.get_single_node()
        if node is None:
            return None, [Problem(file, 1, 1, "", "the file is empty")]
        builder = _Builder(file, loader)
        builder.doc.data = builder.build(node, ())
        return (None if builder.cyclic else builder.doc), builder.problems
    finally:
        loader.dispose()


def _syntax_problem(exc: yaml.MarkedYAMLError, file: str) -> Problem:
    """``while parsing a flow mapping at line 4, column 7: expected ',' or '}', but got ':'``."""
    mark, context = exc.problem_mark or exc.context_mark, exc.context
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    start, joiner = exc.context_mark, " "  # "expected a single document in the stream but found another..."
    if context and context.startswith("while "):
        joiner = ": "
        if start is not None and (start.line, start.column) != (line - 1, column - 1):
            context += f" at line {start.line + 1}, column {start.column + 1}"
    message = joiner.join(filter(None, [context, exc.problem])) or "invalid YAML"
    if "\\t" in (exc.problem or ""):
        message += " (indent with spaces, not tabs)"
    return Problem(file, line, column, "", f"YAML syntax error: {message}")


def read_yaml_file(path: Path, display: str | None = None) -> tuple[LocatedDocument | None, list[Problem]]:
    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(name, 1, 1, "", f"the file is not UTF-8 text ({exc.reason})")]
    except OSError as exc:
        return None, [Problem(name, 1, 1, "", f"cannot read the file: {exc.strerror}")]
    return parse_yaml(text, name)


def iter_workflow_files(folder: Path) -> Iterator[Path]:
    yield from sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in (".yaml", ".yml"))

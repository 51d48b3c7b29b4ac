"""Read YAML into plain data while remembering where every key and value came from.

The loader is bool-safe (only ``true``/``false`` are booleans; ``on``, ``off``, ``yes``, ``no`` stay text, so a
guard parameter named ``on`` works), keeps dates as text (pydantic parses them), and reports duplicate keys,
which plain PyYAML silently overwrites. Positions are 1-based ``line:column`` and are kept per path so that
validation errors, and later merges of ``extends`` files, can point back at the exact spot.

A document from outside (an upload) is bounded before anything else walks it: at most ``MAX_DEPTH`` levels of
lists and mappings and at most ``MAX_NODES`` keys and values once its aliases are expanded, numbers of at most
``MAX_NUMBER_CHARS`` characters, no tag the safe loader does not construct. An alias counts as the size and height
of what it names, known once that is complete, so a "billion laughs" file stops at the alias that crosses the
bound without being expanded. libyaml's composer cannot count: on that fast path the builder checks the same
bounds as it expands, and only a refused document is composed again by the counting composer, to say where.
Every failure is a ``Problem`` at its line and column, never an exception.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer, ComposerError
from yaml.events import AliasEvent, ScalarEvent, SequenceStartEvent
from yaml.reader import ReaderError

from admission_flow.errors import Problem
from admission_flow.workflow.limits import DEFAULT_LIMITS, LoaderLimits

PathKey = tuple[str | int, ...]

# The defaults, under their former names; the bounds in force come from the settings, as a LoaderLimits.
MAX_DEPTH = DEFAULT_LIMITS.max_depth
MAX_NODES = DEFAULT_LIMITS.max_nodes
MAX_NUMBER_CHARS = DEFAULT_LIMITS.max_number_chars
_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
_COLLECTION_TAGS = ("tag:yaml.org,2002:seq", "tag:yaml.org,2002:map")
_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")  # the line breaks PyYAML counts


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


class _Refused(Exception):
    """What stops a document at one place: too deep, too large once expanded, a value that cannot be read."""

    def __init__(self, mark: Any, message: str) -> None:
        super().__init__(message)
        self.line, self.column, self.message = mark.line + 1, mark.column + 1, message


class _OverBounds(Exception):
    """The builder found a document over the bounds (composed by libyaml): the bounded composer says where."""


class _BoundedComposer(Composer):
    """PyYAML's composer, counting as it goes what the document will be once its aliases are expanded: its size
    (keys and values) and its depth (lists and mappings). An alias adds the size and the height of the node it
    names, remembered when that node was complete, so counting costs one step per event whatever the aliases
    would expand to. It counts every node, the builder only those it keeps (not a duplicate key's value), so it
    refuses wherever the builder would, at the same place or before."""

    peek_event: Callable[[], Any]  # the parser's (PyYAML's or libyaml's)
    get_event: Callable[[], Any]

    def _start(self, limits: LoaderLimits) -> None:
        self._limits = limits
        self.anchors: dict[str, Any] = {}
        self._total = 0  # keys and values so far, aliases expanded
        self._depth = 0  # lists and mappings open around the next node
        self._reach = 0  # the deepest level reached so far inside the node being composed, aliases expanded
        self._sizes: dict[int, tuple[int, int]] = {}  # id(anchored node) -> its expanded size and height
        self._cyclic = False

    def compose_node(self, parent: Any, index: Any) -> Any:
        # Composer.compose_node with the counts; the path resolvers it would call are not used here.
        event = self.peek_event()
        if isinstance(event, AliasEvent):
            return self._alias(self.get_event())
        anchor = event.anchor
        if anchor is not None and anchor in self.anchors:
            first = self.anchors[anchor].start_mark
            raise ComposerError(
                f"found duplicate anchor {anchor!r}; first occurrence", first, "second occurrence", event.start_mark
            )
        self._total += 1
        if self._total > self._limits.max_nodes:
            raise _Refused(event.start_mark, f"the document has more than {self._limits.max_nodes:,} keys and values")
        before, outer = self._total, self._reach
        node: yaml.Node
        if isinstance(event, ScalarEvent):
            node, height = self.compose_scalar_node(anchor), 0
        else:
            self._depth += 1
            if self._depth > self._limits.max_depth:
                raise _Refused(event.start_mark, f"the document is nested too deeply ({self._limits.deeper})")
            self._reach = self._depth
            if isinstance(event, SequenceStartEvent):
                node = self.compose_sequence_node(anchor)
            else:
                node = self.compose_mapping_node(anchor)
            height = self._reach - self._depth + 1
            self._depth -= 1
            self._reach = max(outer, self._reach)
        if anchor is not None:
            self._sizes[id(node)] = (self._total - before + 1, height)
        return node

    def _alias(self, event: Any) -> Any:
        node = self.anchors.get(event.anchor)
        if node is None:
            raise ComposerError(None, None, f"found undefined alias {event.anchor!r}", event.start_mark)
        known = self._sizes.get(id(node))
        if known is None or self._cyclic:
            # An alias to a node still open is a cycle, which the builder reports; from then on it expands no
            # alias again: each counts as one value, as in the builder.
            self._cyclic, known = True, (1, 0)
        size, height = known
        self._total += size
        limits = self._limits
        if self._total > limits.max_nodes:
            raise _Refused(
                event.start_mark,
                f"this YAML alias makes the document larger than {limits.max_nodes:,} keys and values once aliases "
                "are expanded; aliases are not expanded past that",
            )
        if self._depth + height > limits.max_depth:
            message = f"this YAML alias nests the document too deeply once expanded ({limits.deeper})"
            raise _Refused(event.start_mark, message)
        self._reach = max(self._reach, self._depth + height)
        return node


_LIBYAML = hasattr(yaml, "CSafeLoader")
_CLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _SafeLoader(_BoundedComposer, yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans, no implicit timestamps, and the bounds above."""

    def __init__(self, stream: str, limits: LoaderLimits = DEFAULT_LIMITS) -> None:
        yaml.SafeLoader.__init__(self, stream)
        self._start(limits)


class _FastLoader(_CLoader):  # type: ignore[misc]
    """The same rules on libyaml's parser and composer when it is installed (several times faster). libyaml
    nests at most 1,000 levels but does not count aliases: the builder checks the bounds as it expands."""


class _CountingLoader(_BoundedComposer, _CLoader):  # type: ignore[misc]
    """libyaml's parser and the bounded composer: says where a document the builder refused crosses a bound."""

    def __init__(self, stream: str, limits: LoaderLimits = DEFAULT_LIMITS) -> None:
        _CLoader.__init__(self, stream)
        self._start(limits)


for _loader in (_SafeLoader, _FastLoader, _CountingLoader):
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
    def __init__(self, file: str, loader: Any, limits: LoaderLimits) -> None:
        self.limits = limits
        self.doc = LocatedDocument(file=file, data=None)
        self.loader = loader
        self.problems: list[Problem] = []
        self._open: set[int] = set()  # nodes being built: an alias back into one of them is a cycle
        self._sizes: dict[int, int] = {}  # id(collection built) -> the keys and values under it
        self.cyclic = False

    def count(self) -> int:
        """Keys and values built so far, aliases expanded."""
        return len(self.doc.values) + len(self.doc.keys)

    def pos(self, node: yaml.Node) -> Position:
        return Position(self.doc.file, node.start_mark.line + 1, node.start_mark.column + 1)

    def build(self, node: yaml.Node, path: PathKey) -> Any:
        self.doc.values[path] = self.pos(node)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if node.tag not in _COLLECTION_TAGS:  # !!set, !!omap, !!python/object:...
            message = f"the YAML tag {_short(node.tag)} is not supported (only plain lists and mappings)"
            raise _Refused(node.start_mark, message)
        if id(node) in self._open:
            self.cyclic = True
            self.problems.append(self._at(node, path, "a YAML alias refers back to its own anchor (a cycle)"))
            return None
        # The composer bounds what it composes; libyaml's does not, so the same bounds are checked here, before
        # going one level deeper or expanding an alias (a collection built before) again.
        seen = self._sizes.get(id(node))
        if seen is not None and self.cyclic:
            return None  # the document is refused for its cycle: nothing is expanded again
        limits = self.limits
        if len(self._open) >= limits.max_depth or (seen is not None and self.count() + seen > limits.max_nodes):
            raise _OverBounds
        before = self.count()
        self._open.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                result: Any = self._mapping(node, path)
            else:
                result = [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        finally:
            self._open.discard(id(node))
        self._sizes[id(node)] = self.count() - before
        return result

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag in _NUMBER_TAGS and len(node.value) > self.limits.max_number_chars:
            raise _Refused(
                node.start_mark,
                f"a number of {len(node.value):,} characters; at most {self.limits.max_number_chars} are read "
                "(quote it to keep it as text)",
            )
        failure: Exception
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:  # !!python/..., a local tag: PyYAML's words
            failure, message = exc, f"YAML syntax error: {exc.problem}"
        except Exception as exc:  # PyYAML's constructors let ValueError, KeyError, AttributeError out
            shown = node.value if len(node.value) <= 40 else node.value[:40] + "…"
            failure, message = exc, f"the YAML could not be read: {shown!r} is not a valid {_short(node.tag)}"
        raise _Refused(node.start_mark, message) from failure

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


def parse_yaml(
    text: str, file: str, limits: LoaderLimits = DEFAULT_LIMITS
) -> tuple[LocatedDocument | None, list[Problem]]:
    """Parse one YAML document. Returns the located document (None if it cannot be read) and the problems.

    libyaml parses when available; a file it rejects is parsed again by the pure-Python parser, whose
    messages say more (and are the ones the invalid-file corpus pins). Nothing raises: a document too deep or
    too large once expanded, a character YAML refuses or a value that cannot be read is a problem at its place.
    """
    try:
        if _LIBYAML:
            try:
                return _parse(_FastLoader(text), file, limits)
            except (yaml.YAMLError, UnicodeError):  # libyaml encodes the text: a lone surrogate cannot be
                pass
            except _OverBounds:
                # refused where the document crosses the bound
                return _parse(_CountingLoader(text, limits), file, limits)
        return _parse(_SafeLoader(text, limits), file, limits)
    except _Refused as exc:
        return None, [Problem(file, exc.line, exc.column, "", exc.message)]
    except _OverBounds:  # not expected: the composer counts all the builder does, and more, so refuses first
        over = f"the document is over {limits.max_nodes:,} keys and values or {limits.deeper}"
        return None, [Problem(file, 1, 1, "", over)]
    except ReaderError as exc:  # a NUL or another character YAML refuses; the position counts characters
        line, column = _line_column(text, exc.position)
        message = f"character #x{exc.character:04x} is not allowed (control characters and lone surrogates are refused)"
        return None, [Problem(file, line, column, "", f"YAML syntax error: {message}")]
    except yaml.MarkedYAMLError as exc:
        return None, [_syntax_problem(exc, file)]
    except yaml.YAMLError as exc:
        return None, [Problem(file, 1, 1, "", f"YAML error: {exc}")]
    except Exception as exc:  # the bounds above should make this unreachable; still, never crash
        return None, [Problem(file, 1, 1, "", f"the YAML could not be read: {type(exc).__name__}: {exc}"[:300])]


def _line_column(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of character ``index``, counting lines and columns as PyYAML's marks do."""
    head = text[:index]
    breaks = list(_BREAK.finditer(head))
    start = breaks[-1].end() if breaks else 0
    return len(breaks) + 1, index - start - head.count("\ufeff", start) + 1


def _short(tag: str) -> str:
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org,2002:") else tag


def _parse(loader: Any, file: str, limits: LoaderLimits) -> tuple[LocatedDocument | None, list[Problem]]:
    try:
        node = loader.get_single_node()
        if node is None:
            return None, [Problem(file, 1, 1, "", "the file is empty")]
        builder = _Builder(file, loader, limits)
        builder.doc.data = builder.build(node, ())
        if builder.count() > limits.max_nodes:
            raise _OverBounds
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


def read_yaml_file(
    path: Path, display: str | None = None, limits: LoaderLimits = DEFAULT_LIMITS
) -> tuple[LocatedDocument | None, list[Problem]]:
    name = display or str(path)
    try:
        size = path.stat().st_size
        if size > limits.max_file_bytes:  # refused before it is read: a huge file costs nothing
            most = f"at most {limits.max_file_bytes:,} are read (workflow_max_file_bytes)"
            return None, [Problem(name, 1, 1, "", f"the file has {size:,} bytes; {most}")]
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(name, 1, 1, "", f"the file is not UTF-8 text ({exc.reason})")]
    except OSError as exc:
        return None, [Problem(name, 1, 1, "", f"cannot read the file: {exc.strerror}")]
    return parse_yaml(text, name, limits)


def iter_workflow_files(folder: Path) -> Iterator[Path]:
    yield from sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in (".yaml", ".yml"))

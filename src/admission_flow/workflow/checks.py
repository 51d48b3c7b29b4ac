"""Validate a located YAML document: pydantic first, then the checks a schema cannot express.

Every problem is collected; nothing stops at the first. Messages say what was found and what was expected.
"""

from __future__ import annotations

import difflib
import types
from collections import defaultdict
from collections.abc import Iterable, Sequence
from contextvars import ContextVar
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from admission_flow.errors import Problem
from admission_flow.guards.base import GuardRegistry
from admission_flow.workflow.deadlines import deadline_problems
from admission_flow.workflow.loader import LocatedDocument, PathKey
from admission_flow.workflow.spec import ANY_STATE, BUILTIN_DATES, NAME_PATTERN, GuardCall, WorkflowSpec

_PLAIN_MESSAGES = {
    "missing": "this key is required",
    "string_pattern_mismatch": "must be a snake_case name (lowercase letters, digits and _; starting with a letter)",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "string_type": "must be text",
    "dict_type": "must be a mapping (key: value)",
    "model_type": "must be a mapping (key: value)",
    "list_type": "must be a list",
    "greater_than_equal": "must not be negative",
    "string_too_short": "must not be empty",
}


def validation_problems(
    doc: LocatedDocument, exc: ValidationError, model: type[BaseModel], base: PathKey = ()
) -> list[Problem]:
    """Translate pydantic errors into located problems with plain messages. ``model`` is what was validated."""
    problems = []
    for err in exc.errors(include_url=False):
        loc = [part for part in err["loc"] if isinstance(part, str | int)]
        # A bad mapping key (a state named `Probationary`) is reported at the key, not at its value.
        is_key = bool(loc) and loc[-1] == "[key]"
        loc = loc[:-1] if is_key else loc
        path = (*base, *loc)
        kind = err["type"]
        if kind == "extra_forbidden":
            known = _known_keys(model, loc[:-1])
            message = f"unknown key {path[-1]!r}{_hint(str(path[-1]), known) or _choices(known)}"
            problems.append(doc.problem(path, message, prefer_key=True))
            continue
        if kind == "missing":
            message = f"required key {path[-1]!r} is missing"
            problems.append(doc.problem(path[:-1], message))
            continue
        if kind == "string_pattern_mismatch" and (err.get("ctx") or {}).get("pattern") != NAME_PATTERN:
            message = f"{err['input']!r} does not match the expected form {err['ctx']['pattern']}"
        else:
            message = _PLAIN_MESSAGES.get(kind) or str(err["msg"]).removeprefix("Value error, ")
        problems.append(doc.problem(path, message, prefer_key=is_key))
    return problems


def _known_keys(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """The keys the model accepts at ``loc`` (as spelt in YAML), for a did-you-mean on an unknown key."""
    annotation: Any = model
    for part in (*loc, None):
        while get_origin(annotation) in (Annotated, Union, types.UnionType):  # Annotated[X, ...], X | None
            args = [arg for arg in get_args(annotation) if arg is not type(None)]
            if get_origin(annotation) is not Annotated and len(args) != 1:
                return []
            annotation = args[0]
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            fields = {info.alias or name: info for name, info in annotation.model_fields.items()}
            if part is None:
                return list(fields)
            if part not in fields:
                return []
            annotation = fields[part].annotation
        elif get_origin(annotation) in (list, dict) and part is not None:
            annotation = get_args(annotation)[-1]
        else:
            return []
    return []


def _choices(known: Sequence[str]) -> str:
    return f" (expected one of: {', '.join(known)})" if known else ""


# Each did-you-mean runs difflib over the known names. One document gets at most MAX_HINTS of them, and none
# among more than MAX_HINT_NAMES names: without a bound, a file with thousands of misspelt references (an
# uploaded one, say) takes minutes to check instead of a fraction of a second.
MAX_HINTS = 20
MAX_HINT_NAMES = 1000
_hints_left: ContextVar[list[int] | None] = ContextVar("hints_left", default=None)


def validate_document(
    doc: LocatedDocument, registry: GuardRegistry, templates: frozenset[str] | None = None
) -> tuple[WorkflowSpec | None, list[Problem]]:
    token = _hints_left.set([MAX_HINTS])
    try:
        return _validate_document(doc, registry, templates)
    finally:
        _hints_left.reset(token)


def _validate_document(
    doc: LocatedDocument, registry: GuardRegistry, templates: frozenset[str] | None
) -> tuple[WorkflowSpec | None, list[Problem]]:
    if not isinstance(doc.data, dict):
        return None, [doc.problem((), "a workflow file must be a mapping at the top level")]
    try:
        # Top-level keys starting with "x-" hold YAML anchors for reuse (as in docker-compose files).
        spec = WorkflowSpec.model_validate({k: v for k, v in doc.data.items() if not str(k).startswith("x-")})
    except ValidationError as exc:
        return None, validation_problems(doc, exc, WorkflowSpec)
    problems = list(graph_problems(spec, doc, registry))
    problems += deadline_problems(spec, doc, templates)
    return spec, problems


def expand_sources(spec: WorkflowSpec, sources: Iterable[str]) -> list[str]:
    names: list[str] = []
    for source in sources:
        if source == ANY_STATE:
            names.extend(name for name, state in spec.states.items() if not state.final)
        else:
            names.append(source)
    return list(dict.fromkeys(names))


def graph_problems(spec: WorkflowSpec, doc: LocatedDocument, registry: GuardRegistry) -> Iterable[Problem]:
    references: list[Problem] = []
    if spec.initial not in spec.states:
        hint = _hint(spec.initial, spec.states)
        references.append(doc.problem(("initial",), f"initial state {spec.initial!r} is not declared in states{hint}"))
    for index in range(len(spec.transitions)):
        references.extend(_state_problems(spec, doc, index))
    yield from references
    for index in range(len(spec.transitions)):
        yield from _reference_problems(spec, doc, registry, index)
    yield from _ambiguity_problems(spec, doc)
    # After a misspelt state name, "cannot be reached" and "no transition leaves it" would only echo the typo.
    yield from _shape_problems(spec, doc, reachability=not references)


def _state_problems(spec: WorkflowSpec, doc: LocatedDocument, index: int) -> Iterable[Problem]:
    t = spec.transitions[index]
    at: PathKey = ("transitions", index)
    if not t.source:
        yield doc.problem((*at, "source"), "give at least one source state (or '*' for every non-final state)")
    for i, source in enumerate(t.source):
        if source != ANY_STATE and source not in spec.states:
            path = _written(doc, (*at, "source", i))
            yield doc.problem(path, f"unknown state {source!r}{_hint(source, spec.states)}")
    if t.dest is not None and t.dest not in spec.states:
        yield doc.problem((*at, "dest"), f"unknown state {t.dest!r}{_hint(t.dest, spec.states)}")


def _written(doc: LocatedDocument, path: PathKey) -> PathKey:
    """``path`` cut back to what the YAML spells out: ``source: x`` has no ``source[0]``, ``- x`` no ``.date``."""
    while path and path not in doc.values:
        path = path[:-1]
    return path


def _reference_problems(
    spec: WorkflowSpec, doc: LocatedDocument, registry: GuardRegistry, index: int
) -> Iterable[Problem]:
    t = spec.transitions[index]
    at: PathKey = ("transitions", index)
    for field, names, known, kind in (
        ("roles", t.roles, spec.roles, "role"),
        ("requires_documents", t.requires_documents, spec.documents, "document"),
        ("sets", t.sets, spec.flags, "flag"),
        ("clears", t.clears, spec.flags, "flag"),
        ("corrects", t.corrects, spec.dates, "date"),
    ):
        for i, name in enumerate(names):
            if name not in known:
                yield doc.problem((*at, field, i), f"unknown {kind} {name!r}{_hint(name, known)}")
    dates = {*spec.dates, *BUILTIN_DATES}
    for i, record in enumerate(t.records):
        where = _written(doc, (*at, "records", i, "date"))
        if record.date in BUILTIN_DATES:
            yield doc.problem(
                where, f"{record.date!r} is built in and cannot be recorded; declare a date under 'dates'"
            )
        elif record.date not in spec.dates:
            yield doc.problem(where, f"unknown date {record.date!r}{_hint(record.date, spec.dates)}")
        if record.from_ is not None and record.from_ not in dates:
            yield doc.problem((*at, "records", i, "from"), f"unknown date {record.from_!r}{_hint(record.from_, dates)}")
    for field in ("guards", "when"):
        for i, call in enumerate(getattr(t, field)):
            yield from guard_call_problems(spec, doc, registry, call, (*at, field, i))


def guard_params_context(spec: WorkflowSpec) -> dict[str, Any]:
    return {"dates": set(spec.dates), "flags": set(spec.flags), "documents": set(spec.documents)}


def guard_call_problems(
    spec: WorkflowSpec, doc: LocatedDocument, registry: GuardRegistry, call: GuardCall, at: PathKey
) -> Iterable[Problem]:
    guard = registry.get(call.name)
    if guard is None:
        yield doc.problem(at, f"unknown guard {call.name!r}{_hint(call.name, registry.names())}")
        return
    try:
        guard.params.model_validate(call.params, context=guard_params_context(spec))
    except ValidationError as exc:
        # Inside the YAML the parameters sit under the guard's name: transitions[i].guards[j].<name>.<param>
        yield from validation_problems(doc, exc, guard.params, base=(*at, call.name))


def _ambiguity_problems(spec: WorkflowSpec, doc: LocatedDocument) -> Iterable[Problem]:
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, t in enumerate(spec.transitions):
        for source in expand_sources(spec, t.source):
            groups[(t.trigger, source)].append(index)
    for (trigger, source), indexes in groups.items():
        for position, index in enumerate(indexes[:-1]):
            if not spec.transitions[index].when:
                later = indexes[position + 1]
                line = doc.locate(("transitions", later)).line
                yield doc.problem(
                    ("transitions", index, "trigger"),
                    f"ambiguous trigger {trigger!r} from state {source!r}: this transition has no 'when' "
                    f"conditions, so the alternative at line {line} could never be taken",
                )


def _shape_problems(spec: WorkflowSpec, doc: LocatedDocument, *, reachability: bool = True) -> Iterable[Problem]:
    exits: dict[str, set[str]] = defaultdict(set)
    for index, t in enumerate(spec.transitions):
        for source in expand_sources(spec, t.source):
            if source not in spec.states or t.dest is None:
                continue
            exits[source].add(t.dest)
            if spec.states[source].final:
                yield doc.problem(
                    ("transitions", index, "source"),
                    f"final state {source!r} cannot be left (only internal events may start from it)",
                )
    if not reachability:
        return
    reached = _reachable(spec.initial, exits) if spec.initial in spec.states else set(spec.states)
    for name, state in spec.states.items():
        if name not in reached:
            yield doc.problem(
                ("states", name), f"state {name!r} cannot be reached from {spec.initial!r}", prefer_key=True
            )
        elif not state.final and not exits.get(name):
            yield doc.problem(
                ("states", name), f"state {name!r} is not final but no transition leaves it", prefer_key=True
            )


def _reachable(initial: str, exits: dict[str, set[str]]) -> set[str]:
    seen, todo = {initial}, [initial]
    while todo:
        for nxt in exits.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _hint(name: str, known: Iterable[str]) -> str:
    names, left = list(known), _hints_left.get()
    if len(names) > MAX_HINT_NAMES or (left is not None and left[0] <= 0):
        return ""
    if left is not None:
        left[0] -= 1
    close = difflib.get_close_matches(name, names, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""

"""Validate a located YAML document: pydantic first, then the checks a schema cannot express.

Every problem is collected; nothing stops at the first. Messages say what was found and what was expected.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from admission_flow.errors import Problem
from admission_flow.guards.base import GuardRegistry
from admission_flow.workflow.loader import LocatedDocument, PathKey
from admission_flow.workflow.spec import ANY_STATE, BUILTIN_DATES, NAME_PATTERN, GuardCall, WorkflowSpec

_PLAIN_MESSAGES = {
    "missing": "this key is required",
    "string_pattern_mismatch": "must be a snake_case name (lowercase letters, digits and _; starting with a letter)",
    "bool_type": "must be true or false",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "string_type": "must be text",
    "dict_type": "must be a mapping (key: value)",
    "model_type": "must be a mapping (key: value)",
    "list_type": "must be a list",
    "greater_than_equal": "must not be negative",
    "string_too_short": "must not be empty",
}


def validation_problems(doc: LocatedDocument, exc: ValidationError, base: PathKey = ()) -> list[Problem]:
    """Translate pydantic errors into located problems with plain messages."""
    problems = []
    for err in exc.errors(include_url=False):
        path = (*base, *(part for part in err["loc"] if isinstance(part, str | int)))
        kind = err["type"]
        if kind == "extra_forbidden":
            message = f"unknown key {path[-1]!r}" if path else "unknown key"
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
        problems.append(doc.problem(path, message))
    return problems


def validate_document(doc: LocatedDocument, registry: GuardRegistry) -> tuple[WorkflowSpec | None, list[Problem]]:
    if not isinstance(doc.data, dict):
        return None, [doc.problem((), "a workflow file must be a mapping at the top level")]
    try:
        spec = WorkflowSpec.model_validate(doc.data)
    except ValidationError as exc:
        return None, validation_problems(doc, exc)
    problems = list(graph_problems(spec, doc, registry))
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
    if spec.initial not in spec.states:
        yield doc.problem(("initial",), f"initial state {spec.initial!r} is not declared in states")
    for index in range(len(spec.transitions)):
        yield from _reference_problems(spec, doc, registry, index)
    yield from _ambiguity_problems(spec, doc)
    yield from _shape_problems(spec, doc)


def _reference_problems(
    spec: WorkflowSpec, doc: LocatedDocument, registry: GuardRegistry, index: int
) -> Iterable[Problem]:
    t = spec.transitions[index]
    at: PathKey = ("transitions", index)
    for i, source in enumerate(t.source):
        if source != ANY_STATE and source not in spec.states:
            yield doc.problem((*at, "source", i), f"unknown state {source!r}{_hint(source, spec.states)}")
    if t.dest is not None and t.dest not in spec.states:
        yield doc.problem((*at, "dest"), f"unknown state {t.dest!r}{_hint(t.dest, spec.states)}")
    for field, names, known, kind in (
        ("roles", t.roles, spec.roles, "role"),
        ("requires_documents", t.requires_documents, spec.documents, "document"),
        ("sets", t.sets, spec.flags, "flag"),
        ("clears", t.clears, spec.flags, "flag"),
    ):
        for i, name in enumerate(names):
            if name not in known:
                yield doc.problem((*at, field, i), f"unknown {kind} {name!r}{_hint(name, known)}")
    dates = {*spec.dates, *BUILTIN_DATES}
    for i, record in enumerate(t.records):
        if record.date not in spec.dates:
            yield doc.problem((*at, "records", i), f"unknown date {record.date!r}{_hint(record.date, spec.dates)}")
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
        yield from validation_problems(doc, exc, base=(*at, call.name))


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


def _shape_problems(spec: WorkflowSpec, doc: LocatedDocument) -> Iterable[Problem]:
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
    import difflib

    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""

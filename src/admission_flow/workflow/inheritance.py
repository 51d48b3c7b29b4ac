"""``extends: ID@VERSION``: a variant is its base plus the variant's changes, merged before validation.

Merge rules (docs/workflow-language.md, "Variants"):

* ``id``, ``version``, ``title``, ``description``, ``initial``, ``calendar``: the variant's value wins.
* ``in_force_from``: the variant's own, else the base's if the base is another workflow (``students`` comes into
  force with ``standard``). A new version of the same workflow never inherits it: the day it takes over from
  its base is its own to say, and the catalog reports a release that forgets it.
* ``roles``, ``documents``, ``dates``, ``flags``: entry by entry; a variant entry replaces the base entry.
* ``states``: entry by entry; for a state in both, the variant's keys replace the base's (``label``,
  ``final``...), except ``deadlines``, merged by deadline ``id`` (same id replaces, new ids are added).
* ``transitions``: by trigger. If the variant lists any transition for a trigger, it replaces **all** of the
  base's transitions for that trigger (alternatives of one trigger belong together), in the base's place;
  transitions with new triggers are added at the end.
* ``remove``: ``{states, transitions (triggers), roles, documents, dates, flags: [names],
  deadlines: ["state.deadline_id"]}`` takes things out of the base.

Positions travel with the data, so a problem in an inherited part points at the base file's line, and a
problem in the variant's part at the variant's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from admission_flow.errors import Problem
from admission_flow.workflow.loader import LocatedDocument, PathKey, Position

MAP_SECTIONS = ("roles", "documents", "dates", "flags")
_MAX_COPY_DEPTH = 4  # ("states", name, "deadlines", i) is the deepest path a merge copies
REMOVABLE = ("states", "transitions", "roles", "documents", "dates", "flags", "deadlines")


class _Merge:
    def __init__(self, base: LocatedDocument, variant: LocatedDocument) -> None:
        self.base, self.variant = base, variant
        self.out = LocatedDocument(file=variant.file, data={})
        self.problems: list[Problem] = []
        self._indexes: dict[int, dict[PathKey, list[tuple[bool, PathKey, Position]]]] = {}

    def _index(self, src: LocatedDocument) -> dict[PathKey, list[tuple[bool, PathKey, Position]]]:
        """Positions grouped under each of their prefixes (up to the depth merges copy at), built once."""
        found = self._indexes.get(id(src))
        if found is None:
            found = {}
            for is_key, table in ((False, src.values), (True, src.keys)):
                for path, pos in table.items():
                    for n in range(min(len(path), _MAX_COPY_DEPTH) + 1):
                        found.setdefault(path[:n], []).append((is_key, path, pos))
            self._indexes[id(src)] = found
        return found

    def copy(self, src: LocatedDocument, src_path: PathKey, dst_path: PathKey) -> Any:
        """The value at ``src_path`` with every position under it re-keyed to ``dst_path``."""
        n = len(src_path)
        assert n <= _MAX_COPY_DEPTH
        for is_key, path, pos in self._index(src).get(src_path, ()):
            (self.out.keys if is_key else self.out.values)[dst_path + path[n:]] = pos
        value = src.data
        for part in src_path:
            value = value[part]
        return value

    def run(self) -> LocatedDocument:
        b, v = self.base.data, self.variant.data
        removed = self._removals()
        self.out.values[()] = self.variant.values.get((), Position(self.variant.file, 1, 1))
        for key in v:
            if key not in ("remove", "states", "transitions", "deadlines", *MAP_SECTIONS):
                self.out.data[key] = self.copy(self.variant, (key,), (key,))
        for key in ("title", "description", "initial", "calendar"):
            if key not in self.out.data and key in b:
                self.out.data[key] = self.copy(self.base, (key,), (key,))
        if "in_force_from" not in v and "in_force_from" in b and v.get("id") != b.get("id"):
            self.out.data["in_force_from"] = self.copy(self.base, ("in_force_from",), ("in_force_from",))
        for section in MAP_SECTIONS:
            self._map_section(section, removed.get(section, set()))
        self._states(removed.get("states", set()), removed.get("deadlines", set()))
        self._global_deadlines(removed.get("deadlines", set()))
        self._transitions(removed.get("transitions", set()))
        return self.out

    def _removals(self) -> dict[str, set[str]]:
        spec = self.variant.data.get("remove") or {}
        if not isinstance(spec, dict):
            self.problems.append(self.variant.problem(("remove",), "remove must be a mapping of section: [names]"))
            return {}
        out: dict[str, set[str]] = {}
        for section, names in spec.items():
            if section not in REMOVABLE:
                self.problems.append(
                    self.variant.problem(
                        ("remove", section),
                        f"cannot remove {section!r}; one of: {', '.join(REMOVABLE)}",
                        prefer_key=True,
                    )
                )
            elif not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                self.problems.append(self.variant.problem(("remove", section), "expected a list of names"))
            else:
                out[section] = set(names)
                self._check_removed_exist(section, names)
        return out

    def _check_removed_exist(self, section: str, names: list[str]) -> None:
        base = self.base.data
        for i, name in enumerate(names):
            if section == "transitions":
                exists = any(isinstance(t, dict) and t.get("trigger") == name for t in base.get("transitions") or [])
            elif section == "deadlines":
                state, _, deadline = name.rpartition(".")
                entries = (((base.get("states") or {}).get(state) or {}) if state else base).get("deadlines") or []
                exists = any(isinstance(d, dict) and d.get("id") == deadline for d in entries)
            else:
                exists = name in (base.get(section) or {})
            if not exists:
                self.problems.append(
                    self.variant.problem(("remove", section, i), f"the base has no {section[:-1]} {name!r} to remove")
                )

    def _map_section(self, section: str, removed: set[str]) -> None:
        merged: dict[str, Any] = {}
        for src in (self.base, self.variant):
            entries = src.data.get(section)
            if isinstance(entries, dict):
                for name in entries:
                    if src is self.variant or name not in removed:
                        self.out.keys[(section, name)] = src.keys.get((section, name), src.locate((section,)))
                        merged[name] = self.copy(src, (section, name), (section, name))
        if merged or section in self.base.data or section in self.variant.data:
            self.out.data[section] = merged
            self.out.values[(section,)] = self.variant.values.get((section,)) or self.base.locate((section,))

    def _states(self, removed: set[str], removed_deadlines: set[str]) -> None:
        base_states = self.base.data.get("states") or {}
        var_states = self.variant.data.get("states") or {}
        merged: dict[str, Any] = {}
        for name in list(base_states) + [n for n in var_states if n not in base_states]:
            if name in removed and name not in var_states:
                continue
            src = self.variant if name in var_states and name not in base_states else self.base
            self.out.keys[("states", name)] = src.keys.get(("states", name), src.locate(("states",)))
            if name not in var_states:
                merged[name] = self._state_from(self.base, name, removed_deadlines)
            elif (
                name not in base_states
                or not isinstance(var_states[name], dict)
                or not isinstance(base_states[name], dict)
            ):
                merged[name] = self.copy(self.variant, ("states", name), ("states", name))
            else:
                merged[name] = self._merge_state(name, removed_deadlines)
        self.out.data["states"] = merged
        self.out.values[("states",)] = self.base.locate(("states",))

    def _state_from(self, src: LocatedDocument, name: str, removed_deadlines: set[str]) -> Any:
        state = dict(self.copy(src, ("states", name), ("states", name)))
        if isinstance(state.get("deadlines"), list):
            kept = self._deadlines([(src, i, d) for i, d in enumerate(state["deadlines"])], name, removed_deadlines)
            state["deadlines"] = kept
        return state

    def _merge_state(self, name: str, removed_deadlines: set[str]) -> dict[str, Any]:
        base_state = self.copy(self.base, ("states", name), ("states", name))
        var_state = self.copy(self.variant, ("states", name), ("states", name))
        merged = {k: v for k, v in base_state.items() if k != "deadlines"}
        merged.update({k: v for k, v in var_state.items() if k != "deadlines"})
        base_d = [(self.base, i, d) for i, d in enumerate(base_state.get("deadlines") or [])]
        var_d = [(self.variant, i, d) for i, d in enumerate(var_state.get("deadlines") or [])]
        var_ids = {d.get("id") for _, _, d in var_d if isinstance(d, dict)}
        combined = [x for x in base_d if not (isinstance(x[2], dict) and x[2].get("id") in var_ids)] + var_d
        if combined:
            merged["deadlines"] = self._deadlines(combined, name, removed_deadlines)
        return merged

    def _deadlines(self, items: list[tuple[LocatedDocument, int, Any]], state: str, removed: set[str]) -> list[Any]:
        kept: list[Any] = []
        for src, i, deadline in items:
            if src is self.base and isinstance(deadline, dict) and f"{state}.{deadline.get('id')}" in removed:
                continue
            kept.append(self.copy(src, ("states", state, "deadlines", i), ("states", state, "deadlines", len(kept))))
        return kept

    def _global_deadlines(self, removed: set[str]) -> None:
        """Workflow-wide deadlines merge by id like a state's; ``remove: {deadlines: [ID]}`` drops one."""
        base = [(self.base, i, d) for i, d in enumerate(self.base.data.get("deadlines") or [])]
        var = [(self.variant, i, d) for i, d in enumerate(self.variant.data.get("deadlines") or [])]
        var_ids = {d.get("id") for _, _, d in var if isinstance(d, dict)}
        items = [
            x for x in base if not (isinstance(x[2], dict) and (x[2].get("id") in var_ids or x[2].get("id") in removed))
        ]
        merged = [self.copy(src, ("deadlines", i), ("deadlines", k)) for k, (src, i, _) in enumerate(items + var)]
        if merged:
            self.out.data["deadlines"] = merged

    def _transitions(self, removed: set[str]) -> None:
        def trigger(t: Any) -> Any:
            return t.get("trigger") if isinstance(t, dict) else None

        base_list = self.base.data.get("transitions") or []
        var_list = self.variant.data.get("transitions") or []
        replaced = {trigger(t) for t in var_list} - {None}
        sources: list[tuple[LocatedDocument, int]] = []
        placed: set[Any] = set()
        for i, t in enumerate(base_list):
            name = trigger(t)
            if name in replaced:
                if name not in placed:
                    placed.add(name)
                    sources += [(self.variant, j) for j, u in enumerate(var_list) if trigger(u) == name]
            elif name not in removed:
                sources.append((self.base, i))
        sources += [(self.variant, j) for j, u in enumerate(var_list) if trigger(u) not in placed]
        merged = [self.copy(src, ("transitions", i), ("transitions", k)) for k, (src, i) in enumerate(sources)]
        self.out.data["transitions"] = merged
        self.out.values[("transitions",)] = self.base.locate(("transitions",))


def merge(base: LocatedDocument, variant: LocatedDocument) -> tuple[LocatedDocument, list[Problem]]:
    job = _Merge(base, variant)
    merged = job.run()
    return merged, job.problems


def resolve_extends(
    docs: dict[tuple[str, str], LocatedDocument],
    lookup: Callable[[str], tuple[str, str] | None],
    resolved: Mapping[tuple[str, str], LocatedDocument] | None = None,
) -> tuple[dict[tuple[str, str], LocatedDocument], list[Problem]]:
    """Merge every document that extends another (bases first; cycles and unknown bases are problems).

    ``resolved`` holds documents resolved earlier (a loaded catalog's) that a document of ``docs`` may extend; one
    of ``docs`` with the same key takes precedence."""
    earlier = resolved or {}
    problems: list[Problem] = []
    done: dict[tuple[str, str], LocatedDocument] = {}
    visiting: set[tuple[str, str]] = set()

    def build(key: tuple[str, str]) -> LocatedDocument | None:
        if key in done:
            return done[key]
        doc = docs[key]
        ref = doc.data.get("extends")
        if ref is None:
            done[key] = doc
            return doc
        base_key = lookup(ref) if isinstance(ref, str) else None
        if base_key is not None and base_key not in docs and base_key in earlier:
            joined, found = merge(earlier[base_key], doc)
            problems.extend(found)
            done[key] = joined
            return joined
        if base_key is None or base_key not in docs:
            hint = "" if isinstance(ref, str) and "@" in ref else " (write ID@VERSION)"
            problems.append(doc.problem(("extends",), f"unknown base workflow {ref!r}{hint}"))
            return None
        if key in visiting:
            problems.append(doc.problem(("extends",), f"{ref!r} extends itself through a cycle"))
            return None
        visiting.add(key)
        base = build(base_key)
        visiting.discard(key)
        if base is None:
            return None
        merged, found = merge(base, doc)
        problems.extend(found)
        done[key] = merged
        return merged

    for key in docs:
        build(key)
    return {k: v for k, v in done.items()}, problems

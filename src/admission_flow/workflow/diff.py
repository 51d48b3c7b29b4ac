"""What a variant or a new version changes, section by section, in words an administrator can read.

Transitions are compared per trigger (all alternatives of a trigger together) and deadlines per id, so a
change shows up where it was made rather than as a shifted list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from admission_flow.domain.records import Record
from admission_flow.workflow.spec import WorkflowSpec

SECTIONS = ("roles", "documents", "dates", "flags", "states", "transitions")


@dataclass(frozen=True)
class Change(Record):
    kind: Literal["added", "removed", "changed"]
    section: str
    name: str
    path: str
    before: Any
    after: Any

    def __str__(self) -> str:
        mark = {"added": "+", "removed": "-", "changed": "~"}[self.kind]
        where = f"{self.name}{'.' + self.path if self.path else ''}"
        if self.kind == "changed" and self.path.endswith("[]"):
            gone = [f"- {_show(v)}" for v in self.before or []]
            new = [f"+ {_show(v)}" for v in self.after or []]
            return f"{mark} {self.section}: {where.removesuffix('[]')}: {'; '.join(gone + new)}"
        if self.kind == "changed":
            return f"{mark} {self.section}: {where}: {_show(self.before)} → {_show(self.after)}"
        return f"{mark} {self.section}: {where}" + (
            f" ({_label(self.after or self.before)})" if _label(self.after or self.before) else ""
        )


def _show(value: Any) -> str:
    if isinstance(value, dict) and set(value) == {"vi", "en"}:
        return f"“{value['vi']}”"
    if isinstance(value, dict) and set(value) <= {"name", "params"} and "name" in value:
        params = ", ".join(f"{k}={v}" for k, v in (value.get("params") or {}).items())
        return f"{value['name']}({params})"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if value is None:
        return "—"
    text = str(value) if not isinstance(value, str) else value
    return text if len(text) <= 120 else text[:117] + "..."


def _label(value: Any) -> str:
    if isinstance(value, dict):
        label = value.get("label", value if set(value) == {"vi", "en"} else None)
        if isinstance(label, dict) and "vi" in label:
            return str(label["vi"])
    return ""


def _sections(spec: WorkflowSpec) -> dict[str, dict[str, Any]]:
    data = spec.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    out: dict[str, dict[str, Any]] = {s: data.get(s, {}) for s in SECTIONS if s != "transitions"}
    grouped: dict[str, list[Any]] = {}
    for t in data.get("transitions", []):
        grouped.setdefault(t["trigger"], []).append({k: v for k, v in t.items() if k != "trigger"})
    out["transitions"] = {k: v[0] if len(v) == 1 else v for k, v in grouped.items()}
    for state in out["states"].values():
        if "deadlines" in state:
            state["deadlines"] = {d["id"]: {k: v for k, v in d.items() if k != "id"} for d in state["deadlines"]}
    out["workflow"] = {k: data[k] for k in ("title", "initial", "calendar") if k in data}
    return out


def diff(old: WorkflowSpec, new: WorkflowSpec) -> list[Change]:
    a, b = _sections(old), _sections(new)
    changes: list[Change] = []
    for section in ("workflow", *SECTIONS):
        before, after = a.get(section, {}), b.get(section, {})
        for name in [*before, *[n for n in after if n not in before]]:
            if name not in after:
                changes.append(Change("removed", section, name, "", before[name], None))
            elif name not in before:
                changes.append(Change("added", section, name, "", None, after[name]))
            else:
                changes += [
                    Change("changed", section, name, p, x, y) for p, x, y in _walk(before[name], after[name], "")
                ]
    return changes


def _walk(x: Any, y: Any, path: str) -> list[tuple[str, Any, Any]]:
    if x == y:
        return []
    if isinstance(x, dict) and isinstance(y, dict) and set(x) != {"vi", "en"}:
        found: list[tuple[str, Any, Any]] = []
        for key in [*x, *[k for k in y if k not in x]]:
            sub = f"{path}.{key}" if path else str(key)
            found += _walk(x.get(key), y.get(key), sub)
        return found
    if isinstance(x, list | type(None)) and isinstance(y, list | type(None)) and (x or y):
        old, new = x or [], y or []
        return [(f"{path}[]", [v for v in old if v not in new], [v for v in new if v not in old])]
    return [(path, x, y)]


def changed_states(old: WorkflowSpec, new: WorkflowSpec) -> list[str]:
    """States a diagram should highlight: added or changed states, and states whose transitions changed."""
    marked: list[str] = []
    for c in diff(old, new):
        names: list[str] = []
        if c.section == "states" and c.kind != "removed":
            names = [c.name]
        elif c.section == "transitions":
            for t in [*old.transitions, *new.transitions]:
                if t.trigger == c.name:
                    names += [s for s in t.source if s != "*"] + ([t.dest] if t.dest else [])
        marked += [n for n in names if n in new.states]
    return list(dict.fromkeys(marked))

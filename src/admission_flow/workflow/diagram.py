"""Mermaid ``stateDiagram-v2`` text for a workflow (paste into any Mermaid viewer or a Markdown file)."""

from __future__ import annotations

from collections.abc import Iterable

from admission_flow.workflow.checks import expand_sources
from admission_flow.workflow.spec import WorkflowSpec


def mermaid(spec: WorkflowSpec, *, highlight: Iterable[str] = (), internal: bool = False) -> str:
    """Render states and moves. ``highlight`` names states to emphasise; ``internal`` adds self-loops."""
    lines = ["stateDiagram-v2", f"    %% {spec.key}: {spec.title.en}"]
    for name, state in spec.states.items():
        lines.append(f"    {name}: {name}<br/><i>{_escape(state.label.vi)}</i>")
    lines.append(f"    [*] --> {spec.initial}")
    seen: set[tuple[str, str, str]] = set()
    for t in spec.transitions:
        for source in expand_sources(spec, t.source):
            dest = t.dest or (source if internal else None)
            if dest is None or (source, dest, t.trigger) in seen:
                continue
            seen.add((source, dest, t.trigger))
            lines.append(f"    {source} --> {dest}: {t.trigger}")
    for name, state in spec.states.items():
        if state.final:
            lines.append(f"    {name} --> [*]")
    marked = [name for name in highlight if name in spec.states]
    if marked:
        lines.append("    classDef changed fill:#ffe08a,stroke:#b58900,stroke-width:2px")
        lines.append(f"    class {','.join(marked)} changed")
    return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    return text.replace(":", "﹕").replace('"', "'")

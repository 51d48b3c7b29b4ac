"""The read side of the workflow catalog: the versions loaded, the one in force on a day, a version's diagram,
and checking an uploaded workflow file before anyone puts it in the folder.

Nothing here touches the database. The catalog is the one the running configuration loaded (its guards, its
templates, its files); an uploaded document is checked against it exactly as ``admission-flow validate`` checks
a file of the folder, and its problems read the same (``FILE:LINE:COLUMN: PATH: MESSAGE``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from admission_flow.domain.records import WorkflowSummary
from admission_flow.engine.catalog import is_release
from admission_flow.engine.machine import CompiledWorkflow
from admission_flow.errors import Problem
from admission_flow.services.deps import Deps
from admission_flow.workflow import picture
from admission_flow.workflow.diagram import mermaid
from admission_flow.workflow.diff import Change, changed_states
from admission_flow.workflow.diff import diff as diff_specs

# An upload is checked on the server, so its size is bounded (settings ``upload_max_*``): in bytes, and in the
# entries of the sections whose checks grow faster than the file (states × transitions). The shipped workflows
# have 21 states, under 60 transitions and at most 40 KB per file.


def summary(wf: CompiledWorkflow) -> WorkflowSummary:
    spec = wf.spec
    return WorkflowSummary(
        id=spec.id,
        version=spec.version,
        key=spec.key,
        title={"vi": spec.title.vi, "en": spec.title.en},
        hash=wf.content_hash,
        release=is_release(spec.version),
        in_force_from=spec.in_force_from,
        states=len(spec.states),
        initial=spec.initial,
        extends=spec.extends,
    )


def list_workflows(deps: Deps) -> list[WorkflowSummary]:
    """Every loaded version, by id and then version (oldest first)."""
    return [summary(wf) for wf in deps.catalog]


def in_force(deps: Deps, workflow_id: str, on: date) -> WorkflowSummary:
    """The release of ``workflow_id`` a candidate starting on ``on`` would get (``NotFound`` if none yet)."""
    return summary(deps.catalog.in_force(workflow_id, on))


def diagram(
    deps: Deps, ref: str, *, highlight: Iterable[str] = (), changed_from: str | None = None, internal: bool = False
) -> str:
    """The Mermaid ``stateDiagram-v2`` text of ``ref`` (``ID`` or ``ID@VERSION``), as ``admission-flow diagram``
    prints it; ``changed_from`` emphasises the states that differ from that version."""
    spec = deps.catalog.resolve(ref).spec
    marked = list(highlight)
    if changed_from is not None:
        marked += changed_states(deps.catalog.resolve(changed_from).spec, spec)
    return mermaid(spec, highlight=marked, internal=internal)


def diagram_svg(
    deps: Deps, ref: str, *, current: str | None = None, changed_from: str | None = None, lang: str = "vi"
) -> str:
    """``ref`` drawn as an SVG element (``workflow/picture.py``): ``current`` stressed, and with ``changed_from``
    the states that differ from that version flagged."""
    spec = deps.catalog.resolve(ref).spec
    marked = changed_states(deps.catalog.resolve(changed_from).spec, spec) if changed_from is not None else []
    return picture.svg(spec, lang=lang, current=current, marked=marked)


def diff(deps: Deps, old: str, new: str) -> list[Change]:
    """What ``new`` changes from ``old`` (two ``ID@VERSION``), as ``admission-flow diff`` prints it."""
    return diff_specs(deps.catalog.resolve(old).spec, deps.catalog.resolve(new).spec)


def validate_text(deps: Deps, name: str, text: str | bytes) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Check one uploaded workflow document, shown as ``name`` in the problems. Returns a summary of a valid
    version (``{"workflow": "ID@VERSION", "hash": ..., "states": n}``, as ``validate --json``) and no problems,
    or None and every problem, sorted. Bad input of any kind becomes a problem, not an exception."""
    policy = deps.policy
    checked = _checked_text(name, text, policy.upload_max_bytes)
    if isinstance(checked, Problem):
        return None, [checked]
    entries = policy.upload_max_entries
    wf, problems = deps.catalog.check_text(checked, name, limits=entries, loader_limits=policy.loader_limits)
    if wf is None:
        return None, sorted(problems)
    return {"workflow": wf.key, "hash": wf.content_hash, "states": len(wf.spec.states)}, []


def _checked_text(name: str, text: str | bytes, most: int) -> str | Problem:
    """The upload as text, or what stops it before it is parsed: too large, or not UTF-8."""
    too_large = Problem(name, 1, 1, "", f"the file is larger than {most:,} bytes, the most accepted (upload_max_bytes)")
    if len(text) > most:  # at least as many bytes as characters: no need to encode it
        return too_large
    try:
        if isinstance(text, bytes):
            return text.decode("utf-8")
        return too_large if len(text.encode("utf-8")) > most else text
    except (UnicodeDecodeError, UnicodeEncodeError) as exc:  # bad bytes, or a lone surrogate (a JSON "\ud800")
        return Problem(name, 1, 1, "", f"the file is not UTF-8 text ({exc.reason})")

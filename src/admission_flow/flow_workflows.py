"""The facade's workflow doors: the versions loaded, the one in force on a day, a version's Mermaid diagram, and
checking an uploaded workflow file. ``AdmissionFlow`` inherits them (as it does ``AccessDoors``), which keeps
``flow.py`` under the length limit. ``AdmissionFlow.workflow`` (a version's definition) and ``migrate`` stay
in ``flow.py``'s "workflow versions" section.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from admission_flow.domain.records import WorkflowSummary
from admission_flow.errors import InvalidInput, Problem
from admission_flow.services import workflows
from admission_flow.services.deps import Deps
from admission_flow.workflow.diff import Change

MAX_NAME = 200


class WorkflowDoors:
    _deps: Deps

    def workflows(self) -> list[WorkflowSummary]:
        """Every loaded workflow version (drafts too, ``release`` False), by id and then version."""
        return workflows.list_workflows(self._deps)

    def workflow_in_force(self, workflow_id: str, on: date) -> WorkflowSummary:
        """The release of ``workflow_id`` a candidate starting on ``on`` would get: the one whose ``in_force_from``
        is the latest not after ``on`` (``NotFound`` if none is in force yet)."""
        return workflows.in_force(self._deps, workflow_id, on)

    def diagram(self, ref: str, *, changed_from: str | None = None, internal: bool = False) -> str:
        """The Mermaid state diagram of ``ref`` (``ID``: the newest release, or ``ID@VERSION``)."""
        return workflows.diagram(self._deps, ref, changed_from=changed_from, internal=internal)

    def diagram_svg(
        self, ref: str, *, current: str | None = None, changed_from: str | None = None, lang: str = "vi"
    ) -> str:
        """``ref`` drawn as an ``<svg>`` element, labels in ``lang`` (``vi`` or ``en``): states by stage from top
        to bottom, ``current`` stressed (a candidate's state), and with ``changed_from`` the states that differ
        from that version flagged. Drawn on the server: no script is needed to show it."""
        return workflows.diagram_svg(self._deps, ref, current=current, changed_from=changed_from, lang=lang)

    def workflow_diff(self, old: str, new: str) -> list[Change]:
        """What ``new`` changes from ``old`` (``ID@VERSION`` each), section by section, as ``admission-flow diff``."""
        return workflows.diff(self._deps, old, new)

    def validate_workflow_text(self, name: str, text: str | bytes) -> tuple[dict[str, Any] | None, list[Problem]]:
        """Check one workflow document (an upload) as ``admission-flow validate`` checks a file of the folder,
        against the guards, templates and workflow versions loaded now, so that ``extends`` and ``migrations``
        may name them. ``name`` is the file name shown in the problems (``upload.yaml:12:5: ...``).

        Returns ``({"workflow", "hash", "states"}, [])`` for a valid document, else ``(None, problems)``; a file
        over 1 MiB or not UTF-8 is a problem too. Nothing is loaded or saved."""
        if not name or len(name) > MAX_NAME or not name.isprintable():
            raise InvalidInput(f"the file name must be 1 to {MAX_NAME} printable characters")
        return workflows.validate_text(self._deps, name, text)

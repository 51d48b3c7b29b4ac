"""All workflow versions found in a folder, validated together and compiled once each."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from admission_flow.errors import NotFound, Problem, WorkflowDefinitionError
from admission_flow.guards.base import GuardRegistry
from admission_flow.machine import CompiledWorkflow
from admission_flow.workflow.checks import validate_document
from admission_flow.workflow.loader import iter_workflow_files, parse_yaml, read_yaml_file
from admission_flow.workflow.spec import WorkflowSpec, parse_workflow_ref


def content_hash(spec: WorkflowSpec) -> str:
    """SHA-256 of the validated workflow in canonical JSON: comments and layout do not change it."""
    canonical = json.dumps(spec.model_dump(mode="json", by_alias=True), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    parts = version.replace("-", ".").split(".")
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts)


class Catalog:
    def __init__(self, workflows: Iterable[CompiledWorkflow]) -> None:
        self._by_key: dict[tuple[str, str], CompiledWorkflow] = {}
        for wf in workflows:
            self._by_key[(wf.spec.id, wf.spec.version)] = wf

    @classmethod
    def from_folder(cls, folder: Path, registry: GuardRegistry, templates: frozenset[str] | None = None) -> Catalog:
        """Every ``*.yaml``/``*.yml`` in ``folder``, validated together (all problems at once)."""
        return cls.from_path(folder, registry, templates)

    @classmethod
    def from_path(cls, path: Path, registry: GuardRegistry, templates: frozenset[str] | None = None) -> Catalog:
        """One workflow file, or every workflow file of a folder."""
        if path.is_file():
            files = [path]
        elif path.is_dir():
            files = list(iter_workflow_files(path))
        else:
            raise WorkflowDefinitionError([Problem(str(path), 1, 1, "", "no such file or folder")])
        if not files:
            raise WorkflowDefinitionError([Problem(str(path), 1, 1, "", "no workflow files (*.yaml, *.yml) here")])
        problems: list[Problem] = []
        specs: list[tuple[WorkflowSpec, str]] = []
        seen: dict[tuple[str, str], str] = {}
        for file in files:
            spec, found = load_spec_file(file, registry, templates=templates)
            problems.extend(found)
            if spec is None or found:
                continue
            if (spec.id, spec.version) in seen:
                problems.append(
                    Problem(str(file), 1, 1, "id", f"{spec.key} is also defined in {seen[(spec.id, spec.version)]}")
                )
                continue
            seen[(spec.id, spec.version)] = str(file)
            specs.append((spec, str(file)))
        if problems:
            raise WorkflowDefinitionError(problems)
        return cls(CompiledWorkflow(spec, content_hash(spec), registry) for spec, _ in specs)

    def get(self, workflow_id: str, version: str | None = None) -> CompiledWorkflow:
        if version is not None:
            try:
                return self._by_key[(workflow_id, version)]
            except KeyError:
                raise NotFound("workflow", f"{workflow_id}@{version}") from None
        versions = [v for (i, v) in self._by_key if i == workflow_id]
        if not versions:
            raise NotFound("workflow", workflow_id)
        return self._by_key[(workflow_id, max(versions, key=_version_key))]

    def resolve(self, ref: str) -> CompiledWorkflow:
        """``standard@2021`` or ``standard`` (the highest version)."""
        try:
            workflow_id, version = parse_workflow_ref(ref)
        except ValueError:
            raise NotFound("workflow", ref) from None
        return self.get(workflow_id, version)

    def __iter__(self) -> Iterator[CompiledWorkflow]:
        return iter(sorted(self._by_key.values(), key=lambda wf: (wf.spec.id, _version_key(wf.spec.version))))

    def __len__(self) -> int:
        return len(self._by_key)


def load_spec_file(
    path: Path, registry: GuardRegistry, display: str | None = None, *, templates: frozenset[str] | None = None
) -> tuple[WorkflowSpec | None, list[Problem]]:
    doc, problems = read_yaml_file(path, display)
    if doc is None:
        return None, problems
    spec, more = validate_document(doc, registry, templates)
    return spec, problems + more


def load_spec_text(
    text: str, file: str, registry: GuardRegistry, *, templates: frozenset[str] | None = None
) -> tuple[WorkflowSpec | None, list[Problem]]:
    doc, problems = parse_yaml(text, file)
    if doc is None:
        return None, problems
    spec, more = validate_document(doc, registry, templates)
    return spec, problems + more

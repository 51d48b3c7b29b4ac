"""All workflow versions found in a folder, validated together and compiled once each."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from admission_flow.engine.machine import CompiledWorkflow
from admission_flow.errors import NotFound, Problem, WorkflowDefinitionError
from admission_flow.guards.base import GuardRegistry
from admission_flow.workflow.checks import validate_document
from admission_flow.workflow.inheritance import resolve_extends
from admission_flow.workflow.loader import LocatedDocument, iter_workflow_files, parse_yaml, read_yaml_file
from admission_flow.workflow.spec import WorkflowSpec, parse_workflow_ref


def content_hash(spec: WorkflowSpec) -> str:
    """SHA-256 of the validated workflow in canonical JSON, defaults left out: comments, layout and new optional
    language keys (added by engine upgrades) do not change it; any change to what the file says does."""
    data = spec.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _version_key(version: str) -> tuple[bool, tuple[tuple[int, int | str], ...]]:
    """Numeric versions compare as numbers; a version with any text part ("2025-draft") is a draft and is never
    preferred over a release when no version is named."""
    parts = version.replace("-", ".").split(".")
    return all(p.isdigit() for p in parts), tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts)


class Catalog:
    def __init__(self, workflows: Iterable[CompiledWorkflow]) -> None:
        self._by_key: dict[tuple[str, str], CompiledWorkflow] = {}
        self._newest: dict[str, CompiledWorkflow] = {}  # the catalog never changes after it is built
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
        docs: dict[tuple[str, str], LocatedDocument] = {}
        plain: list[LocatedDocument] = []
        for file in files:
            doc, found = read_yaml_file(file)
            problems.extend(found)
            if doc is None:
                continue
            key = _declared_key(doc)
            if key is None:
                plain.append(doc)  # let validation say what is wrong with id/version
            elif key in docs:
                first = docs[key].file
                problems.append(doc.problem(("id",), f"{key[0]}@{key[1]} is also defined in {first}"))
            else:
                docs[key] = doc
        merged, found = resolve_extends(docs, _ref_key)
        problems.extend(found)
        specs: list[WorkflowSpec] = []
        located: dict[str, LocatedDocument] = {}
        for doc in [*merged.values(), *plain]:
            spec, found = validate_document(doc, registry, templates)
            problems.extend(found)
            if spec is not None and spec.remove is not None and spec.extends is None:
                problems.append(doc.problem(("remove",), "'remove' only makes sense with 'extends'"))
            if spec is not None and not found:
                specs.append(spec)
                located[spec.key] = doc
        by_key = {s.key: s for s in specs}
        for spec in specs:
            problems.extend(_migration_problems(spec, located[spec.key], by_key))
        if problems:
            raise WorkflowDefinitionError(problems)
        return cls(CompiledWorkflow(spec, content_hash(spec), registry) for spec in specs)

    def get(self, workflow_id: str, version: str | None = None) -> CompiledWorkflow:
        if version is not None:
            try:
                return self._by_key[(workflow_id, version)]
            except KeyError:
                raise NotFound("workflow", f"{workflow_id}@{version}") from None
        newest = self._newest.get(workflow_id)
        if newest is None:
            versions = [v for (i, v) in self._by_key if i == workflow_id]
            if not versions:
                raise NotFound("workflow", workflow_id)
            newest = self._newest[workflow_id] = self._by_key[(workflow_id, max(versions, key=_version_key))]
        return newest

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


def _migration_problems(spec: WorkflowSpec, doc: LocatedDocument, by_key: dict[str, WorkflowSpec]) -> list[Problem]:
    problems = []
    for i, migration in enumerate(spec.migrations):
        at: tuple[str | int, ...] = ("migrations", i)
        old = by_key.get(migration.from_)
        if old is None:
            problems.append(doc.problem((*at, "from"), f"unknown workflow {migration.from_!r} (write ID@VERSION)"))
            continue
        for name, target in migration.states.items():
            if name not in old.states:
                problems.append(
                    doc.problem((*at, "states", name), f"{migration.from_} has no state {name!r}", prefer_key=True)
                )
            if target not in spec.states:
                problems.append(doc.problem((*at, "states", name), f"{spec.key} has no state {target!r}"))
    return problems


def _declared_key(doc: LocatedDocument) -> tuple[str, str] | None:
    data = doc.data
    if not isinstance(data, dict):
        return None
    wid, version = data.get("id"), data.get("version")
    if isinstance(version, int) and not isinstance(version, bool):
        version = str(version)
    return (wid, version) if isinstance(wid, str) and isinstance(version, str) else None


def _ref_key(ref: str) -> tuple[str, str] | None:
    try:
        wid, version = parse_workflow_ref(ref)
    except ValueError:
        return None
    return None if version is None else (wid, version)


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

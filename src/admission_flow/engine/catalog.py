"""All workflow versions found in a folder, validated together and compiled once each."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from pathlib import Path

from admission_flow.engine.machine import CompiledWorkflow
from admission_flow.errors import NotFound, Problem, WorkflowDefinitionError, WorkflowNotLoaded
from admission_flow.guards import default_registry
from admission_flow.guards.base import GuardRegistry
from admission_flow.workflow.checks import validate_document
from admission_flow.workflow.inheritance import resolve_extends
from admission_flow.workflow.limits import DEFAULT_LIMITS, LoaderLimits
from admission_flow.workflow.loader import LocatedDocument, iter_workflow_files, parse_yaml, read_yaml_file
from admission_flow.workflow.spec import WorkflowSpec, parse_workflow_ref


def content_hash(spec: WorkflowSpec) -> str:
    """SHA-256 of the validated workflow in canonical JSON, defaults left out: comments, layout and new optional
    language keys (added by engine upgrades) do not change it; any change to what the file says does."""
    # `in_force_from` is left out on purpose. The hash pins running candidates to what their procedure says;
    # the date only decides which version NEW candidates start on. Setting or moving it (a regulation's
    # effective date confirmed late) must not refuse every running candidate with WorkflowChanged.
    data = spec.model_dump(mode="json", by_alias=True, exclude_defaults=True, exclude={"in_force_from"})
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _version_key(version: str) -> tuple[bool, tuple[tuple[int, int | str], ...]]:
    """Numeric versions compare as numbers; a version with any text part ("2025-draft") is a draft and is never
    preferred over a release when no version is named."""
    parts = version.replace("-", ".").split(".")
    return all(p.isdigit() for p in parts), tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts)


Key = tuple[str, str]  # (id, version)


def _build(
    files: list[Path], registry: GuardRegistry, templates: frozenset[str] | None, limits: LoaderLimits
) -> tuple[list[WorkflowSpec], dict[str, LocatedDocument], list[Problem]]:
    """Read, merge (``extends``) and validate ``files`` together: the valid specs, their located documents and
    every problem."""
    problems: list[Problem] = []
    docs: dict[Key, LocatedDocument] = {}
    plain: list[LocatedDocument] = []
    for file in files:
        doc, found = read_yaml_file(file, limits=limits)
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
    specs, located, found = _validate([*merged.values(), *plain], registry, templates, {})
    problems.extend(found)
    return specs, located, problems


class Catalog:
    def __init__(
        self,
        workflows: Iterable[CompiledWorkflow],
        *,
        registry: GuardRegistry | None = None,
        templates: frozenset[str] | None = None,
        sources: Mapping[Key, LocatedDocument] | None = None,
    ) -> None:
        self._by_key: dict[Key, CompiledWorkflow] = {}
        self._newest: dict[str, CompiledWorkflow] = {}  # the catalog never changes after it is built
        self._by_release: dict[str, list[tuple[date, CompiledWorkflow]]] = {}
        for wf in workflows:
            self._by_key[(wf.spec.id, wf.spec.version)] = wf
        # What the versions were checked against, and their merged documents (positions included), so that one
        # more document can be checked the same way and extend them: see check_text.
        self._registry, self._templates = registry, templates
        self._sources: dict[Key, LocatedDocument] = dict(sources or {})
        # Files left out because they have problems (``from_path(skip_broken=True)``), with their problems.
        self.skipped: dict[str, list[Problem]] = {}

    @classmethod
    def from_folder(cls, folder: Path, registry: GuardRegistry, templates: frozenset[str] | None = None) -> Catalog:
        """Every ``*.yaml``/``*.yml`` in ``folder``, validated together (all problems at once)."""
        return cls.from_path(folder, registry, templates)

    @classmethod
    def from_path(
        cls,
        path: Path,
        registry: GuardRegistry,
        templates: frozenset[str] | None = None,
        *,
        skip_broken: bool = False,
        limits: LoaderLimits = DEFAULT_LIMITS,
    ) -> Catalog:
        """One workflow file, or every workflow file of a folder, validated together (all problems at once).

        With ``skip_broken``, a file with problems (and any version extending one of its versions) is left out
        and listed in :attr:`skipped` instead of failing the whole folder, so commands that do not need it carry
        on; ``validate`` stays strict. If nothing valid is left, every problem is raised as usual."""
        if path.is_file():
            files = [path]
        elif path.is_dir():
            files = list(iter_workflow_files(path))
        else:
            raise WorkflowDefinitionError([Problem(str(path), 1, 1, "", "no such file or folder")])
        if not files:
            raise WorkflowDefinitionError([Problem(str(path), 1, 1, "", "no workflow files (*.yaml, *.yml) here")])
        specs, located, problems = _build(files, registry, templates, limits)
        skipped: dict[str, list[Problem]] = {}
        while problems and skip_broken:
            for problem in problems:
                skipped.setdefault(problem.file, []).append(problem)
            left = [f for f in files if str(f) not in skipped]
            if len(left) == len(files) or not left:  # nothing to blame a file for, or nothing valid is left
                break
            files = left
            specs, located, problems = _build(files, registry, templates, limits)
        if problems or (skipped and not specs):
            raise WorkflowDefinitionError([p for found in skipped.values() for p in found] or problems)
        catalog = cls(
            (CompiledWorkflow(spec, content_hash(spec), registry) for spec in specs),
            registry=registry,
            templates=templates,
            sources={(spec.id, spec.version): located[spec.key] for spec in specs},
        )
        catalog.skipped = skipped
        return catalog

    def check_text(
        self,
        text: str,
        file: str,
        *,
        limits: Mapping[str, int] | None = None,
        loader_limits: LoaderLimits = DEFAULT_LIMITS,
    ) -> tuple[CompiledWorkflow | None, list[Problem]]:
        """One more workflow document checked as if it were a file of this catalog's folder: the same guards and
        templates, and its ``extends`` and ``migrations`` refer to the versions loaded here. ``limits`` caps the
        entries of top-level sections (``{"states": 200}``), counted after the merge with the base. Returns the
        compiled version (None if anything is wrong) and every problem; the catalog itself does not change."""
        registry = self._registry or default_registry()
        # The loader bounds depth, expanded size and numbers, and turns every failure into a problem: a document
        # from outside comes back as problems, never as an exception.
        doc, problems = parse_yaml(text, file, loader_limits)
        if doc is None:
            return None, problems
        key = _declared_key(doc)
        merged, found = resolve_extends({key: doc}, _ref_key, self._sources) if key else ({}, [])
        problems.extend(found)
        if key is not None and key not in merged:
            return None, problems  # the base is unknown: nothing sensible to validate
        whole = merged[key] if key is not None else doc
        too_many = _over_limits(whole, limits or {})
        if too_many:
            return None, problems + too_many
        loaded = {wf.key: wf.spec for wf in self._by_key.values()}
        specs, _, found = _validate([whole], registry, self._templates, loaded)
        problems.extend(found)
        if problems or not specs:
            return None, problems
        return CompiledWorkflow(specs[0], content_hash(specs[0]), registry), []

    def in_force(self, workflow_id: str, on: date) -> CompiledWorkflow:
        """The version of ``workflow_id`` a candidate starting on ``on`` gets: among the releases (never a draft)
        whose ``in_force_from`` is not after ``on`` (none given: in force since always), the one that came into
        force last; on the same day, the newest version."""
        for since, wf in self._releases(workflow_id):  # latest into force first
            if since <= on:
                return wf
        raise self._not_found(f"{workflow_id} on {on}")

    def _releases(self, workflow_id: str) -> list[tuple[date, CompiledWorkflow]]:
        """``workflow_id``'s releases with the day each came into force, the last into force (then the newest
        version) first; worked out once per ID, as the catalog never changes."""
        found = self._by_release.get(workflow_id)
        if found is None:
            ranked = []
            for (wid, version), wf in self._by_key.items():
                release, order = _version_key(version)
                if wid == workflow_id and release:
                    ranked.append(((wf.spec.in_force_from or date.min, order), wf))
            ranked.sort(key=lambda item: item[0], reverse=True)
            found = self._by_release[workflow_id] = [(rank[0], wf) for rank, wf in ranked]
        return found

    def resolve_on(self, ref: str, on: date) -> CompiledWorkflow:
        """``ID@VERSION`` as named; a bare ``ID``: the release in force on ``on`` (``in_force``), so a candidate
        enrolled with a past paper date is judged by the rules of that date, not by the newest ones."""
        try:
            workflow_id, version = parse_workflow_ref(ref)
        except ValueError:
            raise NotFound("workflow", ref) from None
        if version is not None:
            return self.get(workflow_id, version)
        if not self._releases(workflow_id) and not any(wid == workflow_id for wid, _ in self._by_key):
            raise self._not_found(workflow_id)
        return self.in_force(workflow_id, on)

    def get(self, workflow_id: str, version: str | None = None) -> CompiledWorkflow:
        if version is not None:
            try:
                return self._by_key[(workflow_id, version)]
            except KeyError:
                raise self._not_found(f"{workflow_id}@{version}") from None
        newest = self._newest.get(workflow_id)
        if newest is None:
            versions = [v for (i, v) in self._by_key if i == workflow_id]
            if not versions:
                raise self._not_found(workflow_id)
            newest = self._newest[workflow_id] = self._by_key[(workflow_id, max(versions, key=_version_key))]
        return newest

    def _not_found(self, key: str) -> NotFound:
        if not self.skipped:
            return NotFound("workflow", key)
        return WorkflowNotLoaded(key, sorted(self.skipped))

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


def _over_limits(doc: LocatedDocument, limits: Mapping[str, int]) -> list[Problem]:
    data = doc.data if isinstance(doc.data, dict) else {}
    problems = []
    for section, most in limits.items():
        entries = data.get(section)
        if isinstance(entries, dict | list) and len(entries) > most:
            problems.append(doc.problem((section,), f"{len(entries)} entries; at most {most} are accepted here"))
    return problems


def _validate(
    docs: list[LocatedDocument],
    registry: GuardRegistry,
    templates: frozenset[str] | None,
    loaded: dict[str, WorkflowSpec],
) -> tuple[list[WorkflowSpec], dict[str, LocatedDocument], list[Problem]]:
    """Each (merged) document validated, then checked against the others and the ``loaded`` versions."""
    problems: list[Problem] = []
    specs: list[WorkflowSpec] = []
    located: dict[str, LocatedDocument] = {}
    for doc in docs:
        spec, found = validate_document(doc, registry, templates)
        problems.extend(found)
        if spec is not None and spec.remove is not None and spec.extends is None:
            problems.append(doc.problem(("remove",), "'remove' only makes sense with 'extends'"))
        if spec is not None and not found:
            specs.append(spec)
            located[spec.key] = doc
    by_key = {**loaded, **{s.key: s for s in specs}}
    for spec in specs:
        problems.extend(_migration_problems(spec, located[spec.key], by_key))
        problems.extend(_in_force_problems(spec, located[spec.key], by_key))
    return specs, located, problems


def _in_force_problems(spec: WorkflowSpec, doc: LocatedDocument, by_key: dict[str, WorkflowSpec]) -> list[Problem]:
    """A release without ``in_force_from`` counts as in force since always, so once an older release of the same
    workflow has a day, the newer one would never be chosen for new candidates after it: say so."""
    release, order = _version_key(spec.version)
    if spec.in_force_from is not None or not release:
        return []
    older = [
        other
        for other in by_key.values()
        if other.id == spec.id and other.in_force_from is not None and _is_older_release(other.version, order)
    ]
    if not older:
        return []
    last = max(older, key=lambda other: _version_key(other.version))
    return [
        doc.problem(
            ("version",),
            f"no in_force_from, but the older {last.key} is in force from {last.in_force_from}: new candidates "
            f"would not start on {spec.key}; give the day it comes into force",
        )
    ]


def is_release(version: str) -> bool:
    """A version with only numeric parts (``2025``, ``2021.1``); anything else (``2026-draft``) is a draft."""
    return _version_key(version)[0]


def _is_older_release(version: str, than: tuple[tuple[int, int | str], ...]) -> bool:
    release, order = _version_key(version)
    return release and order < than


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


def _declared_key(doc: LocatedDocument) -> Key | None:
    data = doc.data
    if not isinstance(data, dict):
        return None
    wid, version = data.get("id"), data.get("version")
    if isinstance(version, int) and not isinstance(version, bool):
        version = str(version)
    return (wid, version) if isinstance(wid, str) and isinstance(version, str) else None


def _ref_key(ref: str) -> Key | None:
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

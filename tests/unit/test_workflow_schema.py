"""The JSON Schema printed for editors accepts every shipped workflow and catches typical mistakes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest

from admission_flow.guards import default_registry
from admission_flow.workflow.loader import read_yaml_file
from admission_flow.workflow.schema import workflow_json_schema

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "workflows").glob("*.yaml")) + sorted((ROOT / "tests" / "workflows" / "valid").glob("*.yaml"))
SCHEMA = workflow_json_schema(default_registry())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def load(path: Path) -> Any:
    doc, problems = read_yaml_file(path)
    assert doc is not None and not problems
    return doc.data


def test_the_schema_is_itself_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_workflow_file_satisfies_the_editor_schema(path: Path) -> None:
    errors = sorted(VALIDATOR.iter_errors(load(path)), key=lambda e: list(e.path))
    assert [f"{list(e.path)}: {e.message}" for e in errors] == []


def test_the_schema_rejects_an_unknown_guard_and_a_wrong_guard_parameter() -> None:
    data = load(ROOT / "tests" / "workflows" / "valid" / "minimal.yaml")
    data["transitions"][0]["guards"] = [{"no_such_guard": {}}]
    assert not VALIDATOR.is_valid(data)
    data["transitions"][0]["guards"] = [{"age_in_range": {"minimum": 216}}]
    assert not VALIDATOR.is_valid(data)
    data["transitions"][0]["guards"] = [{"age_in_range": {"min_months": 216}}]
    assert VALIDATOR.is_valid(data)


def test_the_schema_accepts_short_forms_and_anchor_keys() -> None:
    data = load(ROOT / "tests" / "workflows" / "valid" / "minimal.yaml")
    data["version"] = 2021
    data["x-shared"] = {"anything": [1, 2]}
    data["transitions"][0]["source"] = data["initial"]
    assert VALIDATOR.is_valid(data), [e.message for e in VALIDATOR.iter_errors(data)]

"""The JSON Schema editors use for workflow files (``admission-flow schema``).

Generated from the pydantic models, then widened to the short forms the loader accepts (``source: prospect``,
``- flag_set: {flag: x}``, ``records: [ceremony_on]``, ``version: 2021``) and narrowed to the guards actually
registered, each with its own parameter schema, so an editor can complete guard names and parameters.
"""

from __future__ import annotations

from typing import Any

from admission_flow.guards.base import GuardRegistry
from admission_flow.workflow.spec import WorkflowSpec

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def workflow_json_schema(registry: GuardRegistry) -> dict[str, Any]:
    schema = WorkflowSpec.model_json_schema(by_alias=True)
    defs: dict[str, Any] = schema.setdefault("$defs", {})
    defs["GuardCall"] = {"anyOf": [_guard_schema(registry, name) for name in registry.names()]}
    defs["RecordSpec"] = {"anyOf": [{"type": "string"}, defs["RecordSpec"]]}
    source = defs["TransitionSpec"]["properties"]["source"]
    defs["TransitionSpec"]["properties"]["source"] = {
        "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
        "description": source.get("description", ""),
    }
    version = schema["properties"]["version"]
    schema["properties"]["version"] = {"anyOf": [{"type": "integer"}, version], "description": 'e.g. "2025"'}
    schema["patternProperties"] = {"^x-": {"description": "ignored: a place for YAML anchors"}}
    # A variant (extends) inherits everything but its id and version.
    full = schema.pop("required", [])
    schema["required"] = ["id", "version"]
    schema["if"] = {"required": ["extends"]}
    schema["else"] = {"required": full}
    schema["$schema"] = DIALECT
    schema["title"] = "admission_flow workflow"
    return schema


def _guard_schema(registry: GuardRegistry, name: str) -> dict[str, Any]:
    guard = registry.get(name)
    assert guard is not None
    params = guard.params.model_json_schema(by_alias=True)
    nested = params.pop("$defs", {})
    params = _inline(params, nested)
    params.pop("title", None)
    takes_none = not params.get("required")
    call: dict[str, Any] = {
        "type": "object",
        "properties": {name: {"anyOf": [params, {"type": "null"}]} if takes_none else params},
        "required": [name],
        "additionalProperties": False,
        "description": guard.description,
    }
    return {"anyOf": [{"const": name}, call]} if takes_none else call


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    """Replace local ``$ref``s to a guard's own definitions (e.g. Duration) by the definitions themselves."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/") and ref[8:] in defs:
            return _inline(defs[ref[8:]], defs)
        return {k: _inline(v, defs) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node

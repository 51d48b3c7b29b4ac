"""The YAML workflow language: spec (pydantic models), loader (line numbers), checks (graph), inheritance,
deadlines (date math), schema, diff, diagram. Compiled versions live in :mod:`admission_flow.engine.catalog`."""

"""The YAML workflow language: spec (pydantic models), loader (line numbers), checks (graph), catalog."""

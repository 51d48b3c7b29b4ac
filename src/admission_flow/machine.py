"""Deprecated path, kept for one release: import from admission_flow.engine.machine."""

from admission_flow.engine.machine import BoundGuard as BoundGuard
from admission_flow.engine.machine import CompiledWorkflow as CompiledWorkflow
from admission_flow.engine.machine import Plan as Plan
from admission_flow.engine.machine import Route as Route

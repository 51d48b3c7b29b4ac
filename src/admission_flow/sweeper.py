"""Deprecated path, kept for one release: import from admission_flow.worker."""

from admission_flow.worker import run_worker as run_worker
from admission_flow.worker import tick as tick

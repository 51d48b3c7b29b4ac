"""``python -m admission_flow`` is the same as ``admission-flow``."""

from admission_flow.cli import main

main()

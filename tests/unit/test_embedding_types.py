"""Code that embeds admission_flow type-checks under ``mypy --strict`` against the package's public names.

mypy runs in a subprocess on a file written to tmp_path, from tmp_path and with an empty config file, so the
repository's own mypy settings (plugins, overrides) play no part: an embedder has none of them.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("mypy") is None,
    reason="mypy is not importable in this environment; install the dev extra to type-check embedder code",
)

EMBEDDER = """\
from admission_flow import AdmissionFlow, TransitionRefused


def use(flow: AdmissionFlow) -> str:
    try:
        return flow.candidate("x").state
    except TransitionRefused as exc:
        return exc.reasons[0].code
"""

REVEAL_FACADE = """\
from admission_flow import AdmissionFlow

reveal_type(AdmissionFlow)
"""

MYPY_TIMEOUT_SECONDS = 600
OBJECT = frozenset({"builtins.object", "object"})  # mypy 1 spells it builtins.object, mypy 2 object


def run_mypy(tmp_path: Path, source: str) -> tuple[int, str]:
    """mypy's exit status and its whole output for ``source`` saved as embedder.py."""
    script = tmp_path / "embedder.py"
    script.write_text(source, encoding="utf-8")
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\n", encoding="utf-8")
    command = [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--config-file", str(config), str(script)]
    done = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, check=False, timeout=MYPY_TIMEOUT_SECONDS
    )
    return done.returncode, done.stdout + done.stderr


def test_embedder_code_passes_mypy_strict(tmp_path: Path) -> None:
    status, output = run_mypy(tmp_path, EMBEDDER)
    assert status == 0, f"mypy --strict rejected embedder code (exit {status}):\n{EMBEDDER}\n{output}"


def test_the_facade_is_a_class_to_mypy_not_object(tmp_path: Path) -> None:
    status, output = run_mypy(tmp_path, REVEAL_FACADE)
    revealed = re.search(r'Revealed type is "(?P<type>.*)"', output)
    assert revealed, f"mypy revealed no type (exit {status}):\n{output}"
    assert revealed["type"] not in OBJECT and "AdmissionFlow" in revealed["type"], (
        f"mypy types admission_flow.AdmissionFlow as {revealed['type']}, not as the AdmissionFlow class. The root "
        "serves it through a module-level __getattr__, which mypy reads as returning object, so embedders cannot "
        "use it as a type; import it in the root (under TYPE_CHECKING at least) instead."
        f"\n{output}"
    )

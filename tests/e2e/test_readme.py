"""The README's Python example runs as written (in a temporary directory)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _python_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


def test_readme_embedding_example_runs_and_prints_what_it_promises(tmp_path: Path) -> None:
    (block,) = _python_blocks()
    assert len(block.strip().splitlines()) <= 20
    shutil.copytree(ROOT / "workflows", tmp_path / "workflows")
    script = tmp_path / "example.py"
    script.write_text(block, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines == ["['trigger_not_available']", "sympathizer ['add_to_source_plan', 'admit_to_sympathizer_list']"]
    assert (tmp_path / "var" / "embedded.db").exists()

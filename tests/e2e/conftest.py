"""Fixtures of the end-to-end tests: a working directory like a checkout's, and the real entry point on it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from clitools import ROOT, Run, closed_port


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """The shipped workflows and calendar overrides, where a command run from a checkout finds them."""
    shutil.copytree(ROOT / "workflows", tmp_path / "workflows")
    (tmp_path / "config").mkdir()
    shutil.copy(ROOT / "config" / "calendar-vn.toml", tmp_path / "config" / "calendar-vn.toml")
    return tmp_path


@pytest.fixture
def cli(workdir: Path) -> Run:
    """``python -m admission_flow --database-url sqlite:///WORKDIR/cli.db ARGS`` in ``workdir``, asserting the exit
    code; a clean environment whose SMTP settings point at a port nothing listens on."""
    smtp_port = str(closed_port())

    def run(*args: str, expect: int = 0, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "admission_flow", "--database-url", f"sqlite:///{workdir / 'cli.db'}", *args],
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
            env={
                "PATH": "/usr/bin:/bin",
                "COLUMNS": "200",
                "ADMISSION_FLOW_SMTP_HOST": "127.0.0.1",
                "ADMISSION_FLOW_SMTP_PORT": smtp_port,
                "ADMISSION_FLOW_SMTP_TIMEOUT_SECONDS": "5",
            }
            | (env or {}),
        )
        assert done.returncode == expect, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
        return done

    return run

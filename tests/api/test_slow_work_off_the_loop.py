"""Work slow enough to stall every other request runs in a worker thread, not on the server's event loop: the
sign-in's password hash and the check of an uploaded workflow file. Fast database work (a fire) stays on the
loop, as measured in bench/api.py (a hop to the thread pool per request costs more than it saves)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from apitools import V1, Api

from admission_flow.flow import AdmissionFlow

VALID = Path(__file__).resolve().parents[1] / "workflows" / "valid" / "minimal.yaml"


def _where_it_runs(monkeypatch: pytest.MonkeyPatch, flow: AdmissionFlow, name: str) -> list[str]:
    """Wrap ``flow.<name>`` to record, per call, whether it ran on a thread with a running event loop."""
    seen: list[str] = []
    real: Callable[..., Any] = getattr(flow, name)

    def recording(*args: Any, **kwargs: Any) -> Any:
        try:
            asyncio.get_running_loop()
            seen.append("event loop")
        except RuntimeError:
            seen.append("worker thread")
        return real(*args, **kwargs)

    monkeypatch.setattr(flow, name, recording)
    return seen


def test_an_uploaded_workflow_is_checked_in_a_worker_thread(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _where_it_runs(monkeypatch, api.flow, "validate_workflow_text")
    answer = api.client().post(
        f"{V1}/workflows/validate", content=VALID.read_bytes(), headers={"Content-Type": "application/yaml"}
    )
    assert answer.status_code == 200, answer.text
    assert seen == ["worker thread"]


def test_the_sign_in_password_check_runs_in_a_worker_thread(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _where_it_runs(monkeypatch, api.flow, "sign_in")
    with httpx.Client(base_url=api.base_url) as browser:
        form = browser.get("/web/signin")
        token = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert token is not None, form.text
        answer = browser.post("/web/signin", data={"login": "nobody", "password": "wrong", "csrf": token.group(1)})
    assert answer.status_code == 401
    assert seen == ["worker thread"]


def test_a_fire_stays_on_the_event_loop(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """The control: the recorder tells the two apart."""
    seen = _where_it_runs(monkeypatch, api.flow, "fire")
    api.client().post(f"{V1}/candidates/nobody/events", json={"trigger": "assign_helper"})
    assert seen == ["event loop"]

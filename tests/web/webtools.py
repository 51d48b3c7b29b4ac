"""Helpers of the browser tests: the app served by a real uvicorn, the people and candidates they use.

Named ``webtools`` because every test folder is on ``sys.path`` (pytest's default import mode) and module names
must not collide with ``apitools``/``clitools``.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Page

from admission_flow.flow import AdmissionFlow
from admission_flow.testing.scenario import drive

WAIT_SECONDS = 60  # an upper bound on a wait (server start and stop), never a timed assert
CHROMIUM = Path("/usr/bin/chromium")
# Screenshots of the main pages are written only on request (a run should not rewrite tracked files):
# ADMISSION_FLOW_WEB_SCREENSHOTS=docs/screenshots .venv/bin/pytest tests/web -k sqlite
_SHOTS = os.environ.get("ADMISSION_FLOW_WEB_SCREENSHOTS")
SCREENSHOTS = Path(_SHOTS) if _SHOTS else None
PASSWORD = "mật khẩu đủ dài"
SCRIPT_NAME = "Lê <script>window.pwned = 1</script> Văn Bình"


@contextmanager
def served(app: FastAPI) -> Iterator[str]:
    """``http://127.0.0.1:PORT`` of uvicorn serving ``app`` in a background thread (port 0: any free one)."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, name="uvicorn-web", daemon=True)
    thread.start()
    deadline = time.monotonic() + WAIT_SECONDS
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(WAIT_SECONDS)
        assert not thread.is_alive(), "uvicorn did not stop"


@dataclass(frozen=True)
class Site:
    """The served dashboard over a flow holding the sample tree, three candidates and two people:
    ``secretary`` (cell ``ks.anmy.ap1``, role ``cell``) and ``district`` (``ks``, cell and committee roles)."""

    flow: AdmissionFlow
    base_url: str

    def sign_in(self, page: Page, login: str = "secretary", password: str = PASSWORD) -> None:
        page.goto(f"{self.base_url}/web/signin")
        page.get_by_label("Tên đăng nhập").fill(login)
        page.get_by_label("Mật khẩu").fill(password)
        page.get_by_role("button", name="Đăng nhập").click()


def populate(flow: AdmissionFlow) -> None:
    """``an`` waits for the cell's vote in ks.anmy.ap1; ``binh`` (a name with a script tag) is a prospect there;
    ``chi`` is a prospect of another committee (ks.thpt), outside the secretary's subtree."""
    person = {"birth_date": date(1995, 5, 15), "education": "university", "workflow": "standard@2021"}
    flow.add_candidate(id="an", full_name="Nguyễn Văn An", org_id="ks.anmy.ap1", **person)
    drive(flow, "an", date(2025, 9, 2), until="awaiting_branch_vote")
    flow.add_candidate(id="binh", full_name=SCRIPT_NAME, org_id="ks.anmy.ap1", **person)
    flow.add_candidate(id="chi", full_name="Trần Thị Chi", org_id="ks.thpt.gv.toan", **person)
    flow.add_user(
        login="secretary", display_name="Bí thư An Phú", org_id="ks.anmy.ap1", roles=["cell"], password=PASSWORD
    )
    flow.add_user(
        login="district",
        display_name="Ban Tổ chức Huyện ủy",
        org_id="ks",
        roles=["cell", "competent_committee"],
        password=PASSWORD,
    )

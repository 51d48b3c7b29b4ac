"""The demo's dashboard accounts: two people with random passwords, printed once with the way to open the
dashboard (``admission-flow serve``, then http://127.0.0.1:8000/web/)."""

from __future__ import annotations

import secrets
from pathlib import Path

from admission_flow.cli import render
from admission_flow.flow import AdmissionFlow

DEMO_USERS = (
    ("bithu-anphu", "Bí thư Chi bộ ấp An Phú", "ks.anmy.ap1", ["cell"]),
    ("bantochuc-ks", "Ban Tổ chức Huyện ủy Kế Sách", "ks", ["cell", "competent_committee"]),
)


def add_demo_users(flow: AdmissionFlow, database: Path) -> None:
    lines = []
    for login, name, org_id, roles in DEMO_USERS:
        password = secrets.token_urlsafe(9)
        flow.add_user(login=login, display_name=name, org_id=org_id, roles=roles, password=password)
        lines.append(f"  {login:<13} {password}   ({org_id}: {', '.join(roles)})")
    render.out.print("Dashboard (Vietnamese first, English switch): run")
    render.out.print(f"  admission-flow --database-url sqlite:///{database} serve --port 8000")
    render.out.print("then open http://127.0.0.1:8000/web/ and sign in as (login, password):")
    for line in lines:
        render.out.print(line, highlight=False)

"""``admission-flow demo``: a sample tree and a cohort with Vietnamese names at different stages.

Some candidates run into the rules on purpose (too young on the vote date, 5 of 9 votes, an expired
awareness certificate) so the output shows refusals with their reasons in both languages. Two started before
2025-07-01 and stay on the 2021 rules, so that ``migrate --from standard@2021 --to standard@2025.1`` has someone
to move.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from rich.panel import Panel
from rich.table import Table

from admission_flow.cli import render
from admission_flow.cli.demo_web import add_demo_users
from admission_flow.domain.values import DocumentRecord, Votes
from admission_flow.errors import TransitionRefused
from admission_flow.flow import AdmissionFlow
from admission_flow.samples import sample_personal_id
from admission_flow.testing.scenario import add_sample_orgs, drive


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    org: str
    birth: date
    until: str | None
    start: date = date(2023, 2, 6)
    extra: tuple[tuple[str, Any], ...] = ()
    workflow: str | None = None  # the settings' default (standard, the newest version) unless named


COHORT: tuple[Person, ...] = (
    Person(
        "nguyen-thi-hong-nhung",
        "Nguyễn Thị Hồng Nhung",
        "ks.anmy.ap1",
        date(2001, 4, 12),
        None,
        date(2022, 9, 5),
        (("sex", "female"),),
    ),
    Person(
        "tran-minh-khoa",
        "Trần Minh Khoa",
        "ks.anmy.ap1",
        date(1998, 11, 2),
        "awaiting_recognition_vote",
        date(2023, 3, 1),
    ),
    Person(
        "le-hoang-phuc",
        "Lê Hoàng Phúc",
        "ks.anmy.ap2",
        date(1996, 7, 20),
        "probationary",
        date(2024, 9, 2),
    ),
    Person(
        "pham-thi-thu-trang",
        "Phạm Thị Thu Trang",
        "ks.thpt.gv.toan",
        date(1994, 3, 8),
        "awaiting_grassroots_vote",
        date(2025, 8, 4),
        (("sex", "female"), ("occupation", "teacher")),
    ),
    Person(
        "vo-van-tai",
        "Võ Văn Tài",
        "ks.ctyxk",
        date(1963, 5, 1),
        "awaiting_exception_consent",
        date(2025, 6, 2),
        (
            ("occupation", "worker"),
            ("trade_union_member", True),
            # Over 60 on the cell's vote: standard@2025.1 asks for the basis, health and standing (over_60_ok).
            ("attributes", {"over_60_basis": "special_requirement", "good_health": True, "good_reputation": True}),
        ),
    ),
    Person(
        "son-thi-sa-rinh",
        "Sơn Thị Sa Rinh",
        "ks.anmy.ap2",
        date(1999, 1, 15),
        "awaiting_admission_decision",
        date(2025, 7, 7),
        (("sex", "female"), ("ethnicity", "Khmer"), ("religion", "Phật giáo Nam tông")),
    ),
    Person(
        "dang-thi-mai",
        "Đặng Thị Mai",
        "ks.anmy.ap2",
        date(2002, 9, 9),
        "dossier_in_progress",
        date(2025, 10, 1),
        (("sex", "female"),),
    ),
    Person(
        "thach-van-dung",
        "Thạch Văn Dũng",
        "ks.anmy.ap1",
        date(2003, 2, 14),
        "in_awareness_class",
        date(2026, 5, 4),
        (("ethnicity", "Khmer"),),
    ),
    Person(
        "ly-thi-kim-ngan",
        "Lý Thị Kim Ngân",
        "ks.anmy.ap1",
        date(2004, 6, 30),
        "sympathizer",
        date(2026, 9, 1),
        (("sex", "female"),),
    ),
    Person(
        "ngo-van-hai",
        "Ngô Văn Hải",
        "ks.anmy.ap2",
        date(1990, 12, 1),
        "sympathizer",
        date(2026, 3, 2),
    ),
)

# Started under the 2021 rules (papers dated before 2025-07-01) and still running on them: enrolled last, so the
# identifiers and event numbers of everyone above stay as the README shows them.
ON_2021: tuple[Person, ...] = (
    Person(
        "trieu-van-nam",
        "Triệu Văn Nam",
        "ks.anmy.ap2",
        date(1995, 10, 3),
        "awaiting_branch_vote",
        date(2024, 10, 7),
        workflow="standard@2021",
    ),
    Person(
        "vu-thi-hoa",
        "Vũ Thị Hoa",
        "ks.anmy.ap1",
        date(1997, 3, 3),
        "dossier_in_progress",
        date(2025, 3, 3),
        (("sex", "female"),),
        workflow="standard@2021",
    ),
)


def _new_flow(database: Path, workflows_dir: Path | None) -> AdmissionFlow:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    flow = AdmissionFlow.from_settings(database_url=f"sqlite:///{database}", workflows_dir=workflows_dir)
    flow.upgrade_database()
    return flow


def _enrol(flow: AdmissionFlow, p: Person) -> None:
    flow.add_candidate(
        id=p.id,
        full_name=p.name,
        org_id=p.org,
        birth_date=p.birth,
        education="upper_secondary",
        youth_union_member=p.birth.year >= 1991,
        on=p.start,
        # The demo's people run on the default version as it is today, whatever their (sometimes old) start
        # date: a bare ID would pick the version in force then, and none is before 30/7/2021.
        workflow=p.workflow or flow.workflow(flow.settings.default_workflow).key,
        # standard@2025.1 asks for the 12-digit personal identification number before the dossier is complete
        # (personal_id_recorded): a valid one for the birth date and sex, numbered in the order of enrolment.
        personal_id=sample_personal_id(p.birth, dict(p.extra).get("sex"), len(flow.candidates()) + 1),
        **dict(p.extra),
    )


def _refusals(flow: AdmissionFlow) -> list[tuple[str, TransitionRefused]]:
    """Three candidates who meet the rules' edges, and what the engine says."""
    seen: list[tuple[str, TransitionRefused]] = []

    def attempt(cid: str, trigger: str, **kwargs: Any) -> None:
        try:
            flow.fire(cid, trigger, actor="demo:cell", role="cell", **kwargs)
        except TransitionRefused as exc:
            seen.append((cid, exc))

    # Born 2008-03-20: on the vote date 2026-03-10 he is 215 months old (17 years 11 months).
    young = Person(
        "huynh-quoc-bao",
        "Huỳnh Quốc Bảo",
        "ks.anmy.ap1",
        date(2008, 3, 20),
        "awaiting_branch_vote",
        date(2025, 9, 1),
    )
    _enrol(flow, young)
    drive(flow, young.id, young.start, young.until)
    resolution = [DocumentRecord("branch_resolution", date(2026, 3, 10))]
    attempt(young.id, "branch_vote_passed", on=date(2026, 3, 10), votes=Votes(8, 9), documents=resolution)
    # Five of nine full members is below two thirds; six of nine passes.
    close = Person(
        "bui-thi-lan",
        "Bùi Thị Lan",
        "ks.anmy.ap2",
        date(1997, 8, 18),
        "awaiting_branch_vote",
        date(2025, 12, 1),
        (("sex", "female"),),
    )
    _enrol(flow, close)
    record = drive(flow, close.id, close.start, close.until)
    vote_on = date.fromisoformat(record.dates["dossier_completed_on"])
    resolution = [DocumentRecord("branch_resolution", vote_on)]
    attempt(close.id, "branch_vote_passed", on=vote_on, votes=Votes(5, 9), documents=resolution)
    flow.fire(
        close.id,
        "branch_vote_passed",
        on=vote_on,
        votes=Votes(6, 9),
        documents=resolution,
        role="cell",
        actor="demo:cell",
    )
    # Certificate issued 2019-06-10 is 60 months old on 2024-06-10: too old to start the dossier.
    late = Person(
        "chau-minh-tri",
        "Châu Minh Trí",
        "ks.anmy.ap1",
        date(1995, 5, 5),
        "in_awareness_class",
        date(2019, 4, 1),
    )
    _enrol(flow, late)
    drive(flow, late.id, late.start, late.until)
    flow.fire(
        late.id,
        "issue_awareness_certificate",
        on=date(2019, 6, 10),
        role="political_centre",
        documents=[DocumentRecord("awareness_certificate", date(2019, 6, 10))],
    )
    attempt(late.id, "authorise_dossier", on=date(2024, 6, 10))
    return seen


def run_demo(database: Path, workflows_dir: Path | None = None) -> None:
    flow = _new_flow(database, workflows_dir)
    with flow:
        add_sample_orgs(flow)
        for person in COHORT:
            _enrol(flow, person)
            drive(flow, person.id, person.start, person.until)
        flow.fire("ngo-van-hai", "remove_from_list", on=date(2026, 6, 1), role="cell", actor="demo:cell")
        refused = _refusals(flow)
        for person in ON_2021:
            _enrol(flow, person)
            drive(flow, person.id, person.start, person.until)
        _summary(flow, database, refused)
        add_demo_users(flow, database)  # the dashboard's sign-ins (issue 11)


def _summary(flow: AdmissionFlow, database: Path, refused: list[tuple[str, TransitionRefused]]) -> None:
    spec = flow.workflow(flow.settings.default_workflow)
    records = flow.candidates()
    older = [c for c in records if c.workflow != spec.key]
    table = Table(
        title=f"Cohort on {spec.key} ({len(older)} still on older rules) — {len(records)} candidates, "
        f"{len(flow.orgs())} organisations"
    )
    for column in ("candidate", "organisation", "state", "key dates"):
        table.add_column(column)
    for c in records:
        dates = {
            k: v
            for k, v in c.dates.items()
            if k
            in ("certificate_issued_on", "branch_resolution_on", "ceremony_on", "probation_end_on", "full_member_since")
        }
        on = "" if c.workflow == spec.key else f"\n[dim]on {c.workflow}[/dim]"
        table.add_row(
            c.full_name,
            c.org_id,
            f"{c.state}\n[dim]{flow.workflow(c.workflow).states[c.state].label.vi}[/dim]{on}",
            "\n".join(f"{k} {v}" for k, v in dates.items()),
        )
    render.out.print(table)
    for cid, exc in refused:
        render.out.print(
            Panel(
                render.reasons_table([r.as_dict() for r in exc.reasons], title=f"{exc.trigger} refused in {exc.state}"),
                title=cid,
            )
        )
    counts = Counter(c.state for c in records)
    render.out.print("By state: " + ", ".join(f"{state} {n}" for state, n in sorted(counts.items())))
    events = sum(len(flow.history(c.id)) for c in records)
    render.out.print(f"{events} audited events in {database}. Explore it:")
    render.out.print(f"  admission-flow --database-url sqlite:///{database} candidate list")
    render.out.print(
        f"  admission-flow --database-url sqlite:///{database} options son-thi-sa-rinh "
        "--role competent_committee --acting-org ks"
    )
    render.out.print(f"  admission-flow --database-url sqlite:///{database} history nguyen-thi-hong-nhung")
    render.out.print(
        f"  admission-flow --database-url sqlite:///{database} migrate --from standard@2021 --to standard@2025.1 "
        f"--dry-run   # {', '.join(c.id for c in older)}"
    )

"""The sample organisation tree and the standard happy path, as data.

Used by ``admission-flow demo``, by dry runs (``AdmissionFlow.simulate``), by tests that need candidates in a
given state (``admission_flow.testing.scenario``) and by the benchmarks. Dates follow paper time: each step
happens a realistic number of days after the previous one, and the probation steps wait for
``probation_end_on``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from admission_flow.dates import completed_months
from admission_flow.domain.values import Votes

SAMPLE_ORGS: list[dict[str, Any]] = [
    {"id": "st", "name": "Tỉnh ủy Sóc Trăng", "kind": "province", "attributes": {"authority": ["consent"]}},
    {
        "id": "ks",
        "name": "Huyện ủy Kế Sách",
        "kind": "superior_committee",
        "parent_id": "st",
        "attributes": {"authority": ["admission", "recognition"]},
    },
    {"id": "ks.anmy", "name": "Đảng ủy xã An Mỹ", "kind": "grassroots_committee", "parent_id": "ks"},
    {"id": "ks.anmy.ap1", "name": "Chi bộ ấp An Phú", "kind": "cell", "parent_id": "ks.anmy", "has_youth_union": True},
    {
        "id": "ks.anmy.ap2",
        "name": "Chi bộ ấp An Thạnh",
        "kind": "cell",
        "parent_id": "ks.anmy",
        "has_youth_union": True,
    },
    {"id": "ks.thpt", "name": "Đảng ủy Trường THPT Kế Sách", "kind": "grassroots_committee", "parent_id": "ks"},
    {"id": "ks.thpt.gv", "name": "Đảng ủy bộ phận khối giáo viên", "kind": "partial_committee", "parent_id": "ks.thpt"},
    {"id": "ks.thpt.gv.toan", "name": "Chi bộ tổ Toán - Tin", "kind": "cell", "parent_id": "ks.thpt.gv"},
    {
        "id": "ks.ctyxk",
        "name": "Chi bộ Công ty CP Xuất khẩu Kế Sách",
        "kind": "grassroots_cell",
        "parent_id": "ks",
        "has_trade_union": True,
    },
]


def sample_contacts(org: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    """Who gets which reminders: cell secretaries on cells, committee offices on committees."""
    slug = org["id"].replace(".", "-")
    kind = org["kind"]
    if kind in ("cell", "grassroots_cell"):
        return {"cell_secretary": [{"name": "Bí thư " + org["name"], "email": f"bithu.{slug}@example.vn"}]}
    if kind == "grassroots_committee":
        return {"grassroots_committee": [{"name": "Văn phòng " + org["name"], "email": f"vanphong.{slug}@example.vn"}]}
    if kind == "superior_committee":
        return {
            "organisation_department": [
                {"name": "Ban Tổ chức " + org["name"], "email": f"bantochuc.{slug}@example.vn"}
            ],
            "standing_board": [{"name": "Ban Thường vụ " + org["name"], "email": f"btv.{slug}@example.vn"}],
        }
    return {}


@dataclass(frozen=True)
class Step:
    """One event of the happy path: fired when the candidate is in ``state``."""

    state: str
    trigger: str
    role: str
    days: int = 7
    documents: tuple[str, ...] = ()
    votes: Votes | None = None
    data: dict[str, Any] = field(default_factory=dict)
    at: str | None = None  # fire on this recorded date instead of `days` after the previous step
    only: str | None = None  # "youth_union_introduces" or "members_introduce": see youth_union_introduces()


# The Youth Union age of standard@2025.1's introducers_ok (youth_max_age): at most 30 completed years.
YOUTH_MAX_AGE = 30


def youth_union_introduces(
    birth_date: date | None, on: date, *, youth_union_member: bool, org_has_youth_union: bool
) -> bool:
    """Whether the Youth Union introduces the candidate (with one full member) rather than two full members.

    Điều lệ Art. 4.1: a candidate of Youth Union age, a member, where the organisation has a Youth Union, is
    introduced by the Youth Union's executive (Mẫu 4-KNĐ) and one full member. standard@2025.1 requires it
    (introducers_ok with youth_path); the earlier versions accept it as one of the union paths, so the sample path
    follows it whatever the version. Everyone else is introduced by two full members."""
    if birth_date is None or not (youth_union_member and org_has_youth_union):
        return False
    return completed_months(birth_date, on) // 12 <= YOUTH_MAX_AGE


def step_applies(step: Step, youth_union: bool) -> bool:
    """Whether ``step`` is on the path of a candidate for whom :func:`youth_union_introduces` is ``youth_union``."""
    if step.only is None:
        return True
    return (step.only == "youth_union_introduces") == youth_union


def sample_personal_id(birth_date: date, sex: str | None, serial: int, province: str = "094") -> str:
    """A valid 12-digit personal identification number for a sample person born in ``province`` (094: Sóc Trăng):
    the century-and-sex digit and the year agree with ``birth_date`` and ``sex`` (domain/identity.py)."""
    digit = 2 * (birth_date.year // 100 - 19) + (1 if sex == "female" else 0)
    return f"{province}{digit}{birth_date.year % 100:02d}{serial:06d}"


HAPPY_PATH: tuple[Step, ...] = (
    Step("prospect", "admit_to_sympathizer_list", "cell", days=0),
    Step("sympathizer", "assign_helper", "cell", days=1, data={"helper": "Trần Văn Bình"}),
    Step("sympathizer", "nominate_for_class", "cell", days=30),
    Step("in_awareness_class", "issue_awareness_certificate", "political_centre", 10, ("awareness_certificate",)),
    Step("awareness_certified", "authorise_dossier", "cell", days=14),
    Step("dossier_in_progress", "file_application", "candidate", 5, ("application",)),
    Step("dossier_in_progress", "declare_background", "candidate", 7, ("background",)),
    Step("dossier_in_progress", "stamp_background", "cell", days=3),
    Step("dossier_in_progress", "request_verification", "grassroots_committee", days=2),
    Step("dossier_in_progress", "record_verification_result", "grassroots_committee", 20, ("verification_result",)),
    Step("dossier_in_progress", "certify_background", "grassroots_committee", days=3),
    Step("dossier_in_progress", "submit_introduction", "cell", 2, ("introducer:Trần Văn Bình",)),
    Step("dossier_in_progress", "submit_introduction", "cell", 1, ("introducer:Lê Thị Cúc",), only="members_introduce"),
    Step(
        "dossier_in_progress",
        "submit_youth_union_resolution",
        "cell",
        1,
        ("youth_union_resolution",),
        only="youth_union_introduces",
    ),
    Step("dossier_in_progress", "record_residence_comment", "cell", 5, ("residence_comment",)),
    Step("dossier_in_progress", "compile_comments", "cell", 3, ("comments_summary",)),
    Step("dossier_in_progress", "dossier_complete", "cell", days=2),
    Step("awaiting_branch_vote", "branch_vote_passed", "cell", 10, ("branch_resolution",), Votes(8, 10)),
    Step("awaiting_partial_appraisal", "partial_appraisal_done", "partial_committee", 10, ("partial_appraisal",)),
    Step(
        "awaiting_grassroots_vote",
        "grassroots_vote_passed",
        "grassroots_committee",
        12,
        ("grassroots_resolution",),
        Votes(7, 9),
    ),
    Step(
        "awaiting_exception_consent", "grant_exception_consent", "provincial_standing_board", 20, ("exception_consent",)
    ),
    Step("awaiting_admission_decision", "decide_admission", "competent_committee", 25, ("admission_decision",)),
    Step("awaiting_ceremony", "receive_decision", "cell", days=3),
    Step("awaiting_ceremony", "hold_ceremony", "cell", days=12),
    Step("probationary", "file_member_records", "candidate", 20, ("member_records",)),
    Step("probationary", "complete_new_member_course", "political_centre", 90, ("new_member_certificate",)),
    Step("probationary", "probation_elapsed", "system", at="probation_end_on"),
    Step("awaiting_recognition_vote", "submit_self_review", "candidate", 2, ("self_review",)),
    Step("awaiting_recognition_vote", "submit_helper_review", "cell", 1, ("helper_review",)),
    Step("awaiting_recognition_vote", "compile_probation_comments", "cell", 3, ("probation_comments",)),
    Step("awaiting_recognition_vote", "recognition_vote_passed", "cell", 7, ("recognition_resolution",), Votes(9, 10)),
    Step("awaiting_recognition_decision", "decide_recognition", "competent_committee", 15, ("recognition_decision",)),
    Step("full_member", "issue_party_card", "cell", days=20),
)


POWER_OF = {
    "decide_admission": "admission",
    "reject_admission": "admission",
    "decide_recognition": "recognition",
    "decide_strike_off": "recognition",
    "grant_exception_consent": "consent",
    "deny_exception_consent": "consent",
}

"""The dashboard's words, Vietnamese first, English on request (the ``af_lang`` cookie)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LANGUAGES = ("vi", "en")

WORDS: dict[str, tuple[str, str]] = {
    "app": ("Phát triển đảng viên", "Party member admission"),
    "skip": ("Bỏ qua, tới nội dung", "Skip to content"),
    "my_work": ("Việc của tôi", "My work"),
    "deadline_board": ("Bảng thời hạn", "Deadline board"),
    "pipeline_board": ("Bảng tiến độ", "Pipeline board"),
    "sign_in": ("Đăng nhập", "Sign in"),
    "sign_out": ("Đăng xuất", "Sign out"),
    "login": ("Tên đăng nhập", "Login"),
    "password": ("Mật khẩu", "Password"),
    "signed_in_as": ("Đang đăng nhập", "Signed in as"),
    "roles": ("Vai trò", "Roles"),
    "scope": ("Phạm vi", "Scope"),
    "language": ("English", "Tiếng Việt"),
    "candidate": ("Quần chúng", "Candidate"),
    "organisation": ("Tổ chức", "Organisation"),
    "state": ("Trạng thái", "State"),
    "next_deadline": ("Thời hạn gần nhất", "Next deadline"),
    "due_on": ("Hạn", "Due"),
    "days_left": ("Còn (ngày làm việc)", "Left (working days)"),
    "overdue": ("Quá hạn", "Overdue"),
    "basis": ("Căn cứ", "Legal basis"),
    "act": ("Việc cần làm", "To do"),
    "nothing_waiting": ("Không có hồ sơ nào chờ bạn.", "Nothing is waiting for you."),
    "previous": ("Trang trước", "Previous page"),
    "next": ("Trang sau", "Next page"),
    "page": ("Trang", "Page"),
    "personal_data": ("Thông tin cá nhân", "Personal data"),
    "full_name": ("Họ và tên", "Full name"),
    "birth_date": ("Ngày sinh", "Date of birth"),
    "sex": ("Giới tính", "Sex"),
    "ethnicity": ("Dân tộc", "Ethnicity"),
    "religion": ("Tôn giáo", "Religion"),
    "education": ("Trình độ", "Education"),
    "occupation": ("Nghề nghiệp", "Occupation"),
    "workflow": ("Quy trình", "Workflow"),
    "timeline": ("Diễn biến", "Timeline"),
    "date": ("Ngày", "Date"),
    "event": ("Sự kiện", "Event"),
    "actor": ("Người thực hiện", "Actor"),
    "role": ("Vai trò", "Role"),
    "papers": ("Giấy tờ", "Papers"),
    "votes": ("Biểu quyết", "Votes"),
    "open_deadlines": ("Thời hạn đang chạy", "Open deadlines"),
    "no_deadlines": ("Không có thời hạn nào.", "No open deadlines."),
    "what_next": ("Có thể làm gì tiếp theo", "What can happen next"),
    "allowed": ("Được phép", "Allowed"),
    "not_allowed": ("Chưa được phép", "Not allowed"),
    "fire": ("Ghi nhận sự kiện", "Record an event"),
    "fire_button": ("Ghi nhận", "Record"),
    "paper_kind": ("Loại giấy tờ", "Kind of paper"),
    "issued_on": ("Ngày ký", "Issued on"),
    "reference": ("Số, ký hiệu", "Reference"),
    "in_favour": ("Số tán thành", "In favour"),
    "eligible": ("Tổng số đảng viên chính thức", "Full members (eligible)"),
    "against": ("Số không tán thành", "Against"),
    "data": ("Dữ liệu khác (mỗi dòng khóa=giá trị)", "Other data (one key=value a line)"),
    "acting_org": ("Thay mặt tổ chức (mã)", "On behalf of organisation (id)"),
    "none": ("(không)", "(none)"),
    "refused": ("Không thể ghi nhận: ", "Refused: "),
    "fired": ("Đã ghi nhận", "Recorded"),
    "not_found": ("Không tìm thấy", "Not found"),
    "not_found_text": (
        "Không có trang này, hoặc nó nằm ngoài phạm vi của bạn.",
        "There is no such page, or it lies outside your scope.",
    ),
    "bad_form": ("Biểu mẫu đã hết hạn hoặc không hợp lệ. Hãy thử lại.", "The form expired or is not valid. Try again."),
    "committee": ("Cấp ủy, tổ chức", "Committee"),
    "within_30": ("Trong 30 ngày", "Within 30 days"),
    "within_60": ("Trong 60 ngày", "Within 60 days"),
    "within_90": ("Trong 90 ngày", "Within 90 days"),
    "total": ("Cộng", "Total"),
    "own_rows": ("(hồ sơ của chính tổ chức này)", "(its own candidates)"),
    "refused_sign_in": (
        "Đăng nhập không thành công: sai tên hoặc mật khẩu, hoặc đã thử sai quá nhiều lần (chờ 15 phút).",
        "Sign-in refused: wrong login or password, or too many failed attempts (wait 15 minutes).",
    ),
    "invalid": ("Dữ liệu không hợp lệ: ", "Invalid input: "),
    "conflict": (
        "Hồ sơ vừa được người khác cập nhật; hãy tải lại trang.",
        "Someone else just changed this file; reload.",
    ),
    "check": ("Kiểm tra", "Check"),
    "view": ("Xem", "View"),
}


def words(lang: str) -> dict[str, str]:
    i = 1 if lang == "en" else 0
    return {key: pair[i] for key, pair in WORDS.items()}


def label(value: Mapping[str, Any] | None, lang: str, fallback: str = "") -> str:
    """A workflow label ``{vi, en}`` in the page's language (the other one if missing)."""
    if not value:
        return fallback
    other = "vi" if lang == "en" else "en"
    return str(value.get(lang) or value.get(other) or fallback)

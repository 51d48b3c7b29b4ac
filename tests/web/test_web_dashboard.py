"""The dashboard in a real browser (Chromium through Playwright), on SQLite and PostgreSQL: signing in and out,
forms refused without their token, a secretary recording an event and reading a refusal's reasons, URLs of
another organisation refused, a name holding ``<script>`` shown as text, and the phone-width layout.

Screenshots of the main pages are written to ``$ADMISSION_FLOW_WEB_SCREENSHOTS`` (``docs/screenshots`` for the
README) from the SQLite run when that variable is set.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from webtools import SCREENSHOTS, SCRIPT_NAME, Site


def shoot(request: pytest.FixtureRequest, page: Page, name: str) -> None:
    """Save a full-page screenshot when asked to (``webtools.SCREENSHOTS``), from the SQLite case."""
    if SCREENSHOTS is not None and "sqlite" in request.node.callspec.id:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def test_web_a_wrong_password_is_refused_and_signing_out_ends_the_session(
    site: Site, page: Page, request: pytest.FixtureRequest
) -> None:
    page.goto(f"{site.base_url}/web/")
    expect(page).to_have_url(f"{site.base_url}/web/signin")  # no session: the sign-in page
    shoot(request, page, "signin")
    site.sign_in(page, password="not the password")
    expect(page.get_by_role("alert")).to_contain_text("Đăng nhập không thành công")
    expect(page.get_by_label("Tên đăng nhập")).to_have_value("secretary")  # what was typed is kept

    site.sign_in(page)
    expect(page.get_by_role("heading", name="Việc của tôi")).to_be_visible()
    expect(page.get_by_role("link", name="Nguyễn Văn An")).to_be_visible()
    cookie = next(c for c in page.context.cookies() if c["name"] == "af_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    shoot(request, page, "my-work")

    page.get_by_role("button", name="Đăng xuất").click()
    expect(page).to_have_url(f"{site.base_url}/web/signin")
    page.goto(f"{site.base_url}/web/candidates/an")
    expect(page).to_have_url(f"{site.base_url}/web/signin")


def test_web_a_form_without_its_token_is_refused_and_changes_nothing(site: Site, page: Page) -> None:
    site.sign_in(page)
    expect(page.get_by_role("heading", name="Việc của tôi")).to_be_visible()
    before = len(site.flow.history("an"))
    form = {"csrf": "forged", "trigger": "branch_vote_failed", "on": "2026-01-05"}
    answer = page.request.post(f"{site.base_url}/web/candidates/an/fire", form=form)  # the session's cookie, no token
    assert answer.status == 403
    assert "hết hạn hoặc không hợp lệ" in answer.text()
    assert len(site.flow.history("an")) == before
    answer = page.request.post(f"{site.base_url}/web/signout", form={"csrf": ""})
    assert answer.status == 403
    page.goto(f"{site.base_url}/web/")
    expect(page.get_by_role("heading", name="Việc của tôi")).to_be_visible()  # still signed in


def test_web_a_secretary_sees_every_reason_of_a_refusal_then_records_an_event(
    site: Site, page: Page, request: pytest.FixtureRequest
) -> None:
    site.sign_in(page)
    page.get_by_role("link", name="Chi bộ biểu quyết đề nghị kết nạp (Mẫu 6-KNĐ)").first.click()
    expect(page.get_by_label("Sự kiện", exact=True)).to_have_value("branch_vote_passed")
    page.get_by_label("Loại giấy tờ 1").select_option("branch_resolution")
    page.locator("#paper_on_0").fill("2026-01-05")
    page.locator("#paper_ref_0").fill("05-NQ/CB")
    page.get_by_label("Số tán thành").fill("5")
    page.get_by_label("Tổng số đảng viên chính thức").fill("9")
    page.get_by_role("button", name="Ghi nhận", exact=True).click()

    alert = page.locator("#fire").get_by_role("alert")
    expect(alert).to_contain_text("vote_ratio_not_reached")
    expect(page.get_by_label("Số tán thành")).to_have_value("5")  # what was typed is kept
    expect(page.locator("#paper_ref_0")).to_have_value("05-NQ/CB")
    assert site.flow.candidate("an").state == "awaiting_branch_vote"
    shoot(request, page, "candidate-refused")

    page.get_by_role("link", name="English").click()  # back to the candidate's page, in English
    expect(page.get_by_role("heading", name="What can happen next")).to_be_visible()
    expect(page.locator("#h-next + ul")).to_contain_text("Not allowed")
    page.get_by_label("Event", exact=True).select_option("branch_vote_passed")
    page.get_by_label("Kind of paper 1").select_option("branch_resolution")
    page.locator("#paper_on_0").fill("2026-01-05")
    page.get_by_label("In favour").fill("8")
    page.get_by_label("Full members (eligible)").fill("9")
    page.get_by_role("button", name="Record", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Recorded")
    assert site.flow.candidate("an").state == "awaiting_grassroots_vote"
    last = site.flow.history("an")[-1]
    assert (last.trigger, last.actor, last.role) == ("branch_vote_passed", "user:secretary", "cell")
    shoot(request, page, "candidate")


def test_web_another_organisations_candidates_and_boards_are_not_found(site: Site, page: Page) -> None:
    site.sign_in(page)
    expect(page.get_by_role("heading", name="Việc của tôi")).to_be_visible()
    for path in ("/web/candidates/chi", "/web/candidates/nobody", "/web/boards/pipeline?org=ks.thpt"):
        answer = page.goto(f"{site.base_url}{path}")
        assert answer is not None and answer.status == 404, path
        expect(page.get_by_role("heading", name="Không tìm thấy")).to_be_visible()
    page.goto(f"{site.base_url}/web/boards/pipeline")
    expect(page.get_by_role("main")).not_to_contain_text("Trường THPT")
    page.goto(f"{site.base_url}/web/")
    expect(page.get_by_role("main")).not_to_contain_text("Trần Thị Chi")


def test_web_a_name_with_a_script_tag_is_shown_as_text(site: Site, page: Page) -> None:
    site.sign_in(page)
    page.goto(f"{site.base_url}/web/candidates/binh")
    expect(page.get_by_role("heading", level=1)).to_have_text(SCRIPT_NAME)
    assert page.evaluate("typeof window.pwned") == "undefined"
    page.goto(f"{site.base_url}/web/")
    expect(page.get_by_role("link", name=SCRIPT_NAME)).to_be_visible()
    assert page.evaluate("typeof window.pwned") == "undefined"


def test_web_pages_fit_a_phone_and_the_boards_count_the_subtree(
    site: Site, browser_page_phone: Page, request: pytest.FixtureRequest
) -> None:
    page = browser_page_phone
    site.sign_in(page, login="district")
    expect(page.get_by_role("heading", name="Việc của tôi")).to_be_visible()
    for path, name in (("/web/", "phone-my-work"), ("/web/candidates/an", "phone-candidate")):
        page.goto(f"{site.base_url}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"{path} is {width} px wide on a 375 px screen"
        shoot(request, page, name)
    page.goto(f"{site.base_url}/web/boards/pipeline")
    row = page.get_by_role("row", name=re.compile("Đảng ủy xã An Mỹ"))
    expect(row).to_contain_text("1")
    expect(page.get_by_role("main")).to_contain_text("Trường THPT")  # the district sees both committees
    page.set_viewport_size({"width": 1280, "height": 900})
    shoot(request, page, "pipeline-board")
    page.goto(f"{site.base_url}/web/boards/deadlines")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bảng thời hạn")
    shoot(request, page, "deadline-board")

"""The workflow pages, the diagram on the candidate page and the report board, in a real browser (Chromium
through Playwright) on SQLite and PostgreSQL: the list leads to a version's diagram and moves, two versions
compared, an uploaded file checked with its problems at file:line:column (a forged token and an over-size file
refused), the candidate's state marked on the diagram in both languages, and quota attainment and composition
with their charts counted over the signed-in person's subtree only.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from test_web_dashboard import shoot
from webtools import Site

from admission_flow.testing.scenario import drive

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
BROKEN = """id: broken
version: "1"
title: {vi: Hỏng, en: Broken}
initial: begin
states:
  start:
    label: {vi: Bắt đầu, en: Start}
  done:
    final: true
    label: {vi: Xong, en: Done}
transitions:
  - trigger: finish
    source: start
    dest: nowhere
""".encode()


def test_web_the_workflow_list_leads_to_a_version_with_its_diagram_and_moves(
    site: Site, page: Page, request: pytest.FixtureRequest
) -> None:
    site.sign_in(page)
    page.get_by_role("link", name="Quy trình", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Quy trình")
    for summary in site.flow.workflows():  # every loaded version is listed
        expect(page.get_by_role("link", name=summary.key, exact=True)).to_be_visible()
    shoot(request, page, "workflows")
    page.get_by_role("link", name="standard@2025", exact=True).click()
    picture = page.get_by_role("img", name=re.compile("Sơ đồ quy trình: standard@2025"))
    expect(picture).to_be_visible()
    spec = site.flow.workflow("standard@2025")
    expect(picture.locator("g[data-state]")).to_have_count(len(spec.states))
    expect(picture.locator("g.current")).to_have_count(0)  # no candidate: nothing stressed
    expect(picture).to_contain_text(spec.states["awaiting_branch_vote"].label.vi)
    moves = page.get_by_role("region", name="Các bước chuyển")
    expect(moves.get_by_role("row")).to_have_count(len(spec.transitions) + 1)  # the header row, then one a move
    expect(moves).to_contain_text("branch_vote_passed")
    shoot(request, page, "workflow")

    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("img", name=re.compile("Workflow diagram: standard@2025"))).to_contain_text(
        spec.states["awaiting_branch_vote"].label.en
    )


def test_web_two_versions_are_compared_with_their_changes_and_the_changed_states_flagged(
    site: Site, page: Page, request: pytest.FixtureRequest
) -> None:
    site.sign_in(page)
    page.goto(f"{site.base_url}/web/workflows")
    page.get_by_role("link", name="So sánh hai phiên bản").click()  # the standard procedure's last two first
    expect(page.get_by_label("Phiên bản gốc")).to_have_value("standard@2025")
    expect(page.get_by_label("Phiên bản mới")).to_have_value("standard@2025.1")
    page.get_by_label("Phiên bản gốc").select_option("standard@2021")
    page.get_by_label("Phiên bản mới").select_option("standard@2025")
    page.get_by_role("button", name="So sánh", exact=True).click()
    expect(page).to_have_url(re.compile(r"old=standard%402021&new=standard%402025"))
    changes = site.flow.workflow_diff("standard@2021", "standard@2025")
    assert changes  # the 2025 rules changed the procedure
    listed = page.locator("ul.changes li")
    expect(listed).to_have_count(len(changes))
    expect(listed.first).to_have_text(str(changes[0]))
    picture = page.get_by_role("img", name=re.compile("standard@2025"))
    flagged = picture.locator("g.changed")
    assert flagged.count() > 0
    expect(flagged.first).to_contain_text("~ đã đổi")
    shoot(request, page, "workflow-diff")

    answer = page.goto(f"{site.base_url}/web/workflows/diff?old=standard@2021&new=nothing@1")
    assert answer is not None and answer.status == 404


def test_web_an_uploaded_workflow_file_is_checked_and_its_problems_read_file_line_column(
    site: Site, page: Page, request: pytest.FixtureRequest
) -> None:
    site.sign_in(page)
    page.goto(f"{site.base_url}/web/workflows")
    page.get_by_role("link", name="Kiểm tra tệp quy trình").click()
    page.get_by_label("Tệp quy trình (.yaml)").set_input_files(
        {"name": "broken.yaml", "mimeType": "text/yaml", "buffer": BROKEN}
    )
    page.get_by_role("button", name="Kiểm tra tệp").click()
    _, expected = site.flow.validate_workflow_text("broken.yaml", BROKEN)
    assert expected
    expect(page.get_by_role("alert")).to_contain_text(f"Lỗi tìm thấy ({len(expected)}): broken.yaml")
    found = page.locator("ol.problems li")
    expect(found).to_have_count(len(expected))
    for item, problem in zip(found.all(), expected, strict=True):
        expect(item.locator("code.where")).to_have_text(f"broken.yaml:{problem.line}:{problem.column}")
        expect(item).to_contain_text(problem.message)
    problems = page.locator("ol.problems")
    expect(problems).to_contain_text("broken.yaml:4:10 initial")  # the initial state that is not declared
    expect(problems).to_contain_text("broken.yaml:14:11 transitions[0].dest unknown state 'nowhere'")
    shoot(request, page, "workflow-check")

    shipped = (WORKFLOWS / "standard-2025.yaml").read_bytes()
    page.get_by_label("Tệp quy trình (.yaml)").set_input_files(
        {"name": "standard-2025.yaml", "mimeType": "text/yaml", "buffer": shipped}
    )
    page.get_by_role("button", name="Kiểm tra tệp").click()
    expect(page.get_by_role("status")).to_contain_text("Tệp hợp lệ: standard-2025.yaml")
    expect(page.get_by_role("status")).to_contain_text("standard@2025")


def test_web_an_upload_with_a_forged_token_or_over_the_size_limit_is_refused(site: Site, page: Page) -> None:
    site.sign_in(page)
    page.goto(f"{site.base_url}/web/workflows/check")
    token = page.locator("input[name=csrf]").first.input_value()
    url = f"{site.base_url}/web/workflows/check"
    small = {"name": "broken.yaml", "mimeType": "text/yaml", "buffer": BROKEN}

    forged = page.request.post(url, multipart={"csrf": "forged", "file": small})
    assert forged.status == 403 and "hết hạn hoặc không hợp lệ" in forged.text()
    as_form = page.request.post(url, form={"csrf": token})  # a form without a file part is not an upload
    assert as_form.status == 403

    most = site.flow.settings.upload_max_bytes
    huge = {"name": "huge.yaml", "mimeType": "text/yaml", "buffer": b"#" * (most * 2)}
    answer = page.request.post(url, multipart={"csrf": token, "file": huge})
    assert answer.status == 413
    assert f"tối đa {most:,} byte" in answer.text()

    # Just over the limit, inside the envelope's allowance: read, then refused as a located problem
    over = {"name": "over.yaml", "mimeType": "text/yaml", "buffer": b"#" * (most + 1)}
    answer = page.request.post(url, multipart={"csrf": token, "file": over})
    assert answer.status == 422
    assert "over.yaml:1:1" in answer.text() and "upload_max_bytes" in answer.text()

    answer = page.request.post(url, multipart={"csrf": token, "file": small})
    assert answer.status == 422 and "broken.yaml:" in answer.text()

    odd = {"name": "tab\there.yaml", "mimeType": "text/yaml", "buffer": BROKEN}  # a name not fit to print
    answer = page.request.post(url, multipart={"csrf": token, "file": odd})
    assert answer.status == 422 and "upload.yaml:4:10" in answer.text()


def test_web_the_candidate_page_marks_the_current_state_on_the_workflow_diagram(
    site: Site, page: Page, request: pytest.FixtureRequest
) -> None:
    site.sign_in(page)
    page.goto(f"{site.base_url}/web/candidates/an")
    picture = page.get_by_role("img", name=re.compile("Sơ đồ quy trình: standard@2021"))
    picture.scroll_into_view_if_needed()
    expect(picture).to_be_visible()
    current = picture.locator("g.current")
    expect(current).to_have_count(1)
    expect(current).to_have_attribute("data-state", "awaiting_branch_vote")
    expect(current).to_contain_text("▶ hiện tại")
    label = site.flow.workflow("standard@2021").states["awaiting_branch_vote"].label
    expect(picture.locator("desc")).to_have_text(re.compile(f"Trạng thái hiện tại: {re.escape(label.vi)}"))
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("img", name=re.compile("Workflow diagram")).locator("g.current")).to_contain_text(
        "▶ current"
    )


def _admit_one(site: Site) -> None:
    """``dung`` of cell ks.anmy.ap2 admitted in 2025 against a quota of 4 for the commune ks.anmy."""
    flow = site.flow
    person = {"birth_date": date(1996, 3, 1), "education": "university", "workflow": "standard@2021", "sex": "female"}
    flow.add_candidate(id="dung", full_name="Phạm Thị Dung", org_id="ks.anmy.ap2", **person)
    drive(flow, "dung", date(2025, 1, 6), until="probationary")
    flow.set_target("ks.anmy", kind="annual", admissions=4, year=2025)


def test_web_the_report_board_shows_quota_attainment_and_composition_with_charts_of_the_subtree(
    site: Site, page: Page, request: pytest.FixtureRequest
) -> None:
    _admit_one(site)
    site.sign_in(page, login="district")
    page.get_by_role("link", name="Chỉ tiêu và cơ cấu").click()
    page.get_by_label("Năm").fill("2025")
    page.get_by_role("button", name="Xem", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("2025")
    attainment = page.get_by_role("region", name="Kết quả kết nạp so với chỉ tiêu", exact=True)
    row = attainment.get_by_role("row", name=re.compile("Đảng ủy xã An Mỹ"))
    expect(row.get_by_role("cell")).to_have_text(["4", "1", "25.0", "-75.0"])
    composition = page.get_by_role("region", name="Cơ cấu đảng viên mới kết nạp", exact=True)
    women = site.flow.report("composition", "ks", year=2025).rows[0]
    expect(composition.get_by_role("row").nth(1).get_by_role("cell")).to_have_text(
        [str(women.count), str(women.percent)]
    )
    page.wait_for_load_state("load")  # the page's images included
    for chart in page.locator("img.chart").all():  # both charts load, drawn by the app
        expect(chart).to_have_attribute("alt", re.compile("Biểu đồ"))
        assert chart.evaluate("img => img.complete && img.naturalWidth > 0")
    answer = page.request.get(f"{site.base_url}/web/boards/charts/attainment.svg?org=ks&year=2025")
    assert answer.status == 200 and answer.headers["content-type"].startswith("image/svg+xml")
    assert answer.headers["content-security-policy"].startswith("default-src 'none'")
    assert answer.body().lstrip().startswith(b"<?xml")
    shoot(request, page, "report-board")


def test_web_the_report_board_and_its_charts_stay_inside_the_persons_subtree(site: Site, page: Page) -> None:
    _admit_one(site)
    site.sign_in(page)  # the secretary of ks.anmy.ap1
    page.goto(f"{site.base_url}/web/boards/reports?year=2025")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Chi bộ ấp An Phú")
    expect(page.get_by_role("region", name="Kết quả kết nạp so với chỉ tiêu", exact=True)).not_to_contain_text("An Mỹ")
    page.get_by_label("Năm").fill("25")
    page.get_by_role("button", name="Xem", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Năm phải có bốn chữ số")
    expect(page.get_by_label("Năm")).to_have_value("25")  # what was typed is kept
    assert page.request.get(f"{site.base_url}/web/boards/reports?year=1066").status == 400
    for path in (
        "/web/boards/reports?org=ks.anmy&year=2025",
        "/web/boards/charts/attainment.svg?org=ks&year=2025",
        "/web/boards/charts/pipeline.svg",
    ):
        answer = page.request.get(f"{site.base_url}{path}")
        assert answer.status == 404, path


def test_web_the_workflow_pages_and_the_report_board_fit_a_phone(
    site: Site, browser_page_phone: Page, request: pytest.FixtureRequest
) -> None:
    _admit_one(site)
    page = browser_page_phone
    site.sign_in(page, login="district")
    expect(page.get_by_role("heading", name="Việc của tôi")).to_be_visible()
    for path, name in (
        ("/web/workflows", None),
        ("/web/workflows/standard@2025", "phone-workflow"),
        ("/web/workflows/check", None),
        ("/web/workflows/diff?old=standard@2021&new=standard@2025", None),
        ("/web/boards/reports?year=2025", "phone-report-board"),
    ):
        page.goto(f"{site.base_url}{path}", wait_until="load")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"{path} is {width} px wide on a 375 px screen"
        if name:
            shoot(request, page, name)

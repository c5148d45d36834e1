"""The dashboard in a real headless Chromium against a real `streamlit run` on loopback.

Screenshots and downloaded reports are kept in test-artifacts/ (ignored by git).
"""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from playwright.sync_api import expect

from tests.e2e.dataset import PERSONAL

pytestmark = pytest.mark.browser

PAGES = [("Tổng quan", "tong-quan"), ("Kết nối đến trường", "den-truong"), ("Kết nối việc làm", "viec-lam"),
         ("Kết nối an cư", "an-cu"), ("Tuyên truyền và nguồn lực", "tuyen-truyen-nguon-luc"),
         ("Chất lượng dữ liệu", "chat-luong-du-lieu"), ("Đơn vị", "don-vi"), ("Báo cáo", "bao-cao")]
HEADINGS = {"Báo cáo": "Báo cáo tổng kết", "Đơn vị": "Đơn vị: "}
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def wait_idle(page) -> None:
    page.wait_for_selector(IDLE, timeout=60_000)


def open_page(page, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title, exact=True).click()
    heading = HEADINGS.get(title, title)
    page.locator("h1").filter(has_text=heading).first.wait_for(timeout=60_000)
    wait_idle(page)


def log_in(page, url: str, username: str) -> None:
    page.goto(url)
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(f"demo-{username}")
    page.get_by_role("button", name="Đăng nhập").click()
    page.locator('[data-testid="stSidebarNav"]').wait_for(timeout=60_000)
    wait_idle(page)


def choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the select box labelled ``label`` and wait until the box shows it."""
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first
    box.click()
    page.get_by_role("option", name=option, exact=True).click()
    expect(box.get_by_role("combobox")).to_have_value(option)
    wait_idle(page)


def record_frames(page) -> list[bytes]:
    """Collect every WebSocket message the server sends to this page."""
    frames: list[bytes] = []

    def on_socket(socket) -> None:
        socket.on("framereceived", lambda payload: frames.append(
            payload if isinstance(payload, bytes) else payload.encode()))

    page.on("websocket", on_socket)
    return frames


def download_report(page, artifacts, name: str, file_stem: str) -> bytes:
    """Download the report once the page shows the file name of the chosen scope."""
    expect(page.get_by_text(f"Tệp: {file_stem}")).to_be_visible(timeout=60_000)
    wait_idle(page)
    with page.expect_download() as info:
        page.get_by_role("button", name=re.compile("Tải xuống báo cáo")).click()
    path = artifacts / name
    info.value.save_as(path)
    return path.read_bytes()


def test_province_walkthrough(browser, dashboard_server, artifacts):
    # A tall window, because Streamlit scrolls inside its own container and a screenshot shows only the window.
    context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 3200}, locale="vi-VN")
    page = context.new_page()
    try:
        page.goto(dashboard_server.url)
        page.get_by_label("Tên đăng nhập").wait_for()
        page.screenshot(path=artifacts / "00-dang-nhap.png", full_page=True)
        log_in(page, dashboard_server.url, "tinhdoan")
        assert "Cập nhật lúc 08:00 ngày 09/09/2022" in page.inner_text("body")

        for index, (title, path) in enumerate(PAGES, start=1):
            open_page(page, title)
            # The default page (Tổng quan) may keep the bare root URL.
            address = page.url.split("?")[0]
            assert address.endswith(path) or (index == 1 and address.endswith("/"))
            body = page.inner_text("body")
            assert "Error" not in body
            assert "Traceback" not in body
            page.screenshot(path=artifacts / f"{index:02d}-{path}.png", full_page=True)

        open_page(page, "Kết nối việc làm")
        choose(page, "Đơn vị", "Huyện đoàn Đầm Dơi")
        page.wait_for_url(re.compile(r"unit=DAMDOI"))
        expect(page.get_by_text("Phạm vi: Huyện đoàn Đầm Dơi")).to_be_visible(timeout=60_000)
        page.screenshot(path=artifacts / "10-loc-dam-doi.png", full_page=True)

        shared_link = page.url
        second = context.new_page()
        log_in(second, shared_link, "tinhdoan")
        expect(second.get_by_text("Phạm vi: Huyện đoàn Đầm Dơi")).to_be_visible(timeout=60_000)
        assert second.url.split("?")[0].endswith("viec-lam")
        second.close()

        open_page(page, "Báo cáo")
        choose(page, "Báo cáo cho", "Toàn tỉnh (Cà Mau)")
        payload = download_report(page, artifacts, "bao-cao-toan-tinh.xlsx", "bao-cao-tong-ket-3-ket-noi-toan-tinh")
        page.screenshot(path=artifacts / "11-bao-cao.png", full_page=True)
    finally:
        context.close()

    book = openpyxl.load_workbook(io.BytesIO(payload))
    sheet = book["Báo cáo tổng kết"]
    assert sheet["A4"].value == "BÁO CÁO TỔNG KẾT"
    lines = {row[1]: row for row in sheet.iter_rows(min_row=10, values_only=True) if row[1]}
    assert lines["Ngày hội việc làm cấp tỉnh"][3:6] == (1, 1, 1)
    assert lines["Học bổng trao tặng"][4] == 7


def personal_values(*units: str) -> list[str]:
    return [value for unit in units for kind in ("names", "phones", "ids") for value in PERSONAL[unit][kind]]


def test_unit_account_cannot_reach_other_units_personal_data(browser, dashboard_server, artifacts):
    context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    frames = record_frames(page)
    downloads = []
    try:
        log_in(page, dashboard_server.url, "damdoi")
        for unit_option in ("Huyện đoàn Năm Căn", "Tỉnh đoàn Cà Mau", "Toàn tỉnh"):
            choose(page, "Đơn vị", unit_option)
            for title, path in PAGES:
                open_page(page, title)
                for expander in page.locator('[data-testid="stExpander"] summary').all():
                    expander.click()
                wait_idle(page)
        open_page(page, "Đơn vị")
        page.screenshot(path=artifacts / "20-don-vi-tai-khoan-dam-doi.png", full_page=True)
        open_page(page, "Báo cáo")
        for option, name, stem in (
                ("Toàn tỉnh (Cà Mau)", "bao-cao-dam-doi-xem-toan-tinh.xlsx", "bao-cao-tong-ket-3-ket-noi-toan-tinh"),
                ("Huyện đoàn Đầm Dơi", "bao-cao-dam-doi.xlsx", "bao-cao-tong-ket-3-ket-noi-damdoi")):
            choose(page, "Báo cáo cho", option)
            downloads.append(download_report(page, artifacts, name, stem))
        choose(page, "Đơn vị", "Huyện đoàn Đầm Dơi")
        open_page(page, "Kết nối đến trường")
        body = page.inner_text("body")
    finally:
        context.close()

    province_book = openpyxl.load_workbook(io.BytesIO(downloads[0]))
    unit_book = openpyxl.load_workbook(io.BytesIO(downloads[1]))
    assert province_book.active["A2"].value == "TỈNH ĐOÀN CÀ MAU"
    assert unit_book.active["A2"].value == "HUYỆN ĐOÀN ĐẦM DƠI"
    received = b"".join(frames)
    assert "Lê Thị Bình".encode() in received  # the unit's own list did arrive, so the check can fail
    for value in personal_values("NAMCAN", "TINH"):
        assert value.encode() not in received, f"{value} was sent to a DAMDOI browser"
        assert value not in body
    for payload in downloads:
        text = repr([row for sheet in openpyxl.load_workbook(io.BytesIO(payload)).worksheets
                     for row in sheet.iter_rows(values_only=True)])
        for value in personal_values("DAMDOI", "NAMCAN", "TINH"):
            assert value not in text


def test_logged_out_browser_sees_only_login(browser, dashboard_server, artifacts):
    context = browser.new_context()
    page = context.new_page()
    frames = record_frames(page)
    try:
        for title, path in PAGES:
            page.goto(f"{dashboard_server.url}/{path}?unit=NAMCAN")
            page.get_by_label("Tên đăng nhập").wait_for(timeout=60_000)
            wait_idle(page)
            body = page.inner_text("body")
            assert "Đăng nhập" in body
            assert page.locator('[data-testid="stSidebarNav"]').count() == 0
            assert page.locator('[data-testid="stMetric"]').count() == 0
            assert page.locator('[data-testid="stDataFrame"]').count() == 0
            assert "Cập nhật lúc" not in body
        page.screenshot(path=artifacts / "30-chua-dang-nhap.png", full_page=True)
    finally:
        context.close()
    received = b"".join(frames)
    assert received  # the login page itself came over the socket
    for value in personal_values("DAMDOI", "NAMCAN", "TINH"):
        assert value.encode() not in received

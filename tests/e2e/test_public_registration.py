"""A young person registers on the public page in Debian's Chromium; the row lands in the unit's workbook.

The page is served by a real ``streamlit run`` on a free loopback port. Đầm Dơi keeps
its workbook as .xlsx; Năm Căn is switched to Google Sheets, served by the local
stand-in. Every staff cell is compared before and after.
"""

from __future__ import annotations

import csv
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from sheets_schema import load_schema
from tests.helpers import cell_snapshot, full_workbook, make_workbook
from tests.sheets_standin.server import StandinServer

REPO_ROOT = Path(__file__).resolve().parents[2]
SOURCE_NOTE = "Đăng ký qua trang Việc làm thanh niên Cà Mau"

STAFF_SEEKER = {"full_name": "Lê Văn Tám", "birth_year": 2000, "gender": "Nam", "phone": "0988000111",
                "commune": "Xã Tân Thuận", "education": "Chưa qua đào tạo", "need": "Tìm việc làm",
                "registered_on": "02/04/2022", "status": "Đang tìm", "explanation": "cán bộ đã kiểm tra"}

WRAPPER = """
import sys
sys.path.insert(0, {repo!r})
from tests.sheets_standin.adapter import make_gspread_client
from dashboard.public.page import main
main(google_client_factory=lambda: make_gspread_client({port}))
"""

pytestmark = pytest.mark.timeout(300)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen, deadline_seconds: float = 60) -> None:
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("streamlit did not become healthy")


@pytest.fixture
def standin_server():
    with StandinServer() as server:
        yield server


@pytest.fixture
def site(tmp_path: Path, standin_server: StandinServer):
    """Configuration (Năm Căn on Google), Đầm Dơi's workbook, the seeded spreadsheet and the running page."""
    schema = load_schema()
    sheets = full_workbook(schema, {"job_seekers": [STAFF_SEEKER]})
    sheet_id = standin_server.create_spreadsheet("Huyện đoàn Năm Căn", sheets)

    config_dir = tmp_path / "config"
    shutil.copytree(REPO_ROOT / "config", config_dir)
    units_csv = config_dir / "units.csv"
    with open(units_csv, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
        fields = list(rows[0].keys())
    for row in rows:
        if row["unit_code"] == "NAMCAN":
            row["backend"], row["location"] = "google", sheet_id
    with open(units_csv, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)

    workbook = tmp_path / "var" / "workbooks" / "DAMDOI.xlsx"
    workbook.parent.mkdir(parents=True)
    make_workbook(workbook, full_workbook(schema, {"job_seekers": [STAFF_SEEKER, {**STAFF_SEEKER,
                                                                                  "phone": "0988000222"}]}))
    wrapper = tmp_path / "public_standin_app.py"
    wrapper.write_text(WRAPPER.format(repo=str(REPO_ROOT), port=standin_server.port), encoding="utf-8")

    port = _free_port()
    env = {**os.environ, "KETNOI_CONFIG": str(config_dir), "KETNOI_DATA_DIR": str(tmp_path),
           "KETNOI_TODAY": "2022-06-01", "KETNOI_PUBLIC_MIN_FILL_SECONDS": "0",
           "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
    command = [sys.executable, "-m", "streamlit", "run", str(wrapper), "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats",
               "false", "--server.fileWatcherType", "none", "--global.developmentMode", "false"]
    log_path = tmp_path / "streamlit.log"
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process)
        yield {"url": url, "workbook": workbook, "sheet_id": sheet_id, "standin": standin_server,
               "log": log_path}
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _choose(page, placeholder: str, option: str) -> None:  # type: ignore[no-untyped-def]
    """Pick an option of a Streamlit selectbox by typing it, since long option lists are virtualised.

    The box is found by its placeholder: during a rerun the old commune box (placeholder
    «Chọn huyện, thành phố trước») can still be on the page beside the new one.
    """
    page.get_by_placeholder(placeholder, exact=True).click()
    page.keyboard.type(option)
    page.get_by_role("option", name=option, exact=True).click()


def _register(page, name: str, phone: str, district: str, commune: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("tab", name="Đăng ký tìm việc").click()
    page.get_by_label("Họ và tên").fill(name)
    page.get_by_label("Họ và tên").press("Tab")
    page.get_by_label("Năm sinh").fill("2004")
    page.get_by_label("Năm sinh").press("Tab")
    page.get_by_text("Nữ", exact=True).click()
    page.get_by_label("Số điện thoại").fill(phone)
    page.get_by_label("Số điện thoại").press("Tab")
    _choose(page, "Chọn huyện, thành phố", district)
    # The commune list is filled after the rerun that the district choice starts.
    _choose(page, "Chọn xã, phường, thị trấn", commune)
    _choose(page, "Chọn trình độ cao nhất", "Sơ cấp nghề")
    page.get_by_text("Tìm việc làm", exact=True).click()
    page.get_by_label("Ngành nghề mong muốn").fill("chế biến thủy sản")
    page.get_by_label("Ngành nghề mong muốn").press("Tab")
    page.get_by_text("Tôi đồng ý cho sử dụng thông tin").click()
    page.get_by_role("button", name="Gửi đăng ký").click()
    page.get_by_text("Đăng ký thành công").wait_for(timeout=60000)


def test_browser_registration_both_backends(site, browser):
    from openpyxl import load_workbook

    standin = site["standin"]
    xlsx_before = cell_snapshot(site["workbook"])
    google_before = standin.get_values(site["sheet_id"], "Tìm việc", value_render="FORMULA")

    # The session-wide browser from tests/e2e/conftest.py: Playwright's sync API allows
    # one running instance per thread.
    context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone screen
    try:
        page = context.new_page()
        page.goto(site["url"])
        page.get_by_text("Việc làm thanh niên Cà Mau").first.wait_for(timeout=60000)
        _register(page, "Đặng Thị Kim Ngân", "0977 111 222", "Huyện Đầm Dơi", "Xã Tân Thuận")
        _register(page, "Tăng Văn Lộc", "0977111333", "Huyện Năm Căn", "Xã Hàm Rồng")
    finally:
        context.close()

    # .xlsx: staff cells unchanged, one new row right below the staff rows.
    xlsx_after = cell_snapshot(site["workbook"])
    for key, value in xlsx_before.items():
        assert xlsx_after.get(key) == value, key
    new_cells = {k: v for k, v in xlsx_after.items() if k not in xlsx_before}
    assert {coordinate[1:] for _, coordinate in new_cells} == {"4"}
    ws = load_workbook(site["workbook"])["Tìm việc"]
    headers = [c.value for c in ws[1]]
    row = {h: ws.cell(row=4, column=i).value for i, h in enumerate(headers, start=1)}
    assert row["Họ và tên"] == "Đặng Thị Kim Ngân"
    assert row["Số điện thoại"] == "0977111222"
    assert row["Xã/Phường/Thị trấn"] == "Xã Tân Thuận"
    assert row["Tình trạng"] == "Đang tìm"
    assert row["Nguồn đăng ký"] == SOURCE_NOTE

    # Google stand-in: staff rows unchanged, one new row below them.
    google_after = standin.get_values(site["sheet_id"], "Tìm việc", value_render="FORMULA")
    assert google_after[:len(google_before)] == google_before
    assert len(google_after) == len(google_before) + 1
    added = dict(zip(google_after[0], google_after[-1]))
    assert added["Họ và tên"] == "Tăng Văn Lộc"
    assert added["Số điện thoại"] == "0977111333"
    assert added["Xã/Phường/Thị trấn"] == "Xã Hàm Rồng"
    assert added["Ngày đăng ký"] == "01/06/2022"
    assert added["Nguồn đăng ký"] == SOURCE_NOTE
    appends = [r for r in standin.request_log if ":append" in r.path]
    assert len(appends) == 1
    assert "valueInputOption=RAW" in appends[0].query

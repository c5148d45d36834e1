"""Unit digests written to the outbox: content, order, links, attachment, de-duplication and preview."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from jobs.digest import DigestItem, UnitDigest, digest_workbook
from jobs.links import CellLink, TabPosition, cell_link, google_cell_url
from jobs.mail import MailLog
from tests.test_jobs_support import (CAINUOC_MARKER, EXPLANATION, make_jobs, outbox_messages, prepare_workbooks,
                                     synced_store, two_unit_config)

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
MONDAY = dt.datetime(2022, 11, 7, 7, 30, tzinfo=HCM)
REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def units(config, schema, sample_path):
    config = two_unit_config(config)
    prepare_workbooks(config, schema, sample_path)
    store = synced_store(config, schema)
    yield config, store
    store.close()


def digest_of(messages, unit):
    found = [m for m in messages if m["X-Ketnoi-Unit"] == unit and m["X-Ketnoi-Kind"] == "digest"]
    assert len(found) == 1, f"expected one digest for {unit}, got {len(found)}"
    return found[0]


def parts(message):
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return text, html


def attachment_rows(message):
    attachments = list(message.iter_attachments())
    assert len(attachments) == 1
    workbook = load_workbook(io.BytesIO(attachments[0].get_content()))
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


def open_counts(store, unit):
    issues = store.issues(unit=unit)
    errors = sum(1 for i in issues if i["severity"] == "error")
    warnings = sum(1 for i in issues if i["severity"] == "warning" and not i["explained"])
    return errors, warnings


def test_digest_subject_counts_errors_and_unexplained_warnings(units, schema):
    config, store = units
    make_jobs(config, schema, store, MONDAY).digest(MONDAY)

    message = digest_of(outbox_messages(config.outbox_dir), "DAMDOI")
    errors, warnings = open_counts(store, "DAMDOI")

    assert (errors, warnings) == (23, 9)
    assert message["Subject"] == "[3 Kết nối] Huyện đoàn Đầm Dơi: 23 lỗi cần sửa, 9 cảnh báo"
    assert message["To"] == "damdoi@tinhdoan.example"
    assert message["Date"] == "Mon, 07 Nov 2022 07:30:00 +0700"
    assert re.fullmatch(r"<[0-9a-f]{32}@tinhdoan\.example>", message["Message-ID"])


def test_digest_lists_errors_first_with_cell_links(units, schema):
    config, store = units
    make_jobs(config, schema, store, MONDAY).digest(MONDAY)

    text, html = parts(digest_of(outbox_messages(config.outbox_dir), "DAMDOI"))
    severities = re.findall(r'class="issue issue-(\w+)"', html)

    assert severities == ["error"] * 23 + ["warning"] * 9
    assert "DAMDOI.xlsx › Học bổng › E7" in html
    assert "DAMDOI.xlsx › Học bổng › E7" in text
    assert "DAMDOI.xlsx › Tìm việc › D4" in text
    assert "Trang tính: Tìm việc; dòng: 4; cột: Số điện thoại" in text
    assert "Giá trị đã nhập: 0168 123 4567" in text
    assert "DAMDOI.xlsx › Hỗ trợ thu hoạch" in text  # a missing tab has no row


def test_digest_leaves_out_explained_warning(units, schema):
    config, store = units
    explained = [i for i in store.issues(unit="DAMDOI") if i["explained"]]
    make_jobs(config, schema, store, MONDAY).digest(MONDAY)

    text, html = parts(digest_of(outbox_messages(config.outbox_dir), "DAMDOI"))

    assert [(i["tab"], i["row"], i["code"]) for i in explained] == [("job_seekers", 7, "not_youth_age")]
    assert "năm sinh 1985" not in text
    assert "năm sinh 1985" not in html
    assert EXPLANATION not in text


def test_digest_contains_only_own_unit(units, schema):
    config, store = units
    make_jobs(config, schema, store, MONDAY).digest(MONDAY)

    messages = outbox_messages(config.outbox_dir)
    damdoi = digest_of(messages, "DAMDOI")
    cainuoc = digest_of(messages, "CAINUOC")
    damdoi_text = "\n".join(parts(damdoi)) + repr(attachment_rows(damdoi))
    cainuoc_text = "\n".join(parts(cainuoc)) + repr(attachment_rows(cainuoc))

    assert CAINUOC_MARKER not in damdoi_text
    assert "CAINUOC" not in damdoi_text
    assert CAINUOC_MARKER in cainuoc_text
    assert "DAMDOI" not in cainuoc_text
    assert "Đầm Dơi" not in cainuoc_text
    assert cainuoc["To"] == "cainuoc@tinhdoan.example"


def test_digest_truncates_body_and_attaches_full_list(units, schema):
    config, store = units
    config = dataclasses.replace(config, schedule={**config.schedule, "digest_max_rows": 5})
    make_jobs(config, schema, store, MONDAY).digest(MONDAY)

    message = digest_of(outbox_messages(config.outbox_dir), "DAMDOI")
    text, html = parts(message)
    rows = attachment_rows(message)

    assert len(re.findall(r'class="issue ', html)) == 5
    assert "Thư này liệt kê 5 trên tổng số 32 mục" in text
    assert list(message.iter_attachments())[0].get_filename() == "danh-sach-loi-DAMDOI-07-11-2022.xlsx"
    assert rows[0][:4] == ["STT", "Mức độ", "Mới", "Trang tính"]
    assert len(rows) == 1 + 32
    assert [row[1] for row in rows[1:]] == ["Lỗi"] * 23 + ["Cảnh báo"] * 9


def test_attachment_neutralises_formula_text(config):
    unit = config.unit("DAMDOI")
    values = ["=HYPERLINK(\"http://example.invalid\")", "+84 983 456 789", "-5", "@SUM(A1)", "Bình thường"]
    items = tuple(
        DigestItem(fingerprint=str(n), severity="error", is_new=False, tab="outreach", tab_title="Tuyên truyền",
                   row=n + 2, column_header="Đường dẫn", value_text=value, message=value,
                   link=CellLink(text=f"DAMDOI.xlsx › Tuyên truyền › E{n + 2}", cell=f"E{n + 2}"))
        for n, value in enumerate(values))
    digest = UnitDigest(unit=unit, items=items, created_at=MONDAY, last_sync_at=None, max_rows=50,
                        programme_short_name="3 Kết nối", file_name="DAMDOI.xlsx")

    workbook = load_workbook(io.BytesIO(digest_workbook(digest)))
    sheet = workbook.active

    for row, value in enumerate(values, start=2):
        for column in (8, 9):  # value found, what to do
            cell = sheet.cell(row=row, column=column)
            expected = value if value == "Bình thường" else "'" + value
            assert cell.value == expected
            assert cell.data_type == "s"


def test_html_part_escapes_cell_values(config, schema, sample_path):
    config = two_unit_config(config)
    prepare_workbooks(config, schema, sample_path)
    workbook = load_workbook(config.workbooks_dir / "CAINUOC.xlsx")
    workbook["Tuyên truyền"]["E2"] = "<b>tuyen-truyen</b>"
    workbook.save(config.workbooks_dir / "CAINUOC.xlsx")
    store = synced_store(config, schema)
    try:
        make_jobs(config, schema, store, MONDAY).digest(MONDAY)
    finally:
        store.close()

    text, html = parts(digest_of(outbox_messages(config.outbox_dir), "CAINUOC"))

    assert "&lt;b&gt;tuyen-truyen&lt;/b&gt;" in html
    assert "<b>tuyen-truyen</b>" not in html
    assert "<b>tuyen-truyen</b>" in text


def test_second_digest_same_day_is_not_recorded(units, schema):
    config, store = units
    jobs = make_jobs(config, schema, store, MONDAY)

    first = jobs.digest(MONDAY)
    second = jobs.digest(MONDAY.replace(hour=18))

    assert len(first.sent) == 3  # DAMDOI, CAINUOC and the province unit, whose workbook is missing
    assert second.sent == []
    assert len(list(config.outbox_dir.glob("*.eml"))) == 3
    assert [e["status"] for e in MailLog(store).entries()] == ["sent"] * 3


def test_new_marker_only_on_issues_since_previous_digest(units, schema):
    config, store = units
    now = dt.datetime.now(HCM).replace(microsecond=0)
    two_days_ago = (now - dt.timedelta(days=2)).astimezone(dt.timezone.utc).isoformat(timespec="seconds")
    with store.transaction() as conn:
        conn.execute("UPDATE issues SET first_seen_at=?", (two_days_ago,))
    make_jobs(config, schema, store, now - dt.timedelta(days=1)).digest(now - dt.timedelta(days=1))

    workbook = load_workbook(config.workbooks_dir / "DAMDOI.xlsx")
    workbook["Tuyên truyền"]["E2"] = "https://www.facebook.com/tuoitre"  # fixes the invalid_url error
    workbook["Suất ăn"]["A2"] = "T14/2022"  # a new invalid_month error
    workbook.save(config.workbooks_dir / "DAMDOI.xlsx")
    synced_store(config, schema).close()
    shutil.rmtree(config.outbox_dir)
    make_jobs(config, schema, store, now).digest(now)

    text, html = parts(digest_of(outbox_messages(config.outbox_dir), "DAMDOI"))
    new_lines = [line.split(". ", 1)[1] for line in text.splitlines() if "(mới)" in line]

    assert new_lines == ["Lỗi (mới) – DAMDOI.xlsx › Suất ăn › A2"]
    assert "Trong đó có 1 mục mới" in text
    assert html.count(">mới</strong>") == 1
    assert "www.facebook.com/tuoitre" not in text


def test_google_link_uses_gid_when_known():
    url = google_cell_url("1AbC", "Học bổng", "E7", gid=12345)

    assert url == "https://docs.google.com/spreadsheets/d/1AbC/edit#gid=12345&range=E7"


def test_google_link_falls_back_to_quoted_sheet_title():
    url = google_cell_url("1AbC", "Học bổng của 'xã'", "E7")

    assert url == ("https://docs.google.com/spreadsheets/d/1AbC/edit#range="
                   "%27H%E1%BB%8Dc%20b%E1%BB%95ng%20c%E1%BB%A7a%20%27%27x%C3%A3%27%27%27!E7")


def test_cell_link_for_google_unit_without_column_position(config, schema):
    unit = dataclasses.replace(config.unit("DAMDOI"), backend="google", location="1AbC")

    with_gid = cell_link(unit, "", schema, "scholarships", 7, "national_id",
                         {"scholarships": TabPosition("Học bổng", {"national_id": "E"})}, {"scholarships": 99})
    row_only = cell_link(unit, "", schema, "scholarships", 7, "national_id", {})

    assert with_gid.url == "https://docs.google.com/spreadsheets/d/1AbC/edit#gid=99&range=E7"
    assert with_gid.text == "Học bổng › E7"
    assert row_only.url == "https://docs.google.com/spreadsheets/d/1AbC/edit#range=%27H%E1%BB%8Dc%20b%E1%BB%95ng%27!7:7"
    assert row_only.text == "Học bổng › dòng 7"


def test_preview_writes_html_and_prints_path(tmp_path, sample_path):
    workbooks = tmp_path / "var" / "workbooks"
    workbooks.mkdir(parents=True)
    shutil.copy(sample_path, workbooks / "DAMDOI.xlsx")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KETNOI_")}
    env.update(KETNOI_DATA_DIR=str(tmp_path), PYTHONPATH=str(REPO_ROOT))
    run = [sys.executable, "-m", "jobs"]
    subprocess.run(run + ["run-once", "sync"], cwd=REPO_ROOT, env=env, check=True, capture_output=True)

    preview = subprocess.run(run + ["preview", "digest", "--unit", "DAMDOI"], cwd=REPO_ROOT, env=env,
                             capture_output=True, text=True)

    path = Path(preview.stdout.strip())
    assert preview.returncode == 0, preview.stderr
    assert path == tmp_path / "var" / "outbox" / "preview" / "digest-DAMDOI.html"
    html = path.read_text(encoding="utf-8")
    assert "Kính gửi: <strong>Huyện đoàn Đầm Dơi</strong>" in html
    assert "DAMDOI.xlsx › Học bổng › E7" in html
    assert list((tmp_path / "var" / "outbox").glob("*.eml")) == []


def test_run_once_with_outbox_says_written_not_sent(tmp_path, sample_path):
    workbooks = tmp_path / "var" / "workbooks"
    workbooks.mkdir(parents=True)
    shutil.copy(sample_path, workbooks / "DAMDOI.xlsx")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KETNOI_")}
    env.update(KETNOI_DATA_DIR=str(tmp_path), PYTHONPATH=str(REPO_ROOT))
    run = [sys.executable, "-m", "jobs", "--now", "2022-11-07T07:30", "run-once"]
    subprocess.run(run + ["sync"], cwd=tmp_path, env=env, check=True, capture_output=True)

    digest = subprocess.run(run + ["digest"], cwd=tmp_path, env=env, capture_output=True, text=True)

    written = len(list((tmp_path / "var" / "outbox").glob("*.eml")))
    assert digest.returncode == 0, digest.stderr
    assert written > 0
    assert digest.stdout.strip() == (f"Đã ghi {written} thư vào thư mục thư đi var/outbox (chưa gửi qua máy chủ thư); "
                                     "0 thư sẽ ghi lại sau; 0 thư không ghi được.")

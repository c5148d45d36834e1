"""The weekly province summary and the deadline reminders."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from jobs.mail import MailLog
from jobs.render import format_duration, format_number, format_percent
from jobs.summary import Progress, fixed_since, median_time_to_fix, open_counts, target_progress
from sync.model import RowRecord
from tests.test_jobs_support import make_jobs, outbox_messages, prepare_workbooks, synced_store, two_unit_config

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def issue(severity="error", explained=0, first_seen=None, resolved=None):
    return {"unit": "DAMDOI", "severity": severity, "explained": explained, "first_seen_at": first_seen,
            "resolved_at": resolved, "resolved_run": 2 if resolved else None}


def test_open_counts_skip_explained_and_resolved_issues():
    issues = [issue(), issue(), issue("warning"), issue("warning", explained=1),
              issue(resolved="2022-11-06T01:00:00+00:00")]

    assert open_counts(issues) == (2, 1)


def test_fixed_since_and_median_time_to_fix():
    issues = [
        issue(first_seen="2022-11-01T00:00:00+00:00", resolved="2022-11-01T02:00:00+00:00"),
        issue(first_seen="2022-11-01T00:00:00+00:00", resolved="2022-11-02T00:00:00+00:00"),
        issue(first_seen="2022-10-01T00:00:00+00:00", resolved="2022-10-11T00:00:00+00:00"),
        issue(first_seen="2022-11-05T00:00:00+00:00"),
    ]
    since = dt.datetime(2022, 10, 31, 8, 0, tzinfo=HCM)

    assert fixed_since(issues, since) == 2
    assert median_time_to_fix(issues) == dt.timedelta(hours=24)
    assert median_time_to_fix([issue()]) is None


def test_target_progress_counts_valid_rows_only():
    rows = [
        RowRecord("DAMDOI", "scholarships", 2, {}),
        RowRecord("DAMDOI", "scholarships", 3, {}, has_error=True),
        RowRecord("DAMDOI", "houses", 2, {"status": "Đã bàn giao"}),
        RowRecord("DAMDOI", "houses", 3, {"status": "Đang xây dựng"}),
        RowRecord("DAMDOI", "resources", 2, {"cash_vnd": 1_500_000, "in_kind_vnd": 500_000}),
    ]

    progress = target_progress({"scholarships": 4, "houses": 2, "funds_vnd": 4_000_000}, rows)

    assert progress == {"scholarships": Progress(1, 4), "houses": Progress(1, 2),
                        "funds_vnd": Progress(2_000_000, 4_000_000)}
    assert progress["houses"].rate == 50.0


@pytest.mark.parametrize("value, expected", [
    (format_number(1_500_000), "1.500.000"),
    (format_percent(85.5), "85,5 %"),
    (format_duration(dt.timedelta(minutes=20)), "dưới 1 giờ"),
    (format_duration(dt.timedelta(hours=5)), "5 giờ"),
    (format_duration(dt.timedelta(days=3, hours=12)), "3,5 ngày"),
])
def test_vietnamese_formats(value, expected):
    assert value == expected


@pytest.fixture
def units(config, schema, sample_path):
    config = two_unit_config(config)
    prepare_workbooks(config, schema, sample_path)
    synced_store(config, schema).close()
    return config


def test_weekly_summary_reports_fixes_stale_units_and_targets(units, schema):
    config = units
    workbook = load_workbook(config.workbooks_dir / "DAMDOI.xlsx")
    workbook["Tuyên truyền"]["E2"] = "https://www.facebook.com/tuoitre"  # fixes one error
    workbook.save(config.workbooks_dir / "DAMDOI.xlsx")
    store = synced_store(config, schema)
    now = dt.datetime.now(HCM)
    try:
        jobs = make_jobs(config, schema, store, now)
        jobs.weekly(now)
        jobs.weekly(now)
    finally:
        store.close()

    messages = outbox_messages(config.outbox_dir)
    assert len(messages) == 1
    message = messages[0]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()

    assert message["To"] == "vanphong@tinhdoan.example"
    assert message["X-Ketnoi-Kind"] == "weekly"
    assert message["Subject"].startswith("[3 Kết nối] Tổng hợp tuần ")
    assert message["Subject"].endswith(": 24 lỗi đang mở, 1 mục đã sửa")
    assert ("- Huyện đoàn Đầm Dơi: 22 lỗi đang mở, 9 cảnh báo chưa giải trình; đã sửa 1 mục trong 7 ngày qua; "
            "thời gian sửa (trung vị): dưới 1 giờ;") in text
    assert "- Huyện đoàn Cái Nước: 1 lỗi đang mở, 0 cảnh báo chưa giải trình; đã sửa 0 mục" in text
    stale = text.split("2. Đơn vị chưa có số liệu mới")[1].split("3. Tiến độ")[0]
    assert "Tỉnh đoàn Cà Mau" in stale
    assert "Đầm Dơi" not in stale
    assert "Cái Nước" not in stale
    assert "Học bổng: 10/60 suất (16,7 %)" in text
    assert 'data-unit="DAMDOI"' in html
    assert "<th" in html
    assert "Tiến độ so với chỉ tiêu" in html


def test_reminders_go_to_units_on_reminder_days_only(units, schema):
    config = units
    store = synced_store(config, schema)
    try:
        jobs = make_jobs(config, schema, store, dt.datetime(2022, 11, 6, 7, 30, tzinfo=HCM))
        quiet_day = jobs.reminders(dt.datetime(2022, 11, 6, 7, 30, tzinfo=HCM))
        report_day = jobs.reminders(dt.datetime(2022, 11, 7, 7, 30, tzinfo=HCM))
        repeated = jobs.reminders(dt.datetime(2022, 11, 7, 9, 0, tzinfo=HCM))
        awards_day = jobs.reminders(dt.datetime(2022, 11, 8, 7, 30, tzinfo=HCM))
        kinds = {e["kind"] for e in MailLog(store).entries()}
    finally:
        store.close()

    assert quiet_day.sent == []
    assert len(report_day.sent) == 2  # DAMDOI and CAINUOC; the province office gets no reminder
    assert repeated.sent == []
    assert len(awards_day.sent) == 2
    assert kinds == {"reminder"}
    subjects = sorted(m["Subject"] for m in outbox_messages(config.outbox_dir) if m["X-Ketnoi-Unit"] == "DAMDOI")
    assert subjects == [
        "[3 Kết nối] Huyện đoàn Đầm Dơi: còn 3 ngày đến hạn gửi báo cáo tổng kết về Ban Thanh Thiếu nhi "
        "Trường học Tỉnh đoàn (10/11/2022)",
        "[3 Kết nối] Huyện đoàn Đầm Dơi: còn 7 ngày đến hạn gửi đề xuất thi đua, khen thưởng (15/11/2022)",
    ]
    damdoi = [m for m in outbox_messages(config.outbox_dir) if m["X-Ketnoi-Unit"] == "DAMDOI"][0]
    text = damdoi.get_body(("plain",)).get_content()
    assert "bảng tính của đơn vị còn 23 lỗi cần sửa và 9 cảnh báo chưa giải trình" in text

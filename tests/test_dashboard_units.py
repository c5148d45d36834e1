"""Vietnamese formats, ID masking, password hashing, accounts and the .xlsx report."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from dashboard import auth
from dashboard.data import load_snapshot
from dashboard.formatting import (format_date, format_datetime, format_money, format_month, format_number,
                                  format_percent, mask_id, mask_id_numbers_in_text)
from dashboard.report import build_report
from sheets_schema import load_config
from tests.e2e.dataset import PERSONAL, build_store


@pytest.mark.parametrize(("value", "expected"), [
    (1_500_000, "1.500.000"), (0, "0"), (999, "999"), (1234.6, "1.235"), (None, "–"), (float("nan"), "–")])
def test_format_number(value, expected):
    assert format_number(value) == expected


def test_format_money_date_month_percent():
    assert format_money(1_500_000) == "1.500.000 đ"
    assert format_date("2022-03-15") == "15/03/2022"
    assert format_date(dt.date(2022, 3, 5)) == "05/03/2022"
    assert format_month("2022-03") == "tháng 3/2022"
    assert format_month("2022-11-01") == "tháng 11/2022"
    assert format_percent(85.5) == "85,5 %"
    assert format_percent(100) == "100,0 %"
    assert format_number(1234.5, 1) == "1.234,5"


def test_format_datetime_in_local_time():
    assert format_datetime("2022-09-09T01:00:00+00:00") == "08:00 ngày 09/09/2022"
    assert format_datetime("2022-09-09T23:30:00+00:00") == "06:30 ngày 10/09/2022"
    assert format_datetime(None) == "–"


def test_mask_id_keeps_four_and_two_digits():
    assert mask_id("096212345645") == "0962******45"
    assert mask_id("381234567") == "3812***67"
    assert mask_id("") == ""
    assert mask_id_numbers_in_text("Số CCCD 096212345645 trùng") == "Số CCCD 0962******45 trùng"


def test_password_hash_round_trip():
    stored = auth.hash_password("mật khẩu")
    assert stored.startswith("scrypt$")
    assert auth.verify_password("mật khẩu", stored)
    assert not auth.verify_password("mat khau", stored)
    assert auth.hash_password("x") != auth.hash_password("x")  # a new salt each time
    assert not auth.verify_password("x", "md5$abc")
    assert not auth.verify_password("x", None)


def test_demo_accounts_load_with_roles():
    config = load_config()
    accounts = auth.load_accounts(auth.auth_settings(config).accounts_file, config)
    assert accounts["tinhdoan"].role == "province"
    assert accounts["damdoi"].role == "unit"
    assert accounts["damdoi"].unit == "DAMDOI"
    assert auth.authenticate(accounts, "DamDoi", "demo-damdoi").username == "damdoi"
    assert auth.authenticate(accounts, "damdoi", "demo-tinhdoan") is None
    assert auth.authenticate(accounts, "khong-co", "demo-damdoi") is None
    assert auth.account_for_email(accounts, "VanPhong@tinhdoan.example").username == "tinhdoan"
    assert auth.account_for_email(accounts, "la@example.com") is None


def test_account_personal_data_rights():
    config = load_config()
    accounts = auth.load_accounts(auth.auth_settings(config).accounts_file, config)
    assert accounts["tinhdoan"].can_see_personal("NAMCAN")
    assert accounts["damdoi"].can_see_personal("DAMDOI")
    assert not accounts["damdoi"].can_see_personal("NAMCAN")
    assert accounts["damdoi"].personal_units == ("DAMDOI",)


def test_accounts_file_rejects_unknown_unit(tmp_path):
    config = load_config()
    path = tmp_path / "accounts.yaml"
    path.write_text("accounts:\n  - {username: x, role: unit, unit: KHONGCO, password_hash: 'scrypt$1$1$1$a$b'}\n",
                    encoding="utf-8")
    with pytest.raises(auth.AuthConfigError, match="KHONGCO"):
        auth.load_accounts(path, config)


def _sheet_rows(payload: bytes) -> list[tuple]:
    book = openpyxl.load_workbook(io.BytesIO(payload))
    return [row for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)]


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    return load_snapshot(build_store(tmp_path_factory.mktemp("report") / "ketnoi.sqlite3"))


def test_province_report_layout(snapshot):
    payload = build_report(snapshot, load_config(), None, today=dt.date(2022, 11, 10))
    book = openpyxl.load_workbook(io.BytesIO(payload))
    sheet = book["Báo cáo tổng kết"]
    assert sheet["A4"].value == "BÁO CÁO TỔNG KẾT"
    assert sheet["D2"].value == "Cà Mau, ngày 10 tháng 11 năm 2022"
    assert [c.value for c in sheet[9]] == ["STT", "Nội dung, chỉ tiêu", "Đơn vị tính", "Chỉ tiêu", "Kết quả",
                                           "Tỷ lệ (%)", "Ghi chú"]
    lines = {row[1]: row for row in sheet.iter_rows(min_row=10, values_only=True) if row[1]}
    fair = lines["Ngày hội việc làm cấp tỉnh"]
    assert fair[3:6] == (1, 1, 1)
    houses = lines['Nhà "Kết nối an cư" do cấp tỉnh xây dựng, sửa chữa (đã bàn giao)']
    assert houses[3:6] == (2, 2, 1)
    scholarships = lines["Học bổng trao tặng"]
    assert scholarships[4] == 7
    assert scholarships[6] == "Chưa tính 1 dòng có lỗi"
    assert "Theo đơn vị" in book.sheetnames


def test_unit_report_has_unit_targets(snapshot):
    payload = build_report(snapshot, load_config(), "DAMDOI", today=dt.date(2022, 11, 10))
    sheet = openpyxl.load_workbook(io.BytesIO(payload)).active
    assert sheet["A2"].value == "HUYỆN ĐOÀN ĐẦM DƠI"
    lines = {row[1]: row for row in sheet.iter_rows(min_row=10, values_only=True) if row[1]}
    assert lines["Thanh niên có việc làm"][3:6] == (40, 2, 0.05)
    assert lines["Tổng nguồn lực vận động"][4] == 60_000_000


@pytest.mark.parametrize("unit", [None, "DAMDOI", "NAMCAN", "TINH"])
def test_report_holds_no_personal_data(snapshot, unit):
    text = repr(_sheet_rows(build_report(snapshot, load_config(), unit)))
    for person in PERSONAL.values():
        for value in person["names"] + person["phones"] + person["ids"]:
            assert value not in text

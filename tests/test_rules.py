"""Every row, unit and province rule, and every tab-level problem, on real .xlsx files."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest

from sync.api import validate_files
from tests.conftest import REPO_ROOT
from tests.helpers import full_workbook, make_workbook

D = dt.datetime

SCHOLAR = {"full_name": "Nguyễn Thị Lan", "birth_date": D(2010, 5, 12), "gender": "Nữ", "national_id": "096310012345",
           "school": "Trường THCS Tân Thuận", "school_level": "THCS", "commune": "Tân Thuận", "circumstance": "Mồ côi",
           "amount_vnd": 2000000, "award_form": "Tiền mặt", "awarded_on": D(2022, 3, 15)}
SEEKER = {"full_name": "Lý Văn Tài", "birth_year": 2000, "gender": "Nam", "phone": "0912345678", "commune": "Tân Đức",
          "education": "Trung cấp", "need": "Tìm việc làm", "registered_on": D(2022, 4, 2), "status": "Đang tìm"}
HOUSE = {"beneficiary": "Trần Văn Tư", "commune": "Tân Tiến", "kind": "Xây mới", "value_vnd": 60000000,
         "started_on": D(2022, 5, 1), "status": "Đang xây dựng"}


def _validate(tmp_path, rows_by_tab, unit="DAMDOI", config=None):
    path = make_workbook(tmp_path / f"{unit}.xlsx", full_workbook_for(rows_by_tab))
    return validate_files([path], _schema(), config or _config())


def full_workbook_for(rows_by_tab):
    return full_workbook(_schema(), rows_by_tab)


def _schema():
    from sheets_schema import load_schema
    return load_schema()


def _config():
    from sheets_schema import load_config
    return load_config()


def _codes(output, tab=None, row=None, column=None):
    return {i.code for i in output.issues if (tab is None or i.tab == tab) and (row is None or i.row == row)
            and (column is None or i.column == column)}


def test_valid_rows_have_no_issue(tmp_path):
    out = _validate(tmp_path, {"scholarships": [SCHOLAR], "job_seekers": [SEEKER], "houses": [HOUSE]})
    assert not [i for i in out.issues if i.row is not None]
    row = next(r for r in out.rows if r.tab == "scholarships")
    assert row.values["commune"] == "Xã Tân Thuận"
    assert row.values["amount_vnd"] == 2000000


def test_missing_tabs_are_errors(tmp_path):
    path = make_workbook(tmp_path / "DAMDOI.xlsx", {"Học bổng": [["Họ và tên học sinh"]]})
    out = validate_files([path], _schema(), _config())
    missing = {i.tab for i in out.issues if i.code == "missing_tab"}
    assert len(missing) == 11
    assert all(i.severity == "error" and i.row is None for i in out.issues if i.code == "missing_tab")


def test_required_cell_missing(tmp_path):
    out = _validate(tmp_path, {"scholarships": [{**SCHOLAR, "school": None}]})
    assert "required_missing" in _codes(out, "scholarships", 2, "school")


def test_unique_team_per_commune(tmp_path):
    team = {"commune": "Quách Phẩm", "leader_name": "Võ Thanh Tâm", "members": 8, "founded_on": D(2022, 3, 10)}
    out = _validate(tmp_path, {"teams": [team, {**team, "commune": "xã quách phẩm"}]})
    assert "duplicate_team" in _codes(out, "teams", 2)
    assert "duplicate_team" in _codes(out, "teams", 3)


def test_tutor_total_over_ten(tmp_path):
    tutor = {"commune": "Tân Thuận", "tutor_name": "Trần Văn Bình", "tutor_role": "Sinh viên",
             "semester": "HK2 2021-2022", "mode": "Kèm tại nhà", "students": 6, "phone": "0912000111"}
    other_semester = {**tutor, "semester": "HK1 2022-2023"}
    out = _validate(tmp_path, {"tutoring": [tutor, {**tutor, "students": 5}, other_semester]})
    over = [i for i in out.issues if i.code == "tutor_over_limit"]
    assert {i.row for i in over} == {2, 3}
    assert "2 và 3" in over[0].message
    assert "11 em" in over[0].message


def test_scholarship_rules(tmp_path):
    rows = [
        {**SCHOLAR, "birth_date": D(1980, 1, 1), "national_id": None},  # age 42: warning
        {**SCHOLAR, "national_id": "096010012345"},  # male, 1910: mismatch
        {**SCHOLAR, "amount_vnd": 500, "national_id": None},
        {**SCHOLAR, "amount_vnd": 60000000, "national_id": None, "full_name": "Lê Văn Cả"},
        {**SCHOLAR, "amount_vnd": 0, "national_id": None, "full_name": "Mai Văn Sang"},
        {**SCHOLAR, "awarded_on": "20/12/2022", "national_id": None, "full_name": "Lâm Văn Út"},
    ]
    out = _validate(tmp_path, {"scholarships": rows})
    assert "scholarship_age" in _codes(out, "scholarships", 2, "birth_date")
    assert "national_id_mismatch" in _codes(out, "scholarships", 3, "national_id")
    assert "amount_low" in _codes(out, "scholarships", 4, "amount_vnd")
    assert "amount_high" in _codes(out, "scholarships", 5, "amount_vnd")
    assert "not_positive" in _codes(out, "scholarships", 6, "amount_vnd")
    assert "out_of_period" in _codes(out, "scholarships", 7, "awarded_on")


def test_duplicate_national_id_across_units(tmp_path):
    config = _config()
    a = make_workbook(tmp_path / "DAMDOI.xlsx", full_workbook_for({"scholarships": [SCHOLAR]}))
    b = make_workbook(tmp_path / "CAINUOC.xlsx", full_workbook_for(
        {"scholarships": [{**SCHOLAR, "commune": "Hưng Mỹ", "full_name": "Nguyễn Thị Lan Anh"}]}))
    out = validate_files([a, b], _schema(), config)
    dup = [i for i in out.issues if i.code == "duplicate_national_id"]
    assert {i.unit for i in dup} == {"DAMDOI", "CAINUOC"}
    damdoi = next(i for i in dup if i.unit == "DAMDOI")
    assert "Huyện đoàn Cái Nước" in damdoi.message
    assert "dòng 2" in damdoi.message
    assert "096310012345" not in damdoi.message


def test_duplicate_name_birth_without_id(tmp_path):
    row = {**SCHOLAR, "national_id": None}
    out = _validate(tmp_path, {"scholarships": [row, {**row, "commune": "Tân Đức"}, {**row, "birth_date": D(2011, 1, 1)}]})
    assert {i.row for i in out.issues if i.code == "duplicate_student"} == {2, 3}


def test_job_seeker_rules(tmp_path):
    rows = [
        {**SEEKER, "birth_year": 1985, "phone": "0913000001"},
        {**SEEKER, "status": "Đã có việc làm", "phone": "0913000002"},
        {**SEEKER, "status": "Đã có việc làm", "placed_on": D(2022, 3, 20), "phone": "0913000003"},
        {**SEEKER, "phone": "0911222333"},
        {**SEEKER, "phone": "0911 222 333", "full_name": "Hà Văn Lộc"},
        {**SEEKER, "birth_year": 1940, "phone": "0913000004"},
    ]
    out = _validate(tmp_path, {"job_seekers": rows})
    assert "not_youth_age" in _codes(out, "job_seekers", 2, "birth_year")
    assert "placed_on_missing" in _codes(out, "job_seekers", 3, "placed_on")
    assert "placed_before_registered" in _codes(out, "job_seekers", 4, "placed_on")
    assert "duplicate_phone" in _codes(out, "job_seekers", 5, "phone")
    assert "duplicate_phone" in _codes(out, "job_seekers", 6, "phone")
    assert "below_min" in _codes(out, "job_seekers", 7, "birth_year")


def test_opening_session_house_resource_rules(tmp_path):
    opening = {"employer": "Công ty A", "trade": "May mặc", "position": "Công nhân", "openings": 10,
               "job_kind": "Dài hạn", "posted_on": D(2022, 5, 1), "closes_on": D(2022, 4, 1),
               "contact_phone": "0290 3831 234"}
    session = {"held_on": D(2022, 6, 15), "kind": "Phiên định kỳ", "venue": "Nhà văn hóa", "employers": 5,
               "participants": 40, "contracts": 50}
    houses = [{**HOUSE, "status": "Đã bàn giao"},
              {**HOUSE, "beneficiary": "Nguyễn Văn Năm", "handed_over_on": D(2022, 4, 1), "status": "Đã bàn giao"},
              {**HOUSE, "beneficiary": "Trần  văn tư"}]
    resource = {"received_on": D(2022, 4, 1), "sponsor": "Hội doanh nhân trẻ", "strand": "Chung",
                "cash_vnd": None, "in_kind_vnd": 0}
    out = _validate(tmp_path, {"job_openings": [opening, {**opening, "openings": 0, "closes_on": None}],
                               "job_sessions": [session], "houses": houses, "resources": [resource]})
    assert "closes_before_posted" in _codes(out, "job_openings", 2, "closes_on")
    assert "below_min" in _codes(out, "job_openings", 3, "openings")
    assert "contracts_above_participants" in _codes(out, "job_sessions", 2, "contracts")
    assert "handover_date_missing" in _codes(out, "houses", 2, "handed_over_on")
    assert "handover_before_start" in _codes(out, "houses", 3, "handed_over_on")
    assert "duplicate_house" in _codes(out, "houses", 2, "beneficiary")
    assert "duplicate_house" in _codes(out, "houses", 4, "beneficiary")
    assert "no_resource_value" in _codes(out, "resources", 2)


def test_month_and_outreach_rules(tmp_path):
    meals = [{"month": "Tháng 5/2022", "kitchen": "Bếp ăn 0 đồng", "meals": 300},
             {"month": "T13/2022", "kitchen": "Bếp ăn 0 đồng", "meals": 300},
             {"month": "12/2022", "kitchen": "Bếp ăn 0 đồng", "meals": 300}]
    post = {"posted_on": D(2022, 4, 1), "channel": "zalo", "format": "bai viet", "title": "Ra quân",
            "url": "www.facebook.com/tuoitre", "reach": -1}
    out = _validate(tmp_path, {"meals": meals, "outreach": [post]})
    assert "invalid_month" in _codes(out, "meals", 3, "month")
    assert "out_of_period" in _codes(out, "meals", 4, "month")
    assert "invalid_url" in _codes(out, "outreach", 2, "url")
    assert "below_min" in _codes(out, "outreach", 2, "reach")
    row = next(r for r in out.rows if r.tab == "outreach")
    assert row.values["channel"] == "Zalo"
    assert row.values["format"] == "Bài viết"


def test_header_problems(tmp_path):
    schema = _schema()
    sheets = full_workbook(schema, {})
    tab = schema.tab("job_openings")
    headers = [c.header for c in tab.columns]
    headers[1] = "Doanh nghiệp"  # duplicate, and the required "Ngành nghề" is missing
    sheets[tab.title] = [headers]
    events = schema.tab("school_events")
    sheets[events.title] = [["DANH SÁCH CHƯƠNG TRÌNH"], [], [c.header + " *" if c.required else c.header
                                                                 for c in events.columns],
                            ["Trường TH Tân Duyệt", "Tiểu học", D(2022, 9, 5), "Sân chơi", 120]]
    meals = schema.tab("meals")
    sheets[meals.title] = [[], [], [], [], [], [], [c.header for c in meals.columns]]
    path = make_workbook(tmp_path / "DAMDOI.xlsx", sheets)
    out = validate_files([path], schema, _config())
    assert "duplicate_header" in _codes(out, "job_openings")
    assert "missing_column" in _codes(out, "job_openings")
    assert "header_not_first_row" in _codes(out, "school_events")
    assert "header_too_low" in _codes(out, "meals")
    event = next(r for r in out.rows if r.tab == "school_events")
    assert event.row == 4
    assert event.values["pupils"] == 120


def test_blank_and_running_number_rows_skipped(tmp_path):
    schema = _schema()
    sheets = full_workbook(schema, {})
    tab = schema.tab("teams")
    sheets[tab.title] = [["STT"] + [c.header for c in tab.columns],
                         [1, "Tân Thuận", "Võ Thanh Tâm", 8, D(2022, 3, 10)], [2], [None, None], [],
                         [5, "Tân Đức", "Lê Minh Trí", 6, D(2022, 3, 12)]]
    out = validate_files([make_workbook(tmp_path / "DAMDOI.xlsx", sheets)], schema, _config())
    assert [r.row for r in out.rows if r.tab == "teams"] == [2, 6]
    assert not [i for i in out.issues if i.tab == "teams"]


def test_explained_warning_is_marked(tmp_path):
    out = _validate(tmp_path, {"scholarships": [{**SCHOLAR, "amount_vnd": 500, "explanation": "Quà tặng nhỏ"}]})
    issue = next(i for i in out.issues if i.code == "amount_low")
    assert issue.explained


def test_validate_cli_exit_codes(tmp_path):
    good = make_workbook(tmp_path / "DAMDOI.xlsx", full_workbook_for({"scholarships": [SCHOLAR]}))
    run = subprocess.run([sys.executable, "-m", "sync", "validate", str(good), "--json"], cwd=REPO_ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0
    payload = json.loads(run.stdout)
    assert set(payload) == {"issues", "rows"}
    assert set(payload["rows"][0]) == {"unit", "tab", "row", "values"}
    missing = subprocess.run([sys.executable, "-m", "sync", "validate", str(tmp_path / "KHONGCO.xlsx")],
                             cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert missing.returncode != 0
    assert "Không đọc được tệp" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_validate_cli_text_summary_is_vietnamese(tmp_path):
    path = make_workbook(tmp_path / "DAMDOI.xlsx", full_workbook_for({"scholarships": [{**SCHOLAR, "gender": "?"}]}))
    run = subprocess.run([sys.executable, "-m", "sync", "validate", str(path)], cwd=REPO_ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0
    assert "Đơn vị DAMDOI" in run.stdout
    assert "Trang «Học bổng», dòng 2, cột «Giới tính»" in run.stdout


@pytest.mark.parametrize("value, code", [("#N/A", "formula_error"), ("9.61E+11", "scientific_notation")])
def test_special_values_in_any_column(tmp_path, value, code):
    out = _validate(tmp_path, {"job_seekers": [{**SEEKER, "phone": value}]})
    assert code in _codes(out, "job_seekers", 2, "phone")

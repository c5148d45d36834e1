"""A small fixed dataset written into a real Store, with values simple enough to compute by hand.

Used by the dashboard's metric, AppTest and browser tests. Rows and issues go through
``Store.record_run`` like a real sync; afterwards the run, issue and workbook
timestamps are set to fixed dates with plain SQL, because the store stamps them with
the wall clock and the tests need known times for the weekly trend and time to fix.
"""

from __future__ import annotations

from pathlib import Path

from sync.model import Issue, RowRecord
from sync.store import Store, UnitSnapshot

RUN1_AT = "2022-09-05T01:00:00+00:00"  # a Monday, 08:00 in Cà Mau
RUN2_AT = "2022-09-09T01:00:00+00:00"  # Friday of the same week, 08:00 in Cà Mau

DAMDOI_COMMUNES = [
    "Thị trấn Đầm Dơi", "Xã Tạ An Khương", "Xã Tạ An Khương Đông", "Xã Trần Phán", "Xã Tân Trung",
    "Xã Tân Đức", "Xã Tân Thuận", "Xã Tạ An Khương Nam", "Xã Tân Duyệt", "Xã Tân Dân", "Xã Tân Tiến",
    "Xã Quách Phẩm Bắc", "Xã Quách Phẩm", "Xã Thanh Tùng", "Xã Ngọc Chánh", "Xã Nguyễn Huân",
]
NAMCAN_COMMUNES = [
    "Thị trấn Năm Căn", "Xã Hàm Rồng", "Xã Hiệp Tùng", "Xã Đất Mới", "Xã Lâm Hải", "Xã Hàng Vịnh",
    "Xã Tam Giang", "Xã Tam Giang Đông",
]

# Personal data of each unit, invented, for the tests that prove a unit account never
# receives another unit's names, phones or ID numbers.
PERSONAL = {
    "DAMDOI": {"names": ["Lê Thị Bình", "Trần Văn Cường", "Phạm Thị Dung", "Võ Văn Em", "Đỗ Thị Giang",
                         "Châu Văn Khải", "Mai Thị Hồng", "Tạ Văn Phước", "Lâm Thị Yến", "Tô Văn Sang",
                         "Kiều Văn Nhân", "Quan Thị Mỹ"],
               "phones": ["0911222333", "0911222444", "0911222555", "0911222666", "0911222777"],
               "ids": ["096212345645", "096309876512"]},
    "NAMCAN": {"names": ["Huỳnh Văn Hải", "Ngô Thị Lan", "Dương Văn Lực", "Bạch Thị Ngân", "Khúc Văn Tài"],
               "phones": ["0988777111", "0988777222"],
               "ids": ["096187654321"]},
    "TINH": {"names": ["Lý Văn Minh", "Hứa Thị Oanh", "Giang Văn Quý"],
             "phones": [], "ids": ["096001112233"]},
}


def _rows(unit: str, tab: str, records: list[dict], errors: tuple[int, ...] = (),
          warnings: tuple[int, ...] = ()) -> list[RowRecord]:
    """Number records from sheet row 2; ``errors``/``warnings`` are sheet rows flagged so."""
    return [RowRecord(unit=unit, tab=tab, row=index + 2, values=values, has_error=index + 2 in errors,
                      has_warning=index + 2 in warnings)
            for index, values in enumerate(records)]


def damdoi_rows() -> list[RowRecord]:
    names, phones, ids = PERSONAL["DAMDOI"]["names"], PERSONAL["DAMDOI"]["phones"], PERSONAL["DAMDOI"]["ids"]
    teams = [{"commune": c, "leader_name": f"Đội Trưởng {i}", "members": 5, "founded_on": "2022-03-15"}
             for i, c in enumerate(DAMDOI_COMMUNES[:10] + DAMDOI_COMMUNES[11:13], start=1)]
    teams.append({"commune": "Xã Tân Tiến", "leader_name": "Đội Trưởng Lỗi", "members": 5, "founded_on": None})
    teams.append({"commune": "Xã Tân Thuận", "leader_name": "Đội Trưởng Trùng", "members": 3,
                  "founded_on": "2022-04-01"})
    tutoring = [
        {"commune": "Xã Tân Trung", "tutor_name": names[5], "tutor_role": "Sinh viên", "semester": "HK2 2021-2022",
         "mode": "Trực tuyến", "students": 4, "phone": phones[3]},
        {"commune": "Xã Tân Trung", "tutor_name": names[5], "tutor_role": "Sinh viên", "semester": "HK2 2021-2022",
         "mode": "Kèm tại nhà", "students": 3, "phone": phones[3]},
        {"commune": "Xã Tân Đức", "tutor_name": names[6], "tutor_role": "Giáo viên chủ nhiệm",
         "semester": "HK2 2021-2022", "mode": "Kết hợp", "students": 8, "phone": None},
        {"commune": "Xã Tân Đức", "tutor_name": names[7], "tutor_role": "Khác", "semester": "HK2 2021-2022",
         "mode": "Kết hợp", "students": 9, "phone": None},
        {"commune": "Xã Tân Trung", "tutor_name": names[5], "tutor_role": "Sinh viên", "semester": "HK1 2022-2023",
         "mode": "Trực tuyến", "students": 10, "phone": phones[3]},
    ]
    scholarship = {"gender": "Nữ", "school": "Trường THCS Đầm Dơi", "commune": "Xã Tân Trung",
                   "award_form": "Tiền mặt", "sponsor": None, "note": None, "birth_date": "2010-01-01",
                   "national_id": None}
    scholarships = [
        {**scholarship, "full_name": names[0], "national_id": ids[0], "school_level": "THCS",
         "circumstance": "Mồ côi", "amount_vnd": 2_000_000, "awarded_on": "2022-05-10"},
        {**scholarship, "full_name": names[1], "school_level": "Tiểu học",
         "circumstance": "Hộ nghèo, cận nghèo", "amount_vnd": 1_500_000, "awarded_on": "2022-05-10"},
        {**scholarship, "full_name": names[2], "national_id": ids[1], "school_level": "THPT",
         "circumstance": "Mồ côi", "amount_vnd": 3_000_000, "awarded_on": "2022-09-05"},
        {**scholarship, "full_name": names[3], "school_level": "THCS", "circumstance": "Bệnh hiểm nghèo",
         "amount_vnd": 1_000_000, "awarded_on": "2022-09-05"},
        {**scholarship, "full_name": names[4], "school_level": "THCS", "circumstance": "Mồ côi",
         "amount_vnd": None, "awarded_on": "2022-09-05"},
    ]
    seeker = {"birth_year": 2000, "gender": "Nam", "commune": "Xã Tân Đức", "education": "Trung cấp",
              "need": "Tìm việc làm", "desired_trade": None, "returned_migrant": False, "placed_on": None}
    job_seekers = [
        {**seeker, "full_name": names[8], "phone": phones[0], "registered_on": "2022-03-10",
         "status": "Đã có việc làm", "placed_on": "2022-04-01"},
        {**seeker, "full_name": names[9], "phone": phones[1], "registered_on": "2022-03-20",
         "status": "Đã có việc làm", "placed_on": "2022-05-01"},
        {**seeker, "full_name": names[10], "phone": phones[2], "registered_on": "2022-04-02", "status": "Đang tìm"},
        {**seeker, "full_name": names[11], "phone": phones[4], "registered_on": "2022-04-15",
         "status": "Đã giới thiệu"},
        {**seeker, "full_name": "Người Lỗi Số", "phone": None, "registered_on": "2022-04-20", "status": "Đang tìm"},
    ]
    session = {"kind": "Phiên định kỳ", "venue": "Nhà văn hóa huyện", "employers": 5, "participants": 50,
               "contracts": 10}
    job_sessions = [{**session, "held_on": day} for day in
                    ("2022-03-15", "2022-04-15", "2022-05-10", "2022-05-25", "2022-06-15", "2022-07-15")]
    houses = [
        {"beneficiary": names[0], "commune": "Xã Tân Trung", "kind": "Xây mới", "value_vnd": 50_000_000,
         "funded_by": None, "started_on": "2022-05-01", "handed_over_on": "2022-07-01", "status": "Đã bàn giao"},
        {"beneficiary": names[1], "commune": "Xã Tân Đức", "kind": "Sửa chữa", "value_vnd": 45_000_000,
         "funded_by": None, "started_on": None, "handed_over_on": None, "status": "Đang vận động"},
        {"beneficiary": names[2], "commune": "Xã Tân Đức", "kind": "Xây mới", "value_vnd": None,
         "funded_by": None, "started_on": None, "handed_over_on": None, "status": "Đang xây dựng"},
    ]
    meals = [{"month": "2022-04-01", "kitchen": "Bếp Tân Trung", "meals": 300, "beneficiaries": 100,
              "value_vnd": 6_000_000},
             {"month": "2022-05-01", "kitchen": "Bếp Tân Trung", "meals": 500, "beneficiaries": 150,
              "value_vnd": 10_000_000}]
    outreach = [{"posted_on": "2022-03-05", "channel": "Fanpage/Facebook", "format": "Video clip",
                 "title": "Ra quân", "url": None, "reach": 1000},
                {"posted_on": "2022-04-05", "channel": "Zalo", "format": "Hình ảnh", "title": "Trao học bổng",
                 "url": None, "reach": 500}]
    resources = [
        {"received_on": "2022-05-01", "sponsor": "Công ty A", "strand": "Kết nối đến trường",
         "cash_vnd": 10_000_000, "in_kind_vnd": None},
        {"received_on": "2022-06-01", "sponsor": "Công ty B", "strand": "Kết nối an cư",
         "cash_vnd": 30_000_000, "in_kind_vnd": 20_000_000},
        {"received_on": "2022-06-02", "sponsor": "Công ty C", "strand": "Chung", "cash_vnd": None,
         "in_kind_vnd": None},
    ]
    unit = "DAMDOI"
    return [*_rows(unit, "teams", teams, errors=(14,), warnings=(15,)),
            *_rows(unit, "tutoring", tutoring, errors=(5,)),
            *_rows(unit, "scholarships", scholarships, errors=(6,)),
            *_rows(unit, "school_events", [{"school": "Trường THCS Tân Trung", "school_level": "THCS",
                                            "held_on": "2022-05-20", "activities": "Giao lưu", "pupils": 120,
                                            "student_volunteers": 10, "cost_vnd": 5_000_000}]),
            *_rows(unit, "job_seekers", job_seekers, errors=(6,)),
            *_rows(unit, "job_sessions", job_sessions, errors=(7,)),
            *_rows(unit, "houses", houses, errors=(4,)),
            *_rows(unit, "meals", meals),
            *_rows(unit, "outreach", outreach),
            *_rows(unit, "resources", resources, errors=(4,))]


def namcan_rows() -> list[RowRecord]:
    names, phones, ids = PERSONAL["NAMCAN"]["names"], PERSONAL["NAMCAN"]["phones"], PERSONAL["NAMCAN"]["ids"]
    unit = "NAMCAN"
    teams = [{"commune": c, "leader_name": "Đội Trưởng Năm Căn", "members": 4, "founded_on": "2022-03-20"}
             for c in NAMCAN_COMMUNES]
    scholarship = {"gender": "Nam", "school": "Trường Tiểu học Năm Căn", "commune": "Xã Hàm Rồng",
                   "award_form": "Tiền mặt", "sponsor": None, "note": None, "birth_date": "2012-02-02",
                   "awarded_on": "2022-06-01"}
    scholarships = [
        {**scholarship, "full_name": names[0], "national_id": ids[0], "school_level": "THCS",
         "circumstance": "Mồ côi", "amount_vnd": 2_000_000},
        {**scholarship, "full_name": names[1], "national_id": None, "school_level": "Tiểu học",
         "circumstance": "Gia đình ảnh hưởng Covid-19", "amount_vnd": 1_000_000},
    ]
    seeker = {"birth_year": 1999, "gender": "Nữ", "commune": "Xã Hàm Rồng", "education": "Đại học trở lên",
              "need": "Tìm việc làm", "desired_trade": None, "returned_migrant": True, "registered_on": "2022-05-05"}
    job_seekers = [{**seeker, "full_name": names[2], "phone": phones[0], "status": "Đã có việc làm",
                    "placed_on": "2022-06-01"},
                   {**seeker, "full_name": names[3], "phone": phones[1], "status": "Đã học nghề", "placed_on": None}]
    session = {"kind": "Phiên định kỳ", "venue": "Chợ Năm Căn", "employers": 3, "participants": 30, "contracts": 5}
    houses = [{"beneficiary": names[4], "commune": "Xã Hàm Rồng", "kind": "Sửa chữa", "value_vnd": 30_000_000,
               "funded_by": None, "started_on": "2022-06-01", "handed_over_on": "2022-07-15",
               "status": "Đã bàn giao"}]
    return [*_rows(unit, "teams", teams),
            *_rows(unit, "scholarships", scholarships),
            *_rows(unit, "job_seekers", job_seekers),
            *_rows(unit, "job_sessions", [{**session, "held_on": "2022-03-12"}, {**session, "held_on": "2022-11-12"}]),
            *_rows(unit, "houses", houses),
            *_rows(unit, "meals", [{"month": "2022-04-01", "kitchen": "Bếp Năm Căn", "meals": 200,
                                    "beneficiaries": 80, "value_vnd": 4_000_000}], warnings=(2,))]


def tinh_rows() -> list[RowRecord]:
    names, ids = PERSONAL["TINH"]["names"], PERSONAL["TINH"]["ids"]
    unit = "TINH"
    event = {"activities": "Ngày hội đến trường", "student_volunteers": 20, "cost_vnd": 20_000_000}
    events = [{**event, "school": "Trường Tiểu học Lý Văn Lâm", "school_level": "Tiểu học",
               "held_on": "2022-09-05", "pupils": 200},
              {**event, "school": "Trường THCS Nguyễn Du", "school_level": "THCS", "held_on": "2022-09-12",
               "pupils": 300},
              {**event, "school": "Trường THCS Phan Ngọc Hiển", "school_level": "THCS", "held_on": "2022-10-03",
               "pupils": 150},
              {**event, "school": "Trường THPT Cà Mau", "school_level": "THPT", "held_on": None, "pupils": 400}]
    house = {"commune": "Xã Tân Trung", "kind": "Xây mới", "funded_by": "Tỉnh đoàn", "started_on": "2022-06-01"}
    houses = [{**house, "beneficiary": names[1], "value_vnd": 60_000_000, "handed_over_on": "2022-08-01",
               "status": "Đã bàn giao"},
              {**house, "beneficiary": names[2], "value_vnd": 50_000_000, "handed_over_on": "2022-08-15",
               "status": "Đã bàn giao"},
              {**house, "beneficiary": "Phan Văn Tư", "value_vnd": 40_000_000, "handed_over_on": None,
               "status": "Đang xây dựng"}]
    return [*_rows(unit, "school_events", events, errors=(5,)),
            *_rows(unit, "scholarships", [{"full_name": names[0], "birth_date": "2003-03-03", "gender": "Nam",
                                           "national_id": ids[0], "school": "Trường Đại học Cần Thơ",
                                           "school_level": "Đại học", "commune": "Xã Tân Trung",
                                           "circumstance": "Mồ côi", "amount_vnd": 5_000_000,
                                           "award_form": "Tiền mặt", "sponsor": None, "awarded_on": "2022-08-15",
                                           "note": None}]),
            *_rows(unit, "job_sessions", [{"held_on": "2022-08-20", "kind": "Ngày hội việc làm cấp tỉnh",
                                           "venue": "Quảng trường", "employers": 40, "participants": 1000,
                                           "contracts": 200}]),
            *_rows(unit, "houses", houses),
            *_rows(unit, "outreach", [{"posted_on": "2022-08-20", "channel": "Website", "format": "Bài viết",
                                       "title": "Ngày hội việc làm", "url": None, "reach": 5000}]),
            *_rows(unit, "resources", [{"received_on": "2022-04-01", "sponsor": "Ngân hàng D", "strand": "Chung",
                                        "cash_vnd": 100_000_000, "in_kind_vnd": None}])]


def phutan_rows() -> list[RowRecord]:
    return _rows("PHUTAN", "outreach", [{"posted_on": "2022-06-10", "channel": "TikTok", "format": "Video clip",
                                         "title": "Tuyên truyền", "url": None, "reach": 300}])


def _issue(unit: str, tab: str, row: int | None, column: str | None, severity: str, code: str,
           message: str) -> Issue:
    return Issue(unit=unit, tab=tab, row=row, column=column, severity=severity, code=code, value=None,
                 message=message)


OPEN_ISSUES = [
    _issue("DAMDOI", "teams", 14, "founded_on", "error", "required_missing",
           "Trang «Đội hình», dòng 14, cột «Ngày thành lập»: chưa nhập ngày thành lập."),
    _issue("DAMDOI", "teams", 15, "commune", "warning", "duplicate_team",
           "Trang «Đội hình», dòng 15, cột «Xã/Phường/Thị trấn»: Xã Tân Thuận đã có đội hình ở dòng 8."),
    _issue("DAMDOI", "tutoring", 5, "students", "error", "group_sum_max",
           "Trang «Kèm học», dòng 5: người kèm nhận quá 10 em."),
    _issue("DAMDOI", "scholarships", 6, "amount_vnd", "error", "required_missing",
           "Trang «Học bổng», dòng 6, cột «Giá trị (VNĐ)»: chưa nhập giá trị. Số CCCD 096212345645 cần kiểm tra."),
    _issue("DAMDOI", "job_seekers", 6, "phone", "error", "required_missing",
           "Trang «Tìm việc», dòng 6, cột «Số điện thoại»: chưa nhập số điện thoại."),
    _issue("DAMDOI", "job_sessions", 7, "participants", "error", "below_min",
           "Trang «Phiên giao dịch việc làm», dòng 7: số thanh niên tham gia phải từ 1 trở lên."),
    _issue("DAMDOI", "houses", 4, "value_vnd", "error", "required_missing",
           "Trang «Nhà an cư», dòng 4, cột «Giá trị (VNĐ)»: chưa nhập giá trị."),
    _issue("DAMDOI", "resources", 4, "cash_vnd", "error", "not_both_empty",
           "Trang «Nguồn lực», dòng 4: tiền mặt và hiện vật không được cùng để trống."),
    _issue("NAMCAN", "meals", 2, "meals", "warning", "warn_above",
           f"Trang «Suất ăn», dòng 2: số suất ăn cao bất thường; người liên hệ {PERSONAL['NAMCAN']['names'][0]}."),
    _issue("TINH", "school_events", 5, "held_on", "error", "required_missing",
           "Trang «Chương trình tại trường», dòng 5, cột «Ngày tổ chức»: chưa nhập ngày tổ chức."),
]
RESOLVED_ISSUES = [
    _issue("DAMDOI", "outreach", 3, "url", "error", "invalid_url",
           "Trang «Tuyên truyền», dòng 3, cột «Đường dẫn»: đường dẫn không hợp lệ."),
    _issue("DAMDOI", "meals", 3, "month", "warning", "out_of_period",
           "Trang «Suất ăn», dòng 3, cột «Tháng»: tháng nằm ngoài thời gian chương trình."),
]
PHUTAN_FAILURE = _issue("PHUTAN", None, None, None, "error", "workbook_unreadable",
                        "Không đọc được tệp Excel của đơn vị. Đề nghị kiểm tra lại tệp.")


def build_store(path: Path) -> Path:
    """Write the fixed dataset as two sync runs into a new store at ``path``.

    Run 1 reads DAMDOI, NAMCAN, TINH and PHUTAN. Run 2 reads them again except PHUTAN,
    whose workbook then fails, and two DAMDOI issues are resolved in it.
    """
    by_unit = {"DAMDOI": damdoi_rows(), "NAMCAN": namcan_rows(), "TINH": tinh_rows(), "PHUTAN": phutan_rows()}

    def snapshot(unit: str, issues: list[Issue]) -> UnitSnapshot:
        return UnitSnapshot(unit=unit, backend="xlsx", location=f"{unit}.xlsx", status="read",
                            rows=by_unit[unit], issues=[i for i in issues if i.unit == unit])

    with Store(path) as store:
        first = OPEN_ISSUES + RESOLVED_ISSUES
        run1 = store.record_run(RUN1_AT, [snapshot(unit, first) for unit in by_unit])
        failed = UnitSnapshot(unit="PHUTAN", backend="xlsx", location="PHUTAN.xlsx", status="failed",
                              error="Không đọc được tệp", failure_issue=PHUTAN_FAILURE)
        run2 = store.record_run(RUN2_AT, [snapshot(unit, OPEN_ISSUES) for unit in ("DAMDOI", "NAMCAN", "TINH")]
                                + [failed])
        conn = store.connection
        conn.execute("UPDATE runs SET started_at=?, finished_at=? WHERE id=?", (RUN1_AT, RUN1_AT, run1))
        conn.execute("UPDATE runs SET started_at=?, finished_at=? WHERE id=?", (RUN2_AT, RUN2_AT, run2))
        conn.execute("UPDATE issues SET first_seen_at=? WHERE first_seen_run=?", (RUN1_AT, run1))
        conn.execute("UPDATE issues SET first_seen_at=? WHERE first_seen_run=?", (RUN2_AT, run2))
        conn.execute("UPDATE issues SET resolved_at='2022-09-07T01:00:00+00:00' WHERE code='invalid_url'")
        conn.execute("UPDATE issues SET resolved_at='2022-09-09T01:00:00+00:00' WHERE code='out_of_period'")
        conn.execute("UPDATE workbooks SET last_good_read_at=?, last_data_change_at=? WHERE unit<>'PHUTAN'",
                     (RUN2_AT, RUN1_AT))
        conn.execute("UPDATE workbooks SET last_good_read_at=?, last_data_change_at=?, last_error_at=? "
                     "WHERE unit='PHUTAN'", (RUN1_AT, RUN1_AT, RUN2_AT))
    return path


if __name__ == "__main__":
    import sys

    print(build_store(Path(sys.argv[1])))

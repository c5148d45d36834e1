"""Fill provisioned workbooks with invented but realistic records for a demo.

Every person, phone number, ID number, company and amount is generated from the seed;
nothing comes from real people. About ``error_rate`` of the rows then get one of the
mistakes that district staff typically make: dates typed as text, money with "triệu",
phones that lost their leading zero, IDs in scientific notation, communes of another
unit, dates outside the programme period, missing required cells and more. Most of
them normalise cleanly and some are errors or warnings, so the dashboard and the flags
have something real to show.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from openpyxl import load_workbook
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.worksheet import Worksheet

from sheets_schema.config import Commune, Config, Unit
from sheets_schema.provision import (NUMBER_FORMATS, check_not_locked, find_sheet, last_used_row,
                                     locate_columns, open_workbook, append_staff_header,
                                     save_atomically, unit_communes, file_stamp)
from sheets_schema.schema import Schema, Tab
from sync.text import loose_key, strip_diacritics

log = logging.getLogger(__name__)

# ---------------------------------------------------------------- invented names and places

FAMILY_NAMES = ("Nguyễn", "Nguyễn", "Nguyễn", "Trần", "Trần", "Lê", "Lê", "Phạm", "Huỳnh", "Võ", "Phan",
                "Trương", "Bùi", "Đặng", "Đỗ", "Ngô", "Hồ", "Dương", "Lý", "Lâm", "Tô", "Quách", "Danh",
                "Thạch", "Châu", "Mai", "Cao", "Tạ", "Diệp", "Huỳnh")
MIDDLE_NAMES = {
    "Nam": ("Văn", "Văn", "Văn", "Minh", "Hoàng", "Quốc", "Thanh", "Hữu", "Đức", "Công", "Tấn", "Chí", "Trọng"),
    "Nữ": ("Thị", "Thị", "Thị", "Ngọc", "Thu", "Kim", "Mỹ", "Thanh", "Hồng", "Bích", "Thúy", "Diễm", "Yến"),
}
GIVEN_NAMES = {
    "Nam": ("An", "Bình", "Cường", "Dũng", "Duy", "Đạt", "Hải", "Hậu", "Hiếu", "Hòa", "Huy", "Khang", "Khoa",
            "Kiệt", "Lộc", "Long", "Luân", "Minh", "Nam", "Nghĩa", "Nhân", "Phát", "Phong", "Phúc", "Quân",
            "Sang", "Tài", "Tâm", "Thắng", "Thiện", "Thịnh", "Toàn", "Trí", "Trung", "Tuấn", "Vinh", "Vũ", "Khải"),
    "Nữ": ("Anh", "Bích", "Châu", "Diễm", "Dung", "Duyên", "Giang", "Hà", "Hân", "Hằng", "Hạnh", "Hoa",
           "Hương", "Huyền", "Lan", "Linh", "Loan", "Mai", "My", "Ngân", "Ngọc", "Nhi", "Nhung", "Oanh",
           "Phương", "Quyên", "Thảo", "Thư", "Thủy", "Trang", "Trâm", "Tuyết", "Uyên", "Vy", "Xuân", "Yến"),
}
MOBILE_PREFIXES = ("090", "091", "093", "094", "096", "097", "098", "032", "033", "034", "035", "036",
                   "037", "038", "039", "081", "082", "083", "084", "085", "086", "088", "089")
# New three-digit prefix -> old four-digit prefix, for the "old 11-digit number" mistake.
OLD_PREFIX_OF = {"032": "0162", "033": "0163", "034": "0164", "035": "0165", "036": "0166", "037": "0167",
                 "038": "0168", "039": "0169", "083": "0123", "084": "0124", "085": "0125", "081": "0127",
                 "082": "0129"}
PROVINCE_ID_PREFIX = "096"  # Cà Mau's code in the 12-digit citizen ID

COMPANY_WORDS = ("Minh Phát", "Phú Hưng", "Tân Phát", "Hồng Phúc", "Thành Công", "Phương Nam", "Kim Ngân",
                 "Sông Đốc", "Đất Mũi", "An Khang", "Trường Thịnh", "Hưng Thịnh", "Bảo Châu", "Nam Việt")
COMPANY_KINDS = ("Công ty TNHH", "Công ty TNHH", "Công ty Cổ phần", "Doanh nghiệp tư nhân", "Hợp tác xã")
JOBS = (("May mặc", "Công nhân may", "Công ty TNHH May mặc"),
        ("Chế biến thủy sản", "Công nhân chế biến", "Công ty Cổ phần Thủy sản"),
        ("Bán hàng", "Nhân viên bán hàng", "Công ty TNHH Thương mại"),
        ("Xây dựng", "Thợ hồ", "Công ty TNHH Xây dựng"),
        ("Cơ khí", "Thợ hàn", "Công ty TNHH Cơ khí"),
        ("Vận tải", "Tài xế", "Công ty TNHH Vận tải"),
        ("Điện dân dụng", "Kỹ thuật viên điện", "Công ty TNHH Điện"),
        ("Điện tử", "Công nhân lắp ráp linh kiện", "Công ty TNHH Điện tử"),
        ("Nuôi trồng thủy sản", "Kỹ thuật viên nuôi tôm", "Hợp tác xã Thủy sản"),
        ("Nhà hàng, khách sạn", "Nhân viên phục vụ", "Công ty TNHH Du lịch"))
TRADES_WANTED = ("May mặc", "Điện dân dụng", "Cơ khí", "Lái xe", "Bán hàng", "Chế biến thủy sản", "Tin học văn phòng",
                 "Sửa chữa xe máy", "Nấu ăn", "Làm tóc", "")
HARVEST_ACTIVITIES = ("Thu hoạch lúa", "Thu hoạch tôm, cua", "Hỗ trợ tiêu thụ dưa hấu", "Thu hoạch khóm",
                      "Hỗ trợ tiêu thụ chuối", "Thu hoạch mía", "Hỗ trợ tiêu thụ khoai lang")
SCHOOL_ACTIVITIES = ("Sân chơi học tập, trao tặng sách vở", "Triệu ly sữa, khám sức khỏe", "Trao học bổng, tặng xe đạp",
                     "Sân chơi khoa học, trò chơi dân gian", "Tư vấn hướng nghiệp, trao học bổng")
UNIVERSITIES = ("Trường Đại học Bạc Liêu", "Trường Đại học Cần Thơ", "Trường Cao đẳng Cộng đồng Cà Mau",
                "Trường Cao đẳng Y tế Cà Mau", "Trường Cao đẳng Kinh tế - Kỹ thuật Cà Mau")
OUTREACH_TITLES = ("Ra quân Chương trình \"3 Kết nối\" tại {commune}",
                   "Trao học bổng \"Kết nối đến trường\" cho học sinh {commune}",
                   "Phiên giao dịch việc làm tháng {month}/2022",
                   "Áo xanh giúp dân thu hoạch lúa tại {commune}",
                   "Bàn giao nhà \"Kết nối an cư\" tại {commune}",
                   "Bếp ăn 0 đồng hỗ trợ người lao động khó khăn",
                   "Những tấm gương kèm học tận tình ở {commune}",
                   "Hướng nghiệp cho thanh niên về quê sau dịch")
CIRCUMSTANCE_WEIGHTS = {"Mồ côi": 2, "Bệnh hiểm nghèo": 1, "Gia đình ảnh hưởng Covid-19": 3,
                        "Cha/mẹ là y bác sĩ, tình nguyện viên tuyến đầu": 1, "Hộ nghèo, cận nghèo": 6, "Khác": 1}
# Plausible wrong choices staff type, by column key.
INVALID_CHOICES = {"need": ("Đi làm", "Tìm việc"), "status": ("Đã đi làm", "Chờ việc"),
                   "channel": ("Instagram", "Loa phát thanh"), "tutor_role": ("Đoàn viên", "Phụ huynh"),
                   "kind": ("Nâng cấp", "Phiên đột xuất"), "job_kind": ("Bán thời gian",),
                   "circumstance": ("Khó khăn",), "award_form": ("Chuyển khoản",)}

SEMESTER_SPRING = "HK2 2021-2022"
SEMESTER_AUTUMN = "HK1 2022-2023"


@dataclass
class DemoReport:
    unit: str
    path: Path
    rows: int = 0
    mistakes: Counter[str] = field(default_factory=Counter)


class _Scientific(float):
    """A long number stored as a float shown in scientific notation (digits lost)."""


class _Blank:
    """A row left blank between records."""


BLANK_ROW = _Blank()
STT_ONLY = "__stt_only__"  # a row holding only the running number


# ---------------------------------------------------------------- record generator

def bare_commune_name(name: str) -> str:
    for prefix in ("Thị trấn ", "Phường ", "Xã "):
        if name.startswith(prefix) and not name[len(prefix):].isdigit():
            return name[len(prefix):]
    return name


class _Faker:
    """Invent records for one unit; every choice comes from ``rng``."""

    def __init__(self, rng: random.Random, config: Config, unit: Unit) -> None:
        self.rng = rng
        self.config = config
        self.unit = unit
        self.communes = unit_communes(config, unit)
        self.start = config.period_start
        self.end = config.period_end
        self.year = config.reference_year
        self.phones: set[str] = set()
        self.slug = f"doanthanhnien.{unit.code.lower()}"
        area = unit.area_name.split(" ", 1)[-1] if unit.area_name else config.province_name
        self.area = area

    # -- basic values

    def gender(self) -> str:
        return self.rng.choice(("Nam", "Nữ"))

    def name(self, gender: str) -> str:
        return " ".join((self.rng.choice(FAMILY_NAMES), self.rng.choice(MIDDLE_NAMES[gender]),
                         self.rng.choice(GIVEN_NAMES[gender])))

    def phone(self) -> str:
        while True:
            number = self.rng.choice(MOBILE_PREFIXES) + "".join(self.rng.choice("0123456789") for _ in range(7))
            if number not in self.phones:
                self.phones.add(number)
                return number

    def national_id(self, gender: str, birth_year: int) -> str:
        century_digit = {(1900, "Nam"): "0", (1900, "Nữ"): "1", (2000, "Nam"): "2", (2000, "Nữ"): "3"}
        digit = century_digit[(birth_year // 100 * 100, gender)]
        return PROVINCE_ID_PREFIX + digit + f"{birth_year % 100:02d}" + f"{self.rng.randrange(10**6):06d}"

    def day(self, start: dt.date | None = None, end: dt.date | None = None) -> dt.date:
        start, end = start or self.start, end or self.end
        return start + dt.timedelta(days=self.rng.randrange((end - start).days + 1))

    def commune(self) -> Commune:
        return self.rng.choice(self.communes)

    def company(self) -> str:
        return f"{self.rng.choice(COMPANY_KINDS)} {self.rng.choice(COMPANY_WORDS)}"

    def weighted(self, weights: dict[str, float]) -> str:
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def amount(self, low: int, high: int, step: int) -> int:
        return self.rng.randrange(low // step, high // step + 1) * step

    # -- tabs

    def teams(self) -> list[dict[str, Any]]:
        if self.unit.communes:
            communes = list(self.unit.communes)
        elif self.unit.kind == "province":
            return []
        else:
            communes = self.rng.sample(list(self.communes), 3)
        rows = []
        for commune in communes:
            rows.append({"commune": commune.name, "leader_name": self.name(self.gender()),
                         "members": self.rng.randint(5, 25),
                         "founded_on": self.day(self.start, self.start + dt.timedelta(days=45))})
        return rows

    def tutoring(self) -> list[dict[str, Any]]:
        rows = []
        roles = {"Cán bộ chuyên trách cấp xã": 3, "Giáo viên Tổng phụ trách": 3, "Giáo viên chủ nhiệm": 2,
                 "Sinh viên": 4, "Khác": 1}
        for _ in range(self.rng.randint(30, 70)):
            gender = self.gender()
            tutor = {"commune": self.commune().name, "tutor_name": self.name(gender),
                     "tutor_role": self.weighted(roles),
                     "mode": self.weighted({"Trực tuyến": 2, "Kèm tại nhà": 5, "Kết hợp": 3}),
                     "phone": self.phone() if self.rng.random() < 0.85 else None}
            semesters = [SEMESTER_SPRING] if self.rng.random() < 0.55 else [SEMESTER_AUTUMN]
            if self.rng.random() < 0.2:
                semesters = [SEMESTER_SPRING, SEMESTER_AUTUMN]
            for semester in semesters:
                rows.append({**tutor, "semester": semester, "students": self.rng.randint(1, 8)})
        return rows

    def _student(self) -> dict[str, Any]:
        level = self.weighted({"Tiểu học": 4, "THCS": 4, "THPT": 3, "Cao đẳng": 1, "Đại học": 1})
        ages = {"Tiểu học": (6, 10), "THCS": (11, 14), "THPT": (15, 17), "Cao đẳng": (18, 21), "Đại học": (18, 22)}
        low, high = ages[level]
        birth_year = self.year - self.rng.randint(low, high)
        birth = self.day(dt.date(birth_year, 1, 1), dt.date(birth_year, 12, 31))
        commune = self.commune()
        if level in ("Cao đẳng", "Đại học"):
            school = self.rng.choice(UNIVERSITIES)
        else:
            place = bare_commune_name(commune.name) if level != "THPT" else self.rng.choice(
                (self.area, bare_commune_name(commune.name)))
            school = f"Trường {level} {place}"
        return {"birth_date": birth, "school": school, "school_level": level, "commune": commune.name}

    def scholarships(self) -> list[dict[str, Any]]:
        events = [(self.day(), self.rng.choice((self.company(), self.company(), "Hội Doanh nhân trẻ", "")))
                  for _ in range(self.rng.randint(3, 6))]
        rows = []
        for _ in range(self.rng.randint(40, 110)):
            gender = self.gender()
            student = self._student()
            awarded_on, sponsor = self.rng.choice(events)
            form = self.weighted({"Tiền mặt": 6, "Hiện vật": 1.5, "Tiền mặt và hiện vật": 2.5})
            birth: dt.date = student["birth_date"]
            rows.append({
                "full_name": self.name(gender), "gender": gender, **student,
                "national_id": self.national_id(gender, birth.year) if self.rng.random() < 0.7 else None,
                "circumstance": self.weighted(CIRCUMSTANCE_WEIGHTS),
                "amount_vnd": self.rng.choice((500_000, 1_000_000, 1_000_000, 1_500_000, 2_000_000, 2_000_000,
                                               3_000_000, 5_000_000)),
                "award_form": form, "sponsor": sponsor or None, "awarded_on": awarded_on,
                "note": "Kèm 1 bộ sách giáo khoa" if form != "Tiền mặt" and self.rng.random() < 0.3 else None,
            })
        return rows

    def school_events(self) -> list[dict[str, Any]]:
        if self.unit.kind == "province":
            levels = ["Tiểu học", "THCS", "THPT"]
        else:
            levels = [self.rng.choice(("Tiểu học", "THCS", "THPT")) for _ in range(self.rng.randint(3, 10))]
        rows = []
        for level in levels:
            commune = self.commune()
            rows.append({"school": f"Trường {level} {bare_commune_name(commune.name)}", "school_level": level,
                         "held_on": self.day(), "activities": self.rng.choice(SCHOOL_ACTIVITIES),
                         "pupils": self.rng.randint(80, 600),
                         "student_volunteers": self.rng.choice((None, self.rng.randint(5, 40))),
                         "cost_vnd": self.rng.choice((None, self.amount(5_000_000, 60_000_000, 500_000)))})
        return rows

    def job_seekers(self) -> list[dict[str, Any]]:
        rows = []
        statuses = {"Đang tìm": 40, "Đã giới thiệu": 25, "Đã có việc làm": 25, "Đã học nghề": 10}
        education = {"Chưa qua đào tạo": 40, "Sơ cấp nghề": 15, "Trung cấp": 20, "Cao đẳng": 12,
                     "Đại học trở lên": 13}
        for _ in range(self.rng.randint(70, 140)):
            gender = self.gender()
            birth_year = self.year - self.rng.randint(17, 30) if self.rng.random() < 0.95 else \
                self.rng.choice((self.year - self.rng.randint(31, 38), self.year - 15))
            status = self.weighted(statuses)
            need = "Học nghề" if status == "Đã học nghề" else self.weighted(
                {"Tìm việc làm": 75, "Học nghề": 12, "Xuất khẩu lao động": 13})
            registered = self.day(self.start, self.end - dt.timedelta(days=10))
            placed = None
            if status == "Đã có việc làm":
                placed = min(registered + dt.timedelta(days=self.rng.randint(5, 60)), self.end)
            row = {"full_name": self.name(gender), "birth_year": birth_year, "gender": gender,
                   "phone": self.phone(), "commune": self.commune().name, "education": self.weighted(education),
                   "need": need, "desired_trade": self.rng.choice(TRADES_WANTED) or None,
                   "returned_migrant": self.weighted({"Có": 3, "Không": 4, "x": 1, "": 3}) or None,
                   "registered_on": registered, "status": status, "placed_on": placed}
            age = self.year - birth_year
            if not 16 <= age <= 30 and self.rng.random() < 0.5:
                row["explanation"] = f"Thanh niên {age} tuổi, có nhu cầu thật, đã xác minh với xã."
            rows.append(row)
        return rows

    def job_openings(self) -> list[dict[str, Any]]:
        rows = []
        for _ in range(self.rng.randint(15, 40)):
            trade, position, employer_kind = self.rng.choice(JOBS)
            posted = self.day(self.start, self.end - dt.timedelta(days=5))
            rows.append({"employer": f"{employer_kind} {self.rng.choice(COMPANY_WORDS)}", "trade": trade,
                         "position": position, "openings": self.rng.choice((1, 2, 3, 5, 10, 20, 30, 50)),
                         "job_kind": self.weighted({"Dài hạn": 6, "Ngắn hạn": 2, "Thời vụ": 2, "Xuất khẩu lao động": 1}),
                         "min_education": self.rng.choice((None, "Chưa qua đào tạo", "Trung cấp", "Cao đẳng")),
                         "salary_vnd": self.rng.choice((None, self.amount(5_000_000, 12_000_000, 500_000))),
                         "posted_on": posted,
                         "closes_on": posted + dt.timedelta(days=self.rng.randint(14, 60)) if self.rng.random() < 0.8 else None,
                         "contact_phone": self.phone()})
        return rows

    def job_sessions(self, missing_months: set[int]) -> list[dict[str, Any]]:
        rows = []
        venues = (f"Nhà văn hóa {self.area}", f"Hội trường Ủy ban nhân dân {self.commune().name}",
                  f"Trung tâm Văn hóa - Thể thao {self.area}")
        month = self.start.replace(day=1)
        while month <= self.end:
            if month.month not in missing_months:
                participants = self.rng.randint(30, 200)
                rows.append({"held_on": month.replace(day=self.rng.randint(8, 25)), "kind": "Phiên định kỳ",
                             "venue": self.rng.choice(venues), "employers": self.rng.randint(3, 15),
                             "participants": participants,
                             "contracts": self.rng.randint(0, participants // 4)})
            month = (month + dt.timedelta(days=32)).replace(day=1)
        if self.unit.kind == "province":
            rows.append({"held_on": dt.date(self.year, 7, 23), "kind": "Ngày hội việc làm cấp tỉnh",
                         "venue": "Quảng trường Thành phố Cà Mau", "employers": 42, "participants": 1350,
                         "contracts": 215})
        return rows

    def harvest_help(self) -> list[dict[str, Any]]:
        rows = []
        for _ in range(self.rng.randint(10, 30)):
            rows.append({"held_on": self.day(), "commune": self.commune().name,
                         "activity": self.rng.choice(HARVEST_ACTIVITIES), "volunteers": self.rng.randint(5, 40),
                         "households": self.rng.randint(1, 20),
                         "value_vnd": self.rng.choice((None, self.amount(2_000_000, 50_000_000, 500_000)))})
        return rows

    def houses(self) -> list[dict[str, Any]]:
        count = self.rng.randint(3, 4) if self.unit.kind == "province" else self.rng.randint(2, 8)
        rows = []
        for number in range(count):
            status = "Đã bàn giao" if (self.unit.kind == "province" and number < 2) else self.weighted(
                {"Đang vận động": 1, "Đang xây dựng": 2, "Đã bàn giao": 4})
            started = self.day(self.start, dt.date(self.year, 9, 15)) if status != "Đang vận động" else None
            handed = None
            if status == "Đã bàn giao" and started is not None:
                handed = min(started + dt.timedelta(days=self.rng.randint(30, 75)), self.end)
            kind = self.weighted({"Xây mới": 7, "Sửa chữa": 3})
            value = self.amount(60_000_000, 120_000_000, 5_000_000) if kind == "Xây mới" else \
                self.amount(40_000_000, 60_000_000, 5_000_000)
            rows.append({"beneficiary": self.name(self.gender()), "commune": self.commune().name, "kind": kind,
                         "value_vnd": value,
                         "funded_by": self.rng.choice(("Ngân hàng Chính sách xã hội", self.company(), "Tỉnh đoàn Cà Mau")),
                         "started_on": started, "handed_over_on": handed, "status": status})
        return rows

    def meals(self) -> list[dict[str, Any]]:
        if self.unit.kind == "province":
            return []
        kitchens = [f"Bếp ăn 0 đồng {c.name}" for c in self.rng.sample(list(self.communes), 2)]
        rows = []
        month = self.start.replace(day=1)
        while month <= self.end:
            for kitchen in kitchens[: self.rng.randint(1, 2)]:
                meals = self.rng.randint(150, 1200)
                rows.append({"month": month, "kitchen": kitchen, "meals": meals,
                             "beneficiaries": self.rng.choice((None, meals // self.rng.randint(8, 20))),
                             "value_vnd": meals * self.rng.choice((20_000, 25_000, 30_000))})
            month = (month + dt.timedelta(days=32)).replace(day=1)
        return rows

    def outreach(self) -> list[dict[str, Any]]:
        rows = []
        for _ in range(self.rng.randint(20, 60)):
            posted = self.day()
            channel = self.weighted({"Fanpage/Facebook": 8, "Zalo": 3, "Website": 2, "Báo, đài": 1, "TikTok": 2})
            post_id = "".join(self.rng.choice("0123456789") for _ in range(15))
            urls = {"Fanpage/Facebook": f"https://www.facebook.com/{self.slug}/posts/{post_id}",
                    "Website": f"https://tinhdoan.example/tin-tuc/{post_id[:6]}",
                    "TikTok": f"https://www.tiktok.com/@{self.slug.replace('.', '')}/video/{post_id}"}
            title = self.rng.choice(OUTREACH_TITLES).format(commune=self.commune().name, month=posted.month)
            rows.append({"posted_on": posted, "channel": channel,
                         "format": self.weighted({"Hình ảnh": 5, "Bài viết": 4, "Video clip": 2, "Infographic": 1}),
                         "title": title, "url": urls.get(channel),
                         "reach": self.rng.choice((None, self.rng.randint(200, 20000)))})
        return rows

    def resources(self) -> list[dict[str, Any]]:
        rows = []
        for _ in range(self.rng.randint(10, 30)):
            cash = self.amount(2_000_000, 100_000_000, 1_000_000) if self.rng.random() < 0.75 else None
            in_kind = self.amount(1_000_000, 50_000_000, 500_000) if cash is None or self.rng.random() < 0.3 else None
            rows.append({"received_on": self.day(), "sponsor": self.company(),
                         "strand": self.weighted({"Kết nối đến trường": 4, "Kết nối việc làm": 2,
                                                  "Kết nối an cư": 3, "Chung": 2}),
                         "cash_vnd": cash, "in_kind_vnd": in_kind})
        return rows


# ---------------------------------------------------------------- mistakes

Mistake = Callable[["_Injector", Tab, dict[str, Any]], str | None]


class _Injector:
    """Apply staff-like mistakes to generated rows; each returns the kind it applied, or None."""

    def __init__(self, rng: random.Random, faker: _Faker, config: Config, unit: Unit) -> None:
        self.rng = rng
        self.faker = faker
        self.config = config
        self.unit = unit
        own = {loose_key(c.name) for c in unit.communes}
        names = Counter(loose_key(c.name) for c in config.all_communes)
        self.foreign = [c for c in config.all_communes
                        if c.unit_code != unit.code and loose_key(c.name) not in own and names[loose_key(c.name)] == 1]
        bare = Counter(loose_key(bare_commune_name(c.name)) for c in faker.communes)
        self.bare_ok = {c.name for c in faker.communes
                        if bare[loose_key(bare_commune_name(c.name))] == 1 and c.name != bare_commune_name(c.name)}

    def _pick(self, tab: Tab, row: dict[str, Any], types: Iterable[str], value_type: type | tuple[type, ...],
              required_only: bool = False) -> str | None:
        keys = [c.key for c in tab.columns if c.type in types and isinstance(row.get(c.key), value_type)
                and (c.required or not required_only) and not isinstance(row.get(c.key), bool)]
        return self.rng.choice(keys) if keys else None

    # -- mistakes that normalise cleanly

    def date_as_text(self, tab: Tab, row: dict[str, Any]) -> str | None:
        key = self._pick(tab, row, ("date",), dt.date)
        if key is None:
            return None
        day = row[key]
        row[key] = self.rng.choice((f"{day.day}/{day.month}/{day.year}", f"{day.day:02d}-{day.month:02d}-{day.year}",
                                    f"{day.day:02d}.{day.month:02d}.{day.year}"))
        return "date_as_text"

    def date_as_serial(self, tab: Tab, row: dict[str, Any]) -> str | None:
        key = self._pick(tab, row, ("date",), dt.date)
        if key is None:
            return None
        row[key] = int(to_excel(row[key]))
        return "date_as_serial"

    def money_as_text(self, tab: Tab, row: dict[str, Any]) -> str | None:
        key = self._pick(tab, row, ("money_vnd",), int)
        if key is None:
            return None
        value: int = row[key]
        grouped = f"{value:,}".replace(",", ".")
        options = [f"{grouped}đ", f"{grouped} VNĐ", f"{value:,}"]
        if value >= 1_000_000 and value % 100_000 == 0:
            millions = f"{value / 1_000_000:g}".replace(".", ",")
            options += [f"{millions} triệu", f"{millions} tr"]
        elif value < 1_000_000 and value % 1000 == 0:
            options.append(f"{value // 1000}k")
        row[key] = self.rng.choice(options)
        return "money_as_text"

    def phone_without_zero(self, tab: Tab, row: dict[str, Any]) -> str | None:
        key = self._pick(tab, row, ("phone_vn",), str)
        if key is None:
            return None
        row[key] = int(row[key])
        return "phone_without_zero"

    def phone_with_spaces(self, tab: Tab, row: dict[str, Any]) -> str | None:
        key = self._pick(tab, row, ("phone_vn",), str)
        if key is None:
            return None
        number = row[key]
        row[key] = self.rng.choice((f"{number[:4]} {number[4:7]} {number[7:]}", f"{number[:4]}.{number[4:7]}.{number[7:]}",
                                    f"+84 {number[1:4]} {number[4:7]} {number[7:]}"))
        return "phone_with_spaces"

    def choice_without_diacritics(self, tab: Tab, row: dict[str, Any]) -> str | None:
        key = self._pick(tab, row, ("choice",), str)
        if key is None:
            return None
        plain = strip_diacritics(row[key])
        if plain == row[key]:
            return None
        row[key] = plain.lower() if self.rng.random() < 0.5 else plain
        return "choice_without_diacritics"

    def commune_without_prefix(self, tab: Tab, row: dict[str, Any]) -> str | None:
        value = row.get("commune")
        if value not in self.bare_ok:
            return None
        row["commune"] = bare_commune_name(value)
        return "commune_without_prefix"

    def id_as_number(self, tab: Tab, row: dict[str, Any]) -> str | None:
        key = self._pick(tab, row, ("national_id",), str)
        if key is None:
            return None
        row[key] = int(row[key])
        return "id_as_number"

    def name_decomposed(self, tab: Tab, row: dict[str, Any]) -> str | None:
        key = self._pick(tab, row, ("person_name",), str)
        if key is None:
            return None
        row[key] = unicodedata.normalize("NFD", row[key]) + self.rng.choice(("", " ", "\u00a0"))
        return "name_decomposed"

    def month_as_text(self, tab: Tab, row: dict[str, Any]) -> str | None:
        key = self._pick(tab, row, ("month",), dt.date)
        if key is None:
            return None
        month = row[key]
        row[key] = self.rng.choice((f"Tháng {month.month}/{month.year}", f"T{month.month}/{month.year}",
                                    f"{month.month}/{month.year}"))
        return "month_as_text"

    # -- mistakes that the validator reports

    def old_phone_prefix(self, tab: Tab, row: dict[str, Any]) -> str | None:
        key = self._pick(tab, row, ("phone_vn",), str)
        if key is None or row[key][:3] not in OLD_PREFIX_OF:
            return None
        old = OLD_PREFIX_OF[row[key][:3]] + row[key][3:]
        row[key] = f"{old[:4]} {old[4:7]} {old[7:]}"
        return "old_phone_prefix"

    def id_scientific(self, tab: Tab, row: dict[str, Any]) -> str | None:
        key = self._pick(tab, row, ("national_id",), str)
        if key is None:
            return None
        number = float(row[key])
        rounded = float(f"{number:.4e}")
        row[key] = _Scientific(rounded) if self.rng.random() < 0.5 else f"{rounded:.4E}"
        return "id_scientific"

    def commune_of_other_unit(self, tab: Tab, row: dict[str, Any]) -> str | None:
        if "commune" not in row or not self.unit.communes or not self.foreign:
            return None
        row["commune"] = self.rng.choice(self.foreign).name
        return "commune_of_other_unit"

    def out_of_period(self, tab: Tab, row: dict[str, Any]) -> str | None:
        keys = [c.key for c in tab.columns if c.in_period and c.type == "date" and isinstance(row.get(c.key), dt.date)]
        if not keys:
            return None
        key = self.rng.choice(keys)
        year = self.config.period_end.year
        row[key] = self.rng.choice((dt.date(year, 12, self.rng.randint(1, 28)),
                                    dt.date(self.config.period_start.year, 2, self.rng.randint(1, 28))))
        return "out_of_period"

    def required_missing(self, tab: Tab, row: dict[str, Any]) -> str | None:
        keys = [c.key for c in tab.columns[1:] if c.required and row.get(c.key) not in (None, "")]
        if not keys:
            return None
        row[self.rng.choice(keys)] = None
        return "required_missing"

    def invalid_choice(self, tab: Tab, row: dict[str, Any]) -> str | None:
        keys = [k for k in INVALID_CHOICES if isinstance(row.get(k), str)]
        if not keys:
            return None
        key = self.rng.choice(keys)
        row[key] = self.rng.choice(INVALID_CHOICES[key])
        return "invalid_choice"

    def date_ambiguous(self, tab: Tab, row: dict[str, Any]) -> str | None:
        key = self._pick(tab, row, ("date",), dt.date)
        if key is None:
            return None
        day = row[key]
        if day.day > 12 and self.rng.random() < 0.5:
            row[key] = f"{day.month}/{day.day}/{day.year}"  # month typed first
        else:
            row[key] = f"{day.day:02d}/{day.month:02d}/{day.year % 100:02d}"  # two-digit year
        return "date_ambiguous"

    def url_without_scheme(self, tab: Tab, row: dict[str, Any]) -> str | None:
        url = row.get("url")
        if not isinstance(url, str) or not url.startswith("https://"):
            return None
        row["url"] = url.removeprefix("https://")
        return "url_without_scheme"

    def formula_error(self, tab: Tab, row: dict[str, Any]) -> str | None:
        key = self._pick(tab, row, ("choice", "text"), str, required_only=True)
        if key is None:
            return None
        row[key] = "#N/A"
        return "formula_error"


# Mistakes with weights: those that normalise cleanly come first.
_CLEAN_MISTAKES: tuple[tuple[Mistake, float], ...] = (
    (_Injector.date_as_text, 5), (_Injector.date_as_serial, 3), (_Injector.money_as_text, 5),
    (_Injector.phone_without_zero, 4), (_Injector.phone_with_spaces, 2), (_Injector.choice_without_diacritics, 4),
    (_Injector.commune_without_prefix, 4), (_Injector.id_as_number, 2), (_Injector.name_decomposed, 2),
    (_Injector.month_as_text, 3),
)
_ERROR_MISTAKES: tuple[tuple[Mistake, float], ...] = (
    (_Injector.old_phone_prefix, 3), (_Injector.id_scientific, 2), (_Injector.commune_of_other_unit, 3),
    (_Injector.out_of_period, 3), (_Injector.required_missing, 3), (_Injector.invalid_choice, 2),
    (_Injector.date_ambiguous, 2), (_Injector.url_without_scheme, 1), (_Injector.formula_error, 0.5),
)
_ERROR_SHARE = 0.4  # share of injected mistakes drawn from the error kinds


def _inject_random(injector: _Injector, rng: random.Random, tabs: dict[str, Tab],
                   rows: dict[str, list[Any]], error_rate: float, counts: Counter[str]) -> None:
    for tab_key, tab_rows in rows.items():
        tab = tabs[tab_key]
        for row in tab_rows:
            if not isinstance(row, dict) or rng.random() >= error_rate:
                continue
            pool = _ERROR_MISTAKES if rng.random() < _ERROR_SHARE else _CLEAN_MISTAKES
            candidates = list(pool)
            rng.shuffle(candidates)
            candidates.sort(key=lambda item: -item[1] * rng.random())
            for mistake, _weight in candidates:
                kind = mistake(injector, tab, row)
                if kind:
                    counts[kind] += 1
                    break


def _inject_scenarios(rng: random.Random, faker: _Faker, rows: dict[str, list[Any]], counts: Counter[str]) -> None:
    """Mistakes that need more than one row, or a specific status: each unit gets some of them."""
    seekers = [r for r in rows["job_seekers"] if isinstance(r, dict)]
    if len(seekers) > 10 and rng.random() < 0.6:
        first, second = rng.sample(seekers, 2)
        second["phone"] = first["phone"]
        counts["duplicate_phone"] += 1
    placed = [r for r in seekers if r["status"] == "Đã có việc làm" and isinstance(r.get("placed_on"), dt.date)]
    if placed and rng.random() < 0.6:
        rng.choice(placed)["placed_on"] = None
        counts["placed_on_missing"] += 1

    tutors = [r for r in rows["tutoring"] if isinstance(r, dict) and r.get("phone")]
    if tutors and rng.random() < 0.7:
        tutor = rng.choice(tutors)
        extra = {**tutor, "students": min(10, 11 - tutor["students"] + rng.randint(0, 2)),
                 "commune": faker.commune().name}
        rows["tutoring"].insert(rows["tutoring"].index(tutor) + rng.randint(1, 4), extra)
        counts["tutor_over_limit"] += 1

    handed = [r for r in rows["houses"] if r["status"] == "Đã bàn giao" and r.get("handed_over_on")]
    if len(handed) > 1 or (handed and faker.unit.kind != "province" and rng.random() < 0.6):
        rng.choice(handed)["handed_over_on"] = None
        counts["handover_date_missing"] += 1

    sessions = [r for r in rows["job_sessions"] if r["kind"] == "Phiên định kỳ"]
    if sessions and rng.random() < 0.3:
        session = rng.choice(sessions)
        session["contracts"] = session["participants"] + rng.randint(1, 20)
        counts["contracts_above_participants"] += 1

    for tab_key in rng.sample(sorted(rows), 2):
        tab_rows = rows[tab_key]
        if len(tab_rows) > 3:
            tab_rows.insert(rng.randrange(1, len(tab_rows)), BLANK_ROW)
            counts["blank_row"] += 1


# ---------------------------------------------------------------- writing cells

def _number_format(column_type: str, value: Any) -> str:
    if isinstance(value, _Scientific):
        return "0.00E+00"
    if isinstance(value, str):
        return "@" if column_type in ("phone_vn", "national_id", "date", "month") else "General"
    if isinstance(value, dt.date):
        return NUMBER_FORMATS["month"] if column_type == "month" else NUMBER_FORMATS["date"]
    if isinstance(value, int) and column_type in ("date", "phone_vn", "national_id"):
        return "General"  # a serial number or a number that lost its leading zero
    return NUMBER_FORMATS.get(column_type, "General")


def _clear_data(ws: Worksheet, header_row: int) -> None:
    if ws.max_row > header_row:
        ws.delete_rows(header_row + 1, ws.max_row - header_row)


def _write_tab(ws: Worksheet, tab: Tab, schema: Schema, rows: list[Any], with_stt: bool) -> int:
    layout = locate_columns(ws, tab, schema)
    if layout is None:
        log.warning("demo: no header row on sheet %s, skipped", tab.key)
        return 0
    types = {c.key: c.type for c in tab.columns}
    stt_column = None
    if with_stt:
        stt_column = append_staff_header(ws, layout, "STT", schema)
    row_number = max(last_used_row(ws), layout.header_row) + 1
    written = 0
    running = 0
    for record in rows:
        if record is BLANK_ROW:
            row_number += 1
            continue
        running += 1
        if record == STT_ONLY:
            if stt_column is not None:
                ws.cell(row=row_number, column=stt_column, value=running)
            row_number += 1
            continue
        if stt_column is not None:
            ws.cell(row=row_number, column=stt_column, value=running)
        for key, value in record.items():
            if value is None or value == "" or key not in layout.columns:
                continue
            cell = ws.cell(row=row_number, column=layout.columns[key])
            cell.value = float(value) if isinstance(value, _Scientific) else value
            cell.number_format = _number_format(types[key], value)
        written += 1
        row_number += 1
    if ws.auto_filter.ref:
        ws.auto_filter.ref = _extend_filter(ws.auto_filter.ref, row_number - 1)
    return written


def _extend_filter(ref: str, last_row: int) -> str:
    start, _, end = ref.partition(":")
    letters = "".join(ch for ch in end if ch.isalpha())
    return f"{start}:{letters}{max(last_row, int(''.join(ch for ch in end if ch.isdigit()) or 1))}"


# ---------------------------------------------------------------- public entry points

def generate_rows(config: Config, unit: Unit, schema: Schema, seed: int = 2022, error_rate: float = 0.05,
                  missing_months: set[int] | None = None) -> tuple[dict[str, list[Any]], Counter[str]]:
    """Return the demo rows of one unit by tab key, with the mistakes applied, and their counts."""
    rng = random.Random(f"{seed}:{unit.code}")
    faker = _Faker(rng, config, unit)
    rows: dict[str, list[Any]] = {
        "teams": faker.teams(), "tutoring": faker.tutoring(), "scholarships": faker.scholarships(),
        "school_events": faker.school_events(), "job_seekers": faker.job_seekers(),
        "job_openings": faker.job_openings(), "job_sessions": faker.job_sessions(missing_months or set()),
        "harvest_help": faker.harvest_help(), "houses": faker.houses(), "meals": faker.meals(),
        "outreach": faker.outreach(), "resources": faker.resources(),
    }
    rows = {k: v for k, v in rows.items() if k in schema.tab_keys}
    counts: Counter[str] = Counter()
    injector = _Injector(rng, faker, config, unit)
    tabs = {t.key: t for t in schema.tabs}
    _inject_scenarios(rng, faker, rows, counts)
    _inject_random(injector, rng, tabs, rows, error_rate, counts)
    return rows, counts


def missing_job_session_months(config: Config, seed: int) -> dict[str, set[int]]:
    """Choose two district units that skipped one to three monthly job sessions."""
    rng = random.Random(f"{seed}:job_sessions")
    districts = sorted(u.code for u in config.units if u.kind == "district")
    months = list(range(config.period_start.month, config.period_end.month + 1))
    chosen = rng.sample(districts, min(2, len(districts)))
    return {code: set(rng.sample(months, rng.randint(1, 3))) for code in chosen}


def fill_unit_demo(path: Path, unit: Unit, config: Config, schema: Schema, seed: int = 2022,
                   error_rate: float = 0.05, replace: bool = False,
                   missing_months: set[int] | None = None) -> DemoReport:
    """Append demo rows to one provisioned workbook (or replace its rows when ``replace``)."""
    check_not_locked(path)
    stamp = file_stamp(path)
    workbook = open_workbook(path)
    rows, counts = generate_rows(config, unit, schema, seed, error_rate, missing_months)
    rng = random.Random(f"{seed}:{unit.code}:layout")
    stt_tab = rng.choice(["scholarships", "job_seekers", "tutoring"]) if rng.random() < 0.5 else None
    if stt_tab is not None and stt_tab in rows:
        rows[stt_tab].append(STT_ONLY)
        counts["stt_only_row"] += 1
    report = DemoReport(unit=unit.code, path=path, mistakes=counts)
    for tab in schema.tabs:
        ws = find_sheet(workbook, tab)
        if ws is None or tab.key not in rows:
            continue
        layout = locate_columns(ws, tab, schema)
        if layout is not None and replace:
            _clear_data(ws, layout.header_row)
        report.rows += _write_tab(ws, tab, schema, rows[tab.key], with_stt=tab.key == stt_tab)
    save_atomically(workbook, path, stamp)
    log.info("demo data for unit %s: %d rows, %d mistakes", unit.code, report.rows, sum(counts.values()))
    return report


def fill_demo(config: Config, schema: Schema, seed: int = 2022, error_rate: float = 0.05,
              units: Iterable[str] | None = None, replace: bool = False) -> list[DemoReport]:
    """Fill every configured .xlsx unit's provisioned workbook (or the named units') with demo rows."""
    wanted = set(units) if units is not None else None
    missing = missing_job_session_months(config, seed)
    reports = []
    for unit in config.units:
        if unit.backend != "xlsx" or (wanted is not None and unit.code not in wanted):
            continue
        reports.append(fill_unit_demo(config.workbook_path(unit), unit, config, schema, seed, error_rate,
                                      replace, missing.get(unit.code)))
    return reports


def has_staff_data(path: Path, schema: Schema) -> bool:
    """Tell whether any schema tab of the workbook contains a value below its header row."""
    workbook = load_workbook(path, read_only=True)
    try:
        for tab in schema.tabs:
            ws = find_sheet(workbook, tab)
            if ws is None:
                continue
            layout = locate_columns(ws, tab, schema)
            if layout is None:
                return True
            sync = set(layout.sync.values())
            for row in ws.iter_rows(min_row=layout.header_row + 1, values_only=True):
                if any(v is not None and str(v).strip() for i, v in enumerate(row, start=1) if i not in sync):
                    return True
        return False
    finally:
        workbook.close()


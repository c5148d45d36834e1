"""The end-of-programme summary (báo cáo tổng kết) as an .xlsx workbook.

Laid out like a Vietnamese activity report: a title block, then one table of
indicators with their target (chỉ tiêu), result (kết quả) and completion (tỷ lệ %),
grouped by strand. It holds aggregates only, never a name, phone or ID number, so
any logged-in account may download the province report.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from dashboard import metrics as m
from dashboard.data import Snapshot
from dashboard.formatting import format_date, format_datetime
from sheets_schema import Config

FONT = "Times New Roman"
HEADERS = ("STT", "Nội dung, chỉ tiêu", "Đơn vị tính", "Chỉ tiêu", "Kết quả", "Tỷ lệ (%)", "Ghi chú")
WIDTHS = (6, 62, 14, 14, 16, 11, 34)
THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


@dataclass(frozen=True)
class Line:
    """One indicator line of the report; a target of None means the plan sets none."""

    label: str
    unit_label: str
    result: float
    target: float | None = None
    note: str = ""

    @property
    def percent(self) -> float | None:
        return 100.0 * self.result / self.target if self.target else None


def _excluded_note(count: int) -> str:
    return f"Chưa tính {count} dòng có lỗi" if count else ""


def report_sections(snapshot: Snapshot, config: Config, unit: str | None) -> list[tuple[str, list[Line]]]:
    """Compute the report's indicator lines per strand, for one unit or (``unit`` None) the province."""
    scope = m.Scope(units=(unit,) if unit else None)
    totals = m.strand_totals(snapshot, scope)
    own = config.unit_targets.get(unit or config.province_unit, {}) if unit else {}
    strands = config.strands

    def own_target(key: str) -> float | None:
        if unit:
            return float(own[key]) if own.get(key) else None
        return float(sum(t.get(key, 0) or 0 for t in config.unit_targets.values())) or None

    school: list[Line] = []
    teams = m.communes_with_team_progress(snapshot, config, scope)
    if unit is None or config.unit(unit).communes:
        school.append(Line(teams.label, "%", round(teams.result, 1), teams.target, _excluded_note(teams.excluded)))
    tutors = m.pupils_per_tutor(snapshot, config, scope)
    limit = m.find_target(config, "max_students_per_tutor")
    school.append(Line("Số người kèm học (theo học kỳ)", "người", float(tutors["tutors"].sum())))
    school.append(Line("Số em được kèm học", "em", float(tutors["pupils"].sum())))
    over = int(tutors["tutors_over_limit"].sum())
    school.append(Line(f"Người kèm vượt mức tối đa {limit.value:g} em/học kỳ", "người", float(over)))
    if unit in (None, config.province_unit):
        events = m.province_school_events_progress(snapshot, config)
        school.append(Line(events.label, events.unit_label, events.result, events.target,
                           _excluded_note(events.excluded)))
    school.append(Line("Học sinh tham gia chương trình tại điểm trường", "em",
                       totals["school_event_pupils"].value, None, _excluded_note(totals["school_event_pupils"].excluded)))
    school.append(Line("Học bổng trao tặng", "suất", totals["scholarships"].value, own_target("scholarships"),
                       _excluded_note(totals["scholarships"].excluded)))
    school.append(Line("Giá trị học bổng", "đồng", totals["scholarships_vnd"].value))

    jobs: list[Line] = []
    sessions = m.job_session_progress(snapshot, config, scope)
    if not sessions.empty:
        months_met, months = int(sessions["months_met"].sum()), int(sessions["months"].sum())
        jobs.append(Line("Tháng có phiên giao dịch việc làm định kỳ (đơn vị – tháng)", "tháng",
                         float(months_met), float(months)))
    jobs.append(Line("Phiên giao dịch việc làm, ngày hội việc làm", "phiên", totals["job_sessions"].value, None,
                     _excluded_note(totals["job_sessions"].excluded)))
    if unit in (None, config.province_unit):
        fair = m.province_job_fair(snapshot, config)
        jobs.append(Line(fair.label, fair.unit_label, fair.result, fair.target))
    jobs.append(Line("Thanh niên có nhu cầu tìm việc đã đăng ký", "người", totals["job_seekers"].value, None,
                     _excluded_note(totals["job_seekers"].excluded)))
    jobs.append(Line("Thanh niên có việc làm", "người", totals["placed"].value, own_target("job_placements")))
    jobs.append(Line("Vị trí tuyển dụng doanh nghiệp đăng ký", "người", totals["job_openings"].value))
    jobs.append(Line("Hộ dân được hỗ trợ thu hoạch, tiêu thụ", "hộ", totals["harvest_households"].value))

    housing: list[Line] = []
    if unit in (None, config.province_unit):
        houses = m.province_houses(snapshot, config)
        housing.append(Line(houses.label + " (đã bàn giao)", houses.unit_label, houses.result, houses.target))
    housing.append(Line('Nhà "Kết nối an cư" đã bàn giao', "căn", totals["houses_handed_over"].value,
                        own_target("houses")))
    housing.append(Line("Giá trị nhà (mọi tình trạng)", "đồng", totals["houses_vnd"].value, None,
                        _excluded_note(totals["houses_vnd"].excluded)))
    housing.append(Line("Suất ăn hỗ trợ người lao động", "suất", totals["meals"].value, own_target("meals")))

    outreach = [Line("Tin, bài, sản phẩm tuyên truyền", "sản phẩm", totals["posts"].value),
                Line("Lượt tiếp cận", "lượt", totals["reach"].value)]
    funds = m.funds_by_strand(snapshot, scope)
    resources = [Line("Tổng nguồn lực vận động", "đồng", totals["funds_vnd"].value, own_target("funds_vnd"),
                      _excluded_note(totals["funds_vnd"].excluded))]
    resources += [Line(f"Dành cho {row.strand}", "đồng", row.total_vnd) for row in funds.itertuples()]
    return [(strands.get("school", "Kết nối đến trường"), school), (strands.get("jobs", "Kết nối việc làm"), jobs),
            (strands.get("housing", "Kết nối an cư"), housing), (strands.get("outreach", "Tuyên truyền"), outreach),
            (strands.get("resources", "Nguồn lực vận động"), resources)]


ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII")


def build_report(snapshot: Snapshot, config: Config, unit: str | None = None,
                 today: dt.date | None = None) -> bytes:
    """Write the summary workbook for ``unit`` (None: the province) and return its bytes."""
    today = today or dt.datetime.now(ZoneInfo(config.timezone)).date()
    book = Workbook()
    sheet = book.active
    sheet.title = "Báo cáo tổng kết"
    name = config.unit(unit).name if unit else config.owner
    upper = config.unit(unit).name.upper() if unit else config.unit(config.province_unit).name.upper()
    bold = Font(name=FONT, bold=True, size=12)
    normal = Font(name=FONT, size=12)
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width

    def put(cell: str, value: str, font: Font = normal, merge_to: str | None = None, align: str = "center") -> None:
        sheet[cell] = value
        sheet[cell].font = font
        sheet[cell].alignment = Alignment(horizontal=align, vertical="center", wrap_text=True)
        if merge_to:
            sheet.merge_cells(f"{cell}:{merge_to}")

    put("A1", "ĐOÀN TNCS HỒ CHÍ MINH", normal, "C1")
    put("A2", upper, bold, "C2")
    put("D1", "ĐOÀN TNCS HỒ CHÍ MINH", bold, "G1")
    put("D2", f"{config.province_name}, ngày {today.day:02d} tháng {today.month:02d} năm {today.year}",
        Font(name=FONT, size=12, italic=True), "G2")
    put("A4", "BÁO CÁO TỔNG KẾT", Font(name=FONT, bold=True, size=14), "G4")
    put("A5", config.name, bold, "G5")
    scope_text = f"Đơn vị: {name}" if unit else f"Toàn tỉnh {config.province_name}"
    put("A6", f"{scope_text} – số liệu từ {format_date(config.period_start)} đến {format_date(config.period_end)}",
        normal, "G6")
    put("A7", f"Số liệu đồng bộ lúc {format_datetime(snapshot.updated_at, config.timezone)}",
        Font(name=FONT, size=11, italic=True), "G7")

    header_row = 9
    for column, title in enumerate(HEADERS, start=1):
        cell = sheet.cell(row=header_row, column=column, value=title)
        cell.font = bold
        cell.border = BORDER
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)

    row = header_row + 1
    for number, (title, lines) in enumerate(report_sections(snapshot, config, unit)):
        sheet.cell(row=row, column=1, value=ROMAN[number])
        sheet.cell(row=row, column=2, value=title.upper())
        for column in range(1, len(HEADERS) + 1):
            cell = sheet.cell(row=row, column=column)
            cell.font = bold
            cell.border = BORDER
            cell.fill = PatternFill("solid", fgColor="F2F2F2")
        row += 1
        for index, line in enumerate(lines, start=1):
            values = (index, line.label, line.unit_label, line.target, line.result,
                      line.percent / 100.0 if line.percent is not None else None, line.note)
            for column, value in enumerate(values, start=1):
                cell = sheet.cell(row=row, column=column, value=value)
                cell.font = normal
                cell.border = BORDER
                cell.alignment = Alignment(vertical="center", wrap_text=column in (2, 7),
                                           horizontal="center" if column in (1, 3) else None)
            sheet.cell(row=row, column=4).number_format = "#,##0"
            sheet.cell(row=row, column=5).number_format = "#,##0.0" if line.unit_label == "%" else "#,##0"
            sheet.cell(row=row, column=6).number_format = "0.0%"
            row += 1

    excluded = sum(snapshot.errors_excluded.values()) if unit is None else sum(
        int(frame.loc[frame["unit"] == unit, "has_error"].sum()) for frame in snapshot.tabs.values())
    row += 1
    put(f"A{row}", f"Ghi chú: số liệu chỉ tính các dòng hợp lệ; {excluded} dòng có lỗi chưa được tính. "
                   "Tỷ lệ (%) là kết quả so với chỉ tiêu.", Font(name=FONT, size=11, italic=True), f"G{row}", "left")
    sheet.row_dimensions[row].height = 32
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    if unit is None:
        _write_units_sheet(book, snapshot, config)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _write_units_sheet(book: Workbook, snapshot: Snapshot, config: Config) -> None:
    """Add a per-unit table of the units' own targets and results (aggregates only)."""
    sheet = book.create_sheet("Theo đơn vị")
    headers = ("Đơn vị", "Chỉ tiêu", "Đơn vị tính", "Chỉ tiêu", "Kết quả", "Tỷ lệ (%)")
    for column, (title, width) in enumerate(zip(headers, (34, 40, 12, 16, 16, 11)), start=1):
        cell = sheet.cell(row=1, column=column, value=title)
        cell.font = Font(name=FONT, bold=True)
        cell.border = BORDER
        sheet.column_dimensions[get_column_letter(column)].width = width
    names = m.unit_names(config)
    for offset, item in enumerate(m.unit_target_progress(snapshot, config).itertuples(), start=2):
        values = (names[item.unit], item.label, item.unit_label, item.target, item.result, item.percent / 100.0)
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=offset, column=column, value=value)
            cell.font = Font(name=FONT)
            cell.border = BORDER
        sheet.cell(row=offset, column=4).number_format = "#,##0"
        sheet.cell(row=offset, column=5).number_format = "#,##0"
        sheet.cell(row=offset, column=6).number_format = "0.0%"
    sheet.freeze_panes = "A2"

"""Create or upgrade one unit's .xlsx workbook from the contract schema.

A provisioned workbook starts with the instruction tab. Each schema tab follows with a
styled header row (required columns end with ``*``), dropdowns and number formats on
the data columns, and the two sync-owned columns right of the staff columns. A hidden
list tab holds the values of the commune dropdown and of long choice dropdowns.

Upgrading an existing workbook adds missing tabs and header cells, refreshes the
instruction and list tabs and re-applies validations and formats. It never changes the
value of a cell that staff typed: the only cells it clears are the sync-owned status
and details cells, and only when new staff columns must take their place (the sync
writes them again on its next run).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.dimensions import ColumnDimension
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from sheets_schema.config import Commune, Config, Unit
from sheets_schema.schema import Column, Rule, Schema, Tab
# The validator's own matching keys, so that provisioning finds exactly the tabs and
# headers that the validator finds (a header it missed would be added a second time).
from sync.text import header_key, loose_key
from sync.validate import header_lookup

log = logging.getLogger(__name__)

FONT_NAME = "Calibri"
HEADER_FONT = Font(name=FONT_NAME, size=11, bold=True, color="1F1F1F")
SYNC_HEADER_FONT = Font(name=FONT_NAME, size=11, bold=True, italic=True, color="404040")
REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")  # light orange: required column
OPTIONAL_FILL = PatternFill("solid", fgColor="DDEBF7")  # light blue: optional column
EXPLANATION_FILL = PatternFill("solid", fgColor="FFF2CC")  # light yellow: Giải trình
SYNC_FILL = PatternFill("solid", fgColor="D9D9D9")  # grey: written by the sync only
_THIN = Side(style="thin", color="A6A6A6")
HEADER_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
HEADER_ALIGNMENT = Alignment(horizontal="center", vertical="center", wrap_text=True)
HEADER_ROW_HEIGHT = 48

# openpyxl rejects whole-column ranges, and LibreOffice 7.4 keeps a validation only
# about 1000 rows below the last value. Validations therefore cover an explicit range
# down to this row, or 1000 rows below the last used row of a longer tab.
VALIDATION_LAST_ROW = 5000
VALIDATION_MARGIN = 1000
HEADER_SEARCH_ROWS = 20  # the validator looks for the header row in the same many rows

# Excel's limits for data validation texts.
_MAX_TITLE = 32
_MAX_PROMPT = 255
_MAX_ERROR = 225
_MAX_INLINE_LIST = 255

NUMBER_FORMATS = {
    "date": "dd/mm/yyyy",
    "month": "mm/yyyy",
    "money_vnd": "#,##0",
    "integer": "0",
    "phone_vn": "@",
    "national_id": "@",
}

_TYPE_WIDTHS = {
    "text": 28, "person_name": 24, "date": 13, "month": 11, "integer": 11, "money_vnd": 16,
    "phone_vn": 15, "national_id": 17, "yes_no": 11, "choice": 18, "commune": 22, "url": 34,
}
_SYNC_WIDTHS = {"status": 18, "details": 60}

YES_NO_CHOICES = ("Có", "Không")


class ProvisionError(Exception):
    """A workbook could not be provisioned; ``message_vi`` is the reason shown to the user."""

    def __init__(self, message: str, message_vi: str) -> None:
        super().__init__(message)
        self.message_vi = message_vi


class WorkbookLocked(ProvisionError):
    """An Excel or LibreOffice lock file beside the workbook shows it is open."""


class WorkbookUnreadable(ProvisionError):
    """The existing file is not a readable .xlsx workbook."""


class WorkbookChanged(ProvisionError):
    """The file changed on disk while it was being upgraded."""


@dataclass
class ProvisionReport:
    unit: str
    path: Path
    created: bool = False
    added_tabs: list[str] = field(default_factory=list)
    added_columns: dict[str, list[str]] = field(default_factory=dict)  # tab title -> headers
    moved_sync_columns: list[str] = field(default_factory=list)  # tab titles
    skipped_tabs: dict[str, str] = field(default_factory=dict)  # tab title -> Vietnamese reason
    formula_cells: int = 0
    error: str | None = None  # Vietnamese message when provisioning failed

    @property
    def column_count(self) -> int:
        return sum(len(headers) for headers in self.added_columns.values())

    def summary_vi(self) -> str:
        """Return the Vietnamese summary printed by the command line."""
        name = self.path.name
        if self.error:
            return f"Không cập nhật được tệp {name}: {self.error}"
        if self.created:
            lines = [f"Đã tạo tệp {name}."]
        else:
            changes = []
            if self.added_tabs:
                titles = ", ".join(f"«{t}»" for t in self.added_tabs)
                changes.append(f"thêm {len(self.added_tabs)} trang tính ({titles})")
            if self.column_count:
                changes.append(f"thêm {self.column_count} cột")
            if changes:
                lines = [f"Đã cập nhật tệp {name}: " + ", ".join(changes) + "."]
            else:
                lines = [f"Đã cập nhật tệp {name}: đủ trang tính và cột; đã làm mới hướng dẫn, danh mục và định dạng."]
        if self.moved_sync_columns:
            titles = ", ".join(f"«{t}»" for t in self.moved_sync_columns)
            lines.append(f"  Đã chuyển hai cột kết quả kiểm tra sang bên phải ở trang {titles}; "
                         "lần đồng bộ sau sẽ ghi lại kết quả.")
        for title, reason in self.skipped_tabs.items():
            lines.append(f"  Chưa cập nhật trang «{title}»: {reason}")
        if self.formula_cells:
            lines.append(f"  Tệp có {self.formula_cells} ô công thức; đề nghị mở tệp bằng Excel hoặc "
                         "LibreOffice và lưu lại một lần để lưu kết quả tính.")
        return "\n".join(lines)


# ---------------------------------------------------------------- locating tabs and headers

@dataclass
class SheetLayout:
    """Positions of the schema columns and the sync columns on one sheet."""

    header_row: int
    columns: dict[str, int]  # column key -> 1-based column index
    sync: dict[str, int]  # "status" / "details" -> 1-based column index
    staff_last: int  # rightmost column holding a staff header or staff data


def find_sheet(workbook: Workbook, tab: Tab) -> Worksheet | None:
    """Return the sheet for a schema tab, matched by title or long name as the validator does."""
    titles = {header_key(ws.title): ws for ws in workbook.worksheets}
    loose = {loose_key(ws.title): ws for ws in workbook.worksheets}
    for name in (tab.title, tab.name):
        sheet = titles.get(header_key(name)) or loose.get(loose_key(name))
        if sheet is not None:
            return sheet
    return None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _map_row(tab: Tab, schema: Schema, cells: tuple[Any, ...]) -> tuple[dict[str, int], dict[str, int], int]:
    exact, loose = header_lookup(tab)
    sync_keys = {header_key(schema.status_header): "status", header_key(schema.details_header): "details"}
    columns: dict[str, int] = {}
    sync: dict[str, int] = {}
    matches = 0
    for index, cell in enumerate(cells, start=1):
        if _blank(cell):
            continue
        key = header_key(cell)
        if key in sync_keys:
            sync.setdefault(sync_keys[key], index)
            continue
        column_key = exact.get(key) or loose.get(loose_key(str(cell).rstrip("* ")))
        if column_key is None:
            continue
        matches += 1
        columns.setdefault(column_key, index)
    return columns, sync, matches


def locate_columns(ws: Worksheet, tab: Tab, schema: Schema) -> SheetLayout | None:
    """Find the header row the way the validator does; None when data has no header.

    An empty sheet gets header row 1 with no columns yet.
    """
    needed = 2 if len(tab.columns) > 3 else 1
    best: tuple[int, dict[str, int], dict[str, int], int] | None = None
    for row_number, cells in enumerate(ws.iter_rows(min_row=1, max_row=HEADER_SEARCH_ROWS, values_only=True),
                                       start=1):
        columns, sync, matches = _map_row(tab, schema, cells)
        if matches >= needed and (best is None or matches > best[3]):
            best = (row_number, columns, sync, matches)
    if best is None:
        if _sheet_is_empty(ws):
            return SheetLayout(header_row=1, columns={}, sync={}, staff_last=0)
        return None
    header_row, columns, sync, _ = best
    staff_last = _last_staff_column(ws, header_row, set(sync.values()))
    return SheetLayout(header_row=header_row, columns=columns, sync=sync, staff_last=staff_last)


def _sheet_is_empty(ws: Worksheet) -> bool:
    for row in ws.iter_rows(values_only=True):
        if any(not _blank(v) for v in row):
            return False
    return True


def _last_staff_column(ws: Worksheet, header_row: int, sync_positions: set[int]) -> int:
    last = 0
    for row in ws.iter_rows(min_row=header_row, values_only=True):
        for index in range(len(row), 0, -1):
            if index in sync_positions:
                continue
            if not _blank(row[index - 1]):
                last = max(last, index)
                break
    return last


def last_used_row(ws: Worksheet) -> int:
    """Return the last row holding any non-blank value (0 for an empty sheet)."""
    last = 0
    for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
        if any(not _blank(v) for v in row):
            last = number
    return last


# ---------------------------------------------------------------- column dimensions

def _copy_dimension(ws: Worksheet, dim: ColumnDimension, low: int, high: int) -> ColumnDimension:
    part = ColumnDimension(ws, index=get_column_letter(low), width=dim.width, bestFit=dim.bestFit,
                           hidden=dim.hidden, outlineLevel=dim.outlineLevel, collapsed=dim.collapsed,
                           min=low, max=high, customWidth=dim.customWidth)
    part._style = dim._style  # StyleArray of the original column range
    return part


def column_dimension(ws: Worksheet, index: int) -> ColumnDimension:
    """Return a dimension covering exactly one column.

    Files saved by Excel or LibreOffice group columns (``<col min=3 max=9>``). Setting a
    width on one letter of such a group would write overlapping ranges, which Excel
    reports as a damaged file, so this splits the group around ``index`` first.
    """
    letter = get_column_letter(index)
    for key, dim in list(ws.column_dimensions.items()):
        low = dim.min or index
        high = dim.max or low
        if low <= index <= high and (low, high) != (index, index):
            del ws.column_dimensions[key]
            for start, end in ((low, index - 1), (index, index), (index + 1, high)):
                if start <= end:
                    ws.column_dimensions[get_column_letter(start)] = _copy_dimension(ws, dim, start, end)
    dim = ws.column_dimensions[letter]
    dim.min = dim.max = index
    return dim


# ---------------------------------------------------------------- header cells

def _header_fill(column: Column) -> PatternFill:
    if column.key == "explanation":
        return EXPLANATION_FILL
    return REQUIRED_FILL if column.required else OPTIONAL_FILL


def _column_width(column: Column) -> float:
    width = _TYPE_WIDTHS.get(column.type, 16)
    if column.type == "choice" and column.choices:
        width = max(width, min(max(len(c) for c in column.choices) + 3, 36))
    if column.key == "explanation":
        width = 36
    # Headers wrap, so a long header needs at most about half its length per line.
    header_width = len(column.sheet_header) + 2 if len(column.sheet_header) <= 18 else len(column.sheet_header) / 2 + 4
    return float(max(width, min(header_width, 30)))


def _style_header(cell: Any, font: Font, fill: PatternFill) -> None:
    cell.font = font
    cell.fill = fill
    cell.alignment = HEADER_ALIGNMENT
    cell.border = HEADER_BORDER


def _write_column_header(ws: Worksheet, header_row: int, index: int, column: Column, new: bool) -> None:
    cell = ws.cell(row=header_row, column=index)
    if new:
        cell.value = column.sheet_header
        column_dimension(ws, index).width = _column_width(column)
    _style_header(cell, HEADER_FONT, _header_fill(column))
    if column.help and cell.comment is None:
        note = Comment(column.help, "Tỉnh đoàn")
        note.width, note.height = 300, 110
        cell.comment = note


def _write_sync_header(ws: Worksheet, header_row: int, index: int, which: str, text: str) -> None:
    cell = ws.cell(row=header_row, column=index)
    cell.value = text
    _style_header(cell, SYNC_HEADER_FONT, SYNC_FILL)
    column_dimension(ws, index).width = _SYNC_WIDTHS[which]


def _clear_column(ws: Worksheet, index: int, from_row: int) -> None:
    """Clear a sync-owned column: values, notes and formatting from ``from_row`` down."""
    for row in range(from_row, ws.max_row + 1):
        if (row, index) in ws._cells:
            del ws._cells[(row, index)]


def append_staff_header(ws: Worksheet, layout: SheetLayout, text: str, schema: Schema) -> int:
    """Write a header right of the staff columns, moving the sync headers if they are in
    the way; return its column index. Used for staff-made columns such as ``STT``."""
    index = layout.staff_last + 1
    layout.staff_last = index
    _place_sync_columns(ws, layout, schema)
    cell = ws.cell(row=layout.header_row, column=index)
    cell.value = text
    _style_header(cell, HEADER_FONT, OPTIONAL_FILL)
    column_dimension(ws, index).width = 7
    return index


def _sync_in_place(layout: SheetLayout, staff_last: int) -> bool:
    return len(layout.sync) == 2 and min(layout.sync.values()) > staff_last


def _place_sync_columns(ws: Worksheet, layout: SheetLayout, schema: Schema) -> bool:
    """Put the sync headers right of every staff column; return True if any moved.

    Moving clears the old sync-owned cells (header, flags, notes and formats), so call
    it before writing new staff headers into those positions.
    """
    texts = {"status": schema.status_header, "details": schema.details_header}
    moved = False
    if not _sync_in_place(layout, layout.staff_last):
        moved = bool(layout.sync)
        for index in layout.sync.values():
            _clear_column(ws, index, layout.header_row)
        layout.sync = {"status": layout.staff_last + 1, "details": layout.staff_last + 2}
    for which, index in layout.sync.items():
        _write_sync_header(ws, layout.header_row, index, which, texts[which])
    return moved


def _upgrade_headers(ws: Worksheet, tab: Tab, layout: SheetLayout, schema: Schema) -> tuple[list[str], bool]:
    """Add missing column headers and place the sync headers; return (added headers, sync moved)."""
    missing = [c for c in tab.columns if c.key not in layout.columns]
    first_new = layout.staff_last + 1
    layout.staff_last += len(missing)
    moved = _place_sync_columns(ws, layout, schema)
    for offset, column in enumerate(missing):
        layout.columns[column.key] = first_new + offset
    for column in tab.columns:
        _write_column_header(ws, layout.header_row, layout.columns[column.key], column, new=column in missing)
    ws.row_dimensions[layout.header_row].height = HEADER_ROW_HEIGHT
    return [c.header for c in missing], moved


# ---------------------------------------------------------------- list tab

@dataclass
class ListRanges:
    """Formula references to the value lists on the hidden list tab."""

    communes: str
    choices: dict[tuple[str, ...], str]


def unit_communes(config: Config, unit: Unit) -> tuple[Commune, ...]:
    """Return the communes a unit may name: its own, or the whole province's for units
    without communes (the province office, equivalent units)."""
    return unit.communes or config.all_communes


def _needs_range(choices: tuple[str, ...]) -> bool:
    """Tell whether a list must live on the list tab: an inline list is cut at 255 characters and splits items at commas."""
    joined = ",".join(choices)
    return len(joined) > _MAX_INLINE_LIST or any("," in c or '"' in c for c in choices)


def _write_lists_tab(workbook: Workbook, schema: Schema, config: Config, unit: Unit) -> ListRanges:
    existing = workbook[schema.lists_tab] if schema.lists_tab in workbook.sheetnames else None
    if existing is not None:
        workbook.remove(existing)
    ws = workbook.create_sheet(schema.lists_tab)
    quoted = quote_sheetname(schema.lists_tab)

    def add_list(col: int, title: str, values: Iterable[str]) -> str:
        ws.cell(row=1, column=col, value=title).font = HEADER_FONT
        count = 0
        for count, value in enumerate(values, start=1):
            ws.cell(row=count + 1, column=col, value=value)
        letter = get_column_letter(col)
        ws.column_dimensions[letter].width = 40
        return f"{quoted}!${letter}$2:${letter}${max(count, 1) + 1}"

    communes = add_list(1, "Xã/Phường/Thị trấn", (c.name for c in unit_communes(config, unit)))
    ranges: dict[tuple[str, ...], str] = {}
    col = 2
    for tab in schema.tabs:
        for column in tab.columns:
            if column.type == "choice" and _needs_range(column.choices) and column.choices not in ranges:
                ranges[column.choices] = add_list(col, f"{tab.title} – {column.header}", column.choices)
                col += 1
    ws.sheet_state = "hidden"
    return ListRanges(communes=communes, choices=ranges)


# ---------------------------------------------------------------- validations and formats

def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _serial(day: Any) -> str:
    return str(int(to_excel(day)))


def _validation_for(column: Column, lists: ListRanges, config: Config, unit: Unit) -> DataValidation:
    start = config.period_start.strftime("%d/%m/%Y")
    end = config.period_end.strftime("%d/%m/%Y")
    kwargs: dict[str, Any] = {}
    error = ""
    if column.type == "choice":
        if _needs_range(column.choices):
            formula = lists.choices[column.choices]
        else:
            formula = '"' + ",".join(column.choices) + '"'
        kwargs = {"type": "list", "formula1": formula}
        error = f"Giá trị này không có trong danh sách của cột «{column.header}». Đề nghị chọn một giá trị trong danh sách thả xuống."
    elif column.type == "commune":
        kwargs = {"type": "list", "formula1": lists.communes}
        area = unit.name if unit.communes else f"tỉnh {config.province_name}"
        error = f"Đề nghị chọn xã, phường, thị trấn thuộc {area} trong danh sách thả xuống."
    elif column.type == "yes_no":
        kwargs = {"type": "list", "formula1": '"' + ",".join(YES_NO_CHOICES) + '"'}
        error = "Đề nghị chọn «Có» hoặc «Không»."
    elif column.type in ("date", "month"):
        if column.in_period:
            low, high = config.period_start.replace(day=1) if column.type == "month" else config.period_start, config.period_end
            error = f"Đề nghị nhập ngày dạng dd/mm/yyyy, trong thời gian chương trình ({start} – {end})."
        else:
            low, high = config.period_start.replace(year=1900, month=1, day=1), config.period_end
            error = f"Đề nghị nhập ngày dạng dd/mm/yyyy, không sau ngày {end}."
        if column.type == "month":
            error = f"Đề nghị nhập tháng dạng mm/yyyy, trong thời gian chương trình ({start} – {end})."
        kwargs = {"type": "date", "operator": "between", "formula1": _serial(low), "formula2": _serial(high)}
    elif column.type == "integer":
        low_bound = column.min if column.min is not None else 0
        if column.max is not None:
            kwargs = {"type": "whole", "operator": "between", "formula1": str(int(low_bound)),
                      "formula2": str(int(column.max))}
            error = f"Đề nghị nhập số nguyên từ {int(low_bound)} đến {int(column.max)}."
        else:
            kwargs = {"type": "whole", "operator": "greaterThanOrEqual", "formula1": str(int(low_bound))}
            error = f"Đề nghị nhập số nguyên, không nhỏ hơn {int(low_bound)}."
    validation = DataValidation(allow_blank=True, showInputMessage=True, **kwargs)
    validation.promptTitle = _short(column.header, _MAX_TITLE)
    validation.prompt = _short(column.help or column.header, _MAX_PROMPT)
    if error:
        validation.showErrorMessage = True
        validation.errorStyle = "warning"
        validation.errorTitle = "Giá trị chưa hợp lệ"
        validation.error = _short(error, _MAX_ERROR)
    return validation


def _validation_columns(validation: DataValidation) -> set[int]:
    found: set[int] = set()
    for cell_range in validation.sqref.ranges:
        found.update(range(cell_range.min_col, cell_range.max_col + 1))
    return found


def _apply_validations(ws: Worksheet, tab: Tab, layout: SheetLayout, lists: ListRanges,
                       config: Config, unit: Unit) -> None:
    managed = set(layout.columns.values()) | set(layout.sync.values())
    kept = [v for v in ws.data_validations.dataValidation if not (_validation_columns(v) & managed)]
    ws.data_validations.dataValidation = kept
    first = layout.header_row + 1
    last = max(VALIDATION_LAST_ROW, last_used_row(ws) + VALIDATION_MARGIN)
    for column in tab.columns:
        index = layout.columns[column.key]
        validation = _validation_for(column, lists, config, unit)
        letter = get_column_letter(index)
        validation.add(f"{letter}{first}:{letter}{last}")
        ws.add_data_validation(validation)


def _apply_formats(ws: Worksheet, tab: Tab, layout: SheetLayout) -> None:
    """Set the column styles that new cells take, and the format of existing empty cells."""
    for column in tab.columns:
        fmt = NUMBER_FORMATS.get(column.type)
        if fmt is None:
            continue
        index = layout.columns[column.key]
        column_dimension(ws, index).number_format = fmt
        for row in range(layout.header_row + 1, ws.max_row + 1):
            cell = ws._cells.get((row, index))
            if cell is not None and cell.value is None:
                cell.number_format = fmt


def _apply_sheet_setup(ws: Worksheet, layout: SheetLayout) -> None:
    header_row = layout.header_row
    ws.freeze_panes = f"A{header_row + 1}"
    last_col = max([layout.staff_last, *layout.sync.values()])
    last_row = max(last_used_row(ws), header_row + 1)
    ws.auto_filter.ref = f"A{header_row}:{get_column_letter(last_col)}{last_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_title_rows = f"{header_row}:{header_row}"


# ---------------------------------------------------------------- one tab

def _provision_tab(workbook: Workbook, tab: Tab, schema: Schema, config: Config, unit: Unit,
                   lists: ListRanges, report: ProvisionReport, created: bool) -> None:
    ws = find_sheet(workbook, tab)
    if ws is None:
        ws = workbook.create_sheet(tab.title, _insert_position(workbook, tab, schema))
        if not created:
            report.added_tabs.append(tab.title)
    layout = locate_columns(ws, tab, schema)
    if layout is None:
        report.skipped_tabs[ws.title] = ("không tìm thấy dòng tiêu đề trong "
                                         f"{HEADER_SEARCH_ROWS} dòng đầu nên không thêm cột, để tránh ghi đè số liệu.")
        return
    fresh = not layout.columns
    added, moved = _upgrade_headers(ws, tab, layout, schema)
    if added and not created and not fresh:
        report.added_columns[ws.title] = added
    if moved:
        report.moved_sync_columns.append(ws.title)
    _apply_validations(ws, tab, layout, lists, config, unit)
    _apply_formats(ws, tab, layout)
    _apply_sheet_setup(ws, layout)


def _insert_position(workbook: Workbook, tab: Tab, schema: Schema) -> int:
    """Index after the nearest preceding schema tab that exists, keeping schema order."""
    position = 0
    for other in schema.tabs:
        if other.key == tab.key:
            break
        sheet = find_sheet(workbook, other)
        if sheet is not None:
            position = workbook.worksheets.index(sheet) + 1
    if position == 0 and schema.instructions_tab in workbook.sheetnames:
        position = workbook.sheetnames.index(schema.instructions_tab) + 1
    return position


def _count_formulas(workbook: Workbook) -> int:
    return sum(1 for ws in workbook.worksheets for row in ws.iter_rows()
               for cell in row if cell.data_type == "f")


# ---------------------------------------------------------------- instruction tab

_TYPE_TEXTS = {
    "text": "Văn bản",
    "person_name": "Họ và tên: chỉ gồm chữ cái, ít nhất hai từ",
    "date": "Ngày, dạng ngày/tháng/năm (dd/mm/yyyy)",
    "month": "Tháng, dạng tháng/năm (mm/yyyy)",
    "integer": "Số nguyên",
    "money_vnd": "Số tiền bằng đồng; nhập số, Excel tự nhóm chữ số hàng nghìn",
    "phone_vn": "Số điện thoại 10 chữ số, đầu số 03, 05, 07, 08, 09 (cố định: 11 chữ số, đầu 02); ô định dạng Văn bản",
    "national_id": "Số CCCD 12 chữ số (hoặc CMND 9 chữ số); ô định dạng Văn bản, nhập đủ số 0 ở đầu",
    "yes_no": "Có hoặc Không (có thể đánh dấu x khi có)",
    "choice": "Chọn một giá trị trong danh sách thả xuống",
    "commune": "Xã, phường, thị trấn; chọn trong danh sách thả xuống",
    "url": "Đường dẫn đầy đủ, bắt đầu bằng https:// hoặc http://",
}
_TYPE_EXAMPLES = {
    "person_name": "Nguyễn Văn An",
    "date": "15/03/2022",
    "month": "03/2022",
    "money_vnd": "1.500.000",
    "phone_vn": "0912 345 678",
    "national_id": "096123456789",
    "yes_no": "Có",
    "url": "https://www.facebook.com/tinhdoancamau",
}
# Examples for free-text columns, by column key.
_TEXT_EXAMPLES = {
    "school": "Trường THCS Tân Thuận",
    "activities": "Sân chơi học tập, trao tặng sách vở",
    "employer": "Công ty TNHH May mặc Phú Hưng",
    "trade": "May mặc",
    "position": "Công nhân may",
    "venue": "Nhà văn hóa huyện",
    "activity": "Thu hoạch lúa",
    "funded_by": "Ngân hàng Chính sách xã hội",
    "kitchen": "Bếp ăn 0 đồng Phường 5",
    "title": "Ra quân Chương trình \"3 Kết nối\"",
    "sponsor": "Công ty TNHH Minh Phát",
    "desired_trade": "Điện dân dụng",
    "note": "Học sinh khuyết tật",
    "explanation": "Đã kiểm tra hồ sơ, số liệu đúng",
}
_SEVERITY_TEXT = {"error": "lỗi", "warning": "cảnh báo"}
_INSTRUCTION_WIDTHS = (24, 30, 11, 34, 22, 40, 60, 50)


def _format_day(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def _format_number(value: float) -> str:
    return f"{int(value):,}".replace(",", ".")


def example_value(column: Column, communes: tuple[Commune, ...] = ()) -> str:
    """Return a correct value for a column, as a user would type it."""
    if column.type == "choice" and column.choices:
        return column.choices[0]
    if column.type == "commune":
        return communes[0].name if communes else "Xã Tân Thuận"
    if column.type == "integer":
        low = column.min if column.min is not None else 0
        high = column.max if column.max is not None else None
        if low >= 1000:  # a year
            return str(int(low + (high - low) * 0.85)) if high else str(int(low))
        value = 10 if high is None else max(int(low), min(int(high), 5))
        return str(max(int(low), value))
    if column.type == "text":
        return _TEXT_EXAMPLES.get(column.key, "")
    return _TYPE_EXAMPLES.get(column.type, "")


def describe_column_checks(column: Column, config: Config) -> list[str]:
    """Describe the checks the contract sets on a column's own value."""
    checks = []
    if column.in_period:
        checks.append(f"Trong thời gian chương trình ({_format_day(config.period_start)} – "
                      f"{_format_day(config.period_end)}) (lỗi)")
    money = column.type == "money_vnd"
    show = _format_number if money else (lambda v: str(int(v)))
    suffix = " đ" if money else ""
    if column.min_exclusive is not None:
        checks.append(f"Lớn hơn {show(column.min_exclusive)}{suffix} (lỗi)")
    if column.min is not None and column.max is not None:
        checks.append(f"Từ {show(column.min)} đến {show(column.max)}{suffix} (lỗi)")
    elif column.min is not None:
        checks.append(f"Không nhỏ hơn {show(column.min)}{suffix} (lỗi)")
    elif column.max is not None:
        checks.append(f"Không lớn hơn {show(column.max)}{suffix} (lỗi)")
    if column.warn_below is not None:
        checks.append(f"Dưới {show(column.warn_below)}{suffix}: có thể thiếu đơn vị «triệu», «nghìn» (cảnh báo)")
    if column.warn_above is not None:
        checks.append(f"Trên {show(column.warn_above)}{suffix}: cao bất thường (cảnh báo)")
    return checks


def _headers(tab: Tab, keys: Iterable[str]) -> str:
    return ", ".join(f"«{tab.column(k).header}»" for k in keys)


def describe_rule(rule: Rule, tab: Tab, reference_year: int | None = None) -> str:
    """Describe a tab rule in plain Vietnamese, ending with its severity."""
    params = rule.params
    column = f"«{tab.column(rule.column).header}»"
    if rule.kind == "not_before":
        text = f"{column} không được trước {_headers(tab, [params['other']])}"
    elif rule.kind == "not_above":
        text = f"{column} không được lớn hơn {_headers(tab, [params['other']])}"
    elif rule.kind == "required_when":
        conditions = " và ".join(f"{_headers(tab, [k])} là «{v}»" for k, v in params["when"].items())
        text = f"Bắt buộc nhập {column} khi {conditions}"
    elif rule.kind == "not_both_empty":
        text = f"Phải có ít nhất một trong các cột {_headers(tab, params['columns'])} lớn hơn 0"
    elif rule.kind == "age_between":
        text = (f"Tuổi tính đến {_headers(tab, [params['at']])} thường từ {params['min']} đến "
                f"{params['max']}; ngoài khoảng này cần kiểm tra lại")
    elif rule.kind == "youth_age":
        year = f"năm {reference_year}" if reference_year else "năm thực hiện chương trình"
        text = (f"Tuổi trong {year} thường từ {params['min']} đến {params['max']} (độ tuổi thanh niên); "
                "ngoài khoảng này cần kiểm tra lại")
    elif rule.kind == "national_id_matches":
        text = (f"Với số CCCD 12 chữ số: chữ số thứ 4 ứng với giới tính và thế kỷ sinh, chữ số thứ 5 và 6 "
                f"ứng với năm sinh; phải khớp với {_headers(tab, [params['gender'], params['birth']])}")
    elif rule.kind == "unique_in_unit":
        text = f"Mỗi giá trị {_headers(tab, params['columns'])} chỉ ghi một dòng trong trang này"
    elif rule.kind == "group_sum_max":
        group = _headers(tab, params["group"])
        text = f"Tổng {column} của các dòng cùng {group} không quá {params['max']}"
    elif rule.kind == "unique_in_province":
        text = f"Không trùng {_headers(tab, params['columns'])} với dòng khác trong toàn tỉnh (mọi đơn vị)"
        if params.get("only_when_empty"):
            text += f", xét khi chưa có {_headers(tab, [params['only_when_empty']])}"
    else:  # a kind added to the schema without a description here
        text = rule.message
    return f"{text} ({_SEVERITY_TEXT[rule.severity]})"


def _choices_text(column: Column, config: Config, unit: Unit) -> str:
    if column.type == "choice":
        return "; ".join(column.choices)
    if column.type == "yes_no":
        return "; ".join(YES_NO_CHOICES)
    if column.type == "commune":
        if unit.communes:
            return "; ".join(c.name for c in unit.communes)
        return f"Mọi xã, phường, thị trấn của tỉnh {config.province_name}"
    return ""


def _instruction_rows(schema: Schema, config: Config, unit: Unit) -> list[tuple[str, ...]]:
    communes = unit_communes(config, unit)
    rows = []
    for tab in schema.tabs:
        rule_texts: dict[str, list[str]] = {}
        for rule in tab.rules:
            rule_texts.setdefault(rule.column, []).append(describe_rule(rule, tab, config.reference_year))
        for column in tab.columns:
            checks = describe_column_checks(column, config) + rule_texts.get(column.key, [])
            rows.append((
                tab.title, column.sheet_header, "Có" if column.required else "Không",
                _TYPE_TEXTS[column.type], example_value(column, communes),
                _choices_text(column, config, unit), "\n".join(checks), column.help,
            ))
    for header, text in ((schema.status_header, "Hệ thống ghi «Hợp lệ», hoặc số lỗi và số cảnh báo của dòng."),
                         (schema.details_header, "Hệ thống ghi nội dung từng lỗi, cảnh báo và cách sửa.")):
        rows.append(("Mọi trang tính", header, "Hệ thống ghi", "Văn bản", "", "", "", text))
    return rows


# Marks a section title in the general guidance, in place of a sample fill.
SECTION = PatternFill()


def _general_lines(schema: Schema) -> list[tuple[str, PatternFill | None]]:
    """Return the general guidance as (text, sample fill or SECTION) pairs."""
    status, details = f"«{schema.status_header}»", f"«{schema.details_header}»"
    return [
        ("Cách nhập số liệu", SECTION),
        ("Mỗi trang tính ứng với một nội dung của Chương trình; mỗi dòng là một đối tượng hoặc một hoạt động. "
         "Nhập từ dòng ngay dưới dòng tiêu đề; không gộp ô (Merge).", None),
        ("Không đổi tên, không xóa trang tính và dòng tiêu đề. Đơn vị có thể thêm cột riêng (ví dụ cột STT); "
         "hệ thống bỏ qua các cột không có trong bảng dưới đây. Dòng để trống hoặc chỉ có số thứ tự được bỏ qua.",
         None),
        ("Ở các cột có danh sách thả xuống, chọn giá trị trong danh sách; nhập giá trị khác thì Excel hiện cảnh báo. "
         "Khi dán số liệu từ tệp khác, dùng «Dán giá trị» (Paste Values) để giữ danh sách và định dạng của cột.", None),
        ("Ngày nhập dạng ngày/tháng/năm, ví dụ 15/03/2022; tháng nhập dạng tháng/năm, ví dụ 03/2022. "
         "Số tiền nhập bằng đồng, ví dụ 1500000 (hiển thị 1.500.000).", None),
        ("Số điện thoại và số CCCD nhập đủ các chữ số, kể cả số 0 ở đầu; các cột này đã định dạng Văn bản (Text).",
         None),
        ("Ý nghĩa ký hiệu và màu sắc", SECTION),
        ("Dấu * ở cuối tiêu đề: cột bắt buộc. Dòng thiếu cột bắt buộc bị tính là lỗi.", None),
        ("Tiêu đề nền cam nhạt: cột bắt buộc.", REQUIRED_FILL),
        ("Tiêu đề nền xanh nhạt: cột không bắt buộc, nhập nếu có.", OPTIONAL_FILL),
        ("Tiêu đề nền vàng nhạt: cột «Giải trình». Nếu dòng có cảnh báo nhưng số liệu là đúng, ghi lý do vào cột "
         "này; cảnh báo đã giải trình không còn được nhắc. Lỗi không thể giải trình, phải sửa.", EXPLANATION_FILL),
        (f"Tiêu đề nền xám: hai cột {status} và {details} do hệ thống ghi sau mỗi lần đồng bộ. "
         "Đơn vị không nhập, không sửa hai cột này.", SYNC_FILL),
        (f"{status}: «Hợp lệ», hoặc số lỗi và số cảnh báo của dòng. {details}: nội dung từng lỗi, cảnh báo và cách sửa.",
         None),
        ("Lỗi: dòng chưa được tính vào kết quả cho đến khi sửa xong. Cảnh báo: dòng vẫn được tính; đề nghị kiểm tra lại "
         "và sửa, hoặc giải trình nếu số liệu là đúng.", None),
    ]


def write_instructions(workbook: Workbook, schema: Schema, config: Config, unit: Unit) -> Worksheet:
    """Write the instruction tab as the first sheet, replacing an earlier one."""
    if schema.instructions_tab in workbook.sheetnames:
        workbook.remove(workbook[schema.instructions_tab])
    ws = workbook.create_sheet(schema.instructions_tab, 0)
    wrap = Alignment(wrap_text=True, vertical="top")
    bold = Font(name=FONT_NAME, size=11, bold=True)
    section = Font(name=FONT_NAME, size=12, bold=True, color="1F4E79")

    ws.append(["HƯỚNG DẪN NHẬP SỐ LIỆU"])
    ws["A1"].font = Font(name=FONT_NAME, size=14, bold=True, color="1F4E79")
    ws.append([config.name])
    ws["A2"].font = bold
    ws.append([f"Đơn vị: {unit.name}"])
    ws.append([f"Thời gian thực hiện: từ {_format_day(config.period_start)} đến {_format_day(config.period_end)}"])
    if config.owner:
        ws.append([f"Đơn vị chủ trì: {config.owner}"])
    for deadline in config.deadlines:
        ws.append([f"{deadline.label}: {_format_day(deadline.date)}"])
    ws.append([])

    for text, fill in _general_lines(schema):
        if fill is SECTION:
            ws.append([text])
            ws.cell(row=ws.max_row, column=1).font = section
        else:
            ws.append(["", text])
            row = ws.max_row
            cell = ws.cell(row=row, column=2)
            cell.alignment = wrap
            ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=7)
            ws.row_dimensions[row].height = 15 * (1 + len(text) // 150)
            if fill is not None:
                ws.cell(row=row, column=1).fill = fill
    ws.append([])

    ws.append(["Danh sách trang tính và cột"])
    ws.cell(row=ws.max_row, column=1).font = section
    ws.append(["Trang tính", "Cột (tiêu đề)", "Bắt buộc", "Kiểu dữ liệu", "Ví dụ giá trị đúng",
               "Giá trị được chọn", "Quy tắc kiểm tra", "Hướng dẫn"])
    table_header = ws.max_row
    for cell in ws[table_header]:
        _style_header(cell, HEADER_FONT, OPTIONAL_FILL)
    for values in _instruction_rows(schema, config, unit):
        ws.append(list(values))
        for cell in ws[ws.max_row]:
            cell.alignment = wrap
    for index, width in enumerate(_INSTRUCTION_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = None
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    return ws


# ---------------------------------------------------------------- files

def lock_files(path: Path) -> list[Path]:
    """Return the Excel (``~$NAME``) and LibreOffice (``.~lock.NAME#``) lock files beside ``path``."""
    candidates = [path.with_name(f"~${path.name}"), path.with_name(f".~lock.{path.name}#")]
    return [p for p in candidates if p.exists()]


def check_not_locked(path: Path) -> None:
    locks = lock_files(path)
    if locks:
        raise WorkbookLocked(
            f"{path.name} is open in a spreadsheet program (lock file {locks[0].name})",
            f"tệp đang được mở bằng Excel hoặc LibreOffice (có tệp khóa {locks[0].name}). "
            "Đề nghị đóng tệp rồi chạy lại lệnh.")


def open_workbook(path: Path) -> Workbook:
    """Open an existing workbook for editing, raising WorkbookUnreadable with a Vietnamese reason."""
    try:
        return load_workbook(path)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, EOFError) as exc:
        raise WorkbookUnreadable(
            f"{path.name} is not a readable .xlsx file ({type(exc).__name__})",
            "tệp bị hỏng, có đặt mật khẩu hoặc không phải định dạng Excel .xlsx. Đề nghị mở tệp bằng "
            "Excel hoặc LibreOffice, lưu lại dưới dạng Excel Workbook (.xlsx) rồi chạy lại lệnh.") from exc


def file_stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_mtime_ns, stat.st_size


def save_atomically(workbook: Workbook, path: Path, expected_stamp: tuple[int, int] | None) -> None:
    """Save through a temporary file in the same folder and rename it over ``path``.

    Raise WorkbookChanged when the file on disk is no longer the one that was read,
    and WorkbookLocked when it was opened in the meantime.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".xlsx.tmp", dir=path.parent)
    os.close(handle)
    temp = Path(temp_name)
    try:
        workbook.save(temp)
        with open(temp, "rb") as fh:
            os.fsync(fh.fileno())
        check_not_locked(path)
        if file_stamp(path) != expected_stamp:
            raise WorkbookChanged(f"{path.name} changed on disk while it was being updated",
                                  "tệp vừa được thay đổi trong lúc cập nhật. Đề nghị chạy lại lệnh.")
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def provision_xlsx(path: Path, unit: Unit, schema: Schema, config: Config) -> ProvisionReport:
    """Create ``path`` for ``unit``, or upgrade it in place if it exists."""
    path = Path(path)
    report = ProvisionReport(unit=unit.code, path=path)
    check_not_locked(path)
    stamp = file_stamp(path)
    if stamp is None:
        workbook = Workbook()
        workbook.remove(workbook.active)
        report.created = True
    else:
        workbook = open_workbook(path)
        report.formula_cells = _count_formulas(workbook)

    lists = _write_lists_tab(workbook, schema, config, unit)
    for tab in schema.tabs:
        _provision_tab(workbook, tab, schema, config, unit, lists, report, report.created)
    write_instructions(workbook, schema, config, unit)

    workbook.active = 0
    for ws in workbook.worksheets:
        ws.sheet_view.tabSelected = ws is workbook.active
    save_atomically(workbook, path, stamp)
    log.info("provisioned %s for unit %s (created=%s, tabs added=%d, columns added=%d)",
             path.name, unit.code, report.created, len(report.added_tabs), report.column_count)
    return report


def provision_all(config: Config, schema: Schema, units: Iterable[str] | None = None) -> list[ProvisionReport]:
    """Provision the workbook of every configured .xlsx unit, or of the named unit codes.

    A unit whose file is locked or unreadable gets a report with ``error`` set; the
    other units are still provisioned.
    """
    requested = list(units) if units is not None else None
    selected = [u for u in config.units if u.backend == "xlsx" and (requested is None or u.code in requested)]
    reports = []
    for unit in selected:
        path = config.workbook_path(unit)
        try:
            reports.append(provision_xlsx(path, unit, schema, config))
        except ProvisionError as exc:
            log.warning("cannot provision %s for unit %s: %s", path.name, unit.code, exc)
            reports.append(ProvisionReport(unit=unit.code, path=path, error=exc.message_vi))
    return reports

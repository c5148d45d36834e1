"""Create or upgrade one unit's Google spreadsheet from the contract schema.

The Google counterpart of ``provision.py``, with the same layout and texts: the
``Hướng dẫn`` tab first, one tab per schema tab whose header row is bold, frozen and
protected with a warning, dropdowns (communes and long lists from the hidden list
tab), dd/mm/yyyy date and ``#,##0`` money formats (shown as 1.500.000 in the vi_VN
locale), and the spreadsheet shared with the unit's contacts as writers.

Upgrading reads the spreadsheet once and sends one batchUpdate. It never writes a
staff cell's value: missing headers go into new columns inserted right of the staff
columns (``insertDimension`` moves the sync's own columns, never overwrites them),
and formats and validations change only how cells look and what a dropdown offers.
The instruction and list tabs are owned by the system and rewritten every time.

NOTE: provisioning writes as the service account, so the sync's change stamp treats it
as its own write and does not read the spreadsheet again until staff edit it.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from typing import Any

from gspread.urls import DRIVE_FILES_API_V3_URL, SPREADSHEET_BATCH_UPDATE_URL, SPREADSHEETS_API_V4_BASE_URL

from sheets_schema.config import Config, Unit
from sheets_schema.provision import (HEADER_SEARCH_ROWS, SECTION, YES_NO_CHOICES, _general_lines, _instruction_rows,
                                     _map_row, _needs_range, unit_communes)
from sheets_schema.schema import Column, Schema, Tab
from sync.backends.google import GoogleSheetsBackend
from sync.backends.google_flags import rgb
from sync.backends.google_grid import SheetGrid, SpreadsheetGrid
from sync.text import header_key

log = logging.getLogger(__name__)

HEADER_PROTECTION = "Dòng tiêu đề do hệ thống tạo; đề nghị không sửa, không xóa."
VALIDATION_ROWS = 5000  # dropdowns and formats reach at least this row
REQUIRED_FILL, OPTIONAL_FILL, EXPLANATION_FILL = "FCE4D6", "DDEBF7", "FFF2CC"
# Google number patterns always write grouping as "," and decimals as "."; the
# spreadsheet's vi_VN locale shows #,##0 as 1.500.000.
NUMBER_FORMATS = {
    "date": {"type": "DATE", "pattern": "dd/mm/yyyy"},
    "month": {"type": "DATE", "pattern": "mm/yyyy"},
    "money_vnd": {"type": "NUMBER", "pattern": "#,##0"},
    "integer": {"type": "NUMBER", "pattern": "0"},
    "phone_vn": {"type": "TEXT"},
    "national_id": {"type": "TEXT"},
}
INSTRUCTION_HEADERS = ("Trang tính", "Cột", "Bắt buộc", "Kiểu dữ liệu", "Ví dụ", "Giá trị được chọn",
                       "Hệ thống kiểm tra", "Hướng dẫn")


@dataclass
class GoogleProvisionReport:
    unit: str
    spreadsheet_id: str
    created: bool = False
    added_tabs: list[str] = field(default_factory=list)
    added_columns: list[str] = field(default_factory=list)
    shared_with: list[str] = field(default_factory=list)


def _string(text: str, fmt: dict[str, Any] | None = None) -> dict[str, Any]:
    cell: dict[str, Any] = {"userEnteredValue": {"stringValue": text}}
    if fmt:
        cell["userEnteredFormat"] = fmt
    return cell


def _header_fill(column: Column) -> str:
    if column.key == "explanation":
        return EXPLANATION_FILL
    return REQUIRED_FILL if column.required else OPTIONAL_FILL


class _Ids:
    """New sheet ids that do not collide with existing ones."""

    def __init__(self, grid: SpreadsheetGrid) -> None:
        self.used = {g.sheet_id for g in grid.sheets}
        self.next = 1000

    def take(self) -> int:
        while self.next in self.used:
            self.next += 1
        self.used.add(self.next)
        return self.next


def _find_tab(grid: SpreadsheetGrid, tab: Tab) -> SheetGrid | None:
    wanted = header_key(tab.title)
    for sheet in grid.sheets:
        if sheet.title == tab.title or header_key(sheet.title) == wanted:
            return sheet
    return None


def _locate(sheet: SheetGrid, tab: Tab, schema: Schema) -> tuple[int, dict[str, int], int]:
    """(header row, {column key: index}, last staff column), as the validator finds them."""
    needed = 2 if len(tab.columns) > 3 else 1
    best: tuple[int, dict[str, int], dict[str, int], int] | None = None
    for row_number, cells in enumerate(sheet.sheet.rows[:HEADER_SEARCH_ROWS], start=1):
        columns, sync, matches = _map_row(tab, schema, tuple(cells))
        if matches >= needed and (best is None or matches > best[3]):
            best = (row_number, columns, sync, matches)
    if best is None:
        return 1, {}, 0
    header_row, columns, sync, _ = best
    sync_positions = set(sync.values())
    last = 0
    for cells in sheet.sheet.rows:
        for index, value in enumerate(cells, start=1):
            if value not in (None, "") and index not in sync_positions and index > last:
                last = index
    return header_row, columns, last


def _lists(schema: Schema, config: Config, unit: Unit) -> tuple[list[tuple[str, list[str]]], dict[tuple[str, ...], int]]:
    """Columns of the list tab as (title, values), and the list column of each long choice list."""
    columns = [("Xã/Phường/Thị trấn", [c.name for c in unit_communes(config, unit)])]
    positions: dict[tuple[str, ...], int] = {}
    for tab in schema.tabs:
        for column in tab.columns:
            if column.type == "choice" and _needs_range(column.choices) and column.choices not in positions:
                positions[column.choices] = len(columns) + 1
                columns.append((f"{tab.title} – {column.header}", list(column.choices)))
    return columns, positions


def _column_letter(index: int) -> str:
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _rule(column: Column, schema: Schema, list_counts: dict[int, int], positions: dict[tuple[str, ...], int],
          config: Config) -> dict[str, Any] | None:
    def from_list(position: int) -> dict[str, Any]:
        letter = _column_letter(position)
        formula = f"='{schema.lists_tab}'!${letter}$2:${letter}${list_counts[position] + 1}"
        return {"type": "ONE_OF_RANGE", "values": [{"userEnteredValue": formula}]}

    if column.type == "choice":
        condition = (from_list(positions[column.choices]) if _needs_range(column.choices) else
                     {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": c} for c in column.choices]})
    elif column.type == "commune":
        condition = from_list(1)
    elif column.type == "yes_no":
        condition = {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": c} for c in YES_NO_CHOICES]}
    elif column.type == "date" and column.in_period:
        condition = {"type": "DATE_BETWEEN", "values": [
            {"userEnteredValue": config.period_start.strftime("%d/%m/%Y")},
            {"userEnteredValue": config.period_end.strftime("%d/%m/%Y")}]}
    else:
        return None
    # strict False: a value outside the list shows a warning instead of being rejected.
    return {"condition": condition, "strict": False, "showCustomUi": column.type != "date",
            "inputMessage": column.help or column.header}


def _system_tab(requests: list[dict[str, Any]], grid: SpreadsheetGrid, ids: _Ids, title: str, index: int,
                hidden: bool, rows: list[list[dict[str, Any]]], columns: int) -> None:
    """Create or empty a tab the system owns, then write ``rows`` from A1."""
    existing = grid.by_title(title)
    needed_rows = max(len(rows) + 5, 50)
    if existing is None:
        sheet_id = ids.take()
        requests.append({"addSheet": {"properties": {"sheetId": sheet_id, "title": title, "index": index,
                                                     "hidden": hidden, "gridProperties": {
                                                         "rowCount": needed_rows, "columnCount": max(columns, 8)}}}})
    else:
        sheet_id = existing.sheet_id
        if existing.row_count < needed_rows:
            requests.append({"appendDimension": {"sheetId": sheet_id, "dimension": "ROWS",
                                                 "length": needed_rows - existing.row_count}})
        if existing.column_count < columns:
            requests.append({"appendDimension": {"sheetId": sheet_id, "dimension": "COLUMNS",
                                                 "length": columns - existing.column_count}})
        requests.append({"updateCells": {"range": {"sheetId": sheet_id}, "fields": "userEnteredValue,userEnteredFormat"}})
        requests.append({"updateSheetProperties": {"properties": {"sheetId": sheet_id, "hidden": hidden},
                                                   "fields": "hidden"}})
    requests.append({"updateCells": {"start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 0},
                                     "rows": [{"values": r} for r in rows],
                                     "fields": "userEnteredValue,userEnteredFormat"}})


def _instruction_grid(schema: Schema, config: Config, unit: Unit) -> list[list[dict[str, Any]]]:
    bold = {"textFormat": {"bold": True}}
    rows: list[list[dict[str, Any]]] = [[_string(f"HƯỚNG DẪN NHẬP SỐ LIỆU — {config.name}", bold)],
                                        [_string(f"Đơn vị: {unit.name}", bold)], []]
    for text, fill in _general_lines(schema):
        if fill is SECTION:
            rows.append([_string(text, bold)])
        else:
            rows.append([_string(text)])
    rows.append([])
    rows.append([_string("Các cột của từng trang tính", bold)])
    rows.append([_string(h, {"textFormat": {"bold": True}, "backgroundColor": rgb("D9D9D9")})
                 for h in INSTRUCTION_HEADERS])
    for line in _instruction_rows(schema, config, unit):
        rows.append([_string(str(v)) if v else {} for v in line])
    return rows


def build_requests(grid: SpreadsheetGrid, schema: Schema, config: Config, unit: Unit,
                   report: GoogleProvisionReport, validation_rows: int = VALIDATION_ROWS) -> list[dict[str, Any]]:
    ids = _Ids(grid)
    requests: list[dict[str, Any]] = []
    _system_tab(requests, grid, ids, schema.instructions_tab, 0, False, _instruction_grid(schema, config, unit), 8)

    list_columns, positions = _lists(schema, config, unit)
    list_counts = {i: len(values) for i, (_, values) in enumerate(list_columns, start=1)}
    width = max(len(list_columns), 1)
    list_rows: list[list[dict[str, Any]]] = [[_string(t, {"textFormat": {"bold": True}}) for t, _ in list_columns]]
    for index in range(max(len(v) for _, v in list_columns)):
        list_rows.append([_string(values[index]) if index < len(values) else {} for _, values in list_columns])
    _system_tab(requests, grid, ids, schema.lists_tab, len(grid.sheets) + len(schema.tabs) + 2, True,
                list_rows, width)

    for position, tab in enumerate(schema.tabs, start=1):
        existing = _find_tab(grid, tab)
        if existing is None:
            sheet_id = ids.take()
            requests.append({"addSheet": {"properties": {
                "sheetId": sheet_id, "title": tab.title, "index": position,
                "gridProperties": {"rowCount": validation_rows, "columnCount": max(len(tab.columns) + 2, 26)}}}})
            report.added_tabs.append(tab.title)
            header_row, columns, last, row_count = 1, {}, 0, validation_rows
            protected = False
        else:
            sheet_id = existing.sheet_id
            header_row, columns, last = _locate(existing, tab, schema)
            row_count = existing.row_count
            protected = any(p.get("description") == HEADER_PROTECTION for p in existing.protected_ranges)
            if row_count < validation_rows:
                requests.append({"appendDimension": {"sheetId": sheet_id, "dimension": "ROWS",
                                                     "length": validation_rows - row_count}})
                row_count = validation_rows
        missing = [c for c in tab.columns if c.key not in columns]
        if missing:
            # New columns go right of the staff columns; the sync's own columns move right with insertDimension.
            requests.append({"insertDimension": {"range": {"sheetId": sheet_id, "dimension": "COLUMNS",
                                                           "startIndex": last, "endIndex": last + len(missing)},
                                                 "inheritFromBefore": last > 0}})
            for offset, column in enumerate(missing, start=1):
                columns[column.key] = last + offset
                if existing is not None:
                    report.added_columns.append(f"{tab.title}: {column.header}")
            requests.append({"updateCells": {
                "start": {"sheetId": sheet_id, "rowIndex": header_row - 1, "columnIndex": last},
                "rows": [{"values": [_string(c.sheet_header) for c in missing]}], "fields": "userEnteredValue"}})
        for column in tab.columns:
            index = columns[column.key] - 1
            requests.append({"repeatCell": {
                "range": {"sheetId": sheet_id, "startRowIndex": header_row - 1, "endRowIndex": header_row,
                          "startColumnIndex": index, "endColumnIndex": index + 1},
                "cell": {"userEnteredFormat": {"backgroundColor": rgb(_header_fill(column)),
                                               "textFormat": {"bold": True}, "wrapStrategy": "WRAP"}},
                "fields": "userEnteredFormat.backgroundColor,userEnteredFormat.textFormat.bold,"
                          "userEnteredFormat.wrapStrategy"}})
            body_range = {"sheetId": sheet_id, "startRowIndex": header_row, "endRowIndex": row_count,
                          "startColumnIndex": index, "endColumnIndex": index + 1}
            number_format = NUMBER_FORMATS.get(column.type)
            if number_format:
                requests.append({"repeatCell": {"range": body_range,
                                                "cell": {"userEnteredFormat": {"numberFormat": number_format}},
                                                "fields": "userEnteredFormat.numberFormat"}})
            rule = _rule(column, schema, list_counts, positions, config)
            if rule:
                requests.append({"setDataValidation": {"range": body_range, "rule": rule}})
        requests.append({"updateSheetProperties": {"properties": {"sheetId": sheet_id, "gridProperties": {
            "frozenRowCount": header_row}}, "fields": "gridProperties.frozenRowCount"}})
        if not protected:
            requests.append({"addProtectedRange": {"protectedRange": {
                "range": {"sheetId": sheet_id, "startRowIndex": header_row - 1, "endRowIndex": header_row},
                "description": HEADER_PROTECTION, "warningOnly": True}}})
    return requests


def provision_google(backend: GoogleSheetsBackend, unit: Unit, schema: Schema, config: Config,
                     validation_rows: int = VALIDATION_ROWS) -> GoogleProvisionReport:
    """Create the unit's spreadsheet (when ``unit.location`` is empty) or upgrade it.

    A new spreadsheet's id is in the report; put it in the ``location`` column of
    units.csv with ``backend`` set to ``google``.
    """
    spreadsheet_id = unit.location
    created = False
    if not spreadsheet_id:
        body = {"properties": {"title": f"{config.short_name} – {unit.name}", "locale": "vi_VN",
                               "timeZone": config.timezone},
                "sheets": [{"properties": {"title": schema.instructions_tab, "sheetId": 0}}]}
        reply = backend.request("write", f"create spreadsheet for {unit.code}", "post", SPREADSHEETS_API_V4_BASE_URL,
                                 body=body)
        spreadsheet_id = reply["spreadsheetId"]
        created = True
        log.info("created spreadsheet %s for %s", spreadsheet_id, unit.code)
    report = GoogleProvisionReport(unit=unit.code, spreadsheet_id=spreadsheet_id, created=created)
    target = dataclasses.replace(unit, location=spreadsheet_id)
    grid = backend.read_grid(target)
    requests = build_requests(grid, schema, config, target, report, validation_rows)
    backend.request("write", f"provision {unit.code}", "post", SPREADSHEET_BATCH_UPDATE_URL % spreadsheet_id,
                     body={"requests": requests})

    listing = backend.request("drive", f"permissions of {unit.code}", "get",
                               f"{DRIVE_FILES_API_V3_URL}/{spreadsheet_id}/permissions",
                               params={"fields": "permissions(id,emailAddress,role)", "supportsAllDrives": "true"})
    present = {str(p.get("emailAddress", "")).lower() for p in listing.get("permissions") or []}
    for email in unit.contact_emails:
        if email.lower() in present:
            continue
        backend.request("drive", f"share with contact of {unit.code}", "post",
                         f"{DRIVE_FILES_API_V3_URL}/{spreadsheet_id}/permissions",
                         params={"sendNotificationEmail": "true", "supportsAllDrives": "true"},
                         body={"type": "user", "role": "writer", "emailAddress": email})
        report.shared_with.append(email)
    return report

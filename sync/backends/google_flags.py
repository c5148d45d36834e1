"""Build the one `spreadsheets:batchUpdate` that writes a unit's flags into Google Sheets.

The batch touches only what the sync owns: the two status columns (text written as
``userEnteredValue.stringValue``, so it is never parsed as a formula or number), the
background colour and note of flagged staff cells, and the summary tab. It clears
earlier flags first: every cell of the status columns below the header, and fills
and notes on staff cells that carry our colours or our note prefix.

Rows can move between the read and the write. ``remap_tab`` takes the state Google
returned after the write and moves each row's flags to the row that now contains the
same staff values; rows whose values changed get no flags until the next read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sync.backends.google_grid import SheetGrid, SpreadsheetGrid, staff_rows
from sync.flags import ERROR_FILL, SUMMARY_HEADERS, VALID_FILL, WARNING_FILL, CellFlag, FlagPlan, TabFlags

# Notes the sync writes start with this text, so a later run can tell them from staff notes.
NOTE_PREFIX = "Kiểm tra tự động: "
HEADER_FILL = "D9D9D9"
SUMMARY_TAB_COLOR = "C00000"
SUMMARY_WIDTHS = (170, 50, 170, 70, 180, 150, 700, 90)  # pixels
SUMMARY_PROTECTION = "Trang do hệ thống tạo lại sau mỗi lần đồng bộ; đề nghị không nhập số liệu vào đây."
_COLOR_TOLERANCE = 0.01


def rgb(hex_color: str) -> dict[str, float]:
    return {"red": int(hex_color[0:2], 16) / 255, "green": int(hex_color[2:4], 16) / 255,
            "blue": int(hex_color[4:6], 16) / 255}


OUR_COLORS = tuple(tuple(rgb(c).values()) for c in (ERROR_FILL, WARNING_FILL, VALID_FILL))


def is_our_color(color: tuple[float, float, float] | None) -> bool:
    if color is None:
        return False
    return any(all(abs(a - b) <= _COLOR_TOLERANCE for a, b in zip(color, ours)) for ours in OUR_COLORS)


def is_our_note(note: str | None) -> bool:
    return bool(note) and str(note).startswith(NOTE_PREFIX)


def _severity_fill(severity: str) -> dict[str, float]:
    return rgb({"error": ERROR_FILL, "warning": WARNING_FILL}.get(severity, VALID_FILL))


@dataclass
class TabWrite:
    """The flags of one tab, at positions that match ``grid``."""

    grid: SheetGrid
    header_row: int
    status_column: int
    details_column: int
    statuses: dict[int, tuple[str, str, str]] = field(default_factory=dict)
    cells: list[CellFlag] = field(default_factory=list)
    # True when the staff columns may have moved: then only our fills and notes are
    # cleared, and no cell value is written, so no staff cell can be overwritten.
    clear_only: bool = False

    @classmethod
    def from_plan(cls, tab: TabFlags, grid: SheetGrid) -> "TabWrite":
        return cls(grid=grid, header_row=tab.layout.header_row, status_column=tab.status_column,
                   details_column=tab.details_column, statuses=dict(tab.statuses), cells=list(tab.cells))

    @property
    def sync_columns(self) -> set[int]:
        return {self.status_column, self.details_column}


@dataclass
class SummaryWrite:
    title: str
    rows: list[tuple[object, ...]]
    sheet_id: int
    exists: bool
    protected: bool
    row_count: int = 0
    column_count: int = 0


def summary_sheet_id(grid: SpreadsheetGrid) -> int:
    """Return a sheet id for a new summary tab: stable for a spreadsheet and unused in it."""
    used = {g.sheet_id for g in grid.sheets}
    candidate = int(hashlib.sha256(f"{grid.spreadsheet_id}|summary".encode()).hexdigest()[:7], 16) + 1
    while candidate in used:
        candidate += 1
    return candidate


def summary_for(plan: FlagPlan, grid: SpreadsheetGrid) -> SummaryWrite:
    existing = grid.by_title(plan.summary_title)
    if existing is None:
        return SummaryWrite(plan.summary_title, plan.summary_rows, summary_sheet_id(grid), exists=False, protected=False)
    protected = any(p.get("warningOnly") for p in existing.protected_ranges)
    return SummaryWrite(plan.summary_title, plan.summary_rows, existing.sheet_id, exists=True, protected=protected,
                        row_count=existing.row_count, column_count=existing.column_count)


def _string_cell(text: str, fmt: dict[str, Any] | None = None) -> dict[str, Any]:
    cell: dict[str, Any] = {"userEnteredValue": {"stringValue": text}}
    if fmt:
        cell["userEnteredFormat"] = fmt
    return cell


def _update_cells(sheet_id: int, row: int, column: int, rows: list[list[dict[str, Any]]], fields: str) -> dict[str, Any]:
    """updateCells starting at a 1-based (row, column)."""
    return {"updateCells": {"start": {"sheetId": sheet_id, "rowIndex": row - 1, "columnIndex": column - 1},
                            "rows": [{"values": values} for values in rows], "fields": fields}}


def _clear_range(sheet_id: int, first_row: int, column: int, fields: str) -> dict[str, Any]:
    """Clear ``fields`` in one column from a 1-based row to the end of the sheet."""
    return {"updateCells": {"range": {"sheetId": sheet_id, "startRowIndex": first_row - 1,
                                      "startColumnIndex": column - 1, "endColumnIndex": column},
                            "fields": fields}}


def tab_requests(tab: TabWrite, status_header: str, details_header: str) -> list[dict[str, Any]]:
    grid = tab.grid
    sheet_id = grid.sheet_id
    if tab.clear_only:
        return _stale_requests(tab, set())
    # NOTE: the status columns are written at the positions read. If staff insert a column
    # between the read and this write, the check after the write sees the shift and stops
    # writing values, but this first write may already have replaced the last staff column.
    requests: list[dict[str, Any]] = []
    needed_columns = max(tab.status_column, tab.details_column)
    if needed_columns > grid.column_count:
        requests.append({"appendDimension": {"sheetId": sheet_id, "dimension": "COLUMNS",
                                             "length": needed_columns - grid.column_count}})
    header_format = {"backgroundColor": rgb(HEADER_FILL), "textFormat": {"bold": True}, "wrapStrategy": "WRAP"}
    header_fields = ("userEnteredValue,userEnteredFormat.backgroundColor,userEnteredFormat.textFormat.bold,"
                     "userEnteredFormat.wrapStrategy")
    for column, text in ((tab.status_column, status_header), (tab.details_column, details_header)):
        # Our header text above the header row comes from a write that landed just before
        # staff inserted rows above the header. Nothing else above the header is cleared.
        for row, line in enumerate(grid.sheet.rows[:tab.header_row - 1], start=1):
            if len(line) >= column and line[column - 1] == text:
                requests.append(_update_cells(sheet_id, row, column, [[{}]],
                                              "userEnteredValue,userEnteredFormat.backgroundColor,"
                                              "userEnteredFormat.textFormat.bold,userEnteredFormat.wrapStrategy"))
        requests.append(_update_cells(sheet_id, tab.header_row, column, [[_string_cell(text, header_format)]],
                                      header_fields))
        requests.append(_clear_range(sheet_id, tab.header_row + 1, column,
                                     "userEnteredValue,userEnteredFormat.backgroundColor,note"))

    flagged: dict[tuple[int, int], list[CellFlag]] = {}
    for flag in tab.cells:
        flagged.setdefault((flag.row, flag.column), []).append(flag)

    requests.extend(_stale_requests(tab, set(flagged)))

    for row, (status, details, severity) in sorted(tab.statuses.items()):
        status_cell = _string_cell(status, {"backgroundColor": _severity_fill(severity)})
        details_cell = _string_cell(details, {"wrapStrategy": "WRAP"}) if details else {}
        fields = "userEnteredValue,userEnteredFormat.backgroundColor,userEnteredFormat.wrapStrategy"
        if tab.details_column == tab.status_column + 1:
            requests.append(_update_cells(sheet_id, row, tab.status_column, [[status_cell, details_cell]], fields))
        else:
            requests.append(_update_cells(sheet_id, row, tab.status_column, [[status_cell]], fields))
            requests.append(_update_cells(sheet_id, row, tab.details_column, [[details_cell]], fields))

    for (row, column), flags in sorted(flagged.items()):
        severity = "error" if any(f.severity == "error" for f in flags) else "warning"
        cell: dict[str, Any] = {"userEnteredFormat": {"backgroundColor": _severity_fill(severity)}}
        fields = "userEnteredFormat.backgroundColor"
        existing_note = grid.notes.get((row, column))
        if existing_note is None or is_our_note(existing_note):
            cell["note"] = NOTE_PREFIX + "\n".join(f.note for f in flags)
            fields += ",note"
        requests.append(_update_cells(sheet_id, row, column, [[cell]], fields))
    return requests


def _stale_requests(tab: TabWrite, keep: set[tuple[int, int]]) -> list[dict[str, Any]]:
    """Clear earlier flags on staff cells (our fills, our notes) outside ``keep``."""
    grid = tab.grid
    stale = set()
    for key, color in grid.backgrounds.items():
        if key[0] > tab.header_row and key[1] not in tab.sync_columns and is_our_color(color):
            stale.add(key)
    for key, note in grid.notes.items():
        if key[0] > tab.header_row and key[1] not in tab.sync_columns and is_our_note(note):
            stale.add(key)
    requests = []
    for row, column in sorted(stale - keep):
        fields = []
        if is_our_color(grid.backgrounds.get((row, column))):
            fields.append("userEnteredFormat.backgroundColor")
        if is_our_note(grid.notes.get((row, column))):
            fields.append("note")
        requests.append(_update_cells(grid.sheet_id, row, column, [[{}]], ",".join(fields)))
    return requests


def summary_requests(summary: SummaryWrite, timezone: str, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    moment = (now or dt.datetime.now(dt.timezone.utc)).astimezone(ZoneInfo(timezone))
    needed_rows = len(summary.rows) + 2
    needed_columns = len(SUMMARY_HEADERS)
    requests: list[dict[str, Any]] = []
    if not summary.exists:
        requests.append({"addSheet": {"properties": {
            "sheetId": summary.sheet_id, "title": summary.title, "tabColor": rgb(SUMMARY_TAB_COLOR),
            "gridProperties": {"rowCount": max(needed_rows, 100), "columnCount": needed_columns,
                               "frozenRowCount": 2}}}})
        for index, width in enumerate(SUMMARY_WIDTHS):
            requests.append({"updateDimensionProperties": {
                "range": {"sheetId": summary.sheet_id, "dimension": "COLUMNS", "startIndex": index, "endIndex": index + 1},
                "properties": {"pixelSize": width}, "fields": "pixelSize"}})
    else:
        if needed_rows > summary.row_count:
            requests.append({"appendDimension": {"sheetId": summary.sheet_id, "dimension": "ROWS",
                                                 "length": needed_rows - summary.row_count}})
        if needed_columns > summary.column_count:
            requests.append({"appendDimension": {"sheetId": summary.sheet_id, "dimension": "COLUMNS",
                                                 "length": needed_columns - summary.column_count}})
        requests.append({"updateCells": {"range": {"sheetId": summary.sheet_id},
                                         "fields": "userEnteredValue,userEnteredFormat,note"}})
    if not summary.protected:
        requests.append({"addProtectedRange": {"protectedRange": {
            "range": {"sheetId": summary.sheet_id}, "description": SUMMARY_PROTECTION, "warningOnly": True}}})

    errors = sum(1 for r in summary.rows if r[3] == "Lỗi")
    warnings = len(summary.rows) - errors
    title = (f"TỔNG HỢP LỖI — cập nhật lúc {moment:%H:%M} ngày {moment:%d/%m/%Y}: {errors} lỗi, "
             f"{warnings} cảnh báo. Trang này do hệ thống tạo lại sau mỗi lần đồng bộ; đề nghị không nhập số liệu vào đây.")
    bold = {"textFormat": {"bold": True}}
    grid_rows: list[list[dict[str, Any]]] = [[_string_cell(title, bold)]]
    grid_rows.append([_string_cell(h, {"textFormat": {"bold": True}, "backgroundColor": rgb(HEADER_FILL)})
                      for h in SUMMARY_HEADERS])
    for values in summary.rows:
        line: list[dict[str, Any]] = []
        for index, value in enumerate(values):
            cell: dict[str, Any] = {}
            if isinstance(value, bool):
                cell = _string_cell("Có" if value else "")
            elif isinstance(value, (int, float)):
                cell = {"userEnteredValue": {"numberValue": value}}
            elif value not in (None, ""):
                cell = _string_cell(str(value))
            if index == 3:
                cell.setdefault("userEnteredFormat", {})["backgroundColor"] = _severity_fill(
                    "error" if values[3] == "Lỗi" else "warning")
            line.append(cell)
        grid_rows.append(line)
    requests.append({"updateCells": {"start": {"sheetId": summary.sheet_id, "rowIndex": 0, "columnIndex": 0},
                                     "rows": [{"values": line} for line in grid_rows],
                                     "fields": "userEnteredValue,userEnteredFormat.backgroundColor,"
                                               "userEnteredFormat.textFormat.bold"}})
    return requests


def remap_tab(tab: TabWrite, before: SheetGrid, after: SheetGrid) -> TabWrite:
    """Move the tab's flags from ``before``'s rows to the rows of ``after`` that hold the
    same staff values (the k-th copy of a row goes to the k-th copy). Rows with no
    match lose their flags; if the header row has no match, no flag is kept."""
    skip = tab.sync_columns
    old_rows = staff_rows(before, skip)
    new_positions: dict[tuple[Any, ...], deque[int]] = {}
    for row, content in sorted(staff_rows(after, skip).items()):
        new_positions.setdefault(content, deque()).append(row)
    moved: dict[int, int] = {}
    for row, content in sorted(old_rows.items()):
        queue = new_positions.get(content)
        if queue:
            moved[row] = queue.popleft()
    header = moved.get(tab.header_row)
    if header is None:
        return TabWrite(grid=after, header_row=tab.header_row, status_column=tab.status_column,
                        details_column=tab.details_column, clear_only=True)
    statuses = {moved[row]: value for row, value in tab.statuses.items() if row in moved}
    cells = [CellFlag(row=moved[f.row], column=f.column, severity=f.severity, note=f.note)
             for f in tab.cells if f.row in moved]
    return TabWrite(grid=after, header_row=header, status_column=tab.status_column,
                    details_column=tab.details_column, statuses=statuses, cells=cells)



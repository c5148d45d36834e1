"""Build the one `spreadsheets:batchUpdate` that writes a unit's flags into Google Sheets.

The batch touches only what the sync owns: the two status columns (text written as
``userEnteredValue.stringValue``, so it is never parsed as a formula or number), the
background colour and note of flagged staff cells, and the summary tab. It clears
earlier flags first: every cell of the status columns below the header, and fills
and notes on staff cells that carry our colours or our note prefix.

Rows and columns can move between the read and the write. ``repair_tab`` takes the
state Google returned after the write and puts back every staff cell the write
reached by mistake. It moves each flag to the row that now contains the same staff
values and to the column its header moved to. Rows whose values changed get no flags
until the next read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sync.backends.google_grid import SheetGrid, SpreadsheetGrid, align_sheets
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
    # The batch addresses cells by position, as read. When staff insert or delete columns
    # or rows before it arrives, it lands on other cells, including staff cells, so the
    # backend then puts those cells back from the read with ``repair_tab``.
    # NOTE: a batch request cannot check that a column is still where it was read, so
    # the overwrite cannot be ruled out, only undone afterwards.
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


# The cell fields the write-back sets on a tab; ``repair_tab`` puts back exactly these.
RESTORABLE_FIELDS = ("userEnteredValue", "userEnteredFormat.backgroundColor", "userEnteredFormat.textFormat.bold",
                     "userEnteredFormat.wrapStrategy", "note")


def written_cells(requests: list[dict[str, Any]],
                  row_counts: dict[int, int]) -> dict[int, dict[tuple[int, int], frozenset[str]]]:
    """Collect the cells each ``updateCells`` request of a batch set, per sheet id, with the fields set.

    A request given as a range without an end row reaches the last row of the grid,
    taken from ``row_counts`` (sheet id to row count after the batch).
    """
    result: dict[int, dict[tuple[int, int], frozenset[str]]] = {}
    for request in requests:
        update = request.get("updateCells")
        if update is None:
            continue
        fields = frozenset(f for f in str(update.get("fields", "")).split(",") if f)
        if "range" in update:
            grid_range = update["range"]
            sheet_id = int(grid_range.get("sheetId", 0))
            if sheet_id not in row_counts or "startColumnIndex" not in grid_range:
                continue
            first_row = int(grid_range.get("startRowIndex", 0)) + 1
            last_row = int(grid_range.get("endRowIndex", row_counts[sheet_id]))
            columns = range(int(grid_range["startColumnIndex"]) + 1, int(grid_range["endColumnIndex"]) + 1)
            positions = [(row, column) for row in range(first_row, last_row + 1) for column in columns]
        else:
            start = update["start"]
            sheet_id = int(start.get("sheetId", 0))
            first_row, first_column = int(start.get("rowIndex", 0)) + 1, int(start.get("columnIndex", 0)) + 1
            positions = [(first_row + i, first_column + j) for i, line in enumerate(update.get("rows") or [])
                         for j, _ in enumerate(line.get("values") or [])]
        cells = result.setdefault(sheet_id, {})
        for position in positions:
            cells[position] = cells.get(position, frozenset()) | fields
    return result


@dataclass
class TabRepair:
    """A tab's flags moved to where its rows and columns are now, and the requests that
    first put back every cell the previous batch should not have changed."""

    tab: TabWrite
    requests: list[dict[str, Any]]


def repair_tab(tab: TabWrite, after: SheetGrid, written: dict[tuple[int, int], frozenset[str]]) -> TabRepair:
    """Compare the tab as the batch was built (``tab.grid``) with the tab after it.

    Staff may have inserted, deleted or sorted rows or columns before the batch
    arrived, so the batch, addressed by position, can have landed on other cells:
    status columns on the last staff columns, fills and notes on other staff cells.
    Every cell in ``written`` gets back the fields the batch set, as the cell now at
    that place had them in ``tab.grid``. A cell that did not exist then (staff
    inserted its row or column) is cleared in those fields, and so is a cell of our
    old sync columns. The flags move with their rows and columns, and the sync
    columns with the columns they were in.

    NOTE: a value, note or colour that staff typed between the read and the batch into
    a cell the batch overwrote is not known, so that edit is lost (the cell gets what
    it had at the read, or nothing).
    """
    before = tab.grid
    written_values = {position for position, fields in written.items() if "userEnteredValue" in fields}
    alignment = align_sheets(before, after, tab.header_row, tab.sync_columns, written_values)
    rows, columns = alignment.rows, alignment.columns
    row_origins, column_origins = alignment.row_origins(), alignment.column_origins()

    staff_images = [new for old, new in columns.items() if old not in tab.sync_columns and old <= _last_staff(tab)]
    status = columns.get(tab.status_column) or max(staff_images, default=0) + 1
    details = columns.get(tab.details_column) or status + 1
    if details == status:
        details = status + 1
    header = alignment.header_row

    grid = _copy_grid(after)
    targets: dict[tuple[int, int], tuple[frozenset[str], dict[str, Any]]] = {}
    for (row, column), fields in written.items():
        fields = fields & frozenset(RESTORABLE_FIELDS)
        if not fields:
            continue
        if header is not None and column in (status, details) and row >= header:
            continue  # rewritten in full by the flags that follow
        old_row, old_column = row_origins.get(row), column_origins.get(column)
        if old_row is None or old_column is None or old_column in tab.sync_columns:
            source: dict[str, Any] = {}
            value = None
        else:
            source = before.cells.get((old_row, old_column), {})
            value = _value_at(before, old_row, old_column)
        target = _project(source, fields)
        if target == _project(after.cells.get((row, column), {}), fields):
            continue
        targets[(row, column)] = (fields, target)
        _apply(grid, row, column, fields, target, source, value)

    requests = _restore_requests(after.sheet_id, targets)
    if header is None:
        moved = TabWrite(grid=grid, header_row=tab.header_row, status_column=tab.status_column,
                         details_column=tab.details_column, clear_only=True)
        return TabRepair(moved, requests)
    statuses = {rows[row]: value for row, value in tab.statuses.items() if row in rows}
    cells = [CellFlag(row=rows[f.row], column=columns[f.column], severity=f.severity, note=f.note)
             for f in tab.cells if f.row in rows and f.column in columns]
    moved = TabWrite(grid=grid, header_row=header, status_column=status, details_column=details,
                     statuses=statuses, cells=cells)
    return TabRepair(moved, requests)


def _last_staff(tab: TabWrite) -> int:
    """Return the rightmost column left of the sync columns."""
    return min(tab.sync_columns) - 1


def _value_at(grid: SheetGrid, row: int, column: int) -> Any:
    rows = grid.sheet.rows
    if row > len(rows) or column > len(rows[row - 1]):
        return None
    return rows[row - 1][column - 1]


def _project(cell: dict[str, Any], fields: frozenset[str]) -> dict[str, Any]:
    """Return the parts of a CellData object that ``fields`` name, as an updateCells cell."""
    result: dict[str, Any] = {}
    if "userEnteredValue" in fields and cell.get("userEnteredValue"):
        result["userEnteredValue"] = cell["userEnteredValue"]
    source_format = cell.get("userEnteredFormat") or {}
    cell_format: dict[str, Any] = {}
    if "userEnteredFormat.backgroundColor" in fields and source_format.get("backgroundColor"):
        cell_format["backgroundColor"] = source_format["backgroundColor"]
    bold = (source_format.get("textFormat") or {}).get("bold")
    if "userEnteredFormat.textFormat.bold" in fields and bold is not None:
        cell_format["textFormat"] = {"bold": bold}
    if "userEnteredFormat.wrapStrategy" in fields and source_format.get("wrapStrategy"):
        cell_format["wrapStrategy"] = source_format["wrapStrategy"]
    if cell_format:
        result["userEnteredFormat"] = cell_format
    if "note" in fields and cell.get("note"):
        result["note"] = cell["note"]
    return result


def _copy_grid(grid: SheetGrid) -> SheetGrid:
    sheet = dataclasses.replace(grid.sheet, rows=[list(line) for line in grid.sheet.rows])
    return dataclasses.replace(grid, sheet=sheet, notes=dict(grid.notes), backgrounds=dict(grid.backgrounds),
                               cells={key: dict(cell) for key, cell in grid.cells.items()})


def _apply(grid: SheetGrid, row: int, column: int, fields: frozenset[str], target: dict[str, Any],
           source: dict[str, Any], value: Any) -> None:
    """Record in ``grid`` what the restore request sets, so the next batch is built on it."""
    cell = grid.cells.setdefault((row, column), {})
    if "userEnteredValue" in fields:
        for key in ("userEnteredValue", "effectiveValue", "formattedValue", "effectiveFormat"):
            cell.pop(key, None)
            if key in source:
                cell[key] = source[key]
        rows = grid.sheet.rows
        while len(rows) < row:
            rows.append([])
        line = rows[row - 1]
        if len(line) < column:
            line.extend([None] * (column - len(line)))
        line[column - 1] = value
    if "note" in fields:
        cell.pop("note", None)
        grid.notes.pop((row, column), None)
        if target.get("note"):
            cell["note"] = target["note"]
            grid.notes[(row, column)] = str(target["note"])
    cell_format = dict(cell.get("userEnteredFormat") or {})
    target_format = target.get("userEnteredFormat") or {}
    for name, key in (("userEnteredFormat.backgroundColor", "backgroundColor"),
                      ("userEnteredFormat.textFormat.bold", "textFormat"),
                      ("userEnteredFormat.wrapStrategy", "wrapStrategy")):
        if name in fields:
            cell_format.pop(key, None)
            if key in target_format:
                cell_format[key] = target_format[key]
    cell["userEnteredFormat"] = cell_format
    if "userEnteredFormat.backgroundColor" in fields:
        grid.backgrounds.pop((row, column), None)
        color = target_format.get("backgroundColor")
        if color:
            grid.backgrounds[(row, column)] = (float(color.get("red", 0)), float(color.get("green", 0)),
                                               float(color.get("blue", 0)))


def _restore_requests(sheet_id: int,
                      targets: dict[tuple[int, int], tuple[frozenset[str], dict[str, Any]]]) -> list[dict[str, Any]]:
    """Build one updateCells per run of adjacent cells in a column that need the same fields."""
    requests: list[dict[str, Any]] = []
    run: list[tuple[int, int, frozenset[str], dict[str, Any]]] = []

    def flush() -> None:
        if run:
            row, column, fields, _ = run[0]
            requests.append(_update_cells(sheet_id, row, column, [[cell] for *_, cell in run],
                                          ",".join(sorted(fields))))
            run.clear()

    for (row, column), (fields, target) in sorted(targets.items(), key=lambda item: (item[0][1], item[0][0])):
        if run and (column != run[-1][1] or row != run[-1][0] + 1 or fields != run[-1][2]):
            flush()
        run.append((row, column, fields, target))
    flush()
    return requests

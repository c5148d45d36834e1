"""Parse a `spreadsheets.get` response (grid data with a field mask) into typed rows.

One request returns, per cell, the effective value, the formatted value and the
effective number format, so types survive without gspread's ``numericise``: text stays
text (``"0912345678"`` keeps its zero), a number becomes a date only when its cell has
a DATE, DATE_TIME or TIME format, a formula error becomes a FormulaError and a number
shown in scientific notation becomes a Scientific marker, as the .xlsx reader does.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sync.cells import FormulaError, Scientific
from sync.model import RawSheet, RawWorkbook

log = logging.getLogger(__name__)

EPOCH = dt.datetime(1899, 12, 30)

# Cell fields the reader needs; the same mask serves the read and the check after a write.
# The userEnteredFormat parts are every format field the write-back sets, so a cell it
# overwrote by mistake can be put back from the read (see ``repair_tab`` in google_flags).
CELL_FIELDS = ("effectiveValue,userEnteredValue,formattedValue,effectiveFormat.numberFormat,"
               "userEnteredFormat.backgroundColor,userEnteredFormat.textFormat.bold,"
               "userEnteredFormat.wrapStrategy,note")
SPREADSHEET_FIELDS = (
    "spreadsheetId,properties(title,locale,timeZone),"
    "sheets(properties(sheetId,title,index,hidden,gridProperties(rowCount,columnCount,frozenRowCount)),"
    "merges,protectedRanges(protectedRangeId,range,warningOnly,description),"
    f"data(startRow,startColumn,rowData(values({CELL_FIELDS}))))"
)

# ErrorValue.type as the Sheets API names it, and the text a cell shows.
ERROR_TEXTS = {
    "ERROR": "#ERROR!", "NULL_VALUE": "#NULL!", "DIVIDE_BY_ZERO": "#DIV/0!", "VALUE": "#VALUE!",
    "REF": "#REF!", "NAME": "#NAME?", "NUM": "#NUM!", "N_A": "#N/A", "LOADING": "#GETTING_DATA",
}
DATE_TYPES = frozenset({"DATE", "DATE_TIME", "TIME"})


@dataclass
class SheetGrid:
    """One tab as read, with what the writer needs besides the values."""

    sheet: RawSheet
    row_count: int
    column_count: int
    hidden: bool = False
    notes: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, column), 1-based
    backgrounds: dict[tuple[int, int], tuple[float, float, float]] = field(default_factory=dict)
    protected_ranges: list[dict[str, Any]] = field(default_factory=list)
    # Each non-empty cell as the API returned it (CELL_FIELDS only), (row, column), 1-based.
    cells: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return self.sheet.title

    @property
    def sheet_id(self) -> int:
        return int(self.sheet.sheet_id or 0)


@dataclass
class SpreadsheetGrid:
    spreadsheet_id: str
    title: str
    locale: str | None
    time_zone: str | None
    sheets: list[SheetGrid]

    def by_title(self, title: str) -> SheetGrid | None:
        for grid in self.sheets:
            if grid.title == title:
                return grid
        return None

    def workbook(self, unit: str, stamp: str | None) -> RawWorkbook:
        return RawWorkbook(unit=unit, sheets=[g.sheet for g in self.sheets], source=self.spreadsheet_id,
                           modified=stamp, locale=self.locale, time_zone=self.time_zone)


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("unknown time zone %r in spreadsheet properties; date-times are kept as shown", name)
        return None


def format_scientific(value: float) -> str:
    mantissa, exponent = f"{value:.2E}".split("E")
    return f"{mantissa}E+{int(exponent):02d}" if int(exponent) >= 0 else f"{value:.2E}"


def serial_to_datetime(serial: float) -> dt.datetime:
    """Convert a serial number (days since 1899-12-30, fraction = time of day) to a naive datetime."""
    return EPOCH + dt.timedelta(days=float(serial))


class CellConverter:
    """Converts CellData objects to the values the validator expects.

    A DATE_TIME is a wall-clock time in the spreadsheet's time zone. When that zone
    differs from the programme's, the value is converted to the programme's zone.
    """

    def __init__(self, sheet_zone: str | None, programme_zone: str | None) -> None:
        self.sheet_zone = _zone(sheet_zone)
        self.programme_zone = _zone(programme_zone)

    def convert(self, cell: dict[str, Any]) -> Any:
        effective = cell.get("effectiveValue")
        if not effective:
            return None
        if "errorValue" in effective:
            kind = effective["errorValue"].get("type", "ERROR")
            shown = cell.get("formattedValue")
            if kind != "ERROR" and kind in ERROR_TEXTS:
                return FormulaError(ERROR_TEXTS[kind])
            return FormulaError(shown if isinstance(shown, str) and shown.startswith("#") else "#ERROR!")
        if "stringValue" in effective:
            text = effective["stringValue"]
            return text if text != "" else None
        if "boolValue" in effective:
            return bool(effective["boolValue"])
        if "numberValue" in effective:
            return self._number(effective["numberValue"], cell)
        return None

    def _number(self, number: Any, cell: dict[str, Any]) -> Any:
        number_format = (cell.get("effectiveFormat") or {}).get("numberFormat") or {}
        kind = number_format.get("type")
        pattern = str(number_format.get("pattern", ""))
        if not isinstance(number, (int, float)) or isinstance(number, bool) or (
                isinstance(number, float) and (math.isnan(number) or math.isinf(number))):
            return number
        if kind in DATE_TYPES:
            try:
                moment = serial_to_datetime(number)
            except OverflowError:
                return number
            if kind == "DATE":
                return moment.date()
            if kind == "TIME":
                return moment.time()
            return self._to_programme_zone(moment)
        if kind == "SCIENTIFIC" or "E+" in pattern.upper() or "E-" in pattern.upper():
            return Scientific(float(number), format_scientific(float(number)))
        return number

    def _to_programme_zone(self, moment: dt.datetime) -> dt.datetime:
        if self.sheet_zone is None or self.programme_zone is None or self.sheet_zone == self.programme_zone:
            return moment
        return moment.replace(tzinfo=self.sheet_zone).astimezone(self.programme_zone).replace(tzinfo=None)


def _color(value: dict[str, Any] | None) -> tuple[float, float, float] | None:
    if not value:
        return None
    return (float(value.get("red", 0)), float(value.get("green", 0)), float(value.get("blue", 0)))


def parse_sheet(sheet_json: dict[str, Any], converter: CellConverter) -> SheetGrid:
    properties = sheet_json.get("properties") or {}
    grid_properties = properties.get("gridProperties") or {}
    title = str(properties.get("title", ""))
    rows: dict[int, list[Any]] = {}
    notes: dict[tuple[int, int], str] = {}
    backgrounds: dict[tuple[int, int], tuple[float, float, float]] = {}
    cells: dict[tuple[int, int], dict[str, Any]] = {}
    for block in sheet_json.get("data") or []:
        start_row = int(block.get("startRow", 0))
        start_col = int(block.get("startColumn", 0))
        for row_offset, row_data in enumerate(block.get("rowData") or []):
            row_number = start_row + row_offset + 1
            for col_offset, cell in enumerate((row_data or {}).get("values") or []):
                if not cell:
                    continue
                col_number = start_col + col_offset + 1
                cells[(row_number, col_number)] = cell
                value = converter.convert(cell)
                if value is not None:
                    line = rows.setdefault(row_number, [])
                    if len(line) < col_number:
                        line.extend([None] * (col_number - len(line)))
                    line[col_number - 1] = value
                if cell.get("note"):
                    notes[(row_number, col_number)] = str(cell["note"])
                color = _color((cell.get("userEnteredFormat") or {}).get("backgroundColor"))
                if color is not None:
                    backgrounds[(row_number, col_number)] = color
    last = max(rows, default=0)
    ordered = [rows.get(number, []) for number in range(1, last + 1)]
    merges = [(int(m.get("startRowIndex", 0)) + 1, int(m.get("startColumnIndex", 0)) + 1,
               int(m.get("endRowIndex", 0)), int(m.get("endColumnIndex", 0)))
              for m in sheet_json.get("merges") or []]
    raw = RawSheet(title=title, rows=ordered, merges=merges, sheet_id=int(properties.get("sheetId", 0)))
    return SheetGrid(sheet=raw, row_count=int(grid_properties.get("rowCount", len(ordered))),
                     column_count=int(grid_properties.get("columnCount", 26)),
                     hidden=bool(properties.get("hidden", False)), notes=notes, backgrounds=backgrounds,
                     protected_ranges=list(sheet_json.get("protectedRanges") or []), cells=cells)


def parse_spreadsheet(payload: dict[str, Any], programme_zone: str | None) -> SpreadsheetGrid:
    """Parse a Spreadsheet resource read with SPREADSHEET_FIELDS (or a subset of them)."""
    properties = payload.get("properties") or {}
    converter = CellConverter(properties.get("timeZone"), programme_zone)
    sheets = [parse_sheet(sheet, converter) for sheet in payload.get("sheets") or []]
    return SpreadsheetGrid(spreadsheet_id=str(payload.get("spreadsheetId", "")), title=str(properties.get("title", "")),
                           locale=properties.get("locale"), time_zone=properties.get("timeZone"), sheets=sheets)


def staff_rows(grid: SheetGrid, skip_columns: set[int]) -> dict[int, tuple[tuple[int, Any], ...]]:
    """Each non-blank row's values as ((column, value), ...), leaving out ``skip_columns``."""
    result: dict[int, tuple[tuple[int, Any], ...]] = {}
    for index, line in enumerate(grid.sheet.rows, start=1):
        cells = tuple((col, comparable(value)) for col, value in enumerate(line, start=1)
                      if value is not None and col not in skip_columns)
        if cells:
            result[index] = cells
    return result


def comparable(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@dataclass
class SheetAlignment:
    """The positions of one state's rows and columns in a later state of a tab (1-based, old to new).

    Rows or columns that staff deleted, and rows whose values changed, have no entry.
    """

    header_row: int | None  # the header row in the later state; None when it was not found
    rows: dict[int, int]
    columns: dict[int, int]

    def row_origins(self) -> dict[int, int]:
        return {new: old for old, new in self.rows.items()}

    def column_origins(self) -> dict[int, int]:
        return {new: old for old, new in self.columns.items()}


def align_sheets(before: SheetGrid, after: SheetGrid, header_row: int, skip_columns: set[int],
                 written_values: set[tuple[int, int]]) -> SheetAlignment:
    """Align two states of a tab: columns by the header row, then rows by their values.

    ``skip_columns`` are the sync columns of ``before``; ``written_values`` are the cells of
    ``after`` whose value the write-back set, so their values are not staff values. A
    column that staff insert or delete shifts the header cells, and a row that staff
    insert, delete or sort moves the row's values. Cells between two matches are
    aligned only when both gaps have the same size.
    """
    found_row, column_pairs = _match_header(before, after, header_row, written_values)
    old_width = max([before.column_count, *skip_columns])
    if found_row is None:
        # NOTE: without the header row the columns cannot be matched, so they are
        # assumed not to have moved.
        columns = {column: column for column in range(1, min(old_width, after.column_count) + 1)}
    else:
        columns = _fill_gaps(column_pairs, old_width, after.column_count)

    polluted = {column for _, column in written_values}
    staff_columns = sorted(column for column in columns
                           if column not in skip_columns and columns[column] not in polluted)
    images = [columns[column] for column in staff_columns]
    old_rows = _row_signatures(before, dict(zip(staff_columns, images)))
    new_rows = _row_signatures(after, {image: image for image in images})
    positions: dict[tuple[Any, ...], list[int]] = {}
    for row, content in sorted(new_rows.items()):
        positions.setdefault(content, []).append(row)
    row_pairs: dict[int, int] = {}
    for row, content in sorted(old_rows.items()):
        queue = positions.get(content)
        if queue:
            row_pairs[row] = queue.pop(0)
    rows = _fill_gaps(row_pairs, before.row_count, after.row_count)
    header = rows.get(header_row)
    if header is None and found_row is not None and found_row not in rows.values():
        header = found_row
    return SheetAlignment(header_row=header, rows=rows, columns=columns)


def _row_signatures(grid: SheetGrid, columns: dict[int, int]) -> dict[int, tuple[tuple[int, Any], ...]]:
    """Return each non-blank row's values in ``columns``, keyed by the column each maps to."""
    result: dict[int, tuple[tuple[int, Any], ...]] = {}
    for index, line in enumerate(grid.sheet.rows, start=1):
        cells = tuple(sorted((columns[col], comparable(value)) for col, value in enumerate(line, start=1)
                             if value is not None and col in columns))
        if cells:
            result[index] = cells
    return result


def _match_header(before: SheetGrid, after: SheetGrid, header_row: int,
                  written_values: set[tuple[int, int]]) -> tuple[int | None, dict[int, int]]:
    """Find the row of ``after`` that contains ``before``'s header cells in the same order.

    Returns that row and the matched columns (old to new); ties go to the row nearest
    to the old header row.
    """
    if header_row > len(before.sheet.rows):
        return None, {}
    header = [(col, comparable(value)) for col, value in enumerate(before.sheet.rows[header_row - 1], start=1)
              if value is not None]
    wanted = {value for _, value in header}
    needed = max(1, (len(header) + 1) // 2)
    best: tuple[int, int, int, dict[int, int]] | None = None
    for row, line in enumerate(after.sheet.rows, start=1):
        cells = [(col, comparable(value)) for col, value in enumerate(line, start=1)
                 if value is not None and (row, col) not in written_values]
        if len({value for _, value in cells} & wanted) < needed:
            continue
        pairs = _common_subsequence(header, cells)
        score = (len(pairs), -abs(row - header_row))
        if best is None or score > best[:2]:
            best = (score[0], score[1], row, pairs)
    if best is None:
        return None, {}
    return best[2], best[3]


def _common_subsequence(old: list[tuple[int, Any]], new: list[tuple[int, Any]]) -> dict[int, int]:
    """Pair the columns of the longest common subsequence of two rows' values (old column to new)."""
    lengths = [[0] * (len(new) + 1) for _ in range(len(old) + 1)]
    for i in range(len(old) - 1, -1, -1):
        for j in range(len(new) - 1, -1, -1):
            if old[i][1] == new[j][1]:
                lengths[i][j] = lengths[i + 1][j + 1] + 1
            else:
                lengths[i][j] = max(lengths[i + 1][j], lengths[i][j + 1])
    pairs: dict[int, int] = {}
    i = j = 0
    while i < len(old) and j < len(new):
        if old[i][1] == new[j][1]:
            pairs[old[i][0]] = new[j][0]
            i += 1
            j += 1
        elif lengths[i + 1][j] >= lengths[i][j + 1]:
            i += 1
        else:
            j += 1
    return pairs


def _fill_gaps(pairs: dict[int, int], old_count: int, new_count: int) -> dict[int, int]:
    """Extend matched positions (old to new) to the unmatched ones around them.

    Positions before the first match and after the last one keep that match's offset.
    A gap between two matches is filled only when it has the same size on both sides,
    because otherwise the insert or delete inside it could be anywhere.
    """
    result = dict(pairs)
    used = set(pairs.values())
    anchors = sorted(pairs.items())
    if not anchors:
        return result

    def put(old: int, new: int) -> None:
        if 1 <= new <= new_count and new not in used:
            result[old] = new
            used.add(new)

    first_old, first_new = anchors[0]
    for old in range(1, first_old):
        put(old, old + first_new - first_old)
    for (old_1, new_1), (old_2, new_2) in zip(anchors, anchors[1:]):
        if old_2 - old_1 == new_2 - new_1:
            for step in range(1, old_2 - old_1):
                put(old_1 + step, new_1 + step)
    last_old, last_new = anchors[-1]
    for old in range(last_old + 1, old_count + 1):
        put(old, old + last_new - last_old)
    return result

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
CELL_FIELDS = ("effectiveValue,userEnteredValue,formattedValue,effectiveFormat.numberFormat,"
               "userEnteredFormat.backgroundColor,note")
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
    for block in sheet_json.get("data") or []:
        start_row = int(block.get("startRow", 0))
        start_col = int(block.get("startColumn", 0))
        for row_offset, row_data in enumerate(block.get("rowData") or []):
            row_number = start_row + row_offset + 1
            for col_offset, cell in enumerate((row_data or {}).get("values") or []):
                if not cell:
                    continue
                col_number = start_col + col_offset + 1
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
                     protected_ranges=list(sheet_json.get("protectedRanges") or []))


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
        cells = tuple((col, _comparable(value)) for col, value in enumerate(line, start=1)
                      if value is not None and col not in skip_columns)
        if cells:
            result[index] = cells
    return result


def _comparable(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value

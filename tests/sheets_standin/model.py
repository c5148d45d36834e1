"""In-memory spreadsheets, sheets and cells, and their Sheets API v4 JSON form."""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from .a1 import format_range
from .fieldmask import MaskTree, apply_field_mask
from .values import format_number, is_date_format, json_number

DEFAULT_ROW_COUNT = 1000
DEFAULT_COLUMN_COUNT = 26
DEFAULT_ROW_PIXEL_SIZE = 21
DEFAULT_COLUMN_PIXEL_SIZE = 100
SPREADSHEET_MIME_TYPE = "application/vnd.google-apps.spreadsheet"

# Copied from the `properties.defaultFormat` of a new spreadsheet in the recordings.
DEFAULT_FORMAT: dict[str, Any] = {
    "backgroundColor": {"red": 1, "green": 1, "blue": 1},
    "padding": {"top": 2, "right": 3, "bottom": 2, "left": 3},
    "verticalAlignment": "BOTTOM",
    "wrapStrategy": "OVERFLOW_CELL",
    "textFormat": {
        "foregroundColor": {},
        "fontFamily": "arial,sans,sans-serif",
        "fontSize": 10,
        "bold": False,
        "italic": False,
        "strikethrough": False,
        "underline": False,
        "foregroundColorStyle": {"rgbColor": {}},
    },
    "backgroundColorStyle": {"rgbColor": {"red": 1, "green": 1, "blue": 1}},
}

# Copied from the `properties.spreadsheetTheme` of a new spreadsheet in the recordings.
DEFAULT_THEME: dict[str, Any] = {
    "primaryFontFamily": "Arial",
    "themeColors": [
        {"colorType": "TEXT", "color": {"rgbColor": {}}},
        {"colorType": "BACKGROUND", "color": {"rgbColor": {"red": 1, "green": 1, "blue": 1}}},
        {"colorType": "ACCENT1", "color": {"rgbColor": {"red": 0.25882354, "green": 0.52156866, "blue": 0.95686275}}},
        {"colorType": "ACCENT2", "color": {"rgbColor": {"red": 0.91764706, "green": 0.2627451, "blue": 0.20784314}}},
        {"colorType": "ACCENT3", "color": {"rgbColor": {"red": 0.9843137, "green": 0.7372549, "blue": 0.015686275}}},
        {"colorType": "ACCENT4", "color": {"rgbColor": {"red": 0.20392157, "green": 0.65882355, "blue": 0.3254902}}},
        {"colorType": "ACCENT5", "color": {"rgbColor": {"red": 1, "green": 0.42745098, "blue": 0.003921569}}},
        {"colorType": "ACCENT6", "color": {"rgbColor": {"red": 0.27450982, "green": 0.7411765, "blue": 0.7764706}}},
        {"colorType": "LINK", "color": {"rgbColor": {"red": 0.06666667, "green": 0.33333334, "blue": 0.8}}},
    ],
}


def rfc3339_millis(moment: dt.datetime) -> str:
    """Format a UTC datetime like Drive does: 2023-08-17T10:52:37.010Z."""
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def deep_merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """Return `base` updated recursively with `update` (both left unchanged)."""
    result = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = deep_merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def _clean_color(color: dict[str, Any]) -> dict[str, Any]:
    """Drop zero color components, as Google omits proto3 default values."""
    return {key: value for key, value in color.items() if value not in (0, 0.0)}


def normalise_format(cell_format: dict[str, Any]) -> dict[str, Any]:
    """Return a CellFormat as Google stores it: zero colors dropped, *ColorStyle mirrors added."""
    result = copy.deepcopy(cell_format)
    if "backgroundColor" in result:
        result["backgroundColor"] = _clean_color(result["backgroundColor"])
        result["backgroundColorStyle"] = {"rgbColor": dict(result["backgroundColor"])}
    elif "rgbColor" in result.get("backgroundColorStyle", {}):
        result["backgroundColorStyle"]["rgbColor"] = _clean_color(result["backgroundColorStyle"]["rgbColor"])
        result["backgroundColor"] = dict(result["backgroundColorStyle"]["rgbColor"])
    text_format = result.get("textFormat")
    if isinstance(text_format, dict):
        if "foregroundColor" in text_format:
            text_format["foregroundColor"] = _clean_color(text_format["foregroundColor"])
            text_format["foregroundColorStyle"] = {"rgbColor": dict(text_format["foregroundColor"])}
        elif "rgbColor" in text_format.get("foregroundColorStyle", {}):
            text_format["foregroundColor"] = _clean_color(text_format["foregroundColorStyle"]["rgbColor"])
            text_format["foregroundColorStyle"]["rgbColor"] = dict(text_format["foregroundColor"])
    return result


@dataclass
class Cell:
    """One cell: its effective value, formula, format, note and validation rule."""

    value: Any = None
    formula: Optional[str] = None
    error: Optional[dict[str, Any]] = None
    user_format: Optional[dict[str, Any]] = None
    note: Optional[str] = None
    validation: Optional[dict[str, Any]] = None

    def has_value(self) -> bool:
        return self.value is not None or self.formula is not None or self.error is not None

    def is_blank(self) -> bool:
        return not self.has_value() and not self.user_format and not self.note and not self.validation

    def clear_value(self) -> None:
        self.value = None
        self.formula = None
        self.error = None

    @property
    def number_format(self) -> Optional[dict[str, Any]]:
        return (self.user_format or {}).get("numberFormat")

    def formatted_value(self, locale: str) -> Optional[str]:
        """Return the cell's formattedValue, or None for an empty cell."""
        if self.error is not None:
            return self.error.get("formatted", "#ERROR!")
        if self.value is None:
            return None
        if isinstance(self.value, bool):
            return "TRUE" if self.value else "FALSE"
        if isinstance(self.value, (int, float)):
            return format_number(self.value, self.number_format, locale)
        return str(self.value)

    def rendered_value(self, value_render: str, date_render: str, locale: str) -> Any:
        """Return the value the values API gives for this cell, or None when empty."""
        if self.error is not None:
            return self.formatted_value(locale)
        if value_render == "FORMULA" and self.formula is not None:
            return self.formula
        if value_render == "FORMATTED_VALUE":
            return self.formatted_value(locale)
        if self.value is None:
            return None
        if isinstance(self.value, bool) or isinstance(self.value, str):
            return self.value
        if is_date_format(self.number_format) and date_render == "FORMATTED_STRING":
            return self.formatted_value(locale)
        return json_number(self.value)

    def user_entered_value_json(self) -> Optional[dict[str, Any]]:
        if self.formula is not None:
            return {"formulaValue": self.formula}
        return _typed_value_json(self.value)

    def effective_value_json(self) -> Optional[dict[str, Any]]:
        if self.error is not None:
            return {"errorValue": {"type": self.error.get("type", "ERROR"), "message": self.error.get("message", "")}}
        return _typed_value_json(self.value)

    def to_json(self, locale: str) -> dict[str, Any]:
        """Return the cell as a CellData object."""
        data: dict[str, Any] = {}
        user_value = self.user_entered_value_json()
        if user_value is not None:
            data["userEnteredValue"] = user_value
        effective = self.effective_value_json()
        if effective is not None:
            data["effectiveValue"] = effective
        formatted = self.formatted_value(locale)
        if formatted is not None:
            data["formattedValue"] = formatted
        if self.user_format:
            data["userEnteredFormat"] = copy.deepcopy(self.user_format)
        if self.has_value() or self.user_format:
            data["effectiveFormat"] = deep_merge(DEFAULT_FORMAT, self.user_format or {})
        if self.note:
            data["note"] = self.note
        if self.validation:
            data["dataValidation"] = copy.deepcopy(self.validation)
        return data


def _typed_value_json(value: Any) -> Optional[dict[str, Any]]:
    if value is None:
        return None
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, (int, float)):
        return {"numberValue": json_number(value)}
    return {"stringValue": str(value)}


def grid_range_json(sheet_id: int, start_row: int, end_row: int, start_col: int, end_col: int) -> dict[str, Any]:
    """Return a GridRange as Google writes it: sheetId omitted when it is 0."""
    result: dict[str, Any] = {}
    if sheet_id:
        result["sheetId"] = sheet_id
    result.update(
        {"startRowIndex": start_row, "endRowIndex": end_row, "startColumnIndex": start_col, "endColumnIndex": end_col}
    )
    return result


def _shift_insert(value: Optional[int], index: int, count: int, is_end: bool) -> Optional[int]:
    if value is None:
        return None
    if is_end:
        return value + count if value > index else value
    return value + count if value >= index else value


def _shift_delete(value: Optional[int], start: int, end: int) -> Optional[int]:
    if value is None:
        return None
    if value <= start:
        return value
    if value >= end:
        return value - (end - start)
    return start


def shift_range_keys(
    grid_range: dict[str, Any], dimension: str, operation: str, start: int, end_or_count: int
) -> Optional[dict[str, Any]]:
    """Shift a GridRange for an inserted or deleted block of rows or columns.

    Returns None when a delete removes the whole range. Ranges that straddle an insert
    grow, like Google's merges and protected ranges do.
    """
    start_key, end_key = ("startRowIndex", "endRowIndex") if dimension == "ROWS" else ("startColumnIndex", "endColumnIndex")
    result = dict(grid_range)
    low, high = grid_range.get(start_key), grid_range.get(end_key)
    if operation == "insert":
        result[start_key] = _shift_insert(low, start, end_or_count, is_end=False) if low is not None else None
        result[end_key] = _shift_insert(high, start, end_or_count, is_end=True)
    else:
        result[start_key] = _shift_delete(low, start, end_or_count) if low is not None else None
        result[end_key] = _shift_delete(high, start, end_or_count)
        if result[start_key] is not None and result[end_key] is not None and result[start_key] >= result[end_key]:
            return None
    return {key: value for key, value in result.items() if value is not None}


@dataclass
class Sheet:
    """One tab: grid size, properties, cells stored row by row, merges, protected ranges."""

    sheet_id: int
    title: str
    row_count: int = DEFAULT_ROW_COUNT
    column_count: int = DEFAULT_COLUMN_COUNT
    frozen_row_count: int = 0
    frozen_column_count: int = 0
    hidden: bool = False
    hide_gridlines: bool = False
    tab_color: Optional[dict[str, Any]] = None
    rows: list[list[Optional[Cell]]] = field(default_factory=list)
    merges: list[dict[str, Any]] = field(default_factory=list)
    protected_ranges: list[dict[str, Any]] = field(default_factory=list)
    row_properties: dict[int, dict[str, Any]] = field(default_factory=dict)
    column_properties: dict[int, dict[str, Any]] = field(default_factory=dict)

    # --- cells ---------------------------------------------------------------------

    def cell(self, row: int, col: int) -> Optional[Cell]:
        if row < len(self.rows) and col < len(self.rows[row]):
            return self.rows[row][col]
        return None

    def ensure_cell(self, row: int, col: int) -> Cell:
        while len(self.rows) <= row:
            self.rows.append([])
        cells = self.rows[row]
        while len(cells) <= col:
            cells.append(None)
        if cells[col] is None:
            cells[col] = Cell()
        return cells[col]  # type: ignore[return-value]

    def iter_cells(self) -> Iterable[tuple[int, int, Cell]]:
        for row_index, cells in enumerate(self.rows):
            for col_index, cell in enumerate(cells):
                if cell is not None:
                    yield row_index, col_index, cell

    def last_value_row(self, start_col: int = 0, end_col: Optional[int] = None) -> int:
        """Return the index after the last row with a value in the given columns."""
        for row_index in range(len(self.rows) - 1, -1, -1):
            cells = self.rows[row_index][start_col:end_col]
            if any(cell is not None and cell.has_value() for cell in cells):
                return row_index + 1
        return 0

    def truncate_to_grid(self) -> None:
        del self.rows[self.row_count :]
        for cells in self.rows:
            del cells[self.column_count :]

    # --- dimensions ----------------------------------------------------------------

    def insert_dimension(self, dimension: str, index: int, count: int) -> None:
        if dimension == "ROWS":
            if index < len(self.rows):
                self.rows[index:index] = [[] for _ in range(count)]
            self.row_count += count
            self.row_properties = _shift_property_map(self.row_properties, "insert", index, count)
        else:
            for cells in self.rows:
                if index < len(cells):
                    cells[index:index] = [None] * count
            self.column_count += count
            self.column_properties = _shift_property_map(self.column_properties, "insert", index, count)
        self._shift_ranges(dimension, "insert", index, count)

    def delete_dimension(self, dimension: str, start: int, end: int) -> None:
        if dimension == "ROWS":
            del self.rows[start:end]
            self.row_count -= end - start
            self.row_properties = _shift_property_map(self.row_properties, "delete", start, end)
        else:
            for cells in self.rows:
                del cells[start:end]
            self.column_count -= end - start
            self.column_properties = _shift_property_map(self.column_properties, "delete", start, end)
        self._shift_ranges(dimension, "delete", start, end)

    def _shift_ranges(self, dimension: str, operation: str, start: int, end_or_count: int) -> None:
        self.merges = [
            shifted
            for merge in self.merges
            if (shifted := shift_range_keys(merge, dimension, operation, start, end_or_count)) is not None
        ]
        kept = []
        for protected in self.protected_ranges:
            shifted = shift_range_keys(protected["range"], dimension, operation, start, end_or_count)
            if shifted is not None:
                protected["range"] = shifted
                kept.append(protected)
        self.protected_ranges = kept

    # --- JSON ----------------------------------------------------------------------

    def properties_json(self, index: int) -> dict[str, Any]:
        grid: dict[str, Any] = {"rowCount": self.row_count, "columnCount": self.column_count}
        if self.frozen_row_count:
            grid["frozenRowCount"] = self.frozen_row_count
        if self.frozen_column_count:
            grid["frozenColumnCount"] = self.frozen_column_count
        if self.hide_gridlines:
            grid["hideGridlines"] = True
        properties: dict[str, Any] = {
            "sheetId": self.sheet_id,
            "title": self.title,
            "index": index,
            "sheetType": "GRID",
            "gridProperties": grid,
        }
        if self.hidden:
            properties["hidden"] = True
        if self.tab_color:
            properties["tabColor"] = copy.deepcopy(self.tab_color)
            properties["tabColorStyle"] = {"rgbColor": copy.deepcopy(self.tab_color)}
        return properties

    def a1(self, start_row: int, end_row: int, start_col: int, end_col: int) -> str:
        return format_range(self.title, start_row, end_row, start_col, end_col)


def _shift_property_map(properties: dict[int, dict[str, Any]], operation: str, start: int, end_or_count: int) -> dict[int, dict[str, Any]]:
    shifted: dict[int, dict[str, Any]] = {}
    for index, value in properties.items():
        if operation == "insert":
            shifted[index + end_or_count if index >= start else index] = value
        elif index < start:
            shifted[index] = value
        elif index >= end_or_count:
            shifted[index - (end_or_count - start)] = value
    return shifted


@dataclass
class Spreadsheet:
    """One spreadsheet file with its Drive metadata."""

    spreadsheet_id: str
    title: str
    locale: str
    time_zone: str
    created_time: dt.datetime
    modified_time: dt.datetime
    sheets: list[Sheet] = field(default_factory=list)
    # The last change made over HTTP, that is by the stand-in's one caller ("me" in
    # Drive's terms); seeding and staff-edit methods leave it alone.
    modified_by_me_time: Optional[dt.datetime] = None
    developer_metadata: list[dict[str, Any]] = field(default_factory=list)
    permissions: list[dict[str, Any]] = field(default_factory=list)
    parents: list[str] = field(default_factory=list)
    auto_recalc: str = "ON_CHANGE"
    forbidden: bool = False

    def sheet_titles(self) -> list[str]:
        return [sheet.title for sheet in self.sheets]

    def sheet_by_title(self, title: str) -> Optional[Sheet]:
        for sheet in self.sheets:
            if sheet.title == title:
                return sheet
        return None

    def sheet_by_id(self, sheet_id: int) -> Optional[Sheet]:
        for sheet in self.sheets:
            if sheet.sheet_id == sheet_id:
                return sheet
        return None

    def url(self) -> str:
        return f"https://docs.google.com/spreadsheets/d/{self.spreadsheet_id}/edit"

    def properties_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "locale": self.locale,
            "autoRecalc": self.auto_recalc,
            "timeZone": self.time_zone,
            "defaultFormat": copy.deepcopy(DEFAULT_FORMAT),
            "spreadsheetTheme": copy.deepcopy(DEFAULT_THEME),
        }

    def metadata_for(self, location_type: str, sheet_id: Optional[int] = None) -> list[dict[str, Any]]:
        found = []
        for item in self.developer_metadata:
            location = item["location"]
            if location["locationType"] != location_type:
                continue
            if sheet_id is not None and location.get("sheetId", location.get("dimensionRange", {}).get("sheetId", 0)) != sheet_id:
                continue
            found.append(copy.deepcopy(item))
        return found

    def sheet_json(self, sheet: Sheet, index: int, data: Optional[list[dict[str, Any]]]) -> dict[str, Any]:
        result: dict[str, Any] = {"properties": sheet.properties_json(index)}
        if data is not None:
            result["data"] = data
        if sheet.merges:
            result["merges"] = copy.deepcopy(sheet.merges)
        if sheet.protected_ranges:
            result["protectedRanges"] = copy.deepcopy(sheet.protected_ranges)
        sheet_metadata = self.metadata_for("SHEET", sheet.sheet_id)
        if sheet_metadata:
            result["developerMetadata"] = sheet_metadata
        return result

    def grid_data_json(
        self, sheet: Sheet, start_row: int, end_row: int, start_col: int, end_col: int, cell_mask: MaskTree
    ) -> dict[str, Any]:
        """Return a GridData object for a bounded range, with cells filtered by a mask.

        Like Google, trailing empty cells and rows are left out, and a row with no
        selected fields is an empty object.
        """
        row_data: list[dict[str, Any]] = []
        for row in range(start_row, end_row):
            values: list[dict[str, Any]] = []
            for col in range(start_col, end_col):
                cell = sheet.cell(row, col)
                cell_json = cell.to_json(self.locale) if cell is not None else {}
                values.append(apply_field_mask(cell_json, cell_mask))
            while values and not values[-1]:
                values.pop()
            row_data.append({"values": values} if values else {})
        while row_data and not row_data[-1]:
            row_data.pop()
        data: dict[str, Any] = {}
        if start_row:
            data["startRow"] = start_row
        if start_col:
            data["startColumn"] = start_col
        if row_data:
            data["rowData"] = row_data
        data["rowMetadata"] = [self._dimension_json(sheet, "ROWS", row) for row in range(start_row, end_row)]
        data["columnMetadata"] = [self._dimension_json(sheet, "COLUMNS", col) for col in range(start_col, end_col)]
        return data

    def _dimension_json(self, sheet: Sheet, dimension: str, index: int) -> dict[str, Any]:
        properties = (sheet.row_properties if dimension == "ROWS" else sheet.column_properties).get(index, {})
        default_size = DEFAULT_ROW_PIXEL_SIZE if dimension == "ROWS" else DEFAULT_COLUMN_PIXEL_SIZE
        result: dict[str, Any] = {"pixelSize": properties.get("pixelSize", default_size)}
        if properties.get("hiddenByUser"):
            result["hiddenByUser"] = True
        metadata = [
            copy.deepcopy(item)
            for item in self.developer_metadata
            if item["location"]["locationType"] == ("ROW" if dimension == "ROWS" else "COLUMN")
            and item["location"]["dimensionRange"].get("sheetId", 0) == sheet.sheet_id
            and item["location"]["dimensionRange"]["startIndex"] <= index < item["location"]["dimensionRange"]["endIndex"]
        ]
        if metadata:
            result["developerMetadata"] = metadata
        return result

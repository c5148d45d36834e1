"""`spreadsheets:batchUpdate` and the request kinds the stand-in implements."""

from __future__ import annotations

import copy
from typing import Any, Callable, Optional

from .a1 import cell_name
from .errors import ApiError, bad_request
from .fieldmask import FieldMaskError, field_paths
from .model import Sheet, Spreadsheet, normalise_format
from .sheets_get import sheet_from_properties
from .state import StandinState, set_formula
from .values import json_number


class RequestError(Exception):
    """A request-level failure; the dispatcher reports it as `Invalid requests[i].kind: ...`."""


# Every request kind of the Sheets API v4 `Request` message. A kind in this set that the
# stand-in does not implement fails with a message naming the stand-in. Any other name
# fails like Google's JSON parser does for an unknown field.
GOOGLE_REQUEST_KINDS = {
    "addBanding", "addChart", "addConditionalFormatRule", "addDataSource", "addDimensionGroup",
    "addFilterView", "addNamedRange", "addProtectedRange", "addSheet", "addSlicer", "addTable",
    "appendCells", "appendDimension", "autoFill", "autoResizeDimensions", "cancelDataSourceRefresh",
    "clearBasicFilter", "copyPaste", "createDeveloperMetadata", "cutPaste", "deleteBanding",
    "deleteConditionalFormatRule", "deleteDataSource", "deleteDeveloperMetadata", "deleteDimension",
    "deleteDimensionGroup", "deleteDuplicates", "deleteEmbeddedObject", "deleteFilterView",
    "deleteNamedRange", "deleteProtectedRange", "deleteRange", "deleteSheet", "deleteTable",
    "duplicateFilterView", "duplicateSheet", "findReplace", "insertDimension", "insertRange",
    "mergeCells", "moveDimension", "pasteData", "randomizeRange", "refreshDataSource", "repeatCell",
    "setBasicFilter", "setDataValidation", "sortRange", "textToColumns", "trimWhitespace",
    "unmergeCells", "updateBanding", "updateBorders", "updateCells", "updateChartSpec",
    "updateConditionalFormatRule", "updateDataSource", "updateDeveloperMetadata",
    "updateDimensionGroup", "updateDimensionProperties", "updateEmbeddedObjectBorder",
    "updateEmbeddedObjectPosition", "updateFilterView", "updateNamedRange", "updateProtectedRange",
    "updateSheetProperties", "updateSlicerSpec", "updateSpreadsheetProperties", "updateTable",
}


# --- shared helpers ----------------------------------------------------------------


def _sheet_by_id(spreadsheet: Spreadsheet, sheet_id: Optional[int]) -> Sheet:
    sheet = spreadsheet.sheet_by_id(int(sheet_id or 0))
    if sheet is None:
        raise RequestError(f"No grid with id: {sheet_id or 0}")
    return sheet


def _grid_bounds(spreadsheet: Spreadsheet, grid_range: dict[str, Any]) -> tuple[Sheet, int, int, int, int]:
    sheet = _sheet_by_id(spreadsheet, grid_range.get("sheetId"))
    start_row = grid_range.get("startRowIndex") or 0
    end_row = grid_range.get("endRowIndex", sheet.row_count)
    start_col = grid_range.get("startColumnIndex") or 0
    end_col = grid_range.get("endColumnIndex", sheet.column_count)
    if end_row > sheet.row_count or end_col > sheet.column_count:
        raise RequestError(
            f"Range ({sheet.title}!{cell_name(start_row, start_col)}:{cell_name(end_row - 1, end_col - 1)}) "
            f"exceeds grid limits. Max rows: {sheet.row_count}, max columns: {sheet.column_count}"
        )
    return sheet, start_row, end_row, start_col, end_col


def _stored_range(grid_range: dict[str, Any]) -> dict[str, Any]:
    """Return a GridRange as Google echoes it: requested keys kept, sheetId 0 dropped."""
    stored = {key: value for key, value in grid_range.items() if value is not None}
    if not stored.get("sheetId"):
        stored.pop("sheetId", None)
    return stored


def _paths(fields: Optional[str]) -> list[list[str]]:
    if not fields:
        raise RequestError("At least one field must be updated.")
    try:
        return field_paths(fields)
    except FieldMaskError as exc:
        raise RequestError(f"Invalid field mask: {fields}") from exc


def _get_path(source: Any, path: list[str]) -> Any:
    for segment in path:
        if not isinstance(source, dict) or segment not in source:
            return None
        source = source[segment]
    return source


def _set_path(target: dict[str, Any], path: list[str], value: Any) -> None:
    for segment in path[:-1]:
        target = target.setdefault(segment, {})
    if value is None:
        target.pop(path[-1], None)
    else:
        target[path[-1]] = copy.deepcopy(value)


# --- cells -------------------------------------------------------------------------

_CELL_FIELDS = ("userEnteredValue", "userEnteredFormat", "note", "dataValidation")
# Color fields whose *Style twin must follow them when they change.
_COLOR_TWINS = {("backgroundColor",): ("backgroundColorStyle",), ("textFormat", "foregroundColor"): ("textFormat", "foregroundColorStyle")}


def _apply_cell_data(sheet: Sheet, row: int, col: int, data: dict[str, Any], paths: list[list[str]]) -> None:
    cell = sheet.ensure_cell(row, col)
    for path in paths:
        if path == ["*"]:
            for name in _CELL_FIELDS:
                _apply_cell_field(cell, [name], data)
        else:
            _apply_cell_field(cell, path, data)


def _apply_cell_field(cell: Any, path: list[str], data: dict[str, Any]) -> None:
    head = path[0]
    if head == "userEnteredValue":
        _set_user_entered_value(cell, data.get("userEnteredValue"))
    elif head == "note":
        cell.note = data.get("note") or None
    elif head == "dataValidation":
        rule = data.get("dataValidation")
        cell.validation = _clean_rule(rule) if rule else None
    elif head == "userEnteredFormat":
        requested = data.get("userEnteredFormat") or {}
        if len(path) == 1:
            cell.user_format = normalise_format(requested) if requested else None
            return
        current = copy.deepcopy(cell.user_format or {})
        sub_path = path[1:]
        _set_path(current, sub_path, _get_path(requested, sub_path))
        for color_path, twin in _COLOR_TWINS.items():
            if tuple(sub_path[: len(color_path)]) == color_path:
                _set_path(current, list(twin), None)
        cell.user_format = normalise_format(current) or None
    else:
        raise RequestError(f"Unsupported field for a cell update: {'.'.join(path)}")


def _set_user_entered_value(cell: Any, value: Optional[dict[str, Any]]) -> None:
    cell.clear_value()
    if not value:
        return
    if "formulaValue" in value:
        set_formula(cell, value["formulaValue"])
    elif "numberValue" in value:
        cell.value = json_number(value["numberValue"])
    elif "boolValue" in value:
        cell.value = bool(value["boolValue"])
    elif "stringValue" in value:
        cell.value = value["stringValue"] if value["stringValue"] != "" else None
    elif "errorValue" in value:
        cell.error = {"type": value["errorValue"].get("type", "ERROR"), "message": value["errorValue"].get("message", "")}


def _clean_rule(rule: dict[str, Any]) -> dict[str, Any]:
    return {key: copy.deepcopy(value) for key, value in rule.items() if value is not None and value is not False}


def update_cells(state: StandinState, spreadsheet: Spreadsheet, request: dict[str, Any]) -> dict[str, Any]:
    paths = _paths(request.get("fields"))
    rows = request.get("rows") or []
    if "range" in request:
        sheet, start_row, end_row, start_col, end_col = _grid_bounds(spreadsheet, request["range"])
        for row in range(start_row, end_row):
            row_values = (rows[row - start_row].get("values") or []) if row - start_row < len(rows) else []
            for col in range(start_col, end_col):
                data = row_values[col - start_col] if col - start_col < len(row_values) else {}
                _apply_cell_data(sheet, row, col, data or {}, paths)
        return {}
    start = request.get("start")
    if start is None:
        raise RequestError("Either range or start must be set.")
    sheet = _sheet_by_id(spreadsheet, start.get("sheetId"))
    start_row, start_col = start.get("rowIndex") or 0, start.get("columnIndex") or 0
    for row_offset, row_data in enumerate(rows):
        for col_offset, data in enumerate(row_data.get("values") or []):
            row, col = start_row + row_offset, start_col + col_offset
            if row >= sheet.row_count or col >= sheet.column_count:
                raise RequestError(
                    f"Range ({sheet.title}!{cell_name(row, col)}) exceeds grid limits. "
                    f"Max rows: {sheet.row_count}, max columns: {sheet.column_count}"
                )
            _apply_cell_data(sheet, row, col, data or {}, paths)
    return {}


def repeat_cell(state: StandinState, spreadsheet: Spreadsheet, request: dict[str, Any]) -> dict[str, Any]:
    paths = _paths(request.get("fields"))
    sheet, start_row, end_row, start_col, end_col = _grid_bounds(spreadsheet, request.get("range") or {})
    data = request.get("cell") or {}
    for row in range(start_row, end_row):
        for col in range(start_col, end_col):
            _apply_cell_data(sheet, row, col, data, paths)
    return {}


def set_data_validation(state: StandinState, spreadsheet: Spreadsheet, request: dict[str, Any]) -> dict[str, Any]:
    sheet, start_row, end_row, start_col, end_col = _grid_bounds(spreadsheet, request.get("range") or {})
    rule = request.get("rule")
    for row in range(start_row, end_row):
        for col in range(start_col, end_col):
            sheet.ensure_cell(row, col).validation = _clean_rule(rule) if rule else None
    return {}


def append_cells(state: StandinState, spreadsheet: Spreadsheet, request: dict[str, Any]) -> dict[str, Any]:
    sheet = _sheet_by_id(spreadsheet, request.get("sheetId"))
    paths = _paths(request.get("fields"))
    rows = request.get("rows") or []
    start_row = sheet.last_value_row()
    needed = start_row + len(rows)
    if needed > sheet.row_count:
        sheet.row_count = needed
    for offset, row_data in enumerate(rows):
        for col, data in enumerate(row_data.get("values") or []):
            if col >= sheet.column_count:
                raise RequestError(f"Cannot append beyond column count {sheet.column_count}")
            _apply_cell_data(sheet, start_row + offset, col, data or {}, paths)
    return {}


# --- sheets and spreadsheet properties ---------------------------------------------


def add_sheet(state: StandinState, spreadsheet: Spreadsheet, request: dict[str, Any]) -> dict[str, Any]:
    try:
        sheet = sheet_from_properties(state, spreadsheet, request.get("properties") or {})
    except ApiError as exc:
        raise RequestError(exc.body["error"]["message"]) from None
    index = spreadsheet.sheets.index(sheet)
    return {"addSheet": {"properties": sheet.properties_json(index)}}


def delete_sheet(state: StandinState, spreadsheet: Spreadsheet, request: dict[str, Any]) -> dict[str, Any]:
    sheet = _sheet_by_id(spreadsheet, request.get("sheetId"))
    if len(spreadsheet.sheets) == 1:
        raise RequestError("You can't remove all the sheets in a document.")
    spreadsheet.sheets.remove(sheet)
    spreadsheet.developer_metadata = [
        item
        for item in spreadsheet.developer_metadata
        if item["location"].get("sheetId", item["location"].get("dimensionRange", {}).get("sheetId", -1)) != sheet.sheet_id
    ]
    return {}


def update_sheet_properties(state: StandinState, spreadsheet: Spreadsheet, request: dict[str, Any]) -> dict[str, Any]:
    properties = request.get("properties") or {}
    sheet = _sheet_by_id(spreadsheet, properties.get("sheetId"))
    paths = _paths(request.get("fields"))
    if paths == [["*"]]:
        paths = [["title"], ["index"], ["hidden"], ["tabColor"], ["gridProperties"]]
    for path in paths:
        value = _get_path(properties, path)
        head = path[0]
        if head == "sheetId":
            continue
        if head == "title":
            if not value:
                raise RequestError("Sheet title must not be empty.")
            other = spreadsheet.sheet_by_title(value)
            if other is not None and other is not sheet:
                raise RequestError(f'A sheet with the name "{value}" already exists. Please enter another name.')
            sheet.title = value
        elif head == "index":
            spreadsheet.sheets.remove(sheet)
            spreadsheet.sheets.insert(min(int(value or 0), len(spreadsheet.sheets)), sheet)
        elif head == "hidden":
            hidden = bool(value)
            if hidden and all(other.hidden or other is sheet for other in spreadsheet.sheets):
                raise RequestError("You can't hide all the sheets in a document.")
            sheet.hidden = hidden
        elif head in ("tabColor", "tabColorStyle"):
            color = value.get("rgbColor") if head == "tabColorStyle" and value else value
            sheet.tab_color = copy.deepcopy(color) if color else None
        elif head == "gridProperties":
            _update_grid_properties(sheet, path[1:], properties.get("gridProperties") or {})
        elif head == "rightToLeft":
            continue
        else:
            raise RequestError(f"Unsupported sheet property: {'.'.join(path)}")
    return {}


def _update_grid_properties(sheet: Sheet, sub_path: list[str], grid: dict[str, Any]) -> None:
    names = sub_path[:1] or ["rowCount", "columnCount", "frozenRowCount", "frozenColumnCount", "hideGridlines"]
    for name in names:
        value = grid.get(name)
        if name == "rowCount":
            if not value or value < 1:
                raise RequestError("rowCount must be at least 1.")
            sheet.row_count = int(value)
        elif name == "columnCount":
            if not value or value < 1:
                raise RequestError("columnCount must be at least 1.")
            sheet.column_count = int(value)
        elif name == "frozenRowCount":
            sheet.frozen_row_count = int(value or 0)
        elif name == "frozenColumnCount":
            sheet.frozen_column_count = int(value or 0)
        elif name == "hideGridlines":
            sheet.hide_gridlines = bool(value)
        else:
            raise RequestError(f"Unsupported grid property: {name}")
    sheet.truncate_to_grid()
    sheet.merges = [
        merge
        for merge in sheet.merges
        if merge.get("endRowIndex", 0) <= sheet.row_count and merge.get("endColumnIndex", 0) <= sheet.column_count
    ]


def update_spreadsheet_properties(state: StandinState, spreadsheet: Spreadsheet, request: dict[str, Any]) -> dict[str, Any]:
    properties = request.get("properties") or {}
    paths = _paths(request.get("fields"))
    if paths == [["*"]]:
        paths = [[name] for name in ("title", "locale", "timeZone", "autoRecalc") if name in properties]
    for path in paths:
        value = _get_path(properties, path)
        head = path[0]
        if head == "title":
            spreadsheet.title = value or "Untitled spreadsheet"
        elif head == "locale":
            spreadsheet.locale = value or "en_US"
        elif head == "timeZone":
            spreadsheet.time_zone = value or "Etc/GMT"
        elif head == "autoRecalc":
            spreadsheet.auto_recalc = value or "ON_CHANGE"
        elif head in ("defaultFormat", "spreadsheetTheme", "iterativeCalculationSettings"):
            continue
        else:
            raise RequestError(f"Unsupported spreadsheet property: {'.'.join(path)}")
    return {}


# --- dimensions --------------------------------------------------------------------


def _dimension_range(spreadsheet: Spreadsheet, value: dict[str, Any]) -> tuple[Sheet, str, int, int]:
    sheet = _sheet_by_id(spreadsheet, value.get("sheetId"))
    dimension = value.get("dimension")
    if dimension not in ("ROWS", "COLUMNS"):
        raise RequestError("dimension must be ROWS or COLUMNS.")
    limit = sheet.row_count if dimension == "ROWS" else sheet.column_count
    start = value.get("startIndex") or 0
    end = value.get("endIndex", limit)
    if start < 0 or end < start:
        raise RequestError(f"Invalid dimension range: {start} to {end}.")
    return sheet, dimension, start, end


def shift_dimension_metadata(spreadsheet: Spreadsheet, sheet: Sheet, dimension: str, operation: str, start: int, end_or_count: int) -> None:
    """Move or drop ROW and COLUMN developer metadata after rows or columns move."""
    location_type = "ROW" if dimension == "ROWS" else "COLUMN"
    kept = []
    for item in spreadsheet.developer_metadata:
        location = item["location"]
        dimension_range = location.get("dimensionRange")
        if location["locationType"] != location_type or dimension_range.get("sheetId", 0) != sheet.sheet_id:
            kept.append(item)
            continue
        low, high = dimension_range["startIndex"], dimension_range["endIndex"]
        if operation == "insert":
            low = low + end_or_count if low >= start else low
            high = high + end_or_count if high > start else high
        else:
            low = _position_after_delete(low, start, end_or_count)
            high = _position_after_delete(high, start, end_or_count)
            if low >= high:
                continue
        dimension_range["startIndex"], dimension_range["endIndex"] = low, high
        kept.append(item)
    spreadsheet.developer_metadata = kept


def _position_after_delete(position: int, start: int, end: int) -> int:
    if position <= start:
        return position
    if position >= end:
        return position - (end - start)
    return start


def insert_dimension_block(spreadsheet: Spreadsheet, sheet: Sheet, dimension: str, start: int, count: int) -> None:
    sheet.insert_dimension(dimension, start, count)
    shift_dimension_metadata(spreadsheet, sheet, dimension, "insert", start, count)


def delete_dimension_block(spreadsheet: Spreadsheet, sheet: Sheet, dimension: str, start: int, end: int) -> None:
    sheet.delete_dimension(dimension, start, end)
    shift_dimension_metadata(spreadsheet, sheet, dimension, "delete", start, end)


def insert_dimension(state: StandinState, spreadsheet: Spreadsheet, request: dict[str, Any]) -> dict[str, Any]:
    sheet, dimension, start, end = _dimension_range(spreadsheet, request.get("range") or {})
    limit = sheet.row_count if dimension == "ROWS" else sheet.column_count
    if start > limit:
        raise RequestError(f"Cannot insert at index {start}: the sheet has only {limit} {dimension.lower()}.")
    insert_dimension_block(spreadsheet, sheet, dimension, start, end - start)
    return {}


def delete_dimension(state: StandinState, spreadsheet: Spreadsheet, request: dict[str, Any]) -> dict[str, Any]:
    sheet, dimension, start, end = _dimension_range(spreadsheet, request.get("range") or {})
    limit = sheet.row_count if dimension == "ROWS" else sheet.column_count
    end = min(end, limit)
    if start == 0 and end >= limit:
        raise RequestError(f"You can't delete all the {dimension.lower()} on the sheet.")
    delete_dimension_block(spreadsheet, sheet, dimension, start, end)
    return {}


def append_dimension(state: StandinState, spreadsheet: Spreadsheet, request: dict[str, Any]) -> dict[str, Any]:
    sheet = _sheet_by_id(spreadsheet, request.get("sheetId"))
    length = int(request.get("length") or 0)
    if length < 1:
        raise RequestError("length must be at least 1.")
    if request.get("dimension") == "COLUMNS":
        sheet.column_count += length
    elif request.get("dimension") == "ROWS":
        sheet.row_count += length
    else:
        raise RequestError("dimension must be ROWS or COLUMNS.")
    return {}


def update_dimension_properties(state: StandinState, spreadsheet: Spreadsheet, request: dict[str, Any]) -> dict[str, Any]:
    sheet, dimension, start, end = _dimension_range(spreadsheet, request.get("range") or {})
    properties = request.get("properties") or {}
    paths = _paths(request.get("fields"))
    names = ["pixelSize", "hiddenByUser"] if paths == [["*"]] else [path[0] for path in paths]
    store = sheet.row_properties if dimension == "ROWS" else sheet.column_properties
    for index in range(start, end):
        entry = store.setdefault(index, {})
        for name in names:
            if name not in ("pixelSize", "hiddenByUser", "developerMetadata"):
                raise RequestError(f"Unsupported dimension property: {name}")
            if properties.get(name) is None:
                entry.pop(name, None)
            else:
                entry[name] = properties[name]
    return {}


def auto_resize_dimensions(state: StandinState, spreadsheet: Spreadsheet, request: dict[str, Any]) -> dict[str, Any]:
    """Accept autoResizeDimensions without changing sizes.

    NOTE: the stand-in does not measure text, so pixel sizes stay as they were.
    """
    _dimension_range(spreadsheet, request.get("dimensions") or {})
    return {}


# --- merges, protection, metadata --------------------------------------------------


def merge_cells(state: StandinState, spreadsheet: Spreadsheet, request: dict[str, Any]) -> dict[str, Any]:
    grid_range = request.get("range") or {}
    sheet, start_row, end_row, start_col, end_col = _grid_bounds(spreadsheet, grid_range)
    merge_type = request.get("mergeType", "MERGE_ALL")
    if merge_type == "MERGE_ALL":
        blocks = [(start_row, end_row, start_col, end_col)]
    elif merge_type == "MERGE_ROWS":
        blocks = [(row, row + 1, start_col, end_col) for row in range(start_row, end_row)]
    elif merge_type == "MERGE_COLUMNS":
        blocks = [(start_row, end_row, col, col + 1) for col in range(start_col, end_col)]
    else:
        raise RequestError(f"Unknown merge type: {merge_type}")
    for low_row, high_row, low_col, high_col in blocks:
        for merge in sheet.merges:
            if _overlaps(merge, low_row, high_row, low_col, high_col):
                raise RequestError("You must select all cells in a merged range to merge or unmerge them.")
        sheet.merges.append(
            {
                **({"sheetId": sheet.sheet_id} if sheet.sheet_id else {}),
                "startRowIndex": low_row,
                "endRowIndex": high_row,
                "startColumnIndex": low_col,
                "endColumnIndex": high_col,
            }
        )
        # Google keeps only the top-left value of a merged block.
        for row in range(low_row, high_row):
            for col in range(low_col, high_col):
                cell = sheet.cell(row, col)
                if cell is not None and (row, col) != (low_row, low_col):
                    cell.clear_value()
    return {}


def _overlaps(merge: dict[str, Any], start_row: int, end_row: int, start_col: int, end_col: int) -> bool:
    return (
        merge["startRowIndex"] < end_row
        and start_row < merge["endRowIndex"]
        and merge["startColumnIndex"] < end_col
        and start_col < merge["endColumnIndex"]
    )


def unmerge_cells(state: StandinState, spreadsheet: Spreadsheet, request: dict[str, Any]) -> dict[str, Any]:
    sheet, start_row, end_row, start_col, end_col = _grid_bounds(spreadsheet, request.get("range") or {})
    kept = []
    for merge in sheet.merges:
        if not _overlaps(merge, start_row, end_row, start_col, end_col):
            kept.append(merge)
            continue
        inside = (
            merge["startRowIndex"] >= start_row
            and merge["endRowIndex"] <= end_row
            and merge["startColumnIndex"] >= start_col
            and merge["endColumnIndex"] <= end_col
        )
        if not inside:
            raise RequestError("You must select all cells in a merged range to merge or unmerge them.")
    sheet.merges = kept
    return {}


def _protected_range_json(state: StandinState, spreadsheet: Spreadsheet, requested: dict[str, Any], range_id: int) -> dict[str, Any]:
    _grid_bounds(spreadsheet, requested.get("range") or {})
    stored: dict[str, Any] = {"protectedRangeId": range_id, "range": _stored_range(requested.get("range") or {})}
    if requested.get("description"):
        stored["description"] = requested["description"]
    if requested.get("warningOnly"):
        stored["warningOnly"] = True
    stored["requestingUserCanEdit"] = True
    return stored


def add_protected_range(state: StandinState, spreadsheet: Spreadsheet, request: dict[str, Any]) -> dict[str, Any]:
    requested = request.get("protectedRange") or {}
    if "range" not in requested:
        raise RequestError("A protected range needs a range.")
    if requested.get("warningOnly") and (requested.get("editors") or {}).get("users"):
        raise RequestError("Cannot set editors on a warning-only protected range.")
    stored = _protected_range_json(state, spreadsheet, requested, state.new_int_id())
    reply = dict(stored, editors=copy.deepcopy(requested.get("editors") or {}))
    users = [state.owner_email] + [user for user in (requested.get("editors") or {}).get("users", []) if user != state.owner_email]
    stored["editors"] = {"users": users}
    sheet = _sheet_by_id(spreadsheet, (requested.get("range") or {}).get("sheetId"))
    sheet.protected_ranges.append(stored)
    return {"addProtectedRange": {"protectedRange": reply}}


def _find_protected_range(spreadsheet: Spreadsheet, range_id: Any) -> tuple[Sheet, dict[str, Any]]:
    for sheet in spreadsheet.sheets:
        for protected in sheet.protected_ranges:
            if protected["protectedRangeId"] == range_id:
                return sheet, protected
    raise RequestError(f"No protected range with id: {range_id}")


def delete_protected_range(state: StandinState, spreadsheet: Spreadsheet, request: dict[str, Any]) -> dict[str, Any]:
    sheet, protected = _find_protected_range(spreadsheet, request.get("protectedRangeId"))
    sheet.protected_ranges.remove(protected)
    return {}


def update_protected_range(state: StandinState, spreadsheet: Spreadsheet, request: dict[str, Any]) -> dict[str, Any]:
    requested = request.get("protectedRange") or {}
    sheet, protected = _find_protected_range(spreadsheet, requested.get("protectedRangeId"))
    for path in _paths(request.get("fields")):
        head = path[0]
        if head == "range":
            _grid_bounds(spreadsheet, requested.get("range") or {})
            protected["range"] = _stored_range(requested.get("range") or {})
        elif head == "description":
            if requested.get("description"):
                protected["description"] = requested["description"]
            else:
                protected.pop("description", None)
        elif head == "warningOnly":
            if requested.get("warningOnly"):
                protected["warningOnly"] = True
            else:
                protected.pop("warningOnly", None)
        elif head == "editors":
            users = (requested.get("editors") or {}).get("users", [])
            protected["editors"] = {"users": [state.owner_email] + [user for user in users if user != state.owner_email]}
        else:
            raise RequestError(f"Unsupported protected range field: {head}")
    return {}


def _normalise_location(spreadsheet: Spreadsheet, location: dict[str, Any]) -> dict[str, Any]:
    if location.get("spreadsheet"):
        return {"locationType": "SPREADSHEET", "spreadsheet": True}
    if "sheetId" in location:
        _sheet_by_id(spreadsheet, location["sheetId"])
        return {"locationType": "SHEET", "sheetId": location["sheetId"]}
    if "dimensionRange" in location:
        dimension_range = dict(location["dimensionRange"])
        sheet, dimension, start, end = _dimension_range(spreadsheet, dimension_range)
        if end - start < 1:
            raise RequestError("A dimension range for developer metadata must not be empty.")
        return {
            "locationType": "ROW" if dimension == "ROWS" else "COLUMN",
            "dimensionRange": {"sheetId": sheet.sheet_id, "dimension": dimension, "startIndex": start, "endIndex": end},
        }
    raise RequestError("Developer metadata needs a location.")


def create_developer_metadata(state: StandinState, spreadsheet: Spreadsheet, request: dict[str, Any]) -> dict[str, Any]:
    requested = request.get("developerMetadata") or {}
    if not requested.get("metadataKey"):
        raise RequestError("metadataKey is required.")
    if requested.get("visibility") not in ("DOCUMENT", "PROJECT"):
        raise RequestError("visibility must be DOCUMENT or PROJECT.")
    stored: dict[str, Any] = {
        "metadataId": requested.get("metadataId") or state.new_int_id(),
        "metadataKey": requested["metadataKey"],
    }
    if requested.get("metadataValue") is not None:
        stored["metadataValue"] = requested["metadataValue"]
    stored["location"] = _normalise_location(spreadsheet, requested.get("location") or {})
    stored["visibility"] = requested["visibility"]
    spreadsheet.developer_metadata.append(stored)
    return {"createDeveloperMetadata": {"developerMetadata": copy.deepcopy(stored)}}


def delete_developer_metadata(state: StandinState, spreadsheet: Spreadsheet, request: dict[str, Any]) -> dict[str, Any]:
    lookup = (request.get("dataFilter") or {}).get("developerMetadataLookup")
    if not lookup:
        raise RequestError("dataFilter.developerMetadataLookup is required.")
    deleted, kept = [], []
    for item in spreadsheet.developer_metadata:
        matches = all(
            item.get(key) == lookup[key] for key in ("metadataId", "metadataKey", "metadataValue", "visibility") if key in lookup
        )
        (deleted if matches else kept).append(item)
    spreadsheet.developer_metadata = kept
    return {"deleteDeveloperMetadata": {"deletedDeveloperMetadata": deleted}}


HANDLERS: dict[str, Callable[[StandinState, Spreadsheet, dict[str, Any]], dict[str, Any]]] = {
    "addSheet": add_sheet,
    "deleteSheet": delete_sheet,
    "updateSheetProperties": update_sheet_properties,
    "updateSpreadsheetProperties": update_spreadsheet_properties,
    "updateCells": update_cells,
    "repeatCell": repeat_cell,
    "setDataValidation": set_data_validation,
    "appendCells": append_cells,
    "addProtectedRange": add_protected_range,
    "deleteProtectedRange": delete_protected_range,
    "updateProtectedRange": update_protected_range,
    "updateDimensionProperties": update_dimension_properties,
    "autoResizeDimensions": auto_resize_dimensions,
    "appendDimension": append_dimension,
    "insertDimension": insert_dimension,
    "deleteDimension": delete_dimension,
    "createDeveloperMetadata": create_developer_metadata,
    "deleteDeveloperMetadata": delete_developer_metadata,
    "mergeCells": merge_cells,
    "unmergeCells": unmerge_cells,
}


def batch_update(state: StandinState, spreadsheet: Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
    """Apply requests in order and return replies; the caller restores state on error.

    Google applies a batch atomically: one invalid request rejects the whole batch.
    """
    requests = body.get("requests")
    if not isinstance(requests, list) or not requests:
        raise bad_request("Must specify at least one request.")
    replies = []
    for index, request in enumerate(requests):
        if not isinstance(request, dict):
            raise bad_request(f"Invalid requests[{index}]: No request set.")
        kinds = [key for key, value in request.items() if value is not None]
        if not kinds:
            raise bad_request(f"Invalid requests[{index}]: No request set.")
        for kind in kinds:
            if kind not in GOOGLE_REQUEST_KINDS:
                message = f"Invalid JSON payload received. Unknown name \"{kind}\" at 'requests[{index}]': Cannot find field."
                raise bad_request(message, f"requests[{index}]")
        if len(kinds) > 1:
            raise bad_request(f"Invalid requests[{index}]: only one request kind may be set, found {', '.join(kinds)}.")
        kind = kinds[0]
        handler = HANDLERS.get(kind)
        if handler is None:
            raise bad_request(f"Invalid requests[{index}].{kind}: the Sheets stand-in does not implement this request kind.")
        try:
            replies.append(handler(state, spreadsheet, request[kind]))
        except RequestError as exc:
            raise bad_request(f"Invalid requests[{index}].{kind}: {exc}") from None
    result: dict[str, Any] = {"spreadsheetId": spreadsheet.spreadsheet_id, "replies": replies}
    return result

"""The `spreadsheets.values` endpoints: get, batchGet, update, batchUpdate, append, clear."""

from __future__ import annotations

from typing import Any, Optional

from .a1 import column_letters
from .errors import bad_request, invalid_json_value
from .model import Spreadsheet
from .sheets_batch import insert_dimension_block
from .state import Bounds, StandinState

VALUE_RENDER_OPTIONS = ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA")
DATE_RENDER_OPTIONS = ("SERIAL_NUMBER", "FORMATTED_STRING")
INPUT_OPTIONS = ("RAW", "USER_ENTERED")
_LIST_VALUE = "type.googleapis.com/google.protobuf.ListValue"


def _first(params: dict[str, list[str]], name: str, default: Optional[str] = None) -> Optional[str]:
    values = params.get(name)
    return values[0] if values else default


def _enum_param(params: dict[str, list[str]], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = _first(params, name, default)
    assert value is not None
    if value not in allowed:
        raise bad_request(
            f"Invalid value at '{_snake(name)}' (type.googleapis.com/google.apps.sheets.v4.{name[0].upper() + name[1:]}), "
            f'"{value}"',
            _snake(name),
        )
    return value


def _snake(name: str) -> str:
    return "".join("_" + char.lower() if char.isupper() else char for char in name)


def render_bounds(
    spreadsheet: Spreadsheet, bounds: Bounds, value_render: str, date_render: str, major_dimension: str
) -> dict[str, Any]:
    """Return a ValueRange for bounds, trimmed of trailing empty cells and rows like Google."""
    grid: list[list[Any]] = []
    for row in range(bounds.start_row, bounds.end_row):
        rendered = []
        for col in range(bounds.start_col, bounds.end_col):
            cell = bounds.sheet.cell(row, col)
            value = cell.rendered_value(value_render, date_render, spreadsheet.locale) if cell is not None else None
            rendered.append(value)
        grid.append(rendered)
    if major_dimension == "COLUMNS":
        grid = [list(column) for column in zip(*grid)] if grid else []
    trimmed: list[list[Any]] = []
    for line in grid:
        while line and line[-1] is None:
            line.pop()
        trimmed.append(["" if value is None else value for value in line])
    while trimmed and not trimmed[-1]:
        trimmed.pop()
    result: dict[str, Any] = {"range": bounds.a1(), "majorDimension": major_dimension}
    if trimmed:
        result["values"] = trimmed
    return result


def _read_options(params: dict[str, list[str]]) -> tuple[str, str, str]:
    value_render = _enum_param(params, "valueRenderOption", VALUE_RENDER_OPTIONS, "FORMATTED_VALUE")
    date_render = _enum_param(params, "dateTimeRenderOption", DATE_RENDER_OPTIONS, "SERIAL_NUMBER")
    major = _enum_param(params, "majorDimension", ("ROWS", "COLUMNS"), "ROWS")
    return value_render, date_render, major


def values_get(state: StandinState, spreadsheet: Spreadsheet, range_text: str, params: dict[str, list[str]]) -> dict[str, Any]:
    value_render, date_render, major = _read_options(params)
    bounds = state.resolve_range(spreadsheet, range_text)
    return render_bounds(spreadsheet, bounds, value_render, date_render, major)


def values_batch_get(state: StandinState, spreadsheet: Spreadsheet, params: dict[str, list[str]]) -> dict[str, Any]:
    value_render, date_render, major = _read_options(params)
    ranges = params.get("ranges", [])
    value_ranges = [
        render_bounds(spreadsheet, state.resolve_range(spreadsheet, text), value_render, date_render, major)
        for text in ranges
    ]
    result: dict[str, Any] = {"spreadsheetId": spreadsheet.spreadsheet_id}
    if value_ranges:
        result["valueRanges"] = value_ranges
    return result


# --- writes ------------------------------------------------------------------------


def _input_option(value: Optional[str]) -> str:
    if value is None:
        raise bad_request("'valueInputOption' is required but not specified")
    if value not in INPUT_OPTIONS:
        raise bad_request(
            f"Invalid value at 'value_input_option' (type.googleapis.com/google.apps.sheets.v4.ValueInputOption), \"{value}\"",
            "value_input_option",
        )
    return value


def _checked_rows(values: Any, field: str, major_dimension: Optional[str]) -> list[list[Any]]:
    if values is None:
        return []
    if not isinstance(values, list):
        raise invalid_json_value(field, values, _LIST_VALUE)
    for index, row in enumerate(values):
        if not isinstance(row, list):
            raise invalid_json_value(f"{field}[{index}]", row, _LIST_VALUE)
    if major_dimension == "COLUMNS":
        height = max((len(column) for column in values), default=0)
        return [[column[row] if row < len(column) else None for column in values] for row in range(height)]
    return values


def write_range(
    state: StandinState, spreadsheet: Spreadsheet, range_text: str, rows: list[list[Any]], input_option: str
) -> tuple[dict[str, Any], set[tuple[int, int]], set[tuple[int, int]]]:
    """Write rows at a range; return the UpdateValuesResponse and the touched rows and columns."""
    bounds = state.resolve_range(spreadsheet, range_text)
    sheet = bounds.sheet
    height = len(rows)
    width = max((len(row) for row in rows), default=0)
    if bounds.single_cell:
        end_row = bounds.start_row + height
        end_col = bounds.start_col + width
        if end_row > sheet.row_count or end_col > sheet.column_count:
            raise bad_request(
                f"Range ({range_text}) exceeds grid limits. Max rows: {sheet.row_count}, max columns: {sheet.column_count}"
            )
    else:
        if bounds.start_row + height > bounds.end_row:
            raise bad_request(
                f"Requested writing within range [{range_text}], but tried writing to row [{bounds.start_row + height}]"
            )
        if bounds.start_col + width > bounds.end_col:
            raise bad_request(
                f"Requested writing within range [{range_text}], but tried writing to column "
                f"[{column_letters(bounds.start_col + width - 1)}]"
            )

    touched_rows: set[tuple[int, int]] = set()
    touched_cols: set[tuple[int, int]] = set()
    cells = 0
    for row_offset, row in enumerate(rows):
        for col_offset, value in enumerate(row):
            row_index = bounds.start_row + row_offset
            col_index = bounds.start_col + col_offset
            if state.write_value(spreadsheet, sheet, row_index, col_index, value, input_option):
                cells += 1
                touched_rows.add((sheet.sheet_id, row_index))
                touched_cols.add((sheet.sheet_id, col_index))

    response: dict[str, Any] = {"spreadsheetId": spreadsheet.spreadsheet_id}
    if height and width:
        response["updatedRange"] = sheet.a1(bounds.start_row, bounds.start_row + height, bounds.start_col, bounds.start_col + width)
    else:
        response["updatedRange"] = bounds.a1()
    if cells:
        response["updatedRows"] = len(touched_rows)
        response["updatedColumns"] = len(touched_cols)
        response["updatedCells"] = cells
    return response, touched_rows, touched_cols


def _add_response_values(
    state: StandinState, spreadsheet: Spreadsheet, response: dict[str, Any], params: dict[str, Any], body_flag: Any = None
) -> None:
    include = body_flag if body_flag is not None else _first(params, "includeValuesInResponse", "false")
    if str(include).lower() != "true":
        return
    value_render = str(params.get("responseValueRenderOption") or "FORMATTED_VALUE")
    date_render = str(params.get("responseDateTimeRenderOption") or "SERIAL_NUMBER")
    bounds = state.resolve_range(spreadsheet, response["updatedRange"])
    response["updatedData"] = render_bounds(spreadsheet, bounds, value_render, date_render, "ROWS")


def values_update(
    state: StandinState, spreadsheet: Spreadsheet, range_text: str, params: dict[str, list[str]], body: dict[str, Any]
) -> dict[str, Any]:
    input_option = _input_option(_first(params, "valueInputOption"))
    rows = _checked_rows(body.get("values"), "data.values", body.get("majorDimension"))
    response, _, _ = write_range(state, spreadsheet, range_text, rows, input_option)
    flat_params = {key: value[0] for key, value in params.items() if value}
    _add_response_values(state, spreadsheet, response, flat_params, flat_params.get("includeValuesInResponse"))
    return response


def values_batch_update(state: StandinState, spreadsheet: Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
    input_option = _input_option(body.get("valueInputOption"))
    data = body.get("data") or []
    if not isinstance(data, list):
        raise invalid_json_value("data", data, _LIST_VALUE)

    responses = []
    all_rows: set[tuple[int, int]] = set()
    all_cols: set[tuple[int, int]] = set()
    total_cells = 0
    sheets: set[int] = set()
    for index, value_range in enumerate(data):
        rows = _checked_rows(value_range.get("values"), f"data[{index}].values", value_range.get("majorDimension"))
        range_text = value_range.get("range")
        if not range_text:
            raise bad_request(f"Invalid data[{index}]: range is required")
        response, touched_rows, touched_cols = write_range(state, spreadsheet, range_text, rows, input_option)
        _add_response_values(state, spreadsheet, response, body, body.get("includeValuesInResponse"))
        responses.append(response)
        all_rows |= touched_rows
        all_cols |= touched_cols
        total_cells += response.get("updatedCells", 0)
        sheets |= {sheet_id for sheet_id, _ in touched_rows}

    result: dict[str, Any] = {"spreadsheetId": spreadsheet.spreadsheet_id}
    if total_cells:
        result.update(
            {
                "totalUpdatedRows": len(all_rows),
                "totalUpdatedColumns": len(all_cols),
                "totalUpdatedCells": total_cells,
                "totalUpdatedSheets": len(sheets),
            }
        )
    if responses:
        result["responses"] = responses
    return result


def values_append(
    state: StandinState, spreadsheet: Spreadsheet, range_text: str, params: dict[str, list[str]], body: dict[str, Any]
) -> dict[str, Any]:
    """Append rows after the table that the range starts, like Google's values.append.

    The table is the block of consecutive rows with values in the range's columns. For
    a lone anchor cell such as `A2`, those are all columns from it to the right. The
    block starts at the range's first row, or, when the range spans several rows, at
    the first row with values. With no table, the rows go to the range's first row.
    NOTE: an approximation of Google's table detection, which is not documented in detail.
    """
    input_option = _input_option(_first(params, "valueInputOption"))
    insert_option = _first(params, "insertDataOption", "OVERWRITE")
    rows = _checked_rows(body.get("values"), "data.values", body.get("majorDimension"))
    bounds = state.resolve_range(spreadsheet, range_text)
    sheet = bounds.sheet
    end_col = sheet.column_count if bounds.single_cell else bounds.end_col
    table_start, table_end = _find_table(sheet, bounds, end_col)
    target_row = table_end if table_end is not None else bounds.start_row
    height = len(rows)
    width = max((len(row) for row in rows), default=0)
    if bounds.start_col + width > sheet.column_count:
        raise bad_request(
            f"Range ({range_text}) exceeds grid limits. Max rows: {sheet.row_count}, max columns: {sheet.column_count}"
        )
    if insert_option == "INSERT_ROWS":
        insert_dimension_block(spreadsheet, sheet, "ROWS", target_row, height)
    elif target_row + height > sheet.row_count:
        sheet.row_count = target_row + height
    result: dict[str, Any] = {"spreadsheetId": spreadsheet.spreadsheet_id}
    if table_start is not None and table_end is not None:
        table_width_end = max(bounds.start_col + 1, _last_value_col(sheet, table_start, table_end, bounds.start_col))
        result["tableRange"] = sheet.a1(table_start, table_end, bounds.start_col, table_width_end)
    if not height:
        result["updates"] = {"spreadsheetId": spreadsheet.spreadsheet_id}
        return result
    anchor = sheet.a1(target_row, target_row + 1, bounds.start_col, bounds.start_col + 1)
    update, _, _ = write_range(state, spreadsheet, anchor, rows, input_option)
    flat_params = {key: value[0] for key, value in params.items() if value}
    _add_response_values(state, spreadsheet, update, flat_params, flat_params.get("includeValuesInResponse"))
    result["updates"] = update
    return result


def _row_has_values(sheet: Any, row: int, start_col: int, end_col: int) -> bool:
    cells = sheet.rows[row][start_col:end_col] if row < len(sheet.rows) else []
    return any(cell is not None and cell.has_value() for cell in cells)


def _find_table(sheet: Any, bounds: Bounds, end_col: int) -> tuple[Optional[int], Optional[int]]:
    start = bounds.start_row
    if not _row_has_values(sheet, start, bounds.start_col, end_col):
        if bounds.single_cell:
            return None, None
        last = min(bounds.end_row, len(sheet.rows))
        start = next((row for row in range(start, last) if _row_has_values(sheet, row, bounds.start_col, end_col)), -1)
        if start < 0:
            return None, None
    end = start
    while end < min(bounds.end_row, len(sheet.rows)) and _row_has_values(sheet, end, bounds.start_col, end_col):
        end += 1
    return start, end


def _last_value_col(sheet: Any, start_row: int, end_row: int, start_col: int) -> int:
    last = start_col
    for row in range(start_row, end_row):
        cells = sheet.rows[row] if row < len(sheet.rows) else []
        for col in range(len(cells) - 1, start_col - 1, -1):
            if cells[col] is not None and cells[col].has_value():
                last = max(last, col + 1)
                break
    return last


def clear_bounds(bounds: Bounds) -> None:
    """Clear values in bounds, keeping formats, notes and validation like Google."""
    for row in range(bounds.start_row, bounds.end_row):
        for col in range(bounds.start_col, bounds.end_col):
            cell = bounds.sheet.cell(row, col)
            if cell is not None:
                cell.clear_value()


def values_clear(state: StandinState, spreadsheet: Spreadsheet, range_text: str) -> dict[str, Any]:
    bounds = state.resolve_range(spreadsheet, range_text)
    clear_bounds(bounds)
    return {"spreadsheetId": spreadsheet.spreadsheet_id, "clearedRange": bounds.a1()}


def values_batch_clear(state: StandinState, spreadsheet: Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
    cleared = []
    for range_text in body.get("ranges") or []:
        bounds = state.resolve_range(spreadsheet, range_text)
        clear_bounds(bounds)
        cleared.append(bounds.a1())
    result: dict[str, Any] = {"spreadsheetId": spreadsheet.spreadsheet_id}
    if cleared:
        result["clearedRanges"] = cleared
    return result

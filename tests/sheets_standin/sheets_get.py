"""`spreadsheets.get` (with field masks, ranges and grid data) and `spreadsheets.create`."""

from __future__ import annotations

from typing import Any, Optional

from .errors import bad_request
from .fieldmask import FieldMaskError, MaskTree, apply_field_mask, parse_field_mask, subtree_at
from .model import DEFAULT_COLUMN_COUNT, DEFAULT_ROW_COUNT, Sheet, Spreadsheet
from .state import Bounds, StandinState


def parse_mask_param(params: dict[str, list[str]]) -> MaskTree:
    fields = params.get("fields")
    if not fields:
        return None
    try:
        return parse_field_mask(",".join(fields))
    except FieldMaskError as exc:
        raise bad_request(f"Invalid field selection {fields[0]}", "fields") from exc


def spreadsheet_json(
    state: StandinState,
    spreadsheet: Spreadsheet,
    ranges: list[str],
    include_grid_data: bool,
    mask: MaskTree,
) -> dict[str, Any]:
    """Return a Spreadsheet resource, filtered by the field mask.

    Like Google, includeGridData is ignored when a field mask is given: grid data is
    returned when the mask selects `sheets.data`.
    """
    if mask is not None:
        include_data, _ = subtree_at(mask, "sheets", "data")
    else:
        include_data = include_grid_data
    _, cell_mask = subtree_at(mask, "sheets", "data", "rowData", "values")

    bounds_by_sheet: dict[int, list[Bounds]] = {}
    for text in ranges:
        bounds = state.resolve_range(spreadsheet, text)
        bounds_by_sheet.setdefault(bounds.sheet.sheet_id, []).append(bounds)

    sheets_json = []
    for index, sheet in enumerate(spreadsheet.sheets):
        if ranges and sheet.sheet_id not in bounds_by_sheet:
            continue
        data: Optional[list[dict[str, Any]]] = None
        if include_data:
            sheet_bounds = bounds_by_sheet.get(sheet.sheet_id) or [Bounds(sheet, 0, sheet.row_count, 0, sheet.column_count)]
            data = [
                spreadsheet.grid_data_json(sheet, item.start_row, item.end_row, item.start_col, item.end_col, cell_mask)
                for item in sheet_bounds
            ]
        sheets_json.append(spreadsheet.sheet_json(sheet, index, data))

    result: dict[str, Any] = {
        "spreadsheetId": spreadsheet.spreadsheet_id,
        "properties": spreadsheet.properties_json(),
        "sheets": sheets_json,
    }
    spreadsheet_metadata = spreadsheet.metadata_for("SPREADSHEET")
    if spreadsheet_metadata:
        result["developerMetadata"] = spreadsheet_metadata
    result["spreadsheetUrl"] = spreadsheet.url()
    return apply_field_mask(result, mask)


def spreadsheets_get(state: StandinState, spreadsheet: Spreadsheet, params: dict[str, list[str]]) -> dict[str, Any]:
    include = (params.get("includeGridData") or ["false"])[0].lower() == "true"
    mask = parse_mask_param(params)
    return spreadsheet_json(state, spreadsheet, params.get("ranges", []), include, mask)


def sheet_from_properties(state: StandinState, spreadsheet: Spreadsheet, properties: dict[str, Any]) -> Sheet:
    """Add a sheet described by a SheetProperties object; 400 on a duplicate title or id."""
    title = properties.get("title")
    if not title:
        title = _next_sheet_title(spreadsheet)
    if spreadsheet.sheet_by_title(title) is not None:
        raise bad_request(f'A sheet with the name "{title}" already exists. Please enter another name.')
    sheet_id = properties.get("sheetId")
    if sheet_id is not None and spreadsheet.sheet_by_id(sheet_id) is not None:
        raise bad_request(f"A sheet with id {sheet_id} already exists.")
    grid = properties.get("gridProperties") or {}
    sheet = state.add_sheet(
        spreadsheet,
        title,
        sheet_id=sheet_id,
        row_count=grid.get("rowCount", DEFAULT_ROW_COUNT),
        column_count=grid.get("columnCount", DEFAULT_COLUMN_COUNT),
        frozen_row_count=grid.get("frozenRowCount", 0),
        frozen_column_count=grid.get("frozenColumnCount", 0),
        hidden=bool(properties.get("hidden", False)),
        tab_color=properties.get("tabColor"),
    )
    if "index" in properties:
        spreadsheet.sheets.remove(sheet)
        spreadsheet.sheets.insert(min(int(properties["index"]), len(spreadsheet.sheets)), sheet)
    return sheet


def _next_sheet_title(spreadsheet: Spreadsheet) -> str:
    number = len(spreadsheet.sheets) + 1
    while spreadsheet.sheet_by_title(f"Sheet{number}") is not None:
        number += 1
    return f"Sheet{number}"


def spreadsheets_create(state: StandinState, body: dict[str, Any]) -> dict[str, Any]:
    properties = body.get("properties") or {}
    spreadsheet = state.new_spreadsheet(
        properties.get("title") or "Untitled spreadsheet",
        locale=properties.get("locale"),
        time_zone=properties.get("timeZone"),
    )
    for sheet_body in body.get("sheets") or [{"properties": {"title": "Sheet1"}}]:
        sheet_properties = dict(sheet_body.get("properties") or {})
        if not spreadsheet.sheets and "sheetId" not in sheet_properties:
            sheet_properties["sheetId"] = 0
        sheet_from_properties(state, spreadsheet, sheet_properties)
    return spreadsheet_json(state, spreadsheet, [], False, None)

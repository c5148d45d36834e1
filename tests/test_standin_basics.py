"""The Sheets stand-in driven by real gspread 6.2.1 through the loopback adapter."""

from __future__ import annotations

import datetime as dt
from typing import Any

import gspread
import pytest
import requests
from gspread.exceptions import APIError

from tests.sheets_standin import (
    NonLoopbackRequestError,
    SeedCell,
    StandinServer,
    make_gspread_client,
    make_session,
    to_serial,
)
from tests.sheets_standin.fixtures import gspread_client, standin, standin_server  # noqa: F401

TAB = "Học bổng"
HEADER = ["STT", "Họ và tên", "Ngày sinh", "Số điện thoại", "Số tiền"]
# Synthetic people; no real personal data.
ROWS = [
    HEADER,
    [1, "Nguyễn Văn Thử", dt.date(2005, 3, 1), "0912345678", 1500000],
    [2, "Trần Thị Mẫu", dt.date(2006, 11, 20), "0987000111", 2000000.5],
]


@pytest.fixture
def workbook(standin: StandinServer) -> str:
    return standin.create_spreadsheet("Đầm Dơi 2022", {TAB: ROWS, "Đội hình": [["Xã/Phường/Thị trấn"]]})


def _api_error(excinfo: pytest.ExceptionInfo[APIError]) -> dict[str, Any]:
    return excinfo.value.response.json()["error"]


# --- reading -------------------------------------------------------------------------


def test_open_by_key_reads_properties(gspread_client: gspread.Client, workbook: str) -> None:
    spreadsheet = gspread_client.open_by_key(workbook)

    assert spreadsheet.title == "Đầm Dơi 2022"
    assert [sheet.title for sheet in spreadsheet.worksheets()] == [TAB, "Đội hình"]
    assert spreadsheet.locale == "vi_VN"
    assert spreadsheet.timezone == "Asia/Ho_Chi_Minh"


def test_open_by_key_unknown_id_not_found(gspread_client: gspread.Client) -> None:
    with pytest.raises(gspread.SpreadsheetNotFound):
        gspread_client.open_by_key("1DoesNotExist")


def test_worksheet_batch_get_formatted(gspread_client: gspread.Client, workbook: str) -> None:
    worksheet = gspread_client.open_by_key(workbook).worksheet(TAB)

    header, second = worksheet.batch_get(["A1:E1", "B3:E3"])

    assert header == [HEADER]
    # vi_VN writes dates day first and decimals with a comma.
    assert second == [["Trần Thị Mẫu", "20/11/2006", "0987000111", "2000000,5"]]


def test_values_batch_get_unformatted_types(gspread_client: gspread.Client, workbook: str) -> None:
    spreadsheet = gspread_client.open_by_key(workbook)

    result = spreadsheet.values_batch_get(
        [f"'{TAB}'!A1:Z"], params={"valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "SERIAL_NUMBER"}
    )

    value_range = result["valueRanges"][0]
    assert value_range["range"] == f"'{TAB}'!A1:Z1000"
    assert value_range["values"][1] == [1, "Nguyễn Văn Thử", to_serial(dt.date(2005, 3, 1)), "0912345678", 1500000]
    assert isinstance(value_range["values"][2][4], float)


def test_values_batch_get_formatted_string_dates(gspread_client: gspread.Client, workbook: str) -> None:
    spreadsheet = gspread_client.open_by_key(workbook)

    result = spreadsheet.values_batch_get(
        [f"'{TAB}'!C2:C3"], params={"valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "FORMATTED_STRING"}
    )

    assert result["valueRanges"][0]["values"] == [["01/03/2005"], ["20/11/2006"]]


def test_values_get_trims_trailing_blanks(gspread_client: gspread.Client, standin: StandinServer) -> None:
    spreadsheet_id = standin.create_spreadsheet("Trống", {"Sheet1": [["a", None, None], [None], [None, "b", ""], [], []]})
    spreadsheet = gspread_client.open_by_key(spreadsheet_id)

    result = spreadsheet.values_get("Sheet1")

    assert result["values"] == [["a"], [], ["", "b"]]


def test_values_get_columns_major(gspread_client: gspread.Client, workbook: str) -> None:
    spreadsheet = gspread_client.open_by_key(workbook)

    result = spreadsheet.values_get(f"'{TAB}'!A1:B3", params={"majorDimension": "COLUMNS"})

    assert result["values"] == [["STT", "1", "2"], ["Họ và tên", "Nguyễn Văn Thử", "Trần Thị Mẫu"]]


def test_range_beyond_grid_rejected(gspread_client: gspread.Client, workbook: str) -> None:
    spreadsheet = gspread_client.open_by_key(workbook)

    with pytest.raises(APIError) as excinfo:
        spreadsheet.values_get(f"'{TAB}'!A1:AB2")

    error = _api_error(excinfo)
    assert error["code"] == 400
    assert error["status"] == "INVALID_ARGUMENT"
    assert "exceeds grid limits" in error["message"]


def test_grid_data_has_cell_fields(gspread_client: gspread.Client, standin: StandinServer) -> None:
    spreadsheet_id = standin.create_spreadsheet(
        "Lưới", {"Sheet1": [["Ngày", SeedCell(value=3, note="Cần kiểm tra", background={"red": 1, "green": 0.9, "blue": 0.9})]]}
    )
    spreadsheet = gspread_client.open_by_key(spreadsheet_id)

    metadata = spreadsheet.fetch_sheet_metadata({"includeGridData": "true", "ranges": ["Sheet1!A1:B1"]})

    cells = metadata["sheets"][0]["data"][0]["rowData"][0]["values"]
    assert cells[1]["userEnteredValue"] == {"numberValue": 3}
    assert cells[1]["effectiveValue"] == {"numberValue": 3}
    assert cells[1]["formattedValue"] == "3"
    assert cells[1]["note"] == "Cần kiểm tra"
    assert cells[1]["userEnteredFormat"]["backgroundColor"] == {"red": 1, "green": 0.9, "blue": 0.9}


def test_field_mask_limits_response(gspread_client: gspread.Client, workbook: str) -> None:
    spreadsheet = gspread_client.open_by_key(workbook)

    metadata = spreadsheet.fetch_sheet_metadata({"fields": "properties.timeZone,sheets(properties(title,gridProperties.frozenRowCount))"})

    assert metadata == {"properties": {"timeZone": "Asia/Ho_Chi_Minh"}, "sheets": [{"properties": {"title": TAB, "gridProperties": {}}}, {"properties": {"title": "Đội hình", "gridProperties": {}}}]}


# --- writing -------------------------------------------------------------------------


def test_batch_update_notes_and_formats(gspread_client: gspread.Client, standin: StandinServer, workbook: str) -> None:
    spreadsheet = gspread_client.open_by_key(workbook)
    sheet_id = spreadsheet.worksheet(TAB).id
    pink = {"red": 1, "green": 0.8, "blue": 0.8}

    reply = spreadsheet.batch_update(
        {
            "requests": [
                {
                    "updateCells": {
                        "range": {"sheetId": sheet_id, "startRowIndex": 1, "endRowIndex": 2, "startColumnIndex": 2, "endColumnIndex": 3},
                        "rows": [{"values": [{"note": "Ngày sinh ngoài khoảng cho phép"}]}],
                        "fields": "note",
                    }
                },
                {
                    "repeatCell": {
                        "range": {"sheetId": sheet_id, "startRowIndex": 1, "endRowIndex": 2, "startColumnIndex": 2, "endColumnIndex": 3},
                        "cell": {"userEnteredFormat": {"backgroundColor": pink}},
                        "fields": "userEnteredFormat.backgroundColor",
                    }
                },
            ]
        }
    )

    assert reply == {"spreadsheetId": workbook, "replies": [{}, {}]}
    assert standin.get_notes(workbook, TAB) == {"C2": "Ngày sinh ngoài khoảng cho phép"}
    assert standin.get_background_color(workbook, TAB, "C2") == pink
    # The staff-typed value under the note and color is unchanged.
    assert standin.get_values(workbook, TAB)[1][2] == to_serial(dt.date(2005, 3, 1))
    assert spreadsheet.worksheet(TAB).get_note("C2") == "Ngày sinh ngoài khoảng cho phép"


def test_values_batch_update_skips_nulls(gspread_client: gspread.Client, standin: StandinServer, workbook: str) -> None:
    spreadsheet = gspread_client.open_by_key(workbook)

    response = spreadsheet.values_batch_update(
        {"valueInputOption": "RAW", "data": [{"range": f"'{TAB}'!E2:F2", "values": [[None, "Hợp lệ"]]}]}
    )

    assert response["totalUpdatedCells"] == 1
    assert standin.get_values(workbook, TAB)[1][4:] == [1500000, "Hợp lệ"]


def test_raw_keeps_formula_text(gspread_client: gspread.Client, standin: StandinServer, workbook: str) -> None:
    worksheet = gspread_client.open_by_key(workbook).worksheet(TAB)

    worksheet.update([["=1+1", "0912"]], "F1", raw=True)

    assert standin.get_values(workbook, TAB)[0][5:] == ["=1+1", "0912"]


def test_user_entered_parses_like_google(gspread_client: gspread.Client, standin: StandinServer, workbook: str) -> None:
    worksheet = gspread_client.open_by_key(workbook).worksheet(TAB)

    worksheet.update([["=4/2", "0912", "1,5", "25/3/2022", "'0912", "TRUE"]], "F1", raw=False)

    values = standin.get_values(workbook, TAB)[0][5:]
    assert values == [2, 912, 1.5, to_serial(dt.date(2022, 3, 25)), "0912", True]
    formulas = standin.get_values(workbook, TAB, value_render="FORMULA")[0][5]
    assert formulas == "=4/2"


def test_write_beyond_range_rejected(gspread_client: gspread.Client, standin: StandinServer, workbook: str) -> None:
    spreadsheet = gspread_client.open_by_key(workbook)

    with pytest.raises(APIError) as excinfo:
        spreadsheet.values_update(f"'{TAB}'!F1:F1", params={"valueInputOption": "RAW"}, body={"values": [["a", "b"]]})

    assert "tried writing to column [G]" in _api_error(excinfo)["message"]
    assert standin.get_values(workbook, TAB)[0] == HEADER


def test_append_after_last_row(gspread_client: gspread.Client, standin: StandinServer, workbook: str) -> None:
    worksheet = gspread_client.open_by_key(workbook).worksheet(TAB)

    response = worksheet.append_row([3, "Lê Văn Mới"])

    assert response["updates"]["updatedRange"] == f"'{TAB}'!A4:B4"
    assert response["tableRange"] == f"'{TAB}'!A1:E3"
    assert standin.get_values(workbook, TAB)[3] == [3, "Lê Văn Mới"]


def test_batch_update_is_atomic(gspread_client: gspread.Client, standin: StandinServer, workbook: str) -> None:
    spreadsheet = gspread_client.open_by_key(workbook)
    requests_body = [
        {"updateSheetProperties": {"properties": {"sheetId": 0, "gridProperties": {"frozenRowCount": 1}}, "fields": "gridProperties.frozenRowCount"}},
        {"deleteSheet": {"sheetId": 424242}},
    ]

    with pytest.raises(APIError) as excinfo:
        spreadsheet.batch_update({"requests": requests_body})

    assert _api_error(excinfo)["message"] == "Invalid requests[1].deleteSheet: No grid with id: 424242"
    assert standin.get_frozen_row_count(workbook, TAB) == 0


def test_unknown_request_kind_rejected(gspread_client: gspread.Client, workbook: str) -> None:
    spreadsheet = gspread_client.open_by_key(workbook)

    with pytest.raises(APIError) as excinfo:
        spreadsheet.batch_update({"requests": [{"paintCells": {}}]})

    error = _api_error(excinfo)
    assert error["code"] == 400
    assert error["status"] == "INVALID_ARGUMENT"
    assert error["message"] == "Invalid JSON payload received. Unknown name \"paintCells\" at 'requests[0]': Cannot find field."
    assert error["details"][0]["@type"] == "type.googleapis.com/google.rpc.BadRequest"


def test_unimplemented_request_kind_named(gspread_client: gspread.Client, workbook: str) -> None:
    spreadsheet = gspread_client.open_by_key(workbook)

    with pytest.raises(APIError) as excinfo:
        spreadsheet.batch_update({"requests": [{"sortRange": {"range": {"sheetId": 0}}}]})

    assert "does not implement" in _api_error(excinfo)["message"]


def test_sheet_structure_requests(gspread_client: gspread.Client, standin: StandinServer, workbook: str) -> None:
    spreadsheet = gspread_client.open_by_key(workbook)
    tab_id = spreadsheet.worksheet("Đội hình").id

    replies = spreadsheet.batch_update(
        {
            "requests": [
                {"addSheet": {"properties": {"title": "Tổng hợp lỗi", "gridProperties": {"rowCount": 50, "columnCount": 5}}}},
                {"updateSheetProperties": {"properties": {"sheetId": tab_id, "hidden": True}, "fields": "hidden"}},
                {"updateDimensionProperties": {"range": {"sheetId": 0, "dimension": "COLUMNS", "startIndex": 5, "endIndex": 7}, "properties": {"pixelSize": 240}, "fields": "pixelSize"}},
                {"appendDimension": {"sheetId": 0, "dimension": "COLUMNS", "length": 2}},
                {"setDataValidation": {"range": {"sheetId": 0, "startRowIndex": 1, "endRowIndex": 3, "startColumnIndex": 5, "endColumnIndex": 6}, "rule": {"condition": {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": "Đạt"}, {"userEnteredValue": "Lỗi"}]}, "strict": True, "showCustomUi": True}}},
                {"addProtectedRange": {"protectedRange": {"range": {"sheetId": 0, "startColumnIndex": 5, "endColumnIndex": 7}, "description": "Cột của hệ thống", "warningOnly": True}}},
                {"createDeveloperMetadata": {"developerMetadata": {"metadataKey": "ketnoi.status_column", "metadataValue": "F", "location": {"sheetId": 0}, "visibility": "DOCUMENT"}}},
                {"mergeCells": {"range": {"sheetId": 0, "startRowIndex": 5, "endRowIndex": 6, "startColumnIndex": 0, "endColumnIndex": 3}, "mergeType": "MERGE_ALL"}},
            ]
        }
    )["replies"]

    assert replies[0]["addSheet"]["properties"]["title"] == "Tổng hợp lỗi"
    assert replies[0]["addSheet"]["properties"]["index"] == 2
    assert replies[6]["createDeveloperMetadata"]["developerMetadata"]["location"] == {"locationType": "SHEET", "sheetId": 0}
    assert standin.get_sheet_properties(workbook, "Đội hình")["hidden"] is True
    assert standin.get_column_properties(workbook, TAB)[6] == {"pixelSize": 240}
    assert standin.get_sheet_properties(workbook, TAB)["gridProperties"]["columnCount"] == 28
    assert set(standin.get_data_validations(workbook, TAB)) == {"F2", "F3"}
    protected = standin.get_protected_ranges(workbook, TAB)
    assert protected[0]["warningOnly"] is True
    assert protected[0]["range"] == {"startColumnIndex": 5, "endColumnIndex": 7}
    assert standin.get_developer_metadata(workbook)[0]["metadataKey"] == "ketnoi.status_column"
    assert standin.get_merges(workbook, TAB) == [{"startRowIndex": 5, "endRowIndex": 6, "startColumnIndex": 0, "endColumnIndex": 3}]
    visible = [sheet.title for sheet in spreadsheet.worksheets(exclude_hidden=True)]
    assert visible == [TAB, "Tổng hợp lỗi"]


def test_insert_and_delete_dimension(gspread_client: gspread.Client, standin: StandinServer, workbook: str) -> None:
    worksheet = gspread_client.open_by_key(workbook).worksheet(TAB)

    worksheet.insert_rows([["chèn"]], row=2)
    assert [row[:2] for row in standin.get_values(workbook, TAB)] == [["STT", "Họ và tên"], ["chèn"], [1, "Nguyễn Văn Thử"], [2, "Trần Thị Mẫu"]]

    worksheet.delete_rows(2)
    assert standin.get_values(workbook, TAB)[1][0] == 1
    assert standin.get_sheet_properties(workbook, TAB)["gridProperties"]["rowCount"] == 1000


# --- staff edits between a read and a write ------------------------------------------


def test_staff_insert_rows_moves_data(gspread_client: gspread.Client, standin: StandinServer, workbook: str) -> None:
    spreadsheet = gspread_client.open_by_key(workbook)
    before = spreadsheet.get_lastUpdateTime()

    standin.insert_rows(workbook, TAB, 1, [[9, "Người chèn thêm"]])

    values = spreadsheet.values_get(f"'{TAB}'!A1:B4", params={"valueRenderOption": "UNFORMATTED_VALUE"})["values"]
    assert values == [["STT", "Họ và tên"], [9, "Người chèn thêm"], [1, "Nguyễn Văn Thử"], [2, "Trần Thị Mẫu"]]
    assert spreadsheet.get_lastUpdateTime() > before


def test_staff_delete_rows_shifts_merges(standin: StandinServer) -> None:
    spreadsheet_id = standin.create_spreadsheet("Gộp", {"Sheet1": [["a"], ["b"], ["c"], ["d"]]}, merges={"Sheet1": ["A4:C4"]})

    standin.delete_rows(spreadsheet_id, "Sheet1", 0, 2)

    assert standin.get_values(spreadsheet_id, "Sheet1") == [["c"], ["d"]]
    assert standin.get_merges(spreadsheet_id, "Sheet1") == [{"startRowIndex": 1, "endRowIndex": 2, "startColumnIndex": 0, "endColumnIndex": 3}]


def test_touch_bumps_modified_time(standin: StandinServer, workbook: str) -> None:
    before = standin.get_modified_time(workbook)

    after = standin.touch(workbook)

    assert after > before
    assert standin.get_modified_time(workbook) == after


# --- Drive -----------------------------------------------------------------------------


def test_drive_create_list_share(gspread_client: gspread.Client, standin: StandinServer) -> None:
    created = gspread_client.create("Báo cáo tỉnh")

    listed = gspread_client.list_spreadsheet_files()
    opened = gspread_client.open("Báo cáo tỉnh")
    created.share("can-bo@example.org", perm_type="user", role="writer", notify=False)

    assert [item["name"] for item in listed] == ["Báo cáo tỉnh"]
    assert opened.id == created.id
    assert created.sheet1.title == "Sheet1"
    emails = [item.get("emailAddress") for item in standin.get_permissions(created.id)]
    assert "can-bo@example.org" in emails


def test_drive_list_pages(standin: StandinServer) -> None:
    for number in range(3):
        standin.create_spreadsheet(f"Tệp {number}", {})
    session = make_session(standin.port)
    url = "https://www.googleapis.com/drive/v3/files"

    first = session.get(url, params={"pageSize": 2, "fields": "nextPageToken,files(id,name)"}).json()
    second = session.get(url, params={"pageSize": 2, "pageToken": first["nextPageToken"], "fields": "nextPageToken,files(id,name)"}).json()

    assert [item["name"] for item in first["files"] + second["files"]] == ["Tệp 0", "Tệp 1", "Tệp 2"]
    assert "nextPageToken" not in second


def test_drive_unknown_file_error_shape(standin: StandinServer) -> None:
    session = make_session(standin.port)

    response = session.get("https://www.googleapis.com/drive/v3/files/1Missing", params={"fields": "modifiedTime"})

    assert response.status_code == 404
    assert response.json()["error"]["errors"][0]["reason"] == "notFound"


# --- faults, quota, accounting ---------------------------------------------------------


def test_fail_next_429_then_success(gspread_client: gspread.Client, standin: StandinServer, workbook: str) -> None:
    spreadsheet = gspread_client.open_by_key(workbook)
    standin.fail_next(1, status=429)

    with pytest.raises(APIError) as excinfo:
        spreadsheet.values_batch_get([f"'{TAB}'!A1:B2"])

    error = _api_error(excinfo)
    assert error["code"] == 429
    assert error["status"] == "RESOURCE_EXHAUSTED"
    assert error["details"][0]["reason"] == "RATE_LIMIT_EXCEEDED"
    retried = spreadsheet.values_batch_get([f"'{TAB}'!A1:B2"])
    assert retried["valueRanges"][0]["values"][0] == ["STT", "Họ và tên"]


@pytest.mark.parametrize(("status", "google_status"), [(500, "INTERNAL"), (503, "UNAVAILABLE")])
def test_fail_next_server_errors(gspread_client: gspread.Client, standin: StandinServer, workbook: str, status: int, google_status: str) -> None:
    spreadsheet = gspread_client.open_by_key(workbook)
    standin.fail_next(1, status=status, kinds=["sheets_write"])

    spreadsheet.values_get(f"'{TAB}'!A1")
    with pytest.raises(APIError) as excinfo:
        spreadsheet.values_update(f"'{TAB}'!F1", params={"valueInputOption": "RAW"}, body={"values": [["x"]]})

    assert _api_error(excinfo)["status"] == google_status
    assert standin.get_values(workbook, TAB)[0] == HEADER


def test_fail_next_timeout(gspread_client: gspread.Client, standin: StandinServer, workbook: str) -> None:
    spreadsheet = gspread_client.open_by_key(workbook)
    gspread_client.set_timeout(0.5)
    standin.fail_next(1, status="timeout", client_timeout=0.5)

    with pytest.raises(requests.exceptions.ReadTimeout):
        spreadsheet.values_get(f"'{TAB}'!A1")

    assert spreadsheet.values_get(f"'{TAB}'!A1")["values"] == [["STT"]]


def test_timeout_after_apply_changes_state(gspread_client: gspread.Client, standin: StandinServer, workbook: str) -> None:
    spreadsheet = gspread_client.open_by_key(workbook)
    gspread_client.set_timeout(0.5)
    standin.fail_next(1, status="timeout", client_timeout=0.5, apply_first=True)

    with pytest.raises(requests.exceptions.ReadTimeout):
        spreadsheet.values_update(f"'{TAB}'!F1", params={"valueInputOption": "RAW"}, body={"values": [["đã ghi"]]})

    assert standin.get_values(workbook, TAB)[0][5] == "đã ghi"


def test_fail_ratio_is_reproducible(standin: StandinServer, workbook: str) -> None:
    session = make_session(standin.port)
    url = f"https://sheets.googleapis.com/v4/spreadsheets/{workbook}/values/A1"

    def statuses() -> list[int]:
        standin.fail_ratio(0.5, seed=7, statuses=(429, 500, 503), timeouts=False)
        return [session.get(url).status_code for _ in range(20)]

    first, second = statuses(), statuses()

    assert first == second
    assert set(first) - {200, 429, 500, 503} == set()
    assert 200 in first
    assert set(first) & {429, 500, 503}


def test_quota_per_minute(gspread_client: gspread.Client, standin: StandinServer, workbook: str) -> None:
    spreadsheet = gspread_client.open_by_key(workbook)
    standin.quota_per_minute(2)

    spreadsheet.values_get(f"'{TAB}'!A1")
    spreadsheet.values_get(f"'{TAB}'!A1")
    with pytest.raises(APIError) as excinfo:
        spreadsheet.values_get(f"'{TAB}'!A1")
    spreadsheet.values_update(f"'{TAB}'!F1", params={"valueInputOption": "RAW"}, body={"values": [["ghi"]]})
    standin.advance_quota_clock(61)
    after_minute = spreadsheet.values_get(f"'{TAB}'!A1")

    assert _api_error(excinfo)["status"] == "RESOURCE_EXHAUSTED"
    assert "Read requests per minute per user" in _api_error(excinfo)["message"]
    assert after_minute["values"] == [["STT"]]


def test_forbid_permission_denied(gspread_client: gspread.Client, standin: StandinServer, workbook: str) -> None:
    standin.forbid(workbook)

    with pytest.raises(PermissionError):
        gspread_client.open_by_key(workbook)

    session = make_session(standin.port)
    body = session.get(f"https://sheets.googleapis.com/v4/spreadsheets/{workbook}").json()
    assert body == {"error": {"code": 403, "message": "The caller does not have permission", "status": "PERMISSION_DENIED"}}


def test_counters_and_request_log(gspread_client: gspread.Client, standin: StandinServer, workbook: str) -> None:
    spreadsheet = gspread_client.open_by_key(workbook)
    standin.reset_counters()

    spreadsheet.values_batch_get([f"'{TAB}'!A1:E3", "'Đội hình'!A1:A2"])
    spreadsheet.batch_update({"requests": [{"updateSheetProperties": {"properties": {"sheetId": 0, "gridProperties": {"frozenRowCount": 1}}, "fields": "gridProperties.frozenRowCount"}}]})
    spreadsheet.get_lastUpdateTime()

    assert standin.counters == {"sheets_read": 1, "sheets_write": 1, "drive": 1, "other": 0}
    log = standin.request_log
    assert [(record.method, record.kind, record.status) for record in log] == [
        ("GET", "sheets_read", 200),
        ("POST", "sheets_write", 200),
        ("GET", "drive", 200),
    ]
    assert log[0].path.endswith("/values:batchGet")
    assert log[1].body_size > 0
    assert standin.get_frozen_row_count(workbook, TAB) == 1


# --- isolation and auth -------------------------------------------------------------


def test_adapter_blocks_other_hosts(standin: StandinServer) -> None:
    session = make_session(standin.port)

    with pytest.raises(NonLoopbackRequestError):
        session.get("https://example.com/")
    with pytest.raises(NonLoopbackRequestError):
        session.get("https://oauth2.googleapis.com/token")


def test_require_auth_needs_bearer_token() -> None:
    with StandinServer(require_auth=True) as server:
        spreadsheet_id = server.create_spreadsheet("Xác thực", {})
        anonymous = make_session(server.port).get(f"https://sheets.googleapis.com/v4/spreadsheets/{spreadsheet_id}")
        client = make_gspread_client(server.port)

        assert anonymous.status_code == 401
        assert anonymous.json()["error"]["status"] == "UNAUTHENTICATED"
        assert client.open_by_key(spreadsheet_id).title == "Xác thực"

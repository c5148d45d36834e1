"""The Google reading code on real recorded Google responses, plus the transport's
pacing, retry bounds and credential lookup."""

from __future__ import annotations

import datetime as dt
import json
import random

import pytest
import requests
from gspread.exceptions import APIError

from sync.backends.google import (OWN_WRITE_STAMP, CredentialsMissing, file_stamp, load_service_account_info,
                                  unavailable_reason)
from sync.backends.google_grid import CellConverter, parse_spreadsheet
from sync.backends.google_transport import GoogleCallFailed, RequestBudget, RetryPolicy, Transport, classify
from sync.cells import FormulaError, Scientific
from tests.conftest import SHARED

RECORDINGS = SHARED / "real" / "gspread-recordings"


def interactions(name: str) -> list[dict]:
    path = RECORDINGS / f"{name}.json"
    if not path.exists():
        pytest.skip(f"recording not found: {path}")
    return json.loads(path.read_text(encoding="utf-8"))["interactions"]


def bodies(name: str, uri_part: str) -> list[dict]:
    return [json.loads(i["response"]["body"]["string"]) for i in interactions(name)
            if uri_part in i["request"]["uri"] and i["response"]["body"]["string"]]


def recorded_response(interaction: dict) -> requests.Response:
    response = requests.Response()
    response.status_code = interaction["response"]["status"]["code"]
    response._content = interaction["response"]["body"]["string"].encode("utf-8")
    return response


def test_recorded_locale_and_time_zone():
    payloads = [b for b in bodies("SpreadsheetTest.test_timezone_and_locale", "/v4/spreadsheets/")
                if "properties" in b]
    assert payloads
    grids = [parse_spreadsheet(p, "Asia/Ho_Chi_Minh") for p in payloads]
    recorded = {(p["properties"]["locale"], p["properties"]["timeZone"]) for p in payloads}
    assert {(g.locale, g.time_zone) for g in grids} == recorded
    assert len(recorded) >= 2, "the recording changes locale and time zone"
    assert all(g.sheets and g.sheets[0].title == "Sheet1" for g in grids)


def test_recorded_notes():
    payloads = bodies("WorksheetTest.test_worksheet_notes", "fields=sheets%2Fdata%2FrowData%2Fvalues%2Fnote")
    notes = [parse_spreadsheet(p, None).sheets[0].notes for p in payloads]
    assert {"slim shaddy", "do homeworks"} <= {text for n in notes for text in n.values()}
    # The recorded mask leaves out startRow, so each one-cell block starts at (1, 1).
    assert all(list(n) in ([(1, 1)], []) for n in notes)


def test_recorded_background_colour():
    payloads = bodies("WorksheetTest.test_format", "userEnteredFormat")
    grid = parse_spreadsheet(payloads[0], None)
    assert grid.sheets[0].backgrounds[(1, 1)] == (0.0, 1.0, 1.0)


def test_recorded_drive_listing_stamp():
    payloads = bodies("ClientTest.test_list_spreadsheet_files", "drive/v3/files?q=")
    item = payloads[0]["files"][0]
    assert file_stamp(item) == item["modifiedTime"]
    assert file_stamp(dict(item, modifiedByMeTime=item["modifiedTime"])) == OWN_WRITE_STAMP
    assert file_stamp(dict(item, modifiedByMeTime="2023-09-29T19:39:04.9Z")) == item["modifiedTime"]


def test_recorded_not_found_maps_to_missing():
    interaction = next(i for i in interactions("ClientTest.test_access_non_existing_spreadsheet")
                       if i["response"]["status"]["code"] == 404)
    failure = classify(APIError(recorded_response(interaction)))
    assert failure.kind == "missing"
    assert failure.status == 404
    assert "không tìm thấy" in unavailable_reason(failure.kind, "test", "sa@example.iam.gserviceaccount.com")


def test_recorded_serials_with_date_format():
    """Serial numbers from the UNFORMATTED_VALUE response become dates only when formatted as dates."""
    unformatted = bodies("WorksheetTest.test_get_all_values_date_time_render_options",
                         "valueRenderOption=UNFORMATTED_VALUE&dateTimeRenderOption=SERIAL_NUMBER")[0]["values"]
    formatted = bodies("WorksheetTest.test_get_all_values_date_time_render_options",
                       "valueRenderOption=FORMATTED_VALUE&dateTimeRenderOption=FORMATTED_STRING")[0]["values"]
    converter = CellConverter("Etc/GMT", "Etc/GMT")
    for row, column in ((0, 1), (1, 2)):
        serial, shown = unformatted[row][column], formatted[row][column]
        as_date = converter.convert({"effectiveValue": {"numberValue": serial}, "formattedValue": shown,
                                     "effectiveFormat": {"numberFormat": {"type": "DATE"}}})
        assert as_date.isoformat() == shown
        plain = converter.convert({"effectiveValue": {"numberValue": serial}, "formattedValue": str(serial)})
        assert plain == serial
    number = converter.convert({"effectiveValue": {"numberValue": unformatted[0][3]}})
    assert number == 53


def test_cell_converter_markers():
    converter = CellConverter("Asia/Ho_Chi_Minh", "Asia/Ho_Chi_Minh")
    assert converter.convert({"effectiveValue": {"stringValue": "0912345678"}}) == "0912345678"
    assert converter.convert({"effectiveValue": {"errorValue": {"type": "REF"}}, "formattedValue": "#REF!"}) == \
        FormulaError("#REF!")
    assert converter.convert({"effectiveValue": {"errorValue": {"type": "ERROR"}}, "formattedValue": "#ERROR!"}) == \
        FormulaError("#ERROR!")
    scientific = converter.convert({"effectiveValue": {"numberValue": 96310054321},
                                    "effectiveFormat": {"numberFormat": {"type": "SCIENTIFIC", "pattern": "0.00E+00"}}})
    assert scientific == Scientific(96310054321.0, "9.63E+10")
    assert converter.convert({"effectiveValue": {"numberValue": 44621},
                              "effectiveFormat": {"numberFormat": {"type": "DATE"}}}) == dt.date(2022, 3, 1)


def test_date_time_moves_to_programme_zone():
    converter = CellConverter("Etc/GMT", "Asia/Ho_Chi_Minh")
    value = converter.convert({"effectiveValue": {"numberValue": 44621.5},
                               "effectiveFormat": {"numberFormat": {"type": "DATE_TIME"}}})
    assert value == dt.datetime(2022, 3, 1, 19, 0)


def test_budget_waits_for_window():
    now = [0.0]
    slept = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    budget = RequestBudget({"read": 3}, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        budget.acquire("read")
    assert slept == []
    budget.acquire("read")
    assert slept == [60.0]
    budget.acquire("write")  # no budget configured for writes
    assert slept == [60.0]


def test_retry_delays_are_bounded():
    policy = RetryPolicy(max_attempts=5, base_seconds=1.0, max_seconds=8.0)
    rng = random.Random(1)
    for attempt in range(1, 10):
        assert 0 <= policy.delay(attempt, rng) <= min(8.0, 2 ** (attempt - 1))


def test_transport_gives_up_after_max_attempts():
    budget = RequestBudget({})
    transport = Transport(budget, RetryPolicy(max_attempts=3, base_seconds=0.0), sleep=lambda s: None)
    calls = []

    def send():
        calls.append(1)
        raise requests.exceptions.ReadTimeout("timed out")

    with pytest.raises(GoogleCallFailed) as info:
        transport.call("read", "test read", send)
    assert len(calls) == 3
    assert info.value.kind == "network"


def test_credentials_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("KETNOI_GOOGLE_CREDENTIALS", json.dumps({"client_email": "a@b.iam.gserviceaccount.com"}))
    assert load_service_account_info({})["client_email"] == "a@b.iam.gserviceaccount.com"


def test_credentials_from_secrets_file(monkeypatch, tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[gcp_service_account]\nclient_email = "s@p.iam.gserviceaccount.com"\n', encoding="utf-8")
    assert load_service_account_info({"secrets_file": str(secrets)})["client_email"] == "s@p.iam.gserviceaccount.com"


def test_credentials_from_key_file(tmp_path):
    key = tmp_path / "key.json"
    key.write_text(json.dumps({"client_email": "k@p.iam.gserviceaccount.com"}), encoding="utf-8")
    assert load_service_account_info({"credentials_file": str(key)})["client_email"] == "k@p.iam.gserviceaccount.com"


def test_credentials_missing(tmp_path):
    with pytest.raises(CredentialsMissing):
        load_service_account_info({"secrets_file": str(tmp_path / "none.toml")})

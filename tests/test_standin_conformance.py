"""Conformance of the Sheets stand-in with Google's recorded responses.

The recordings (vcrpy JSON, made by the gspread project against the real Sheets API
v4 and Drive v3) live in `shared/real/gspread-recordings/` next to the repository.
Each file contains one or more sessions: a Drive files.create, the test's requests, and
a Drive files.delete. Every session of every file is replayed in order against a
freshly emptied stand-in, request by request, with the recorded method, URL (hosts
rewritten to the stand-in by the adapter), query and JSON body.

What is compared for every interaction:
- the HTTP status code;
- the JSON body, key by key and list item by list item, with exact values. This covers
  the error bodies (404 NOT_FOUND, 400 INVALID_ARGUMENT with BadRequest details),
  serial dates and the four render-option combinations, notes, formats, data
  validation replies, protected ranges with warningOnly, frozen rows and columns,
  locale and timeZone, A1 ranges with quoted unicode titles, and Drive file fields.

What is compared by shape only, because it cannot be equal:
- spreadsheet and sheet ids: the stand-in's ids are mapped back to the recorded ones
  before comparing, so they must sit in the same places;
- createdTime and modifiedTime: both must be RFC 3339 UTC with milliseconds, and a
  modifiedTime must change between two Drive reads exactly when it did in the recording;
- protectedRangeId: both must be integers;
- protected range `editors`: same keys, because the recorded users are the recording
  project's service account.

Nothing is skipped: the stand-in implements every request in the recordings. The
SpreadsheetTest.test_bad_json_api_error recording holds only the create, get and
delete of its session (gspread's test fakes the malformed body locally), so only
those are compared.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import unquote, urlsplit

import pytest

from tests.sheets_standin.adapter import make_authorized_session
from tests.sheets_standin.fixtures import standin, standin_server  # noqa: F401
from tests.sheets_standin.server import StandinServer

SHARED_DIR = Path(__file__).resolve().parents[2] / "shared"
RECORDINGS_DIR = SHARED_DIR / "real" / "gspread-recordings"
RFC3339_MILLIS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
TIME_KEYS = {"createdTime", "modifiedTime"}
DRIVE_FILES_PATH = "/drive/v3/files"

pytestmark = pytest.mark.skipif(
    not RECORDINGS_DIR.is_dir(),
    reason=f"recordings not found at {RECORDINGS_DIR} (the shared/ folder sits next to the repository)",
)


def _load_sessions() -> list[Any]:
    """Split every recording into sessions, each starting with a Drive files.create."""
    if not RECORDINGS_DIR.is_dir():
        return []
    params = []
    for path in sorted(RECORDINGS_DIR.glob("*.json")):
        interactions = json.loads(path.read_text(encoding="utf-8"))["interactions"]
        sessions: list[list[dict[str, Any]]] = []
        for interaction in interactions:
            request = interaction["request"]
            starts_session = request["method"] == "POST" and urlsplit(request["uri"]).path == DRIVE_FILES_PATH
            if starts_session or not sessions:
                sessions.append([])
            sessions[-1].append(interaction)
        for number, session in enumerate(sessions, start=1):
            params.append(pytest.param(path.stem, session, id=f"{path.stem}#{number}"))
    return params


SESSIONS = _load_sessions()


class IdMap:
    """Recorded ids and the stand-in's ids for the same spreadsheets and sheets."""

    def __init__(self) -> None:
        self.spreadsheets: dict[str, str] = {}
        self.sheets: dict[int, int] = {0: 0}

    def to_standin(self, text: str) -> str:
        for recorded, ours in self.spreadsheets.items():
            text = text.replace(recorded, ours)
        return text

    def request_body_to_standin(self, body: Any) -> Any:
        if isinstance(body, dict):
            return {
                key: self.sheets.get(value, value) if key == "sheetId" else self.request_body_to_standin(value)
                for key, value in body.items()
            }
        if isinstance(body, list):
            return [self.request_body_to_standin(item) for item in body]
        return body

    def response_to_recorded(self, value: Any) -> Any:
        """Replace the stand-in's ids in a response with the recorded ones."""
        reverse_sheets = {ours: recorded for recorded, ours in self.sheets.items()}
        reverse_spreadsheets = {ours: recorded for recorded, ours in self.spreadsheets.items()}

        def walk(item: Any, key: str = "") -> Any:
            if isinstance(item, dict):
                return {name: walk(child, name) for name, child in item.items()}
            if isinstance(item, list):
                return [walk(child, key) for child in item]
            if key == "sheetId" and isinstance(item, int):
                return reverse_sheets.get(item, item)
            if isinstance(item, str):
                for ours, recorded in reverse_spreadsheets.items():
                    item = item.replace(ours, recorded)
            return item

        return walk(value)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


def assert_same_response(recorded: Any, actual: Any, where: str, path: str = "$") -> None:
    """Compare two JSON responses exactly, except for the volatile fields named in the module doc."""
    if isinstance(recorded, dict):
        assert isinstance(actual, dict), f"{where}: {path} is {_kind(actual)} in the stand-in, object in the recording"
        key = path.rsplit(".", 1)[-1]
        if key == "editors":
            assert set(actual) == set(recorded), f"{where}: {path} keys {sorted(actual)} != recorded {sorted(recorded)}"
            return
        missing = sorted(set(recorded) - set(actual))
        extra = sorted(set(actual) - set(recorded))
        assert not missing, f"{where}: {path} lacks keys {missing} that the recording has"
        assert not extra, f"{where}: {path} has keys {extra} that the recording lacks"
        for name in recorded:
            child_path = f"{path}.{name}"
            if name in TIME_KEYS:
                assert RFC3339_MILLIS_RE.match(actual[name]), f"{where}: {child_path} = {actual[name]!r} is not RFC 3339 with ms"
            elif name == "protectedRangeId":
                assert isinstance(actual[name], int), f"{where}: {child_path} is not an integer"
            else:
                assert_same_response(recorded[name], actual[name], where, child_path)
        return
    if isinstance(recorded, list):
        assert isinstance(actual, list), f"{where}: {path} is {_kind(actual)} in the stand-in, list in the recording"
        assert len(actual) == len(recorded), f"{where}: {path} has {len(actual)} items, recorded {len(recorded)}: {actual!r}"
        for index, (recorded_item, actual_item) in enumerate(zip(recorded, actual)):
            assert_same_response(recorded_item, actual_item, where, f"{path}[{index}]")
        return
    assert _kind(actual) == _kind(recorded), f"{where}: {path} = {actual!r} ({_kind(actual)}), recorded {recorded!r}"
    assert actual == recorded, f"{where}: {path} = {actual!r}, recorded {recorded!r}"


def _parse_body(text: str) -> Any:
    return json.loads(text) if text.strip() else None


def replay(server: StandinServer, session: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any], Any, Any]]:
    """Send each recorded request to the stand-in and yield (label, interaction, recorded, actual) responses."""
    http = make_authorized_session(server.port)
    ids = IdMap()
    last_modified: dict[str, tuple[str, str]] = {}
    for index, interaction in enumerate(session):
        request = interaction["request"]
        method, uri = request["method"], request["uri"]
        label = f"interaction {index}: {method} {urlsplit(uri).path}"
        body = _parse_body(request.get("body") or "")
        data = json.dumps(ids.request_body_to_standin(body)).encode("utf-8") if body is not None else None
        headers = {"Content-Type": "application/json"} if data is not None else {}
        response = http.request(method, ids.to_standin(uri), data=data, headers=headers, timeout=30)

        recorded_status = interaction["response"]["status"]["code"]
        assert response.status_code == recorded_status, f"{label}: status {response.status_code}, recorded {recorded_status}: {response.text[:500]}"
        recorded = _parse_body(interaction["response"]["body"]["string"])
        actual = _parse_body(response.text)

        if method == "POST" and urlsplit(uri).path == DRIVE_FILES_PATH:
            ids.spreadsheets[recorded["id"]] = actual["id"]
        for recorded_reply, actual_reply in zip((recorded or {}).get("replies", []), (actual or {}).get("replies", [])):
            if "addSheet" in recorded_reply and "addSheet" in actual_reply:
                ids.sheets[recorded_reply["addSheet"]["properties"]["sheetId"]] = actual_reply["addSheet"]["properties"]["sheetId"]

        actual = ids.response_to_recorded(actual)
        if isinstance(recorded, dict) and "modifiedTime" in recorded and "id" in recorded:
            previous = last_modified.get(recorded["id"])
            if previous is not None:
                recorded_changed = recorded["modifiedTime"] != previous[0]
                actual_changed = actual["modifiedTime"] != previous[1]
                assert actual_changed == recorded_changed, (
                    f"{label}: modifiedTime changed={actual_changed} in the stand-in, {recorded_changed} in the recording"
                )
                if actual_changed:
                    assert actual["modifiedTime"] > previous[1], f"{label}: modifiedTime went backwards"
            last_modified[recorded["id"]] = (recorded["modifiedTime"], actual["modifiedTime"])
        yield label, interaction, recorded, actual


@pytest.mark.parametrize(("recording", "session"), SESSIONS)
def test_recorded_session_matches(standin: StandinServer, recording: str, session: list[dict[str, Any]]) -> None:
    compared = 0
    for label, _, recorded, actual in replay(standin, session):
        assert_same_response(recorded, actual, f"{recording} {label}")
        compared += 1
    assert compared == len(session)


def _session(recording: str) -> list[dict[str, Any]]:
    for param in SESSIONS:
        if param.values[0] == recording:
            return param.values[1]
    pytest.skip(f"recording {recording} is missing")


def _answers(server: StandinServer, recording: str) -> list[tuple[str, dict[str, Any], Any, Any]]:
    return list(replay(server, _session(recording)))


def _answer_for(answers: list[Any], method: str, uri_part: str, occurrence: int = 0) -> tuple[Any, Any]:
    found = [
        (recorded, actual)
        for _, interaction, recorded, actual in answers
        if interaction["request"]["method"] == method and uri_part in unquote(interaction["request"]["uri"])
    ]
    return found[occurrence]


# The checks below restate facts the replay above already compares, one fact per test,
# so that a failure names the behaviour and the recorded value it contradicts.


def test_unformatted_serial_number_gives_date_serial(standin: StandinServer) -> None:
    answers = _answers(standin, "WorksheetTest.test_get_all_values_date_time_render_options")
    recorded, actual = _answer_for(answers, "GET", "UNFORMATTED_VALUE&dateTimeRenderOption=SERIAL_NUMBER")
    assert recorded["values"][0][1] == 43831
    assert actual["values"][0][1] == 43831
    assert actual["values"] == recorded["values"]


def test_unformatted_formatted_string_gives_date_text(standin: StandinServer) -> None:
    answers = _answers(standin, "WorksheetTest.test_get_all_values_date_time_render_options")
    recorded, actual = _answer_for(answers, "GET", "UNFORMATTED_VALUE&dateTimeRenderOption=FORMATTED_STRING")
    assert recorded["values"][0][1] == "2020-01-01"
    assert actual["values"] == recorded["values"]


def test_formatted_value_gives_strings(standin: StandinServer) -> None:
    answers = _answers(standin, "WorksheetTest.test_get_all_values_date_time_render_options")
    recorded, actual = _answer_for(answers, "GET", "valueRenderOption=FORMATTED_VALUE&dateTimeRenderOption=SERIAL_NUMBER")
    assert all(isinstance(value, str) for row in recorded["values"] for value in row)
    assert actual["values"] == recorded["values"]


def test_not_found_error_body(standin: StandinServer) -> None:
    answers = _answers(standin, "ClientTest.test_access_non_existing_spreadsheet")
    recorded, actual = _answer_for(answers, "GET", "/spreadsheets/test?")
    assert actual == recorded == {"error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}}


def test_invalid_values_error_body(standin: StandinServer) -> None:
    answers = _answers(standin, "WorksheetTest.test_add_validation")
    recorded, actual = _answer_for(answers, "PUT", "valueInputOption=RAW")
    assert recorded["error"]["status"] == "INVALID_ARGUMENT"
    assert actual == recorded


def test_notes_read_back(standin: StandinServer) -> None:
    answers = _answers(standin, "WorksheetTest.test_worksheet_notes")
    recorded, actual = _answer_for(answers, "GET", "fields=sheets/data/rowData/values/note", occurrence=1)
    assert recorded == {"sheets": [{"data": [{"rowData": [{"values": [{"note": "slim shaddy"}]}]}]}]}
    assert actual == recorded


def test_empty_note_read_back(standin: StandinServer) -> None:
    answers = _answers(standin, "WorksheetTest.test_worksheet_notes")
    recorded, actual = _answer_for(answers, "GET", "fields=sheets/data/rowData/values/note", occurrence=0)
    assert recorded == {"sheets": [{"data": [{}]}]}
    assert actual == recorded


def test_repeat_cell_format_read_back(standin: StandinServer) -> None:
    answers = _answers(standin, "WorksheetTest.test_format")
    recorded, actual = _answer_for(answers, "GET", "fields=sheets.data.rowData.values.userEnteredFormat")
    assert actual == recorded


def test_protected_range_warning_only(standin: StandinServer) -> None:
    answers = _answers(standin, "WorksheetTest.test_add_protected_range_warning")
    recorded, actual = _answer_for(answers, "GET", "includeGridData=false", occurrence=2)
    recorded_range = recorded["sheets"][0]["protectedRanges"][0]
    actual_range = actual["sheets"][0]["protectedRanges"][0]
    assert recorded_range["warningOnly"] is True
    assert actual_range["warningOnly"] is True
    assert actual_range["range"] == recorded_range["range"]


def test_frozen_row_count_read_back(standin: StandinServer) -> None:
    answers = _answers(standin, "WorksheetTest.test_freeze")
    recorded, actual = _answer_for(answers, "GET", "includeGridData=false", occurrence=2)
    assert recorded["sheets"][0]["properties"]["gridProperties"]["frozenRowCount"] == 2
    assert actual["sheets"][0]["properties"]["gridProperties"] == recorded["sheets"][0]["properties"]["gridProperties"]


def test_locale_and_time_zone_read_back(standin: StandinServer) -> None:
    answers = _answers(standin, "SpreadsheetTest.test_timezone_and_locale")
    recorded, actual = _answer_for(answers, "GET", "includeGridData=false", occurrence=1)
    assert (recorded["properties"]["locale"], recorded["properties"]["timeZone"]) == ("fr_FR", "Europe/Paris")
    assert actual["properties"]["locale"] == "fr_FR"
    assert actual["properties"]["timeZone"] == "Europe/Paris"


def test_drive_modified_time_format(standin: StandinServer) -> None:
    answers = _answers(standin, "SpreadsheetTest.test_get_lastUpdateTime")
    before_recorded, before = _answer_for(answers, "GET", "fields=id,name,createdTime,modifiedTime", occurrence=0)
    after_recorded, after = _answer_for(answers, "GET", "fields=id,name,createdTime,modifiedTime", occurrence=1)
    assert RFC3339_MILLIS_RE.match(after["modifiedTime"])
    assert after["modifiedTime"] > before["modifiedTime"]
    assert after["name"] == after_recorded["name"]


def test_drive_file_list_fields(standin: StandinServer) -> None:
    answers = _answers(standin, "ClientTest.test_list_spreadsheet_files")
    recorded, actual = _answer_for(answers, "GET", "drive/v3/files?q=")
    assert set(actual) == set(recorded) == {"kind", "files"}
    assert set(actual["files"][0]) == {"id", "name", "createdTime", "modifiedTime"}


def test_batch_get_unicode_title_ranges(standin: StandinServer) -> None:
    answers = _answers(standin, "SpreadsheetTest.test_values_batch_get")
    recorded, actual = _answer_for(answers, "GET", "values:batchGet")
    assert [item["range"] for item in actual["valueRanges"]] == [item["range"] for item in recorded["valueRanges"]]

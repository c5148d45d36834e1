"""A stateful local stand-in for the Google Sheets API v4 and Drive v3, for tests.

The server listens on 127.0.0.1 on a free port in a background thread. Real gspread
code reaches it through `adapter.make_session`, which rewrites Google's hosts to this
port. Tests seed and inspect spreadsheets through the Python methods of
`StandinServer`, and switch on faults (error statuses, timeouts, delays, quotas).
"""

from __future__ import annotations

import copy
import json
import logging
import random
import socket
import threading
import traceback
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterable, Optional
from urllib.parse import parse_qs, unquote, urlsplit

from . import drive_api, sheets_batch, sheets_get, sheets_values
from .a1 import cell_name, parse_cells
from .errors import ApiError, drive_error, quota_exceeded, sheets_error
from .fieldmask import apply_field_mask
from .faults import KINDS, TIMEOUT, Fault, FaultPlan, Status
from .model import DEFAULT_COLUMN_COUNT, DEFAULT_ROW_COUNT, Sheet, Spreadsheet, grid_range_json, rfc3339_millis
from .seeding import seed_cell
from .state import StandinState

logger = logging.getLogger(__name__)

DEFAULT_OWNER_EMAIL = "standin-sync@ketnoi-test.iam.gserviceaccount.com"
# Extra seconds a simulated timeout sleeps beyond the client's timeout.
_TIMEOUT_MARGIN_SECONDS = 1.0


@dataclass
class RequestRecord:
    """One request as the stand-in received it (bodies are not kept, only their size)."""

    method: str
    path: str
    query: str
    body_size: int
    kind: str
    status: Optional[int] = None
    fault: Optional[str] = None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_HTTPServer"

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without TCP_NODELAY, Nagle's algorithm
        # and delayed ACKs add about 40 ms to every keep-alive request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, payload = self.server.standin._serve(method, self.path, body, dict(self.headers.items()))
        if status is None:
            # A simulated timeout: the client has given up, so close without a response.
            self.close_connection = True
            return
        self.send_response(status)
        if payload is None:
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = json.dumps(payload, ensure_ascii=False, indent=2).encode("utf-8")
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("stand-in %s", format % args)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, standin: "StandinServer"):
        self.standin = standin
        super().__init__(("127.0.0.1", 0), _Handler)


def _classify(method: str, path: str) -> str:
    if path.startswith("/v4/"):
        return "sheets_read" if method == "GET" else "sheets_write"
    if path.startswith("/drive/"):
        return "drive"
    return "other"


class StandinServer:
    """The Sheets and Drive stand-in: HTTP server, state, faults and accounting.

    Use it as a context manager or call start() and stop(). Every public method is
    thread-safe. Spreadsheets created over HTTP (Drive files.create, spreadsheets.create)
    get `default_locale` and `default_time_zone`. Their defaults, en_US and Etc/GMT, are
    what Google gave a new service-account file in the recordings. `create_spreadsheet`
    defaults to vi_VN and Asia/Ho_Chi_Minh instead.
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        owner_email: str = DEFAULT_OWNER_EMAIL,
        default_locale: str = "en_US",
        default_time_zone: str = "Etc/GMT",
        require_auth: bool = False,
    ):
        self._seed = seed
        self._owner_email = owner_email
        self._default_locale = default_locale
        self._default_time_zone = default_time_zone
        self.require_auth = require_auth
        self._lock = threading.RLock()
        self._stop_event = threading.Event()
        self._httpd: Optional[_HTTPServer] = None
        self._thread: Optional[threading.Thread] = None
        self._state = StandinState(seed, owner_email, default_locale, default_time_zone)
        self._faults = FaultPlan()
        self._counters = {kind: 0 for kind in KINDS + ("other",)}
        self._log: list[RequestRecord] = []
        self._internal_errors: list[str] = []

    # --- lifecycle -------------------------------------------------------------

    def start(self) -> "StandinServer":
        if self._httpd is not None:
            return self
        self._stop_event.clear()
        self._httpd = _HTTPServer(self)
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="sheets-standin", daemon=True)
        self._thread.start()
        logger.info("Sheets stand-in listening on %s", self.base_url)
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._stop_event.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        logger.info("Sheets stand-in on port %s stopped", self._httpd.server_address[1])
        self._httpd = None
        self._thread = None

    def __enter__(self) -> "StandinServer":
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("The Sheets stand-in is not running; call start() first.")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def reset(self) -> None:
        """Forget all spreadsheets, faults, counters and the request log."""
        with self._lock:
            self._state = StandinState(self._seed, self._owner_email, self._default_locale, self._default_time_zone)
            self._faults = FaultPlan()
            self._counters = {kind: 0 for kind in KINDS + ("other",)}
            self._log = []
            self._internal_errors = []

    # --- faults ----------------------------------------------------------------

    def fail_next(
        self,
        count: int = 1,
        status: Status = 429,
        *,
        kinds: Optional[Iterable[str]] = None,
        client_timeout: float = 5.0,
        apply_first: bool = False,
    ) -> None:
        """Fail the next `count` requests (of `kinds`, default any) with `status`.

        `status` may be 429, 500, 503, any other code, or "timeout": the server then
        sleeps `client_timeout` plus one second and closes the connection without a response.
        With `apply_first`, a timed-out request changes state before the sleep.
        """
        kind_filter = tuple(kinds) if kinds is not None else None
        fault = Fault(status, self._timeout_sleep(client_timeout), apply_first)
        with self._lock:
            for _ in range(count):
                self._faults.next_failures.append((kind_filter, fault))

    def fail_ratio(
        self,
        probability: float,
        seed: int = 0,
        statuses: Iterable[int] = (429, 500, 503),
        timeouts: bool = True,
        *,
        client_timeout: float = 5.0,
        kinds: Optional[Iterable[str]] = None,
        apply_first: bool = False,
    ) -> None:
        """Fail each request with `probability`, choosing among `statuses` and timeouts.

        The choices come from random.Random(seed), so a run is reproducible for a given
        order of requests. Pass probability 0 to switch this off.
        """
        choices: list[Status] = list(statuses) + ([TIMEOUT] if timeouts else [])
        if probability and not choices:
            raise ValueError("fail_ratio needs at least one status or timeouts=True")
        with self._lock:
            self._faults.ratio = probability
            self._faults.ratio_statuses = tuple(choices)
            self._faults.ratio_random = random.Random(seed)
            self._faults.ratio_kinds = tuple(kinds) if kinds is not None else None
            self._faults.ratio_sleep_seconds = self._timeout_sleep(client_timeout)
            self._faults.ratio_apply_first = apply_first

    def delay(self, seconds: float) -> None:
        """Delay every response by `seconds` (0 switches the delay off)."""
        with self._lock:
            self._faults.delay_seconds = seconds

    def quota_per_minute(self, limit: Optional[int], kinds: Iterable[str] = ("sheets_read", "sheets_write")) -> None:
        """Respond 429 RESOURCE_EXHAUSTED beyond `limit` requests per minute of each kind.

        Like Google, reads and writes have separate budgets. None switches the quota off.
        """
        with self._lock:
            self._faults.quota_limit = limit
            self._faults.quota_kinds = tuple(kinds)
            self._faults.quota_window.clear()

    def advance_quota_clock(self, seconds: float) -> None:
        """Move the quota clock forward, so a test can end a quota minute without waiting."""
        with self._lock:
            self._faults.clock_offset += seconds

    def forbid(self, spreadsheet_id: str, forbidden: bool = True) -> None:
        """Respond 403 PERMISSION_DENIED for this spreadsheet (Drive responds 404, as Google does)."""
        with self._lock:
            self._spreadsheet(spreadsheet_id).forbidden = forbidden

    def clear_faults(self) -> None:
        with self._lock:
            self._faults = FaultPlan()

    @staticmethod
    def _timeout_sleep(client_timeout: float) -> float:
        return client_timeout + _TIMEOUT_MARGIN_SECONDS

    # --- accounting ------------------------------------------------------------

    @property
    def counters(self) -> dict[str, int]:
        """Requests received per kind: sheets_read, sheets_write, drive and other."""
        with self._lock:
            return dict(self._counters)

    @property
    def request_log(self) -> list[RequestRecord]:
        with self._lock:
            return [copy.copy(record) for record in self._log]

    @property
    def internal_errors(self) -> list[str]:
        """Tracebacks of stand-in bugs that got a 500 response; tests should expect none."""
        with self._lock:
            return list(self._internal_errors)

    def reset_counters(self) -> None:
        with self._lock:
            self._counters = {kind: 0 for kind in KINDS + ("other",)}
            self._log = []

    # --- HTTP dispatch ---------------------------------------------------------

    def _serve(self, method: str, raw_path: str, body: bytes, headers: dict[str, str]) -> tuple[Optional[int], Any]:
        """Handle one request. A None status means "close the connection without a response"."""
        split = urlsplit(raw_path)
        path, query = split.path, split.query
        kind = _classify(method, path)
        record = RequestRecord(method, path, query, len(body), kind)
        with self._lock:
            self._counters[kind] += 1
            self._log.append(record)
            fault = self._faults.choose(kind) if kind != "other" else None
            delay = self._faults.delay_seconds
        if delay:
            self._stop_event.wait(delay)
        if fault is not None:
            record.fault = str(fault.status)
            if fault.status == TIMEOUT:
                if fault.apply_first:
                    self._route_locked(method, path, query, body, headers)
                logger.info("stand-in withholds the response to %s %s (simulated timeout)", method, path)
                self._stop_event.wait(fault.sleep_seconds)
                return None, None
            error = self._fault_error(kind, fault)
            record.status = error.status
            return error.status, error.body
        status, payload = self._route_locked(method, path, query, body, headers)
        record.status = status
        return status, payload

    @staticmethod
    def _fault_error(kind: str, fault: Fault) -> ApiError:
        code = int(fault.status)
        if kind == "drive":
            return drive_error(code)
        if code == 429:
            return quota_exceeded(kind, fault.quota_limit or 60)
        return sheets_error(code)

    def _route_locked(self, method: str, path: str, query: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
        params = parse_qs(query, keep_blank_values=True)
        with self._lock:
            try:
                if self.require_auth and not _has_bearer(headers):
                    raise sheets_error(401) if not path.startswith("/drive/") else drive_error(401)
                payload = json.loads(body.decode("utf-8")) if body.strip() else {}
                if not isinstance(payload, dict):
                    raise sheets_error(400, "Invalid JSON payload received. Expected an object.")
                return self._route(method, path, params, payload)
            except ApiError as exc:
                logger.info("stand-in responds %s to %s %s: %s", exc.status, method, path, exc)
                return exc.status, exc.body
            except json.JSONDecodeError as exc:
                logger.info("stand-in rejects invalid JSON in %s %s: %s", method, path, exc)
                return 400, sheets_error(400, f"Invalid JSON payload received. {exc}").body
            except Exception:
                text = traceback.format_exc()
                self._internal_errors.append(text)
                logger.error("Sheets stand-in failed on %s %s:\n%s", method, path, text)
                return 500, sheets_error(500).body

    def _route(self, method: str, path: str, params: dict[str, list[str]], body: dict[str, Any]) -> tuple[int, Any]:
        if path.startswith("/v4/spreadsheets"):
            return self._route_sheets(method, path[len("/v4/spreadsheets") :], params, body)
        if path.startswith("/drive/v3/files"):
            return self._route_drive(method, path[len("/drive/v3/files") :], params, body)
        raise sheets_error(404)

    def _route_sheets(self, method: str, rest: str, params: dict[str, list[str]], body: dict[str, Any]) -> tuple[int, Any]:
        state = self._state
        if rest in ("", "/"):
            if method != "POST":
                raise sheets_error(404)
            return 200, sheets_get.spreadsheets_create(state, body)
        rest = rest[1:]
        raw_id, _, sub = rest.partition("/")
        if raw_id.endswith(":batchUpdate") and not sub and method == "POST":
            batch_id = unquote(raw_id[: -len(":batchUpdate")])
            reply = self._write(batch_id, lambda ss: sheets_batch.batch_update(state, ss, body))
            if body.get("includeSpreadsheetInResponse"):
                # Google returns the spreadsheet as it is after the batch, limited by
                # responseRanges and responseIncludeGridData, in the same response.
                reply["updatedSpreadsheet"] = sheets_get.spreadsheet_json(
                    state, state.spreadsheet(batch_id), list(body.get("responseRanges") or []),
                    bool(body.get("responseIncludeGridData")), None)
            mask = sheets_get.parse_mask_param(params)
            return 200, apply_field_mask(reply, mask) if mask is not None else reply

        spreadsheet_id = unquote(raw_id)
        if not sub:
            if method != "GET":
                raise sheets_error(404)
            return 200, sheets_get.spreadsheets_get(state, state.spreadsheet(spreadsheet_id), params)
        if sub == "values:batchGet" and method == "GET":
            return 200, sheets_values.values_batch_get(state, state.spreadsheet(spreadsheet_id), params)
        if sub == "values:batchUpdate" and method == "POST":
            return 200, self._write(spreadsheet_id, lambda ss: sheets_values.values_batch_update(state, ss, body))
        if sub == "values:batchClear" and method == "POST":
            return 200, self._write(spreadsheet_id, lambda ss: sheets_values.values_batch_clear(state, ss, body))

        if not sub.startswith("values/"):
            raise sheets_error(404)
        raw_range = sub[len("values/") :]
        if raw_range.endswith(":append") and method == "POST":
            range_text = unquote(raw_range[: -len(":append")])
            return 200, self._write(spreadsheet_id, lambda ss: sheets_values.values_append(state, ss, range_text, params, body))
        if raw_range.endswith(":clear") and method == "POST":
            range_text = unquote(raw_range[: -len(":clear")])
            return 200, self._write(spreadsheet_id, lambda ss: sheets_values.values_clear(state, ss, range_text))
        range_text = unquote(raw_range)
        if method == "GET":
            return 200, sheets_values.values_get(state, state.spreadsheet(spreadsheet_id), range_text, params)
        if method == "PUT":
            return 200, self._write(spreadsheet_id, lambda ss: sheets_values.values_update(state, ss, range_text, params, body))
        raise sheets_error(404)

    def _write(self, spreadsheet_id: str, operation: Any) -> Any:
        """Run a write atomically: on any API error the spreadsheet is restored unchanged."""
        spreadsheet = self._state.spreadsheet(spreadsheet_id)
        snapshot = copy.deepcopy(spreadsheet)
        try:
            result = operation(spreadsheet)
        except BaseException:
            self._state.spreadsheets[spreadsheet_id] = snapshot
            raise
        self._state.bump(spreadsheet)
        spreadsheet.modified_by_me_time = spreadsheet.modified_time
        return result

    def _route_drive(self, method: str, rest: str, params: dict[str, list[str]], body: dict[str, Any]) -> tuple[int, Any]:
        state = self._state
        parts = [unquote(part) for part in rest.strip("/").split("/")] if rest.strip("/") else []
        if not parts:
            if method == "GET":
                return 200, drive_api.files_list(state, params)
            if method == "POST":
                return 200, drive_api.files_create(state, params, body)
        elif len(parts) == 1:
            if method == "GET":
                return 200, drive_api.files_get(state, parts[0], params)
            if method == "DELETE":
                drive_api.files_delete(state, parts[0])
                return 204, None
        elif len(parts) == 2 and parts[1] == "permissions":
            if method == "GET":
                return 200, drive_api.permissions_list(state, parts[0], params)
            if method == "POST":
                return 200, drive_api.permissions_create(state, parts[0], params, body)
        elif len(parts) == 3 and parts[1] == "permissions" and method == "DELETE":
            drive_api.permissions_delete(state, parts[0], parts[2])
            return 204, None
        raise drive_api.raise_unknown_drive_path(f"{method} /drive/v3/files{rest}")

    # --- seeding ---------------------------------------------------------------

    def create_spreadsheet(
        self,
        title: str,
        sheets: Optional[dict[str, list[list[Any]]]] = None,
        *,
        locale: str = "vi_VN",
        time_zone: str = "Asia/Ho_Chi_Minh",
        merges: Optional[dict[str, list[str]]] = None,
        notes: Optional[dict[str, dict[str, str]]] = None,
        frozen_rows: Optional[dict[str, int]] = None,
        hidden: Iterable[str] = (),
        grid_sizes: Optional[dict[str, tuple[int, int]]] = None,
        spreadsheet_id: Optional[str] = None,
        folder_id: Optional[str] = None,
    ) -> str:
        """Create a spreadsheet with typed values and return its id.

        `sheets` maps tab titles to rows of Python values (str, int, float, bool,
        datetime.date, datetime.datetime, None or SeedCell). Each grid is 1000 x 26, or
        larger when the data or `grid_sizes` (rows, columns) need it. `merges` maps a tab
        to A1 ranges such as "A1:C1"; `notes` maps a tab to {"B2": "note text"}.
        """
        sheets = sheets if sheets else {"Sheet1": []}
        with self._lock:
            spreadsheet = self._state.new_spreadsheet(title, locale, time_zone, spreadsheet_id)
            if folder_id:
                spreadsheet.parents.append(folder_id)
            for index, (sheet_title, rows) in enumerate(sheets.items()):
                width = max((len(row) for row in rows), default=0)
                requested_rows, requested_cols = (grid_sizes or {}).get(sheet_title, (DEFAULT_ROW_COUNT, DEFAULT_COLUMN_COUNT))
                sheet = self._state.add_sheet(
                    spreadsheet,
                    sheet_title,
                    sheet_id=0 if index == 0 else None,
                    row_count=max(requested_rows, len(rows)),
                    column_count=max(requested_cols, width),
                    frozen_row_count=(frozen_rows or {}).get(sheet_title, 0),
                    hidden=sheet_title in set(hidden),
                )
                self._write_rows(spreadsheet, sheet, 0, 0, rows)
            for sheet_title, ranges in (merges or {}).items():
                sheet = self._sheet(spreadsheet.spreadsheet_id, sheet_title)
                for text in ranges:
                    parsed = parse_cells(text, text)
                    sheet.merges.append(
                        grid_range_json(sheet.sheet_id, parsed.start_row or 0, parsed.end_row or sheet.row_count,
                                        parsed.start_col or 0, parsed.end_col or sheet.column_count)
                    )
            for sheet_title, cell_notes in (notes or {}).items():
                sheet = self._sheet(spreadsheet.spreadsheet_id, sheet_title)
                for name, text in cell_notes.items():
                    row, col = _cell_index(name)
                    sheet.ensure_cell(row, col).note = text
            return spreadsheet.spreadsheet_id

    @staticmethod
    def _write_rows(spreadsheet: Spreadsheet, sheet: Sheet, start_row: int, start_col: int, rows: list[list[Any]]) -> None:
        for row_offset, row in enumerate(rows):
            for col_offset, value in enumerate(row):
                if value is None or value == "":
                    existing = sheet.cell(start_row + row_offset, start_col + col_offset)
                    if existing is not None:
                        existing.clear_value()
                    continue
                seed_cell(sheet.ensure_cell(start_row + row_offset, start_col + col_offset), value, spreadsheet.locale)

    def set_values(self, spreadsheet_id: str, sheet_title: str, start_cell: str, rows: list[list[Any]]) -> None:
        """Type values into a tab from `start_cell` as a staff member would, and bump modifiedTime.

        Values are typed like `create_spreadsheet` seeds them; None and "" clear a cell.
        """
        with self._lock:
            spreadsheet = self._spreadsheet(spreadsheet_id)
            sheet = self._sheet(spreadsheet_id, sheet_title)
            row, col = _cell_index(start_cell)
            needed_rows = row + len(rows)
            needed_cols = col + max((len(line) for line in rows), default=0)
            sheet.row_count = max(sheet.row_count, needed_rows)
            sheet.column_count = max(sheet.column_count, needed_cols)
            self._write_rows(spreadsheet, sheet, row, col, rows)
            self._state.bump(spreadsheet)

    def insert_rows(self, spreadsheet_id: str, sheet_title: str, index: int, rows: list[list[Any]]) -> None:
        """Insert rows before zero-based row `index` (0 is row 1), as staff would between a read and a write.

        Merges, protected ranges and row metadata below move down like in Google Sheets.
        """
        if not rows:
            raise ValueError("insert_rows needs at least one row")
        with self._lock:
            spreadsheet = self._spreadsheet(spreadsheet_id)
            sheet = self._sheet(spreadsheet_id, sheet_title)
            if not 0 <= index <= sheet.row_count:
                raise ValueError(f"row index {index} is outside 0..{sheet.row_count} for tab {sheet_title!r}")
            sheets_batch.insert_dimension_block(spreadsheet, sheet, "ROWS", index, len(rows))
            width = max(len(row) for row in rows)
            sheet.column_count = max(sheet.column_count, width)
            self._write_rows(spreadsheet, sheet, index, 0, rows)
            self._state.bump(spreadsheet)

    def delete_rows(self, spreadsheet_id: str, sheet_title: str, start: int, end: int) -> None:
        """Delete zero-based rows start..end-1, as staff would between a read and a write."""
        with self._lock:
            spreadsheet = self._spreadsheet(spreadsheet_id)
            sheet = self._sheet(spreadsheet_id, sheet_title)
            if not 0 <= start < end <= sheet.row_count:
                raise ValueError(f"rows {start}..{end} are outside 0..{sheet.row_count} for tab {sheet_title!r}")
            sheets_batch.delete_dimension_block(spreadsheet, sheet, "ROWS", start, end)
            self._state.bump(spreadsheet)

    def insert_columns(self, spreadsheet_id: str, sheet_title: str, index: int, count: int = 1) -> None:
        """Insert `count` blank columns before zero-based column `index` (0 is column A), as staff would.

        Cells, merges, protected ranges and column metadata to the right move right like in Google Sheets.
        """
        if count < 1:
            raise ValueError(f"insert_columns needs a count of at least 1, got {count}")
        with self._lock:
            spreadsheet = self._spreadsheet(spreadsheet_id)
            sheet = self._sheet(spreadsheet_id, sheet_title)
            if not 0 <= index <= sheet.column_count:
                raise ValueError(f"column index {index} is outside 0..{sheet.column_count} for tab {sheet_title!r}")
            sheets_batch.insert_dimension_block(spreadsheet, sheet, "COLUMNS", index, count)
            self._state.bump(spreadsheet)

    def delete_columns(self, spreadsheet_id: str, sheet_title: str, start: int, end: int) -> None:
        """Delete zero-based columns start..end-1, as staff would between a read and a write."""
        with self._lock:
            spreadsheet = self._spreadsheet(spreadsheet_id)
            sheet = self._sheet(spreadsheet_id, sheet_title)
            if not 0 <= start < end <= sheet.column_count:
                raise ValueError(f"columns {start}..{end} are outside 0..{sheet.column_count} for tab {sheet_title!r}")
            sheets_batch.delete_dimension_block(spreadsheet, sheet, "COLUMNS", start, end)
            self._state.bump(spreadsheet)

    def get_cells(self, spreadsheet_id: str, sheet_title: str) -> dict[str, dict[str, Any]]:
        """Return {"B2": CellData} for every cell that is not blank, as spreadsheets.get gives them."""
        with self._lock:
            spreadsheet = self._spreadsheet(spreadsheet_id)
            sheet = self._sheet(spreadsheet_id, sheet_title)
            return {cell_name(row, col): cell.to_json(spreadsheet.locale)
                    for row, col, cell in sheet.iter_cells() if not cell.is_blank()}

    def touch(self, spreadsheet_id: str) -> str:
        """Bump modifiedTime as any edit would, and return the new value."""
        with self._lock:
            spreadsheet = self._spreadsheet(spreadsheet_id)
            self._state.bump(spreadsheet)
            return rfc3339_millis(spreadsheet.modified_time)

    def delete_spreadsheet(self, spreadsheet_id: str) -> None:
        with self._lock:
            self._spreadsheet(spreadsheet_id)
            del self._state.spreadsheets[spreadsheet_id]

    # --- inspection ------------------------------------------------------------

    def spreadsheet_ids(self) -> list[str]:
        with self._lock:
            return list(self._state.spreadsheets)

    def sheet_titles(self, spreadsheet_id: str) -> list[str]:
        with self._lock:
            return self._spreadsheet(spreadsheet_id).sheet_titles()

    def get_values(
        self,
        spreadsheet_id: str,
        sheet_title: str,
        *,
        value_render: str = "UNFORMATTED_VALUE",
        date_render: str = "SERIAL_NUMBER",
    ) -> list[list[Any]]:
        """Return a tab's values as values.get would for the whole tab (trailing blanks trimmed)."""
        with self._lock:
            spreadsheet = self._spreadsheet(spreadsheet_id)
            sheet = self._sheet(spreadsheet_id, sheet_title)
            bounds = self._state.resolve_range(spreadsheet, sheet.a1(0, sheet.row_count, 0, sheet.column_count))
            rendered = sheets_values.render_bounds(spreadsheet, bounds, value_render, date_render, "ROWS")
            return rendered.get("values", [])

    def get_cell(self, spreadsheet_id: str, sheet_title: str, name: str) -> dict[str, Any]:
        """Return one cell as a CellData object ({} for a blank cell)."""
        with self._lock:
            spreadsheet = self._spreadsheet(spreadsheet_id)
            row, col = _cell_index(name)
            cell = self._sheet(spreadsheet_id, sheet_title).cell(row, col)
            return cell.to_json(spreadsheet.locale) if cell is not None else {}

    def get_notes(self, spreadsheet_id: str, sheet_title: str) -> dict[str, str]:
        """Return {"B2": note} for every cell with a note."""
        with self._lock:
            sheet = self._sheet(spreadsheet_id, sheet_title)
            return {cell_name(row, col): cell.note for row, col, cell in sheet.iter_cells() if cell.note}

    def get_formats(self, spreadsheet_id: str, sheet_title: str) -> dict[str, dict[str, Any]]:
        """Return {"B2": userEnteredFormat} for every cell with a format."""
        with self._lock:
            sheet = self._sheet(spreadsheet_id, sheet_title)
            return {cell_name(row, col): copy.deepcopy(cell.user_format) for row, col, cell in sheet.iter_cells() if cell.user_format}

    def get_background_color(self, spreadsheet_id: str, sheet_title: str, name: str) -> Optional[dict[str, Any]]:
        """Return a cell's userEnteredFormat.backgroundColor, or None."""
        cell_format = self.get_formats(spreadsheet_id, sheet_title).get(name) or {}
        return cell_format.get("backgroundColor")

    def get_data_validations(self, spreadsheet_id: str, sheet_title: str) -> dict[str, dict[str, Any]]:
        """Return {"C2": rule} for every cell with a data validation rule."""
        with self._lock:
            sheet = self._sheet(spreadsheet_id, sheet_title)
            return {cell_name(row, col): copy.deepcopy(cell.validation) for row, col, cell in sheet.iter_cells() if cell.validation}

    def get_protected_ranges(self, spreadsheet_id: str, sheet_title: str) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._sheet(spreadsheet_id, sheet_title).protected_ranges)

    def get_merges(self, spreadsheet_id: str, sheet_title: str) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._sheet(spreadsheet_id, sheet_title).merges)

    def get_frozen_row_count(self, spreadsheet_id: str, sheet_title: str) -> int:
        with self._lock:
            return self._sheet(spreadsheet_id, sheet_title).frozen_row_count

    def get_sheet_properties(self, spreadsheet_id: str, sheet_title: str) -> dict[str, Any]:
        """Return the tab's SheetProperties as spreadsheets.get gives them (hidden, gridProperties...)."""
        with self._lock:
            spreadsheet = self._spreadsheet(spreadsheet_id)
            sheet = self._sheet(spreadsheet_id, sheet_title)
            return sheet.properties_json(spreadsheet.sheets.index(sheet))

    def get_spreadsheet_properties(self, spreadsheet_id: str) -> dict[str, Any]:
        with self._lock:
            return self._spreadsheet(spreadsheet_id).properties_json()

    def get_developer_metadata(self, spreadsheet_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._spreadsheet(spreadsheet_id).developer_metadata)

    def get_row_properties(self, spreadsheet_id: str, sheet_title: str) -> dict[int, dict[str, Any]]:
        """Return {zero-based row: {"pixelSize": ..., "hiddenByUser": ...}} for rows set by requests."""
        with self._lock:
            return copy.deepcopy(self._sheet(spreadsheet_id, sheet_title).row_properties)

    def get_column_properties(self, spreadsheet_id: str, sheet_title: str) -> dict[int, dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._sheet(spreadsheet_id, sheet_title).column_properties)

    def get_permissions(self, spreadsheet_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._spreadsheet(spreadsheet_id).permissions)

    def get_modified_time(self, spreadsheet_id: str) -> str:
        """Return Drive's modifiedTime, for example 2024-03-01T08:00:00.123Z."""
        with self._lock:
            return rfc3339_millis(self._spreadsheet(spreadsheet_id).modified_time)

    # --- internals -------------------------------------------------------------

    def _spreadsheet(self, spreadsheet_id: str) -> Spreadsheet:
        spreadsheet = self._state.spreadsheets.get(spreadsheet_id)
        if spreadsheet is None:
            raise KeyError(f"no spreadsheet {spreadsheet_id!r} in the stand-in; known ids: {list(self._state.spreadsheets)}")
        return spreadsheet

    def _sheet(self, spreadsheet_id: str, sheet_title: str) -> Sheet:
        spreadsheet = self._spreadsheet(spreadsheet_id)
        sheet = spreadsheet.sheet_by_title(sheet_title)
        if sheet is None:
            raise KeyError(f"no tab {sheet_title!r} in spreadsheet {spreadsheet_id!r}; tabs: {spreadsheet.sheet_titles()}")
        return sheet


def _has_bearer(headers: dict[str, str]) -> bool:
    for name, value in headers.items():
        if name.lower() == "authorization" and value.startswith("Bearer ") and len(value) > len("Bearer "):
            return True
    return False


def _cell_index(name: str) -> tuple[int, int]:
    parsed = parse_cells(name, name)
    if parsed.start_row is None or parsed.start_col is None or parsed.end_row != parsed.start_row + 1:
        raise ValueError(f"expected a single cell such as B2, got {name!r}")
    return parsed.start_row, parsed.start_col

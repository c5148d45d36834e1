"""The Google Sheets backend: one spreadsheet per unit, read and flagged over the API.

Requests per sync and unit: Drive `files.list` once for all units (modifiedTime and
modifiedByMeTime of every spreadsheet the service account can open), `spreadsheets.get`
once per changed workbook, and `spreadsheets:batchUpdate` once per workbook whose
flags changed.

Change stamps. A spreadsheet whose last change was ours (modifiedByMeTime is not
before modifiedTime) gets the stamp OWN_WRITE_STAMP, and ``write_flags`` returns the
same stamp, so our own write-back does not make the next run read the workbook
again. Any later staff edit makes modifiedTime newer, and the stamp becomes that
time.

Rows and columns that move between the read and the write. The batchUpdate asks
Google to return the spreadsheet as it is after the batch
(``includeSpreadsheetInResponse``), in the same request. The backend compares its
staff cells with what it read. When they differ, staff edited, inserted, deleted or
sorted rows or columns while the sync ran, and the batch, addressed by position, may
have landed on staff cells. The backend then aligns the columns by the header row and
the rows by their values, and sends one more batchUpdate that first restores every
cell the batch reached to its state at the read (value, note, colour, bold, wrap),
then writes the flags in the sync columns where they moved and beside the rows that
now contain the same values. That batch is checked the same way, at most
``max_corrections`` times. The backend then returns no stamp, so the next run reads
the workbook again and validates the new rows. After ``write_flags`` returns, every
staff cell that existed at the read is as staff left it and no flag is on another
row, with two exceptions. Staff may keep moving rows or columns through every
correction. A cell that staff created or changed after the read may be reached by
a batch, and its new content is not known, so it gets its state at the read, or is
cleared.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import random
import time
import tomllib
from pathlib import Path
from typing import Any, Callable

import gspread
from gspread.urls import DRIVE_FILES_API_V3_URL, SPREADSHEET_BATCH_UPDATE_URL, SPREADSHEET_URL

from sheets_schema.config import REPO_ROOT, Config, Unit
from sync.backends.google_flags import (SummaryWrite, TabWrite, repair_tab, summary_for, summary_requests, tab_requests,
                                        written_cells)
from sync.backends.google_grid import SPREADSHEET_FIELDS, SheetGrid, SpreadsheetGrid, parse_spreadsheet, staff_rows
from sync.backends.google_transport import (GoogleCallFailed, RequestBudget, RetryPolicy, Transport,
                                            api_error_message, is_timeout)
from sync.errors import KetnoiError, WorkbookUnavailable, WriteSkipped
from sync.flags import FlagPlan
from sync.model import RawWorkbook

log = logging.getLogger(__name__)

SCOPES = ("https://www.googleapis.com/auth/spreadsheets", "https://www.googleapis.com/auth/drive")
SPREADSHEET_MIME_TYPE = "application/vnd.google-apps.spreadsheet"
OWN_WRITE_STAMP = "ketnoi-own-write"
DRIVE_PAGE_SIZE = 1000

# Defaults of the `google:` block in programme.yaml.
DEFAULTS: dict[str, Any] = {
    "credentials_file": "",
    "secrets_file": ".streamlit/secrets.toml",
    "service_account_email": "",
    "read_requests_per_minute": 50,
    "write_requests_per_minute": 50,
    "drive_requests_per_minute": 100,
    "max_attempts": 5,
    "backoff_base_seconds": 1.0,
    "backoff_max_seconds": 32.0,
    "timeout_seconds": 60.0,
    "max_corrections": 2,
}


class GoogleWriteFailed(KetnoiError):
    """Flags could not be written to a Google spreadsheet. ``reason`` is Vietnamese."""

    def __init__(self, unit: str, kind: str, reason: str) -> None:
        super().__init__(f"write-back to the spreadsheet of {unit} failed ({kind})")
        self.unit = unit
        self.kind = kind
        self.reason = reason


class CredentialsMissing(KetnoiError):
    """No service account key was found in any of the configured places."""


def google_settings(config: Config) -> dict[str, Any]:
    settings = dict(DEFAULTS)
    settings.update({k: v for k, v in (config.google or {}).items() if v is not None})
    return settings


def _resolve(path: str) -> Path:
    candidate = Path(path).expanduser()
    if candidate.is_absolute():
        return candidate
    base = Path(os.environ.get("KETNOI_DATA_DIR") or REPO_ROOT)
    return base / candidate


def load_service_account_info(settings: dict[str, Any]) -> dict[str, Any]:
    """Find the service account key: env KETNOI_GOOGLE_CREDENTIALS (JSON text), then the
    file in env KETNOI_GOOGLE_CREDENTIALS_FILE or ``credentials_file``, then the
    ``[gcp_service_account]`` table of the Streamlit secrets file."""
    text = os.environ.get("KETNOI_GOOGLE_CREDENTIALS")
    if text:
        try:
            return dict(json.loads(text))
        except json.JSONDecodeError as exc:
            raise CredentialsMissing("KETNOI_GOOGLE_CREDENTIALS is not valid JSON") from exc
    path_text = os.environ.get("KETNOI_GOOGLE_CREDENTIALS_FILE") or settings.get("credentials_file")
    if path_text:
        path = _resolve(str(path_text))
        try:
            return dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError) as exc:
            raise CredentialsMissing(f"service account key file {path} is missing or not valid JSON") from exc
    secrets = _resolve(str(settings.get("secrets_file") or DEFAULTS["secrets_file"]))
    if secrets.exists():
        with open(secrets, "rb") as fh:
            table = tomllib.load(fh).get("gcp_service_account")
        if table:
            return dict(table)
    raise CredentialsMissing(
        "no Google service account key: set KETNOI_GOOGLE_CREDENTIALS, KETNOI_GOOGLE_CREDENTIALS_FILE, "
        f"google.credentials_file in programme.yaml, or [gcp_service_account] in {secrets}")


def unavailable_reason(kind: str, spreadsheet_id: str, email: str) -> str:
    """Return a Vietnamese reason that a unit's office can act on."""
    if kind == "permission":
        who = email or "của hệ thống"
        return (f"tài khoản dịch vụ {who} chưa được chia sẻ quyền truy cập bảng tính; đề nghị văn phòng đơn vị "
                f"mở bảng tính, chọn «Chia sẻ» và thêm địa chỉ {who} với quyền «Người chỉnh sửa»")
    if kind == "missing":
        return (f"không tìm thấy bảng tính Google có mã {spreadsheet_id}; đề nghị kiểm tra lại mã bảng tính "
                "trong tệp cấu hình units.csv")
    if kind == "quota":
        return "Google tạm thời từ chối vì vượt hạn mức số lượt truy cập; hệ thống sẽ thử lại ở lần đồng bộ sau"
    if kind == "network":
        return "không kết nối được tới máy chủ Google hoặc máy chủ không phản hồi; hệ thống sẽ thử lại ở lần đồng bộ sau"
    if kind == "auth":
        return "không xác thực được tài khoản dịch vụ Google; đề nghị kiểm tra tệp khóa của tài khoản dịch vụ"
    return "Google từ chối yêu cầu truy cập bảng tính; đề nghị báo cho quản trị hệ thống"


def _unavailable_kind(kind: str) -> str:
    return "permission" if kind == "auth" else kind


class GoogleSheetsBackend:
    name = "google"

    def __init__(self, config: Config, client: gspread.Client, *, service_account_email: str = "",
                 sleep: Callable[[float], None] = time.sleep, rng: random.Random | None = None) -> None:
        self.config = config
        self.settings = google_settings(config)
        self.client = client
        self.service_account_email = service_account_email or str(self.settings.get("service_account_email") or "")
        self.client.http_client.set_timeout(float(self.settings["timeout_seconds"]))
        budget = RequestBudget({"read": int(self.settings["read_requests_per_minute"]),
                                "write": int(self.settings["write_requests_per_minute"]),
                                "drive": int(self.settings["drive_requests_per_minute"])}, sleep=sleep)
        policy = RetryPolicy(max_attempts=int(self.settings["max_attempts"]),
                             base_seconds=float(self.settings["backoff_base_seconds"]),
                             max_seconds=float(self.settings["backoff_max_seconds"]))
        self.transport = Transport(budget, policy, rng=rng, sleep=sleep)
        self._stamps: dict[str, str | None] = {}
        self._grids: dict[str, SpreadsheetGrid] = {}

    @classmethod
    def from_config(cls, config: Config) -> "GoogleSheetsBackend":
        """Authorise gspread with the configured service account (see load_service_account_info)."""
        from google.oauth2.service_account import Credentials

        settings = google_settings(config)
        info = load_service_account_info(settings)
        try:
            credentials = Credentials.from_service_account_info(info, scopes=list(SCOPES))
        except (ValueError, KeyError) as exc:
            raise CredentialsMissing(f"service account key is incomplete: {type(exc).__name__}") from exc
        client = gspread.Client(auth=credentials, http_client=gspread.http_client.HTTPClient)
        return cls(config, client, service_account_email=str(info.get("client_email", "")))

    # ------------------------------------------------------------------ requests

    def request(self, kind: str, what: str, method: str, url: str, *, params: dict[str, Any] | None = None,
                 body: dict[str, Any] | None = None, on_retry: Callable[[BaseException], None] | None = None) -> Any:
        def send() -> Any:
            response = self.client.http_client.request(method, url, params=params, json=body)
            return response.json() if response.content else {}
        return self.transport.call(kind, what, send, on_retry=on_retry)

    # ------------------------------------------------------------------ change detection

    def modified_times(self, units: list[Unit]) -> dict[str, str | None]:
        """Look up every unit's stamp with one Drive files.list (more pages only beyond 1000 spreadsheets)."""
        wanted = {unit.location: unit.code for unit in units if unit.location}
        found: dict[str, dict[str, Any]] = {}
        params: dict[str, Any] = {
            "q": f"mimeType='{SPREADSHEET_MIME_TYPE}' and trashed=false",
            "fields": "nextPageToken,files(id,modifiedTime,modifiedByMeTime)",
            "pageSize": DRIVE_PAGE_SIZE, "supportsAllDrives": "true", "includeItemsFromAllDrives": "true",
        }
        while True:
            try:
                page = self.request("drive", "Drive files.list", "get", DRIVE_FILES_API_V3_URL, params=params)
            except GoogleCallFailed as exc:
                raise KetnoiError(f"Drive files.list failed: {exc}") from exc
            for item in page.get("files") or []:
                if item.get("id") in wanted:
                    found[item["id"]] = item
            token = page.get("nextPageToken")
            if not token or len(found) == len(wanted):
                break
            params = dict(params, pageToken=token)
        stamps: dict[str, str | None] = {}
        for unit in units:
            item = found.get(unit.location)
            stamps[unit.code] = file_stamp(item) if item else None
        self._stamps.update(stamps)
        return stamps

    # ------------------------------------------------------------------ reading

    def read(self, unit: Unit) -> RawWorkbook:
        if not unit.location:
            raise WorkbookUnavailable(unit.code, "missing",
                                      "chưa khai báo mã bảng tính Google của đơn vị trong tệp cấu hình units.csv")
        try:
            payload = self.request("read", f"read of {unit.code}", "get", SPREADSHEET_URL % unit.location,
                                    params={"fields": SPREADSHEET_FIELDS})
        except GoogleCallFailed as exc:
            raise WorkbookUnavailable(unit.code, _unavailable_kind(exc.kind),
                                      unavailable_reason(exc.kind, unit.location, self.service_account_email)) from exc
        grid = parse_spreadsheet(payload, self.config.timezone)
        if grid.locale and not grid.locale.startswith("vi"):
            log.info("spreadsheet of %s uses locale %s; values are read unformatted, so the locale does not "
                     "change numbers or dates", unit.code, grid.locale)
        self._grids[unit.code] = grid
        log.info("read spreadsheet of %s: %d tabs", unit.code, len(grid.sheets))
        return grid.workbook(unit.code, self._stamps.get(unit.code))

    def read_grid(self, unit: Unit) -> SpreadsheetGrid:
        """Read the spreadsheet (one request) and return it with notes, colours and protections."""
        self.read(unit)
        return self._grids[unit.code]

    # ------------------------------------------------------------------ writing

    def write_flags(self, unit: Unit, workbook: RawWorkbook, plan: FlagPlan) -> str | None:
        read_grid = self._grids.get(unit.code)
        if read_grid is None:
            raise WriteSkipped(unit.code, "workbook was not read by this backend in this run")
        tabs = []
        for tab in plan.tabs:
            sheet = read_grid.by_title(tab.layout.sheet_title)
            if sheet is not None:
                tabs.append(TabWrite.from_plan(tab, sheet))
        summary = summary_for(plan, read_grid)
        after, sent = self._send_flags(unit, tabs, summary, plan, read_grid)

        before = read_grid
        corrections = 0
        while corrections < int(self.settings["max_corrections"]):
            changed = _changed_tabs(tabs, before, after, plan.summary_title)
            moved = {tab.grid.title for tab in tabs
                     if tab.grid.title in changed and after.by_title(tab.grid.title) is not None}
            if not moved:
                break
            corrections += 1
            log.warning("staff changed %d flagged tab(s) of %s during write-back; restoring the cells the write "
                        "reached and moving flags to the matching rows and columns (correction %d)",
                        len(moved), unit.code, corrections)
            written = written_cells(sent, {sheet.sheet_id: sheet.row_count for sheet in after.sheets})
            restores: list[dict[str, Any]] = []
            repaired: dict[str, SheetGrid] = {}
            next_tabs = []
            for tab in tabs:
                sheet_after = after.by_title(tab.grid.title)
                if sheet_after is None:
                    continue
                if tab.grid.title in moved:
                    repair = repair_tab(tab, sheet_after, written.get(sheet_after.sheet_id, {}))
                    restores.extend(repair.requests)
                    repaired[tab.grid.title] = repair.tab.grid
                    next_tabs.append(repair.tab)
                else:
                    next_tabs.append(dataclasses.replace(tab, grid=sheet_after))
            to_send = [tab for tab in next_tabs if tab.grid.title in changed]
            tabs = next_tabs
            # The state this correction expects once its restores are applied.
            before = dataclasses.replace(after, sheets=[repaired.get(g.title, g) for g in after.sheets])
            after, sent = self._send_flags(unit, to_send, None, plan, before, restores=restores)

        if _changed_tabs(tabs, read_grid, after, plan.summary_title):
            if _changed_tabs(tabs, before, after, plan.summary_title):
                log.warning("staff kept changing the spreadsheet of %s through %d correction(s); the next run "
                            "reads it again and rewrites every flag", unit.code, corrections)
            log.info("spreadsheet of %s changed during write-back; it is read again next run", unit.code)
            return None
        return OWN_WRITE_STAMP

    def _send_flags(self, unit: Unit, tabs: list[TabWrite], summary: SummaryWrite | None, plan: FlagPlan,
                    current: SpreadsheetGrid, restores: list[dict[str, Any]] | None = None,
                    ) -> tuple[SpreadsheetGrid, list[dict[str, Any]]]:
        """Send one batchUpdate (``restores`` first, then the flags) and return the spreadsheet
        as Google has it afterwards, with the requests sent."""
        timed_out = False

        def note_retry(exc: BaseException) -> None:
            nonlocal timed_out
            timed_out = timed_out or is_timeout(exc)

        for _ in range(2):
            requests: list[dict[str, Any]] = list(restores or [])
            for tab in tabs:
                requests.extend(tab_requests(tab, plan.status_header, plan.details_header))
            if summary is not None:
                requests.extend(summary_requests(summary, self.config.timezone))
            if not requests:
                return current, []
            body = {"requests": requests, "includeSpreadsheetInResponse": True, "responseIncludeGridData": True}
            try:
                reply = self.request("write", f"write-back to {unit.code}", "post",
                                      SPREADSHEET_BATCH_UPDATE_URL % unit.location, body=body,
                                      params={"fields": f"spreadsheetId,updatedSpreadsheet({SPREADSHEET_FIELDS})"},
                                      on_retry=note_retry)
            except GoogleCallFailed as exc:
                message = exc.detail
                if (exc.status == 400 and timed_out and summary is not None and not summary.exists
                        and "already exists" in message):
                    # A timed-out attempt was applied by Google after all: the summary tab exists now.
                    log.info("summary tab of %s was created by a timed-out attempt; sending the batch again", unit.code)
                    summary = SummaryWrite(summary.title, summary.rows, summary.sheet_id, exists=True, protected=True,
                                           row_count=max(len(summary.rows) + 2, 100), column_count=8)
                    continue
                if exc.status == 400 and "exceeds grid limits" in message:
                    raise WriteSkipped(unit.code, "spreadsheet changed during write-back (rows removed)") from exc
                raise GoogleWriteFailed(unit.code, exc.kind,
                                        unavailable_reason(exc.kind, unit.location, self.service_account_email)) from exc
            log.info("wrote %d flag requests to the spreadsheet of %s", len(requests), unit.code)
            return parse_spreadsheet(reply.get("updatedSpreadsheet") or {}, self.config.timezone), requests
        raise GoogleWriteFailed(unit.code, "unreadable", unavailable_reason("unreadable", unit.location,
                                                                            self.service_account_email))


def file_stamp(item: dict[str, Any]) -> str | None:
    """The change stamp of a Drive file: OWN_WRITE_STAMP when our write was the last change."""
    modified = item.get("modifiedTime")
    mine = item.get("modifiedByMeTime")
    if not modified:
        return None
    # NOTE: checked against the stand-in only. Google may update modifiedTime a few
    # seconds after a write, which would make our own write look like a staff edit (one extra read).
    if mine and _instant(mine) >= _instant(modified):
        return OWN_WRITE_STAMP
    return str(modified)


def _instant(text: str) -> str:
    """RFC 3339 UTC times from Drive compare as text once the fraction has a fixed width."""
    head, _, rest = text.rstrip("Z").partition(".")
    return f"{head}.{(rest or '0')[:6].ljust(6, '0')}"


def _changed_tabs(tabs: list[TabWrite], before: SpreadsheetGrid, after: SpreadsheetGrid, summary_title: str) -> set[str]:
    """Titles of tabs whose staff cells differ between two states of the spreadsheet."""
    skip = {tab.grid.title: tab.sync_columns for tab in tabs}
    changed = set()
    titles = {g.title for g in before.sheets} | {g.title for g in after.sheets}
    for title in titles - {summary_title}:
        old, new = before.by_title(title), after.by_title(title)
        if old is None or new is None:
            changed.add(title)
            continue
        columns = skip.get(title, set())
        if staff_rows(old, columns) != staff_rows(new, columns):
            changed.add(title)
    return changed


__all__ = ["GoogleSheetsBackend", "GoogleWriteFailed", "CredentialsMissing", "OWN_WRITE_STAMP", "file_stamp",
           "load_service_account_info", "unavailable_reason", "api_error_message"]

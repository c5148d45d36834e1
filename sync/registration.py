"""Online registration of a job seeker: check the form, reject duplicates, append a row.

A registration from the public page becomes one new row at the bottom of the
``job_seekers`` tab of the unit that owns the chosen commune. The form is checked by
the validator the sync uses (the row is validated as a one-row ``Tìm việc`` sheet),
so the page accepts exactly what the sheets accept.

Appending never overwrites a cell:

- .xlsx: the workbook is loaded in normal mode, the row goes below the last row that
  has any value, and the file is replaced through a temporary file and ``os.replace``.
  A workbook that is open in Excel or LibreOffice (lock file present) or that changed
  while we worked is retried with back-off, then reported as unavailable.
- Google Sheets: one read of the tab, then one ``values.append`` with
  ``valueInputOption=RAW`` (nothing typed is parsed as a formula) and
  ``insertDataOption=INSERT_ROWS`` on the empty row below the data, so a row that
  staff filled in the meantime is pushed down, not overwritten.

Registrations appended since the last sync are recorded in the store's
``public_registrations`` table, so a duplicate phone is found before the sync has read
the new row back. The table keeps a SHA-256 digest of the phone, not the number.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import fcntl
import hashlib
import logging
import os
import random
import re
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from openpyxl.cell.rich_text import CellRichText
from openpyxl.utils import get_column_letter

from sheets_schema.config import Config, Unit
from sheets_schema.schema import Schema
from sync.cells import format_date, is_blank, parse_phone
from sync.errors import KetnoiError
from sync.messages import cell_prefix
from sync.model import RawSheet, RawWorkbook
from sync.store import Store, utc_now
from sync.validate import UnitValidator, _find_header, _index_sheets
from sync.xlsx_reader import file_stamp
from sync.xlsx_writer import lock_files, save_atomically

log = logging.getLogger(__name__)

TAB_KEY = "job_seekers"
SOURCE_NOTE = "Đăng ký qua trang Việc làm thanh niên Cà Mau"
STATUS_SEEKING = "Đang tìm"
MIN_AGE = 16
TODAY_ENV = "KETNOI_TODAY"

# Bounded retries for a busy workbook or a failing Google request: 4 attempts, waits of
# about 0.5, 1 and 2 seconds plus up to 50 % jitter.
ATTEMPTS = 4
BACKOFF_SECONDS = 0.5
RETRYABLE_HTTP = frozenset({429, 500, 502, 503, 504})

_LOG_DDL = """
CREATE TABLE IF NOT EXISTS public_registrations (
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    unit TEXT NOT NULL,
    phone_sha256 TEXT NOT NULL,
    backend TEXT NOT NULL,
    sheet_row INTEGER
);
CREATE INDEX IF NOT EXISTS public_registrations_phone ON public_registrations (phone_sha256);
"""

_process_lock = threading.Lock()


class RegistrationUnavailable(KetnoiError):
    """The row could not be appended now; ``reason`` is for operator logs (no personal data)."""

    def __init__(self, unit: str, reason: str) -> None:
        super().__init__(f"registration for {unit} not appended: {reason}")
        self.unit = unit
        self.reason = reason


class AlreadyRegistered(KetnoiError):
    """The phone number is already in the programme's job seekers."""


class _Busy(Exception):
    """The workbook is locked or changed during the append; the attempt is retried."""


@dataclasses.dataclass(frozen=True)
class RegistrationForm:
    """Raw input of the registration form, before any checking."""

    full_name: str
    birth_year: str
    gender: str
    phone: str
    unit: str  # code of the unit chosen with the commune
    commune: str
    education: str
    need: str
    desired_trade: str = ""
    returned_migrant: bool | None = None
    consent: bool = False


@dataclasses.dataclass
class CheckedForm:
    """The form checked by the sheets' validator. ``values`` contains canonical values by column key."""

    unit: str
    values: dict[str, Any]
    errors: list[str]
    warnings: list[str]

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclasses.dataclass(frozen=True)
class AppendResult:
    unit: str
    backend: str
    sheet_row: int | None


def current_date(timezone: str = "Asia/Ho_Chi_Minh") -> dt.date:
    """Return today in the programme's time zone, or the ISO date in ``KETNOI_TODAY`` (demos, tests)."""
    fixed = os.environ.get(TODAY_ENV, "").strip()
    if fixed:
        return dt.date.fromisoformat(fixed)
    return dt.datetime.now(ZoneInfo(timezone)).date()


def phone_digest(phone: str) -> str:
    return hashlib.sha256(phone.encode("ascii")).hexdigest()


# ---------------------------------------------------------------- checking the form

def check_form(schema: Schema, config: Config, form: RegistrationForm, today: dt.date) -> CheckedForm:
    """Check a form with the consent, age and period rules and the sheets' own validator."""
    errors: list[str] = []
    if not form.consent:
        errors.append("Bạn chưa đồng ý cho phép sử dụng thông tin cá nhân. Đề nghị đọc nội dung đồng ý "
                      "và đánh dấu vào ô «Tôi đồng ý» trước khi gửi.")
    if not config.has_unit(form.unit) or not any(c.name == form.commune for c in config.unit(form.unit).communes):
        errors.append("Xã, phường, thị trấn chưa được chọn hoặc không có trong danh sách. "
                      "Đề nghị chọn huyện, thành phố rồi chọn xã, phường, thị trấn nơi cư trú.")
        return CheckedForm(unit=form.unit, values={}, errors=errors, warnings=[])
    if not config.period_start <= today <= config.period_end:
        errors.append(f"Chương trình nhận đăng ký từ ngày {format_date(config.period_start)} đến ngày "
                      f"{format_date(config.period_end)}; hôm nay ({format_date(today)}) ngoài thời gian này "
                      "nên chưa nhận đăng ký qua trang.")
        return CheckedForm(unit=form.unit, values={}, errors=errors, warnings=[])

    tab = schema.tab(TAB_KEY)
    raw = {
        "full_name": form.full_name, "birth_year": form.birth_year, "gender": form.gender,
        "phone": form.phone, "commune": form.commune, "education": form.education, "need": form.need,
        "desired_trade": form.desired_trade or None,
        "returned_migrant": form.returned_migrant,
        "registered_on": today, "status": STATUS_SEEKING, "source": SOURCE_NOTE,
    }
    headers = [c.header for c in tab.columns]
    sheet = RawSheet(title=tab.title, rows=[headers, [raw.get(c.key) for c in tab.columns]])
    validator = UnitValidator(schema, config, form.unit)
    result = validator.validate(RawWorkbook(unit=form.unit, sheets=[sheet], source="registration form"))
    record = next((r for r in result.rows if r.tab == TAB_KEY), None)
    warnings: list[str] = []
    for issue in result.issues:
        if issue.tab != TAB_KEY or issue.row != 2:
            continue
        text = _form_message(schema, issue.column, issue.message)
        (errors if issue.severity == "error" else warnings).append(text)
    values = dict(record.values) if record is not None else {}

    birth_year = values.get("birth_year")
    if isinstance(birth_year, int) and today.year - birth_year < MIN_AGE:
        # The contract's youth-age rule counts 16 to 30 as youth; the page takes no one younger.
        errors.append(f"Bạn sinh năm {birth_year}, năm nay chưa đủ {MIN_AGE} tuổi. Trang này dành cho thanh niên "
                      f"từ đủ {MIN_AGE} tuổi trở lên nên chưa nhận đăng ký của bạn. Bạn có thể liên hệ Đoàn xã, "
                      "phường, thị trấn nơi cư trú để được tư vấn học tập, học nghề.")
    return CheckedForm(unit=form.unit, values=values, errors=errors, warnings=warnings)


def _form_message(schema: Schema, column_key: str | None, message: str) -> str:
    """Replace the sheet prefix (tab, row, column) with the form field's label."""
    tab = schema.tab(TAB_KEY)
    if column_key is None:
        return message
    column = tab.column(column_key)
    prefix = cell_prefix(tab, 2, column)
    body = message[len(prefix):] if message.startswith(prefix) else message
    return f"«{column.header}»: {body}"


# ---------------------------------------------------------------- the append log

def _ensure_log(store: Store) -> None:
    store.connection.executescript(_LOG_DDL)


def known_phone(store: Store, phone: str) -> bool:
    """Return True when the phone is in any unit's stored job seekers or was appended since the last sync."""
    _ensure_log(store)
    row = store.connection.execute("SELECT 1 FROM public_registrations WHERE phone_sha256=? LIMIT 1",
                                   (phone_digest(phone),)).fetchone()
    if row is not None:
        return True
    for record in store.rows(tab=TAB_KEY):
        stored = record.values.get("phone")
        if stored is not None and parse_phone(stored)[0] == phone:
            return True
    return False


def _record_append(store: Store, result: AppendResult, phone: str) -> None:
    _ensure_log(store)
    with store.transaction() as conn:
        conn.execute("INSERT INTO public_registrations(created_at, unit, phone_sha256, backend, sheet_row) "
                     "VALUES (?,?,?,?,?)", (utc_now(), result.unit, phone_digest(phone), result.backend,
                                            result.sheet_row))


@contextlib.contextmanager
def _registration_lock(store_path: Path) -> Iterator[None]:
    """Serialise registrations across threads and processes, so the duplicate check and the
    append of one registration are not interleaved with another's."""
    lock_path = store_path.with_name(store_path.name + ".registration.lock")
    with _process_lock, open(lock_path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# ---------------------------------------------------------------- the row

def sheet_row(schema: Schema, values: dict[str, Any], columns: dict[str, int], for_google: bool) -> list[Any]:
    """Lay out the canonical values by sheet column (1-based ``columns``); gaps are None.

    Dates become dd/mm/yyyy text for Google, because RAW input stores numbers without a
    date format; the sync's date parser reads that text back.
    """
    tab = schema.tab(TAB_KEY)
    width = max(columns.values(), default=0)
    row: list[Any] = [None] * width
    for column in tab.columns:
        position = columns.get(column.key)
        value = values.get(column.key)
        if position is None or value is None:
            continue
        if column.type == "yes_no" and isinstance(value, bool):
            value = "Có" if value else "Không"
        elif isinstance(value, dt.date) and for_google:
            value = format_date(value)
        row[position - 1] = value
    return row


def _has_phone(rows: list[list[Any]], header_row: int, phone_column: int | None, phone: str) -> bool:
    if phone_column is None:
        return False
    for cells in rows[header_row:]:
        if phone_column <= len(cells) and not is_blank(cells[phone_column - 1]):
            if parse_phone(cells[phone_column - 1])[0] == phone:
                return True
    return False


def _last_used_row(rows: list[list[Any]]) -> int:
    for index in range(len(rows), 0, -1):
        if any(not is_blank(v) for v in rows[index - 1]):
            return index
    return 0


# ---------------------------------------------------------------- .xlsx

def _append_xlsx_once(path: Path, schema: Schema, unit: str, values: dict[str, Any]) -> int:
    locks = lock_files(path)
    if locks:
        raise _Busy(f"lock file present: {locks[0].name}")
    stamp = file_stamp(os.stat(path))
    workbook = load_workbook(path, rich_text=True)
    try:
        sheets = []
        for ws in workbook.worksheets:
            rows = [[str(v) if isinstance(v, CellRichText) else v for v in r] for r in ws.iter_rows(values_only=True)]
            sheets.append(RawSheet(title=ws.title, rows=rows))
        sheet = _index_sheets(sheets, schema).get(TAB_KEY)
        if sheet is None:
            raise RegistrationUnavailable(unit, f"{path.name} has no job seekers tab")
        header_row, mapping = _find_header(schema.tab(TAB_KEY), sheet, schema)
        if header_row is None:
            raise RegistrationUnavailable(unit, f"{path.name}: job seekers header row not found")
        if _has_phone(sheet.rows, header_row, mapping.columns.get("phone"), values["phone"]):
            raise AlreadyRegistered(unit)
        if "source" not in mapping.columns:
            # NOTE: older workbooks lack the optional «Nguồn đăng ký» column; the note then
            # lives only in the store's public_registrations table until the sheet is upgraded.
            log.warning("%s: job seekers tab has no source column; the website note is not written", path.name)
        target = max(_last_used_row(sheet.rows), header_row) + 1
        ws = workbook[sheet.title]
        for position, value in enumerate(sheet_row(schema, values, mapping.columns, for_google=False), start=1):
            if value is None:
                continue
            cell = ws.cell(row=target, column=position)
            if cell.value is not None:  # defensive: every cell below the last used row is empty
                raise _Busy(f"cell {cell.coordinate} is not empty")
            cell.value = value
            if isinstance(value, dt.date):
                cell.number_format = "DD/MM/YYYY"
            elif isinstance(value, str):
                # Text typed on the page stays text: openpyxl would store "=..." as a formula.
                cell.data_type = "s"
                cell.number_format = "@"
        if lock_files(path):
            raise _Busy("lock file appeared during the append")
        if file_stamp(os.stat(path)) != stamp:
            raise _Busy("file changed during the append")
        save_atomically(workbook, path)
    finally:
        workbook.close()
    return target


def append_xlsx(path: Path, schema: Schema, unit: str, values: dict[str, Any],
                sleep: Callable[[float], None] = time.sleep) -> AppendResult:
    """Append the row to the workbook at ``path``, retrying while it is locked or changing."""
    if not path.exists():
        raise RegistrationUnavailable(unit, f"workbook not found: {path.name}")
    for attempt in range(ATTEMPTS):
        try:
            row = _append_xlsx_once(path, schema, unit, values)
        except (_Busy, PermissionError) as exc:
            log.warning("append to %s: attempt %d of %d failed: %s", path.name, attempt + 1, ATTEMPTS, exc)
            if attempt + 1 < ATTEMPTS:
                sleep(_backoff(attempt))
            continue
        log.info("appended a registration to %s, row %d", path.name, row)
        return AppendResult(unit=unit, backend="xlsx", sheet_row=row)
    raise RegistrationUnavailable(unit, f"{path.name} stayed locked or busy after {ATTEMPTS} attempts")


def _backoff(attempt: int) -> float:
    base = BACKOFF_SECONDS * (2 ** attempt)
    return base + random.uniform(0, base / 2)


# ---------------------------------------------------------------- Google Sheets

def _retryable(exc: Exception) -> bool:
    import gspread
    import requests

    if isinstance(exc, gspread.exceptions.APIError):
        return exc.code in RETRYABLE_HTTP
    return isinstance(exc, (requests.exceptions.Timeout, requests.exceptions.ConnectionError))


def _read_google_tab(spreadsheet: Any, schema: Schema, unit: str) -> tuple[RawSheet, int, Any]:
    titles = [ws.title for ws in spreadsheet.worksheets()]
    index = _index_sheets([RawSheet(title=t, rows=[]) for t in titles], schema)
    if TAB_KEY not in index:
        raise RegistrationUnavailable(unit, "spreadsheet has no job seekers tab")
    sheet_title = index[TAB_KEY].title
    quoted = "'" + sheet_title.replace("'", "''") + "'"
    response = spreadsheet.values_get(quoted, params={"valueRenderOption": "UNFORMATTED_VALUE",
                                                      "dateTimeRenderOption": "SERIAL_NUMBER"})
    rows = [list(r) for r in response.get("values", [])]
    sheet = RawSheet(title=sheet_title, rows=rows)
    header_row, mapping = _find_header(schema.tab(TAB_KEY), sheet, schema)
    if header_row is None:
        raise RegistrationUnavailable(unit, "job seekers header row not found")
    return sheet, header_row, mapping


def append_google(client: Any, spreadsheet_id: str, schema: Schema, unit: str, values: dict[str, Any],
                  sleep: Callable[[float], None] = time.sleep) -> AppendResult:
    """Append the row with one read and one ``values.append`` (RAW, INSERT_ROWS), retried with back-off.

    After a failed append the next attempt reads the tab again; if the row is there (Google
    committed the write but the response was lost), that row counts as the result. This is
    why the backend's request transport, which would resend the append itself, is not used.
    """
    write_attempted = False
    last_error = ""
    for attempt in range(ATTEMPTS):
        try:
            spreadsheet = client.open_by_key(spreadsheet_id)
            sheet, header_row, mapping = _read_google_tab(spreadsheet, schema, unit)
            if _has_phone(sheet.rows, header_row, mapping.columns.get("phone"), values["phone"]):
                if write_attempted:
                    return AppendResult(unit=unit, backend="google", sheet_row=None)
                raise AlreadyRegistered(unit)
            if "source" not in mapping.columns:
                log.warning("%s: job seekers tab has no source column; the website note is not written", unit)
            target = max(_last_used_row(sheet.rows), header_row) + 1
            cells = ["" if v is None else v for v in sheet_row(schema, values, mapping.columns, for_google=True)]
            quoted = "'" + sheet.title.replace("'", "''") + "'"
            target_range = f"{quoted}!A{target}:{get_column_letter(len(cells))}{target}"
            write_attempted = True
            response = spreadsheet.values_append(
                target_range, params={"valueInputOption": "RAW", "insertDataOption": "INSERT_ROWS"},
                body={"values": [cells]})
            updated = (response.get("updates") or {}).get("updatedRange", "")
            match = re.search(r"![A-Z]+(\d+)", updated)
            row = int(match.group(1)) if match else target
            log.info("appended a registration to spreadsheet of %s, row %d", unit, row)
            return AppendResult(unit=unit, backend="google", sheet_row=row)
        except (AlreadyRegistered, RegistrationUnavailable):
            raise
        except Exception as exc:  # noqa: BLE001 - only retryable API errors are retried below
            if not _retryable(exc):
                raise RegistrationUnavailable(unit, f"Google Sheets error: {type(exc).__name__}: {exc}") from exc
            last_error = f"{type(exc).__name__}: {exc}"
            log.warning("append for %s: attempt %d of %d failed: %s", unit, attempt + 1, ATTEMPTS, last_error)
            if attempt + 1 < ATTEMPTS:
                sleep(_backoff(attempt))
    raise RegistrationUnavailable(unit, f"Google Sheets kept failing after {ATTEMPTS} attempts: {last_error}")


def default_google_client(config: Config) -> Any:
    """Return the Google backend's gspread client, authorised with the configured service account."""
    from sync.backends.google import CredentialsMissing, GoogleSheetsBackend

    try:
        return GoogleSheetsBackend.from_config(config).client
    except CredentialsMissing as exc:
        raise RegistrationUnavailable("-", f"no Google service account: {exc}") from exc


# ---------------------------------------------------------------- the whole registration

class Registrar:
    """Register checked forms into the units' workbooks, one at a time across processes."""

    def __init__(self, config: Config, schema: Schema, store_path: Path | None = None,
                 google_client_factory: Callable[[], Any] | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.config = config
        self.schema = schema
        self.store_path = Path(store_path or config.store_path)
        self.google_client_factory = google_client_factory or (lambda: default_google_client(config))
        self.sleep = sleep

    def register(self, checked: CheckedForm) -> AppendResult:
        """Append the checked form; raise AlreadyRegistered or RegistrationUnavailable."""
        if not checked.ok:
            raise ValueError("register() needs a form without errors")
        phone = checked.values["phone"]
        unit = self.config.unit(checked.unit)
        with _registration_lock(self.store_path), Store(self.store_path) as store:
            if known_phone(store, phone):
                raise AlreadyRegistered(unit.code)
            result = self._append(unit, checked.values)
            _record_append(store, result, phone)
        return result

    def _append(self, unit: Unit, values: dict[str, Any]) -> AppendResult:
        if unit.backend == "google":
            client = self.google_client_factory()
            return append_google(client, unit.location, self.schema, unit.code, values, sleep=self.sleep)
        if unit.backend == "xlsx":
            return append_xlsx(self.config.workbook_path(unit), self.schema, unit.code, values, sleep=self.sleep)
        raise RegistrationUnavailable(unit.code, f"unknown backend {unit.backend!r}")

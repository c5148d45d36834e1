"""The unit digest: the open issues sent to a unit, their order, and the full list as .xlsx."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from jobs.links import CellLink, TabPosition, cell_link, tab_title, workbook_file_name
from jobs.render import format_cell_value, render
from sheets_schema.config import Config, Unit
from sheets_schema.schema import Schema

SEVERITY_LABELS = {"error": "Lỗi", "warning": "Cảnh báo"}
# A spreadsheet treats text starting with these as a formula (CSV/formula injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class DigestItem:
    fingerprint: str
    severity: str
    is_new: bool
    tab: str | None  # tab key
    tab_title: str | None
    row: int | None
    column_header: str | None
    value_text: str
    message: str
    link: CellLink

    @property
    def severity_label(self) -> str:
        return SEVERITY_LABELS.get(self.severity, self.severity)


@dataclass(frozen=True)
class UnitDigest:
    unit: Unit
    items: tuple[DigestItem, ...]
    created_at: dt.datetime  # local time
    last_sync_at: dt.datetime | None  # local time
    max_rows: int
    programme_short_name: str
    file_name: str

    @property
    def errors(self) -> int:
        return sum(1 for item in self.items if item.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for item in self.items if item.severity == "warning")

    @property
    def new_count(self) -> int:
        return sum(1 for item in self.items if item.is_new)

    @property
    def shown(self) -> tuple[DigestItem, ...]:
        return self.items[: self.max_rows]

    @property
    def truncated(self) -> bool:
        return len(self.items) > self.max_rows

    @property
    def subject(self) -> str:
        """E.g. ``[3 Kết nối] Huyện đoàn Đầm Dơi: 5 lỗi cần sửa, 2 cảnh báo``."""
        parts = []
        if self.errors:
            parts.append(f"{self.errors} lỗi cần sửa")
        if self.warnings:
            parts.append(f"{self.warnings} cảnh báo")
        summary = ", ".join(parts) or "không còn lỗi cần sửa"
        return f"[{self.programme_short_name}] {self.unit.name}: {summary}"

    @property
    def attachment_name(self) -> str:
        return f"danh-sach-loi-{self.unit.code}-{self.created_at:%d-%m-%Y}.xlsx"


def needs_attention(issue: dict[str, Any]) -> bool:
    """Errors always, and warnings only until the row's «Giải trình» explains them."""
    if issue["severity"] == "error":
        return True
    return issue["severity"] == "warning" and not issue.get("explained")


def is_new(issue: dict[str, Any], previous_digest_at: dt.datetime | None) -> bool:
    """Return True when the issue was first seen after the unit's previous digest, or there was none."""
    if previous_digest_at is None:
        return True
    first_seen = dt.datetime.fromisoformat(issue["first_seen_at"])
    return first_seen > previous_digest_at


def build_unit_digest(config: Config, schema: Schema, unit: Unit, issues: list[dict[str, Any]],
                      created_at: dt.datetime, last_sync_at: dt.datetime | None,
                      previous_digest_at: dt.datetime | None, positions: dict[str, TabPosition],
                      gids: dict[str, int] | None = None) -> UnitDigest:
    """Build the digest of one unit from its open issues (store dicts); other units' issues are dropped."""
    tab_order = {key: index for index, key in enumerate(schema.tab_keys)}
    file_name = workbook_file_name(config, unit)
    selected = [i for i in issues if i["unit"] == unit.code and i.get("resolved_run") is None and needs_attention(i)]

    def sort_key(issue: dict[str, Any]) -> tuple[int, int, int, int]:
        column_index = _column_index(schema, issue["tab"], issue["column"])
        return (0 if issue["severity"] == "error" else 1, tab_order.get(issue["tab"], -1),
                issue["row"] or 0, column_index)

    items = []
    for issue in sorted(selected, key=sort_key):
        column = _column(schema, issue["tab"], issue["column"])
        items.append(DigestItem(
            fingerprint=issue["fingerprint"],
            severity=issue["severity"],
            is_new=is_new(issue, previous_digest_at),
            tab=issue["tab"],
            tab_title=tab_title(schema, issue["tab"]),
            row=issue["row"],
            column_header=column.header if column else issue["column"],
            value_text=format_cell_value(issue["value"], column.type if column else None),
            message=issue["message"],
            link=cell_link(unit, file_name, schema, issue["tab"], issue["row"], issue["column"], positions, gids),
        ))
    max_rows = int(config.schedule.get("digest_max_rows", 50))
    return UnitDigest(unit=unit, items=tuple(items), created_at=created_at, last_sync_at=last_sync_at,
                      max_rows=max_rows, programme_short_name=config.short_name, file_name=file_name)


def _column(schema: Schema, tab_key: str | None, column_key: str | None) -> Any:
    if tab_key is None or column_key is None:
        return None
    try:
        return schema.tab(tab_key).column(column_key)
    except KeyError:
        return None


def _column_index(schema: Schema, tab_key: str | None, column_key: str | None) -> int:
    if tab_key is None or column_key is None:
        return -1
    try:
        return schema.tab(tab_key).column_keys.index(column_key)
    except (KeyError, ValueError):
        return len(schema.tab(tab_key).columns) if tab_key in schema.tab_keys else 0


def render_digest(digest: UnitDigest, sender_name: str, programme_name: str) -> tuple[str, str]:
    """Render the digest as (plain text, HTML)."""
    context = {"digest": digest, "subject": digest.subject, "sender_name": sender_name,
               "programme_name": programme_name}
    return render("digest.txt.j2", **context), render("digest.html.j2", **context)


def neutralise(value: Any) -> Any:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


ATTACHMENT_HEADERS = ("STT", "Mức độ", "Mới", "Trang tính", "Dòng", "Cột", "Vị trí", "Giá trị đã nhập",
                      "Nội dung cần xử lý")


def digest_workbook(digest: UnitDigest) -> bytes:
    """Write the full list of a digest as an .xlsx file. Every text cell is stored as a string cell."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Danh sách lỗi"
    sheet.append(list(ATTACHMENT_HEADERS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for number, item in enumerate(digest.items, start=1):
        values: list[Any] = [number, item.severity_label, "mới" if item.is_new else "", item.tab_title or "",
                             item.row, item.column_header or "", item.link.text, item.value_text, item.message]
        sheet.append([neutralise(value) for value in values])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    for letter, width in zip("ABCDEFGHI", (6, 10, 6, 24, 7, 26, 36, 24, 90)):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

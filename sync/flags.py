"""Flag plan: the status cells, highlights, notes and summary rows for one workbook, for any backend."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field

from sheets_schema.schema import Schema
from sync.messages import status_text
from sync.model import Issue, TabLayout, UnitResult

log = logging.getLogger(__name__)

ERROR_FILL = "FFC7CE"  # light red
WARNING_FILL = "FFEB9C"  # light yellow
VALID_FILL = "C6EFCE"  # light green, on the status cell only
NOTE_AUTHOR = "ketnoi"
MAX_COLUMNS = 16384  # the last column of an Excel or Google sheet (XFD)
SUMMARY_HEADERS = ("Trang tính", "Dòng", "Cột", "Mức độ", "Mã lỗi", "Giá trị", "Nội dung", "Đã giải trình")


@dataclass
class CellFlag:
    row: int
    column: int  # 1-based
    severity: str
    note: str


@dataclass
class TabFlags:
    layout: TabLayout
    status_column: int
    details_column: int
    statuses: dict[int, tuple[str, str, str]] = field(default_factory=dict)  # row -> (status, details, severity)
    cells: list[CellFlag] = field(default_factory=list)


@dataclass
class FlagPlan:
    unit: str
    tabs: list[TabFlags]
    summary_rows: list[tuple[object, ...]]
    summary_title: str
    status_header: str
    details_header: str

    def digest(self) -> str:
        payload = [[t.layout.sheet_title, t.status_column, sorted(t.statuses.items()),
                    [(c.row, c.column, c.severity, c.note) for c in t.cells]] for t in self.tabs]
        payload.append([list(map(str, r)) for r in self.summary_rows])
        return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()


def _short(message: str) -> str:
    """Drop the `Trang «X», dòng N, ` prefix inside a row's own details cell."""
    marker = ", cột «"
    if message.startswith("Trang «") and marker in message:
        return "Cột «" + message.split(marker, 1)[1]
    return message


def sync_column_positions(layout: TabLayout) -> tuple[int, int] | None:
    """Return the (status, details) columns for a tab, never a column holding staff data.

    A sync column found by its header is reused wherever staff moved it. A missing one
    goes right of every staff column (and of the other sync column), so a renamed or
    deleted `Chi tiết lỗi` never lands on the staff column next to `Kết quả kiểm tra`.
    Returns None when that would pass the last column a spreadsheet can have.
    """
    staff_last = layout.last_column
    status, details = layout.status_column, layout.details_column
    if status is None:
        status = max(staff_last, details or 0) + 1
    if details is None:
        details = status + 1
        if details <= staff_last:
            details = max(staff_last, status) + 1
    if max(status, details) > MAX_COLUMNS:
        return None
    return status, details


def plan_flags(result: UnitResult, schema: Schema) -> FlagPlan:
    tab_titles = {t.key: t.title for t in schema.tabs}
    by_row: dict[tuple[str, int], list[Issue]] = {}
    for issue in result.issues:
        if issue.tab and issue.row:
            by_row.setdefault((issue.tab, issue.row), []).append(issue)
    tabs = []
    for tab_key, layout in result.layouts.items():
        positions = sync_column_positions(layout)
        if positions is None:
            log.warning("tab %s of %s has data up to the last spreadsheet column; its status columns are not written",
                        tab_key, result.unit)
            continue
        status_col, details_col = positions
        flags = TabFlags(layout=layout, status_column=status_col, details_column=details_col)
        for row in layout.data_rows:
            found = by_row.get((tab_key, row), [])
            errors = [i for i in found if i.severity == "error"]
            warnings = [i for i in found if i.severity == "warning"]
            ordered = errors + warnings
            details = "\n".join(
                ("Lỗi: " if i.severity == "error" else "Cảnh báo: ") + _short(i.message)
                + (" (đã giải trình)" if i.explained else "") for i in ordered)
            severity = "error" if errors else ("warning" if warnings else "ok")
            flags.statuses[row] = (status_text(len(errors), len(warnings)), details, severity)
            for issue in ordered:
                position = layout.columns.get(issue.column or "")
                if position:
                    flags.cells.append(CellFlag(row=row, column=position, severity=issue.severity,
                                                note=_short(issue.message)))
        tabs.append(flags)
    summary = []
    for issue in sorted(result.issues, key=lambda i: (i.severity != "error", i.tab or "", i.row or 0)):
        column_header = ""
        if issue.tab and issue.column:
            try:
                column_header = schema.tab(issue.tab).column(issue.column).header
            except KeyError:
                column_header = issue.column
        summary.append((tab_titles.get(issue.tab or "", "Toàn bộ tệp"), issue.row or "", column_header,
                        "Lỗi" if issue.severity == "error" else "Cảnh báo", issue.code,
                        "" if issue.value is None else str(issue.value), issue.message,
                        "Có" if issue.explained else ""))
    return FlagPlan(unit=result.unit, tabs=tabs, summary_rows=summary, summary_title=schema.summary_tab,
                    status_header=schema.status_header, details_header=schema.details_header)

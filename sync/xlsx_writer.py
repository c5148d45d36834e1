"""Write flags back into an .xlsx workbook without touching a staff-entered cell.

The file is rewritten only if it is unchanged since it was read and no Excel or
LibreOffice lock file sits beside it, through a temporary file and an atomic rename.
The sync owns: the two status columns, fills in our own colours, notes whose author
is ours, and the summary tab. Everything else is left as openpyxl loaded it.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import stat
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from sync.errors import WriteSkipped
from sync.flags import ERROR_FILL, NOTE_AUTHOR, SUMMARY_HEADERS, VALID_FILL, WARNING_FILL, FlagPlan
from sync.xlsx_reader import file_stamp

log = logging.getLogger(__name__)

_OUR_FILLS = {f"FF{c}" for c in (ERROR_FILL, WARNING_FILL, VALID_FILL)} | {ERROR_FILL, WARNING_FILL, VALID_FILL}
_FONT = "Arial"


def lock_files(path: Path) -> list[Path]:
    """Excel (`~$NAME.xlsx`) and LibreOffice (`.~lock.NAME.xlsx#`) lock files beside a workbook."""
    candidates = [path.with_name(f"~${path.name}"), path.with_name(f".~lock.{path.name}#")]
    return [p for p in candidates if p.exists()]


def save_atomically(workbook, path: Path) -> None:  # type: ignore[no-untyped-def]
    """Save an openpyxl workbook over ``path`` through a temporary file in the same folder
    and an atomic rename, so a reader never sees a half-written file.

    A symlink is followed, so the file it points to is replaced and the link stays. The
    file keeps its permission bits, and a new file gets the usual 0666 less the umask.
    """
    target = Path(os.path.realpath(path))
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".tmp.xlsx", dir=target.parent)
    os.close(fd)
    try:
        workbook.save(tmp_name)
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def _fill(color: str) -> PatternFill:
    return PatternFill(fill_type="solid", start_color=f"FF{color}", end_color=f"FF{color}")


def _is_our_fill(cell) -> bool:  # type: ignore[no-untyped-def]
    fill = cell.fill
    if fill is None or fill.fill_type != "solid":
        return False
    color = fill.start_color.rgb if fill.start_color is not None else None
    return isinstance(color, str) and color.upper() in _OUR_FILLS


def write_flags_xlsx(path: Path, expected_stamp: str | None, plan: FlagPlan, timezone: str = "Asia/Ho_Chi_Minh") -> str:
    """Apply ``plan`` to the workbook at ``path`` and return the file's new stamp.

    Raises WriteSkipped when the file changed since it was read or is open in
    Excel or LibreOffice; the caller retries on the next run.
    """
    locks = lock_files(path)
    if locks:
        raise WriteSkipped(plan.unit, f"lock file present: {locks[0].name}")
    if expected_stamp is not None and file_stamp(os.stat(path)) != expected_stamp:
        raise WriteSkipped(plan.unit, "file changed since it was read")
    workbook = load_workbook(path, rich_text=True)
    try:
        for tab in plan.tabs:
            if tab.layout.sheet_title not in workbook.sheetnames:
                continue
            _apply_tab(workbook[tab.layout.sheet_title], tab, plan)
        _write_summary(workbook, plan, timezone)
        # openpyxl cannot keep formula results: ask Excel and LibreOffice to recompute on open.
        workbook.calculation.fullCalcOnLoad = True
        # Re-check just before replacing: staff may have saved while we worked.
        if lock_files(path):
            raise WriteSkipped(plan.unit, "lock file appeared during write-back")
        if expected_stamp is not None and file_stamp(os.stat(path)) != expected_stamp:
            raise WriteSkipped(plan.unit, "file changed during write-back")
        save_atomically(workbook, path)
    finally:
        workbook.close()
    return file_stamp(os.stat(path))


def _apply_tab(ws, tab, plan: FlagPlan) -> None:  # type: ignore[no-untyped-def]
    layout = tab.layout
    header_font = Font(name=_FONT, bold=True, color="FF444444")
    header_fill = _fill("D9D9D9")
    for col, title in ((tab.status_column, plan.status_header), (tab.details_column, plan.details_header)):
        cell = ws.cell(row=layout.header_row, column=col)
        if isinstance(cell, MergedCell):
            continue  # a title merged across our column: leave it as staff made it
        cell.value = title
        cell.font = header_font
        cell.fill = header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    ws.column_dimensions[get_column_letter(tab.status_column)].width = max(
        ws.column_dimensions[get_column_letter(tab.status_column)].width or 0, 18)
    ws.column_dimensions[get_column_letter(tab.details_column)].width = max(
        ws.column_dimensions[get_column_letter(tab.details_column)].width or 0, 60)

    sync_cols = {tab.status_column, tab.details_column}
    max_row = ws.max_row
    # Clear what earlier runs wrote: our fills and notes on staff cells, our columns.
    for row in ws.iter_rows(min_row=layout.header_row + 1, max_row=max_row):
        for cell in row:
            if isinstance(cell, MergedCell) or cell.column in sync_cols:
                continue
            if _is_our_fill(cell):
                cell.fill = PatternFill(fill_type=None)
            if cell.comment is not None and cell.comment.author == NOTE_AUTHOR:
                cell.comment = None
    for row_number in range(layout.header_row + 1, max_row + 1):
        for col in sync_cols:
            cell = ws.cell(row=row_number, column=col)
            if isinstance(cell, MergedCell):
                continue
            if cell.value is not None or _is_our_fill(cell):
                cell.value = None
                cell.fill = PatternFill(fill_type=None)

    wrap = Alignment(wrap_text=True, vertical="top")
    for row_number, (status, details, severity) in tab.statuses.items():
        status_cell = ws.cell(row=row_number, column=tab.status_column)
        details_cell = ws.cell(row=row_number, column=tab.details_column)
        if isinstance(status_cell, MergedCell) or isinstance(details_cell, MergedCell):
            continue
        status_cell.value = status
        status_cell.data_type = "s"
        status_cell.fill = _fill({"error": ERROR_FILL, "warning": WARNING_FILL}.get(severity, VALID_FILL))
        details_cell.value = details or None
        if details:
            details_cell.data_type = "s"
        details_cell.alignment = wrap
    notes: dict[tuple[int, int], list[str]] = {}
    severities: dict[tuple[int, int], str] = {}
    for flag in tab.cells:
        key = (flag.row, flag.column)
        notes.setdefault(key, []).append(flag.note)
        if severities.get(key) != "error":
            severities[key] = flag.severity
    for (row_number, col), texts in notes.items():
        cell = ws.cell(row=row_number, column=col)
        if isinstance(cell, MergedCell):
            cell = _merge_anchor(ws, row_number, col) or cell
            if isinstance(cell, MergedCell):
                continue
        cell.fill = _fill(ERROR_FILL if severities[(row_number, col)] == "error" else WARNING_FILL)
        if cell.comment is None:
            comment = Comment("\n".join(texts), NOTE_AUTHOR)
            comment.width, comment.height = 320, 120
            cell.comment = comment


def _merge_anchor(ws, row: int, column: int):  # type: ignore[no-untyped-def]
    """Return the top-left cell of the merged range covering (row, column), which is the cell shown."""
    for merged in ws.merged_cells.ranges:
        if merged.min_row <= row <= merged.max_row and merged.min_col <= column <= merged.max_col:
            return ws.cell(row=merged.min_row, column=merged.min_col)
    return None


def _write_summary(workbook, plan: FlagPlan, timezone: str) -> None:  # type: ignore[no-untyped-def]
    title = plan.summary_title
    # Excel treats sheet names case-insensitively: "TỔNG HỢP LỖI" is the same tab.
    existing = next((name for name in workbook.sheetnames if name.casefold() == title.casefold()), None)
    if existing is not None:
        index = workbook.sheetnames.index(existing)
        del workbook[existing]
        ws = workbook.create_sheet(title, index)
    else:
        ws = workbook.create_sheet(title)
    now = dt.datetime.now(ZoneInfo(timezone))
    errors = sum(1 for r in plan.summary_rows if r[3] == "Lỗi")
    warnings = len(plan.summary_rows) - errors
    ws["A1"] = (f"TỔNG HỢP LỖI — cập nhật lúc {now:%H:%M} ngày {now:%d/%m/%Y}: "
                f"{errors} lỗi, {warnings} cảnh báo. Trang này do hệ thống tạo lại sau mỗi lần đồng bộ; "
                "đề nghị không nhập số liệu vào đây.")
    ws["A1"].font = Font(name=_FONT, bold=True)
    for col, header in enumerate(SUMMARY_HEADERS, start=1):
        cell = ws.cell(row=2, column=col, value=header)
        cell.font = Font(name=_FONT, bold=True)
        cell.fill = _fill("D9D9D9")
    for row_index, values in enumerate(plan.summary_rows, start=3):
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row=row_index, column=col, value=value if value != "" else None)
            if isinstance(value, str):
                cell.data_type = "s"
        severity_cell = ws.cell(row=row_index, column=4)
        severity_cell.fill = _fill(ERROR_FILL if values[3] == "Lỗi" else WARNING_FILL)
    for col, width in zip("ABCDEFGH", (24, 7, 24, 10, 26, 22, 100, 12)):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A3"
    ws.sheet_properties.tabColor = "C00000"

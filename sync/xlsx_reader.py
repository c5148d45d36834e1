"""Read an .xlsx workbook in one streaming pass with openpyxl's read-only parser.

The stored sheet dimension is ignored (files written by other tools often get it
wrong): every row element in the sheet XML is read and trailing blank rows are cut.
Formula cells yield their cached value; a formula saved without one, a formula error
and a number displayed in scientific notation come back as reader markers.
"""

from __future__ import annotations

import logging
import os
import zipfile
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.styles.numbers import BUILTIN_FORMATS
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser

from sync.cells import FormulaError, FormulaNoValue, Scientific
from sync.errors import WorkbookUnavailable
from sync.model import RawSheet, RawWorkbook

log = logging.getLogger(__name__)

_BUILTIN_MAX = 164  # custom number format ids start here


class _Parser(WorkSheetParser):
    """Keep the cached value of formula cells, but remember cells that have none."""

    formula_values: dict[tuple[int, int], Any]

    def parse_cell(self, element: Any) -> dict[str, Any]:
        formula = element.find(FORMULA_TAG)
        cell: dict[str, Any] = super().parse_cell(element)
        if formula is not None:
            if cell["value"] is None:
                cell["value"] = FormulaNoValue("=" + (formula.text or ""))
            elif cell["data_type"] != "e":
                self.formula_values[(cell["row"], cell["column"])] = cell["value"]
        return cell


def _scientific_styles(workbook: Any) -> frozenset[int]:
    styles = set()
    for idx, style in enumerate(workbook._cell_styles):
        fmt_id = style.numFmtId
        if fmt_id < _BUILTIN_MAX:
            fmt = BUILTIN_FORMATS.get(fmt_id, "General")
        else:
            try:
                fmt = workbook._number_formats[fmt_id - _BUILTIN_MAX]
            except IndexError:
                continue
        if "E+" in fmt.upper() or "E-" in fmt.upper():
            styles.add(idx)
    return frozenset(styles)


def _format_scientific(value: float) -> str:
    mantissa, exponent = f"{value:.2E}".split("E")
    return f"{mantissa}E+{int(exponent):02d}" if int(exponent) >= 0 else f"{value:.2E}"


def _read_sheet(workbook: Any, worksheet: Any, sci_styles: frozenset[int]) -> RawSheet:
    rows: list[list[Any]] = []
    with workbook._archive.open(worksheet._worksheet_path) as src:
        parser = _Parser(src, worksheet._shared_strings, data_only=True, epoch=workbook.epoch,
                         date_formats=workbook._date_formats,
                         timedelta_formats=workbook._timedelta_formats)
        parser.formula_values = {}
        last_data_row = 0
        for row_index, cells in parser.parse():
            if not cells:
                continue
            values: list[Any] = [None] * cells[-1]["column"]
            has_value = False
            for cell in cells:
                value = cell["value"]
                if value is None:
                    continue
                kind = cell["data_type"]
                if kind == "e":
                    value = FormulaError(str(value))
                elif kind == "n" and cell["style_id"] in sci_styles and isinstance(value, (int, float)):
                    value = Scientific(float(value), _format_scientific(float(value)))
                elif isinstance(value, str) and value == "":
                    continue
                values[cell["column"] - 1] = value
                has_value = True
            if not has_value:
                continue
            while len(rows) < row_index - 1:
                rows.append([])
            rows.append(values)
            last_data_row = row_index
        del rows[last_data_row:]
        merges = []
        merged = getattr(parser, "merged_cells", None)
        if merged is not None:
            for cell_range in merged.mergeCell:
                min_col, min_row, max_col, max_row = range_boundaries(cell_range.ref)
                merges.append((min_row, min_col, max_row, max_col))
    return RawSheet(title=worksheet.title, rows=rows, merges=merges, formula_values=parser.formula_values)


def read_xlsx(path: Path, unit: str) -> RawWorkbook:
    """Read every tab of one workbook; raise WorkbookUnavailable with a reason a user
    can act on when the file cannot be read as .xlsx."""
    if not path.exists():
        raise WorkbookUnavailable(unit, "missing", f"không có tệp {path.name}")
    try:
        stat = os.stat(path)
        workbook = load_workbook(path, read_only=True, data_only=False, keep_links=False)
    except zipfile.BadZipFile as exc:
        raise WorkbookUnavailable(unit, "unreadable", _zip_reason(path)) from exc
    except (KeyError, OSError, ValueError, TypeError, EOFError) as exc:
        raise WorkbookUnavailable(unit, "unreadable", _zip_reason(path)) from exc
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on corrupt input
        log.warning("unexpected %s while opening %s", type(exc).__name__, path.name)
        raise WorkbookUnavailable(unit, "unreadable", "tệp bị hỏng hoặc không đúng định dạng .xlsx") from exc
    try:
        sci_styles = _scientific_styles(workbook)
        sheets = []
        for worksheet in workbook.worksheets:
            if not hasattr(worksheet, "_worksheet_path"):
                continue  # chartsheets hold no data
            sheets.append(_read_sheet(workbook, worksheet, sci_styles))
    except WorkbookUnavailable:
        raise
    except Exception as exc:  # noqa: BLE001 - a corrupt sheet XML can raise anything
        log.warning("failed to parse %s: %s", path.name, type(exc).__name__)
        raise WorkbookUnavailable(unit, "unreadable", "nội dung tệp bị hỏng") from exc
    finally:
        workbook.close()
    return RawWorkbook(unit=unit, sheets=sheets, source=str(path), modified=file_stamp(stat))


def file_stamp(stat: os.stat_result) -> str:
    """Modification stamp of a file: nanosecond mtime and size."""
    return f"{stat.st_mtime_ns}-{stat.st_size}"


def _zip_reason(path: Path) -> str:
    """Explain in Vietnamese why a file is not a readable .xlsx."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError:
        return "không mở được tệp"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        # OLE2: an old .xls, or an .xlsx encrypted with a password.
        if path.suffix.lower() == ".xls":
            return "tệp là định dạng Excel 97-2003 (.xls)"
        return "tệp có đặt mật khẩu hoặc là định dạng Excel 97-2003 (.xls)"
    if head.startswith(b"PK"):
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
            if "content.xml" in names or "mimetype" in names:
                return "tệp là định dạng OpenDocument (.ods)"
        except zipfile.BadZipFile:
            return "tệp bị hỏng hoặc chưa tải về đầy đủ"
        return "tệp không đúng cấu trúc .xlsx"
    if not head:
        return "tệp rỗng"
    return "tệp không phải định dạng Excel .xlsx"

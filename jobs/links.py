"""Issue locations: the cell reference and, for Google Sheets, a direct link.

The store keeps the tab key, the sheet row and the column key of each issue but not
the column's position. For .xlsx units the position comes from the workbook's own
header row, found the way the sync finds it. For Google units the tab's gid is not
stored yet, so callers may pass a {tab key: gid} map, and without one the link uses a
``range`` with the quoted sheet title.
"""

from __future__ import annotations

import logging
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl.utils import get_column_letter

from sheets_schema.config import Config, Unit
from sheets_schema.schema import Schema
from sync.errors import WorkbookUnavailable
from sync.validate import UnitValidator
from sync.xlsx_reader import read_xlsx

log = logging.getLogger(__name__)

GOOGLE_SHEETS_URL = "https://docs.google.com/spreadsheets/d/{spreadsheet_id}/edit"
SEPARATOR = " › "


@dataclass(frozen=True)
class TabPosition:
    sheet_title: str  # the title as it appears in the workbook
    column_letters: dict[str, str] = field(default_factory=dict)  # column key -> letter, e.g. "E"


@dataclass(frozen=True)
class CellLink:
    text: str  # e.g. "DAMDOI.xlsx › Học bổng › E7"
    cell: str | None  # "E7", "7:7" for a whole row, or None for a tab or the file
    url: str | None = None  # set for Google Sheets only


def quote_sheet_title(title: str) -> str:
    """Quote a sheet title for an A1 range, doubling apostrophes as Sheets and Excel do."""
    return "'" + title.replace("'", "''") + "'"


def google_cell_url(spreadsheet_id: str, sheet_title: str | None, cell: str | None = None,
                    gid: int | None = None) -> str:
    """Build a link that opens a spreadsheet at a tab and cell.

    With the tab's gid the link is ``…/edit#gid=GID&range=A5``. Without it the range
    names the sheet, e.g. ``…/edit#range='Học%20bổng'!E7``, which Google Sheets also opens.
    """
    base = GOOGLE_SHEETS_URL.format(spreadsheet_id=urllib.parse.quote(spreadsheet_id, safe=""))
    if gid is not None:
        fragment = f"gid={gid}"
        if cell:
            fragment += f"&range={urllib.parse.quote(cell, safe=':')}"
        return f"{base}#{fragment}"
    if sheet_title is None:
        return base
    target = quote_sheet_title(sheet_title) + (f"!{cell}" if cell else "")
    return f"{base}#range={urllib.parse.quote(target, safe=':!')}"


def read_tab_positions(config: Config, schema: Schema, unit: Unit) -> dict[str, TabPosition]:
    """Find each tab's sheet title and column letters in a unit's .xlsx workbook.

    Returns an empty map when the workbook cannot be read, so callers fall back to the
    tab and row.
    """
    path = config.workbook_path(unit)
    try:
        workbook = read_xlsx(path, unit.code)
    except WorkbookUnavailable as exc:
        log.info("column letters unavailable for unit %s (%s)", unit.code, exc.kind)
        return {}
    result = UnitValidator(schema, config, unit.code).validate(workbook)
    return {
        key: TabPosition(sheet_title=layout.sheet_title,
                         column_letters={col: get_column_letter(index) for col, index in layout.columns.items()})
        for key, layout in result.layouts.items()
    }


def tab_title(schema: Schema, tab_key: str | None) -> str | None:
    if tab_key is None:
        return None
    try:
        return schema.tab(tab_key).title
    except KeyError:
        return tab_key


def cell_link(unit: Unit, file_name: str, schema: Schema, tab_key: str | None, row: int | None,
              column_key: str | None, positions: dict[str, TabPosition],
              gids: dict[str, int] | None = None) -> CellLink:
    """Describe where an issue sits, as text for the e-mail and, for Google, a URL."""
    position = positions.get(tab_key) if tab_key else None
    sheet_title = position.sheet_title if position else tab_title(schema, tab_key)
    letter = position.column_letters.get(column_key) if position and column_key else None
    cell: str | None = None
    if row is not None:
        cell = f"{letter}{row}" if letter else f"{row}:{row}"

    if unit.backend == "google":
        gid = (gids or {}).get(tab_key) if tab_key else None
        url = google_cell_url(unit.location, sheet_title, cell, gid)
        parts = [p for p in (sheet_title, _cell_text(cell, row)) if p]
        return CellLink(text=SEPARATOR.join(parts) or "Bảng tính", cell=cell, url=url)

    parts = [file_name] + [p for p in (sheet_title, _cell_text(cell, row)) if p]
    return CellLink(text=SEPARATOR.join(parts), cell=cell)


def _cell_text(cell: str | None, row: int | None) -> str | None:
    if cell is None:
        return None
    if cell.endswith(f":{row}"):
        return f"dòng {row}"
    return cell


def workbook_file_name(config: Config, unit: Unit) -> str:
    return Path(config.workbook_path(unit)).name

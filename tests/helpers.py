"""Build small real .xlsx workbooks for tests and snapshot their cells."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook

from sheets_schema.schema import Schema


def make_workbook(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    """Write one sheet per entry; each value is a list of rows starting at row 1."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def full_workbook(schema: Schema, rows_by_tab: dict[str, list[dict[str, Any]]]) -> dict[str, list[list[Any]]]:
    """Every tab of the schema with its headers; rows given as {column key: value}."""
    sheets: dict[str, list[list[Any]]] = {}
    for tab in schema.tabs:
        headers = [c.header for c in tab.columns]
        body = [[row.get(c.key) for c in tab.columns] for row in rows_by_tab.get(tab.key, [])]
        sheets[tab.title] = [headers, *body]
    return sheets


def cell_snapshot(path: Path, skip_titles: tuple[str, ...] = (), skip_headers: tuple[str, ...] = ()) -> dict[tuple[str, str], Any]:
    """Every non-empty cell value of every sheet, except sheets and columns named."""
    wb = load_workbook(path)
    cells: dict[tuple[str, str], Any] = {}
    for ws in wb.worksheets:
        if ws.title in skip_titles:
            continue
        skip_cols: set[int] = set()
        for row in ws.iter_rows(min_row=1, max_row=min(ws.max_row, 20)):
            for cell in row:
                if isinstance(cell.value, str) and cell.value in skip_headers:
                    skip_cols.add(cell.column)
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is not None and cell.column not in skip_cols:
                    cells[(ws.title, cell.coordinate)] = cell.value
    wb.close()
    return cells

"""Generate a province of a chosen size for the benchmarks, from a fixed seed.

Records come from the demo generator (``sheets_schema.demo.generate_rows``), which
invents people, amounts and places and applies staff-like mistakes to about
``error_rate`` of the rows. One batch is one unit's worth of rows (about 400 to 600
over the 12 tabs); batches are dealt round-robin to the configured units until the
province holds ``size`` data rows, so a large size gives every unit long tabs.

The rows are turned into what ``sync.xlsx_reader.read_xlsx`` returns for such a file:
dates become datetimes, long numbers shown in scientific notation become
``Scientific`` markers, and a blank row between records stays blank.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Any

from sheets_schema.config import Config, Unit
from sheets_schema.demo import BLANK_ROW, _Scientific, generate_rows
from sheets_schema.schema import Schema, Tab
from sync.cells import Scientific
from sync.model import RawSheet, RawWorkbook
from sync.xlsx_reader import _format_scientific

DEFAULT_SEED = 2022
DEFAULT_ERROR_RATE = 0.05


def _raw_cell(value: Any) -> Any:
    """Convert one generated value to the value the .xlsx reader would return."""
    if value is None or value == "":
        return None
    if isinstance(value, _Scientific):
        number = float(value)
        return Scientific(number, _format_scientific(number))
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day)
    return value


def _raw_row(tab: Tab, record: Any) -> list[Any]:
    if record is BLANK_ROW or not isinstance(record, dict):
        return []
    return [_raw_cell(record.get(column.key)) for column in tab.columns]


def generate_province(config: Config, schema: Schema, size: int, seed: int = DEFAULT_SEED,
                      error_rate: float = DEFAULT_ERROR_RATE) -> list[RawWorkbook]:
    """Return one in-memory workbook per configured unit, holding ``size`` data rows in all.

    Blank rows that the generator places between records are kept and are not counted.
    """
    units = list(config.units)
    tabs = list(schema.tabs)
    sheets: dict[str, dict[str, list[list[Any]]]] = {
        unit.code: {tab.key: [[column.sheet_header for column in tab.columns]] for tab in tabs} for unit in units
    }
    made = 0
    batch = 0
    while made < size:
        unit = units[batch % len(units)]
        rows, _counts = generate_rows(config, unit, schema, seed=seed * 100003 + batch, error_rate=error_rate)
        for tab in tabs:
            if tab.key == "teams" and batch >= len(units):
                continue  # a unit has one team per commune, so only its first batch brings teams
            target = sheets[unit.code][tab.key]
            for record in rows.get(tab.key, ()):
                if made >= size:
                    break
                target.append(_raw_row(tab, record))
                if record is not BLANK_ROW:
                    made += 1
        batch += 1
    return [
        RawWorkbook(unit=unit.code,
                    sheets=[RawSheet(title=tab.title, rows=sheets[unit.code][tab.key]) for tab in tabs],
                    source=f"bench:{unit.code}")
        for unit in units
    ]


def count_rows(workbooks: list[RawWorkbook]) -> int:
    """Count the non-blank rows below the header row of every sheet."""
    return sum(1 for wb in workbooks for sheet in wb.sheets for row in sheet.rows[1:] if row)


def write_province_xlsx(config: Config, schema: Schema, folder: Path, rows_per_unit: int,
                        seed: int = DEFAULT_SEED) -> Config:
    """Write one .xlsx workbook per configured unit into ``folder`` and return a Config
    whose units all read from there with the .xlsx backend."""
    from openpyxl import Workbook

    folder.mkdir(parents=True, exist_ok=True)
    workbooks = generate_province(config, schema, rows_per_unit * len(config.units), seed)
    units: list[Unit] = []
    for unit, raw in zip(config.units, workbooks):
        book = Workbook()
        book.remove(book.active)
        for sheet in raw.sheets:
            ws = book.create_sheet(sheet.title)
            for row in sheet.rows:
                ws.append([cell.value if isinstance(cell, Scientific) else cell for cell in row])
        name = f"{unit.code}.xlsx"
        book.save(folder / name)
        units.append(replace(unit, backend="xlsx", location=name))
    return replace(config, units=tuple(units), workbooks_dir=folder)


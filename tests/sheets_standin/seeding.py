"""Typed cell values for seeding spreadsheets from tests, stored the way Google stores them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Optional

from .model import Cell, normalise_format
from .state import set_formula
from .values import default_date_pattern, default_date_time_pattern, json_number, to_serial


@dataclass
class SeedCell:
    """A seeded cell with more than a value: a formula, note, number format or background.

    `background` is an RGB color such as {"red": 1, "green": 0.8, "blue": 0.8}.
    """

    value: Any = None
    formula: Optional[str] = None
    note: Optional[str] = None
    number_format: Optional[dict[str, Any]] = None
    background: Optional[dict[str, float]] = None


def seed_cell(cell: Cell, value: Any, locale: str) -> None:
    """Store a Python value in a cell as a staff member's typing would leave it.

    Strings stay text (no USER_ENTERED parsing, so "0912345678" keeps its zero),
    dates become serial numbers with a DATE format, datetimes with DATE_TIME.
    """
    if isinstance(value, SeedCell):
        if value.formula is not None:
            set_formula(cell, value.formula)
        else:
            seed_cell(cell, value.value, locale)
        cell_format = dict(cell.user_format or {})
        if value.number_format is not None:
            cell_format["numberFormat"] = value.number_format
        if value.background is not None:
            cell_format["backgroundColor"] = value.background
        cell.user_format = normalise_format(cell_format) if cell_format else None
        cell.note = value.note or cell.note
        return
    cell.clear_value()
    if value is None or value == "":
        return
    if isinstance(value, bool):
        cell.value = value
    elif isinstance(value, dt.datetime):
        cell.value = to_serial(value)
        cell.user_format = dict(cell.user_format or {}, numberFormat={"type": "DATE_TIME", "pattern": default_date_time_pattern(locale)})
    elif isinstance(value, dt.date):
        cell.value = to_serial(value)
        cell.user_format = dict(cell.user_format or {}, numberFormat={"type": "DATE", "pattern": default_date_pattern(locale)})
    elif isinstance(value, (int, float)):
        cell.value = json_number(value)
    else:
        cell.value = str(value)

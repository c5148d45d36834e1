"""Records passed between the readers, the validator, the store and the writers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Issue:
    """One finding, in the shape of the data contract's machine-readable output."""

    unit: str
    tab: str | None
    row: int | None
    column: str | None
    severity: str  # "error" or "warning"
    code: str
    value: Any
    message: str
    explained: bool = False  # a warning acknowledged in the row's Giải trình column

    def to_dict(self) -> dict[str, Any]:
        return {"unit": self.unit, "tab": self.tab, "row": self.row, "column": self.column,
                "severity": self.severity, "code": self.code, "value": json_value(self.value),
                "message": self.message}

    @property
    def fingerprint(self) -> str:
        """Identity of an issue across runs (same place, same kind)."""
        return f"{self.unit}|{self.tab}|{self.row}|{self.column}|{self.code}"


@dataclass(slots=True)
class RowRecord:
    """A normalised row. ``values`` contains every column key; a cell that could not be
    normalised is None. ``has_error`` rows are left out of every total."""

    unit: str
    tab: str
    row: int
    values: dict[str, Any]
    has_error: bool = False
    has_warning: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"unit": self.unit, "tab": self.tab, "row": self.row,
                "values": {k: json_value(v) for k, v in self.values.items()}}


def json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


@dataclass(slots=True)
class RawSheet:
    """One tab as read: ``rows[i]`` is sheet row ``i + 1``; trailing blank rows are cut."""

    title: str
    rows: list[list[Any]]
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # min_row, min_col, max_row, max_col (1-based)
    sheet_id: int | None = None
    # Cached results of formula cells, by 1-based (row, column): kept so that a later read
    # of a file we rewrote (openpyxl drops these results when it saves) can use them.
    formula_values: dict[tuple[int, int], Any] = field(default_factory=dict)


@dataclass(slots=True)
class RawWorkbook:
    unit: str
    sheets: list[RawSheet]
    source: str  # file path or spreadsheet id, for operator logs
    modified: str | None = None  # file mtime or Drive modifiedTime
    locale: str | None = None
    time_zone: str | None = None


@dataclass(slots=True)
class TabLayout:
    """Position of a schema tab in the workbook, used to write flags back."""

    tab: str
    sheet_title: str
    header_row: int
    columns: dict[str, int]  # column key -> 1-based column index
    last_column: int  # rightmost staff column (header or data)
    status_column: int | None  # existing sync column positions, if any
    details_column: int | None
    data_rows: list[int]  # sheet rows that were read as data
    sheet_id: int | None = None
    key_column: int | None = None  # column used to re-verify rows before writing


@dataclass(slots=True)
class UnitResult:
    unit: str
    issues: list[Issue]
    rows: list[RowRecord]
    layouts: dict[str, TabLayout]
    readable: bool = True
    error: str | None = None

"""Reference figure: pandera running the plain checks on already-clean rows.

The plain checks are the ones a dataframe library expresses directly: column types,
required columns without gaps, numeric ranges, dates inside the programme period and
choice lists. They run on the rows our validator found clean (no error, no warning),
after those rows are put into one pandas DataFrame per tab. The conversion is timed
apart from the checks. pandera is optional; without it the figure is "not installed".
"""

from __future__ import annotations

import time
from importlib.metadata import version
from typing import Any

from sheets_schema.config import Config
from sheets_schema.schema import Column, Schema, Tab
from sync.model import RowRecord

_TEXT_TYPES = {"text", "person_name", "phone_vn", "national_id", "choice", "commune", "url"}


def _column_schema(pa: Any, pd: Any, column: Column, config: Config) -> Any:
    checks = []
    if column.type in _TEXT_TYPES:
        dtype: Any = "string"
        if column.type == "choice" and column.choices:
            checks.append(pa.Check.isin(list(column.choices)))
    elif column.type in ("integer", "money_vnd"):
        dtype = "Int64"
        if column.min is not None:
            checks.append(pa.Check.ge(column.min))
        if column.min_exclusive is not None:
            checks.append(pa.Check.gt(column.min_exclusive))
        if column.max is not None:
            checks.append(pa.Check.le(column.max))
    elif column.type in ("date", "month"):
        dtype = "datetime64[ns]"
        if column.in_period:
            start = pd.Timestamp(config.period_start.replace(day=1) if column.type == "month" else config.period_start)
            checks.append(pa.Check.in_range(start, pd.Timestamp(config.period_end)))
    elif column.type == "yes_no":
        dtype = "boolean"
    else:
        raise ValueError(f"no pandera dtype for column type {column.type}")
    return pa.Column(dtype, checks=checks, nullable=not column.required, coerce=False)


def _frame(pd: Any, tab: Tab, rows: list[RowRecord]) -> Any:
    data: dict[str, Any] = {}
    for column in tab.columns:
        values = [row.values.get(column.key) for row in rows]
        if column.type in _TEXT_TYPES:
            data[column.key] = pd.array(values, dtype="string")
        elif column.type in ("integer", "money_vnd"):
            data[column.key] = pd.array(values, dtype="Int64")
        elif column.type in ("date", "month"):
            data[column.key] = pd.to_datetime(pd.Series(values, dtype="object")).astype("datetime64[ns]")
        else:
            data[column.key] = pd.array(values, dtype="boolean")
    return pd.DataFrame(data)


def measure(schema: Schema, config: Config, rows: list[RowRecord]) -> dict[str, Any]:
    """Time pandera on the clean rows; return the figures or {"status": "not installed"}."""
    try:
        import pandas as pd
        import pandera.pandas as pa
    except ImportError:
        return {"status": "not installed"}

    clean = [row for row in rows if not row.has_error and not row.has_warning]
    by_tab: dict[str, list[RowRecord]] = {tab.key: [] for tab in schema.tabs}
    for row in clean:
        by_tab[row.tab].append(row)

    started = time.perf_counter()
    frames = {tab.key: _frame(pd, tab, by_tab[tab.key]) for tab in schema.tabs}
    converted = time.perf_counter() - started
    schemas = {tab.key: pa.DataFrameSchema({c.key: _column_schema(pa, pd, c, config) for c in tab.columns})
               for tab in schema.tabs}

    started = time.perf_counter()
    cpu_started = time.process_time()
    failures = 0
    for tab in schema.tabs:
        try:
            schemas[tab.key].validate(frames[tab.key], lazy=True)
        except pa.errors.SchemaErrors as exc:
            failures += len(exc.failure_cases)
    checked = time.perf_counter() - started
    checked_cpu = time.process_time() - cpu_started
    return {
        "status": "ok",
        "version": version("pandera"),
        "rows": len(clean),
        "convert_seconds": converted,
        "check_seconds": checked,
        "rows_per_second": len(clean) / checked if checked else 0.0,
        "check_cpu_seconds": checked_cpu,
        "rows_per_cpu_second": len(clean) / checked_cpu if checked_cpu else 0.0,
        "failure_cases": failures,
    }

"""Data-quality metrics: open issues, their weekly trend, time to fix, workbook states, completeness."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.data import REFERENCE_DATE_COLUMNS, Snapshot, programme_months
from dashboard.metrics import Scope, ALL, job_session_grid, tab_index, unit_month_grid
from sheets_schema import Config


def open_issues(snapshot: Snapshot, scope: Scope = ALL) -> pd.DataFrame:
    """Return issues not resolved in the latest snapshot, for the units in scope."""
    frame = snapshot.issues
    frame = frame[frame["resolved_run"].isna()]
    if scope.units is not None:
        frame = frame[frame["unit"].isin(scope.units)]
    return frame


def open_issue_counts(snapshot: Snapshot, by: str, scope: Scope = ALL) -> pd.DataFrame:
    """Count open errors and warnings grouped by ``by`` (unit, tab or code), most errors first."""
    frame = open_issues(snapshot, scope)
    frame = frame.assign(**{by: frame[by].fillna("")})
    table = pd.crosstab(frame[by], frame["severity"]) if not frame.empty else pd.DataFrame()
    for severity in ("error", "warning"):
        if severity not in table:
            table[severity] = 0
    table = table[["error", "warning"]].reset_index().rename(columns={"index": by, "error": "errors",
                                                                      "warning": "warnings"})
    if by not in table:
        table[by] = []
    table = table[[by, "errors", "warnings"]]
    table.columns.name = None
    return table.sort_values(["errors", "warnings"], ascending=False, kind="stable").reset_index(drop=True)


def weekly_trend(snapshot: Snapshot, scope: Scope = ALL) -> pd.DataFrame:
    """Per week (Monday start, UTC): issues first seen, resolved, and still open at the week's end.

    An issue counts as open at a week's end when it was first seen before that end
    and not resolved by then.
    """
    frame = snapshot.issues
    if scope.units is not None:
        frame = frame[frame["unit"].isin(scope.units)]
    columns = ["week", "opened", "resolved", "open_at_end"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    first = frame["first_seen_at"].dt.tz_convert("UTC").dt.tz_localize(None)
    resolved = frame["resolved_at"].dt.tz_convert("UTC").dt.tz_localize(None)

    def week_start(stamps: pd.Series) -> pd.Series:
        days = stamps.dt.normalize()
        return days - pd.to_timedelta(days.dt.day_of_week, unit="D")

    start = week_start(first).min()
    last = max(first.max(), resolved.max() if resolved.notna().any() else first.max())
    weeks = pd.date_range(start, week_start(pd.Series([last])).iloc[0], freq="7D")
    rows = []
    for week in weeks:
        end = week + pd.Timedelta(days=7)
        rows.append({
            "week": week,
            "opened": int(((first >= week) & (first < end)).sum()),
            "resolved": int(((resolved >= week) & (resolved < end)).sum()),
            "open_at_end": int(((first < end) & (resolved.isna() | (resolved >= end))).sum()),
        })
    return pd.DataFrame(rows, columns=columns)


def median_days_to_fix(snapshot: Snapshot, by_unit: bool = False, scope: Scope = ALL) -> float | None | pd.DataFrame:
    """Median time from first seen to resolved, in days, over resolved issues (None without any).

    With ``by_unit`` the result is a frame with ``unit``, ``resolved`` and ``median_days``.
    """
    frame = snapshot.issues
    if scope.units is not None:
        frame = frame[frame["unit"].isin(scope.units)]
    frame = frame[frame["resolved_at"].notna()]
    days = (frame["resolved_at"] - frame["first_seen_at"]).dt.total_seconds() / 86400.0
    if by_unit:
        table = frame.assign(days=days).groupby("unit").agg(resolved=("days", "count"),
                                                             median_days=("days", "median"))
        return table.reset_index()
    return float(days.median()) if len(days) else None


def workbook_status(snapshot: Snapshot, config: Config, scope: Scope = ALL) -> pd.DataFrame:
    """Per configured unit: last data change, last good read, last error and whether reading now fails.

    A unit is failing when its last error is newer than its last good read. Its totals
    then still come from the rows of that last good read.
    """
    states = snapshot.workbooks.set_index("unit") if not snapshot.workbooks.empty else pd.DataFrame()
    rows = []
    for unit in config.units:
        if scope.units is not None and unit.code not in scope.units:
            continue
        state = states.loc[unit.code] if unit.code in states.index else None

        def field(key: str) -> str | None:
            if state is None:
                return None
            value = state[key]
            return None if pd.isna(value) else str(value)

        good, error_at = field("last_good_read_at"), field("last_error_at")
        failing = bool(field("last_error")) and (good is None or (error_at or "") > good)
        rows.append({"unit": unit.code, "last_data_change_at": field("last_data_change_at"),
                     "last_good_read_at": good, "last_error": field("last_error"), "last_error_at": error_at,
                     "failing": failing, "never_read": state is None or good is None})
    return pd.DataFrame(rows, columns=["unit", "last_data_change_at", "last_good_read_at", "last_error",
                                       "last_error_at", "failing", "never_read"])


def failing_units(snapshot: Snapshot, config: Config, scope: Scope = ALL) -> pd.DataFrame:
    """Units whose workbook cannot be read now (see ``workbook_status``)."""
    status = workbook_status(snapshot, config, scope)
    return status[status["failing"]]


def completeness_grid(snapshot: Snapshot, config: Config, kind: str, scope: Scope = ALL) -> pd.DataFrame:
    """Unit × month grid of counts. ``kind`` is ``"job_sessions"`` (regular sessions, the
    monthly target) or ``"any"`` (valid rows of any tab dated in that month, every unit).

    A cell of 0 is a month without the expected data.
    """
    if kind == "job_sessions":
        return job_session_grid(snapshot, config, scope)
    if kind != "any":
        raise ValueError(f"unknown completeness kind {kind!r}; expected 'job_sessions' or 'any'")
    units = [u.code for u in config.units if scope.units is None or u.code in scope.units]
    months = [m for m in programme_months(config) if not scope.months or m in scope.months]
    counts = []
    for tab, date_columns in REFERENCE_DATE_COLUMNS.items():
        if not date_columns:
            continue
        index = tab_index(snapshot.tab(tab))
        for code in units:
            positions = index.positions(tab, (code,), None)
            keys = index.month_keys[positions[~index.has_error[positions]]]
            for key, count in zip(*np.unique(keys[keys >= 0], return_counts=True)):
                counts.append(((code, f"{key // 100:04d}-{key % 100:02d}"), int(count)))
    return unit_month_grid(units, months, counts)


def grid_share(grid: pd.DataFrame, minimum: float = 1) -> float | None:
    """Share in % of grid cells that reach ``minimum`` (None for an empty grid)."""
    if grid.size == 0:
        return None
    return 100.0 * float((grid >= minimum).to_numpy().sum()) / grid.size

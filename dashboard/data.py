"""Load a store snapshot into pandas DataFrames, the input of every metric function.

The dashboard reads only the store (never the workbooks). A snapshot is a plain,
picklable object, so Streamlit can cache it keyed on the latest sync run id.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sheets_schema import Config, load_schema
from sync.store import Store

ROW_COLUMNS = ("unit", "row", "has_error", "has_warning")

# The column whose date places a row in a month, for month filters and the
# completeness grid. Tutoring rows carry a semester, not a date, so they have none.
REFERENCE_DATE_COLUMNS: dict[str, tuple[str, ...]] = {
    "teams": ("founded_on",),
    "tutoring": (),
    "scholarships": ("awarded_on",),
    "school_events": ("held_on",),
    "job_seekers": ("registered_on",),
    "job_openings": ("posted_on",),
    "job_sessions": ("held_on",),
    "harvest_help": ("held_on",),
    "houses": ("handed_over_on", "started_on"),
    "meals": ("month",),
    "outreach": ("posted_on",),
    "resources": ("received_on",),
}
NUMERIC_TYPES = frozenset({"integer", "money_vnd"})
DATE_TYPES = frozenset({"date", "month"})
ISSUE_COLUMNS = ("id", "unit", "tab", "row", "column", "severity", "code", "message", "explained",
                 "first_seen_run", "first_seen_at", "last_seen_run", "resolved_run", "resolved_at")
WORKBOOK_COLUMNS = ("unit", "backend", "last_good_read_at", "last_error", "last_error_at",
                    "last_data_change_at", "last_write_at", "last_write_status")


@dataclass
class Snapshot:
    """The store at one sync run: one frame per tab, every issue, every workbook state."""

    run_id: int
    run: dict[str, Any] | None
    tabs: dict[str, pd.DataFrame]
    issues: pd.DataFrame
    workbooks: pd.DataFrame
    errors_excluded: dict[str, int] = field(default_factory=dict)

    def tab(self, key: str) -> pd.DataFrame:
        return self.tabs[key]

    @property
    def updated_at(self) -> str | None:
        """Time the latest successful sync finished (UTC ISO), or None before the first."""
        if not self.run:
            return None
        return self.run.get("finished_at") or self.run.get("started_at")


def empty_tab_frame(tab_key: str) -> pd.DataFrame:
    tab = load_schema().tab(tab_key)
    return _typed_frame(tab_key, pd.DataFrame(columns=[*ROW_COLUMNS, *tab.column_keys]))


def _typed_frame(tab_key: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Give date columns a datetime dtype, numbers a float dtype and add ``ref_date``."""
    tab = load_schema().tab(tab_key)
    for column in tab.columns:
        if column.key not in frame:
            frame[column.key] = None
        if column.type in NUMERIC_TYPES:
            frame[column.key] = pd.to_numeric(frame[column.key], errors="coerce")
        elif column.type in DATE_TYPES:
            frame[column.key] = pd.to_datetime(frame[column.key], errors="coerce", format="ISO8601")
    frame["has_error"] = frame["has_error"].astype(bool)
    frame["has_warning"] = frame["has_warning"].astype(bool)
    reference = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    for key in REFERENCE_DATE_COLUMNS.get(tab_key, ()):
        reference = reference.fillna(frame[key].astype("datetime64[ns]"))
    frame["ref_date"] = reference
    return frame


def frames_from_rows(records: list[Any]) -> dict[str, pd.DataFrame]:
    """Group ``RowRecord``s into one typed DataFrame per schema tab (empty tabs included)."""
    by_tab: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_tab.setdefault(record.tab, []).append(
            {"unit": record.unit, "row": record.row, "has_error": record.has_error,
             "has_warning": record.has_warning, **record.values})
    frames = {}
    for tab in load_schema().tabs:
        rows = by_tab.get(tab.key)
        frames[tab.key] = _typed_frame(tab.key, pd.DataFrame(rows)) if rows else empty_tab_frame(tab.key)
    return frames


def _tab_query(tab_key: str) -> tuple[str, list[str]]:
    """Build the SELECT that reads one tab's rows with SQLite's JSON functions.

    ``json_extract`` returns JSON true and false as 1 and 0, so each yes/no column also
    selects ``json_type`` (as ``<key>__type``) to restore Python booleans afterwards.
    """
    tab = load_schema().tab(tab_key)
    selected = ["unit", "row", "has_error", "has_warning"]
    names = list(ROW_COLUMNS)
    for column in tab.columns:
        path = "'$.\"" + column.key.replace('"', '""') + "\"'"
        selected.append(f"json_extract(values_json, {path})")
        names.append(column.key)
        if column.type == "yes_no":
            selected.append(f"json_type(values_json, {path})")
            names.append(f"{column.key}__type")
    sql = f"SELECT {', '.join(selected)} FROM rows WHERE tab=? ORDER BY unit, row"
    return sql, names


def _frames_from_connection(connection: sqlite3.Connection) -> dict[str, pd.DataFrame]:
    """Read every tab into a typed DataFrame, one query per tab, parsing the JSON inside SQLite.

    This gives the same frames as ``frames_from_rows(store.rows())`` for rows whose values
    hold the schema's keys, without building a dict and a RowRecord per row. Keys in
    ``values_json`` that the schema does not name are not loaded.
    """
    frames = {}
    cursor = connection.cursor()
    cursor.row_factory = None  # plain tuples, whatever the connection's row factory
    for tab in load_schema().tabs:
        sql, names = _tab_query(tab.key)
        records = cursor.execute(sql, (tab.key,)).fetchall()
        if not records:
            frames[tab.key] = empty_tab_frame(tab.key)
            continue
        # Column lists build faster than DataFrame.from_records on row tuples, with the same dtypes.
        frame = pd.DataFrame({name: list(values) for name, values in zip(names, zip(*records))})
        for column in tab.columns:
            if column.type != "yes_no":
                continue
            kinds = frame.pop(f"{column.key}__type")
            values = frame[column.key].astype(object)
            values[kinds == "true"] = True
            values[kinds == "false"] = False
            frame[column.key] = values.where(values.notna(), None)
        frames[tab.key] = _typed_frame(tab.key, frame)
    return frames


def _issues_frame(issues: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(issues, columns=list(ISSUE_COLUMNS))
    for key in ("first_seen_at", "resolved_at"):
        frame[key] = pd.to_datetime(frame[key], errors="coerce", utc=True, format="ISO8601")
    frame["explained"] = frame["explained"].fillna(False).astype(bool)
    return frame


def _workbooks_frame(store: Store) -> pd.DataFrame:
    states = store.workbook_states()
    rows = [{key: getattr(state, key) for key in WORKBOOK_COLUMNS} for state in states.values()]
    return pd.DataFrame(rows, columns=list(WORKBOOK_COLUMNS))


def snapshot_from_store(store: Store) -> Snapshot:
    """Read the whole store into a Snapshot (rows, every issue open or resolved, workbooks)."""
    tabs = _frames_from_connection(store.connection)
    # Store.issues would decode every issue's value_json, which the dashboard never shows.
    cursor = store.connection.cursor()
    cursor.row_factory = None
    cursor.execute(
        "SELECT id, unit, tab, row, col AS column, severity, code, message, explained, first_seen_run, "
        "first_seen_at, last_seen_run, resolved_run, resolved_at FROM issues ORDER BY unit, severity, tab, row")
    issues = [dict(zip(ISSUE_COLUMNS, record)) for record in cursor.fetchall()]
    return Snapshot(
        run_id=store.latest_run_id(), run=store.latest_run(), tabs=tabs,
        issues=_issues_frame(issues), workbooks=_workbooks_frame(store),
        errors_excluded={key: int(frame["has_error"].sum()) for key, frame in tabs.items()})


def load_snapshot(store_path: Path | str) -> Snapshot:
    """Open the store read-side, load a Snapshot and close it again.

    A store file that does not exist yet gives an empty snapshot instead of creating one.
    """
    path = Path(store_path)
    if not path.exists():
        return empty_snapshot()
    with Store(path) as store:
        return snapshot_from_store(store)


def latest_run_id(store_path: Path | str) -> int:
    """Return the id of the latest finished sync run (0 before the first or without a store)."""
    path = Path(store_path)
    if not path.exists():
        return 0
    with Store(path) as store:
        return store.latest_run_id()


def empty_snapshot() -> Snapshot:
    tabs = {tab.key: empty_tab_frame(tab.key) for tab in load_schema().tabs}
    return Snapshot(run_id=0, run=None, tabs=tabs, issues=_issues_frame([]),
                    workbooks=pd.DataFrame(columns=list(WORKBOOK_COLUMNS)),
                    errors_excluded={key: 0 for key in tabs})


def programme_months(config: Config) -> list[str]:
    """Return the programme's months as ``"YYYY-MM"`` keys, first to last (March–November 2022)."""
    months = []
    cursor = dt.date(config.period_start.year, config.period_start.month, 1)
    while cursor <= config.period_end:
        months.append(f"{cursor.year:04d}-{cursor.month:02d}")
        cursor = dt.date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1)
    return months


def filter_months(frame: pd.DataFrame, tab_key: str, months: tuple[str, ...] | None) -> pd.DataFrame:
    """Keep rows whose reference date falls in one of ``months`` (``"YYYY-MM"``).

    A tab without a reference date (tutoring) is kept whole; in other tabs a row with
    no date at all (a house still being planned) is left out while a month filter is set.
    """
    if not months or not REFERENCE_DATE_COLUMNS.get(tab_key):
        return frame
    return frame[frame["ref_date"].dt.strftime("%Y-%m").isin(months)]

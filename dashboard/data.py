"""Load a store snapshot into pandas DataFrames, the input of every metric function.

The dashboard reads only the store folder (never the workbooks): the SQLite file and
the Parquet snapshot that the sync writes beside it (see ``sync.snapshot``). Streamlit
caches one Snapshot per sync run id and shares it between sessions, so no code may
mutate a Snapshot or its frames.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sheets_schema import Config, load_schema
from sync import snapshot as snapshot_store
from sync.snapshot import ISSUE_COLUMNS, ROW_COLUMNS  # noqa: F401 - part of this module's interface
from sync.store import Store


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
    return _with_reference_date(tab_key, snapshot_store.empty_tab_frame(tab_key))


def _typed_frame(tab_key: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Give date columns a datetime dtype, numbers a float dtype and add ``ref_date``."""
    return _with_reference_date(tab_key, snapshot_store.typed_tab_frame(tab_key, frame))


def _with_reference_date(tab_key: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Add ``ref_date``, the first of the tab's REFERENCE_DATE_COLUMNS that contains a date."""
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


def _workbooks_frame(store: Store) -> pd.DataFrame:
    states = store.workbook_states()
    rows = [{key: getattr(state, key) for key in WORKBOOK_COLUMNS} for state in states.values()]
    return pd.DataFrame(rows, columns=list(WORKBOOK_COLUMNS))


def _snapshot(run: dict[str, Any] | None, tabs: dict[str, pd.DataFrame], issues: pd.DataFrame,
              workbooks: pd.DataFrame) -> Snapshot:
    tabs = {key: _with_reference_date(key, frame) for key, frame in tabs.items()}
    return Snapshot(run_id=int(run["id"]) if run else 0, run=run, tabs=tabs, issues=issues, workbooks=workbooks,
                    errors_excluded={key: int(frame["has_error"].sum()) for key, frame in tabs.items()})


def snapshot_from_store(store: Store, use_parquet: bool = True) -> Snapshot:
    """Read the store into a Snapshot (rows, every issue open or resolved, workbooks).

    The latest run, the workbook states and (without a Parquet snapshot) the rows and
    issues are read in one SQLite read transaction, so they belong to one committed
    state. Rows and issues come from the Parquet snapshot of the latest run when
    ``use_parquet`` is set and that snapshot exists, and from SQLite otherwise. The
    workbook states always come from SQLite because the write-back updates them after
    the snapshot is written.
    """
    connection = store.connection
    connection.execute("BEGIN")
    try:
        run = store.latest_run()
        workbooks = _workbooks_frame(store)
        stored = snapshot_store.read_snapshot(store.path, int(run["id"])) if use_parquet and run else None
        if stored is None:
            stored = snapshot_store.tab_frames(connection), snapshot_store.issue_frame(connection)
    finally:
        connection.execute("COMMIT")
    tabs, issues = stored
    return _snapshot(run, tabs, issues, workbooks)


def load_snapshot(store_path: Path | str, use_parquet: bool = True) -> Snapshot:
    """Open the store read-side, load a Snapshot and close it again.

    A store file that does not exist yet gives an empty snapshot instead of creating one.
    """
    path = Path(store_path)
    if not path.exists():
        return empty_snapshot()
    with Store(path) as store:
        return snapshot_from_store(store, use_parquet)


def latest_run_id(store_path: Path | str) -> int:
    """Return the id of the latest finished sync run (0 before the first or without a store)."""
    path = Path(store_path)
    if not path.exists():
        return 0
    with Store(path) as store:
        return store.latest_run_id()


def empty_snapshot() -> Snapshot:
    tabs = {tab.key: empty_tab_frame(tab.key) for tab in load_schema().tabs}
    return Snapshot(run_id=0, run=None, tabs=tabs, issues=snapshot_store.typed_issue_frame([]),
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

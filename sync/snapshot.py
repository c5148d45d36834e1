"""Columnar snapshot of the store: one Parquet file per tab, written after each sync run.

Reading 300,000 rows from SQLite means extracting every value from ``values_json``
and building DataFrames from Python objects (about 3–4 s on the 2-CPU machine of
bench/RESULTS.md). The sync therefore writes
the typed columns once per run, beside the SQLite file, and the dashboard reads them
back with pyarrow::

    <store file>.snapshot/run-<id>/manifest.json
    <store file>.snapshot/run-<id>/<tab key>.parquet   (one per schema tab)
    <store file>.snapshot/run-<id>/issues.parquet

A run folder is written under a temporary name and renamed when complete, so a reader
sees either a whole folder or none. Older run folders are removed afterwards. The
SQLite store stays the source of truth: a missing or unreadable snapshot only means
the slower SQLite path (``tab_frames`` and ``issue_frame``) is used.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sheets_schema import load_schema
from sync.store import Store

log = logging.getLogger(__name__)

# Bump when the columns or their types change, so readers ignore folders written by older code.
FORMAT_VERSION = 1
SNAPSHOT_SUFFIX = ".snapshot"
RUN_PREFIX = "run-"
TEMP_PREFIX = ".tmp-"
MANIFEST = "manifest.json"
ISSUES_FILE = "issues.parquet"

ROW_COLUMNS = ("unit", "row", "has_error", "has_warning")
NUMERIC_TYPES = frozenset({"integer", "money_vnd"})
DATE_TYPES = frozenset({"date", "month"})
ISSUE_COLUMNS = ("id", "unit", "tab", "row", "column", "severity", "code", "message", "explained",
                 "first_seen_run", "first_seen_at", "last_seen_run", "resolved_run", "resolved_at")


# ------------------------------------------------------------------ typed frames from SQLite


def typed_tab_frame(tab_key: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Give date columns a datetime dtype, numbers a float dtype and the row flags a bool dtype.

    Columns of the schema that ``frame`` lacks are added as all-missing.
    """
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
    return frame


def empty_tab_frame(tab_key: str) -> pd.DataFrame:
    tab = load_schema().tab(tab_key)
    return typed_tab_frame(tab_key, pd.DataFrame(columns=[*ROW_COLUMNS, *tab.column_keys]))


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


def tab_frames(connection: sqlite3.Connection) -> dict[str, pd.DataFrame]:
    """Read every schema tab into a typed DataFrame, one query per tab, parsing the JSON inside SQLite.

    This gives the same frames as building them from ``Store.rows()`` for rows whose
    values hold the schema's keys, without a dict and a RowRecord per row. Keys in
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
        frames[tab.key] = typed_tab_frame(tab.key, frame)
    return frames


def typed_issue_frame(issues: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(issues, columns=list(ISSUE_COLUMNS))
    for key in ("first_seen_at", "resolved_at"):
        frame[key] = pd.to_datetime(frame[key], errors="coerce", utc=True, format="ISO8601")
    frame["explained"] = frame["explained"].fillna(False).astype(bool)
    return frame


def issue_frame(connection: sqlite3.Connection) -> pd.DataFrame:
    """Read every issue, open or resolved, without decoding its ``value_json`` (never shown)."""
    cursor = connection.cursor()
    cursor.row_factory = None
    cursor.execute(
        "SELECT id, unit, tab, row, col AS column, severity, code, message, explained, first_seen_run, "
        "first_seen_at, last_seen_run, resolved_run, resolved_at FROM issues ORDER BY unit, severity, tab, row")
    return typed_issue_frame([dict(zip(ISSUE_COLUMNS, record)) for record in cursor.fetchall()])


# ------------------------------------------------------------------ folders


def snapshot_root(store_path: Path | str) -> Path:
    """Return the folder that contains the run folders of the store at ``store_path``."""
    path = Path(store_path)
    return path.with_name(path.name + SNAPSHOT_SUFFIX)


def run_folder(store_path: Path | str, run_id: int) -> Path:
    return snapshot_root(store_path) / f"{RUN_PREFIX}{run_id}"


def _folder_run_id(folder: Path) -> int | None:
    suffix = folder.name[len(RUN_PREFIX):] if folder.name.startswith(RUN_PREFIX) else ""
    return int(suffix) if suffix.isdigit() else None


# ------------------------------------------------------------------ writing


def _write_table(frame: pd.DataFrame, path: Path) -> None:
    # Raises pyarrow.ArrowTypeError or ArrowInvalid for a column that mixes types (for example
    # numbers and text), which the stored values of one column never do when the sync wrote them.
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table, path, compression="zstd")


def write_snapshot(store: Store, run_id: int) -> Path:
    """Write the Parquet snapshot of ``run_id`` and remove older run folders; return the run folder.

    Call it after ``Store.record_run`` committed ``run_id``. The frames are read from the
    store inside one read transaction, so they belong to a single committed state.
    Raises OSError or a pyarrow error when a file cannot be written.
    """
    connection = store.connection
    connection.execute("BEGIN")
    try:
        frames = tab_frames(connection)
        issues = issue_frame(connection)
    finally:
        connection.execute("COMMIT")

    root = snapshot_root(store.path)
    root.mkdir(parents=True, exist_ok=True)
    final = run_folder(store.path, run_id)
    temporary = root / f"{TEMP_PREFIX}{RUN_PREFIX}{run_id}-{uuid.uuid4().hex[:8]}"
    temporary.mkdir()
    try:
        for tab_key, frame in frames.items():
            _write_table(frame, temporary / f"{tab_key}.parquet")
        _write_table(issues, temporary / ISSUES_FILE)
        manifest = {"format": FORMAT_VERSION, "run_id": run_id, "tabs": list(frames),
                    "rows": {key: len(frame) for key, frame in frames.items()}, "issues": len(issues)}
        (temporary / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        if final.exists():  # the same run written again, for example by a second call
            shutil.rmtree(final)
        os.replace(temporary, final)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    _remove_older(root, run_id)
    return final


def _remove_older(root: Path, run_id: int) -> None:
    """Remove run folders older than ``run_id`` and temporary folders that other writers left behind.

    NOTE: a dashboard that looked up an older run id just before the new run committed may
    still be reading that folder. Its read then fails, and it falls back to the SQLite store.
    """
    for folder in root.iterdir():
        older = _folder_run_id(folder)
        abandoned = folder.name.startswith(TEMP_PREFIX) and not folder.name.startswith(
            f"{TEMP_PREFIX}{RUN_PREFIX}{run_id}-")
        if (older is not None and older < run_id) or abandoned:
            shutil.rmtree(folder, ignore_errors=True)


def save_snapshot(store: Store, run_id: int) -> Path | None:
    """Write the snapshot of ``run_id``, logging any failure instead of raising it.

    The dashboard falls back to reading the SQLite store when the snapshot is missing,
    so a failure here must never fail the sync run that was already recorded.
    """
    try:
        folder = write_snapshot(store, run_id)
    except Exception:  # noqa: BLE001 - the sync run is already committed and must succeed
        log.exception("writing the Parquet snapshot of sync run %d failed; the dashboard will read SQLite", run_id)
        return None
    log.info("wrote the Parquet snapshot of sync run %d to %s", run_id, folder)
    return folder


# ------------------------------------------------------------------ reading


def read_snapshot(store_path: Path | str, run_id: int) -> tuple[dict[str, pd.DataFrame], pd.DataFrame] | None:
    """Read the tab frames and the issues of ``run_id``, or return None to use the SQLite store.

    Returns None when the run folder is missing (stores written by older code, or a run
    whose snapshot is still being written), written in another format, or unreadable.
    """
    folder = run_folder(store_path, run_id)
    manifest_path = folder / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("ignoring the Parquet snapshot in %s: unreadable manifest (%s)", folder, exc)
        return None
    schema = load_schema()
    expected_tabs = [tab.key for tab in schema.tabs]
    if manifest.get("format") != FORMAT_VERSION or manifest.get("run_id") != run_id \
            or manifest.get("tabs") != expected_tabs:
        log.warning("ignoring the Parquet snapshot in %s: format, run id or tabs differ from this code's", folder)
        return None
    try:
        frames = {tab.key: _read_tab(folder / f"{tab.key}.parquet", tab.key) for tab in schema.tabs}
        issues = _read_frame(folder / ISSUES_FILE)
    except (OSError, pa.ArrowException, ValueError) as exc:
        log.warning("ignoring the Parquet snapshot in %s: %s", folder, exc)
        return None
    if list(issues.columns) != list(ISSUE_COLUMNS):
        log.warning("ignoring the Parquet snapshot in %s: issue columns differ from this code's", folder)
        return None
    return frames, issues


def _read_frame(path: Path) -> pd.DataFrame:
    """Read one Parquet file into the DataFrame that was written, dtypes included.

    Parquet cannot keep two pandas dtypes, so they are restored from the pandas metadata
    that pyarrow stores in the file. Timestamps in seconds come back in milliseconds. An
    object column of only True and False comes back as bool, while yes/no columns contain
    Python objects (True, False or None).
    """
    table = pq.read_table(path)
    frame = table.to_pandas()
    described = (table.schema.pandas_metadata or {}).get("columns", [])
    for column in described:
        name, kind, numpy_type = column.get("name"), column.get("pandas_type"), column.get("numpy_type")
        if name not in frame:
            continue
        if kind in ("datetime", "datetimetz") and str(numpy_type).startswith("datetime64["):
            unit = str(numpy_type)[len("datetime64["):-1]
            timezone = (column.get("metadata") or {}).get("timezone")
            wanted = pd.DatetimeTZDtype(unit, timezone) if timezone else pd.api.types.pandas_dtype(f"datetime64[{unit}]")
            if frame[name].dtype != wanted:
                frame[name] = frame[name].astype(wanted)
        elif numpy_type == "object" and frame[name].dtype != object:
            frame[name] = frame[name].astype(object)
    return frame


def _read_tab(path: Path, tab_key: str) -> pd.DataFrame:
    frame = _read_frame(path)
    tab = load_schema().tab(tab_key)
    if list(frame.columns) != [*ROW_COLUMNS, *tab.column_keys]:
        raise ValueError(f"{path.name} has columns {list(frame.columns)}, expected the schema's")
    return frame

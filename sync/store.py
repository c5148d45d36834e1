"""The SQLite snapshot store (WAL mode): runs, workbook states, rows and issues.

A sync run is recorded in one transaction, so a crash part-way leaves the previous
snapshot whole. Issues keep the run in which they were first and last seen and the
run in which they were resolved, which gives the dashboard its history.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from sync.model import Issue, RowRecord, json_value

SCHEMA_VERSION = 1

_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL,
    units_read INTEGER DEFAULT 0,
    units_unchanged INTEGER DEFAULT 0,
    units_failed INTEGER DEFAULT 0,
    rows INTEGER DEFAULT 0,
    errors INTEGER DEFAULT 0,
    warnings INTEGER DEFAULT 0
);
CREATE TABLE IF NOT EXISTS workbooks (
    unit TEXT PRIMARY KEY,
    backend TEXT,
    location TEXT,
    modified TEXT,
    last_read_run INTEGER,
    last_good_read_at TEXT,
    last_good_run INTEGER,
    last_error TEXT,
    last_error_at TEXT,
    last_data_change_at TEXT,
    rows_digest TEXT,
    last_write_at TEXT,
    last_write_status TEXT,
    flags_digest TEXT,
    written_stamp TEXT
);
CREATE TABLE IF NOT EXISTS rows (
    unit TEXT NOT NULL,
    tab TEXT NOT NULL,
    row INTEGER NOT NULL,
    values_json TEXT NOT NULL,
    has_error INTEGER NOT NULL,
    has_warning INTEGER NOT NULL,
    PRIMARY KEY (unit, tab, row)
);
CREATE TABLE IF NOT EXISTS issues (
    id INTEGER PRIMARY KEY,
    fingerprint TEXT NOT NULL UNIQUE,
    unit TEXT NOT NULL,
    tab TEXT,
    row INTEGER,
    col TEXT,
    severity TEXT NOT NULL,
    code TEXT NOT NULL,
    value_json TEXT,
    message TEXT NOT NULL,
    explained INTEGER NOT NULL DEFAULT 0,
    first_seen_run INTEGER NOT NULL,
    first_seen_at TEXT NOT NULL,
    last_seen_run INTEGER NOT NULL,
    resolved_run INTEGER,
    resolved_at TEXT
);
CREATE TABLE IF NOT EXISTS formula_values (
    unit TEXT PRIMARY KEY,
    stamp TEXT NOT NULL,
    values_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS issues_open ON issues (unit, resolved_run);
CREATE INDEX IF NOT EXISTS rows_tab ON rows (tab, unit);
"""


def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


@dataclass
class UnitSnapshot:
    """Outcome of one run for one unit, recorded with the rest of the run in one transaction."""

    unit: str
    backend: str
    location: str
    status: str  # "read", "unchanged", "failed"
    modified: str | None = None
    rows: list[RowRecord] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    error: str | None = None  # Vietnamese reason when status is "failed"
    failure_issue: Issue | None = None


@dataclass
class WorkbookState:
    unit: str
    backend: str | None
    location: str | None
    modified: str | None
    last_good_read_at: str | None
    last_good_run: int | None
    last_error: str | None
    last_error_at: str | None
    last_data_change_at: str | None
    last_write_at: str | None
    last_write_status: str | None


class Store:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._conn.executescript(_DDL)
        columns = {row["name"] for row in self._conn.execute("PRAGMA table_info(workbooks)")}
        if "written_stamp" not in columns:  # stores created before this column existed
            self._conn.execute("ALTER TABLE workbooks ADD COLUMN written_stamp TEXT")
        self._conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def connection(self) -> sqlite3.Connection:
        return self._conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    # ------------------------------------------------------------ writing a run

    def record_run(self, started_at: str, snapshots: list[UnitSnapshot]) -> int:
        """Record a whole sync run in one transaction and return its id."""
        now = utc_now()
        with self.transaction() as conn:
            cur = conn.execute("INSERT INTO runs(started_at, status) VALUES (?, 'running')", (started_at,))
            run_id = int(cur.lastrowid or 0)
            for snap in snapshots:
                self._record_unit(conn, run_id, now, snap)
            counts = conn.execute(
                "SELECT COALESCE(SUM(severity='error'),0), COALESCE(SUM(severity='warning'),0) "
                "FROM issues WHERE resolved_run IS NULL").fetchone()
            total_rows = conn.execute("SELECT COUNT(*) FROM rows").fetchone()[0]
            conn.execute(
                "UPDATE runs SET finished_at=?, status='ok', units_read=?, units_unchanged=?, units_failed=?, "
                "rows=?, errors=?, warnings=? WHERE id=?",
                (now, sum(s.status == "read" for s in snapshots), sum(s.status == "unchanged" for s in snapshots),
                 sum(s.status == "failed" for s in snapshots), total_rows, counts[0], counts[1], run_id))
        return run_id

    def _record_unit(self, conn: sqlite3.Connection, run_id: int, now: str, snap: UnitSnapshot) -> None:
        conn.execute("INSERT OR IGNORE INTO workbooks(unit) VALUES (?)", (snap.unit,))
        conn.execute("UPDATE workbooks SET backend=?, location=?, last_read_run=? WHERE unit=?",
                     (snap.backend, snap.location, run_id, snap.unit))
        if snap.status == "failed":
            conn.execute("UPDATE workbooks SET last_error=?, last_error_at=? WHERE unit=?",
                         (snap.error, now, snap.unit))
            failure = [snap.failure_issue] if snap.failure_issue else []
            self._sync_issues(conn, run_id, now, snap.unit, failure, only_codes={"workbook_unreadable", "workbook_missing"})
            return
        if snap.status == "unchanged":
            conn.execute("UPDATE issues SET last_seen_run=? WHERE unit=? AND resolved_run IS NULL", (run_id, snap.unit))
            return
        digest = _digest(snap.rows)
        previous = conn.execute("SELECT rows_digest FROM workbooks WHERE unit=?", (snap.unit,)).fetchone()
        changed = previous is None or previous["rows_digest"] != digest
        conn.execute(
            "UPDATE workbooks SET modified=?, last_good_read_at=?, last_good_run=?, last_error=NULL, "
            "rows_digest=?, last_data_change_at=CASE WHEN ? THEN ? ELSE last_data_change_at END WHERE unit=?",
            (snap.modified, now, run_id, digest, changed, now, snap.unit))
        conn.execute("DELETE FROM rows WHERE unit=?", (snap.unit,))
        conn.executemany(
            "INSERT INTO rows(unit, tab, row, values_json, has_error, has_warning) VALUES (?,?,?,?,?,?)",
            [(r.unit, r.tab, r.row, json.dumps({k: json_value(v) for k, v in r.values.items()}, ensure_ascii=False),
              int(r.has_error), int(r.has_warning)) for r in snap.rows])
        self._sync_issues(conn, run_id, now, snap.unit, snap.issues, only_codes=None)

    @staticmethod
    def _sync_issues(conn: sqlite3.Connection, run_id: int, now: str, unit: str, issues: list[Issue],
                     only_codes: set[str] | None) -> None:
        seen = set()
        for issue in issues:
            seen.add(issue.fingerprint)
            conn.execute(
                "INSERT INTO issues(fingerprint, unit, tab, row, col, severity, code, value_json, message, explained, "
                "first_seen_run, first_seen_at, last_seen_run) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) "
                "ON CONFLICT(fingerprint) DO UPDATE SET severity=excluded.severity, value_json=excluded.value_json, "
                "message=excluded.message, explained=excluded.explained, last_seen_run=excluded.last_seen_run, "
                "first_seen_run=CASE WHEN issues.resolved_run IS NULL THEN issues.first_seen_run ELSE excluded.first_seen_run END, "
                "first_seen_at=CASE WHEN issues.resolved_run IS NULL THEN issues.first_seen_at ELSE excluded.first_seen_at END, "
                "resolved_run=NULL, resolved_at=NULL",
                (issue.fingerprint, issue.unit, issue.tab, issue.row, issue.column, issue.severity, issue.code,
                 json.dumps(json_value(issue.value), ensure_ascii=False), issue.message, int(issue.explained),
                 run_id, now, run_id))
        query = "SELECT fingerprint, code FROM issues WHERE unit=? AND resolved_run IS NULL"
        stale = [r["fingerprint"] for r in conn.execute(query, (unit,))
                 if r["fingerprint"] not in seen and (only_codes is None or r["code"] in only_codes)]
        conn.executemany("UPDATE issues SET resolved_run=?, resolved_at=? WHERE fingerprint=?",
                         [(run_id, now, fp) for fp in stale])

    def record_write(self, unit: str, status: str) -> None:
        """Record a write-back outcome; a write that did not happen forgets the stored
        modification stamp, so the next run reads the workbook again and retries."""
        with self.transaction() as conn:
            conn.execute("INSERT OR IGNORE INTO workbooks(unit) VALUES (?)", (unit,))
            conn.execute("UPDATE workbooks SET last_write_at=?, last_write_status=? WHERE unit=?",
                         (utc_now(), status, unit))
            if status != "ok":
                conn.execute("UPDATE workbooks SET modified=NULL WHERE unit=?", (unit,))

    def set_written(self, unit: str, modified: str | None, flags_digest: str) -> None:
        """Remember the workbook's modification stamp and flag digest after our own write-back."""
        with self.transaction() as conn:
            conn.execute("UPDATE workbooks SET modified=?, written_stamp=?, flags_digest=? WHERE unit=?",
                         (modified, modified, flags_digest, unit))

    def flags_digest(self, unit: str) -> tuple[str | None, str | None]:
        """Return the stamp the workbook had right after our last write-back, and that
        write's flag digest: the flags are still in place only while the stamp is unchanged."""
        row = self._conn.execute("SELECT written_stamp, flags_digest FROM workbooks WHERE unit=?", (unit,)).fetchone()
        return (row["written_stamp"], row["flags_digest"]) if row else (None, None)

    def save_formula_values(self, unit: str, stamp: str | None, sheets: dict[str, dict[tuple[int, int], Any]]) -> None:
        """Keep the cached formula results of a workbook we just rewrote (stamp after the write)."""
        payload = {title: [[row, col, _tag(value)] for (row, col), value in cells.items()]
                   for title, cells in sheets.items() if cells}
        with self.transaction() as conn:
            if not payload or stamp is None:
                conn.execute("DELETE FROM formula_values WHERE unit=?", (unit,))
                return
            conn.execute("INSERT OR REPLACE INTO formula_values(unit, stamp, values_json) VALUES (?,?,?)",
                         (unit, stamp, json.dumps(payload, ensure_ascii=False)))

    def formula_values(self, unit: str, stamp: str | None) -> dict[str, dict[tuple[int, int], Any]]:
        """Return the formula results saved for ``unit`` if the workbook still has ``stamp``."""
        row = self._conn.execute("SELECT stamp, values_json FROM formula_values WHERE unit=?", (unit,)).fetchone()
        if row is None or stamp is None or row["stamp"] != stamp:
            return {}
        return {title: {(r, c): _untag(v) for r, c, v in cells}
                for title, cells in json.loads(row["values_json"]).items()}

    # ------------------------------------------------------------ reading

    def latest_run(self) -> dict[str, Any] | None:
        row = self._conn.execute("SELECT * FROM runs WHERE status='ok' ORDER BY id DESC LIMIT 1").fetchone()
        return dict(row) if row else None

    def latest_run_id(self) -> int:
        run = self.latest_run()
        return int(run["id"]) if run else 0

    def workbook_states(self) -> dict[str, WorkbookState]:
        result = {}
        for row in self._conn.execute("SELECT * FROM workbooks"):
            result[row["unit"]] = WorkbookState(
                unit=row["unit"], backend=row["backend"], location=row["location"], modified=row["modified"],
                last_good_read_at=row["last_good_read_at"], last_good_run=row["last_good_run"],
                last_error=row["last_error"], last_error_at=row["last_error_at"],
                last_data_change_at=row["last_data_change_at"], last_write_at=row["last_write_at"],
                last_write_status=row["last_write_status"])
        return result

    def rows(self, unit: str | None = None, tab: str | None = None) -> list[RowRecord]:
        sql, args = "SELECT * FROM rows WHERE 1=1", []
        if unit:
            sql, args = sql + " AND unit=?", args + [unit]
        if tab:
            sql, args = sql + " AND tab=?", args + [tab]
        sql += " ORDER BY unit, tab, row"
        return [RowRecord(unit=r["unit"], tab=r["tab"], row=r["row"], values=json.loads(r["values_json"]),
                          has_error=bool(r["has_error"]), has_warning=bool(r["has_warning"]))
                for r in self._conn.execute(sql, args)]

    def issues(self, unit: str | None = None, open_only: bool = True) -> list[dict[str, Any]]:
        sql, args = "SELECT * FROM issues WHERE 1=1", []
        if open_only:
            sql += " AND resolved_run IS NULL"
        if unit:
            sql, args = sql + " AND unit=?", args + [unit]
        sql += " ORDER BY unit, severity, tab, row"
        result = []
        for r in self._conn.execute(sql, args):
            item = dict(r)
            item["column"] = item.pop("col")
            item["value"] = json.loads(item.pop("value_json") or "null")
            result.append(item)
        return result


def _digest(rows: list[RowRecord]) -> str:
    import hashlib

    h = hashlib.sha256()
    for r in rows:
        h.update(f"{r.tab}|{r.row}|".encode())
        h.update(json.dumps({k: json_value(v) for k, v in r.values.items()}, sort_keys=True,
                            ensure_ascii=False).encode())
    return h.hexdigest()


def _tag(value: Any) -> list[Any]:
    """JSON form of a cell value that keeps dates and times apart from text."""
    if isinstance(value, dt.datetime):
        return ["datetime", value.isoformat()]
    if isinstance(value, dt.date):
        return ["date", value.isoformat()]
    if isinstance(value, dt.time):
        return ["time", value.isoformat()]
    if isinstance(value, dt.timedelta):
        return ["timedelta", value.total_seconds()]
    return ["value", value]


def _untag(tagged: list[Any]) -> Any:
    kind, value = tagged
    if kind == "datetime":
        return dt.datetime.fromisoformat(value)
    if kind == "date":
        return dt.date.fromisoformat(value)
    if kind == "time":
        return dt.time.fromisoformat(value)
    if kind == "timedelta":
        return dt.timedelta(seconds=value)
    return value

"""Full sync runs on the .xlsx backend and on the local Google Sheets stand-in.

Each backend gets the same generated province: one workbook per configured unit with
``rows_per_unit`` data rows. Three runs are timed: the first (every workbook read,
validated, stored and flagged), a second with nothing changed, and a third after one
staff cell of one workbook changed.

For Google, the stand-in counts Sheets reads, Sheets writes and Drive requests. The
naive figure is computed, not run: one ``open_by_key`` (one metadata read) and one
``get_all_records`` per tab for every workbook on every run, and one ``update_cell``
per flagged row.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from sheets_schema.config import Config
from sheets_schema.schema import Schema
from sync.cells import Scientific
from sync.runner import run_sync

from bench.generate import generate_province, write_province_xlsx

log = logging.getLogger(__name__)


def _temp_config(config: Config, folder: Path) -> Config:
    return dataclasses.replace(config, workbooks_dir=folder / "workbooks", store_path=folder / "ketnoi.sqlite",
                               outbox_dir=folder / "outbox")


def _change_one_cell_xlsx(path: Path, schema: Schema) -> None:
    """Retype the third cell of the first data row of the first tab, as a staff member would."""
    workbook = load_workbook(path)
    ws = workbook[schema.tabs[0].title]
    ws.cell(row=2, column=3).value = 12
    workbook.save(path)


def _timed_run(config: Config, schema: Schema, backends: dict[str, Any] | None = None) -> tuple[float, Any]:
    started = time.perf_counter()
    summary = run_sync(config, schema, backends=backends)
    return time.perf_counter() - started, summary


def xlsx_sync(config: Config, schema: Schema, rows_per_unit: int, seed: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="ketnoi-bench-") as tmp:
        folder = Path(tmp)
        run_config = _temp_config(config, folder)
        started = time.perf_counter()
        run_config = write_province_xlsx(run_config, schema, folder / "workbooks", rows_per_unit, seed)
        written = time.perf_counter() - started
        first, summary_first = _timed_run(run_config, schema)
        second, summary_second = _timed_run(run_config, schema)
        changed_unit = run_config.units[1]
        _change_one_cell_xlsx(run_config.workbook_path(changed_unit), schema)
        third, summary_third = _timed_run(run_config, schema)
        return {
            "status": "ok",
            "units": len(run_config.units),
            "rows": rows_per_unit * len(run_config.units),
            "write_files_seconds": written,
            "runs": [
                _run_figures("first run", first, summary_first),
                _run_figures("second run, nothing changed", second, summary_second),
                _run_figures("third run, one workbook changed", third, summary_third),
            ],
        }


def _run_figures(label: str, seconds: float, summary: Any) -> dict[str, Any]:
    return {"label": label, "seconds": seconds, "read": len(summary.read), "unchanged": len(summary.unchanged),
            "written": len(summary.written), "failed": len(summary.failed), "errors": summary.errors,
            "warnings": summary.warnings}


# ---------------------------------------------------------------- Google stand-in

def _google_value(value: Any) -> Any:
    """A generated cell as the stand-in should store it (Google keeps dates as dates)."""
    if isinstance(value, Scientific):
        return value.value
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time() else value
    return value


def google_sync(config: Config, schema: Schema, rows_per_unit: int, seed: int) -> dict[str, Any]:
    try:
        import sync.backends.google  # noqa: F401
        from tests.sheets_standin.server import StandinServer
        from tests.test_google_support import backend_factories, google_config
    except ImportError as exc:
        return {"status": f"not available ({exc.name} missing)"}

    workbooks = generate_province(config, schema, rows_per_unit * len(config.units), seed)
    with tempfile.TemporaryDirectory(prefix="ketnoi-bench-") as tmp, StandinServer() as standin:
        locations = {}
        for raw in workbooks:
            sheets = {sheet.title: [[_google_value(v) for v in row] for row in sheet.rows] for sheet in raw.sheets}
            locations[raw.unit] = standin.create_spreadsheet(f"3 Kết nối – {raw.unit}", sheets)
        run_config = google_config(_temp_config(config, Path(tmp)), locations)
        factories = backend_factories(run_config, standin)
        tabs_per_workbook = len(schema.tabs)

        runs = []
        changed_unit = run_config.units[1].code
        for label in ("first run", "second run, nothing changed", "third run, one workbook changed"):
            if label.startswith("third"):
                standin.set_values(locations[changed_unit], schema.tabs[0].title, "C2", [[12]])
            standin.reset_counters()
            seconds, summary = _timed_run(run_config, schema, factories)
            counters = standin.counters
            ours = counters["sheets_read"] + counters["sheets_write"] + counters["drive"] + counters["other"]
            flagged = _flagged_rows(run_config)
            naive = len(workbooks) * (1 + tabs_per_workbook) + flagged
            figures = _run_figures(label, seconds, summary)
            figures.update({"sheets_read": counters["sheets_read"], "sheets_write": counters["sheets_write"],
                            "drive": counters["drive"], "other": counters["other"], "requests": ours,
                            "naive_requests": naive, "flagged_rows": flagged,
                            "ratio": naive / ours if ours else float("inf")})
            runs.append(figures)
        return {"status": "ok", "units": len(workbooks), "rows": rows_per_unit * len(workbooks), "runs": runs}


def _flagged_rows(config: Config) -> int:
    """Rows with an open issue in the store after the latest run."""
    import sqlite3

    with sqlite3.connect(config.store_path) as connection:
        tables = {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "issues" not in tables:
            return 0
        (count,) = connection.execute(
            "SELECT COUNT(*) FROM (SELECT DISTINCT unit, tab, row FROM issues"
            " WHERE row IS NOT NULL AND resolved_run IS NULL)").fetchone()
    return int(count)

"""One sync run: read every unit, validate together, store, write flags back."""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from sheets_schema.config import Config, Unit
from sheets_schema.schema import CONTRACT_PATH, Schema
from sync.api import validate_workbooks
from sync.backends import Backend
from sync.cells import FormulaNoValue
from sync.errors import KetnoiError, WorkbookUnavailable, WriteSkipped
from sync.flags import plan_flags
from sync.model import RawWorkbook, UnitResult
from sync.store import Store, UnitSnapshot, utc_now
from sync.validate import unreadable_issue

log = logging.getLogger(__name__)


@dataclass
class SyncSummary:
    run_id: int
    read: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    written: list[str] = field(default_factory=list)
    write_skipped: dict[str, str] = field(default_factory=dict)
    errors: int = 0
    warnings: int = 0
    seconds: float = 0.0

    def text(self) -> str:
        lines = [f"Lần đồng bộ số {self.run_id}: đã đọc {len(self.read)} đơn vị, "
                 f"{len(self.unchanged)} đơn vị không thay đổi, {len(self.failed)} đơn vị không đọc được; "
                 f"{self.errors} lỗi và {self.warnings} cảnh báo đang mở; "
                 f"đã ghi kết quả kiểm tra vào {len(self.written)} bảng tính ({self.seconds:.1f} giây)."]
        for unit, reason in sorted(self.failed.items()):
            lines.append(f"  - {unit}: không đọc được ({reason}); giữ số liệu lần đọc được gần nhất.")
        for unit, reason in sorted(self.write_skipped.items()):
            lines.append(f"  - {unit}: chưa ghi kết quả kiểm tra ({reason}); sẽ thử lại ở lần đồng bộ sau.")
        return "\n".join(lines)


_SKIP_REASONS_VI = {
    "lock file": "tệp đang được mở trong Excel hoặc LibreOffice",
    "changed": "tệp vừa được sửa trong lúc đồng bộ",
}


def _vi_reason(reason: str) -> str:
    for key, text in _SKIP_REASONS_VI.items():
        if key in reason:
            return text
    return reason


def context_digest(config: Config) -> str:
    """Digest of what validation depends on besides the workbook itself."""
    h = hashlib.sha256(CONTRACT_PATH.read_bytes())
    for name in ("programme.yaml", "units.csv", "communes.csv"):
        path = config.config_dir / name
        if path.exists():
            h.update(path.read_bytes())
    return h.hexdigest()


def default_backends(config: Config) -> dict[str, Callable[[], Backend]]:
    def xlsx() -> Backend:
        from sync.backends.xlsx import XlsxFolderBackend
        return XlsxFolderBackend(config)

    def google() -> Backend:
        from sync.backends.google import GoogleSheetsBackend
        return GoogleSheetsBackend.from_config(config)  # type: ignore[no-any-return]

    return {"xlsx": xlsx, "google": google}


def run_sync(config: Config, schema: Schema, units: list[str] | None = None, write_back: bool = True,
             store: Store | None = None, backends: dict[str, Any] | None = None) -> SyncSummary:
    """Sync the selected units (all by default). Never raises for one unit's failure."""
    started_clock = time.monotonic()
    started_at = utc_now()
    own_store = store is None
    store = store or Store(config.store_path)
    factories = backends or default_backends(config)
    instances: dict[str, Backend] = {}
    try:
        selected = [u for u in config.units if not units or u.code in units]
        states = store.workbook_states()
        digest = context_digest(config)
        meta = store.connection.execute("SELECT value FROM meta WHERE key='context_digest'").fetchone()
        context_changed = meta is None or meta[0] != digest

        by_backend: dict[str, list[Unit]] = {}
        for unit in selected:
            by_backend.setdefault(unit.backend, []).append(unit)

        workbooks: dict[str, RawWorkbook] = {}
        snapshots: dict[str, UnitSnapshot] = {}
        for backend_name, backend_units in by_backend.items():
            backend = _backend(instances, factories, backend_name)
            if backend is None:
                for unit in backend_units:
                    snapshots[unit.code] = _failed(schema, config, unit, WorkbookUnavailable(
                        unit.code, "unreadable", f"chưa hỗ trợ kiểu lưu trữ «{backend_name}»"))
                continue
            try:
                stamps = backend.modified_times(backend_units)
            except KetnoiError as exc:
                log.warning("modified-time lookup failed for backend %s: %s", backend_name, exc)
                stamps = {u.code: None for u in backend_units}
            for unit in backend_units:
                state = states.get(unit.code)
                stamp = stamps.get(unit.code)
                if (not context_changed and stamp is not None and state is not None
                        and state.modified == stamp and state.last_error is None and state.last_good_run):
                    snapshots[unit.code] = UnitSnapshot(unit=unit.code, backend=backend_name,
                                                        location=_location(config, unit), status="unchanged")
                    continue
                try:
                    workbook = backend.read(unit)
                    _restore_formula_values(store, workbook)
                    workbooks[unit.code] = workbook
                except WorkbookUnavailable as exc:
                    log.warning("unit %s unreadable (%s)", unit.code, exc.kind)
                    snapshots[unit.code] = _failed(schema, config, unit, exc)
                except Exception as exc:  # noqa: BLE001 - one unit must never stop the others
                    log.exception("unexpected failure reading unit %s", unit.code)
                    snapshots[unit.code] = _failed(schema, config, unit, WorkbookUnavailable(
                        unit.code, "unreadable", f"lỗi không xác định khi đọc ({type(exc).__name__})"))

        not_read = [code for code in snapshots if code not in workbooks]
        extra_rows = [r for code in not_read for r in store.rows(unit=code)]
        extra_rows += [r for r in store.rows() if r.unit not in {u.code for u in selected}]
        results = validate_workbooks(list(workbooks.values()), schema, config, extra_rows)
        by_unit: dict[str, UnitResult] = {r.unit: r for r in results}
        for code, workbook in workbooks.items():
            unit = config.unit(code)
            result = by_unit[code]
            snapshots[code] = UnitSnapshot(unit=code, backend=unit.backend, location=_location(config, unit),
                                           status="read", modified=workbook.modified, rows=result.rows,
                                           issues=result.issues)
        ordered = [snapshots[u.code] for u in selected if u.code in snapshots]
        run_id = store.record_run(started_at, ordered)
        from sync.snapshot import save_snapshot  # imported here so importing the runner does not load pandas
        save_snapshot(store, run_id)
        with store.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('context_digest', ?)", (digest,))

        summary = SyncSummary(run_id=run_id)
        summary.read = sorted(workbooks)
        summary.unchanged = sorted(c for c, s in snapshots.items() if s.status == "unchanged")
        summary.failed = {c: s.error or "" for c, s in snapshots.items() if s.status == "failed"}
        if write_back:
            for code, workbook in workbooks.items():
                _write_back(store, instances[config.unit(code).backend], config.unit(code), workbook,
                            by_unit[code], schema, summary)
        open_issues = store.issues()
        summary.errors = sum(1 for i in open_issues if i["severity"] == "error")
        summary.warnings = len(open_issues) - summary.errors
        summary.seconds = time.monotonic() - started_clock
        log.info("sync run %d: read=%d unchanged=%d failed=%d written=%d in %.2fs", run_id, len(summary.read),
                 len(summary.unchanged), len(summary.failed), len(summary.written), summary.seconds)
        return summary
    finally:
        if own_store:
            store.close()


def _restore_formula_values(store: Store, workbook: RawWorkbook) -> None:
    """Put back formula results that our own last write-back dropped from this file."""
    saved = store.formula_values(workbook.unit, workbook.modified)
    if not saved:
        return
    for sheet in workbook.sheets:
        cells = saved.get(sheet.title, {})
        for (row, col), value in cells.items():
            if row <= len(sheet.rows) and col <= len(sheet.rows[row - 1]):
                if isinstance(sheet.rows[row - 1][col - 1], FormulaNoValue):
                    sheet.rows[row - 1][col - 1] = value
                    sheet.formula_values[(row, col)] = value


def _backend(instances: dict[str, Backend], factories: dict[str, Any], name: str) -> Backend | None:
    if name in instances:
        return instances[name]
    factory = factories.get(name)
    if factory is None:
        return None
    instances[name] = factory()
    return instances[name]


def _location(config: Config, unit: Unit) -> str:
    if unit.backend == "xlsx":
        return config.workbook_path(unit).name
    return unit.location


def _failed(schema: Schema, config: Config, unit: Unit, exc: WorkbookUnavailable) -> UnitSnapshot:
    return UnitSnapshot(unit=unit.code, backend=unit.backend, location=_location(config, unit), status="failed",
                        error=exc.reason, failure_issue=unreadable_issue(schema, config, exc))


def _write_back(store: Store, backend: Backend, unit: Unit, workbook: RawWorkbook, result: UnitResult,
                schema: Schema, summary: SyncSummary) -> None:
    plan = plan_flags(result, schema)
    digest = plan.digest()
    known_stamp, known_digest = store.flags_digest(unit.code)
    if known_digest == digest and known_stamp == workbook.modified:
        return  # the workbook already shows exactly these flags
    try:
        new_stamp = backend.write_flags(unit, workbook, plan)
    except WriteSkipped as exc:
        log.warning("write-back for %s skipped: %s", unit.code, exc.reason)
        summary.write_skipped[unit.code] = _vi_reason(exc.reason)
        store.record_write(unit.code, f"skipped: {exc.reason}")
        return
    except KetnoiError as exc:
        log.warning("write-back for %s failed: %s", unit.code, exc)
        summary.write_skipped[unit.code] = str(getattr(exc, "reason", exc))
        store.record_write(unit.code, f"failed: {type(exc).__name__}")
        return
    except OSError as exc:
        log.warning("write-back for %s failed: %s", unit.code, type(exc).__name__)
        summary.write_skipped[unit.code] = "không ghi được tệp"
        store.record_write(unit.code, f"failed: {type(exc).__name__}")
        return
    except Exception as exc:  # noqa: BLE001 - one workbook's write-back must never stop the others
        log.exception("write-back for %s failed unexpectedly", unit.code)
        summary.write_skipped[unit.code] = f"lỗi không xác định khi ghi ({type(exc).__name__})"
        store.record_write(unit.code, f"failed: {type(exc).__name__}")
        return
    store.set_written(unit.code, new_stamp, digest)
    store.record_write(unit.code, "ok")
    if unit.backend == "xlsx":
        # openpyxl drops cached formula results when it saves: keep them for a read of
        # this very file (for example after a configuration change) until staff save it again.
        store.save_formula_values(unit.code, new_stamp, {s.title: s.formula_values for s in workbook.sheets})
    summary.written.append(unit.code)

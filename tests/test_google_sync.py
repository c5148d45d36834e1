"""The Google backend end to end against the Sheets stand-in, through real gspread.

Covers the sample's score through the Google path, request counts per sync, change
detection, fault tolerance, write-back content and the mapping of API errors.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from sync.api import validate_workbooks
from sync.backends.google import OWN_WRITE_STAMP
from sync.backends.google_flags import NOTE_PREFIX, rgb
from sync.flags import ERROR_FILL, plan_flags
from sync.runner import run_sync
from sync.store import Store
from tests.conftest import SHARED
from tests.sheets_standin.fixtures import standin, standin_server  # noqa: F401
from tests.sheets_standin.server import DEFAULT_OWNER_EMAIL
from tests.test_google_support import CLIENT_TIMEOUT, backend_factories, google_config, load_xlsx, make_backend

STATUS_HEADER = "Kết quả kiểm tra"
SCORE = SHARED / "samples" / "score.py"
EXPECTED = SHARED / "samples" / "expected.json"


def sync_columns(values: list[list]) -> tuple[int, int]:
    """(header row, status column), 1-based, from a tab's values."""
    for row_index, line in enumerate(values[:20], start=1):
        if STATUS_HEADER in line:
            return row_index, line.index(STATUS_HEADER) + 1
    raise AssertionError("status header not found")


def statuses(standin, sid: str, tab: str) -> dict[int, str]:
    values = standin.get_values(sid, tab)
    header_row, column = sync_columns(values)
    return {i: line[column - 1] for i, line in enumerate(values, start=1)
            if i > header_row and len(line) >= column and line[column - 1] not in (None, "")}


def staff_values(standin, sid: str, skip_tabs: tuple[str, ...] = ("Tổng hợp lỗi",)) -> dict:
    """Every staff cell of every tab, leaving out the sync's own columns and tab."""
    cells = {}
    for tab in standin.sheet_titles(sid):
        if tab in skip_tabs:
            continue
        values = standin.get_values(sid, tab)
        skip = set()
        for line in values[:20]:
            for index, value in enumerate(line):
                if value in (STATUS_HEADER, "Chi tiết lỗi"):
                    skip.add(index)
        for r, line in enumerate(values):
            for c, value in enumerate(line):
                if value not in (None, "") and c not in skip:
                    cells[(tab, r, c)] = value
    return cells


def expected_statuses(cfg, schema, standin) -> dict[str, dict[str, dict[int, str]]]:
    """Status texts per unit, tab and row, from a fresh read and validation of every unit."""
    backend = make_backend(cfg, standin)
    units = [u for u in cfg.units if u.backend == "google"]
    backend.modified_times(units)
    results = validate_workbooks([backend.read(u) for u in units], schema, cfg)
    expected = {}
    for result in results:
        plan = plan_flags(result, schema)
        expected[result.unit] = {t.layout.sheet_title: {row: s[0] for row, s in t.statuses.items()} for t in plan.tabs}
    return expected


@pytest.fixture
def twelve_units(config, standin, sample_path):
    """Twelve units, each with the sample workbook's contents in its own spreadsheet."""
    extra = dataclasses.replace(config.unit("DAMDOI"), code="DAMDOI2", name="Đơn vị thử nghiệm thứ mười hai")
    base = dataclasses.replace(config, units=config.units + (extra,))
    ids = {u.code: load_xlsx(standin, sample_path, f"3 Kết nối - {u.name}") for u in base.units}
    assert len(ids) == 12
    return google_config(base, ids), ids


def test_sample_scores_through_google_path(config, schema, standin, sample_path, tmp_path):
    sid = load_xlsx(standin, sample_path, "Đầm Dơi")
    cfg = google_config(config, {"DAMDOI": sid})
    backend = make_backend(cfg, standin)
    unit = cfg.unit("DAMDOI")
    backend.modified_times([unit])
    workbook = backend.read(unit)
    results = validate_workbooks([workbook], schema, cfg)
    output = {"issues": [i.to_dict() for r in results for i in r.issues],
              "rows": [row.to_dict() for r in results for row in r.rows]}
    path = tmp_path / "google.json"
    path.write_text(json.dumps(output, ensure_ascii=False), encoding="utf-8")
    scored = subprocess.run([sys.executable, str(SCORE), str(EXPECTED), str(path)], capture_output=True, text=True)
    print(scored.stdout)
    assert scored.stdout.strip().endswith("58 passed, 0 failed")
    assert standin.counters["sheets_read"] == 1
    assert workbook.locale == "vi_VN"
    assert workbook.time_zone == "Asia/Ho_Chi_Minh"


def test_twelve_units_request_counts(schema, standin, twelve_units):
    cfg, ids = twelve_units
    standin.reset_counters()
    first = run_sync(cfg, schema, backends=backend_factories(cfg, standin))
    counts = standin.counters
    print(f"first sync of 12 units: {counts}")
    assert sorted(first.read) == sorted(ids)
    assert sorted(first.written) == sorted(ids)
    assert counts["sheets_read"] <= 12
    assert counts["sheets_write"] <= 12
    assert counts["drive"] == 1

    standin.reset_counters()
    second = run_sync(cfg, schema, backends=backend_factories(cfg, standin))
    counts = standin.counters
    print(f"second sync without changes: {counts}")
    assert counts["sheets_read"] == 0
    assert counts["sheets_write"] == 0
    assert counts["drive"] == 1
    assert sorted(second.unchanged) == sorted(ids)


def test_staff_edit_rereads_only_that_unit(schema, standin, twelve_units):
    cfg, ids = twelve_units
    run_sync(cfg, schema, backends=backend_factories(cfg, standin))
    standin.set_values(ids["NAMCAN"], "Học bổng", "E7", [["096310054321"]])
    standin.reset_counters()
    summary = run_sync(cfg, schema, backends=backend_factories(cfg, standin))
    assert summary.read == ["NAMCAN"]
    assert standin.counters["sheets_read"] == 1
    assert standin.counters["sheets_write"] == 1


def test_thirty_percent_faults(schema, standin, twelve_units):
    cfg, ids = twelve_units
    before = {code: staff_values(standin, sid) for code, sid in ids.items()}
    standin.fail_ratio(0.3, seed=7, client_timeout=CLIENT_TIMEOUT)
    summary = run_sync(cfg, schema, backends=backend_factories(cfg, standin, seed=7))
    log = standin.request_log
    faults = [r for r in log if r.fault]
    print(f"requests: {len(log)}, failed on purpose: {len(faults)} "
          f"({sorted({r.fault for r in faults})}), counters: {standin.counters}")
    standin.clear_faults()
    assert faults, "the fault switch produced no failure"
    assert summary.failed == {}
    assert sorted(summary.read) == sorted(ids)
    assert sorted(summary.written) == sorted(ids)
    # Bounded: at most max_attempts tries of each of 12 reads, 12 writes and 1 Drive call.
    assert len(log) <= 25 * 8
    expected = expected_statuses(cfg, schema, standin)
    for code, sid in ids.items():
        assert staff_values(standin, sid) == before[code], code
        for tab, rows in expected[code].items():
            assert statuses(standin, sid, tab) == rows, (code, tab)
    standin.reset_counters()
    again = run_sync(cfg, schema, backends=backend_factories(cfg, standin))
    assert standin.counters["sheets_read"] == 0
    assert sorted(again.unchanged) == sorted(ids)


def test_write_back_content(config, schema, standin, sample_path):
    sid = load_xlsx(standin, sample_path, "Đầm Dơi")
    cfg = google_config(config, {"DAMDOI": sid})
    before = staff_values(standin, sid)
    summary = run_sync(cfg, schema, units=["DAMDOI"], backends=backend_factories(cfg, standin))
    assert summary.written == ["DAMDOI"]
    assert staff_values(standin, sid) == before

    flags = statuses(standin, sid, "Học bổng")
    assert flags[2] == "Hợp lệ"
    assert flags[7] == "1 lỗi"
    assert 16 not in flags  # the running-number row is skipped
    values = standin.get_values(sid, "Học bổng")
    header_row, status_column = sync_columns(values)
    staff_last = max(i for i, v in enumerate(values[header_row - 1], start=1) if v not in (None, STATUS_HEADER, "Chi tiết lỗi"))
    assert status_column == staff_last + 1
    assert "dạng khoa học" in values[6][status_column]
    status_cell = standin.get_cell(sid, "Học bổng", f"{chr(64 + status_column)}7")
    assert status_cell["userEnteredValue"] == {"stringValue": "1 lỗi"}

    headers = values[header_row - 1]
    id_column = chr(65 + headers.index("Số CCCD/Mã định danh"))
    background = standin.get_background_color(sid, "Học bổng", f"{id_column}7")
    assert background == pytest.approx(rgb(ERROR_FILL))
    assert standin.get_notes(sid, "Học bổng")[f"{id_column}7"].startswith(NOTE_PREFIX)

    assert "Tổng hợp lỗi" in standin.sheet_titles(sid)
    summary_values = standin.get_values(sid, "Tổng hợp lỗi")
    assert summary_values[0][0].startswith("TỔNG HỢP LỖI")
    assert any(line[4] == "missing_tab" for line in summary_values[2:] if len(line) > 4)
    protected = standin.get_protected_ranges(sid, "Tổng hợp lỗi")
    assert len(protected) == 1
    assert protected[0]["warningOnly"] is True
    assert standin.get_frozen_row_count(sid, "Tổng hợp lỗi") == 2


def test_fixed_cell_loses_flag(config, schema, standin, sample_path):
    sid = load_xlsx(standin, sample_path, "Đầm Dơi")
    cfg = google_config(config, {"DAMDOI": sid})
    run_sync(cfg, schema, units=["DAMDOI"], backends=backend_factories(cfg, standin))
    values = standin.get_values(sid, "Học bổng")
    id_column = chr(65 + values[0].index("Số CCCD/Mã định danh"))
    standin.set_values(sid, "Học bổng", f"{id_column}7", [["096310054321"]])
    run_sync(cfg, schema, units=["DAMDOI"], backends=backend_factories(cfg, standin))
    assert f"{id_column}7" not in standin.get_notes(sid, "Học bổng")
    assert standin.get_background_color(sid, "Học bổng", f"{id_column}7") is None
    assert statuses(standin, sid, "Học bổng")[7] == "Hợp lệ"
    assert len(standin.get_protected_ranges(sid, "Tổng hợp lỗi")) == 1


def test_staff_note_and_colour_survive(config, schema, standin, sample_path):
    sid = load_xlsx(standin, sample_path, "Đầm Dơi")
    values = standin.get_values(sid, "Học bổng")
    id_column = chr(65 + values[0].index("Số CCCD/Mã định danh"))
    client = make_backend(google_config(config, {"DAMDOI": sid}), standin).client
    sheet = client.open_by_key(sid).worksheet("Học bổng")
    sheet.update_note(f"{id_column}7", "Đã xác minh với gia đình")
    sheet.format("B2", {"backgroundColor": {"red": 0, "green": 0.69, "blue": 0.94}})
    cfg = google_config(config, {"DAMDOI": sid})
    run_sync(cfg, schema, units=["DAMDOI"], backends=backend_factories(cfg, standin))
    standin.set_values(sid, "Học bổng", f"{id_column}7", [["096310054321"]])
    run_sync(cfg, schema, units=["DAMDOI"], backends=backend_factories(cfg, standin))
    assert standin.get_notes(sid, "Học bổng")[f"{id_column}7"] == "Đã xác minh với gia đình"
    assert standin.get_background_color(sid, "Học bổng", "B2") == pytest.approx({"green": 0.69, "blue": 0.94})


def test_timed_out_write_applied_anyway(config, schema, standin, sample_path):
    sid = load_xlsx(standin, sample_path, "Đầm Dơi")
    cfg = google_config(config, {"DAMDOI": sid})
    standin.fail_next(1, "timeout", kinds=["sheets_write"], client_timeout=CLIENT_TIMEOUT, apply_first=True)
    summary = run_sync(cfg, schema, units=["DAMDOI"], backends=backend_factories(cfg, standin))
    assert summary.written == ["DAMDOI"]
    assert standin.sheet_titles(sid).count("Tổng hợp lỗi") == 1
    assert len(standin.get_protected_ranges(sid, "Tổng hợp lỗi")) == 1
    assert statuses(standin, sid, "Học bổng")[7] == "1 lỗi"


def test_forbidden_sheet_names_service_account(config, schema, standin, sample_path):
    good = load_xlsx(standin, sample_path, "Đầm Dơi")
    closed = load_xlsx(standin, sample_path, "Năm Căn")
    standin.forbid(closed)
    cfg = google_config(config, {"DAMDOI": good, "NAMCAN": closed})
    summary = run_sync(cfg, schema, units=["DAMDOI", "NAMCAN"], backends=backend_factories(cfg, standin))
    assert summary.read == ["DAMDOI"]
    assert summary.written == ["DAMDOI"]
    reason = summary.failed["NAMCAN"]
    assert DEFAULT_OWNER_EMAIL in reason
    assert "chia sẻ" in reason.lower()


def test_unknown_spreadsheet_is_missing(config, schema, standin, sample_path):
    good = load_xlsx(standin, sample_path, "Đầm Dơi")
    cfg = google_config(config, {"DAMDOI": good, "NAMCAN": "khong-co-bang-tinh-nay"})
    summary = run_sync(cfg, schema, units=["DAMDOI", "NAMCAN"], backends=backend_factories(cfg, standin))
    assert summary.read == ["DAMDOI"]
    assert "không tìm thấy bảng tính" in summary.failed["NAMCAN"]
    assert "khong-co-bang-tinh-nay" in summary.failed["NAMCAN"]


def test_quota_exhausted_keeps_last_data(config, schema, standin, sample_path):
    sid = load_xlsx(standin, sample_path, "Đầm Dơi")
    cfg = google_config(config, {"DAMDOI": sid})
    run_sync(cfg, schema, units=["DAMDOI"], backends=backend_factories(cfg, standin))
    standin.set_values(sid, "Học bổng", "N2", [["ghi chú mới"]])
    standin.fail_next(8, 429, kinds=["sheets_read"])
    summary = run_sync(cfg, schema, units=["DAMDOI"], backends=backend_factories(cfg, standin))
    assert "hạn mức" in summary.failed["DAMDOI"]
    assert standin.counters["sheets_read"] == 1 + 8
    with Store(cfg.store_path) as store:
        assert store.rows(unit="DAMDOI"), "the last good snapshot is kept"
    summary = run_sync(cfg, schema, units=["DAMDOI"], backends=backend_factories(cfg, standin))
    assert summary.read == ["DAMDOI"]


def test_write_failure_does_not_stop_others(config, schema, standin, sample_path):
    first = load_xlsx(standin, sample_path, "Đầm Dơi")
    second = load_xlsx(standin, sample_path, "Năm Căn")
    cfg = google_config(config, {"DAMDOI": first, "NAMCAN": second})
    standin.fail_next(8, 503, kinds=["sheets_write"])
    summary = run_sync(cfg, schema, units=["DAMDOI", "NAMCAN"], backends=backend_factories(cfg, standin))
    assert sorted(summary.read) == ["DAMDOI", "NAMCAN"]
    assert len(summary.write_skipped) == 1
    assert len(summary.written) == 1
    assert "máy chủ Google" in next(iter(summary.write_skipped.values()))
    summary = run_sync(cfg, schema, units=["DAMDOI", "NAMCAN"], backends=backend_factories(cfg, standin))
    assert len(summary.written) == 1


def test_own_write_stamp_after_sync(config, schema, standin, sample_path):
    sid = load_xlsx(standin, sample_path, "Đầm Dơi")
    cfg = google_config(config, {"DAMDOI": sid})
    backend = make_backend(cfg, standin)
    assert backend.modified_times([cfg.unit("DAMDOI")])["DAMDOI"] == standin.get_modified_time(sid)
    run_sync(cfg, schema, units=["DAMDOI"], backends=backend_factories(cfg, standin))
    assert backend.modified_times([cfg.unit("DAMDOI")])["DAMDOI"] == OWN_WRITE_STAMP
    standin.touch(sid)
    assert backend.modified_times([cfg.unit("DAMDOI")])["DAMDOI"] == standin.get_modified_time(sid)

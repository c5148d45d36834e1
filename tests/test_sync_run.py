"""A full sync on the .xlsx folder backend: store, flags, and staff cells untouched."""

from __future__ import annotations

import shutil
import sqlite3

import pytest
from openpyxl import load_workbook

from sync.flags import ERROR_FILL, NOTE_AUTHOR
from sync.runner import run_sync
from sync.store import Store
from tests.helpers import cell_snapshot, full_workbook, make_workbook

SYNC_HEADERS = ("Kết quả kiểm tra", "Chi tiết lỗi")


@pytest.fixture
def damdoi(config, sample_path):
    target = config.workbooks_dir / "DAMDOI.xlsx"
    shutil.copy(sample_path, target)
    return target


def _only(config, *codes):
    return [u.code for u in config.units if u.code in codes]


def test_sync_never_changes_staff_cells(config, schema, damdoi):
    before = cell_snapshot(damdoi)
    summary = run_sync(config, schema, units=["DAMDOI"])
    assert summary.written == ["DAMDOI"]
    after = cell_snapshot(damdoi, skip_titles=(schema.summary_tab,), skip_headers=SYNC_HEADERS)
    assert after == before


def test_sync_writes_status_fill_note_and_summary(config, schema, damdoi):
    run_sync(config, schema, units=["DAMDOI"])
    wb = load_workbook(damdoi)
    ws = wb["Học bổng"]
    headers = [c.value for c in ws[1]]
    status_col = headers.index("Kết quả kiểm tra") + 1
    details_col = headers.index("Chi tiết lỗi") + 1
    assert status_col > headers.index("Ghi chú") + 1
    assert ws.cell(row=2, column=status_col).value == "Hợp lệ"
    assert ws.cell(row=7, column=status_col).value == "1 lỗi"
    assert "dạng khoa học" in ws.cell(row=7, column=details_col).value
    id_cell = ws.cell(row=7, column=headers.index("Số CCCD/Mã định danh") + 1)
    assert id_cell.fill.start_color.rgb.endswith(ERROR_FILL)
    assert id_cell.comment.author == NOTE_AUTHOR
    assert ws.cell(row=16, column=status_col).value is None  # running-number row was skipped
    summary = wb[schema.summary_tab]
    assert summary.max_row >= 30
    assert any(c.value == "missing_tab" for c in summary["E"])


def test_fixed_cell_loses_its_flag(config, schema, damdoi):
    run_sync(config, schema, units=["DAMDOI"])
    wb = load_workbook(damdoi)
    ws = wb["Học bổng"]
    ws["E7"] = "096310054321"
    wb.save(damdoi)
    run_sync(config, schema, units=["DAMDOI"])
    ws = load_workbook(damdoi)["Học bổng"]
    assert ws["E7"].comment is None
    assert not ws["E7"].fill.start_color.rgb.endswith(ERROR_FILL)
    with Store(config.store_path) as store:
        resolved = [i for i in store.issues(unit="DAMDOI", open_only=False)
                    if i["row"] == 7 and i["tab"] == "scholarships" and i["resolved_run"]]
        assert resolved
        assert resolved[0]["resolved_run"] == store.latest_run_id()


def test_staff_fill_and_comment_survive(config, schema, damdoi):
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    wb = load_workbook(damdoi)
    ws = wb["Học bổng"]
    ws["B2"].fill = PatternFill(fill_type="solid", start_color="FF00B0F0", end_color="FF00B0F0")
    ws["B3"].comment = Comment("Đã xác minh", "Cán bộ")
    wb.save(damdoi)
    run_sync(config, schema, units=["DAMDOI"])
    run_sync(config, schema, units=["DAMDOI"])
    ws = load_workbook(damdoi)["Học bổng"]
    assert ws["B2"].fill.start_color.rgb == "FF00B0F0"
    assert ws["B3"].comment.text == "Đã xác minh"


@pytest.mark.parametrize("lock_name", ["~$DAMDOI.xlsx", ".~lock.DAMDOI.xlsx#"])
def test_lock_file_skips_write_back(config, schema, damdoi, lock_name):
    (damdoi.parent / lock_name).write_text("locked")
    before = damdoi.read_bytes()
    summary = run_sync(config, schema, units=["DAMDOI"])
    assert "DAMDOI" in summary.write_skipped
    assert damdoi.read_bytes() == before
    (damdoi.parent / lock_name).unlink()
    summary = run_sync(config, schema, units=["DAMDOI"])
    assert summary.written == ["DAMDOI"]


def test_second_run_without_change_reads_nothing(config, schema, damdoi):
    run_sync(config, schema, units=["DAMDOI"])
    summary = run_sync(config, schema, units=["DAMDOI"])
    assert summary.unchanged == ["DAMDOI"]
    assert summary.read == []
    assert summary.written == []


def test_broken_workbook_does_not_stop_others(config, schema, damdoi, tmp_path):
    run_sync(config, schema, units=["DAMDOI"])
    good = make_workbook(config.workbooks_dir / "CAINUOC.xlsx", full_workbook(schema, {}))
    assert good.exists()
    (config.workbooks_dir / "NAMCAN.xlsx").write_bytes(b"PK\x03\x04 truncated")
    damdoi.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)  # looks like a password-protected file
    summary = run_sync(config, schema)
    assert "CAINUOC" in summary.read
    assert {"NAMCAN", "DAMDOI"} <= set(summary.failed)
    assert "mật khẩu" in summary.failed["DAMDOI"]
    with Store(config.store_path) as store:
        assert store.rows(unit="DAMDOI"), "last good data of the failing unit is kept"
        state = store.workbook_states()["DAMDOI"]
        assert state.last_error
        assert state.last_good_read_at
        codes = {i["code"] for i in store.issues(unit="NAMCAN")}
        assert "workbook_unreadable" in codes


def test_run_is_one_transaction(config, schema, damdoi):
    run_sync(config, schema, units=["DAMDOI"])
    with Store(config.store_path) as store:
        rows_before = len(store.rows())
        runs_before = store.latest_run_id()
    conn = sqlite3.connect(config.store_path)
    conn.execute("CREATE TRIGGER fail_rows BEFORE INSERT ON rows BEGIN SELECT RAISE(ABORT, 'disk full'); END")
    conn.commit()
    conn.close()
    wb = load_workbook(damdoi)
    wb["Học bổng"]["B2"] = "Nguyễn Thị Lan Anh"
    wb.save(damdoi)
    with pytest.raises(sqlite3.IntegrityError):
        run_sync(config, schema, units=["DAMDOI"])
    with Store(config.store_path) as store:
        assert len(store.rows()) == rows_before
        assert store.latest_run_id() == runs_before


def test_formula_like_text_is_written_as_text(config, schema):
    path = make_workbook(config.workbooks_dir / "DAMDOI.xlsx", full_workbook(schema, {
        "outreach": [{"posted_on": "=1+1", "channel": "Zalo", "format": "Video", "title": "=HYPERLINK(\"x\")"}]}))
    run_sync(config, schema, units=["DAMDOI"])
    summary = load_workbook(path)[schema.summary_tab]
    for row in summary.iter_rows(min_row=3):
        for cell in row:
            assert cell.data_type != "f"


def test_staff_edit_rewrites_unchanged_flags(config, schema, damdoi):
    run_sync(config, schema, units=["DAMDOI"])
    wb = load_workbook(damdoi)
    ws = wb["Học bổng"]
    headers = [c.value for c in ws[1]]
    ws.delete_cols(headers.index("Kết quả kiểm tra") + 1, 2)  # staff removed our columns
    wb.save(damdoi)
    summary = run_sync(config, schema, units=["DAMDOI"])
    assert summary.written == ["DAMDOI"]
    headers = [c.value for c in load_workbook(damdoi)["Học bổng"][1]]
    assert "Kết quả kiểm tra" in headers


def _headers(path, title):
    return [c.value for c in load_workbook(path)[title][1]]


def test_renamed_details_column_is_never_overwritten(config, schema, damdoi):
    run_sync(config, schema, units=["DAMDOI"])
    wb = load_workbook(damdoi)
    ws = wb["Tìm việc"]
    headers = [c.value for c in ws[1]]
    details = headers.index("Chi tiết lỗi") + 1
    ws.cell(row=1, column=details).value = "Ghi chú của huyện"  # staff took the column over
    for row in range(2, ws.max_row + 1):
        ws.cell(row=row, column=details).value = f"ghi chú {row}"
    wb.save(damdoi)
    before = cell_snapshot(damdoi, skip_titles=(schema.summary_tab,), skip_headers=SYNC_HEADERS)
    run_sync(config, schema, units=["DAMDOI"])
    after = cell_snapshot(damdoi, skip_titles=(schema.summary_tab,), skip_headers=SYNC_HEADERS)
    assert after == before
    headers = _headers(damdoi, "Tìm việc")
    assert headers.index("Chi tiết lỗi") > headers.index("Ghi chú của huyện")


def test_status_column_moved_left_keeps_staff_data(config, schema, damdoi):
    run_sync(config, schema, units=["DAMDOI"])
    wb = load_workbook(damdoi)
    ws = wb["Tìm việc"]
    headers = [c.value for c in ws[1]]
    ws.delete_cols(headers.index("Kết quả kiểm tra") + 1, 2)
    ws.insert_cols(1)  # staff moved the status column to the far left, and dropped the details
    ws["A1"] = "Kết quả kiểm tra"
    wb.save(damdoi)
    before = cell_snapshot(damdoi, skip_titles=(schema.summary_tab,), skip_headers=SYNC_HEADERS)
    run_sync(config, schema, units=["DAMDOI"])
    after = cell_snapshot(damdoi, skip_titles=(schema.summary_tab,), skip_headers=SYNC_HEADERS)
    assert after == before
    headers = _headers(damdoi, "Tìm việc")
    assert headers[0] == "Kết quả kiểm tra"
    assert headers.index("Chi tiết lỗi") > headers.index("Ngày có việc")


def test_flag_on_merged_cell_does_not_stop_sync(config, schema, damdoi, sample_path):
    shutil.copy(sample_path, config.workbooks_dir / "CAINUOC.xlsx")
    wb = load_workbook(damdoi)
    wb["Học bổng"].merge_cells("E7:F7")  # the flagged ID cell merged with its neighbour
    wb["Kèm học"].merge_cells("E2:F4")
    wb.save(damdoi)
    summary = run_sync(config, schema, units=["DAMDOI", "CAINUOC"])
    assert "DAMDOI" in summary.written
    assert "CAINUOC" in summary.written


def test_write_back_keeps_file_mode_and_symlink(config, schema, damdoi, tmp_path):
    import os
    import stat

    real = tmp_path / "shared-folder" / "damdoi-real.xlsx"
    real.parent.mkdir()
    shutil.move(damdoi, real)
    os.chmod(real, 0o664)
    damdoi.symlink_to(real)
    summary = run_sync(config, schema, units=["DAMDOI"])
    assert summary.written == ["DAMDOI"]
    assert damdoi.is_symlink()
    assert stat.S_IMODE(os.stat(real).st_mode) == 0o664
    assert "Tổng hợp lỗi" in load_workbook(real).sheetnames


def test_formula_results_survive_our_rewrite(config, schema, tmp_path):
    import re
    import zipfile

    headers = [c.header for c in schema.tab("job_sessions").columns]
    sheets = full_workbook(schema, {})
    sheets["Phiên giao dịch việc làm"] = [headers, [None, "Phiên định kỳ", "Nhà văn hóa", 5, 40, 10]]
    source = make_workbook(tmp_path / "src.xlsx", sheets)
    index = list(sheets).index("Phiên giao dịch việc làm") + 1
    target = config.workbooks_dir / "DAMDOI.xlsx"
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == f"xl/worksheets/sheet{index}.xml":
                # A date computed by a formula, with the result Excel cached (15/06/2022).
                data = re.sub(rb'<c r="B2"', b'<c r="A2"><f>DATE(2022,6,15)</f><v>44727</v></c><c r="B2"', data)
            dst.writestr(item, data)
    run_sync(config, schema, units=["DAMDOI"])
    with Store(config.store_path) as store:
        store.record_write("DAMDOI", "skipped: test")  # forces a read of the file we rewrote
    run_sync(config, schema, units=["DAMDOI"])
    with Store(config.store_path) as store:
        codes = {i["code"] for i in store.issues(unit="DAMDOI") if i["tab"] == "job_sessions"}
        row = next(r for r in store.rows(unit="DAMDOI", tab="job_sessions"))
    assert "formula_no_value" not in codes
    assert row.values["held_on"] == "2022-06-15"

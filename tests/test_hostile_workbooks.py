"""Workbooks as people really send them: each test builds its own small input."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import tracemalloc
import zipfile

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Border, Side

from sheets_schema import load_config, load_schema
from sync.api import validate_files
from sync.legacy_encoding import unicode_to_tcvn3, unicode_to_vni
from sync.runner import run_sync
from sync.store import Store
from sync.xlsx_reader import read_xlsx
from tests.helpers import full_workbook, make_workbook

D = dt.datetime
SEEKER_HEADERS = ["Họ và tên", "Năm sinh", "Giới tính", "Số điện thoại", "Xã/Phường/Thị trấn", "Trình độ",
                  "Nhu cầu", "Ngành nghề mong muốn", "Về từ tỉnh khác sau dịch", "Ngày đăng ký", "Tình trạng",
                  "Ngày có việc"]


def _seeker(name="Lý Văn Tài", phone="0912345678", returned="Có", commune="Tân Đức"):
    return [name, 2000, "Nam", phone, commune, "Trung cấp", "Tìm việc làm", "Cơ khí", returned,
            D(2022, 4, 2), "Đang tìm", None]


def _validate_tab(tmp_path, title, rows, unit="DAMDOI"):
    schema = load_schema()
    sheets = full_workbook(schema, {})
    sheets[title] = rows
    path = make_workbook(tmp_path / f"{unit}.xlsx", sheets)
    return validate_files([path], schema, load_config()), path


def _tab_issues(out, tab):
    return [i for i in out.issues if i.tab == tab]


@pytest.mark.parametrize("mangle", [
    lambda h: h + "\u00a0", lambda h: "\ufeff" + h, lambda h: h + " *", lambda h: h.upper(),
    lambda h: h.replace(" ", "  "), lambda h: " " + h.lower() + "*",
])
def test_mangled_headers_map_to_columns(tmp_path, mangle):
    out, _ = _validate_tab(tmp_path, "Tìm việc", [[mangle(h) for h in SEEKER_HEADERS], _seeker()])
    assert not _tab_issues(out, "job_seekers")
    row = next(r for r in out.rows if r.tab == "job_seekers")
    assert row.values["phone"] == "0912345678"
    assert row.values["full_name"] == "Lý Văn Tài"


def test_merged_title_row_above_header(tmp_path):
    schema = load_schema()
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in full_workbook(schema, {}).items():
        wb.create_sheet(title).append(rows[0])
    ws = wb["Tìm việc"]
    ws.delete_rows(1)
    ws["A1"] = "DANH SÁCH THANH NIÊN ĐĂNG KÝ TÌM VIỆC"
    ws.merge_cells("A1:H1")
    for col, header in enumerate(SEEKER_HEADERS, start=1):
        ws.cell(row=3, column=col, value=header)
    for col, value in enumerate(_seeker(), start=1):
        ws.cell(row=4, column=col, value=value)
    path = tmp_path / "DAMDOI.xlsx"
    wb.save(path)
    out = validate_files([path], schema, load_config())
    codes = {i.code for i in _tab_issues(out, "job_seekers")}
    assert codes == {"header_not_first_row"}
    assert [r.row for r in out.rows if r.tab == "job_seekers"] == [4]


def test_merged_data_column_fills_every_row(tmp_path):
    schema = load_schema()
    sheets = full_workbook(schema, {})
    sheets["Tìm việc"] = [SEEKER_HEADERS] + [_seeker(name=f"Lý Văn Tài {chr(65 + i)}", phone=f"091234567{i}")
                                             for i in range(5)]
    path = make_workbook(tmp_path / "DAMDOI.xlsx", sheets)
    wb = load_workbook(path)
    ws = wb["Tìm việc"]
    for row in range(3, 7):
        ws.cell(row=row, column=5).value = None
    ws.merge_cells("E2:E6")
    wb.save(path)
    out = validate_files([path], schema, load_config())
    rows = [r for r in out.rows if r.tab == "job_seekers"]
    assert [r.values["commune"] for r in rows] == ["Xã Tân Đức"] * 5
    merged = [i for i in _tab_issues(out, "job_seekers") if i.code == "merged_cells"]
    assert merged
    assert merged[0].severity == "warning"
    assert "E2:E6" in merged[0].message


def test_preformatted_rows_are_not_data(tmp_path):
    schema = load_schema()
    sheets = full_workbook(schema, {})
    sheets["Tìm việc"] = [SEEKER_HEADERS] + [_seeker(phone=f"09123456{i:02d}") for i in range(20)]
    path = make_workbook(tmp_path / "DAMDOI.xlsx", sheets)
    wb = load_workbook(path)
    ws = wb["Tìm việc"]
    thin = Side(style="thin")
    for row in range(2, 1001):
        for col in range(1, 13):
            ws.cell(row=row, column=col).border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wb.save(path)
    out = validate_files([path], schema, load_config())
    assert len([r for r in out.rows if r.tab == "job_seekers"]) == 20
    assert not [i for i in out.issues if i.tab == "job_seekers" and (i.row or 0) > 21]


def test_stored_dimension_smaller_than_data(tmp_path):
    schema = load_schema()
    sheets = full_workbook(schema, {})
    sheets["Tìm việc"] = [SEEKER_HEADERS] + [_seeker(phone=f"09123456{i:02d}") for i in range(30)]
    path = make_workbook(tmp_path / "DAMDOI.xlsx", sheets)
    shrunk = tmp_path / "shrunk" / "DAMDOI.xlsx"
    shrunk.parent.mkdir()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(shrunk, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:C3"', data)
            dst.writestr(item, data)
    out = validate_files([shrunk], schema, load_config())
    assert len([r for r in out.rows if r.tab == "job_seekers"]) == 30


def test_formulas_cached_missing_and_errors(tmp_path):
    schema = load_schema()
    sheets = full_workbook(schema, {})
    headers = [c.header for c in schema.tab("job_sessions").columns]
    sheets["Phiên giao dịch việc làm"] = [headers] + [
        [D(2022, 6, 15), "Phiên định kỳ", "Nhà văn hóa", 5, 40, 10] for _ in range(6)]
    path = make_workbook(tmp_path / "DAMDOI.xlsx", sheets)
    # Rewrite cells as formulas: F2 with a cached value, F3 without one, F4..F7 with cached errors.
    cached = {"F2": ("SUM(3,4)", "7", None), "F4": ("NA()", "#N/A", "e"), "F5": ("1+\"a\"", "#VALUE!", "e"),
              "F6": ("1/0", "#DIV/0!", "e"), "F7": ("FOO()", "#NAME?", "e")}
    with zipfile.ZipFile(path) as src:
        names = {i.filename: src.read(i.filename) for i in src.infolist()}
    sheet_index = list(sheets).index("Phiên giao dịch việc làm") + 1
    sheet_name = f"xl/worksheets/sheet{sheet_index}.xml"
    xml = names[sheet_name].decode()
    for ref, (formula, value, kind) in cached.items():
        kind_attr = ' t="e"' if kind else ""
        replacement = f'<c r="{ref}"{kind_attr}><f>{formula}</f><v>{value}</v></c>'
        xml = re.sub(rf'<c r="{ref}"[^>]*>.*?</c>', lambda _m, text=replacement: text, xml)
    xml = re.sub(r'<c r="F3"[^>]*>.*?</c>', '<c r="F3"><f>SUM(E3,1)</f></c>', xml)
    names[sheet_name] = xml.encode()
    rebuilt = tmp_path / "rebuilt" / "DAMDOI.xlsx"
    rebuilt.parent.mkdir()
    with zipfile.ZipFile(rebuilt, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in names.items():
            dst.writestr(name, data)
    out = validate_files([rebuilt], schema, load_config())
    rows = {r.row: r for r in out.rows if r.tab == "job_sessions"}
    assert rows[2].values["contracts"] == 7
    codes = {i.row: i.code for i in out.issues if i.tab == "job_sessions" and i.column == "contracts"}
    assert codes[3] == "formula_no_value"
    assert {codes[4], codes[5], codes[6], codes[7]} == {"formula_error"}
    message = next(i.message for i in out.issues if i.code == "formula_no_value")
    assert "lưu lại" in message


def test_checkbox_false_is_not_missing(tmp_path):
    out, _ = _validate_tab(tmp_path, "Tìm việc", [SEEKER_HEADERS, _seeker(returned=False),
                                                   _seeker(returned=True, phone="0912345679")])
    rows = [r for r in out.rows if r.tab == "job_seekers"]
    assert [r.values["returned_migrant"] for r in rows] == [False, True]


def test_invisible_characters_in_names(tmp_path):
    schema = load_schema()
    house = {"commune": "Tân Tiến", "kind": "Xây mới", "value_vnd": 60000000, "status": "Đang xây dựng"}
    out, _ = None, None
    sheets = full_workbook(schema, {"houses": [
        {**house, "beneficiary": "Trần Văn Tư"},
        {**house, "beneficiary": "Trần\u200b Văn\u00a0Tư"},
        {**house, "beneficiary": "Trần\tVăn\nTư"},
    ]})
    path = make_workbook(tmp_path / "DAMDOI.xlsx", sheets)
    out = validate_files([path], schema, load_config())
    rows = [r for r in out.rows if r.tab == "houses"]
    assert [r.values["beneficiary"] for r in rows] == ["Trần Văn Tư"] * 3
    assert {i.row for i in out.issues if i.code == "duplicate_house"} == {2, 3, 4}


def test_legacy_tcvn3_column_is_warned_and_matched(tmp_path):
    schema = load_schema()
    rows = [_seeker(name=unicode_to_tcvn3(n), phone=f"09123456{i:02d}", commune=unicode_to_tcvn3("Tân Đức"))
            for i, n in enumerate(["Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Nam", "Phạm Thị Thu"])]
    out, _ = _validate_tab(tmp_path, "Tìm việc", [SEEKER_HEADERS] + rows)
    legacy = [i for i in out.issues if i.code == "legacy_encoding"]
    assert legacy
    assert all(i.severity == "warning" for i in legacy)
    assert "TCVN3" in legacy[0].message
    assert "Nguyễn Văn An" in legacy[0].message
    seekers = [r for r in out.rows if r.tab == "job_seekers"]
    assert seekers[0].values["commune"] == "Xã Tân Đức"
    assert seekers[0].values["full_name"] == "Nguyễn Văn An"


def test_legacy_vni_column_is_warned(tmp_path):
    rows = [_seeker(name=unicode_to_vni(n), phone=f"09123456{i:02d}")
            for i, n in enumerate(["Đầm Văn Dơi", "Trần Thị Bình", "Nguyễn Thị Hồng"])]
    out, _ = _validate_tab(tmp_path, "Tìm việc", [SEEKER_HEADERS] + rows)
    legacy = [i for i in out.issues if i.code == "legacy_encoding"]
    assert legacy
    assert "VNI" in legacy[0].message


def test_unicode_names_are_not_legacy(tmp_path):
    rows = [_seeker(name=n, phone=f"09123456{i:02d}") for i, n in enumerate(
        ["Lê Hà", "Hoàng Dôi", "Nguyễn Thị Ánh", "Trương Mỹ Lan"])]
    out, _ = _validate_tab(tmp_path, "Tìm việc", [SEEKER_HEADERS] + rows)
    assert not [i for i in out.issues if i.code == "legacy_encoding"]


def _ods_bytes() -> bytes:
    import io
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


@pytest.mark.parametrize("content, expected", [
    (b"PK\x03\x04\x14\x00truncated", "hỏng"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "mật khẩu"),
    (None, "OpenDocument"),
    (b"", "rỗng"),
    (b"Ho va ten,Nam sinh\n", "không phải định dạng Excel"),
])
def test_unreadable_files_get_unit_error(config, schema, content, expected, sample_path):
    shutil.copy(sample_path, config.workbooks_dir / "CAINUOC.xlsx")
    (config.workbooks_dir / "DAMDOI.xlsx").write_bytes(_ods_bytes() if content is None else content)
    summary = run_sync(config, schema, units=["DAMDOI", "CAINUOC"])
    assert "CAINUOC" in summary.read
    assert expected in summary.failed["DAMDOI"]
    with Store(config.store_path) as store:
        issue = next(i for i in store.issues(unit="DAMDOI") if i["code"] == "workbook_unreadable")
        assert "Huyện đoàn Đầm Dơi" in issue["message"]
        assert issue["row"] is None


def test_real_xls_file_is_explained(config, schema, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed; it is needed to produce a real .xls file")
    source = make_workbook(tmp_path / "src.xlsx", {"Tìm việc": [SEEKER_HEADERS, _seeker()]})
    profile = tmp_path / "lo-profile"
    subprocess.run([soffice, "--headless", "--norestore", f"-env:UserInstallation=file://{profile}",
                    "--convert-to", "xls", "--outdir", str(tmp_path), str(source)],
                   capture_output=True, timeout=180)
    produced = tmp_path / "src.xls"
    if not produced.exists():
        pytest.skip("LibreOffice could not convert the file on this machine")
    shutil.copy(produced, config.workbooks_dir / "DAMDOI.xlsx")
    summary = run_sync(config, schema, units=["DAMDOI"])
    assert "97-2003" in summary.failed["DAMDOI"]


def test_fifty_thousand_rows_stream(tmp_path):
    path = tmp_path / "DAMDOI.xlsx"
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Tìm việc")
    ws.append(SEEKER_HEADERS)
    for i in range(50_000):
        ws.append(_seeker(phone=f"09{i:08d}"))
    wb.save(path)
    tracemalloc.start()
    workbook = read_xlsx(path, "DAMDOI")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rows = workbook.sheets[0].rows
    assert len(rows) == 50_001
    print(f"50 000-row tab read; peak traced memory {peak / 1e6:.1f} MB")


def test_row_with_only_explanation_gets_one_hint(tmp_path):
    headers = SEEKER_HEADERS + ["Giải trình"]
    out, _ = _validate_tab(tmp_path, "Tìm việc", [headers, _seeker() + [None],
                                                   [None] * 12 + ["Đã liên hệ lại, chờ bổ sung"]])
    row_issues = [i for i in out.issues if i.tab == "job_seekers" and i.row == 3]
    assert [i.code for i in row_issues] == ["explanation_only"]
    assert row_issues[0].severity == "warning"
    assert [r.row for r in out.rows if r.tab == "job_seekers"] == [2]


def test_twin_tab_name_is_warned(tmp_path):
    schema = load_schema()
    sheets = full_workbook(schema, {})
    sheets["Tuyen dung"] = [["Doanh nghiệp", "Ngành nghề"], ["Công ty cũ", "May"]]
    path = make_workbook(tmp_path / "DAMDOI.xlsx", sheets)
    out = validate_files([path], schema, load_config())
    twins = [i for i in out.issues if i.code == "duplicate_tab"]
    assert len(twins) == 1
    assert "Tuyen dung" in twins[0].message
    assert twins[0].tab == "job_openings"

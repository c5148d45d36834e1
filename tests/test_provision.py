"""Provisioning of unit workbooks: layout, dropdowns, formats, instructions, upgrades."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter, range_boundaries

from sheets_schema.__main__ import main
from sheets_schema.provision import (VALIDATION_LAST_ROW, ProvisionReport, WorkbookLocked, WorkbookUnreadable,
                                     describe_rule, provision_all, provision_xlsx)
from sync.api import validate_files

from tests.helpers import make_workbook


def _provision(config, schema, code: str = "TPCM") -> Path:
    unit = config.unit(code)
    path = config.workbook_path(unit)
    provision_xlsx(path, unit, schema, config)
    return path


def _validations_by_column(ws) -> dict[str, list]:
    found: dict[str, list] = {}
    for validation in ws.data_validations.dataValidation:
        for cell_range in validation.sqref.ranges:
            for col in range(cell_range.min_col, cell_range.max_col + 1):
                found.setdefault(get_column_letter(col), []).append((validation, cell_range))
    return found


def _list_validation(ws, letter: str):
    for validation, cell_range in _validations_by_column(ws).get(letter, []):
        if validation.type == "list":
            return validation, cell_range
    return None, None


def _range_values(workbook, formula: str) -> list[str]:
    sheet_part, _, cells = formula.rpartition("!")
    ws = workbook[sheet_part.strip("'")]
    min_col, min_row, max_col, max_row = range_boundaries(cells.replace("$", ""))
    return [ws.cell(row=r, column=min_col).value for r in range(min_row, max_row + 1)]


def _cells(path: Path) -> dict[tuple[str, int, int], object]:
    workbook = load_workbook(path)
    return {(ws.title, cell.row, cell.column): cell.value
            for ws in workbook.worksheets for row in ws.iter_rows() for cell in row if cell.value is not None}


# ---------------------------------------------------------------- layout

def test_provision_creates_every_tab_in_order(config, schema):
    path = _provision(config, schema)
    workbook = load_workbook(path)

    assert workbook.sheetnames[0] == schema.instructions_tab
    assert workbook.sheetnames[1:-1] == [tab.title for tab in schema.tabs]
    assert workbook.sheetnames[-1] == schema.lists_tab
    assert workbook[schema.lists_tab].sheet_state == "hidden"
    assert workbook.active.title == schema.instructions_tab


def test_provision_writes_headers_with_required_marks(config, schema):
    workbook = load_workbook(_provision(config, schema))
    for tab in schema.tabs:
        ws = workbook[tab.title]
        headers = [cell.value for cell in ws[1]]
        expected = [c.sheet_header for c in tab.columns] + [schema.status_header, schema.details_header]
        assert headers == expected, tab.key
        for column in tab.columns:
            assert column.sheet_header.endswith(" *") == column.required
        assert "Giải trình" in headers


def test_header_row_style_and_sheet_setup(config, schema):
    workbook = load_workbook(_provision(config, schema))
    for tab in schema.tabs:
        ws = workbook[tab.title]
        staff = ws.cell(row=1, column=1)
        status = ws.cell(row=1, column=len(tab.columns) + 1)
        assert staff.font.b
        assert staff.font.name in ("Calibri", "Arial")
        assert status.font.name in ("Calibri", "Arial")
        assert staff.alignment.wrap_text
        assert staff.fill.fgColor.rgb != status.fill.fgColor.rgb
        assert status.fill.fgColor.rgb.endswith("D9D9D9")
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref.startswith("A1:")
        assert ws.page_setup.orientation == "landscape"
        assert ws.page_setup.fitToWidth == 1
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        for index, column in enumerate(tab.columns, start=1):
            width = ws.column_dimensions[get_column_letter(index)].width
            assert 10 <= width <= 40, (tab.key, column.key, width)


def test_required_and_optional_headers_differ_in_colour(config, schema):
    ws = load_workbook(_provision(config, schema))["Tìm việc"]
    tab = schema.tab("job_seekers")
    fills = {c.key: ws.cell(row=1, column=i).fill.fgColor.rgb for i, c in enumerate(tab.columns, start=1)}
    assert fills["full_name"] != fills["desired_trade"]
    assert fills["explanation"] not in (fills["full_name"], fills["desired_trade"])


# ---------------------------------------------------------------- validations

def test_choice_columns_have_dropdowns(config, schema):
    workbook = load_workbook(_provision(config, schema))
    for tab in schema.tabs:
        ws = workbook[tab.title]
        for index, column in enumerate(tab.columns, start=1):
            if column.type not in ("choice", "commune", "yes_no"):
                continue
            letter = get_column_letter(index)
            validation, cell_range = _list_validation(ws, letter)
            assert validation is not None, (tab.key, column.key)
            assert cell_range.min_row == 2
            assert cell_range.max_row >= VALIDATION_LAST_ROW
            assert validation.errorStyle == "warning"
            assert validation.showErrorMessage
            assert validation.error and validation.errorTitle
            assert validation.prompt and validation.promptTitle
            formula = validation.formula1
            if formula.startswith('"'):
                options = formula.strip('"').split(",")
                assert len(formula) <= 257
            else:
                options = _range_values(workbook, formula)
            if column.type == "choice":
                assert options == list(column.choices), (tab.key, column.key)
            elif column.type == "yes_no":
                assert options == ["Có", "Không"]


def test_choices_with_commas_use_list_tab_range(config, schema):
    workbook = load_workbook(_provision(config, schema))
    ws = workbook["Học bổng"]
    index = schema.tab("scholarships").column_keys.index("circumstance") + 1
    validation, _ = _list_validation(ws, get_column_letter(index))
    assert validation.formula1.startswith(f"'{schema.lists_tab}'!")
    assert _range_values(workbook, validation.formula1) == list(schema.tab("scholarships").column("circumstance").choices)


def test_commune_dropdown_lists_unit_communes(config, schema):
    workbook = load_workbook(_provision(config, schema, "TPCM"))
    ws = workbook["Đội hình"]
    validation, _ = _list_validation(ws, "A")
    assert schema.lists_tab in validation.formula1
    assert _range_values(workbook, validation.formula1) == [c.name for c in config.unit("TPCM").communes]


def test_province_unit_dropdown_lists_all_communes(config, schema):
    workbook = load_workbook(_provision(config, schema, "TINH"))
    validation, _ = _list_validation(workbook["Đội hình"], "A")
    names = _range_values(workbook, validation.formula1)
    assert names == [c.name for c in config.all_communes]
    assert len(names) > 50


def test_date_and_integer_columns_warn_outside_bounds(config, schema):
    ws = load_workbook(_provision(config, schema))["Kèm học"]
    students = schema.tab("tutoring").column_keys.index("students") + 1
    validations = [v for v, _ in _validations_by_column(ws)[get_column_letter(students)]]
    assert validations[0].type == "whole"
    assert (validations[0].formula1, validations[0].formula2) == ("1", "10")
    ws = load_workbook(config.workbook_path(config.unit("TPCM")))["Đội hình"]
    founded = [v for v, _ in _validations_by_column(ws)["D"]]
    assert founded[0].type == "date"
    assert founded[0].errorStyle == "warning"


# ---------------------------------------------------------------- formats

@pytest.mark.parametrize("tab_key, column_key, number_format", [
    ("scholarships", "birth_date", "dd/mm/yyyy"),
    ("scholarships", "national_id", "@"),
    ("scholarships", "amount_vnd", "#,##0"),
    ("job_seekers", "phone", "@"),
    ("job_seekers", "birth_year", "0"),
    ("meals", "month", "mm/yyyy"),
    ("job_openings", "contact_phone", "@"),
])
def test_column_number_formats(config, schema, tab_key, column_key, number_format):
    tab = schema.tab(tab_key)
    ws = load_workbook(_provision(config, schema))[tab.title]
    letter = get_column_letter(tab.column_keys.index(column_key) + 1)
    assert ws.column_dimensions[letter].number_format == number_format


# ---------------------------------------------------------------- instructions

def test_instructions_mention_every_tab_and_column(config, schema):
    ws = load_workbook(_provision(config, schema))[schema.instructions_tab]
    text = "\n".join(str(v) for row in ws.iter_rows(values_only=True) for v in row if v is not None)
    assert config.name in text
    assert "01/03/2022" in text
    assert "30/11/2022" in text
    assert schema.status_header in text
    assert schema.details_header in text
    assert "Giải trình" in text
    assert "*" in text
    for tab in schema.tabs:
        assert tab.title in text
        for column in tab.columns:
            assert column.sheet_header in text, (tab.key, column.key)
            for choice in column.choices:
                assert choice in text
        for rule in tab.rules:
            assert describe_rule(rule, tab, config.reference_year) in text


def test_describe_rule_covers_every_rule(schema):
    for tab in schema.tabs:
        for rule in tab.rules:
            text = describe_rule(rule, tab, 2022)
            assert rule.message not in text, rule.code
            assert text.endswith("(lỗi)") == (rule.severity == "error")
            assert "{" not in text


# ---------------------------------------------------------------- upgrade in place

def test_provisioned_workbook_validates_without_issues(config, schema):
    path = _provision(config, schema)
    output = validate_files([path], schema, config)
    assert output.issues == []
    assert output.failures == []


def test_upgrade_restores_tab_and_column(config, schema):
    path = _provision(config, schema)
    workbook = load_workbook(path)
    seekers = workbook["Tìm việc"]
    seekers["A2"] = "Nguyễn Văn An"
    seekers["B2"] = 2001
    seekers["D2"] = "0912345678"
    seekers["A3"] = "Trần Thị Bình"
    seekers["H3"] = "May mặc"
    seekers["N2"] = "Hợp lệ"  # a flag the sync wrote earlier
    seekers["H1"] = None  # staff deleted the header "Ngành nghề mong muốn"
    houses = workbook["Nhà an cư"]
    houses["A2"] = "Lê Văn Tư"
    houses["D2"] = 60000000
    del workbook["Suất ăn"]
    workbook.save(path)
    before = _cells(path)

    report = provision_xlsx(path, config.unit("TPCM"), schema, config)

    after = _cells(path)
    for key, value in before.items():
        if key[0] in ("Tìm việc",) and key[2] >= 14:
            continue  # sync-owned columns may move
        if key[0] in (schema.instructions_tab, schema.lists_tab):
            continue
        assert after.get(key) == value, key
    assert report.added_tabs == ["Suất ăn"]
    assert report.added_columns == {"Tìm việc": ["Ngành nghề mong muốn"]}
    workbook = load_workbook(path)
    assert "Suất ăn" in workbook.sheetnames
    assert workbook.sheetnames.index("Suất ăn") == workbook.sheetnames.index("Nhà an cư") + 1
    headers = [c.value for c in workbook["Tìm việc"][1]]
    assert headers.count("Ngành nghề mong muốn") == 1
    assert headers.index("Ngành nghề mong muốn") > headers.index("Giải trình")
    assert headers[-2:] == [schema.status_header, schema.details_header]
    assert output_has_no_header_problems(path, config, schema)


def output_has_no_header_problems(path: Path, config, schema) -> bool:
    output = validate_files([path], schema, config)
    header_codes = {"missing_tab", "missing_column", "duplicate_header", "header_not_found"}
    return not [i for i in output.issues if i.code in header_codes]


def test_upgrade_moves_sync_headers_not_staff_data(config, schema, tmp_path):
    tab = schema.tab("teams")
    old_headers = [c.sheet_header for c in tab.columns if c.key != "explanation"]
    rows = [old_headers + [schema.status_header, schema.details_header],
            ["Phường 1", "Nguyễn Văn An", 12, "15/03/2022", "1 lỗi", "Trang «Đội hình», dòng 2 …"]]
    path = config.workbook_path(config.unit("TPCM"))
    make_workbook(path, {tab.title: rows})

    report = provision_xlsx(path, config.unit("TPCM"), schema, config)

    ws = load_workbook(path)[tab.title]
    values = [[c.value for c in row] for row in ws.iter_rows(min_row=1, max_row=2)]
    assert values[0][:7] == old_headers + ["Giải trình", schema.status_header, schema.details_header]
    assert values[1][:4] == ["Phường 1", "Nguyễn Văn An", 12, "15/03/2022"]
    assert values[1][4] is None  # the stale flag left the new Giải trình column
    assert report.moved_sync_columns == [tab.title]


def test_upgrade_of_sample_workbook_keeps_every_cell(config, schema, sample_path, tmp_path):
    path = tmp_path / "DAMDOI.xlsx"
    shutil.copy(sample_path, path)
    before = _cells(path)

    report = provision_xlsx(path, config.unit("DAMDOI"), schema, config)

    after = _cells(path)
    for key, value in before.items():
        assert after.get(key) == value, key
    assert report.added_tabs == ["Hỗ trợ thu hoạch"]
    assert "Tuyển dụng" in report.added_columns
    output = validate_files([path], schema, config)
    assert not [i for i in output.issues if i.code in ("missing_tab", "missing_column")]


def test_upgrade_splits_grouped_column_widths(config, schema):
    path = config.workbook_path(config.unit("TPCM"))
    tab = schema.tab("teams")
    workbook = Workbook()
    ws = workbook.active
    ws.title = tab.title
    ws.append([c.header for c in tab.columns[:3]])
    ws.column_dimensions["A"].width = 20
    ws.column_dimensions["A"].min, ws.column_dimensions["A"].max = 1, 30
    workbook.save(path)

    provision_xlsx(path, config.unit("TPCM"), schema, config)

    with zipfile.ZipFile(path) as archive:
        sheets = [archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
    for sheet_xml in sheets:
        spans = sorted((int(low), int(high)) for low, high in re.findall(r'<col min="(\d+)" max="(\d+)"', sheet_xml))
        for (_, high_a), (low_b, _) in zip(spans, spans[1:]):
            assert high_a < low_b, spans
    ws = load_workbook(path)[tab.title]
    assert ws.column_dimensions["D"].number_format == "dd/mm/yyyy"
    assert ws.column_dimensions["A"].width == 20
    beyond = [d for d in ws.column_dimensions.values() if d.min and d.min <= 10 <= d.max]
    assert [d.width for d in beyond] == [20]


def test_tab_without_header_row_is_left_alone(config, schema):
    path = config.workbook_path(config.unit("TPCM"))
    make_workbook(path, {"Đội hình": [["ghi chép"], ["Phường 1", "Nguyễn Văn An"]]})

    report = provision_xlsx(path, config.unit("TPCM"), schema, config)

    ws = load_workbook(path)["Đội hình"]
    assert [[c.value for c in row] for row in ws.iter_rows(max_col=2)] == [["ghi chép", None], ["Phường 1", "Nguyễn Văn An"]]
    assert "Đội hình" in report.skipped_tabs


# ---------------------------------------------------------------- refusals

@pytest.mark.parametrize("lock_name", ["~$TPCM.xlsx", ".~lock.TPCM.xlsx#"])
def test_lock_file_rejects_upgrade(config, schema, lock_name):
    path = _provision(config, schema)
    content = path.read_bytes()
    (path.parent / lock_name).write_text("lock")

    with pytest.raises(WorkbookLocked) as caught:
        provision_xlsx(path, config.unit("TPCM"), schema, config)

    assert lock_name in caught.value.message_vi
    assert path.read_bytes() == content


def test_unreadable_file_is_reported(config, schema):
    path = config.workbook_path(config.unit("TPCM"))
    path.write_bytes(b"not a workbook")

    with pytest.raises(WorkbookUnreadable):
        provision_xlsx(path, config.unit("TPCM"), schema, config)

    reports = provision_all(config, schema, ["TPCM", "UMINH"])
    assert reports[0].error and "Excel" in reports[0].error
    assert reports[1].error is None
    assert reports[1].created
    assert path.read_bytes() == b"not a workbook"


def test_no_temporary_files_left_behind(config, schema):
    _provision(config, schema)
    _provision(config, schema)
    assert sorted(p.name for p in config.workbooks_dir.iterdir()) == ["TPCM.xlsx"]


# ---------------------------------------------------------------- command line

def test_cli_creates_then_updates(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KETNOI_DATA_DIR", str(tmp_path))

    assert main(["provision", "--unit", "TPCM", "UMINH"]) == 0
    first = capsys.readouterr().out
    assert "Đã tạo tệp TPCM.xlsx." in first
    assert "Đã tạo tệp UMINH.xlsx." in first
    assert (tmp_path / "var" / "workbooks" / "TPCM.xlsx").exists()

    assert main(["provision", "--unit", "TPCM"]) == 0
    assert "Đã cập nhật tệp TPCM.xlsx" in capsys.readouterr().out


def test_cli_reports_lock_without_traceback(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KETNOI_DATA_DIR", str(tmp_path))
    assert main(["provision", "--unit", "TPCM"]) == 0
    (tmp_path / "var" / "workbooks" / "~$TPCM.xlsx").write_text("lock")
    capsys.readouterr()

    assert main(["provision", "--unit", "TPCM"]) == 1

    captured = capsys.readouterr()
    assert "Không cập nhật được tệp TPCM.xlsx" in captured.out
    assert "Traceback" not in captured.out + captured.err


def test_cli_rejects_unknown_unit(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KETNOI_DATA_DIR", str(tmp_path))
    assert main(["provision", "--unit", "KHONGCO"]) == 2
    assert "KHONGCO" in capsys.readouterr().err


def test_report_summary_counts_columns(tmp_path):
    report = ProvisionReport(unit="TPCM", path=tmp_path / "TPCM.xlsx",
                             added_columns={"Đội hình": ["Giải trình"], "Kèm học": ["Giải trình"]})
    assert report.summary_vi() == "Đã cập nhật tệp TPCM.xlsx: thêm 2 cột."


# ---------------------------------------------------------------- LibreOffice round trip

def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def test_dropdowns_survive_libreoffice_round_trip(config, schema, tmp_path):
    soffice = _soffice()
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed; install Debian's libreoffice-calc-nogui")
    path = _provision(config, schema)
    out_dir = tmp_path / "converted"
    profile = tmp_path / "lo-profile"
    subprocess.run([soffice, "--headless", "--norestore", f"-env:UserInstallation={profile.as_uri()}",
                    "--convert-to", "xlsx", "--outdir", str(out_dir), str(path)],
                   check=False, capture_output=True, timeout=300)
    converted = out_dir / path.name
    assert converted.exists(), "soffice produced no file (it exits 0 even when the conversion fails)"

    workbook = load_workbook(converted)
    assert workbook[schema.lists_tab].sheet_state == "hidden"
    for tab in schema.tabs:
        ws = workbook[tab.title]
        for index, column in enumerate(tab.columns, start=1):
            if column.type not in ("choice", "commune", "yes_no"):
                continue
            validation, cell_range = _list_validation(ws, get_column_letter(index))
            assert validation is not None, (tab.key, column.key)
            assert cell_range.min_row == 2
    communes, _ = _list_validation(workbook["Đội hình"], "A")
    assert _range_values(workbook, communes.formula1) == [c.name for c in config.unit("TPCM").communes]


def test_libreoffice_saved_workbook_validates(config, schema, tmp_path):
    soffice = _soffice()
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed; install Debian's libreoffice-calc-nogui")
    path = _provision(config, schema)
    out_dir = tmp_path / "converted"
    profile = tmp_path / "lo-profile"
    subprocess.run([soffice, "--headless", "--norestore", f"-env:UserInstallation={profile.as_uri()}",
                    "--convert-to", "xlsx", "--outdir", str(out_dir), str(path)],
                   check=False, capture_output=True, timeout=300)
    converted = out_dir / path.name
    assert converted.exists(), "soffice produced no file (it exits 0 even when the conversion fails)"

    output = validate_files([converted], schema, config)

    assert output.failures == []
    assert output.issues == []

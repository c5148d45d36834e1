"""Demo data: realistic volumes, deterministic, with a measured share of staff mistakes."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from openpyxl import load_workbook

from sheets_schema.__main__ import main
from sheets_schema.config import DEFAULT_CONFIG_DIR, load_config
from sheets_schema.demo import fill_demo, generate_rows, has_staff_data, missing_job_session_months
from sheets_schema.provision import provision_all, provision_xlsx
from sheets_schema.schema import load_schema
from sync.api import validate_files

from tests.helpers import full_workbook, make_workbook


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """Every configured unit provisioned and filled once; validated together."""
    folder = tmp_path_factory.mktemp("demo")
    config = dataclasses.replace(load_config(DEFAULT_CONFIG_DIR), workbooks_dir=folder)
    schema = load_schema()
    provision_all(config, schema)
    reports = fill_demo(config, schema)
    paths = sorted(folder.glob("*.xlsx"))
    output = validate_files(paths, schema, config)
    return config, schema, reports, output


def test_demo_fills_every_unit(demo):
    config, _, reports, output = demo
    assert output.failures == []
    assert sorted(r.unit for r in reports) == sorted(u.code for u in config.units if u.backend == "xlsx")
    rows = Counter(r.unit for r in output.rows)
    for report in reports:
        assert rows[report.unit] >= 200, report.unit
        assert rows[report.unit] == report.rows, report.unit


def test_demo_rows_cover_every_tab(demo):
    config, schema, _, output = demo
    tabs_by_unit: dict[str, set[str]] = {}
    for row in output.rows:
        tabs_by_unit.setdefault(row.unit, set()).add(row.tab)
    for unit, tabs in tabs_by_unit.items():
        expected = set(schema.tab_keys)
        if config.unit(unit).kind == "province":
            expected -= {"teams", "meals"}  # the province office runs no commune team or kitchen
        assert tabs == expected, unit


def test_demo_error_share_is_realistic(demo):
    _, _, _, output = demo
    by_unit: dict[str, list] = {}
    for row in output.rows:
        by_unit.setdefault(row.unit, []).append(row)
    for unit, rows in by_unit.items():
        share = sum(r.has_error for r in rows) / len(rows)
        assert 0.01 <= share <= 0.12, (unit, share)


def test_demo_shows_many_kinds_of_issues(demo):
    _, _, _, output = demo
    codes = {i.code for i in output.issues}
    assert len(codes) >= 5, codes
    for expected in ("required_missing", "out_of_period", "duplicate_phone", "tutor_over_limit"):
        assert expected in codes


def test_demo_mistakes_mostly_normalise(demo):
    _, _, reports, _ = demo
    kinds = Counter()
    for report in reports:
        kinds.update(report.mistakes)
    clean = ("date_as_text", "date_as_serial", "money_as_text", "phone_without_zero", "choice_without_diacritics",
             "commune_without_prefix")
    for kind in clean:
        assert kinds[kind] > 0, kind


def test_province_unit_targets_in_demo(demo):
    _, _, _, output = demo
    province = [r for r in output.rows if r.unit == "TINH"]
    events = [r.values for r in province if r.tab == "school_events"]
    assert sorted(e["school_level"] for e in events) == ["THCS", "THPT", "Tiểu học"]
    fairs = [r for r in province if r.tab == "job_sessions" and r.values["kind"] == "Ngày hội việc làm cấp tỉnh"]
    assert len(fairs) == 1
    houses = [r for r in province if r.tab == "houses"]
    assert len(houses) >= 2


def test_demo_values_are_plausible(demo):
    config, _, _, output = demo
    clean = [r for r in output.rows if not r.has_error]
    for row in clean:
        values = row.values
        if row.tab == "scholarships":
            assert 500_000 <= values["amount_vnd"] <= 5_000_000
            if values["national_id"]:
                assert values["national_id"].startswith("096")
                assert len(values["national_id"]) == 12
        if row.tab == "houses":
            assert 40_000_000 <= values["value_vnd"] <= 120_000_000
        if row.tab == "job_seekers":
            assert values["phone"][:2] in ("09", "03", "08")
            assert config.period_start <= dt.date.fromisoformat(str(values["registered_on"])) <= config.period_end


def test_some_units_miss_monthly_sessions(demo):
    config, _, _, output = demo
    months: dict[str, set[int]] = {}
    for row in output.rows:
        if row.tab == "job_sessions" and row.values["kind"] == "Phiên định kỳ" and row.values["held_on"]:
            months.setdefault(row.unit, set()).add(row.values["held_on"].month)
    full = set(range(3, 12))
    incomplete = [unit for unit, seen in months.items() if seen != full]
    assert 1 <= len(incomplete) <= 4
    assert set(missing_job_session_months(config, 2022)) <= set(incomplete) | set(months)


def test_demo_is_deterministic(config, schema):
    unit = config.unit("DAMDOI")
    first, first_counts = generate_rows(config, unit, schema, seed=7)
    second, second_counts = generate_rows(config, unit, schema, seed=7)
    other, _ = generate_rows(config, unit, schema, seed=8)
    assert first == second
    assert first_counts == second_counts
    assert first != other


def test_demo_names_are_gender_consistent(config, schema):
    rows, _ = generate_rows(config, config.unit("TPCM"), schema, error_rate=0)
    for row in [r for r in rows["scholarships"] if isinstance(r, dict)]:
        if row.get("gender") == "Nữ":
            assert " Văn " not in row["full_name"]
        if row.get("gender") == "Nam":
            assert " Thị " not in row["full_name"]
        if isinstance(row.get("national_id"), str):
            birth: dt.date = row["birth_date"]
            assert row["national_id"][4:6] == f"{birth.year % 100:02d}"


def test_demo_uses_existing_header_positions(config, schema):
    """A workbook whose columns staff reordered gets every value under the right header."""
    unit = config.unit("TPCM")
    path = config.workbook_path(unit)
    sheets = full_workbook(schema, {})
    reordered = {title: [list(reversed(rows[0]))] for title, rows in sheets.items()}
    make_workbook(path, reordered)
    provision_xlsx(path, unit, schema, config)

    fill_demo(config, schema, units=["TPCM"])

    output = validate_files([path], schema, config)
    assert not [i for i in output.issues if i.code in ("missing_column", "missing_tab", "header_not_found")]
    assert len(output.rows) >= 200
    share = sum(r.has_error for r in output.rows) / len(output.rows)
    assert share <= 0.12
    assert load_workbook(path)["Đội hình"]["A1"].value == "Giải trình"


def test_cli_demo_skips_workbook_with_data(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KETNOI_DATA_DIR", str(tmp_path))
    assert main(["provision", "--demo", "--unit", "NAMCAN"]) == 0
    output = capsys.readouterr().out
    assert "Đã tạo tệp NAMCAN.xlsx." in output
    assert "Đã nhập dữ liệu mẫu" in output
    path = tmp_path / "var" / "workbooks" / "NAMCAN.xlsx"
    schema = load_schema()
    assert has_staff_data(path, schema)
    rows_before = _data_rows(path, schema)

    assert main(["provision", "--demo", "--unit", "NAMCAN"]) == 0

    assert "vì tệp đã có số liệu" in capsys.readouterr().out
    assert _data_rows(path, schema) == rows_before


def test_cli_force_demo_replaces_rows(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KETNOI_DATA_DIR", str(tmp_path))
    assert main(["provision", "--demo", "--unit", "NAMCAN"]) == 0
    schema = load_schema()
    path = tmp_path / "var" / "workbooks" / "NAMCAN.xlsx"
    rows_before = _data_rows(path, schema)

    assert main(["provision", "--force-demo", "--unit", "NAMCAN", "--seed", "5"]) == 0

    assert "Đã nhập dữ liệu mẫu" in capsys.readouterr().out
    rows_after = _data_rows(path, schema)
    assert rows_after != rows_before
    config = dataclasses.replace(load_config(DEFAULT_CONFIG_DIR), workbooks_dir=path.parent)
    output = validate_files([path], schema, config)
    assert len(output.rows) >= 200


def test_cli_demo_fills_empty_existing_workbook(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KETNOI_DATA_DIR", str(tmp_path))
    assert main(["provision", "--unit", "PHUTAN"]) == 0
    path = tmp_path / "var" / "workbooks" / "PHUTAN.xlsx"
    assert not has_staff_data(path, load_schema())

    assert main(["provision", "--demo", "--unit", "PHUTAN"]) == 0

    assert "Đã nhập dữ liệu mẫu" in capsys.readouterr().out
    assert has_staff_data(path, load_schema())


def _data_rows(path: Path, schema) -> dict[str, list[tuple]]:
    workbook = load_workbook(path)
    found = {}
    for tab in schema.tabs:
        ws = workbook[tab.title]
        width = len(tab.columns)
        found[tab.key] = [row[:width] for row in ws.iter_rows(min_row=2, values_only=True)]
    return found

"""Online registration: form checks, duplicates, and appends to real .xlsx files and the Sheets stand-in."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from openpyxl import load_workbook

from sync.model import RowRecord
from sync.registration import (SOURCE_NOTE, AlreadyRegistered, Registrar, RegistrationForm,
                               RegistrationUnavailable, append_google, append_xlsx, check_form, known_phone)
from sync.store import Store, UnitSnapshot
from tests.helpers import cell_snapshot, full_workbook, make_workbook
from tests.sheets_standin.fixtures import gspread_client, standin, standin_server  # noqa: F401

TODAY = dt.date(2022, 6, 1)
FORM = RegistrationForm(full_name="trần thị mai", birth_year="2003", gender="Nữ", phone="0912 345 678",
                        unit="DAMDOI", commune="Xã Tân Thuận", education="Trung cấp", need="Tìm việc làm",
                        desired_trade="may công nghiệp", returned_migrant=True, consent=True)
STAFF_SEEKER = {"full_name": "Lê Văn Tám", "birth_year": 2000, "gender": "Nam", "phone": "0988000111",
                "commune": "Xã Tân Thuận", "education": "Chưa qua đào tạo", "need": "Tìm việc làm",
                "registered_on": dt.date(2022, 4, 2), "status": "Đang tìm"}


def _no_wait(seconds: float) -> None:
    return None


@pytest.fixture
def workbook(config, schema) -> Path:
    path = config.workbook_path(config.unit("DAMDOI"))
    make_workbook(path, full_workbook(schema, {"job_seekers": [STAFF_SEEKER, {**STAFF_SEEKER, "phone": "0988000222",
                                                                              "full_name": "Võ Thị Chín"}]}))
    return path


def _checked(schema, config, **changes):
    checked = check_form(schema, config, dataclasses.replace(FORM, **changes), TODAY)
    assert checked.errors == []
    return checked


# ---------------------------------------------------------------- checking the form

def test_form_valid_normalised(schema, config):
    checked = _checked(schema, config)
    assert checked.values["full_name"] == "Trần Thị Mai"
    assert checked.values["phone"] == "0912345678"
    assert checked.values["birth_year"] == 2003
    assert checked.values["registered_on"] == TODAY
    assert checked.values["status"] == "Đang tìm"
    assert checked.values["source"] == SOURCE_NOTE


def test_form_without_consent_rejected(schema, config):
    checked = check_form(schema, config, dataclasses.replace(FORM, consent=False), TODAY)
    assert not checked.ok
    assert any("đồng ý" in e for e in checked.errors)


@pytest.mark.parametrize("year", ["2007", "2010"])
def test_form_under_16_rejected(schema, config, year):
    checked = check_form(schema, config, dataclasses.replace(FORM, birth_year=year), TODAY)
    assert any("chưa đủ 16 tuổi" in e for e in checked.errors)


def test_form_16_this_year_accepted(schema, config):
    assert check_form(schema, config, dataclasses.replace(FORM, birth_year="2006"), TODAY).ok


def test_form_uses_sheet_parsers(schema, config):
    checked = check_form(schema, config, dataclasses.replace(
        FORM, phone="01234", birth_year="1900", gender="khác", full_name="An"), TODAY)
    joined = "\n".join(checked.errors)
    assert "«Số điện thoại»" in joined
    assert "«Năm sinh»: giá trị 1900 nhỏ hơn mức tối thiểu 1950" in joined
    assert "«Giới tính»" in joined
    assert "«Họ và tên»" in joined
    assert "Trang «Tìm việc»" not in joined


def test_form_old_phone_prefix_suggests_new(schema, config):
    checked = check_form(schema, config, dataclasses.replace(FORM, phone="01686123456"), TODAY)
    assert any("038 612 3456" in e for e in checked.errors)


def test_form_commune_of_other_unit_rejected(schema, config):
    checked = check_form(schema, config, dataclasses.replace(FORM, unit="NAMCAN"), TODAY)
    assert not checked.ok


def test_form_outside_period_rejected(schema, config):
    checked = check_form(schema, config, FORM, dt.date(2023, 1, 5))
    assert any("ngoài thời gian" in e for e in checked.errors)


# ---------------------------------------------------------------- .xlsx

def test_xlsx_append_below_last_row(schema, config, workbook):
    before = cell_snapshot(workbook)
    result = append_xlsx(workbook, schema, "DAMDOI", _checked(schema, config).values, sleep=_no_wait)
    assert result.sheet_row == 4
    after = cell_snapshot(workbook)
    changed = {k: v for k, v in after.items() if before.get(k) != v}
    assert all(title == "Tìm việc" and coordinate.endswith("4") for title, coordinate in changed)
    assert all(after[k] == v for k, v in before.items())
    ws = load_workbook(workbook)["Tìm việc"]
    headers = [c.value for c in ws[1]]
    row = {h: ws.cell(row=4, column=i).value for i, h in enumerate(headers, start=1)}
    assert row["Số điện thoại"] == "0912345678"
    assert row["Năm sinh"] == 2003
    assert row["Ngày đăng ký"] == dt.datetime(2022, 6, 1)
    assert row["Tình trạng"] == "Đang tìm"
    assert row["Nguồn đăng ký"] == SOURCE_NOTE
    assert row["Về từ tỉnh khác sau dịch"] == "Có"


def test_xlsx_formula_text_stays_text(schema, config, workbook):
    values = _checked(schema, config, desired_trade="=HYPERLINK(\"x\")").values
    append_xlsx(workbook, schema, "DAMDOI", values, sleep=_no_wait)
    ws = load_workbook(workbook)["Tìm việc"]
    cell = next(c for c in ws[4] if c.value == '=HYPERLINK("x")')
    assert cell.data_type == "s"


def test_xlsx_append_skips_gap_rows(schema, config, workbook):
    wb = load_workbook(workbook)
    wb["Tìm việc"]["N9"] = "ghi chú của cán bộ"
    wb.save(workbook)
    result = append_xlsx(workbook, schema, "DAMDOI", _checked(schema, config).values, sleep=_no_wait)
    assert result.sheet_row == 10
    assert load_workbook(workbook)["Tìm việc"]["N9"].value == "ghi chú của cán bộ"


def test_xlsx_append_found_phone_rejected(schema, config, workbook):
    values = _checked(schema, config, phone="098 800 0111").values
    with pytest.raises(AlreadyRegistered):
        append_xlsx(workbook, schema, "DAMDOI", values, sleep=_no_wait)


def test_xlsx_locked_retried_then_rejected(schema, config, workbook):
    lock = workbook.with_name(f".~lock.{workbook.name}#")
    lock.write_text("staff,pc;")
    waits: list[float] = []
    before = workbook.read_bytes()
    with pytest.raises(RegistrationUnavailable):
        append_xlsx(workbook, schema, "DAMDOI", _checked(schema, config).values, sleep=waits.append)
    assert len(waits) == 3
    assert waits == sorted(waits)
    assert workbook.read_bytes() == before


def test_xlsx_lock_released_between_attempts(schema, config, workbook):
    lock = workbook.with_name(f"~${workbook.name}")
    lock.write_text("x")

    def release(seconds: float) -> None:
        lock.unlink()

    result = append_xlsx(workbook, schema, "DAMDOI", _checked(schema, config).values, sleep=release)
    assert result.sheet_row == 4


# ---------------------------------------------------------------- registrar and the append log

def test_registrar_refuses_second_registration(schema, config, workbook):
    registrar = Registrar(config, schema, sleep=_no_wait)
    first = registrar.register(_checked(schema, config))
    assert first.sheet_row == 4
    with pytest.raises(AlreadyRegistered):
        registrar.register(_checked(schema, config, unit="NAMCAN", commune="Xã Hàm Rồng"))
    with Store(config.store_path) as store:
        assert known_phone(store, "0912345678")
        count = store.connection.execute("SELECT COUNT(*) FROM public_registrations").fetchone()[0]
    assert count == 1


def test_registrar_refuses_phone_of_other_unit(schema, config, workbook):
    record = RowRecord(unit="NAMCAN", tab="job_seekers", row=2, values={"phone": "0912345678", "status": "Đang tìm"})
    with Store(config.store_path) as store:
        store.record_run("2022-05-01T00:00:00+00:00", [UnitSnapshot(unit="NAMCAN", backend="xlsx", location="",
                                                                    status="read", rows=[record])])
    before = workbook.read_bytes()
    with pytest.raises(AlreadyRegistered):
        Registrar(config, schema, sleep=_no_wait).register(_checked(schema, config))
    assert workbook.read_bytes() == before


def test_append_log_keeps_no_phone(schema, config, workbook):
    Registrar(config, schema, sleep=_no_wait).register(_checked(schema, config))
    assert b"0912345678" not in config.store_path.read_bytes()


# ---------------------------------------------------------------- Google Sheets stand-in

def _seed_google(standin, schema) -> str:
    sheets = full_workbook(schema, {"job_seekers": [STAFF_SEEKER]})
    sheets["Tìm việc"][1][sheets["Tìm việc"][0].index("Ngày đăng ký")] = "02/04/2022"
    return standin.create_spreadsheet("Huyện đoàn Năm Căn", sheets)


def test_google_append_raw_row(schema, config, standin, gspread_client):
    sheet_id = _seed_google(standin, schema)
    before = standin.get_values(sheet_id, "Tìm việc")
    values = _checked(schema, config, unit="NAMCAN", commune="Xã Hàm Rồng").values
    result = append_google(gspread_client, sheet_id, schema, "NAMCAN", values, sleep=_no_wait)
    after = standin.get_values(sheet_id, "Tìm việc")
    assert result.sheet_row == 3
    assert after[:2] == before
    row = dict(zip(after[0], after[2]))
    assert row["Số điện thoại"] == "0912345678"
    assert row["Ngày đăng ký"] == "01/06/2022"
    assert row["Nguồn đăng ký"] == SOURCE_NOTE
    appends = [r for r in standin.request_log if ":append" in r.path]
    assert len(appends) == 1
    assert "valueInputOption=RAW" in appends[0].query
    assert "insertDataOption=INSERT_ROWS" in appends[0].query


def test_google_formula_text_stays_text(schema, config, standin, gspread_client):
    sheet_id = _seed_google(standin, schema)
    values = dict(_checked(schema, config, unit="NAMCAN", commune="Xã Hàm Rồng").values)
    values["desired_trade"] = "=IMPORTXML(1)"
    append_google(gspread_client, sheet_id, schema, "NAMCAN", values, sleep=_no_wait)
    cell = standin.get_values(sheet_id, "Tìm việc", value_render="FORMULA")[2]
    assert "=IMPORTXML(1)" in cell


def test_google_retries_server_errors(schema, config, standin, gspread_client):
    sheet_id = _seed_google(standin, schema)
    standin.fail_next(2, status=503)
    waits: list[float] = []
    values = _checked(schema, config, unit="NAMCAN", commune="Xã Hàm Rồng").values
    result = append_google(gspread_client, sheet_id, schema, "NAMCAN", values, sleep=waits.append)
    assert len(waits) == 2
    assert result.sheet_row == 3
    assert len(standin.get_values(sheet_id, "Tìm việc")) == 3


def test_google_gives_up_after_bounded_retries(schema, config, standin, gspread_client):
    sheet_id = _seed_google(standin, schema)
    standin.fail_next(10, status=429)
    values = _checked(schema, config, unit="NAMCAN", commune="Xã Hàm Rồng").values
    with pytest.raises(RegistrationUnavailable):
        append_google(gspread_client, sheet_id, schema, "NAMCAN", values, sleep=_no_wait)
    assert len(standin.get_values(sheet_id, "Tìm việc")) == 2


def test_google_found_phone_rejected(schema, config, standin, gspread_client):
    sheet_id = _seed_google(standin, schema)
    values = _checked(schema, config, unit="NAMCAN", commune="Xã Hàm Rồng", phone="0988000111").values
    with pytest.raises(AlreadyRegistered):
        append_google(gspread_client, sheet_id, schema, "NAMCAN", values, sleep=_no_wait)


def test_registrar_google_unit(schema, config, standin, gspread_client):
    sheet_id = _seed_google(standin, schema)
    units = tuple(dataclasses.replace(u, backend="google", location=sheet_id) if u.code == "NAMCAN" else u
                  for u in config.units)
    google_config = dataclasses.replace(config, units=units)
    registrar = Registrar(google_config, schema, google_client_factory=lambda: gspread_client, sleep=_no_wait)
    result = registrar.register(_checked(schema, google_config, unit="NAMCAN", commune="Xã Hàm Rồng"))
    assert (result.backend, result.sheet_row) == ("google", 3)
    with pytest.raises(AlreadyRegistered):
        registrar.register(_checked(schema, google_config, unit="NAMCAN", commune="Xã Hàm Rồng"))

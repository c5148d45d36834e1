"""Table tests for every cell parser, and property tests that none of them raises."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sheets_schema import load_config
from sync.cells import (ChoiceMatcher, FormulaError, Scientific, parse_date, parse_integer, parse_money,
                        parse_month, parse_national_id, parse_person_name, parse_phone, parse_text, parse_url,
                        parse_yes_no, special_problem)
from sync.communes import CommuneMatcher
from sync.text import clean_text, exact_key, header_key, loose_key

D = dt.date


@pytest.mark.parametrize("raw, expected", [
    (dt.datetime(2022, 3, 15), D(2022, 3, 15)),
    (D(2022, 3, 15), D(2022, 3, 15)),
    (44635, D(2022, 3, 15)),
    (44635.0, D(2022, 3, 15)),
    ("44635", D(2022, 3, 15)),
    ("15/3/2022", D(2022, 3, 15)),
    ("15/03/2022", D(2022, 3, 15)),
    ("15-03-2022", D(2022, 3, 15)),
    ("15.03.2022", D(2022, 3, 15)),
    ("2022-03-15", D(2022, 3, 15)),
    (" 5/3/2022 ", D(2022, 3, 5)),
    ("15/03/2022 00:00:00", D(2022, 3, 15)),
    ("ngày 15 tháng 3 năm 2022", D(2022, 3, 15)),
])
def test_date_accepts(raw, expected):
    assert parse_date(raw) == (expected, None)


@pytest.mark.parametrize("raw, code", [
    ("01/01/68", "date_two_digit_year"),
    ("31/02/2022", "invalid_date"),
    ("3/15/2022", "date_month_first"),
    ("hôm qua", "invalid_date"),
    ("15/3/22022", "invalid_date"),
    (True, "invalid_date"),
    (12, "invalid_date"),
    (-5, "invalid_date"),
])
def test_date_rejects(raw, code):
    value, problem = parse_date(raw)
    assert value is None
    assert problem.code == code


def test_date_month_first_suggests_swap():
    _, problem = parse_date("3/15/2022")
    assert problem.param_dict()["suggestion"] == "15/03/2022"


@pytest.mark.parametrize("raw, expected", [
    ("Tháng 5/2022", D(2022, 5, 1)), ("T3/2022", D(2022, 3, 1)), ("3/2022", D(2022, 3, 1)),
    ("03/2022", D(2022, 3, 1)), ("tháng 11 năm 2022", D(2022, 11, 1)), (dt.datetime(2022, 6, 17), D(2022, 6, 1)),
    ("2022-07", D(2022, 7, 1)), ("15/08/2022", D(2022, 8, 1)), (44713, D(2022, 6, 1)),
])
def test_month_accepts(raw, expected):
    assert parse_month(raw) == (expected, None)


@pytest.mark.parametrize("raw", ["T13/2022", "tháng 0/2022", "abc", True])
def test_month_rejects(raw):
    assert parse_month(raw)[1].code == "invalid_month"


@pytest.mark.parametrize("raw, expected", [
    (10, 10), (10.0, 10), (" 10 ", 10), ("10.0", 10), ("10,0", 10), ("1.000", 1000), ("-3", -3),
])
def test_integer_accepts(raw, expected):
    assert parse_integer(raw) == (expected, None)


@pytest.mark.parametrize("raw, code", [
    ("mười", "invalid_integer"), (10.5, "invalid_integer"), ("1,5", "invalid_integer"), (True, "invalid_integer"),
    ("1.2E+5", "scientific_notation"),
])
def test_integer_rejects(raw, code):
    assert parse_integer(raw)[1].code == code


@pytest.mark.parametrize("raw, expected", [
    (2000000, 2000000), (2000000.0, 2000000), ("1.500.000", 1500000), ("1,500,000", 1500000),
    ("1500000đ", 1500000), ("1.500.000 VNĐ", 1500000), ("1,5 triệu", 1500000), ("2 tr", 2000000),
    ("500k", 500000), ("500 nghìn", 500000), ("1.500.000,00", 1500000), ("2,5 triệu", 2500000),
    ("1.200.000 ₫", 1200000), ("80 triệu", 80000000), ("1,2 tỷ", 1200000000), ("500 ngàn đồng", 500000),
    ("1.500.000 đồng", 1500000), ("-500.000", -500000), ("1500000.0", 1500000), ("2 triệu đồng", 2000000),
])
def test_money_accepts(raw, expected):
    assert parse_money(raw) == (expected, None)


@pytest.mark.parametrize("raw, code", [
    ("(500.000)", "money_negative"), ("1.5", "money_ambiguous"), ("1,5", "money_ambiguous"),
    (1.5, "money_ambiguous"), ("hai triệu", "invalid_money"), ("1.500.000,50", "invalid_money"),
    ("9.6E+6", "scientific_notation"), (True, "invalid_money"), ("đ", "invalid_money"),
])
def test_money_rejects(raw, code):
    value, problem = parse_money(raw)
    assert value is None
    assert problem.code == code


@pytest.mark.parametrize("raw, expected", [
    ("0912345678", "0912345678"), ("0912 345 678", "0912345678"), ("0912.345.678", "0912345678"),
    ("+84 912 345 678", "0912345678"), ("84912345678", "0912345678"), (912345678, "0912345678"),
    (912345678.0, "0912345678"), ("(+84) 912-345-678", "0912345678"), ("'0912345678", "0912345678"),
    ("02903 831 234", "02903831234"), ("0084912345678", "0912345678"), ("0356 789 012", "0356789012"),
])
def test_phone_accepts(raw, expected):
    assert parse_phone(raw) == (expected, None)


@pytest.mark.parametrize("old, new", [
    ("0168 123 4567", "038 123 4567"), ("01251234567", "085 123 4567"), ("0162 111 2222", "032 111 2222"),
    ("0120 111 2222", "070 111 2222"), ("0121 111 2222", "079 111 2222"), ("0122 111 2222", "077 111 2222"),
    ("0126 111 2222", "076 111 2222"), ("0128 111 2222", "078 111 2222"), ("0123 111 2222", "083 111 2222"),
    ("0124 111 2222", "084 111 2222"), ("0127 111 2222", "081 111 2222"), ("0129 111 2222", "082 111 2222"),
    ("0186 111 2222", "056 111 2222"), ("0188 111 2222", "058 111 2222"), ("0199 111 2222", "059 111 2222"),
    ("0169 111 2222", "039 111 2222"),
])
def test_phone_old_prefix_gives_new_number(old, new):
    value, problem = parse_phone(old)
    assert value is None
    assert problem.code == "old_phone_prefix"
    assert problem.param_dict()["suggestion"] == new


@pytest.mark.parametrize("raw, code", [
    ("12345", "invalid_phone"), ("0112345678", "invalid_phone"), ("abc", "invalid_phone"),
    ("9.12E+8", "scientific_notation"), ("0912345678 - 0987654321", "invalid_phone"), (True, "invalid_phone"),
])
def test_phone_rejects(raw, code):
    assert parse_phone(raw)[1].code == code


@pytest.mark.parametrize("raw, expected", [
    ("096310012345", "096310012345"), (96210012345, "096210012345"), (96210012345.0, "096210012345"),
    ("96210012345.0", "096210012345"), ("0962 1001 2345", "096210012345"), ("'096210012345", "096210012345"),
    ("381234567", "381234567"), (81234567, "081234567"),
])
def test_national_id_accepts(raw, expected):
    assert parse_national_id(raw) == (expected, None)


@pytest.mark.parametrize("raw, code", [
    ("9.6121E+11", "scientific_notation"), ("12345", "invalid_national_id"), ("09621001234X", "invalid_national_id"),
    (1.5, "invalid_national_id"),
])
def test_national_id_rejects(raw, code):
    assert parse_national_id(raw)[1].code == code


def test_national_id_scientific_cell_marker():
    assert special_problem(Scientific(961210000000.0, "9.61E+11")).code == "scientific_notation"


@pytest.mark.parametrize("raw, expected", [
    ("Có", True), ("có", True), ("co", True), ("x", True), ("X", True), (True, True), (1, True), ("1", True),
    ("Không", False), ("khong", False), (False, False), (0, False), ("0", False), ("TRUE", True), ("FALSE", False),
])
def test_yes_no(raw, expected):
    assert parse_yes_no(raw) == (expected, None)


def test_yes_no_rejects_other_text():
    assert parse_yes_no("có lẽ")[1].code == "invalid_yes_no"


@pytest.mark.parametrize("raw, expected", [
    ("nguyễn thị lan", "Nguyễn Thị Lan"), ("  TRẦN   VĂN  BÌNH ", "Trần Văn Bình"),
    ("Trần\u00a0Văn\tBình", "Trần Văn Bình"), ("Lê\nThị Thắm", "Lê Thị Thắm"), ("Lê\u200b Thị Th\u200bắm", "Lê Thị Thắm"),
])
def test_person_name_normalised(raw, expected):
    assert parse_person_name(raw) == (expected, None)


@pytest.mark.parametrize("raw", ["Lan", "Nguyễn Văn 2", "#N/A!", 123, "Ng. Văn A"])
def test_person_name_rejects(raw):
    assert parse_person_name(raw)[1].code == "invalid_person_name"


def test_text_is_nfc_and_collapsed():
    decomposed = "Tra\u0302\u0300n  Va\u0306n"
    assert parse_text(decomposed) == ("Trần Văn", None)
    assert parse_text(123.0) == ("123", None)


@pytest.mark.parametrize("raw, ok", [
    ("https://www.facebook.com/tuoitre", True), ("http://tinhdoan.camau.vn/bai-viet", True),
    ("www.facebook.com/tuoitre", False), ("facebook", False), ("https://", False),
])
def test_url(raw, ok):
    value, problem = parse_url(raw)
    assert (problem is None) is ok


def test_url_suggests_scheme():
    assert parse_url("www.facebook.com/tuoitre")[1].param_dict()["suggestion"] == "https://www.facebook.com/tuoitre"


def test_choice_matching():
    matcher = ChoiceMatcher(("Chưa qua đào tạo", "Đại học trở lên"), {"Đại học": "Đại học trở lên"})
    assert matcher.parse("dai hoc tro len") == ("Đại học trở lên", None)
    assert matcher.parse("  ĐẠI  HỌC TRỞ LÊN ") == ("Đại học trở lên", None)
    assert matcher.parse("Đại học") == ("Đại học trở lên", None)
    assert matcher.parse("Cao học")[1].code == "invalid_choice"


def test_choice_tone_placement_equal():
    matcher = ChoiceMatcher(("Hòa Thành",))
    assert matcher.parse("Hoà Thành") == ("Hòa Thành", None)
    assert exact_key("Thuỷ") == exact_key("Thủy")
    assert exact_key("Hoá") == exact_key("Hóa")


def test_commune_matching_for_unit():
    matcher = CommuneMatcher(load_config(), "DAMDOI")
    assert matcher.parse("Tân Thuận") == ("Xã Tân Thuận", None)
    assert matcher.parse("xã tân thuận") == ("Xã Tân Thuận", None)
    assert matcher.parse("TT Đầm Dơi") == ("Thị trấn Đầm Dơi", None)
    assert matcher.parse("Thị trấn Đầm Dơi") == ("Thị trấn Đầm Dơi", None)
    assert matcher.parse("Xã Không Tồn Tại")[1].code == "unknown_commune"
    assert matcher.parse("Khánh An")[1].code == "commune_of_other_unit"


def test_commune_numbered_ward():
    matcher = CommuneMatcher(load_config(), "TPCM")
    assert matcher.parse("P9") == ("Phường 9", None)
    assert matcher.parse("Phường 9") == ("Phường 9", None)
    assert matcher.parse("9") == ("Phường 9", None)


def test_province_unit_accepts_any_commune():
    matcher = CommuneMatcher(load_config(), "TINH")
    assert matcher.parse("Tân Thuận") == ("Xã Tân Thuận", None)


def test_header_key_ignores_marks():
    assert header_key("\ufeffVị trí\u00a0") == header_key("Vị trí")
    assert header_key("Họ và  tên *") == header_key("họ và tên")
    assert loose_key("Giá trị (VNĐ)") == "gia tri vnd"


def test_clean_text_removes_invisible():
    assert clean_text("Nguyễn\u200b Văn\u00a0\u00a0An\r\n") == "Nguyễn Văn An"


def test_formula_error_marker():
    assert special_problem(FormulaError("#REF!")).code == "formula_error"
    for text in ("#N/A", "#VALUE!", "#DIV/0!", "#NAME?"):
        assert special_problem(text).code == "formula_error"


_ANY_CELL = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-10**16, max_value=10**16),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=40),
    st.dates(min_value=D(1800, 1, 1), max_value=D(2200, 12, 31)),
    st.datetimes(min_value=dt.datetime(1800, 1, 1), max_value=dt.datetime(2200, 1, 1)),
    st.from_regex(r"[0-9 .,()+đkK-]{0,16}(triệu|tr|nghìn|đ|VNĐ)?", fullmatch=True),
    st.from_regex(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{1,5}", fullmatch=True),
)


@settings(max_examples=300, deadline=None)
@given(_ANY_CELL)
def test_parsers_never_raise(raw):
    matcher = ChoiceMatcher(("Nam", "Nữ"))
    communes = CommuneMatcher(load_config(), "DAMDOI")
    for parse in (parse_money, parse_date, parse_month, parse_phone, parse_national_id, parse_yes_no,
                  parse_integer, parse_person_name, parse_text, parse_url, matcher.parse, communes.parse):
        value, problem = parse(raw)
        assert (value is None) or (problem is None) or problem.severity == "warning"

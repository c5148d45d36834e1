"""Matching seekers and openings on a small hand-built set whose right ranking is known."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from dashboard import matching
from sync.model import RowRecord

TODAY = dt.date(2022, 6, 1)


def _opening(unit, row, trade, position, kind="Dài hạn", minimum=None, closes=None, places=5, error=False):
    return RowRecord(unit=unit, tab="job_openings", row=row, has_error=error, values={
        "employer": f"Công ty {unit} {row}", "trade": trade, "position": position, "openings": places,
        "job_kind": kind, "min_education": minimum, "closes_on": closes, "contact_phone": "0290123456"})


def _seeker(unit, row, need="Tìm việc làm", trade="may công nghiệp", education="Trung cấp", status="Đang tìm"):
    return RowRecord(unit=unit, tab="job_seekers", row=row, values={
        "full_name": f"Người {unit} {row}", "birth_year": 2001, "phone": f"09120000{row:02d}", "need": need,
        "desired_trade": trade, "education": education, "status": status, "registered_on": "2022-05-01"})


@pytest.fixture
def ctx(config, schema):
    return matching.context_from_config(config, schema)


SAME_DISTRICT_SEWING = _opening("DAMDOI", 2, "May mặc", "Công nhân may công nghiệp")
NEIGHBOUR_SEWING = _opening("CAINUOC", 2, "May mặc", "Công nhân may công nghiệp")
FAR_SEWING = _opening("UMINH", 2, "May mặc", "Công nhân may công nghiệp")
SAME_DISTRICT_SEAFOOD = _opening("DAMDOI", 3, "Chế biến thủy sản", "Công nhân chế biến")
PROVINCE_SEWING = _opening("TINH", 2, "May mặc", "Công nhân may công nghiệp")
ABROAD = _opening("DAMDOI", 4, "Chế biến thực phẩm", "Thực tập sinh Nhật Bản", kind="Xuất khẩu lao động")
NEEDS_DEGREE = _opening("DAMDOI", 5, "May mặc", "Quản lý chuyền may", minimum="Đại học trở lên")
CLOSED = _opening("DAMDOI", 6, "May mặc", "Công nhân may", closes="2022-05-31")
WITH_ERROR = _opening("DAMDOI", 7, "May mặc", "Công nhân may", error=True)
TRAINING = _opening("NAMCAN", 2, "Điện dân dụng", "Học nghề điện dân dụng, có việc sau đào tạo", kind="Ngắn hạn")
ALL_OPENINGS = [SAME_DISTRICT_SEWING, NEIGHBOUR_SEWING, FAR_SEWING, SAME_DISTRICT_SEAFOOD, PROVINCE_SEWING, ABROAD,
                NEEDS_DEGREE, CLOSED, WITH_ERROR, TRAINING]


def test_neighbours_symmetric(ctx):
    assert "CAINUOC" in ctx.neighbours["DAMDOI"]
    assert "DAMDOI" in ctx.neighbours["CAINUOC"]
    assert "UMINH" not in ctx.neighbours["DAMDOI"]
    assert set(ctx.neighbours["NGOCHIEN"]) == {"NAMCAN"}


def test_open_openings_drop_closed_and_errors():
    kept = matching.open_openings(ALL_OPENINGS, TODAY)
    assert CLOSED not in kept
    assert WITH_ERROR not in kept
    assert SAME_DISTRICT_SEWING in kept
    assert matching.open_openings([CLOSED], dt.date(2022, 5, 31)) == [CLOSED]


def test_trade_similarity_ignores_diacritics():
    score, shared = matching.trade_similarity("MAY CONG NGHIEP", "Công nhân may công nghiệp")
    assert shared == {"may", "nghiep"}
    assert score == 1.0
    assert matching.trade_similarity("may", "Công nhân may")[1] == {"may"}
    score, shared = matching.trade_similarity("May Công Nghiệp", "công nhân may công nghiệp")
    assert shared == {"may", "nghiệp"}
    assert score == 1.0
    assert matching.trade_similarity("cơ khí", "Học nghề, có việc sau đào tạo")[0] == 0.0
    assert matching.trade_similarity("cơ khí", "Công nhân may")[0] == 0.0
    assert matching.trade_similarity("", "may")[0] == 0.0


def test_seeker_ranking_known_order(ctx):
    seeker = _seeker("DAMDOI", 2)
    ranked = matching.openings_for_seeker(seeker, matching.open_openings(ALL_OPENINGS, TODAY), ctx, limit=10)
    assert [s.opening for s in ranked] == [SAME_DISTRICT_SEWING, NEIGHBOUR_SEWING, PROVINCE_SEWING, FAR_SEWING,
                                          SAME_DISTRICT_SEAFOOD]
    assert ranked[0].reasons[1].startswith("Cùng địa bàn")
    assert ranked[1].reasons[1].startswith("Địa bàn giáp ranh")
    assert "trùng: may, nghiệp" in ranked[0].reasons[2]


def test_education_below_minimum_excluded(ctx):
    ranked = matching.openings_for_seeker(_seeker("DAMDOI", 2, education="Trung cấp"), [NEEDS_DEGREE], ctx)
    assert ranked == []
    graduate = _seeker("DAMDOI", 3, education="Đại học trở lên")
    ranked = matching.openings_for_seeker(graduate, [NEEDS_DEGREE], ctx)
    assert [s.opening for s in ranked] == [NEEDS_DEGREE]
    assert "Đáp ứng trình độ tối thiểu (Đại học trở lên)" in ranked[0].reasons


def test_export_need_matches_only_export(ctx):
    seeker = _seeker("UMINH", 2, need="Xuất khẩu lao động", trade="")
    ranked = matching.openings_for_seeker(seeker, matching.open_openings(ALL_OPENINGS, TODAY), ctx)
    assert [s.opening for s in ranked] == [ABROAD]
    assert ranked[0].reasons[0] == "Đúng nhu cầu xuất khẩu lao động"


def test_training_need_matches_training_openings(ctx):
    seeker = _seeker("NGOCHIEN", 2, need="Học nghề", trade="điện")
    ranked = matching.openings_for_seeker(seeker, matching.open_openings(ALL_OPENINGS, TODAY), ctx)
    assert [s.opening for s in ranked] == [TRAINING]
    job_seeker = _seeker("NAMCAN", 3, need="Tìm việc làm", trade="điện dân dụng")
    assert TRAINING not in [s.opening for s in matching.openings_for_seeker(job_seeker, [TRAINING], ctx)]


def test_best_seekers_for_opening(ctx):
    near = _seeker("CAINUOC", 2)
    same = _seeker("DAMDOI", 2)
    other_trade = _seeker("DAMDOI", 3, trade="cơ khí")
    placed = _seeker("DAMDOI", 4, status="Đã có việc làm")
    seekers = matching.active_seekers([near, same, other_trade, placed])
    assert placed not in seekers
    ranked = matching.seekers_for_opening(SAME_DISTRICT_SEWING, seekers, ctx)
    assert [s.seeker for s in ranked] == [same, near, other_trade]


def test_unit_sees_only_own_seekers():
    rows = [_seeker("DAMDOI", 2), _seeker("NAMCAN", 2)]
    assert [r.unit for r in matching.active_seekers(rows, ("DAMDOI",))] == ["DAMDOI"]
    assert len(matching.active_seekers(rows, None)) == 2


def test_export_xlsx_both_tables(ctx):
    seekers = [_seeker("DAMDOI", 2), _seeker("DAMDOI", 3, trade="cơ khí", need="Học nghề")]
    openings = [o for o in matching.open_openings(ALL_OPENINGS, TODAY) if o is not TRAINING]
    by_seeker, by_opening = matching.match_all(seekers, openings, ctx, limit=3)
    data = matching.export_xlsx(matching.seeker_table(by_seeker, seekers, ctx),
                                matching.opening_table(by_opening, openings, ctx))
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["Theo thanh niên", "Theo tin tuyển dụng"]
    first = list(workbook["Theo thanh niên"].values)
    assert first[0] == matching.SEEKER_TABLE_HEADERS
    assert len(first) == 1 + 3 + 1
    assert first[1][4] == "0912000002"
    assert first[-1][-1] == "Chưa có tin tuyển dụng phù hợp"


# ---------------------------------------------------------------- the staff page

def _matching_page(store_path: str, role: str, unit: str | None) -> None:
    import datetime as dt
    from types import SimpleNamespace

    from dashboard.pages_matching import render

    account = SimpleNamespace(role=role, unit=unit,
                              personal_units=None if role == "province" else (unit,))
    render(account, store_path=store_path, today=dt.date(2022, 6, 1))


@pytest.fixture
def matching_store(tmp_path):
    from sync.store import Store, UnitSnapshot

    path = tmp_path / "store.sqlite3"
    with Store(path) as store:
        store.record_run("2022-05-30T01:00:00+00:00", [
            UnitSnapshot(unit="DAMDOI", backend="xlsx", location="", status="read",
                         rows=[SAME_DISTRICT_SEWING, _seeker("DAMDOI", 2)]),
            UnitSnapshot(unit="NAMCAN", backend="xlsx", location="", status="read",
                         rows=[_seeker("NAMCAN", 3)]),
        ])
    return str(path)


@pytest.mark.parametrize("role, unit, shown, hidden", [
    ("unit", "DAMDOI", "Người DAMDOI 2", "Người NAMCAN 3"),
    ("province", None, "Người NAMCAN 3", None),
])
def test_matching_page_scopes_seekers(matching_store, role, unit, shown, hidden):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_matching_page, args=(matching_store, role, unit), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    tables = "\n".join(frame.value.to_string() for frame in at.dataframe)
    assert shown in tables
    if hidden:
        assert hidden not in tables
    assert "Công ty DAMDOI 2" in tables
    assert len(at.get("download_button")) == 1

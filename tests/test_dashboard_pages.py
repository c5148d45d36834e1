"""Every dashboard page through Streamlit's AppTest, logged in with the local demo accounts.

Also proves that a unit account never receives another unit's names, phones or ID
numbers: every element the app sends (its protobuf bytes, dataframes included) is
searched, for every page and every unit filter.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard import auth
from tests.e2e.dataset import PERSONAL, build_store

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"
PAGES = {
    "views/overview.py": "Tổng quan",
    "views/school.py": "Kết nối đến trường",
    "views/jobs.py": "Kết nối việc làm",
    "views/matching.py": "Gợi ý kết nối việc làm",
    "views/housing.py": "Kết nối an cư",
    "views/outreach.py": "Tuyên truyền và nguồn lực",
    "views/quality.py": "Chất lượng dữ liệu",
    "views/unit.py": "Đơn vị",
    "views/report.py": "Báo cáo tổng kết",
}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("dashboard")
    (folder / "var").mkdir()
    build_store(folder / "var" / "ketnoi.sqlite3")
    return folder


@pytest.fixture(autouse=True)
def dashboard_env(monkeypatch, data_dir):
    monkeypatch.setenv("KETNOI_DATA_DIR", str(data_dir))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def logged_in(username: str, **state) -> AppTest:
    app = AppTest.from_file(str(APP), default_timeout=60)
    app.session_state["auth_user"] = username
    for key, value in state.items():
        app.session_state[key] = value
    return app.run()


def wire_bytes(app: AppTest) -> bytes:
    """Concatenate the serialised protobuf of every element the script produced."""
    chunks = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "SerializeToString"):
            chunks.append(proto.SerializeToString())
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(app._tree)
    return b"".join(chunks)


def personal_values(*units: str) -> list[str]:
    return [value for unit in units for kind in ("names", "phones", "ids") for value in PERSONAL[unit][kind]]


@pytest.mark.parametrize(("page", "title"), PAGES.items())
def test_page_renders_for_province(page, title):
    app = logged_in("tinhdoan")
    app.switch_page(page).run()
    assert not app.exception
    assert app.title[0].value.startswith(title)
    captions = " ".join(c.value for c in app.caption)
    assert "Cập nhật lúc 08:00 ngày 09/09/2022" in captions


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_for_unit_account(page):
    app = logged_in("damdoi")
    app.switch_page(page).run()
    assert not app.exception


def test_failing_unit_shows_last_good_read():
    app = logged_in("tinhdoan")
    warnings = " ".join(w.value for w in app.warning)
    assert "Huyện đoàn Phú Tân" in warnings
    assert "gần nhất lúc 08:00 ngày 05/09/2022" in warnings


def test_overview_cards_show_targets():
    app = logged_in("tinhdoan")
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Ngày hội việc làm cấp tỉnh"] == "1/1"
    assert metrics["Nhà do cấp tỉnh xây dựng, sửa chữa đã bàn giao"] == "2/2 căn"
    assert metrics["Nguồn lực vận động"] == "160.000.000 đ"


def test_school_page_lists_communes_without_team():
    app = logged_in("tinhdoan", filter_unit="DAMDOI")
    app.switch_page("views/school.py").run()
    text = " ".join(m.value for m in app.markdown)
    assert "Xã Tân Tiến, Xã Thanh Tùng, Xã Ngọc Chánh, Xã Nguyễn Huân" in text


def test_province_lists_mask_id_numbers():
    app = logged_in("tinhdoan")
    app.switch_page("views/school.py").run()
    wire = wire_bytes(app)
    assert "Lê Thị Bình".encode() in wire
    assert b"0962******45" in wire
    assert b"096212345645" not in wire


def test_filters_come_from_query_params():
    app = AppTest.from_file(str(APP), default_timeout=60)
    app.session_state["auth_user"] = "tinhdoan"
    app.query_params["unit"] = "NAMCAN"
    app.query_params["from"] = "2022-05"
    app.query_params["to"] = "2022-08"
    app.run()
    assert app.selectbox(key="filter_unit").value == "NAMCAN"
    assert app.select_slider(key="filter_months").value == ("2022-05", "2022-08")
    captions = " ".join(c.value for c in app.caption)
    assert "Huyện đoàn Năm Căn, từ tháng 5/2022 đến tháng 8/2022" in captions


def test_changing_filter_updates_query_params():
    app = logged_in("tinhdoan")
    app.selectbox(key="filter_unit").set_value("DAMDOI").run()
    app.selectbox(key="filter_strand").set_value("jobs").run()
    assert app.query_params["unit"] == "DAMDOI"
    assert app.query_params["strand"] == "jobs"
    titles = [s.value for s in app.subheader]
    assert "Kết nối việc làm" in titles
    assert "Kết nối an cư" not in titles


def test_logged_out_sees_only_login_form():
    app = AppTest.from_file(str(APP), default_timeout=60).run()
    assert [b.label for b in app.button] == ["Đăng nhập"]
    assert [t.label for t in app.text_input] == ["Tên đăng nhập", "Mật khẩu"]
    assert not app.dataframe
    assert not app.metric
    assert not app.sidebar.children or not app.sidebar.selectbox
    wire = wire_bytes(app)
    for value in personal_values("DAMDOI", "NAMCAN", "TINH"):
        assert value.encode() not in wire


@pytest.mark.parametrize("page", PAGES)
def test_logged_out_cannot_switch_to_page(page):
    app = AppTest.from_file(str(APP), default_timeout=60).run()
    app.switch_page(page).run()
    assert [t.value for t in app.title] == ['Chương trình "3 Kết nối" năm 2022']
    assert [b.label for b in app.button] == ["Đăng nhập"]
    assert not app.metric
    assert not app.dataframe


def test_login_form_accepts_demo_password():
    app = AppTest.from_file(str(APP), default_timeout=60).run()
    app.text_input[0].input("damdoi")
    app.text_input[1].input("demo-damdoi")
    app.button[0].click().run()
    assert app.session_state["auth_user"] == "damdoi"
    assert app.title[0].value == "Tổng quan"


def test_login_form_rejects_wrong_password():
    app = AppTest.from_file(str(APP), default_timeout=60).run()
    app.text_input[0].input("damdoi")
    app.text_input[1].input("sai-mat-khau")
    app.button[0].click().run()
    assert "auth_user" not in app.session_state
    assert "không đúng" in app.error[0].value
    assert not app.metric


def test_logout_returns_to_login():
    app = logged_in("tinhdoan")
    next(b for b in app.button if b.label == "Đăng xuất").click().run()
    assert "auth_user" not in app.session_state
    assert [t.label for t in app.text_input] == ["Tên đăng nhập", "Mật khẩu"]


@pytest.mark.parametrize("unit_filter", ["", "DAMDOI", "NAMCAN", "TINH", "PHUTAN"])
@pytest.mark.parametrize("page", PAGES)
def test_unit_account_never_receives_other_units_personal_data(page, unit_filter):
    app = logged_in("damdoi", filter_unit=unit_filter)
    app.switch_page(page).run()
    assert not app.exception
    wire = wire_bytes(app)
    for value in personal_values("NAMCAN", "TINH"):
        assert value.encode() not in wire, f"{value} reached a DAMDOI account on {page}"


def test_unit_account_sees_own_personal_data():
    app = logged_in("damdoi")
    app.switch_page("views/jobs.py").run()
    assert "Lâm Thị Yến".encode() in wire_bytes(app)


def test_unit_account_report_choices():
    app = logged_in("damdoi")
    app.switch_page("views/report.py").run()
    box = next(b for b in app.selectbox if b.label == "Báo cáo cho")
    assert box.options == ["Toàn tỉnh (Cà Mau)", "Huyện đoàn Đầm Dơi"]
    assert app.get("download_button")


@pytest.fixture
def oidc_config(tmp_path, monkeypatch):
    """A copy of the configuration with auth.mode oidc and e-mail addresses on two accounts."""
    folder = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, folder)
    programme = folder / "programme.yaml"
    programme.write_text(programme.read_text(encoding="utf-8").replace("mode: local", "mode: oidc"),
                         encoding="utf-8")
    digest = auth.hash_password("unused")
    (folder / "accounts.yaml").write_text(
        "accounts:\n"
        f"  - {{username: tinhdoan, role: province, email: lanhdao@tinhdoan.example, password_hash: '{digest}'}}\n"
        f"  - {{username: damdoi, role: unit, unit: DAMDOI, email: damdoi@tinhdoan.example}}\n", encoding="utf-8")
    monkeypatch.setenv("KETNOI_CONFIG", str(folder))
    return folder


def test_oidc_mode_logged_out_shows_login_button(oidc_config):
    app = AppTest.from_file(str(APP), default_timeout=60)
    app.user = {"is_logged_in": False}
    app.run()
    assert [b.label for b in app.button] == ["Đăng nhập"]
    assert not app.text_input
    assert not app.metric


def test_oidc_mode_maps_email_claim_to_role(oidc_config):
    app = AppTest.from_file(str(APP), default_timeout=60)
    app.user = {"is_logged_in": True, "email": "DamDoi@tinhdoan.example", "name": "Cán bộ Đầm Dơi"}
    app.run()
    assert not app.exception
    assert app.title[0].value == "Tổng quan"
    assert app.selectbox(key="filter_unit").value == "DAMDOI"


def test_oidc_mode_rejects_unknown_email(oidc_config):
    app = AppTest.from_file(str(APP), default_timeout=60)
    app.user = {"is_logged_in": True, "email": "nguoi.la@example.com"}
    app.run()
    assert "chưa được cấp quyền" in app.error[0].value
    assert [b.label for b in app.button] == ["Đăng xuất"]
    assert not app.metric

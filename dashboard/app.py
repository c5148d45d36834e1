"""Entry point of the leaders' dashboard: ``streamlit run dashboard/app.py``.

A logged-out browser gets only the login form. Before login the pages are
registered with a hidden navigation, so a shared link to a page and its filters
opens that page after login. No page script runs before login, so no chart, table
or download exists until then.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Streamlit puts this file's folder on sys.path; the packages live one level up.
REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import streamlit as st  # noqa: E402

from dashboard import ui  # noqa: E402

VIEWS = Path(__file__).resolve().parent / "views"
PAGES = (
    ("overview.py", "Tổng quan", "tong-quan", ":material/dashboard:"),
    ("school.py", "Kết nối đến trường", "den-truong", ":material/school:"),
    ("jobs.py", "Kết nối việc làm", "viec-lam", ":material/work:"),
    ("matching.py", "Gợi ý kết nối việc làm", "goi-y-viec-lam", ":material/handshake:"),
    ("housing.py", "Kết nối an cư", "an-cu", ":material/home:"),
    ("outreach.py", "Tuyên truyền và nguồn lực", "tuyen-truyen-nguon-luc", ":material/campaign:"),
    ("quality.py", "Chất lượng dữ liệu", "chat-luong-du-lieu", ":material/rule:"),
    ("unit.py", "Đơn vị", "don-vi", ":material/apartment:"),
    ("report.py", "Báo cáo", "bao-cao", ":material/download:"),
)

st.set_page_config(page_title="3 Kết nối – Bảng theo dõi", page_icon=":material/hub:", layout="wide")

pages = [st.Page(str(VIEWS / file), title=title, url_path=path, icon=icon, default=index == 0)
         for index, (file, title, path, icon) in enumerate(PAGES)]
account = ui.current_account()
if account is None:
    st.navigation(pages, position="hidden")
    st.stop()

st.session_state["account"] = account
navigation = st.navigation(pages)
with st.sidebar:
    role = "Tỉnh đoàn (xem toàn tỉnh)" if account.role == "province" else "Đơn vị"
    st.caption(f"Đăng nhập: **{account.display_name}** · {role}")
    if st.button("Đăng xuất", icon=":material/logout:"):
        ui.logout()
st.session_state["filters"] = ui.sidebar_filters(account)
navigation.run()

"""Layout of the public page: the job board, then the registration form."""

from __future__ import annotations

from typing import Any, Callable

import streamlit as st

from dashboard.public import board, form
from sheets_schema.config import load_config
from sheets_schema.schema import load_schema
from sync.registration import Registrar, current_date

TITLE = "Việc làm thanh niên Cà Mau"


def main(google_client_factory: Callable[[], Any] | None = None) -> None:
    """Draw the page. ``google_client_factory`` returns a gspread client for units on Google
    Sheets (default: the service account from the environment)."""
    st.set_page_config(page_title=TITLE, page_icon=":material/work:", layout="centered")
    config = load_config()
    schema = load_schema()
    today = current_date(config.timezone)
    registrar = Registrar(config, schema, google_client_factory=google_client_factory)
    st.title(TITLE)
    st.caption("Chương trình «3 Kết nối» năm 2022 của Tỉnh đoàn Cà Mau: kết nối thanh niên với doanh nghiệp, "
               "cơ sở đào tạo nghề và đơn vị xuất khẩu lao động.")
    jobs, registration = st.tabs(["Tin tuyển dụng", "Đăng ký tìm việc"])
    with jobs:
        board.render(config, config.store_path, today)
    with registration:
        form.render(config, schema, registrar, config.store_path, today)

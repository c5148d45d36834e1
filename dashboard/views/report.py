"""Báo cáo: download the end-of-programme summary (.xlsx) for one unit or the province."""

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from dashboard import ui
from dashboard.formatting import format_date, format_number, format_percent
from dashboard.report import build_report, report_sections

ui.page_header("Báo cáo tổng kết")
cfg = ui.config()
viewer = ui.account()
names = ui.unit_names()
deadline = next((d for d in cfg.deadlines if d.key == "final_report"), None)
if deadline:
    st.info(f"{deadline.label}: {format_date(deadline.date)}.")

options = [""] + ([u.code for u in cfg.units] if viewer.role == "province" else [viewer.unit])
default = ui.filters().unit
if default not in options:
    default = "" if viewer.role == "province" else viewer.unit
scope_unit = st.selectbox("Báo cáo cho", options, index=options.index(default),
                          format_func=lambda code: names.get(code, f"Toàn tỉnh ({cfg.province_name})"))
unit = scope_unit or None
st.caption("Báo cáo chỉ gồm số liệu tổng hợp, không có họ tên, số điện thoại hay số định danh.")

data = ui.snapshot()
today = dt.datetime.now(ZoneInfo(cfg.timezone)).date()


@st.cache_data(max_entries=32, show_spinner="Đang lập báo cáo…")
def report_bytes(store_path: str, run_id: int, unit_code: str | None, day: dt.date) -> bytes:
    return build_report(ui._snapshot(store_path, run_id), cfg, unit_code, today=day)


path = str(cfg.store_path)
payload = report_bytes(path, data.run_id, unit, today)
file_name = f"bao-cao-tong-ket-3-ket-noi-{(unit or 'toan-tinh').lower()}-{today:%Y%m%d}.xlsx"
st.caption(f"Tệp: {file_name}")
st.download_button("Tải xuống báo cáo (.xlsx)", payload, file_name=file_name, type="primary",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", icon=":material/download:")

@st.cache_data(max_entries=32, show_spinner=False)
def preview(store_path: str, run_id: int, unit_code: str | None) -> list[tuple[str, pd.DataFrame]]:
    sections = []
    for title, lines in report_sections(ui._snapshot(store_path, run_id), cfg, unit_code):
        decimals = [1 if line.unit_label == "%" else 0 for line in lines]
        sections.append((title, pd.DataFrame({
            "Nội dung, chỉ tiêu": [line.label for line in lines],
            "Đơn vị tính": [line.unit_label for line in lines],
            "Chỉ tiêu": [format_number(line.target, d) if line.target is not None else "" for line, d in
                         zip(lines, decimals)],
            "Kết quả": [format_number(line.result, d) for line, d in zip(lines, decimals)],
            "Tỷ lệ": [format_percent(line.percent) if line.percent is not None else "" for line in lines],
            "Ghi chú": [line.note for line in lines]})))
    return sections


st.header("Xem trước")
for number, (title, frame) in enumerate(preview(path, data.run_id, unit), start=1):
    st.subheader(f"{number}. {title}")
    st.dataframe(frame, hide_index=True, width="stretch")

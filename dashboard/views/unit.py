"""Đơn vị: one unit in full (its own targets, data state, every tab and its open issues)."""

import pandas as pd
import streamlit as st

from dashboard import ui
from dashboard.formatting import format_datetime, format_number, format_percent
from sheets_schema import load_schema

chosen = ui.filters()
viewer = ui.account()
cfg = ui.config()
names = ui.unit_names()
code = chosen.unit or viewer.unit or cfg.province_unit
ui.page_header(f"Đơn vị: {names[code]}")
if not chosen.unit:
    st.caption("Chọn đơn vị ở bộ lọc bên trái để xem đơn vị khác.")
scope = ui.Scope(units=(code,), months=chosen.months)

st.header("Chỉ tiêu của đơn vị")
progress = ui.metric("metrics.unit_target_progress", scope)
if progress.empty:
    st.info("Đơn vị chưa có chỉ tiêu riêng trong cấu hình.")
else:
    columns = st.columns(min(len(progress), 5))
    for index, item in enumerate(progress.itertuples()):
        with columns[index % len(columns)].container(border=True):
            ui.progress_card(item.label, f"{format_number(item.result)}/{format_number(item.target)} {item.unit_label}",
                             item.percent)
sessions = ui.metric("metrics.job_session_progress", scope)
if not sessions.empty:
    row = sessions.iloc[0]
    st.metric("Tháng có phiên giao dịch việc làm định kỳ", f"{int(row['months_met'])}/{int(row['months'])}",
              help=f"Tỷ lệ {format_percent(row['percent'])}")
teams = ui.metric("metrics.communes_with_team", scope)
if not teams.empty:
    row = teams.iloc[0]
    st.metric("Xã, phường, thị trấn có đội hình", f"{int(row['with_team'])}/{int(row['communes'])}",
              help=f"Tỷ lệ {format_percent(row['share'])}")
    if row["missing"]:
        st.caption("Chưa có đội hình: " + ", ".join(row["missing"]))

st.header("Tình trạng bảng tính")
status = ui.metric("quality.workbook_status", scope)
if not status.empty:
    state = status.iloc[0]
    first, second = st.columns(2)
    first.metric("Số liệu thay đổi lần cuối", format_datetime(state["last_data_change_at"], cfg.timezone))
    second.metric("Đọc được lần cuối", format_datetime(state["last_good_read_at"], cfg.timezone))
    if state["failing"]:
        st.error(f"Lần đọc gần nhất không thành công: {state['last_error']}")

st.header("Số dòng theo trang tính")
data = ui.snapshot()
rows = []
for tab in load_schema().tabs:
    frame = data.tab(tab.key)
    own = frame[frame["unit"] == code]
    rows.append({"tab": tab.title, "rows": len(own), "valid": int((~own["has_error"]).sum()),
                 "errors": int(own["has_error"].sum()), "warnings": int(own["has_warning"].sum())})
ui.table(pd.DataFrame(rows), {"tab": ("Trang tính", "text"), "rows": ("Tổng số dòng", "number"),
                                 "valid": ("Dòng hợp lệ", "number"), "errors": ("Dòng có lỗi", "number"),
                                 "warnings": ("Dòng có cảnh báo", "number")})

st.header("Danh sách theo trang tính")
if viewer.can_see_personal(code):
    for tab in load_schema().tabs:
        ui.personal_list(tab.key, tab.name, unit=code)
    issues = ui.metric("quality.open_issues", ui.Scope(units=(code,)))
    st.header("Lỗi, cảnh báo chưa xử lý")
    if issues.empty:
        st.success("Đơn vị không có lỗi, cảnh báo nào chưa xử lý.")
    else:
        ui.issue_list(issues)
else:
    st.info("Tài khoản đơn vị chỉ xem được danh sách và nội dung lỗi của đơn vị mình; số liệu của đơn vị khác "
            "chỉ hiển thị dạng tổng hợp như trên.")

"""Chất lượng dữ liệu: open issues, weekly trend, time to fix, workbook states, completeness grids."""

import streamlit as st

from dashboard import charts, ui
from dashboard.formatting import format_duration_days, format_number, format_percent
from sheets_schema import load_schema

ui.page_header("Chất lượng dữ liệu")
chosen = ui.filters()
scope = ui.Scope(units=chosen.scope.units)
names = ui.unit_names()
titles = {tab.key: tab.title for tab in load_schema().tabs}
strand_tabs = {tab.key for tab in load_schema().tabs if not chosen.strand or tab.strand == chosen.strand}

issues = ui.metric("quality.open_issues", scope)
if chosen.strand:
    issues = issues[issues["tab"].isin(strand_tabs)]
errors = int((issues["severity"] == "error").sum())
warnings = int((issues["severity"] == "warning").sum())
median = ui.metric("quality.median_days_to_fix", scope)
first, second, third = st.columns(3)
first.metric("Lỗi chưa sửa", format_number(errors))
second.metric("Cảnh báo chưa xử lý", format_number(warnings))
third.metric("Thời gian sửa (trung vị)", format_duration_days(median),
             help="Từ lần đồng bộ đầu tiên phát hiện đến lần đồng bộ thấy đã sửa, tính trên các lỗi, cảnh báo đã sửa.")

st.header("Lỗi, cảnh báo chưa xử lý")
tab_unit, tab_tab, tab_code = st.tabs(["Theo đơn vị", "Theo trang tính", "Theo loại"])
with tab_unit:
    table = ui.metric("quality.open_issue_counts", scope, "unit")
    ui.table(table, {"unit": ("Đơn vị", "unit"), "errors": ("Lỗi", "number"), "warnings": ("Cảnh báo", "number")})
with tab_tab:
    table = ui.metric("quality.open_issue_counts", scope, "tab")
    table = table.assign(tab_title=table["tab"].map(lambda key: titles.get(key, "Cả bảng tính")))
    ui.table(table, {"tab_title": ("Trang tính", "text"), "errors": ("Lỗi", "number"),
                     "warnings": ("Cảnh báo", "number")})
with tab_code:
    table = ui.metric("quality.open_issue_counts", scope, "code")
    ui.table(table, {"code": ("Mã loại", "text"), "errors": ("Lỗi", "number"), "warnings": ("Cảnh báo", "number")})

st.header("Diễn biến theo tuần")
trend = ui.metric("quality.weekly_trend", scope)
if trend.empty:
    st.info("Chưa có lỗi, cảnh báo nào được ghi nhận.")
else:
    st.altair_chart(charts.weekly_lines(trend), width="stretch")
by_unit = ui.metric("quality.median_days_to_fix", scope, True)
if not by_unit.empty:
    by_unit = by_unit.assign(median_text=by_unit["median_days"].map(format_duration_days))
    ui.table(by_unit, {"unit": ("Đơn vị", "unit"), "resolved": ("Đã sửa", "number"),
                       "median_text": ("Thời gian sửa (trung vị)", "text")})

st.header("Tình trạng bảng tính của đơn vị")
status = ui.metric("quality.workbook_status", scope)
status = status.assign(state=status.apply(
    lambda r: "Chưa đọc được lần nào" if r["never_read"] else ("Đang lỗi, dùng số liệu lần đọc trước" if r["failing"]
                                                                else "Bình thường"), axis=1))
ui.table(status, {"unit": ("Đơn vị", "unit"), "state": ("Tình trạng", "text"),
                  "last_data_change_at": ("Số liệu thay đổi lần cuối", "datetime"),
                  "last_good_read_at": ("Đọc được lần cuối", "datetime"),
                  "last_error": ("Lỗi gần nhất", "text")})

st.header("Mức độ đầy đủ theo tháng")
months_scope = ui.Scope(units=scope.units, months=chosen.months)
sessions = ui.metric("quality.completeness_grid", months_scope, "job_sessions")
any_data = ui.metric("quality.completeness_grid", months_scope, "any")
st.subheader("Phiên giao dịch việc làm định kỳ (chỉ tiêu 1 phiên/tháng)")
if sessions.empty:
    st.info("Chỉ tiêu này không áp dụng cho đơn vị đang chọn.")
else:
    st.altair_chart(charts.grid_heatmap(sessions, names, "Số phiên"), width="stretch")
st.subheader("Có số liệu bất kỳ trong tháng")
st.altair_chart(charts.grid_heatmap(any_data, names, "Số dòng hợp lệ"), width="stretch")
filled = (any_data >= 1).to_numpy().sum()
st.caption(f"{format_number(filled)}/{format_number(any_data.size)} ô đơn vị – tháng có số liệu "
           f"({format_percent(100.0 * filled / any_data.size if any_data.size else 0)}). "
           "Trang «Kèm học» ghi theo học kỳ nên không tính vào bảng này.")

st.header("Danh sách lỗi, cảnh báo")
viewer = ui.account()
visible = issues if viewer.role == "province" else issues[issues["unit"] == viewer.unit]
if viewer.role != "province":
    st.caption("Tài khoản đơn vị chỉ xem được nội dung lỗi của đơn vị mình; đơn vị khác chỉ hiển thị số lượng.")
if visible.empty:
    st.success("Không có lỗi, cảnh báo nào chưa xử lý trong phạm vi đang chọn.")
else:
    ui.issue_list(visible)

"""Kết nối việc làm: job seekers, monthly job sessions against the target, the province job fair."""

import streamlit as st

from dashboard import charts, ui
from dashboard.formatting import format_number, format_percent

ui.page_header("Kết nối việc làm")
scope = ui.filters().scope
names = ui.unit_names()

st.header("Thanh niên có nhu cầu tìm việc")
seekers = ui.metric("metrics.job_seekers_by_unit", scope)
first, second, third = st.columns(3)
first.metric("Đã đăng ký", format_number(seekers["registered"].sum()))
second.metric("Đã có việc làm", format_number(seekers["placed"].sum()))
registered = seekers["registered"].sum()
third.metric("Tỷ lệ có việc làm", format_percent(100.0 * seekers["placed"].sum() / registered) if registered else "–")
ui.excluded_caption(int(seekers["excluded"].sum()))
active = seekers[(seekers["registered"] > 0) | (seekers["excluded"] > 0)]
if active.empty:
    st.info("Chưa có thanh niên đăng ký tìm việc trong phạm vi đang chọn.")
else:
    ui.table(active, {"unit": ("Đơn vị", "unit"), "registered": ("Đã đăng ký", "number"),
                      "referred": ("Đã giới thiệu", "number"), "placed": ("Đã có việc làm", "number"),
                      "trained": ("Đã học nghề", "number"), "placement_rate": ("Tỷ lệ có việc làm", "percent"),
                      "excluded": ("Dòng có lỗi chưa tính", "number")})
    long = active.melt(id_vars="unit", value_vars=["registered", "placed"], var_name="kind", value_name="value")
    long["kind"] = long["kind"].map({"registered": "Đã đăng ký", "placed": "Đã có việc làm"})
    long["unit_name"] = long["unit"].map(names)
    st.altair_chart(charts.bar(long, "unit_name", "value", "Đơn vị", "Số thanh niên", color="kind",
                               color_title="Chỉ số", tooltip=["unit_name", "kind", "value"]), width="stretch")
ui.monthly_chart(scope, "job_seekers", "Số thanh niên", title="Đăng ký tìm việc theo tháng")

st.header("Phiên giao dịch việc làm định kỳ hằng tháng")
target = ui.metric("metrics.job_session_target", scope)
ui.progress_card("Đơn vị – tháng đạt chỉ tiêu ít nhất 1 phiên", format_percent(target.result), target.percent)
ui.excluded_caption(target.excluded)
grid = ui.metric("metrics.job_session_grid", scope)
if grid.empty:
    st.info("Chỉ tiêu phiên giao dịch hằng tháng không áp dụng cho đơn vị đang chọn.")
else:
    st.altair_chart(charts.grid_heatmap(grid, names, "Số phiên"), width="stretch")
    progress = ui.metric("metrics.job_session_progress", scope)
    ui.table(progress, {"unit": ("Đơn vị", "unit"), "sessions": ("Số phiên định kỳ", "number"),
                        "months_met": ("Số tháng đạt", "number"), "months": ("Số tháng", "number"),
                        "percent": ("Tỷ lệ tháng đạt", "percent")})

st.header("Ngày hội việc làm cấp tỉnh")
fair = ui.metric("metrics.province_job_fair", scope)
ui.progress_card(fair.label, f"{format_number(fair.result)}/{format_number(fair.target)} {fair.unit_label}",
                 fair.percent)
sessions = ui.metric("metrics.job_sessions_by_unit", scope)
if not sessions.empty:
    ui.table(sessions, {"unit": ("Đơn vị", "unit"), "kind": ("Loại", "text"), "sessions": ("Số phiên", "number"),
                        "employers": ("Doanh nghiệp", "number"), "participants": ("Thanh niên tham gia", "number"),
                        "contracts": ("Hợp đồng ký kết", "number")})

st.header("Nhu cầu tuyển dụng và hỗ trợ thu hoạch")
openings = ui.metric("metrics.total", scope, "job_openings", "openings")
harvest = ui.metric("metrics.total", scope, "harvest_help", "households")
volunteers = ui.metric("metrics.total", scope, "harvest_help", "volunteers")
first, second, third = st.columns(3)
first.metric("Vị trí doanh nghiệp cần tuyển", format_number(openings.value))
second.metric("Hộ dân được hỗ trợ thu hoạch", format_number(harvest.value))
third.metric("Lượt đoàn viên, thanh niên tham gia", format_number(volunteers.value))
ui.excluded_caption(openings.excluded + harvest.excluded)
ui.personal_list("job_seekers", "Danh sách thanh niên đăng ký tìm việc")

"""Kết nối đến trường: teams per commune, tutoring loads, school programmes, scholarships."""

import streamlit as st

from dashboard import charts, ui
from dashboard.formatting import format_money, format_number, format_percent

ui.page_header("Kết nối đến trường")
scope = ui.filters().scope
names = ui.unit_names()

st.header("Đội hình kết nối đến trường")
progress = ui.metric("metrics.communes_with_team_progress", scope)
ui.progress_card(progress.label, format_percent(progress.result), progress.percent,
                 f"Chỉ tiêu {format_percent(progress.target, 0)}")
ui.excluded_caption(progress.excluded)
teams = ui.metric("metrics.communes_with_team", scope)
if teams.empty:
    st.info("Đơn vị đang chọn không có xã, phường, thị trấn trực thuộc.")
else:
    teams = teams.assign(unit_name=teams["unit"].map(names), share_text=teams["share"].map(format_percent),
                         missing_text=teams["missing"].map(lambda items: ", ".join(items)))
    left, right = st.columns([3, 2])
    with left:
        ui.table(teams, {"unit": ("Đơn vị", "unit"), "communes": ("Số xã, phường, thị trấn", "number"),
                         "with_team": ("Có đội hình", "number"), "share": ("Tỷ lệ", "percent"),
                         "missing_text": ("Chưa có đội hình", "text")})
    with right:
        st.altair_chart(charts.bar(teams, "unit_name", "share", "Đơn vị", "Tỷ lệ có đội hình (%)",
                                   tooltip=["unit_name", "share_text"]), width="stretch")
    with st.expander("Danh sách xã, phường, thị trấn chưa có đội hình"):
        for item in teams.itertuples():
            if item.missing:
                st.markdown(f"**{item.unit_name}** ({len(item.missing)}): {', '.join(item.missing)}")

st.header("Kèm học")
tutors = ui.metric("metrics.pupils_per_tutor", scope)
if tutors.empty:
    st.info("Chưa có dòng kèm học hợp lệ trong phạm vi đang chọn.")
else:
    ui.table(tutors, {"unit": ("Đơn vị", "unit"), "semester": ("Học kỳ", "text"), "tutors": ("Người kèm", "number"),
                      "pupils": ("Số em được kèm", "number"), "pupils_per_tutor": ("Bình quân em/người", "decimal"),
                      "max_per_tutor": ("Nhiều nhất em/người", "number"),
                      "tutors_over_limit": ("Người kèm vượt mức tối đa", "number")})

st.header("Chương trình tại điểm trường")
events = ui.metric("metrics.province_school_events", scope)
events_progress = ui.metric("metrics.province_school_events_progress", scope)
ui.progress_card(events_progress.label, f"{format_number(events_progress.result)}/"
                 f"{format_number(events_progress.target)} cấp học", events_progress.percent)
ui.excluded_caption(events_progress.excluded)
events = events.assign(status=events["met"].map({True: "Đã tổ chức", False: "Chưa tổ chức"}))
ui.table(events, {"school_level": ("Cấp học", "text"), "events": ("Số chương trình cấp tỉnh", "number"),
                  "pupils": ("Học sinh tham gia", "number"), "status": ("Tình trạng", "text")})
by_unit = ui.metric("metrics.school_events_by_unit", scope)
if not by_unit.empty:
    ui.table(by_unit, {"unit": ("Đơn vị", "unit"), "school_level": ("Cấp học", "text"),
                       "events": ("Số chương trình", "number"), "pupils": ("Học sinh", "number"),
                       "volunteers": ("Sinh viên hỗ trợ", "number"), "cost_vnd": ("Kinh phí", "money")})

st.header("Học bổng")
total = ui.metric("metrics.total", scope, "scholarships")
value = ui.metric("metrics.total", scope, "scholarships", "amount_vnd")
first, second = st.columns(2)
first.metric("Số suất học bổng", format_number(total.value))
second.metric("Tổng giá trị", format_money(value.value))
ui.excluded_caption(total.excluded)
by_circumstance = ui.metric("metrics.scholarships_by", scope, "circumstance")
by_level = ui.metric("metrics.scholarships_by", scope, "school_level")
left, right = st.columns(2)
for column, frame, key, title in ((left, by_circumstance, "circumstance", "Hoàn cảnh"),
                                  (right, by_level, "school_level", "Cấp học")):
    with column:
        st.subheader(f"Theo {title.lower()}")
        if frame.empty:
            st.info("Chưa có học bổng hợp lệ.")
            continue
        frame = frame.assign(value_text=frame["value_vnd"].map(format_money), count_text=frame["count"].map(format_number))
        st.altair_chart(charts.bar(frame, key, "count", title, "Số suất", tooltip=[key, "count_text", "value_text"]),
                        width="stretch")
        ui.table(frame, {key: (title, "text"), "count": ("Số suất", "number"), "value_vnd": ("Giá trị", "money")})
crosstab = ui.metric("metrics.scholarships_by_circumstance_and_level", scope)
if not crosstab.empty:
    st.subheader("Số suất theo hoàn cảnh và cấp học")
    st.dataframe(crosstab.rename_axis(index="Hoàn cảnh", columns="Cấp học"), width="stretch")
ui.monthly_chart(scope, "scholarships", "Số suất", title="Số suất học bổng theo tháng trao")
ui.personal_list("scholarships", "Danh sách học sinh nhận học bổng")
ui.personal_list("tutoring", "Danh sách người kèm học")

"""Tổng quan: one card per strand against its targets, and the units ranked."""

import streamlit as st

from dashboard import charts, ui
from dashboard.formatting import format_money, format_number, format_percent

ui.page_header("Tổng quan")
chosen = ui.filters()
scope = chosen.scope
cfg = ui.config()
totals = ui.metric("metrics.strand_totals", scope)
shown = [chosen.strand] if chosen.strand else list(ui.STRAND_PARAM_VALUES)

columns = st.columns(len(shown) if len(shown) < 3 else 3)
cards = []
if "school" in shown:
    def school() -> None:
        teams = ui.metric("metrics.communes_with_team_progress", scope)
        ui.progress_card(teams.label, format_percent(teams.result), teams.percent)
        events = ui.metric("metrics.province_school_events_progress", scope)
        ui.progress_card("Chương trình cấp tỉnh tại điểm trường",
                         f"{format_number(events.result)}/{format_number(events.target)} cấp học", events.percent)
        st.metric("Học bổng trao tặng", f"{format_number(totals['scholarships'].value)} suất",
                  help=f"Tổng giá trị {format_money(totals['scholarships_vnd'].value)}")
    cards.append((cfg.strands["school"], school))
if "jobs" in shown:
    def jobs() -> None:
        sessions = ui.metric("metrics.job_session_target", scope)
        ui.progress_card("Đơn vị – tháng có phiên giao dịch việc làm", format_percent(sessions.result), sessions.percent)
        fair = ui.metric("metrics.province_job_fair", scope)
        ui.progress_card(fair.label, f"{format_number(fair.result)}/{format_number(fair.target)}", fair.percent)
        st.metric("Thanh niên có việc làm / đăng ký",
                  f"{format_number(totals['placed'].value)} / {format_number(totals['job_seekers'].value)}")
    cards.append((cfg.strands["jobs"], jobs))
if "housing" in shown:
    def housing() -> None:
        houses = ui.metric("metrics.province_houses", scope)
        ui.progress_card("Nhà do cấp tỉnh xây dựng, sửa chữa đã bàn giao",
                         f"{format_number(houses.result)}/{format_number(houses.target)} căn", houses.percent)
        st.metric("Nhà đã bàn giao (toàn phạm vi)", f"{format_number(totals['houses_handed_over'].value)} căn",
                  help=f"Giá trị nhà mọi tình trạng {format_money(totals['houses_vnd'].value)}")
        st.metric("Suất ăn hỗ trợ", format_number(totals["meals"].value))
    cards.append((cfg.strands["housing"], housing))
if "outreach" in shown:
    def outreach() -> None:
        st.metric("Tin, bài tuyên truyền", format_number(totals["posts"].value))
        st.metric("Lượt tiếp cận", format_number(totals["reach"].value))
    cards.append((cfg.strands["outreach"], outreach))
if "resources" in shown:
    def resources() -> None:
        st.metric("Nguồn lực vận động", format_money(totals["funds_vnd"].value))
        ui.excluded_caption(totals["funds_vnd"].excluded)
    cards.append((cfg.strands["resources"], resources))

for index, (title, render) in enumerate(cards):
    with columns[index % len(columns)].container(border=True):
        st.subheader(title)
        render()

excluded = sum(total.excluded for key, total in totals.items() if not key.endswith("_vnd"))
ui.excluded_caption(excluded)

st.header("Xếp hạng đơn vị")
st.caption("Điểm là tỷ lệ hoàn thành bình quân các chỉ tiêu riêng của đơn vị và chỉ tiêu phiên giao dịch việc làm "
           "hằng tháng (mỗi chỉ tiêu tính tối đa 100 %).")
ranking = ui.metric("metrics.unit_ranking", ui.Scope(months=scope.months))
if ranking.empty:
    st.info("Chưa có chỉ tiêu nào được cấu hình cho các đơn vị.")
else:
    ranking = ranking.assign(unit_name=ranking["unit"].map(ui.unit_names()),
                             score_text=ranking["score"].map(format_percent))
    left, right = st.columns([2, 3])
    with left:
        ui.table(ranking, {"rank": ("Hạng", "number"), "unit": ("Đơn vị", "unit"), "score": ("Điểm", "percent")})
    with right:
        st.altair_chart(charts.bar(ranking, "unit_name", "score", "Đơn vị", "Tỷ lệ hoàn thành bình quân (%)",
                                   tooltip=["unit_name", "score_text"]), width="stretch")

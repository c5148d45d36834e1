"""Tuyên truyền và nguồn lực: posts by channel and format, funds by strand."""

import streamlit as st

from dashboard import charts, ui
from dashboard.formatting import format_money, format_number

ui.page_header("Tuyên truyền và nguồn lực")
scope = ui.filters().scope

st.header("Tuyên truyền")
posts = ui.metric("metrics.total", scope, "outreach")
reach = ui.metric("metrics.total", scope, "outreach", "reach")
first, second = st.columns(2)
first.metric("Tin, bài, sản phẩm", format_number(posts.value))
second.metric("Lượt tiếp cận", format_number(reach.value))
ui.excluded_caption(posts.excluded)
left, right = st.columns(2)
for column, key, title in ((left, "channel", "Kênh"), (right, "format", "Hình thức")):
    frame = ui.metric("metrics.outreach_by", scope, key)
    with column:
        st.subheader(f"Theo {title.lower()}")
        if frame.empty:
            st.info("Chưa có tin, bài hợp lệ.")
            continue
        st.altair_chart(charts.bar(frame, key, "posts", title, "Số tin, bài"), width="stretch")
        ui.table(frame, {key: (title, "text"), "posts": ("Số tin, bài", "number"), "reach": ("Lượt tiếp cận", "number")})
ui.monthly_chart(scope, "outreach", "Số tin, bài", title="Tin, bài theo tháng")

st.header("Nguồn lực vận động")
funds = ui.metric("metrics.funds_by_strand", scope)
total = ui.metric("metrics.funds_total", scope)
st.metric("Tổng nguồn lực (tiền mặt và hiện vật quy đổi)", format_money(total.value))
ui.excluded_caption(total.excluded)
funds = funds.assign(total_text=funds["total_vnd"].map(format_money))
left, right = st.columns([3, 2])
with left:
    ui.table(funds, {"strand": ("Dành cho", "text"), "gifts": ("Số lượt tài trợ", "number"),
                     "cash_vnd": ("Tiền mặt", "money"), "in_kind_vnd": ("Hiện vật quy đổi", "money"),
                     "total_vnd": ("Tổng", "money")})
with right:
    st.altair_chart(charts.bar(funds, "strand", "total_vnd", "Dành cho", "Giá trị (đồng)",
                               tooltip=["strand", "total_text"]), width="stretch")
ui.monthly_chart(scope, "resources", "Đồng", title="Tiền mặt vận động theo tháng nhận", value_column="cash_vnd")

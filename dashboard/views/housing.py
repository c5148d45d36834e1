"""Kết nối an cư: houses by status and value, the province target, meals."""

import pandas as pd
import streamlit as st

from dashboard import charts, ui
from dashboard.formatting import format_money, format_number

ui.page_header("Kết nối an cư")
scope = ui.filters().scope
names = ui.unit_names()

st.header('Nhà "Kết nối an cư"')
province = ui.metric("metrics.province_houses", scope)
ui.progress_card(province.label + " – đã bàn giao", f"{format_number(province.result)}/"
                 f"{format_number(province.target)} {province.unit_label}", province.percent)
houses = ui.metric("metrics.houses_by_status", scope)
counted = ui.metric("metrics.total", scope, "houses")
first, second = st.columns(2)
first.metric("Số nhà (mọi tình trạng)", format_number(houses["houses"].sum()))
second.metric("Tổng giá trị", format_money(houses["value_vnd"].sum()))
ui.excluded_caption(counted.excluded)
active = houses[houses.groupby("unit")["houses"].transform("sum") > 0]
if active.empty:
    st.info("Chưa có nhà hợp lệ trong phạm vi đang chọn.")
else:
    active = active.assign(unit_name=active["unit"].map(names), value_text=active["value_vnd"].map(format_money))
    st.altair_chart(charts.bar(active, "unit_name", "houses", "Đơn vị", "Số nhà", color="status",
                               color_title="Tình trạng", tooltip=["unit_name", "status", "houses", "value_text"]),
                    width="stretch")
    pivot = active.pivot_table(index="unit", columns="status", values=["houses", "value_vnd"], aggfunc="sum")
    table = {"unit": pivot.index}
    for status in ("Đang vận động", "Đang xây dựng", "Đã bàn giao"):
        table[f"{status} (căn)"] = [format_number(v) for v in pivot[("houses", status)]]
        table[f"{status} (giá trị)"] = [format_money(v) for v in pivot[("value_vnd", status)]]
    frame = pd.DataFrame(table)
    frame["unit"] = frame["unit"].map(names)
    st.dataframe(frame.rename(columns={"unit": "Đơn vị"}), hide_index=True, width="stretch")

st.header("Bếp ăn, suất ăn hỗ trợ")
meals = ui.metric("metrics.meals_by_unit", scope)
meal_total = ui.metric("metrics.total", scope, "meals", "meals")
st.metric("Tổng số suất ăn", format_number(meal_total.value))
ui.excluded_caption(meal_total.excluded)
if not meals.empty:
    ui.table(meals, {"unit": ("Đơn vị", "unit"), "kitchens": ("Bếp ăn", "number"), "meals": ("Suất ăn", "number"),
                     "beneficiaries": ("Người lao động được hỗ trợ", "number"), "value_vnd": ("Giá trị quy đổi", "money")})
    ui.monthly_chart(scope, "meals", "Suất ăn", value_column="meals")
ui.personal_list("houses", "Danh sách người thụ hưởng nhà")

"""Altair charts with Vietnamese titles and number formats (dots between thousands)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from dashboard.formatting import format_short_month

# Vega expression that prints 1500000 as 1.500.000 on an axis.
VN_NUMBER = "replace(format(datum.value, ',.0f'), regexp(',', 'g'), '.')"


def bar(frame: pd.DataFrame, category: str, value: str, category_title: str, value_title: str,
        color: str | None = None, color_title: str | None = None, tooltip: list[str] | None = None,
        horizontal: bool = True, height: int | None = None) -> alt.Chart:
    """Build a bar chart; ``tooltip`` names preformatted text columns to show on hover."""
    value_axis = alt.Axis(labelExpr=VN_NUMBER, title=value_title, tickMinStep=1)
    category_encoding = alt.Y(f"{category}:N", title=category_title, sort="-x", axis=alt.Axis(labelLimit=260)) \
        if horizontal else alt.X(f"{category}:N", title=category_title, sort=None, axis=alt.Axis(labelAngle=0))
    value_encoding = alt.X(f"{value}:Q", axis=value_axis) if horizontal else alt.Y(f"{value}:Q", axis=value_axis)
    encodings = {"y": category_encoding, "x": value_encoding} if horizontal else \
        {"x": category_encoding, "y": value_encoding}
    chart = alt.Chart(frame).mark_bar().encode(**encodings, tooltip=tooltip or [category, value])
    if color:
        # Bars of one category sit side by side (grouped), not stacked, so each length reads on its own.
        offset = alt.YOffset(f"{color}:N") if horizontal else alt.XOffset(f"{color}:N")
        chart = chart.encode(color=alt.Color(f"{color}:N", title=color_title or color), **{
            "yOffset" if horizontal else "xOffset": offset})
    rows = 1
    if horizontal:
        rows = frame[category].nunique() * (frame[color].nunique() if color else 1)
    return chart.properties(height=height or max(120, 24 * rows))


def monthly(frame: pd.DataFrame, value_title: str, color: str = "unit_name", color_title: str = "Đơn vị",
            tooltip: list[str] | None = None) -> alt.Chart:
    """Build stacked monthly bars from columns ``month`` (``YYYY-MM``), ``value`` and ``color``."""
    frame = frame.assign(month_label=frame["month"].map(format_short_month))
    order = sorted(frame["month"].unique())
    labels = [format_short_month(m) for m in order]
    return alt.Chart(frame).mark_bar().encode(
        x=alt.X("month_label:N", title="Tháng", sort=labels, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("value:Q", title=value_title, axis=alt.Axis(labelExpr=VN_NUMBER, tickMinStep=1)),
        color=alt.Color(f"{color}:N", title=color_title),
        tooltip=tooltip or ["month_label", color, "value"],
    ).properties(height=280)


def grid_heatmap(grid: pd.DataFrame, names: dict[str, str], value_title: str, minimum: float = 1) -> alt.Chart:
    """Build a unit × month heatmap of counts: cells below ``minimum`` are red, the others green."""
    long = grid.reset_index().melt(id_vars="unit", var_name="month", value_name="value")
    long["unit_name"] = long["unit"].map(names)
    long["month_label"] = long["month"].map(format_short_month)
    long["status"] = long["value"].map(lambda v: "Đạt" if v >= minimum else "Chưa có")
    units = [names[u] for u in grid.index]
    months = [format_short_month(m) for m in grid.columns]
    base = alt.Chart(long).encode(
        x=alt.X("month_label:N", title="Tháng", sort=months, axis=alt.Axis(labelAngle=0, orient="top")),
        y=alt.Y("unit_name:N", title=None, sort=units, axis=alt.Axis(labelLimit=260)))
    cells = base.mark_rect(stroke="white").encode(
        color=alt.Color("status:N", title=value_title,
                        scale=alt.Scale(domain=["Đạt", "Chưa có"], range=["#4c9f70", "#e07a5f"])),
        tooltip=[alt.Tooltip("unit_name:N", title="Đơn vị"), alt.Tooltip("month_label:N", title="Tháng"),
                 alt.Tooltip("value:Q", title=value_title)])
    text = base.mark_text(color="white", fontWeight="bold").encode(text="value:Q")
    return (cells + text).properties(height=max(120, 30 * len(units)))


def weekly_lines(trend: pd.DataFrame) -> alt.Chart:
    """Build lines of issues opened, resolved and still open at the end of each week."""
    labels = {"opened": "Phát hiện mới", "resolved": "Đã sửa", "open_at_end": "Còn tồn cuối tuần"}
    long = trend.melt(id_vars="week", var_name="series", value_name="value")
    long["series"] = long["series"].map(labels)
    long["week_label"] = long["week"].dt.strftime("Tuần %d/%m/%Y")
    return alt.Chart(long).mark_line(point=True).encode(
        x=alt.X("week:T", title="Tuần (bắt đầu từ thứ Hai)", axis=alt.Axis(format="%d/%m")),
        y=alt.Y("value:Q", title="Số lỗi, cảnh báo", axis=alt.Axis(labelExpr=VN_NUMBER, tickMinStep=1)),
        color=alt.Color("series:N", title=None),
        tooltip=[alt.Tooltip("week_label:N", title="Tuần"), alt.Tooltip("series:N", title="Chỉ số"),
                 alt.Tooltip("value:Q", title="Số lượng")],
    ).properties(height=260)

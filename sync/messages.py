"""Vietnamese message texts built from the templates in the contract file."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sheets_schema.schema import Column, Schema, Tab
from sync.cells import format_date, format_int

_TYPE_EXAMPLES = {
    "person_name": "Nguyễn Văn An",
    "date": "15/03/2022",
    "month": "3/2022",
    "integer": "10",
    "money_vnd": "1.500.000",
    "phone_vn": "0912 345 678",
    "national_id": "096123456789",
    "yes_no": "Có",
    "url": "https://www.facebook.com/tinhdoancamau",
}


class _Defaulting(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "…"


def fill(template: str, params: dict[str, Any]) -> str:
    return template.format_map(_Defaulting(params))


def format_value(value: Any, column_type: str | None = None) -> str:
    """Show a normalised value the way a Vietnamese user writes it."""
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        if column_type == "month":
            return f"tháng {value.month}/{value.year}"
        return format_date(value)
    if isinstance(value, int) and column_type in ("money_vnd", "integer") and abs(value) >= 10000:
        return format_int(value)
    return str(value)


def cell_prefix(tab: Tab, row: int, column: Column) -> str:
    return f"Trang «{tab.title}», dòng {row}, cột «{column.header}»: "


def example_for(column: Column) -> str:
    if column.type in ("choice",) and column.choices:
        return column.choices[0]
    if column.type == "integer" and column.min is not None and column.min >= 1000:
        # A year column: an example inside its range reads better than "10".
        return str(int(column.max) - 10 if column.max is not None else int(column.min))
    return _TYPE_EXAMPLES.get(column.type, "")


def cell_message(schema: Schema, tab: Tab, row: int, column: Column, code: str,
                 shown: str, params: dict[str, Any]) -> str:
    template = schema.cell_messages[code]
    merged = {"value": shown, "example": example_for(column) or "…", **params}
    if code == "required_missing":
        example = params.get("example") or example_for(column)
        text = "chưa nhập. Đây là cột bắt buộc; đề nghị bổ sung" + (f", ví dụ {example}." if example else ".")
        return cell_prefix(tab, row, column) + text
    return cell_prefix(tab, row, column) + fill(template, merged)


def tab_message(schema: Schema, code: str, params: dict[str, Any]) -> str:
    return fill(schema.tab_messages[code], params)


def status_text(errors: int, warnings: int) -> str:
    """Text of the `Kết quả kiểm tra` cell for one row."""
    if not errors and not warnings:
        return "Hợp lệ"
    parts = []
    if errors:
        parts.append(f"{errors} lỗi")
    if warnings:
        parts.append(f"{warnings} cảnh báo")
    return ", ".join(parts)

"""Vietnamese number, money, date and percentage formats, and masking of ID numbers.

Formats follow the programme's glossary: ``1.500.000 đ``, ``15/03/2022``,
``tháng 3/2022``, ``85,5 %``, times ``07:30``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any
from zoneinfo import ZoneInfo

_DIGIT_RUN = re.compile(r"(?<!\d)\d{9,12}(?!\d)")


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(isinstance(value, float) and math.isnan(value))
    except TypeError:
        return False


def format_number(value: Any, decimals: int = 0) -> str:
    """Format a number with dots between thousands and a decimal comma: ``1.500.000``, ``2,5``."""
    if _is_missing(value):
        return "–"
    text = f"{float(value):,.{decimals}f}" if decimals else f"{round(float(value)):,d}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def format_money(value: Any) -> str:
    """Format an amount in đồng: ``1.500.000 đ``."""
    if _is_missing(value):
        return "–"
    return f"{format_number(value)} đ"


def format_percent(value: Any, decimals: int = 1) -> str:
    """Format a percentage given in percent (85.5, not 0.855): ``85,5 %``."""
    if _is_missing(value):
        return "–"
    return f"{format_number(value, decimals)} %"


def to_date(value: Any) -> dt.date | None:
    """Read a date from a ``date``, ``datetime``, pandas ``Timestamp`` or ISO string."""
    if _is_missing(value) or value == "":
        return None
    if hasattr(value, "to_pydatetime"):
        if str(value) == "NaT":
            return None
        return value.to_pydatetime().date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def format_date(value: Any) -> str:
    """Format a date as ``15/03/2022``; a missing or invalid date gives ``–``."""
    day = to_date(value)
    return day.strftime("%d/%m/%Y") if day else "–"


def format_month(value: Any) -> str:
    """Format a month as ``tháng 3/2022`` from any day of it, or from ``"2022-03"``."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}", value):
        value = f"{value}-01"
    day = to_date(value)
    return f"tháng {day.month}/{day.year}" if day else "–"


def format_short_month(value: Any) -> str:
    """Format a month as ``T3/2022`` for narrow chart axes and grid columns."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}", value):
        value = f"{value}-01"
    day = to_date(value)
    return f"T{day.month}/{day.year}" if day else "–"


def parse_timestamp(value: Any) -> dt.datetime | None:
    """Read an ISO timestamp from the store; a timestamp without offset is taken as UTC."""
    if _is_missing(value) or value == "":
        return None
    stamp = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.timezone.utc)
    return stamp


def format_datetime(value: Any, timezone: str = "Asia/Ho_Chi_Minh") -> str:
    """Format a stored UTC timestamp in local time as ``07:30 ngày 15/03/2022``."""
    stamp = parse_timestamp(value)
    if stamp is None:
        return "–"
    local = stamp.astimezone(ZoneInfo(timezone))
    return f"{local:%H:%M} ngày {local:%d/%m/%Y}"


def format_duration_days(days: Any) -> str:
    """Format a duration in days: ``2,5 ngày``; below one day in hours: ``6 giờ``."""
    if _is_missing(days):
        return "–"
    if days < 1:
        return f"{format_number(days * 24)} giờ"
    return f"{format_number(days, 1)} ngày"


def mask_id(value: Any) -> str:
    """Mask an ID number, keeping its first 4 and last 2 digits: ``0962******45``."""
    if _is_missing(value) or value == "":
        return ""
    text = str(value)
    if len(text) <= 6:
        return "*" * len(text)
    return text[:4] + "*" * (len(text) - 6) + text[-2:]


def mask_id_numbers_in_text(text: Any) -> str:
    """Mask every run of 9 to 12 digits (CCCD, CMND) inside a message."""
    if _is_missing(text):
        return ""
    return _DIGIT_RUN.sub(lambda match: mask_id(match.group(0)), str(text))

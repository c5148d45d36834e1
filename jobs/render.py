"""Jinja2 rendering of the e-mails, with Vietnamese number and date formats."""

from __future__ import annotations

import datetime as dt
import functools
import re
from pathlib import Path
from typing import Any

import jinja2

TEMPLATES_DIR = Path(__file__).with_name("templates")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """Build the environment shared by all templates. Autoescape is on for ``*.html.j2`` and off for ``*.txt.j2``."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["date_vi"] = format_date
    env.filters["datetime_vi"] = format_datetime
    env.filters["number_vi"] = format_number
    env.filters["percent_vi"] = format_percent
    env.filters["duration_vi"] = format_duration
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def format_date(day: dt.date | None) -> str:
    """Format as dd/mm/yyyy, e.g. 15/03/2022."""
    return day.strftime("%d/%m/%Y") if day else "—"


def format_datetime(moment: dt.datetime | None) -> str:
    """Format as ``07:30 ngày 15/03/2022``."""
    return f"{moment:%H:%M} ngày {moment:%d/%m/%Y}" if moment else "—"


def format_number(value: float | int | None, decimals: int = 0) -> str:
    """Group thousands with dots and use a decimal comma: 1.500.000 and 85,5."""
    if value is None:
        return "—"
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def format_percent(value: float | None) -> str:
    """Format a rate in percent with one decimal and a space, e.g. 85,5 %."""
    return "—" if value is None else f"{format_number(value, 1)} %"


def format_duration(delta: dt.timedelta | None) -> str:
    """Format a time to fix: hours under two days, else days with one decimal."""
    if delta is None:
        return "—"
    hours = delta.total_seconds() / 3600
    if hours < 1:
        return "dưới 1 giờ"
    if hours < 48:
        return f"{round(hours)} giờ"
    return f"{format_number(hours / 24, 1)} ngày"


def format_cell_value(value: Any, cell_type: str | None) -> str:
    """Show a stored cell value the way a user typed or expects it."""
    if value is None or value == "":
        return "(trống)"
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if isinstance(value, (int, float)) and cell_type == "money_vnd":
        return f"{format_number(value)} đ"
    if isinstance(value, float):
        return format_number(value, 2).rstrip("0").rstrip(",")
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return format_date(dt.date.fromisoformat(value))
        except ValueError:
            return value
    return str(value)

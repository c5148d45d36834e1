"""Cell values: typing, USER_ENTERED parsing, serial dates and formatted strings.

Dates are stored as Google stores them: a serial number of days since 1899-12-30 plus
a DATE or DATE_TIME number format on the cell. Formatted strings follow the cell's
number format and the spreadsheet locale (decimal comma for vi_VN and most European
locales, decimal point for en_US).
"""

from __future__ import annotations

import ast
import datetime as dt
import math
import operator
import re
from typing import Any, Optional, Union

Number = Union[int, float]
SERIAL_EPOCH = dt.datetime(1899, 12, 30)

# Locales whose decimal separator is a comma. NOTE: a partial list; others use a point.
_DECIMAL_COMMA_LOCALES = {"vi_VN", "fr_FR", "de_DE", "es_ES", "it_IT", "pt_BR", "ru_RU", "nl_NL", "id_ID"}

# Default patterns for dates typed into a cell. NOTE: the stand-in's choice per locale;
# Google's own default pattern for vi_VN has not been checked against a recording.
_DEFAULT_DATE_PATTERNS = {"vi_VN": "dd/MM/yyyy", "en_US": "M/d/yyyy", "en_GB": "dd/MM/yyyy", "fr_FR": "dd/MM/yyyy"}
_DEFAULT_DATE_TIME_SUFFIX = " HH:mm:ss"
# Locales that write month before day in typed dates (m/d/yyyy).
_MONTH_FIRST_LOCALES = {"en_US"}


def uses_decimal_comma(locale: str) -> bool:
    """Return whether numbers in this locale use a comma as the decimal separator."""
    return locale in _DECIMAL_COMMA_LOCALES


def default_date_pattern(locale: str) -> str:
    """Return the number-format pattern the stand-in gives dates in this locale."""
    return _DEFAULT_DATE_PATTERNS.get(locale, "dd/MM/yyyy")


def default_date_time_pattern(locale: str) -> str:
    """Return the number-format pattern the stand-in gives date-times in this locale."""
    return default_date_pattern(locale) + _DEFAULT_DATE_TIME_SUFFIX


def to_serial(value: Union[dt.date, dt.datetime]) -> Number:
    """Convert a date or datetime to a spreadsheet serial number (1899-12-30 is 0)."""
    if isinstance(value, dt.datetime):
        delta = value.replace(tzinfo=None) - SERIAL_EPOCH
        serial = delta.days + delta.seconds / 86400 + delta.microseconds / 86400e6
        return int(serial) if serial == int(serial) else serial
    return (value - SERIAL_EPOCH.date()).days


def from_serial(serial: Number) -> dt.datetime:
    """Convert a serial number back to a naive datetime, rounded to the second."""
    days = math.floor(serial)
    seconds = round((serial - days) * 86400)
    return SERIAL_EPOCH + dt.timedelta(days=days, seconds=seconds)


def json_number(value: Number) -> Number:
    """Return an int for integral floats, because Google writes 2, not 2.0."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


# --- formatted strings -------------------------------------------------------------

_DATE_TOKEN_RE = re.compile(
    r'yyyy|yy|dddd|ddd|dd|d|mmmm|mmm|mm|m|MMMM|MMM|MM|M|hh|h|HH|H|ss|s|am/pm|AM/PM|"[^"]*"|\\.|.',
)
_MONTH_NAMES = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]
_DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def format_date_pattern(moment: dt.datetime, pattern: str) -> str:
    """Format a datetime with a Sheets date pattern (`dd/MM/yyyy`, `yyyy-mm-dd`, `HH:mm`)."""
    tokens = _DATE_TOKEN_RE.findall(pattern)
    has_am_pm = any(token.lower() == "am/pm" for token in tokens)
    output = []
    for position, token in enumerate(tokens):
        lower = token.lower()
        if token.startswith('"'):
            output.append(token[1:-1])
        elif token.startswith("\\"):
            output.append(token[1:])
        elif lower == "yyyy":
            output.append(f"{moment.year:04d}")
        elif lower == "yy":
            output.append(f"{moment.year % 100:02d}")
        elif lower == "dddd":
            output.append(_DAY_NAMES[moment.weekday()])
        elif lower == "ddd":
            output.append(_DAY_NAMES[moment.weekday()][:3])
        elif lower == "dd":
            output.append(f"{moment.day:02d}")
        elif lower == "d":
            output.append(str(moment.day))
        elif lower in ("mmmm", "mmm"):
            name = _MONTH_NAMES[moment.month - 1]
            output.append(name if lower == "mmmm" else name[:3])
        elif lower in ("mm", "m"):
            if _is_minute_token(tokens, position):
                output.append(f"{moment.minute:02d}" if lower == "mm" else str(moment.minute))
            else:
                output.append(f"{moment.month:02d}" if lower == "mm" else str(moment.month))
        elif lower in ("hh", "h"):
            hour = moment.hour
            if has_am_pm:
                hour = hour % 12 or 12
            output.append(f"{hour:02d}" if lower == "hh" else str(hour))
        elif lower == "ss":
            output.append(f"{moment.second:02d}")
        elif lower == "s":
            output.append(str(moment.second))
        elif lower == "am/pm":
            output.append("AM" if moment.hour < 12 else "PM")
        else:
            output.append(token)
    return "".join(output)


def _is_minute_token(tokens: list[str], position: int) -> bool:
    """Return whether an m/mm token means minutes: after an hour or before seconds."""
    # Uppercase M is always a month in Sheets patterns.
    if tokens[position].startswith("M"):
        return False
    for previous in reversed(tokens[:position]):
        if previous.lower() in ("h", "hh"):
            return True
        if previous.isalpha():
            break
    for following in tokens[position + 1 :]:
        if following.lower() in ("s", "ss"):
            return True
        if following.isalpha():
            break
    return False


def format_general_number(value: Number, locale: str) -> str:
    """Format a number with no number format, the way Sheets shows it in a cell.

    NOTE: very large or very small magnitudes (Google switches to `1.23E+15`) are not
    reproduced; the stand-in prints up to 15 significant digits.
    """
    value = json_number(value)
    if isinstance(value, int):
        text = str(value)
    else:
        text = format(round(value, 10), ".15g")
        if "e" in text:
            text = format(value, "f").rstrip("0").rstrip(".")
    if uses_decimal_comma(locale):
        text = text.replace(".", ",")
    return text


def _format_pattern_number(value: Number, pattern: str, locale: str) -> str:
    """Format a number with a simple NUMBER or PERCENT pattern (`0.00`, `#,##0`, `0%`)."""
    percent = pattern.endswith("%")
    core = pattern.rstrip("%")
    if percent:
        value = value * 100
    decimals = len(core.split(".", 1)[1]) if "." in core else 0
    grouping = "," in core.split(".", 1)[0]
    text = f"{value:,.{decimals}f}" if grouping else f"{value:.{decimals}f}"
    if uses_decimal_comma(locale):
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text + ("%" if percent else "")


def format_number(value: Number, number_format: Optional[dict[str, Any]], locale: str) -> str:
    """Return a number's formatted value for its cell number format and the locale."""
    if not number_format:
        return format_general_number(value, locale)
    kind = number_format.get("type", "NUMBER")
    pattern = number_format.get("pattern", "")
    if kind in ("DATE", "DATE_TIME", "TIME"):
        if not pattern:
            pattern = default_date_pattern(locale) if kind == "DATE" else default_date_time_pattern(locale)
        return format_date_pattern(from_serial(value), pattern)
    if kind in ("NUMBER", "PERCENT", "CURRENCY") and pattern:
        return _format_pattern_number(value, pattern, locale)
    if kind == "PERCENT":
        return _format_pattern_number(value, "0%", locale)
    return format_general_number(value, locale)


def is_date_format(number_format: Optional[dict[str, Any]]) -> bool:
    """Return whether a number format makes a number a date, time or date-time."""
    return bool(number_format) and number_format.get("type") in ("DATE", "DATE_TIME", "TIME")


# --- USER_ENTERED parsing ---------------------------------------------------------

_ISO_DATE_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_SLASH_DATE_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_PERCENT_RE = re.compile(r"^([+-]?\d+(?:[.,]\d+)?)%$")


def _parse_number(text: str, locale: str) -> Optional[Number]:
    if uses_decimal_comma(locale):
        pattern = r"^[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$"
        if not re.match(pattern, text):
            return None
        normalised = text.replace(".", "").replace(",", ".")
    else:
        pattern = r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$|^[+-]?\.\d+$"
        if not re.match(pattern, text):
            return None
        normalised = text.replace(",", "")
    number = float(normalised)
    return json_number(number)


def parse_user_entered(text: str, locale: str) -> tuple[str, Any, Optional[dict[str, Any]]]:
    """Parse a string typed with valueInputOption USER_ENTERED.

    Returns (kind, value, number_format) where kind is "string", "number", "bool" or
    "formula". Like Google, "0912345678" becomes the number 912345678 and a leading
    apostrophe forces text. NOTE: currencies, times and month names are not parsed.
    """
    stripped = text.strip()
    if text.startswith("'"):
        return "string", text[1:], None
    if text.startswith("=") and len(text) > 1:
        return "formula", text, None
    if stripped.upper() in ("TRUE", "FALSE"):
        return "bool", stripped.upper() == "TRUE", None
    number = _parse_number(stripped, locale)
    if number is not None:
        return "number", number, None
    percent = _PERCENT_RE.match(stripped)
    if percent:
        amount = _parse_number(percent.group(1), locale)
        if amount is not None:
            return "number", json_number(amount / 100), {"type": "PERCENT", "pattern": "0%"}
    iso = _ISO_DATE_RE.match(stripped)
    if iso:
        date = _safe_date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        if date is not None:
            return "number", to_serial(date), {"type": "DATE", "pattern": "yyyy-mm-dd"}
    slash = _SLASH_DATE_RE.match(stripped)
    if slash:
        first, second, year = int(slash.group(1)), int(slash.group(2)), int(slash.group(3))
        day, month = (second, first) if locale in _MONTH_FIRST_LOCALES else (first, second)
        date = _safe_date(year, month, day)
        if date is not None:
            return "number", to_serial(date), {"type": "DATE", "pattern": default_date_pattern(locale)}
    return "string", text, None


def _safe_date(year: int, month: int, day: int) -> Optional[dt.date]:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


# --- formulas ----------------------------------------------------------------------

_OPERATORS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}


class UnsupportedFormula(ValueError):
    """Raised for formulas beyond constant arithmetic."""


def evaluate_formula(formula: str) -> Number:
    """Evaluate a constant arithmetic formula such as `=4/2` or `=(1+2)*3^2`.

    NOTE: cell references and functions are not supported; the caller stores an
    `#ERROR!` value for them. Division by zero raises ZeroDivisionError.
    """
    expression = formula[1:].replace("^", "**")
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError as exc:
        raise UnsupportedFormula(formula) from exc

    def walk(node: ast.AST) -> Number:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            return _OPERATORS[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _OPERATORS:
            return _OPERATORS[type(node.op)](walk(node.operand))
        raise UnsupportedFormula(formula)

    return json_number(float(walk(tree)))

"""Cell parsers: turn what a user typed into the canonical value of its type.

Every parser takes the raw cell value (str, int, float, bool, datetime, None or one
of the reader markers below) and returns ``(value, problem)``: the canonical value
with ``problem`` None, or ``None`` and a Problem naming the issue code. Parsers never
raise on user input.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any, Callable

from sync.text import INVISIBLE_CHARS, clean_text, exact_key, loose_key

EXCEL_EPOCH = dt.date(1899, 12, 30)
MAX_SERIAL = 2958465  # 9999-12-31
MIN_SERIAL = 367  # 1901-01-01: smaller numbers are not plausible dates here

FORMULA_ERRORS = frozenset(
    {"#REF!", "#N/A", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!",
     "#GETTING_DATA", "#ERROR!"}
)


@dataclass(frozen=True, slots=True)
class FormulaError:
    """A cell whose formula evaluated to an error such as #REF!."""
    text: str


@dataclass(frozen=True, slots=True)
class FormulaNoValue:
    """A formula cell saved without a cached result (file written by a script)."""
    formula: str


@dataclass(frozen=True, slots=True)
class Scientific:
    """A number shown in scientific notation (digits beyond the display are lost)."""
    value: float
    shown: str


@dataclass(frozen=True, slots=True)
class Problem:
    code: str
    severity: str = "error"
    params: tuple[tuple[str, Any], ...] = ()

    def param_dict(self) -> dict[str, Any]:
        return dict(self.params)


Result = tuple[Any, Problem | None]

_SCI_TEXT = re.compile(r"^[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+$")


def display_value(raw: Any) -> Any:
    """Return the raw value as found, in a JSON-friendly form for issue records."""
    if isinstance(raw, (FormulaError, FormulaNoValue)):
        return raw.text if isinstance(raw, FormulaError) else raw.formula
    if isinstance(raw, Scientific):
        return raw.shown
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat() if raw.time() == dt.time() else raw.isoformat(sep=" ")
    if isinstance(raw, (dt.date, dt.time)):
        return raw.isoformat()
    if isinstance(raw, float):
        if math.isnan(raw) or math.isinf(raw):
            return str(raw)
        return int(raw) if raw.is_integer() and abs(raw) < 1e15 else raw
    return raw


def shown_text(raw: Any) -> str:
    """Text of the raw value as a user would see it, for messages."""
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"  # how a spreadsheet shows a checkbox or logical value
    value = display_value(raw)
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and isinstance(raw, (dt.date, dt.datetime)):
        return format_date(raw if isinstance(raw, dt.date) else raw.date())
    return str(value)


def format_date(day: dt.date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def format_int(value: int) -> str:
    """Vietnamese thousands grouping: 1500000 -> 1.500.000."""
    return f"{value:,}".replace(",", ".")


def is_blank(raw: Any) -> bool:
    if raw is None:
        return True
    if isinstance(raw, str):
        if raw.isascii():
            return not raw or raw.isspace()  # what clean_text leaves empty
        first = raw[0]
        if not first.isspace() and first not in INVISIBLE_CHARS:
            return False  # normalising to NFC never turns a visible character into nothing
        return clean_text(raw) == ""
    return False


def special_problem(raw: Any) -> Problem | None:
    """Problems that override the column type: formula errors and lost digits."""
    if isinstance(raw, FormulaError):
        return Problem("formula_error")
    if isinstance(raw, FormulaNoValue):
        return Problem("formula_no_value")
    if isinstance(raw, Scientific):
        return Problem("scientific_notation")
    if isinstance(raw, str) and "#" in raw:  # every formula error starts with "#"
        text = raw.strip()
        if text.upper() in FORMULA_ERRORS:
            return Problem("formula_error")
    return None


# ---------------------------------------------------------------- text and names

def parse_text(raw: Any) -> Result:
    if isinstance(raw, bool):
        return ("Có" if raw else "Không"), None
    if isinstance(raw, dt.datetime):
        return format_date(raw.date()), None
    if isinstance(raw, dt.date):
        return format_date(raw), None
    if isinstance(raw, float) and raw.is_integer() and abs(raw) < 1e15:
        return str(int(raw)), None
    text = clean_text(str(raw))
    return text, None


_NAME_CHARS = re.compile(r"^[^\W\d_]+(?:[ \-'][^\W\d_]+)*$")


def parse_person_name(raw: Any) -> Result:
    if not isinstance(raw, str):
        return None, Problem("invalid_person_name")
    text = clean_text(raw).strip(" .,;")
    words = text.split(" ")
    if not _NAME_CHARS.match(text) or len(words) < 2:
        return None, Problem("invalid_person_name")
    return " ".join([_capitalised(w) for w in words]), None


# Words of names recur (family, middle and given names), so each is capitalised once.
_CAPITALISED: dict[str, str] = {}


def _capitalised(word: str) -> str:
    done = _CAPITALISED.get(word)
    if done is None:
        done = _capitalise(word)
        if len(_CAPITALISED) < 100000:
            _CAPITALISED[word] = done
    return done


def _capitalise(word: str) -> str:
    return "-".join(part[:1].upper() + part[1:].lower() for part in word.split("-"))


_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*\.[^\s]+$|^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_DOMAINISH = re.compile(r"^(?:www\.)?[\w-]+(?:\.[\w-]+)+(?:/\S*)?$", re.IGNORECASE)


def parse_url(raw: Any) -> Result:
    text = clean_text(str(raw))
    if " " not in text and _URL.match(text) and "." in text.split("://", 1)[1].split("/", 1)[0]:
        return text, None
    suggestion = f"https://{text}" if _DOMAINISH.match(text) else "https://www.facebook.com/tinhdoancamau"
    return None, Problem("invalid_url", params=(("suggestion", suggestion),))


# ---------------------------------------------------------------- numbers

_INT_PLAIN = re.compile(r"^[+-]?\d+$")
_INT_ZERO_DECIMALS = re.compile(r"^([+-]?\d+)[.,]0+$")
_THOUSANDS_DOT = re.compile(r"^\d{1,3}(?:\.\d{3})+$")
_THOUSANDS_COMMA = re.compile(r"^\d{1,3}(?:,\d{3})+$")


def parse_integer(raw: Any) -> Result:
    if isinstance(raw, bool):
        return None, Problem("invalid_integer")
    if isinstance(raw, int):
        return raw, None
    if isinstance(raw, float):
        if math.isfinite(raw) and raw.is_integer():
            return int(raw), None
        return None, Problem("invalid_integer")
    if not isinstance(raw, str):
        return None, Problem("invalid_integer")
    text = clean_text(raw).replace(" ", "")
    if _SCI_TEXT.match(text):
        return None, Problem("scientific_notation")
    if _INT_PLAIN.match(text):
        return int(text), None
    # Vietnamese groups thousands with a dot: "1.000" is one thousand, "10.0" is ten.
    if _THOUSANDS_DOT.match(text) or _THOUSANDS_COMMA.match(text):
        return int(text.replace(".", "").replace(",", "")), None
    match = _INT_ZERO_DECIMALS.match(text)
    if match:
        return int(match.group(1)), None
    return None, Problem("invalid_integer")


_CURRENCY = re.compile(r"(?:vn\s*[đd₫]|vnđ|vnd|đồng|dong|[đ₫])\.?$")
_MULTIPLIERS = (
    (re.compile(r"(?:tỷ|tỉ|ty|ti)$"), 1_000_000_000),
    (re.compile(r"(?:triệu|trieu|tr)\.?$"), 1_000_000),
    (re.compile(r"(?:nghìn|nghin|ngàn|ngan|ng|k)\.?$"), 1_000),
)
_MONEY_GROUPED_DOT = re.compile(r"^\d{1,3}(?:\.\d{3})+(?:,(\d+))?$")
_MONEY_GROUPED_COMMA = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.(\d+))?$")
_DECIMAL = re.compile(r"^\d+(?:[.,]\d+)?$")


def _money_problem(code: str = "invalid_money") -> Result:
    return None, Problem(code)


def parse_money(raw: Any) -> Result:
    if isinstance(raw, bool):
        return _money_problem()
    if isinstance(raw, int):
        return raw, None
    if isinstance(raw, float):
        if not math.isfinite(raw):
            return _money_problem()
        if raw.is_integer():
            return int(raw), None
        # 1.5 means "1,5 triệu" or "1.500" to the user; we cannot tell which.
        return _money_problem("money_ambiguous") if abs(raw) < 1000 else _money_problem()
    if not isinstance(raw, str):
        return _money_problem()
    text = clean_text(raw).lower()
    if text.startswith("(") and text.endswith(")"):
        inner, problem = parse_money(text[1:-1])
        if problem is None and inner is not None:
            return None, Problem("money_negative")
        return _money_problem()
    sign = 1
    if text.startswith("-"):
        sign, text = -1, text[1:].strip()
    text = _CURRENCY.sub("", text).strip()
    multiplier = 1
    for pattern, factor in _MULTIPLIERS:
        stripped = pattern.sub("", text).strip()
        if stripped != text:
            multiplier, text = factor, stripped
            text = _CURRENCY.sub("", text).strip()
            break
    text = text.replace(" ", "")
    if not text:
        return _money_problem()
    if _SCI_TEXT.match(text):
        return None, Problem("scientific_notation")
    amount = _parse_money_number(text, multiplier)
    if amount is None:
        return _money_problem("money_ambiguous" if multiplier == 1 and _DECIMAL.match(text) else "invalid_money")
    return sign * amount, None


def _parse_money_number(text: str, multiplier: int) -> int | None:
    for grouped in (_MONEY_GROUPED_DOT, _MONEY_GROUPED_COMMA):
        match = grouped.match(text)
        if match:
            decimals = match.group(1)
            whole = int(re.sub(r"[.,]", "", text.split("," if grouped is _MONEY_GROUPED_DOT else ".")[0]))
            if decimals and multiplier == 1 and int(decimals) != 0:
                return None
            fraction = float(f"0.{decimals}") if decimals else 0.0
            return int(round((whole + fraction) * multiplier))
    if text.isdigit():
        return int(text) * multiplier
    if _DECIMAL.match(text):
        number = float(text.replace(",", "."))
        if multiplier == 1:
            whole, _, frac = text.replace(",", ".").partition(".")
            return int(whole) if set(frac) <= {"0"} else None
        return int(round(number * multiplier))
    return None


# ---------------------------------------------------------------- dates

_DMY = re.compile(
    r"^(\d{1,2})\s*([/\-.])\s*(\d{1,2})\s*\2\s*(\d+)(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_WORDS_DATE = re.compile(r"^ngày\s*(\d{1,2})\s*tháng\s*(\d{1,2})\s*năm\s*(\d{4})$")
_SERIAL_TEXT = re.compile(r"^\d{5}(?:\.0+)?$")


def serial_to_date(serial: float) -> dt.date | None:
    if not math.isfinite(serial) or not (MIN_SERIAL <= serial <= MAX_SERIAL):
        return None
    return EXCEL_EPOCH + dt.timedelta(days=int(serial))


def _date_problem(raw_text: str) -> Result:
    return None, Problem("invalid_date")


def _build_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def parse_date(raw: Any) -> Result:
    if isinstance(raw, dt.datetime):
        return raw.date(), None
    if isinstance(raw, dt.date):
        return raw, None
    if isinstance(raw, bool):
        return None, Problem("invalid_date")
    if isinstance(raw, (int, float)):
        day = serial_to_date(float(raw))
        return (day, None) if day else (None, Problem("invalid_date"))
    if not isinstance(raw, str):
        return None, Problem("invalid_date")
    text = clean_text(raw).lower()
    if _SERIAL_TEXT.match(text):
        day = serial_to_date(float(text))
        return (day, None) if day else (None, Problem("invalid_date"))
    match = _YMD.match(text)
    if match:
        day = _build_date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        return (day, None) if day else (None, Problem("invalid_date"))
    match = _WORDS_DATE.match(text)
    if match:
        day = _build_date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
        return (day, None) if day else (None, Problem("invalid_date"))
    match = _DMY.match(text)
    if not match:
        return None, Problem("invalid_date")
    d, m, year_text = int(match.group(1)), int(match.group(3)), match.group(4)
    if len(year_text) == 2:
        return None, Problem("date_two_digit_year")
    if len(year_text) != 4:
        return None, Problem("invalid_date")
    year = int(year_text)
    day = _build_date(year, m, d)
    if day:
        return day, None
    swapped = _build_date(year, d, m)
    if swapped and m > 12:
        return None, Problem("date_month_first", params=(("suggestion", format_date(swapped)),))
    return None, Problem("invalid_date")


_MONTH_TEXT = re.compile(r"^(?:tháng|thang|th\.?|t\.?)?\s*(\d{1,2})\s*(?:[/\-.]|năm|nam|\s)\s*(\d{4})$")
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def parse_month(raw: Any) -> Result:
    if isinstance(raw, (dt.date, dt.datetime)) or (isinstance(raw, (int, float)) and not isinstance(raw, bool)):
        day, problem = parse_date(raw)
        if problem:
            return None, Problem("invalid_month")
        return day.replace(day=1), None
    if not isinstance(raw, str):
        return None, Problem("invalid_month")
    text = clean_text(raw).lower()
    match = _MONTH_TEXT.match(text)
    if match:
        month, year = int(match.group(1)), int(match.group(2))
    else:
        match = _YEAR_MONTH.match(text)
        if match:
            year, month = int(match.group(1)), int(match.group(2))
        else:
            day, problem = parse_date(raw)
            if problem:
                return None, Problem("invalid_month")
            return day.replace(day=1), None
    if not 1 <= month <= 12:
        return None, Problem("invalid_month")
    return dt.date(year, month, 1), None


# ---------------------------------------------------------------- phones and ids

# Eleven-digit mobile prefixes renumbered in 2018 (old four digits -> new three).
OLD_MOBILE_PREFIXES = {
    "0162": "032", "0163": "033", "0164": "034", "0165": "035", "0166": "036",
    "0167": "037", "0168": "038", "0169": "039",
    "0120": "070", "0121": "079", "0122": "077", "0126": "076", "0128": "078",
    "0123": "083", "0124": "084", "0125": "085", "0127": "081", "0129": "082",
    "0186": "056", "0188": "058", "0199": "059",
}
_PHONE_STRIP = re.compile(r"[\s.\-()/]")


def _group_phone(number: str) -> str:
    return f"{number[:3]} {number[3:6]} {number[6:]}"


def parse_phone(raw: Any) -> Result:
    if type(raw) is str and len(raw) == 10 and raw.isascii() and raw.isdigit() and raw[0] == "0" \
            and raw[1] in "35789":
        return raw, None  # already canonical: ten digits of a mobile number
    if isinstance(raw, bool):
        return None, Problem("invalid_phone")
    if isinstance(raw, float):
        if not (math.isfinite(raw) and raw.is_integer()):
            return None, Problem("invalid_phone")
        raw = int(raw)
    if isinstance(raw, int):
        digits = str(raw)
    elif isinstance(raw, str):
        text = clean_text(raw).lstrip("'")
        if _SCI_TEXT.match(text.replace(" ", "")):
            return None, Problem("scientific_notation")
        digits = _PHONE_STRIP.sub("", text)
        if digits.startswith("+84"):
            digits = "0" + digits[3:]
        elif digits.startswith("+"):
            return None, Problem("invalid_phone")
        if digits.startswith("0084"):
            digits = "0" + digits[4:]
    else:
        return None, Problem("invalid_phone")
    if not digits.isdigit():
        return None, Problem("invalid_phone")
    if digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    if len(digits) == 9 and digits[0] in "35789":
        digits = "0" + digits  # a spreadsheet dropped the leading zero
    elif len(digits) == 10 and digits[0] in "12":
        digits = "0" + digits
    if len(digits) == 10 and digits[0] == "0" and digits[1] in "35789":
        return digits, None
    if len(digits) == 11 and digits.startswith("02"):
        return digits, None
    if len(digits) == 11 and digits[:4] in OLD_MOBILE_PREFIXES:
        new = OLD_MOBILE_PREFIXES[digits[:4]] + digits[4:]
        return None, Problem("old_phone_prefix", params=(("suggestion", _group_phone(new)), ("new_number", new)))
    return None, Problem("invalid_phone")


def parse_national_id(raw: Any) -> Result:
    if isinstance(raw, bool):
        return None, Problem("invalid_national_id")
    if isinstance(raw, float):
        if not (math.isfinite(raw) and raw.is_integer()):
            return None, Problem("invalid_national_id")
        raw = int(raw)
    if isinstance(raw, int):
        digits = str(raw)
    elif isinstance(raw, str):
        text = clean_text(raw).lstrip("'’`").replace(" ", "").replace(".", "", 0)
        if _SCI_TEXT.match(text):
            return None, Problem("scientific_notation")
        if re.fullmatch(r"\d+\.0+", text):
            text = text.split(".")[0]
        digits = text.replace("-", "").replace(".", "")
    else:
        return None, Problem("invalid_national_id")
    if not digits.isdigit():
        return None, Problem("invalid_national_id")
    # A number loses its leading zero: 11 digits -> CCCD, 8 digits -> CMND.
    if len(digits) == 11:
        digits = "0" + digits
    elif len(digits) == 8:
        digits = "0" + digits
    if len(digits) in (9, 12):
        return digits, None
    return None, Problem("invalid_national_id")


# ---------------------------------------------------------------- yes/no and choices

_YES = frozenset({"có", "co", "x", "1", "true", "yes", "đúng", "dung", "rồi", "roi", "✓", "✔", "v"})
_NO = frozenset({"không", "khong", "ko", "k", "0", "false", "no", "sai", "chưa", "chua"})


def parse_yes_no(raw: Any) -> Result:
    if isinstance(raw, bool):
        return raw, None
    if isinstance(raw, (int, float)):
        if raw == 1:
            return True, None
        if raw == 0:
            return False, None
        return None, Problem("invalid_yes_no")
    if not isinstance(raw, str):
        return None, Problem("invalid_yes_no")
    key = clean_text(raw).casefold()
    if key in _YES:
        return True, None
    if key in _NO:
        return False, None
    return None, Problem("invalid_yes_no")


class ChoiceMatcher:
    """Match typed text to one of the listed values, ignoring case, spacing and
    diacritics, and accepting the listed aliases."""

    def __init__(self, choices: tuple[str, ...], aliases: dict[str, str] | None = None) -> None:
        self.choices = choices
        self._exact: dict[str, str] = {}
        self._loose: dict[str, set[str]] = {}
        for option in choices:
            self._add(option, option)
        for alias, target in (aliases or {}).items():
            self._add(alias, target)

    def _add(self, text: str, target: str) -> None:
        self._exact.setdefault(exact_key(text), target)
        self._loose.setdefault(loose_key(text), set()).add(target)

    def match(self, text: str) -> tuple[str | None, tuple[str, ...]]:
        """Return (option, ()) on a single match, else (None, candidates)."""
        hit = self._exact.get(exact_key(text))
        if hit:
            return hit, ()
        found = self._loose.get(loose_key(text), set())
        if len(found) == 1:
            return next(iter(found)), ()
        return None, tuple(sorted(found))

    def parse(self, raw: Any) -> Result:
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        text = clean_text(str(raw))
        option, candidates = self.match(text)
        if option:
            return option, None
        listing = "; ".join(candidates or self.choices)
        return None, Problem("ambiguous_choice" if candidates else "invalid_choice",
                             params=(("choices", listing),))


PARSERS: dict[str, Callable[[Any], Result]] = {
    "text": parse_text,
    "person_name": parse_person_name,
    "date": parse_date,
    "month": parse_month,
    "integer": parse_integer,
    "money_vnd": parse_money,
    "phone_vn": parse_phone,
    "national_id": parse_national_id,
    "yes_no": parse_yes_no,
    "url": parse_url,
}

"""Suggest which job seeker fits which opening, with a Vietnamese reason for each suggestion.

Pure functions over the store's rows (``RowRecord`` with JSON-decoded values). A pair
is suggested only when the opening's kind of job fits the seeker's need and the
seeker's education meets the opening's minimum; suggestions are then ranked by

- place: the opening's unit is the seeker's (+3), a neighbouring district (+2, from
  ``config/neighbours.yaml``), or a unit without a district such as the provincial
  Youth Union (+1, province-wide);
- trade: up to +4 for the overlap of the desired trade with the opening's trade and
  position, compared word by word (Dice coefficient), without diacritics when the
  seeker typed none.

Ties go to the opening with more places, then to the earlier sheet row.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import yaml
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from sync.model import RowRecord
from sync.text import clean_text, exact_key, loose_key

SEEKING = "Đang tìm"
EXPORT_ABROAD = "Xuất khẩu lao động"
NEED_JOB = "Tìm việc làm"
NEED_TRAINING = "Học nghề"

SAME_UNIT_POINTS = 3.0
NEIGHBOUR_POINTS = 2.0
PROVINCE_WIDE_POINTS = 1.0
TRADE_POINTS = 4.0

# Words too general to show that two trades are alike ("công nhân may" and "công nhân
# cơ khí" share only "công nhân"), compared without diacritics.
TRADE_STOPWORDS = frozenset({
    "cong", "nhan", "vien", "lao", "dong", "pho", "thong", "nghe", "viec", "lam", "tho", "va", "cac", "nganh",
    "linh", "vuc", "khac", "tuyen", "dung", "can", "nguoi", "hoc", "dao", "tao", "so", "cap", "trung",
})
# An opening counts as training when its trade or position contains one of these phrases.
TRAINING_PHRASES = ("hoc nghe", "dao tao", "hoc viec", "vua hoc vua lam")
_NON_WORD = re.compile(r"[^\w]+")


@dataclass(frozen=True)
class Suggestion:
    seeker: RowRecord
    opening: RowRecord
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class MatchContext:
    """Ranking inputs besides the rows: unit names, neighbours and the education order."""

    unit_names: dict[str, str]
    neighbours: dict[str, frozenset[str]]
    education_order: tuple[str, ...]
    district_units: frozenset[str]


def load_neighbours(path: Path) -> dict[str, frozenset[str]]:
    """Read the symmetric neighbour pairs of ``neighbours.yaml``; a missing file means no neighbours."""
    if not path.exists():
        return {}
    with open(path, encoding="utf-8") as handle:
        raw = yaml.safe_load(handle) or {}
    found: dict[str, set[str]] = {}
    for pair in raw.get("neighbours") or []:
        if len(pair) != 2:
            raise ValueError(f"{path.name}: a neighbour entry must name two units, got {pair!r}")
        first, second = pair
        found.setdefault(first, set()).add(second)
        found.setdefault(second, set()).add(first)
    return {unit: frozenset(others) for unit, others in found.items()}


def context_from_config(config: Any, schema: Any) -> MatchContext:
    return MatchContext(
        unit_names={u.code: u.name for u in config.units},
        neighbours=load_neighbours(Path(config.config_dir) / "neighbours.yaml"),
        education_order=schema.tab("job_seekers").column("education").choices,
        district_units=frozenset(u.code for u in config.units if u.kind == "district"),
    )


# ---------------------------------------------------------------- selecting rows

def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def open_openings(rows: Iterable[RowRecord], today: dt.date) -> list[RowRecord]:
    """Openings that passed validation and whose closing date (if any) is not past."""
    result = []
    for row in rows:
        if row.tab != "job_openings" or row.has_error:
            continue
        closes = _as_date(row.values.get("closes_on"))
        if closes is not None and closes < today:
            continue
        result.append(row)
    return result


def active_seekers(rows: Iterable[RowRecord], units: tuple[str, ...] | None = None) -> list[RowRecord]:
    """Seekers still looking (status ``Đang tìm``), of the given units only (None: every unit)."""
    return [r for r in rows if r.tab == "job_seekers" and r.values.get("status") == SEEKING
            and (units is None or r.unit in units)]


# ---------------------------------------------------------------- comparing

def trade_words(text: Any, fold: bool = True) -> dict[str, str]:
    """Significant words of a trade: comparison key (without diacritics when ``fold`` is set)
    to the word as written, lower-case."""
    if not isinstance(text, str):
        return {}
    words: dict[str, str] = {}
    for word in clean_text(_NON_WORD.sub(" ", text)).casefold().split():
        folded = loose_key(word)
        if folded in TRADE_STOPWORDS or len(folded) < 2:
            continue
        words.setdefault(folded if fold else exact_key(word), word)
    return words


def trade_similarity(desired: Any, offered: Any) -> tuple[float, frozenset[str]]:
    """Dice coefficient of the two word sets (0 to 1) and the shared words as the seeker wrote them.

    Words are compared without diacritics only when the desired trade was typed without
    them, because folding Vietnamese words with diacritics merges unrelated ones
    ("cơ" in cơ khí and "có").
    """
    fold = isinstance(desired, str) and desired.isascii()
    wanted, given = trade_words(desired, fold), trade_words(offered, fold)
    if not wanted or not given:
        return 0.0, frozenset()
    shared = wanted.keys() & given.keys()
    return 2 * len(shared) / (len(wanted) + len(given)), frozenset(wanted[k] for k in shared)


def is_training(opening: RowRecord) -> bool:
    text = loose_key(" ".join(str(opening.values.get(k) or "") for k in ("trade", "position")))
    return any(phrase in text for phrase in TRAINING_PHRASES)


def _need_reason(need: Any, opening: RowRecord) -> str | None:
    """Return the reason the opening's kind fits the need, or None when it does not fit."""
    kind = opening.values.get("job_kind")
    if need == EXPORT_ABROAD:
        return "Đúng nhu cầu xuất khẩu lao động" if kind == EXPORT_ABROAD else None
    if need == NEED_TRAINING:
        return "Đúng nhu cầu học nghề (tin có đào tạo nghề)" if is_training(opening) else None
    if need == NEED_JOB:
        if kind == EXPORT_ABROAD or is_training(opening):
            return None
        return f"Đúng nhu cầu tìm việc làm ({str(kind).lower()})" if kind else "Đúng nhu cầu tìm việc làm"
    return None


def _education_reason(seeker: RowRecord, opening: RowRecord, order: tuple[str, ...]) -> str | None:
    """Return the reason the education fits, or None when it is below the opening's minimum."""
    minimum = opening.values.get("min_education")
    if minimum not in order:
        return "Không yêu cầu trình độ"
    education = seeker.values.get("education")
    if education not in order or order.index(education) < order.index(minimum):
        return None
    return f"Đáp ứng trình độ tối thiểu ({minimum})"


def _place(seeker: RowRecord, opening: RowRecord, ctx: MatchContext) -> tuple[float, str]:
    name = ctx.unit_names.get(opening.unit, opening.unit)
    if opening.unit == seeker.unit:
        return SAME_UNIT_POINTS, f"Cùng địa bàn ({name})"
    if opening.unit in ctx.neighbours.get(seeker.unit, frozenset()):
        return NEIGHBOUR_POINTS, f"Địa bàn giáp ranh ({name})"
    if opening.unit not in ctx.district_units:
        return PROVINCE_WIDE_POINTS, f"Tin tuyển dụng chung của tỉnh ({name})"
    return 0.0, f"Khác địa bàn ({name})"


def score_pair(seeker: RowRecord, opening: RowRecord, ctx: MatchContext) -> Suggestion | None:
    """Score one seeker against one opening; None when the need or the education does not fit."""
    need_reason = _need_reason(seeker.values.get("need"), opening)
    if need_reason is None:
        return None
    education_reason = _education_reason(seeker, opening, ctx.education_order)
    if education_reason is None:
        return None
    place_points, place_reason = _place(seeker, opening, ctx)
    offered = " ".join(str(opening.values.get(k) or "") for k in ("trade", "position"))
    similarity, shared = trade_similarity(seeker.values.get("desired_trade"), offered)
    if not seeker.values.get("desired_trade"):
        trade_reason = "Chưa ghi ngành nghề mong muốn"
    elif shared:
        trade_reason = f"Ngành nghề gần với mong muốn (trùng: {', '.join(sorted(shared))})"
    else:
        trade_reason = "Ngành nghề khác với mong muốn"
    score = round(place_points + TRADE_POINTS * similarity, 3)
    return Suggestion(seeker=seeker, opening=opening, score=score,
                      reasons=(need_reason, place_reason, trade_reason, education_reason))


def _places(opening: RowRecord) -> int:
    value = opening.values.get("openings")
    return value if isinstance(value, int) else 0


def openings_for_seeker(seeker: RowRecord, openings: Iterable[RowRecord], ctx: MatchContext,
                        limit: int = 5) -> list[Suggestion]:
    """Rank the openings that fit one seeker, best first."""
    found = [s for s in (score_pair(seeker, o, ctx) for o in openings) if s is not None]
    found.sort(key=lambda s: (-s.score, -_places(s.opening), s.opening.unit, s.opening.row))
    return found[:limit]


def seekers_for_opening(opening: RowRecord, seekers: Iterable[RowRecord], ctx: MatchContext,
                        limit: int = 5) -> list[Suggestion]:
    """Rank the seekers that fit one opening, best first (ties: earlier registration, then sheet row)."""
    found = [s for s in (score_pair(k, opening, ctx) for k in seekers) if s is not None]
    found.sort(key=lambda s: (-s.score, str(s.seeker.values.get("registered_on") or ""), s.seeker.unit,
                              s.seeker.row))
    return found[:limit]


# ---------------------------------------------------------------- tables and export

SEEKER_TABLE_HEADERS = ("Đơn vị", "Dòng", "Họ và tên", "Năm sinh", "Số điện thoại", "Nhu cầu",
                        "Ngành nghề mong muốn", "Trình độ", "Hạng", "Doanh nghiệp", "Vị trí", "Ngành nghề",
                        "Loại việc", "Địa bàn tuyển", "Điện thoại doanh nghiệp", "Điểm", "Lý do")
OPENING_TABLE_HEADERS = ("Doanh nghiệp", "Vị trí", "Ngành nghề", "Số lượng cần tuyển", "Địa bàn tuyển", "Hạng",
                         "Đơn vị", "Dòng", "Họ và tên", "Năm sinh", "Số điện thoại", "Ngành nghề mong muốn",
                         "Trình độ", "Điểm", "Lý do")


def seeker_table(suggestions: dict[tuple[str, int], list[Suggestion]], seekers: list[RowRecord],
                 ctx: MatchContext) -> list[tuple[Any, ...]]:
    """Build one line per suggestion, seekers in the given order. A seeker without suggestions gets one line saying so."""
    lines = []
    for seeker in seekers:
        v = seeker.values
        person = (ctx.unit_names.get(seeker.unit, seeker.unit), seeker.row, v.get("full_name"), v.get("birth_year"),
                  v.get("phone"), v.get("need"), v.get("desired_trade"), v.get("education"))
        found = suggestions.get((seeker.unit, seeker.row), [])
        if not found:
            lines.append(person + ("", "", "", "", "", "", "", None, "Chưa có tin tuyển dụng phù hợp"))
        for rank, s in enumerate(found, start=1):
            o = s.opening.values
            lines.append(person + (rank, o.get("employer"), o.get("position"), o.get("trade"), o.get("job_kind"),
                                   ctx.unit_names.get(s.opening.unit, s.opening.unit), o.get("contact_phone"),
                                   s.score, "; ".join(s.reasons)))
    return lines


def opening_table(suggestions: dict[tuple[str, int], list[Suggestion]], openings: list[RowRecord],
                  ctx: MatchContext) -> list[tuple[Any, ...]]:
    lines = []
    for opening in openings:
        o = opening.values
        head = (o.get("employer"), o.get("position"), o.get("trade"), o.get("openings"),
                ctx.unit_names.get(opening.unit, opening.unit))
        found = suggestions.get((opening.unit, opening.row), [])
        if not found:
            lines.append(head + ("", "", "", "", "", "", "", "", None, "Chưa có thanh niên phù hợp"))
        for rank, s in enumerate(found, start=1):
            v = s.seeker.values
            lines.append(head + (rank, ctx.unit_names.get(s.seeker.unit, s.seeker.unit), s.seeker.row,
                                 v.get("full_name"), v.get("birth_year"), v.get("phone"), v.get("desired_trade"),
                                 v.get("education"), s.score, "; ".join(s.reasons)))
    return lines


def export_xlsx(seeker_lines: list[tuple[Any, ...]], opening_lines: list[tuple[Any, ...]]) -> bytes:
    """Both tables as an .xlsx workbook, phone numbers stored as text so the leading zero stays."""
    workbook = Workbook()
    first = workbook.active
    first.title = "Theo thanh niên"
    second = workbook.create_sheet("Theo tin tuyển dụng")
    for sheet, headers, lines in ((first, SEEKER_TABLE_HEADERS, seeker_lines),
                                  (second, OPENING_TABLE_HEADERS, opening_lines)):
        sheet.append(list(headers))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        for line in lines:
            sheet.append(list(line))
        text_columns = [i for i, h in enumerate(headers, start=1) if "điện thoại" in h.lower()]
        for column in text_columns:
            for row in range(2, sheet.max_row + 1):
                sheet.cell(row=row, column=column).number_format = "@"
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def match_all(seekers: list[RowRecord], openings: list[RowRecord], ctx: MatchContext, limit: int = 5
              ) -> tuple[dict[tuple[str, int], list[Suggestion]], dict[tuple[str, int], list[Suggestion]]]:
    """Suggestions keyed by (unit, sheet row): openings for each seeker, and seekers for each opening."""
    by_seeker = {(s.unit, s.row): openings_for_seeker(s, openings, ctx, limit) for s in seekers}
    by_opening = {(o.unit, o.row): seekers_for_opening(o, seekers, ctx, limit) for o in openings}
    return by_seeker, by_opening

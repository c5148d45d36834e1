"""The job board: open openings from every unit's «Tuyển dụng» tab, with filters and a count.

Only the ``job_openings`` tab is read here, so no seeker's data can reach the page.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from dashboard.matching import open_openings
from sheets_schema.config import Config
from sync.cells import format_date, format_int
from sync.store import Store
from sync.text import loose_key

ALL = "Tất cả"
PROVINCE_WIDE = "Toàn tỉnh"
MAX_CARDS = 100
# Bidirectional controls (U+061C, U+200E-U+200F, U+202A-U+202E, U+2066-U+2069) can make text read
# differently from what was typed, so they are removed, along with C0/C1 controls other than tab and newline.
_HIDDEN_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\x00-\x08\x0b-\x1f\x7f-\x9f]")
# The class names carry a prefix because st.html adds this <style> to the whole page, not to one card.
_CARD_STYLE = """<style>
.kn-card { overflow-wrap: anywhere; line-height: 1.6; }
.kn-card .kn-title { margin: 0 0 0.25rem 0; }
.kn-card p { margin: 0; }
</style>"""


@dataclass(frozen=True)
class Opening:
    """One opening as shown on the public page (employer data only)."""

    employer: str
    trade: str
    position: str
    places: int | None
    job_kind: str
    min_education: str | None
    salary_vnd: int | None
    district: str
    contact_phone: str
    closes_on: dt.date | None


def _district(config: Config, unit_code: str) -> str:
    if not config.has_unit(unit_code):
        return unit_code
    unit = config.unit(unit_code)
    return unit.area_name if unit.kind == "district" and unit.area_name else PROVINCE_WIDE


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def load_openings(config: Config, store_path: Path, today: dt.date) -> list[Opening]:
    """Open openings in the store, soonest closing first (no closing date last)."""
    if not store_path.exists():
        return []
    with Store(store_path) as store:
        rows = open_openings(store.rows(tab="job_openings"), today)
    result = []
    for row in rows:
        v = row.values
        closes = v.get("closes_on")
        result.append(Opening(
            employer=_text(v.get("employer")), trade=_text(v.get("trade")), position=_text(v.get("position")),
            places=v.get("openings") if isinstance(v.get("openings"), int) else None,
            job_kind=_text(v.get("job_kind")), min_education=v.get("min_education"),
            salary_vnd=v.get("salary_vnd") if isinstance(v.get("salary_vnd"), int) else None,
            district=_district(config, row.unit), contact_phone=_text(v.get("contact_phone")),
            closes_on=dt.date.fromisoformat(closes[:10]) if isinstance(closes, str) and closes else None))
    result.sort(key=lambda o: (o.closes_on or dt.date.max, o.employer))
    return result


def filter_openings(openings: list[Opening], district: str, job_kind: str, trade: str) -> list[Opening]:
    """Apply the three filters; ``trade`` matches trade or position, ignoring case and diacritics."""
    wanted = loose_key(trade) if trade else ""
    return [o for o in openings
            if (district == ALL or o.district == district)
            and (job_kind == ALL or o.job_kind == job_kind)
            and (not wanted or wanted in loose_key(f"{o.trade} {o.position}"))]


def plain(text: str) -> str:
    """Return sheet-typed text as HTML that shows it literally: markup escaped, hidden controls removed.

    The result is meant for ``st.html``, which neither parses Markdown nor turns URLs or
    ``:shortcode:`` strings into links or icons, unlike ``st.markdown`` and ``st.caption``.
    """
    return html.escape(_HIDDEN_CONTROLS.sub("", text), quote=True)


def _phone_text(phone: str) -> str:
    if len(phone) == 10:
        return f"{phone[:4]} {phone[4:7]} {phone[7:]}"
    return phone


def card_html(opening: Opening) -> str:
    """Build one opening's card as HTML. Every value from a workbook goes through ``plain``."""
    lines = [f"Ngành nghề: {plain(opening.trade)}",
             f"Loại việc: {plain(opening.job_kind)} · Địa bàn: {plain(opening.district)}"]
    lines.append(f"Số lượng cần tuyển: {opening.places} người" if opening.places else "Số lượng cần tuyển: chưa ghi")
    lines.append(f"Trình độ tối thiểu: {plain(opening.min_education)}" if opening.min_education
                 else "Trình độ tối thiểu: không yêu cầu")
    lines.append(f"Mức lương: {format_int(opening.salary_vnd)} đồng/tháng" if opening.salary_vnd
                 else "Mức lương: thỏa thuận")
    if opening.closes_on:
        lines.append(f"Hạn nhận hồ sơ: {format_date(opening.closes_on)}")
    lines.append(f"Điện thoại liên hệ: {plain(_phone_text(opening.contact_phone))}")

    title = f'<p class="kn-title"><strong>{plain(opening.position)}</strong> · {plain(opening.employer)}</p>'
    body = "".join(f"<p>{line}</p>" for line in lines)
    return f'{_CARD_STYLE}<div class="kn-card">{title}{body}</div>'


def _card(opening: Opening) -> None:
    with st.container(border=True):
        st.html(card_html(opening))


def render(config: Config, store_path: Path, today: dt.date) -> None:
    st.subheader("Tin tuyển dụng đang mở")
    openings = load_openings(config, store_path, today)
    if not openings:
        st.info("Hiện chưa có tin tuyển dụng còn hạn. Đề nghị xem lại sau.")
        return
    districts = [ALL] + sorted({o.district for o in openings}, key=lambda d: (d == PROVINCE_WIDE, d))
    kinds = [ALL] + sorted({o.job_kind for o in openings if o.job_kind})
    district = st.selectbox("Huyện, thành phố", districts, key="board_district")
    job_kind = st.selectbox("Loại việc", kinds, key="board_kind")
    trade = st.text_input("Ngành nghề", key="board_trade", placeholder="ví dụ: may, cơ khí, thủy sản")
    shown = filter_openings(openings, district, job_kind, trade)
    places = sum(o.places or 0 for o in shown)
    st.markdown(f"**Có {len(shown)} tin tuyển dụng, cần tuyển {format_int(places)} người.**")
    for opening in shown[:MAX_CARDS]:
        _card(opening)
    if len(shown) > MAX_CARDS:
        st.caption(f"Đang hiển thị {MAX_CARDS} tin đầu tiên; đề nghị chọn thêm bộ lọc để xem các tin còn lại.")

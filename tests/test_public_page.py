"""The public page in Streamlit's AppTest: board, filters, no seeker data, registration checks."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from google.protobuf import text_format
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest

from sheets_schema import load_schema
from sync.model import RowRecord
from sync.store import Store, UnitSnapshot
from tests.helpers import full_workbook, make_workbook

REPO_ROOT = Path(__file__).resolve().parent.parent
APP = str(REPO_ROOT / "dashboard" / "public_app.py")

SEEKER_NAMES = ["Lê Thị Bình", "Trần Văn Cường", "Huỳnh Văn Hải"]
SEEKER_PHONES = ["0911222333", "0911222444", "0988777111"]
NEW_NAME = "Phan Thị Ngọc Hân"
NEW_PHONE = "0977123456"


def _opening(unit: str, row: int, employer: str, trade: str, kind: str, closes: str | None = None,
             error: bool = False) -> RowRecord:
    return RowRecord(unit=unit, tab="job_openings", row=row, has_error=error, values={
        "employer": employer, "trade": trade, "position": f"Công nhân {trade.lower()}", "openings": 10,
        "job_kind": kind, "min_education": None, "salary_vnd": 7000000, "posted_on": "2022-05-01",
        "closes_on": closes, "contact_phone": "0290383456"})


def _seekers(unit: str, names: list[str], phones: list[str]) -> list[RowRecord]:
    return [RowRecord(unit=unit, tab="job_seekers", row=index + 2, values={
        "full_name": name, "birth_year": 2001, "gender": "Nữ", "phone": phone, "commune": "Xã Tân Thuận",
        "education": "Trung cấp", "need": "Tìm việc làm", "desired_trade": "may", "registered_on": "2022-05-02",
        "status": "Đang tìm"}) for index, (name, phone) in enumerate(zip(names, phones))]


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data folder with a seeded store and Đầm Dơi's workbook; returns the workbook path."""
    monkeypatch.setenv("KETNOI_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("KETNOI_TODAY", "2022-06-01")
    monkeypatch.setenv("KETNOI_PUBLIC_MIN_FILL_SECONDS", "0")
    store_path = tmp_path / "var" / "ketnoi.sqlite3"
    with Store(store_path) as store:
        store.record_run("2022-05-30T01:00:00+00:00", [
            UnitSnapshot(unit="DAMDOI", backend="xlsx", location="", status="read", rows=[
                _opening("DAMDOI", 2, "Công ty Thủy sản Minh Phú", "Chế biến thủy sản", "Dài hạn"),
                _opening("DAMDOI", 3, "Công ty Đã Hết Hạn", "May mặc", "Thời vụ", closes="2022-05-31"),
                _opening("DAMDOI", 4, "Công ty Dòng Lỗi", "May mặc", "Dài hạn", error=True),
                *_seekers("DAMDOI", SEEKER_NAMES[:2], SEEKER_PHONES[:2])]),
            UnitSnapshot(unit="NAMCAN", backend="xlsx", location="", status="read", rows=[
                _opening("NAMCAN", 2, "Công ty May Năm Căn", "May mặc", "Ngắn hạn", closes="2022-06-01"),
                *_seekers("NAMCAN", SEEKER_NAMES[2:], SEEKER_PHONES[2:])]),
        ])
    workbook = tmp_path / "var" / "workbooks" / "DAMDOI.xlsx"
    workbook.parent.mkdir(parents=True)
    make_workbook(workbook, full_workbook(load_schema(), {}))
    return workbook


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def tree_text(at: AppTest) -> str:
    """Every field of every element on the page (labels, options, values, Markdown)."""
    parts: list[str] = []

    def walk(node) -> None:  # type: ignore[no-untyped-def]
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(text_format.MessageToString(proto, as_utf8=True))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(parts)


def _fill(at: AppTest, *, name: str = NEW_NAME, year: str = "2003", phone: str = NEW_PHONE,
          consent: bool = True) -> None:
    generation = at.session_state["reg_generation"] if "reg_generation" in at.session_state else 0
    at.text_input(key=f"reg_full_name_{generation}").input(name)
    at.text_input(key=f"reg_birth_year_{generation}").input(year)
    at.radio(key=f"reg_gender_{generation}").set_value("Nữ")
    at.text_input(key=f"reg_phone_{generation}").input(phone)
    at.selectbox(key=f"reg_unit_{generation}").set_value("DAMDOI")
    at.run()
    at.selectbox(key=f"reg_commune_DAMDOI_{generation}").set_value("Xã Tân Thuận")
    at.selectbox(key=f"reg_education_{generation}").set_value("Trung cấp")
    at.radio(key=f"reg_need_{generation}").set_value("Tìm việc làm")
    at.text_input(key=f"reg_desired_trade_{generation}").input("may công nghiệp")
    if consent:
        at.checkbox(key=f"reg_consent_{generation}").check()


def _submit(at: AppTest) -> str:
    at.button(key="reg_submit").click().run()
    assert not at.exception, at.exception
    return tree_text(at)


def _seeker_rows(workbook: Path) -> list[tuple]:
    ws = load_workbook(workbook)["Tìm việc"]
    return [r for r in ws.iter_rows(min_row=2, values_only=True) if any(v is not None for v in r)]


# ---------------------------------------------------------------- the board

def test_board_lists_open_openings(site):
    text = tree_text(_app())
    assert "Công ty Thủy sản Minh Phú" in text
    assert "Công ty May Năm Căn" in text
    assert "Công ty Đã Hết Hạn" not in text
    assert "Công ty Dòng Lỗi" not in text
    assert "Có 2 tin tuyển dụng, cần tuyển 20 người." in text
    assert "7.000.000 đồng/tháng" in text


def test_board_filters(site):
    at = _app()
    at.selectbox(key="board_district").set_value("Huyện Năm Căn").run()
    text = tree_text(at)
    assert "Có 1 tin tuyển dụng" in text
    assert "Công ty Thủy sản Minh Phú" not in text
    at.selectbox(key="board_district").set_value("Tất cả")
    at.text_input(key="board_trade").input("THUY SAN").run()
    text = tree_text(at)
    assert "Công ty Thủy sản Minh Phú" in text
    assert "Công ty May Năm Căn" not in text
    at.text_input(key="board_trade").input("")
    at.selectbox(key="board_kind").set_value("Ngắn hạn").run()
    assert "Có 1 tin tuyển dụng" in tree_text(at)


def test_page_never_shows_seeker_data(site):
    at = _app()
    for text in (tree_text(at), _submit_valid(at)):
        for name in SEEKER_NAMES + [NEW_NAME]:
            assert name not in text
        for phone in SEEKER_PHONES + [NEW_PHONE]:
            assert phone not in text
            assert f"{phone[:4]} {phone[4:7]} {phone[7:]}" not in text


def _submit_valid(at: AppTest) -> str:
    _fill(at)
    text = _submit(at)
    assert "Đăng ký thành công" in text
    return text


# Text a unit could type into its «Tuyển dụng» tab to make the public page show a link, an icon or markup.
HOSTILE = {
    "employer": "Công ty www.evil.example.com **đậm** _nghiêng_",
    "position": "Thợ hàn https://phish.example.com/dang-nhap :material/warning:",
    "trade": "Cơ khí <script>alert(1)</script> <a href=\"https://evil.example\">bấm</a>",
    "min_education": "[bấm vào đây](https://evil.example/x) ![ảnh](https://evil.example/a.png)",
    "contact_phone": "0290 \u202e383456\u202c \u2067x\u2069",
}
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


class CardParser(HTMLParser):
    """Collect the tags, attributes and text of an st.html card."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []
        self.text: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        self.tags.append(tag)
        self.attributes.extend(attrs)
        self._in_style = tag == "style"

    def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
        self._in_style = False

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        if not self._in_style:
            self.text.append(data)


@pytest.fixture
def hostile_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A data folder whose store holds one open opening with hostile employer text."""
    monkeypatch.setenv("KETNOI_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("KETNOI_TODAY", "2022-06-01")
    opening = _opening("DAMDOI", 2, "x", "x", "Dài hạn")
    opening.values.update(HOSTILE)
    with Store(tmp_path / "var" / "ketnoi.sqlite3") as store:
        store.record_run("2022-05-30T01:00:00+00:00", [
            UnitSnapshot(unit="DAMDOI", backend="xlsx", location="", status="read", rows=[opening])])


def _cards(at: AppTest) -> list[CardParser]:
    cards = []
    for element in at.get("html"):
        parser = CardParser()
        parser.feed(element.value)
        parser.close()
        cards.append(parser)
    return cards


def test_board_shows_hostile_text_literally(hostile_site):
    cards = _cards(_app())

    assert len(cards) == 1
    text = "".join(cards[0].text)
    assert "Công ty www.evil.example.com **đậm** _nghiêng_" in text
    assert "Thợ hàn https://phish.example.com/dang-nhap :material/warning:" in text
    assert "Cơ khí <script>alert(1)</script> <a href=\"https://evil.example\">bấm</a>" in text
    assert "[bấm vào đây](https://evil.example/x) ![ảnh](https://evil.example/a.png)" in text
    assert "0290 383456 x" in text
    assert "\\" not in text


def test_board_card_has_no_links_or_scripts(hostile_site):
    card = _cards(_app())[0]

    assert set(card.tags) <= {"style", "div", "p", "strong"}
    assert card.tags.count("strong") == 1
    assert {name for name, _ in card.attributes} <= {"class"}


def test_board_drops_bidi_controls(hostile_site):
    text = tree_text(_app())

    for control in BIDI_CONTROLS:
        assert control not in text, f"U+{ord(control):04X} reached the page"


def test_board_keeps_hostile_text_out_of_markdown(hostile_site):
    at = _app()
    markdown_elements = [*at.markdown, *at.caption, *at.subheader, *at.title]

    assert markdown_elements
    for element in markdown_elements:
        assert "evil" not in element.value
        assert "material/warning" not in element.value


# ---------------------------------------------------------------- registration

def test_registration_appends_row(site):
    at = _app()
    _submit_valid(at)
    rows = _seeker_rows(site)
    assert len(rows) == 1
    assert rows[0][:4] == (NEW_NAME, 2003, "Nữ", NEW_PHONE)


def test_consent_required(site):
    at = _app()
    _fill(at, consent=False)
    text = _submit(at)
    assert "Bạn chưa đồng ý cho phép sử dụng thông tin cá nhân" in text
    assert _seeker_rows(site) == []


def test_under_16_refused(site):
    at = _app()
    _fill(at, year="2008")
    text = _submit(at)
    assert "năm nay chưa đủ 16 tuổi" in text
    assert _seeker_rows(site) == []


def test_double_registration_refused(site):
    at = _app()
    _submit_valid(at)
    _fill(at, name="Phan Thị Hân")
    text = _submit(at)
    assert "đã được đăng ký trong chương trình" in text
    assert len(_seeker_rows(site)) == 1


def test_registered_phone_in_store_refused(site):
    at = _app()
    _fill(at, phone="0988 777 111")
    text = _submit(at)
    assert "đã được đăng ký trong chương trình" in text
    assert _seeker_rows(site) == []


def test_invalid_phone_shows_sheet_message(site):
    at = _app()
    _fill(at, phone="12345")
    text = _submit(at)
    assert "«Số điện thoại»: «12345» không phải số điện thoại hợp lệ" in text
    assert _seeker_rows(site) == []


# ---------------------------------------------------------------- spam and rate limits

def test_honeypot_rejected(site):
    at = _app()
    _fill(at)
    at.text_input(key="contact_website").input("http://spam.example")
    text = _submit(at)
    assert "Không gửi được đăng ký" in text
    assert _seeker_rows(site) == []


def test_fast_submission_rejected(site, monkeypatch):
    monkeypatch.setenv("KETNOI_PUBLIC_MIN_FILL_SECONDS", "3600")
    at = _app()
    _fill(at)
    text = _submit(at)
    assert "quá nhanh" in text
    assert _seeker_rows(site) == []


def test_link_in_text_rejected(site):
    at = _app()
    _fill(at)
    at.text_input(key="reg_desired_trade_0").input("xem www.viec-lam-nhanh.com")
    text = _submit(at)
    assert "không được chứa đường dẫn" in text
    assert _seeker_rows(site) == []


def test_session_limit(site):
    at = _app()
    _fill(at, consent=False)
    for _ in range(5):
        assert "Bạn chưa đồng ý" in _submit(at)
    text = _submit(at)
    assert "Bạn đã gửi quá 5 lần trong 10 phút" in text

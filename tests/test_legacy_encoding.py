"""Tests for sync.legacy_encoding: TCVN3 and VNI conversion and column detection."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.legacy_encoding import (
    ENCODINGS,
    LegacyDetection,
    convert,
    detect_legacy_encoding,
    is_vietnamese_syllable,
    looks_legacy,
    tcvn3_to_unicode,
    unicode_to_tcvn3,
    unicode_to_vni,
    vni_to_unicode,
)

# The 67 lowercase letters with diacritics: each vowel in the order
# a ă â e ê i o ô ơ u ư y, tones sắc huyền hỏi ngã nặng, then the toneless ă â ê ô ơ ư,
# then đ. Both tables below list their codes in this order.
LOWERCASE_LETTERS = (
    "á à ả ã ạ ắ ằ ẳ ẵ ặ ấ ầ ẩ ẫ ậ é è ẻ ẽ ẹ ế ề ể ễ ệ í ì ỉ ĩ ị "
    "ó ò ỏ õ ọ ố ồ ổ ỗ ộ ớ ờ ở ỡ ợ ú ù ủ ũ ụ ứ ừ ử ữ ự ý ỳ ỷ ỹ ỵ "
    "ă â ê ô ơ ư đ"
).split()

# TCVN 5712:1993 VN3 codes as Windows-1252 characters, written out by hand. glibc
# iconv's TCVN5712-1 decoder maps these 67 bytes to the same letters.
TCVN3_LOWERCASE_CODES = (
    "¸ µ ¶ · ¹ ¾ » ¼ ½ Æ Ê Ç È É Ë Ð Ì Î Ï Ñ Õ Ò Ó Ô Ö Ý × Ø Ü Þ "
    "ã ß á â ä è å æ ç é í ê ë ì î ó ï ñ ò ô ø õ ö ÷ ù ý ú û ü þ "
    "¨ © ª « ¬ \u00ad ®"
).split(" ")

# VNI-Windows sequences, written out by hand (the same table as vni.h of the xvnkb
# keyboard driver).
VNI_LOWERCASE_CODES = (
    "aù aø aû aõ aï aé aè aú aü aë aá aà aå aã aä eù eø eû eõ eï eá eà eå eã eä í ì æ ó ò "
    "où oø oû oõ oï oá oà oå oã oä ôù ôø ôû ôõ ôï uù uø uû uõ uï öù öø öû öõ öï yù yø yû yõ î "
    "aê aâ eâ oâ ô ö ñ"
).split()

TCVN3_UPPERCASE_PAIRS = [("¡", "Ă"), ("¢", "Â"), ("£", "Ê"), ("¤", "Ô"), ("¥", "Ơ"), ("¦", "Ư"), ("§", "Đ")]

PLACE_NAMES = [
    "Đầm Dơi",
    "Thới Bình",
    "Trần Văn Thời",
    "Cái Nước",
    "Ngọc Hiển",
    "Năm Căn",
    "Phú Tân",
    "U Minh",
    "Cà Mau",
    "Khánh Bình Tây Bắc",
    "Tân Hưng Đông",
    "Nguyễn Phích",
    "Hồ Thị Kỷ",
    "Rạch Gốc",
    "Sông Đốc",
    "Đất Mũi",
    "Tam Giang Tây",
    "Thị trấn Cái Đôi Vàm",
    "Phường 5",
    "Xã Lợi An",
]
PERSON_NAMES = [
    "Nguyễn Huân",
    "Tạ An Khương",
    "Nguyễn Văn An",
    "Trần Thị Bình",
    "Lê Hoàng Cường",
    "Phạm Minh Dũng",
    "Võ Thị Sáu",
    "Đặng Thùy Trâm",
    "Bùi Xuân Phái",
    "Đỗ Thị Ngọc Yến",
    "Hồ Xuân Hương",
    "Ngô Bảo Châu",
    "Dương Quốc Khánh",
    "Lý Thường Kiệt",
    "Huỳnh Thị Thuỷ",
    "Quách Tuấn Kiệt",
    "Trương Mỹ Duyên",
    "Châu Thị Huyền",
    "Lâm Quang Khuyến",
    "Giang Thị Nguyệt",
]
# Words that use many rhymes, tones and the qu, gi and ngh onsets.
VOCABULARY = [
    "khuya", "nghiêng", "giữ", "quyển", "thuở", "khoẻ", "khỏe", "hoà", "hòa", "ngoằn",
    "ngoèo", "oẳn", "tuýt", "huỳnh", "khuếch", "uống", "rượu", "hươu", "tiếng", "yêu",
    "việc", "trường", "thiếu", "niên", "đoàn", "thanh", "kết", "nối", "an", "cư",
    "học", "bổng", "ấp", "ủy", "ban", "nhân", "dân", "bí", "thư", "phó",
]
ROUND_TRIP_TEXTS = LOWERCASE_LETTERS + PLACE_NAMES + PERSON_NAMES + VOCABULARY

# About 50 Unicode Vietnamese names and places, many with only Latin-1 letters (à, ê,
# ô, ú), which are the ones a careless detector would read as TCVN3 or VNI.
UNICODE_COLUMN = PLACE_NAMES + PERSON_NAMES + [
    "Lê Hà",
    "Hoàng Tú",
    "Tô Hoài",
    "Lê Thành Tâm",
    "Hoàng Lan",
    "Mê Linh",
    "Lê Bá Tú",
    "Võ Thành Tâm",
    "Tô Châu",
    "Hoà Thành",
    "Hòa Thành",
    "Khánh Lâm",
]
FOREIGN_NAMES = [
    "Loïc", "Anaïs", "Héloïse", "François", "Zoé", "Benoît", "Noël", "Raphaël", "José",
    "Müller", "Björk", "Gaël", "Chloé", "Thérèse", "André", "Peña", "Muñoz", "Søren",
    "Åsa", "Jürgen", "São Paulo", "Montréal", "Café au lait", "naïve", "Maël", "Thaïs",
    "John Smith", "Mary O'Neil",
]


def test_module_tables_have_all_letters() -> None:
    assert len(LOWERCASE_LETTERS) == 67
    assert len(TCVN3_LOWERCASE_CODES) == 67
    assert len(VNI_LOWERCASE_CODES) == 67
    assert all(unicodedata.is_normalized("NFC", letter) for letter in LOWERCASE_LETTERS)


@pytest.mark.parametrize(("code", "letter"), list(zip(TCVN3_LOWERCASE_CODES, LOWERCASE_LETTERS)))
def test_tcvn3_lowercase_letter(code: str, letter: str) -> None:
    assert tcvn3_to_unicode(code) == letter
    assert unicode_to_tcvn3(letter) == code


@pytest.mark.parametrize(("code", "letter"), TCVN3_UPPERCASE_PAIRS)
def test_tcvn3_uppercase_base_letter(code: str, letter: str) -> None:
    assert tcvn3_to_unicode(code) == letter
    assert unicode_to_tcvn3(letter) == code


@pytest.mark.parametrize(("code", "letter"), list(zip(VNI_LOWERCASE_CODES, LOWERCASE_LETTERS)))
def test_vni_letter_both_cases(code: str, letter: str) -> None:
    assert vni_to_unicode(code) == letter
    assert vni_to_unicode(code.upper()) == letter.upper()
    assert unicode_to_vni(letter) == code
    assert unicode_to_vni(letter.upper()) == code.upper()


@pytest.mark.parametrize(
    ("legacy", "expected"),
    [
        ("§Çm D¬i", "Đầm Dơi"),
        ("Thíi B×nh", "Thới Bình"),
        ("TrÇn V¨n Thêi", "Trần Văn Thời"),
        ("C¸i N\u00adíc", "Cái Nước"),
        ("Ngäc HiÓn", "Ngọc Hiển"),
        ("NguyÔn Hu©n", "Nguyễn Huân"),
        ("T¹ An Kh\u00ad¬ng", "Tạ An Khương"),
        ("Tr\u00adêng THCS Kh¸nh B×nh", "Trường THCS Khánh Bình"),
        ("BÝ th\u00ad §oµn", "Bí thư Đoàn"),
    ],
)
def test_tcvn3_known_text(legacy: str, expected: str) -> None:
    assert tcvn3_to_unicode(legacy) == expected


@pytest.mark.parametrize(
    ("legacy", "expected"),
    [
        ("THíI B×NH", "THỚI BÌNH"),
        ("§ÇM D¥I", "ĐẦM DƠI"),
        ("NGUYÔN V¡N A", "NGUYỄN VĂN A"),
        ("UBND X· KH¸NH B×NH", "UBND XÃ KHÁNH BÌNH"),
        ("Tr\u00adêng THCS KH¸NH B×NH", "Trường THCS KHÁNH BÌNH"),
    ],
)
def test_tcvn3_capitals_from_uppercase_font(legacy: str, expected: str) -> None:
    assert tcvn3_to_unicode(legacy) == expected


@pytest.mark.parametrize(
    ("legacy", "expected"),
    [
        ("NguyÔn ThÞ ý", "Nguyễn Thị Ý"),
        ("Êp Th¸i B×nh", "Ấp Thái Bình"),
        ("ý kiÕn", "ý kiến"),
        ("Bµ", "Bà"),
        ("Lý Bµ", "Lý Bà"),
        ("§¸", "Đá"),
        # No other word shows the case, so the caseless initial stays lowercase.
        ("Êp 3", "ấp 3"),
    ],
)
def test_tcvn3_case_of_caseless_letters(legacy: str, expected: str) -> None:
    assert tcvn3_to_unicode(legacy) == expected


@pytest.mark.parametrize(
    ("legacy", "expected"),
    [
        ("Ñaàm Dôi", "Đầm Dơi"),
        ("Thôùi Bình", "Thới Bình"),
        ("Traàn Vaên Thôøi", "Trần Văn Thời"),
        ("Caùi Nöôùc", "Cái Nước"),
        ("Ngoïc Hieån", "Ngọc Hiển"),
        ("Nguyeãn Huaân", "Nguyễn Huân"),
        ("Taï An Khöông", "Tạ An Khương"),
        ("NGUYEÃN VAÊN A", "NGUYỄN VĂN A"),
        ("Khuya", "Khuya"),
        ("Ñoaøn Thanh nieân", "Đoàn Thanh niên"),
    ],
)
def test_vni_known_text(legacy: str, expected: str) -> None:
    assert vni_to_unicode(legacy) == expected


def test_vni_mark_case_follows_base_letter() -> None:
    assert vni_to_unicode("AÀ") == "Ầ"
    assert vni_to_unicode("Aà") == "Ầ"
    assert vni_to_unicode("aÀ") == "ầ"


@pytest.mark.parametrize("text", ROUND_TRIP_TEXTS)
def test_tcvn3_round_trip(text: str) -> None:
    assert tcvn3_to_unicode(unicode_to_tcvn3(text)) == text


@pytest.mark.parametrize("text", ROUND_TRIP_TEXTS)
def test_vni_round_trip(text: str) -> None:
    assert vni_to_unicode(unicode_to_vni(text)) == text


@pytest.mark.parametrize("text", PLACE_NAMES + PERSON_NAMES)
def test_tcvn3_round_trip_capitals(text: str) -> None:
    capitals = text.upper()

    assert tcvn3_to_unicode(unicode_to_tcvn3(capitals)) == capitals


@pytest.mark.parametrize("text", PLACE_NAMES + PERSON_NAMES)
def test_vni_round_trip_capitals(text: str) -> None:
    capitals = text.upper()

    assert vni_to_unicode(unicode_to_vni(capitals)) == capitals


def test_conversion_output_is_nfc() -> None:
    decomposed_tail = "§Çm " + unicodedata.normalize("NFD", "Dơi")

    assert tcvn3_to_unicode(decomposed_tail) == "Đầm Dơi"
    assert vni_to_unicode("Ñaàm " + unicodedata.normalize("NFD", "Dơi")) == "Đầm Dơi"


def test_tcvn3_toned_capital_uses_lowercase_code() -> None:
    assert unicode_to_tcvn3("Ớ") == unicode_to_tcvn3("ớ")
    assert unicode_to_tcvn3("Ơ") == "¥"


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_convert_dispatches(encoding: str) -> None:
    encoder = unicode_to_tcvn3 if encoding == "TCVN3" else unicode_to_vni

    assert convert(encoder("Đầm Dơi"), encoding) == "Đầm Dơi"  # type: ignore[arg-type]


def test_convert_unknown_encoding_raises() -> None:
    with pytest.raises(ValueError, match="VISCII"):
        convert("abc", "VISCII")  # type: ignore[arg-type]


def test_looks_legacy_unknown_encoding_raises() -> None:
    with pytest.raises(ValueError, match="unknown legacy encoding"):
        looks_legacy("abc", "UTF-8")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "word",
    ["a", "ê", "ơi", "người", "nghiêng", "giữ", "gì", "quý", "khuya", "hoà", "hòa", "thuỷ", "thủy",
     "oanh", "uých", "huỳnh", "xoong", "khuếch", "thuở", "Trường", "ĐẦM"],
)
def test_syllable_accepts_vietnamese(word: str) -> None:
    assert is_vietnamese_syllable(word)


@pytest.mark.parametrize(
    "word",
    ["", "â", "ă", "đ", "thíi", "ñaàm", "hộlốne", "mỹller", "càt", "bàc", "ồnh", "ơch", "ẵ",
     "ôhelloằ", "áà", "francois", "smith", "b×nh", "x2"],
)
def test_syllable_rejects_non_vietnamese(word: str) -> None:
    assert not is_vietnamese_syllable(word)


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("§Çm D¬i", "TCVN3"),
        ("Thíi B×nh", "TCVN3"),
        ("THíI B×NH", "TCVN3"),
        ("Tr\u00adêng THCS sè 2", "TCVN3"),
        ("Ñaàm Dôi", "VNI"),
        ("Nguyeãn Huaân", "VNI"),
        ("HOAØNG", "VNI"),
    ],
)
def test_looks_legacy_true(text: str, encoding: str) -> None:
    assert looks_legacy(text, encoding)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        # Also the valid Unicode syllables dôi, Hoàng and Lê, so not decidable alone.
        ("Dôi", "VNI"),
        ("Hoàng", "VNI"),
        ("Lê Hà", "TCVN3"),
        # Legacy text in the other encoding.
        ("§Çm D¬i", "VNI"),
        ("Ñaàm Dôi", "TCVN3"),
        # One-character symbols that happen to be TCVN3 letters.
        ("5 £", "TCVN3"),
        ("3 × 4", "TCVN3"),
        ("© 2022", "TCVN3"),
        ("«Xin chào»", "TCVN3"),
        ("", "TCVN3"),
        ("plain ascii", "VNI"),
        ("Đầm Dơi", "VNI"),
    ],
)
def test_looks_legacy_false(text: str, encoding: str) -> None:
    assert not looks_legacy(text, encoding)  # type: ignore[arg-type]


# "U Minh" is plain ASCII in every encoding, so it is not a text cell.
NON_ASCII_NAME_COUNT = sum(not name.isascii() for name in PLACE_NAMES + PERSON_NAMES)


def test_detect_tcvn3_column() -> None:
    column: list[object] = [unicode_to_tcvn3(name) for name in PLACE_NAMES + PERSON_NAMES]
    column += ["", None, 42, "Phuong 5", "THCS"]

    detection = detect_legacy_encoding(column)

    assert detection is not None
    assert detection.encoding == "TCVN3"
    assert detection.text_cells == NON_ASCII_NAME_COUNT
    assert detection.legacy_cells == NON_ASCII_NAME_COUNT
    assert 0.8 < detection.confidence < 1.0


def test_detect_vni_column() -> None:
    column = [unicode_to_vni(name) for name in PLACE_NAMES + PERSON_NAMES]

    detection = detect_legacy_encoding(column)

    assert detection is not None
    assert detection.encoding == "VNI"
    assert detection.text_cells == NON_ASCII_NAME_COUNT
    assert detection.legacy_cells == NON_ASCII_NAME_COUNT


def test_detect_short_example_columns() -> None:
    tcvn3 = detect_legacy_encoding(["§Çm D¬i", "Thíi B×nh"])
    vni = detect_legacy_encoding(["Ñaàm Dôi"])

    assert tcvn3 is not None
    assert tcvn3.encoding == "TCVN3"
    assert tcvn3.legacy_cells == 2
    assert vni is not None
    assert vni.encoding == "VNI"
    assert vni.legacy_cells == 1


def test_detect_repeated_values_counted_each_time() -> None:
    detection = detect_legacy_encoding(["§Çm D¬i"] * 1000 + ["Đầm Dơi"] * 10)

    assert detection is not None
    assert detection.legacy_cells == 1000
    assert detection.text_cells == 1010
    assert detection.share == pytest.approx(1000 / 1010)


def test_detect_confidence_grows_with_column_length() -> None:
    short = detect_legacy_encoding(["§Çm D¬i"])
    long = detect_legacy_encoding(["§Çm D¬i"] * 100)

    assert short is not None
    assert long is not None
    assert short.confidence < long.confidence


def test_detect_mixed_column_majority_legacy() -> None:
    legacy = [unicode_to_vni(name) for name in PERSON_NAMES[:12]]
    unicode = PERSON_NAMES[12:]

    detection = detect_legacy_encoding(legacy + unicode)

    assert detection is not None
    assert detection.encoding == "VNI"
    assert detection.text_cells == len(PERSON_NAMES)


def test_detect_mixed_column_minority_legacy() -> None:
    column = [unicode_to_tcvn3(name) for name in PERSON_NAMES[:3]] + UNICODE_COLUMN

    assert detect_legacy_encoding(column) is None
    assert detect_legacy_encoding(column, min_share=0.05) is not None


def test_detect_min_legacy_cells() -> None:
    assert detect_legacy_encoding(["§Çm D¬i"], min_legacy_cells=2) is None


def test_detect_none_on_unicode_column() -> None:
    assert len(UNICODE_COLUMN) >= 50
    assert detect_legacy_encoding(UNICODE_COLUMN) is None


@pytest.mark.parametrize("text", UNICODE_COLUMN)
def test_unicode_name_not_legacy(text: str) -> None:
    for encoding in ENCODINGS:
        assert not looks_legacy(text, encoding)


def test_detect_none_on_decomposed_unicode() -> None:
    column = [unicodedata.normalize("NFD", text) for text in UNICODE_COLUMN]

    assert detect_legacy_encoding(column) is None


def test_detect_none_on_ascii() -> None:
    column = ["Nguyen Van An", "Dam Doi", "0912345678", "", "x", "THCS Tran Van Thoi"]

    assert detect_legacy_encoding(column) is None


def test_detect_none_on_punctuation() -> None:
    column = [
        "Số 12, đường 3/2 (khóm 4) – TP. Cà Mau",
        "“Tuổi trẻ” — tình nguyện…",
        "© 2022 Tỉnh đoàn",
        "5 £ · 3 × 4 ± 1 °C",
        "«Kết nối»",
        "¿Qué? ¡Hola!",
        "½ ¼ ¾",
        "a · b",
    ]

    assert detect_legacy_encoding(column) is None


def test_detect_none_on_foreign_names() -> None:
    assert detect_legacy_encoding(FOREIGN_NAMES) is None


@pytest.mark.parametrize("name", [name for name in FOREIGN_NAMES if name != "Loïc"])
def test_foreign_name_not_legacy(name: str) -> None:
    # "Loïc" is left out: it is also the VNI spelling of the syllable Lọc.
    for encoding in ENCODINGS:
        assert not looks_legacy(name, encoding)


def test_detect_none_on_emoji() -> None:
    column = ["🎉", "Hội trại 🏕️", "✔", "👍 tốt", "😀😀😀", "❤️ Cà Mau"]

    assert detect_legacy_encoding(column) is None


def test_detect_none_on_empty_column() -> None:
    assert detect_legacy_encoding([]) is None


def test_detection_is_immutable() -> None:
    detection = LegacyDetection(encoding="VNI", confidence=0.5, legacy_cells=1, text_cells=2)

    with pytest.raises(AttributeError):
        detection.legacy_cells = 3  # type: ignore[misc]


VIETNAMESE_LOWERCASE_ALPHABET = "".join(LOWERCASE_LETTERS) + "abcdeghiklmnopqrstuvxy"
VIETNAMESE_ALPHABET = VIETNAMESE_LOWERCASE_ALPHABET + VIETNAMESE_LOWERCASE_ALPHABET.upper()


@settings(max_examples=300)
@given(st.text(alphabet=VIETNAMESE_LOWERCASE_ALPHABET + " 0123456789.,-/()"))
def test_tcvn3_round_trip_property(text: str) -> None:
    assert tcvn3_to_unicode(unicode_to_tcvn3(text)) == text


@settings(max_examples=300)
@given(st.text(alphabet=VIETNAMESE_ALPHABET + " 0123456789.,-/()"))
def test_vni_round_trip_property(text: str) -> None:
    assert vni_to_unicode(unicode_to_vni(text)) == text


@settings(max_examples=300)
@given(st.lists(st.text()))
def test_detect_never_raises(values: list[str]) -> None:
    detection = detect_legacy_encoding(values)

    if detection is not None:
        assert detection.encoding in ENCODINGS
        assert 0.0 <= detection.confidence <= 1.0
        assert 0 < detection.legacy_cells <= detection.text_cells <= len(values)


@settings(max_examples=300)
@given(st.text(), st.sampled_from(ENCODINGS))
def test_convert_never_raises(text: str, encoding: str) -> None:
    converted = convert(text, encoding)  # type: ignore[arg-type]

    assert unicodedata.is_normalized("NFC", converted)
    assert isinstance(looks_legacy(text, encoding), bool)  # type: ignore[arg-type]


@settings(max_examples=300)
@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF)))
def test_convert_latin1_never_raises(text: str) -> None:
    for encoding in ENCODINGS:
        assert unicodedata.is_normalized("NFC", convert(text, encoding))
        looks_legacy(text, encoding)

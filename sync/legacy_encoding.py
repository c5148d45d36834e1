"""Detect and convert Vietnamese text typed with legacy 8-bit font encodings.

Before Unicode, Vietnamese offices typed with fonts that draw Vietnamese letters at
Latin-1 code points. A cell typed that way arrives in a workbook as the Windows-1252
reading of those bytes:

* TCVN3 (ABC, TCVN 5712:1993 VN3, fonts such as .VnTime): one byte per letter,
  so ``Đầm Dơi`` is stored as ``§Çm D¬i``.
* VNI (VNI-Windows, fonts such as VNI-Times): a base letter followed by one mark
  byte, so ``Đầm Dơi`` is stored as ``Ñaàm Dôi``.

Both encodings reuse characters that also occur in Unicode Vietnamese (``à``,
``ô``, ``í``) and in French or German names, so a single short cell is often
ambiguous. ``detect_legacy_encoding`` therefore judges a whole column. A cell counts
as legacy text only if every word it changes converts to a valid Vietnamese syllable,
and at least one such word of two or more characters was not a valid syllable before
conversion. Characters outside Latin-1 that only Unicode Vietnamese uses (``ă``,
``ơ``, ``ạ``...) mark a cell as Unicode at once, and that cheap check runs first.

Run detection and conversion on the raw cell text. The TCVN3 code for ``ư`` is U+00AD
SOFT HYPHEN, which text cleaning that drops invisible characters deletes.
"""

from __future__ import annotations

import enum
import functools
import math
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final, Literal

__all__ = [
    "ENCODINGS",
    "LegacyDetection",
    "LegacyEncoding",
    "convert",
    "detect_legacy_encoding",
    "is_vietnamese_syllable",
    "looks_legacy",
    "tcvn3_to_unicode",
    "unicode_to_tcvn3",
    "unicode_to_vni",
    "vni_to_unicode",
]

LegacyEncoding = Literal["TCVN3", "VNI"]
ENCODINGS: Final[tuple[LegacyEncoding, ...]] = ("TCVN3", "VNI")

# --- Vietnamese letters -------------------------------------------------------------

# Tone order used by every table below: none, sắc, huyền, hỏi, ngã, nặng.
_TONE_COMBINING: Final = ("", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323")
_BASE_VOWELS: Final = "aăâeêioôơuưy"


def _with_tone(base: str, tone: int) -> str:
    return unicodedata.normalize("NFC", base + _TONE_COMBINING[tone])


# Lowercase letter -> (toneless base letter, tone index), for all 12 vowels x 6 tones and đ.
_LETTER_PARTS: Final[dict[str, tuple[str, int]]] = {
    _with_tone(base, tone): (base, tone) for base in _BASE_VOWELS for tone in range(6)
}
_LETTER_PARTS["đ"] = ("đ", 0)

# Characters outside Latin-1 that occur only in Unicode Vietnamese text: ă đ ĩ ũ ơ ư in
# both cases, the Latin Extended Additional letters, and the combining tone marks of
# decomposed (NFD) text. A cell containing one is Unicode, not legacy text.
_UNICODE_VIETNAMESE_RE: Final = re.compile(
    "[\u0102\u0103\u0110\u0111\u0128\u0129\u0168\u0169\u01a0\u01a1\u01af\u01b0"
    "\u1ea0-\u1ef9\u0300\u0301\u0303\u0309\u0323]"
)
# Both legacy encodings only produce characters in U+00A1..U+00FF beyond ASCII.
_LATIN1_HIGH_RE: Final = re.compile("[\u00a1-\u00ff]")
# A word of legacy text: ASCII letters and any Latin-1 character from U+00A1 up, because
# TCVN3 uses punctuation such as § ¬ × · as letters.
_LEGACY_WORD_RE: Final = re.compile("[A-Za-z\u00a1-\u00ff]+")

# --- Vietnamese syllable structure --------------------------------------------------

_ONSETS: Final = "ngh|ng|nh|ch|gh|gi|kh|ph|th|tr|qu|[bcdđghklmnprstvx]"
# Rhymes that end the syllable without a consonant (vowels and vowel-glide clusters).
_OPEN_RHYMES: Final = (
    "iêu yêu oai oay oao oeo uây uôi uya uyu ươi ươu "
    "ai ao au ay âu ây eo êu ia iu oa oe oi ôi ơi ua uê ui uơ uy ưa ưi ưu ươ "
    "a e ê i o ô ơ u ư y"
).split()
# Vowel nuclei that take a final consonant. Without one, ă, â, iê, uô and ươ are invalid.
_CLOSED_NUCLEI: Final = (
    "uyê iê yê oa oă oe oo uâ uê uô ươ uy a ă â e ê i o ô ơ u ư"
).split()
_CODAS: Final = "ng|nh|ch|c|m|n|p|t"
_SYLLABLE_RE: Final = re.compile(
    f"(?:{_ONSETS})?"
    f"(?:(?:{'|'.join(_OPEN_RHYMES)})|(?P<nucleus>{'|'.join(_CLOSED_NUCLEI)})(?P<coda>{_CODAS}))"
)
# Final ch and nh follow only these nuclei (anh, êch, inh, oanh, uênh, uych).
_NUCLEI_BEFORE_CH_NH: Final = frozenset({"a", "ê", "i", "oa", "uê", "uy"})
# After a final stop (c, ch, p, t) only the sắc and nặng tones occur.
_STOP_CODAS: Final = frozenset({"c", "ch", "p", "t"})
_STOP_TONES: Final = frozenset({1, 5})


def is_vietnamese_syllable(word: str) -> bool:
    """Check whether ``word`` (NFC, any case) is a well-formed Vietnamese syllable.

    The check covers onset, vowel cluster, final consonant and the tone rules that
    distinguish real syllables from legacy-encoding garbage. Both tone placements
    (``hoà`` and ``hòa``) pass. Spelling rules such as c/k/q are not checked.
    """
    bases: list[str] = []
    tone = 0
    for char in word.lower():
        parts = _LETTER_PARTS.get(char)
        if parts is not None:
            base, char_tone = parts
            if char_tone:
                if tone:
                    return False
                tone = char_tone
            bases.append(base)
        elif "a" <= char <= "z":
            bases.append(char)
        else:
            return False
    match = _SYLLABLE_RE.fullmatch("".join(bases))
    if match is None:
        return False
    coda = match.group("coda")
    if coda in ("ch", "nh") and match.group("nucleus") not in _NUCLEI_BEFORE_CH_NH:
        return False
    return not (coda in _STOP_CODAS and tone not in _STOP_TONES)


# --- TCVN3 --------------------------------------------------------------------------

# Code points of each lowercase letter in TCVN 5712:1993 VN3, in tone order.
# ASCII entries are the plain letters themselves.
_TCVN3_LOWERCASE_CODES: Final[dict[str, tuple[int, ...]]] = {
    "a": (0x61, 0xB8, 0xB5, 0xB6, 0xB7, 0xB9),
    "ă": (0xA8, 0xBE, 0xBB, 0xBC, 0xBD, 0xC6),
    "â": (0xA9, 0xCA, 0xC7, 0xC8, 0xC9, 0xCB),
    "e": (0x65, 0xD0, 0xCC, 0xCE, 0xCF, 0xD1),
    "ê": (0xAA, 0xD5, 0xD2, 0xD3, 0xD4, 0xD6),
    "i": (0x69, 0xDD, 0xD7, 0xD8, 0xDC, 0xDE),
    "o": (0x6F, 0xE3, 0xDF, 0xE1, 0xE2, 0xE4),
    "ô": (0xAB, 0xE8, 0xE5, 0xE6, 0xE7, 0xE9),
    "ơ": (0xAC, 0xED, 0xEA, 0xEB, 0xEC, 0xEE),
    "u": (0x75, 0xF3, 0xEF, 0xF1, 0xF2, 0xF4),
    "ư": (0xAD, 0xF8, 0xF5, 0xF6, 0xF7, 0xF9),
    "y": (0x79, 0xFD, 0xFA, 0xFB, 0xFC, 0xFE),
}
# VN3 has only these seven uppercase Vietnamese letters. Lowercase đ is 0xAE.
_TCVN3_UPPERCASE_CODES: Final[dict[str, int]] = {
    "Ă": 0xA1, "Â": 0xA2, "Ê": 0xA3, "Ô": 0xA4, "Ơ": 0xA5, "Ư": 0xA6, "Đ": 0xA7,
}


def _build_tcvn3_decode_table() -> dict[int, str]:
    table: dict[int, str] = {0xAE: "đ"}
    for base, codes in _TCVN3_LOWERCASE_CODES.items():
        for tone, code in enumerate(codes):
            if code >= 0x80:
                table[code] = _with_tone(base, tone)
    for letter, code in _TCVN3_UPPERCASE_CODES.items():
        table[code] = letter
    return table


_TCVN3_DECODE: Final[dict[int, str]] = _build_tcvn3_decode_table()
_TCVN3_ENCODE: Final[dict[int, str]] = {ord(letter): chr(code) for code, letter in _TCVN3_DECODE.items()}
_TCVN3_CODE_RE: Final = re.compile("[" + "".join(sorted(chr(code) for code in _TCVN3_DECODE)) + "]")
# Letters whose case the byte does not tell: VN3 stores Ớ and ớ under one code, and
# the uppercase font .VnTimeH draws that code as Ớ.
_TCVN3_CASELESS: Final = frozenset(
    chr(code) for code, letter in _TCVN3_DECODE.items() if _LETTER_PARTS[letter.lower()][1] != 0
)
_TCVN3_UPPER_EVIDENCE: Final = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ" + "".join(chr(code) for code in _TCVN3_UPPERCASE_CODES.values())
)
_TCVN3_LOWER_EVIDENCE: Final = frozenset(
    "abcdefghijklmnopqrstuvwxyz" + "".join(chr(code) for code in range(0xA8, 0xAF))
)

# Matches wherever _restore_tcvn3_case could change something: an uppercase letter
# after another letter, or a word that starts with a caseless letter. Title-case text
# such as ``NguyÔn V¨n An`` does not match and skips the per-word pass.
_MAY_NEED_RECASE_RE: Final = re.compile(
    "[A-Za-z\u00a1-\u00ff][A-Z\u00a1-\u00a7]|(?<![A-Za-z\u00a1-\u00ff])["
    + "".join(sorted(_TCVN3_CASELESS))
    + "]"
)


def _has_inner_uppercase(word: str) -> bool:
    return any(char in _TCVN3_UPPER_EVIDENCE for char in word[1:])


def _has_lowercase(word: str) -> bool:
    return any(char in _TCVN3_LOWER_EVIDENCE for char in word)


def _restore_tcvn3_case(text: str, converted: str) -> str:
    """Recase converted words whose TCVN3 bytes lost the uppercase of toned letters.

    ``text`` is the TCVN3 input and ``converted`` its character-by-character decoding,
    so word positions match. A word is set in capitals when it, or the whole cell,
    has an uppercase letter after its first character and no lowercase evidence
    (``THíI`` -> ``THỚI``). A word that starts with a caseless letter gets a capital
    initial when every other word of the cell starts with a capital
    (``NguyÔn ThÞ ý`` -> ``Nguyễn Thị Ý``).
    """
    words = list(_LEGACY_WORD_RE.finditer(text))
    cell_is_capitals = any(_has_inner_uppercase(m.group()) for m in words) and not any(
        _has_lowercase(m.group()) for m in words
    )
    pieces: list[str] = []
    position = 0
    for index, match in enumerate(words):
        word = match.group()
        if not any(char in _TCVN3_CASELESS for char in word):
            continue
        start, end = match.span()
        decoded = converted[start:end]
        if cell_is_capitals or (_has_inner_uppercase(word) and not _has_lowercase(word)):
            recased = decoded.upper()
        elif word[0] in _TCVN3_CASELESS and _other_words_are_capitalised(words, index):
            recased = decoded[0].upper() + decoded[1:]
        else:
            continue
        pieces.append(converted[position:start])
        pieces.append(recased)
        position = end
    if not pieces:
        return converted
    pieces.append(converted[position:])
    return "".join(pieces)


def _other_words_are_capitalised(words: list[re.Match[str]], index: int) -> bool:
    initials = [
        m.group()[0] for i, m in enumerate(words) if i != index and m.group()[0] not in _TCVN3_CASELESS
    ]
    return bool(initials) and all(initial in _TCVN3_UPPER_EVIDENCE for initial in initials)


def tcvn3_to_unicode(text: str) -> str:
    """Convert text typed in TCVN3 (ABC, VN3) to NFC Unicode.

    Characters that are not VN3 codes pass through unchanged.
    """
    # NOTE: VN3 has no uppercase toned letters. Documents in .VnTimeH store them under
    # the lowercase codes, so the case of a word that starts with a toned vowel, such
    # as ``ý`` (ý or Ý) or ``Êp`` (ấp or Ấp), is a guess made by _restore_tcvn3_case.
    # The VN1 uppercase positions (0x80-0x9F, 0xC0-0xC5 and others) are not decoded,
    # because U+00C0..U+00C5 are also ordinary Unicode letters.
    if not _TCVN3_CODE_RE.search(text):
        return unicodedata.normalize("NFC", text)
    converted = text.translate(_TCVN3_DECODE)
    if _MAY_NEED_RECASE_RE.search(text):
        converted = _restore_tcvn3_case(text, converted)
    return unicodedata.normalize("NFC", converted)


def unicode_to_tcvn3(text: str) -> str:
    """Encode Unicode Vietnamese as TCVN3 (VN3) text, the inverse of tcvn3_to_unicode.

    Uppercase toned letters, which VN3 lacks, get the code of their lowercase letter,
    as documents set in the uppercase font .VnTimeH store them. Other characters pass
    through unchanged.
    """
    nfc = unicodedata.normalize("NFC", text)
    return "".join(_encode_tcvn3_char(char) for char in nfc)


def _encode_tcvn3_char(char: str) -> str:
    encoded = _TCVN3_ENCODE.get(ord(char))
    if encoded is not None:
        return encoded
    lower = char.lower()
    if lower != char and len(lower) == 1 and ord(lower) in _TCVN3_ENCODE:
        return _TCVN3_ENCODE[ord(lower)]
    return char


# --- VNI ----------------------------------------------------------------------------

# Mark bytes of VNI-Windows, in tone order. A plain vowel takes _VNI_TONE_MARKS. The
# letters a, e and o take _VNI_CIRCUMFLEX_MARKS to make â, ê and ô, and a takes
# _VNI_BREVE_MARKS to make ă. ơ and ư are the single bytes ô and ö, followed by a tone mark.
_VNI_TONE_MARKS: Final = ("", "ù", "ø", "û", "õ", "ï")
_VNI_CIRCUMFLEX_MARKS: Final = ("â", "á", "à", "å", "ã", "ä")
_VNI_BREVE_MARKS: Final = ("ê", "é", "è", "ú", "ü", "ë")
# The i vowel and ỵ are single bytes.
_VNI_I_CODES: Final = ("i", "í", "ì", "æ", "ó", "ò")
_VNI_Y_DOT_BELOW: Final = "î"


def _vni_lowercase_sequences() -> dict[str, str]:
    """Return the VNI byte sequence of every lowercase Vietnamese letter."""
    sequences: dict[str, str] = {"đ": "ñ"}
    prefixes = {"a": "a", "e": "e", "o": "o", "u": "u", "y": "y", "ơ": "ô", "ư": "ö"}
    for base, prefix in prefixes.items():
        for tone, mark in enumerate(_VNI_TONE_MARKS):
            sequences[_with_tone(base, tone)] = prefix + mark
    for base, prefix in {"â": "a", "ê": "e", "ô": "o"}.items():
        for tone, mark in enumerate(_VNI_CIRCUMFLEX_MARKS):
            sequences[_with_tone(base, tone)] = prefix + mark
    for tone, mark in enumerate(_VNI_BREVE_MARKS):
        sequences[_with_tone("ă", tone)] = "a" + mark
    for tone, code in enumerate(_VNI_I_CODES):
        sequences[_with_tone("i", tone)] = code
    sequences["ỵ"] = _VNI_Y_DOT_BELOW
    return sequences


_VNI_ENCODE_LOWER: Final[dict[str, str]] = _vni_lowercase_sequences()
# Lowercase VNI sequence -> lowercase letter, without the plain ASCII letters.
_VNI_DECODE_LOWER: Final[dict[str, str]] = {
    sequence: letter for letter, sequence in _VNI_ENCODE_LOWER.items() if not sequence.isascii()
}


def _build_vni_pattern() -> re.Pattern[str]:
    marks_by_base: dict[str, set[str]] = {}
    singles: set[str] = set()
    for sequence in _VNI_DECODE_LOWER:
        if len(sequence) == 2:
            marks_by_base.setdefault(sequence[0], set()).add(sequence[1])
        else:
            singles.add(sequence)
    alternatives = []
    for base, marks in sorted(marks_by_base.items()):
        mark_class = "".join(sorted(marks | {mark.upper() for mark in marks}))
        alternatives.append(f"[{base}{base.upper()}][{mark_class}]")
    single_class = "".join(sorted(singles | {single.upper() for single in singles}))
    alternatives.append(f"[{single_class}]")
    return re.compile("|".join(alternatives))


# Two-byte sequences come first in the alternation, so ``ôù`` decodes to ớ, not ơ + ù.
_VNI_SEQUENCE_RE: Final = _build_vni_pattern()


def _decode_vni_sequence(match: re.Match[str]) -> str:
    sequence = match.group()
    letter = _VNI_DECODE_LOWER[sequence.lower()]
    # The base letter decides the case; a mark typed in the other case is tolerated.
    return letter.upper() if sequence[0].isupper() else letter


def vni_to_unicode(text: str) -> str:
    """Convert text typed in VNI-Windows to NFC Unicode.

    Characters that are not part of a VNI sequence pass through unchanged.
    """
    return unicodedata.normalize("NFC", _VNI_SEQUENCE_RE.sub(_decode_vni_sequence, text))


def unicode_to_vni(text: str) -> str:
    """Encode Unicode Vietnamese as VNI-Windows text, the inverse of vni_to_unicode."""
    nfc = unicodedata.normalize("NFC", text)
    return "".join(_encode_vni_char(char) for char in nfc)


def _encode_vni_char(char: str) -> str:
    sequence = _VNI_ENCODE_LOWER.get(char)
    if sequence is not None:
        return sequence
    lower = char.lower()
    sequence = _VNI_ENCODE_LOWER.get(lower) if lower != char else None
    if sequence is not None:
        return sequence.upper()
    return char


# --- Detection ----------------------------------------------------------------------

def _decode_tcvn3_word(word: str) -> str:
    return word.translate(_TCVN3_DECODE)


def _decode_vni_word(word: str) -> str:
    return _VNI_SEQUENCE_RE.sub(_decode_vni_sequence, word)


_CONVERTERS: Final[dict[str, Callable[[str], str]]] = {"TCVN3": tcvn3_to_unicode, "VNI": vni_to_unicode}
# Per-word converters for detection. Case does not matter there, so TCVN3 skips the
# case restoration and neither normalises to NFC (the tables produce NFC letters).
_WORD_CONVERTERS: Final[dict[str, Callable[[str], str]]] = {
    "TCVN3": _decode_tcvn3_word,
    "VNI": _decode_vni_word,
}
# Bound on the per-call cache of cell verdicts, so a column of a million distinct
# names does not hold a million entries.
_VERDICT_CACHE_SIZE: Final = 50_000


def convert(text: str, encoding: LegacyEncoding) -> str:
    """Convert ``text`` from the legacy ``encoding`` ("TCVN3" or "VNI") to NFC Unicode.

    Raises ValueError for any other encoding name.
    """
    converter = _CONVERTERS.get(encoding)
    if converter is None:
        raise ValueError(f"unknown legacy encoding {encoding!r}: expected one of {', '.join(ENCODINGS)}")
    return converter(text)


def looks_legacy(text: str, encoding: LegacyEncoding) -> bool:
    """Check whether one cell reads as Vietnamese only after conversion from ``encoding``.

    Every word that conversion changes must become a valid Vietnamese syllable, and at
    least one changed word of two or more characters must not have been a valid
    syllable before. A lone ``Dôi`` is therefore not legacy, because it is also the
    Unicode syllable dôi, but ``Ñaàm Dôi`` is. Raises ValueError for an unknown
    encoding name.
    """
    if encoding not in _WORD_CONVERTERS:
        raise ValueError(f"unknown legacy encoding {encoding!r}: expected one of {', '.join(ENCODINGS)}")
    if text.isascii() or _UNICODE_VIETNAMESE_RE.search(text) or not _LATIN1_HIGH_RE.search(text):
        return False
    return _words_look_legacy(text, encoding)


class _WordKind(enum.Enum):
    UNCHANGED = enum.auto()
    VALID = enum.auto()
    EVIDENCE = enum.auto()
    INVALID = enum.auto()


# Cached per word: names and places reuse a small set of syllables, so a column of a
# million distinct names converts each distinct word only once.
@functools.lru_cache(maxsize=65536)
def _classify_word(word: str, encoding: LegacyEncoding) -> _WordKind:
    converted = _WORD_CONVERTERS[encoding](word)
    if converted == word:
        return _WordKind.UNCHANGED
    if not is_vietnamese_syllable(converted):
        return _WordKind.INVALID
    # One-character words are symbols as often as letters: "£" is Ê and "×" is ì.
    if len(word) >= 2 and not is_vietnamese_syllable(word):
        return _WordKind.EVIDENCE
    return _WordKind.VALID


def _words_look_legacy(text: str, encoding: LegacyEncoding) -> bool:
    has_evidence = False
    for word in _LEGACY_WORD_RE.findall(text):
        kind = _classify_word(word, encoding)
        if kind is _WordKind.INVALID:
            return False
        if kind is _WordKind.EVIDENCE:
            has_evidence = True
    return has_evidence


@dataclass(frozen=True, slots=True)
class LegacyDetection:
    """Result of detect_legacy_encoding for one column.

    ``text_cells`` counts the cells that contain a Latin-1 character from U+00A1 up
    or a Unicode Vietnamese letter. ``confidence`` is
    the 95 % Wilson lower bound of the share ``legacy_cells / text_cells``, so a
    column with few cells gets a lower value than a long one with the same share.
    """

    encoding: LegacyEncoding
    confidence: float
    legacy_cells: int
    text_cells: int

    @property
    def share(self) -> float:
        """Fraction of the column's non-ASCII text cells that look legacy-encoded."""
        return self.legacy_cells / self.text_cells


def detect_legacy_encoding(
    values: Iterable[object],
    *,
    min_share: float = 0.5,
    min_legacy_cells: int = 1,
) -> LegacyDetection | None:
    """Detect a column typed in TCVN3 or VNI, or return None for a Unicode or ASCII column.

    ``values`` are the column's cell values. Values that are not ``str`` (numbers,
    dates, None) are ignored. The column is reported when at least
    ``min_legacy_cells`` cells look legacy-encoded (see looks_legacy) and they make
    up at least ``min_share`` of the non-ASCII text cells. When both encodings
    qualify, the one with more cells wins, and a tie returns None.

    ASCII cells and cells with Unicode Vietnamese letters are settled by
    ``str.isascii`` and one regex search. Only the remaining cells are converted,
    and their verdicts are cached per distinct value.
    """
    text_cells = 0
    counts = dict.fromkeys(ENCODINGS, 0)
    verdicts: dict[str, tuple[bool, bool]] = {}
    for value in values:
        if not isinstance(value, str) or value.isascii():
            continue
        if _UNICODE_VIETNAMESE_RE.search(value):
            text_cells += 1
            continue
        if not _LATIN1_HIGH_RE.search(value):
            continue
        text_cells += 1
        verdict = verdicts.get(value)
        if verdict is None:
            verdict = (_words_look_legacy(value, "TCVN3"), _words_look_legacy(value, "VNI"))
            if len(verdicts) < _VERDICT_CACHE_SIZE:
                verdicts[value] = verdict
        for encoding, is_legacy in zip(ENCODINGS, verdict):
            if is_legacy:
                counts[encoding] += 1

    return _pick_encoding(counts, text_cells, min_share, min_legacy_cells)


def _pick_encoding(
    counts: dict[LegacyEncoding, int], text_cells: int, min_share: float, min_legacy_cells: int
) -> LegacyDetection | None:
    qualifying = [
        encoding
        for encoding in ENCODINGS
        if counts[encoding] >= max(min_legacy_cells, 1) and counts[encoding] >= min_share * text_cells
    ]
    if not qualifying:
        return None
    qualifying.sort(key=lambda encoding: counts[encoding], reverse=True)
    if len(qualifying) == 2 and counts[qualifying[0]] == counts[qualifying[1]]:
        return None
    best = qualifying[0]
    return LegacyDetection(
        encoding=best,
        confidence=_wilson_lower_bound(counts[best], text_cells),
        legacy_cells=counts[best],
        text_cells=text_cells,
    )


def _wilson_lower_bound(successes: int, trials: int, z: float = 1.96) -> float:
    share = successes / trials
    z2 = z * z
    centre = share + z2 / (2 * trials)
    margin = z * math.sqrt(share * (1 - share) / trials + z2 / (4 * trials * trials))
    return (centre - margin) / (1 + z2 / trials)

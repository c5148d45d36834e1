"""Text normalisation and matching keys for Vietnamese cell text."""

from __future__ import annotations

import functools
import re
import unicodedata

# Characters that are invisible in a spreadsheet but break comparisons.
INVISIBLE_CHARS = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"
_INVISIBLE = dict.fromkeys(map(ord, INVISIBLE_CHARS), None)
_HAS_INVISIBLE = re.compile(f"[{INVISIBLE_CHARS}]")
# Combining marks for the five Vietnamese tones: grave, acute, hook above, tilde, dot below.
_TONE_MARKS = frozenset("\u0300\u0301\u0309\u0303\u0323")
_NON_WORD = re.compile(r"[^\w]+")


def clean_text(value: str) -> str:
    """Return NFC text, trimmed, with invisible characters removed and every run of
    whitespace (spaces, no-break spaces, tabs, line breaks) collapsed to one space."""
    if value.isascii():
        return " ".join(value.split())
    # str.split() and the regex class \s both use Unicode whitespace, so split-and-join
    # collapses the same runs as re.sub(r"\s+", " ") followed by strip().
    text = value.translate(_INVISIBLE) if _HAS_INVISIBLE.search(value) else value
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return " ".join(text.split())


def _fold_word_tone(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    tones = [ch for ch in decomposed if ch in _TONE_MARKS]
    if not tones:
        return word
    base = "".join(ch for ch in decomposed if ch not in _TONE_MARKS)
    return base + "".join(tones)


@functools.lru_cache(maxsize=65536)
def exact_key(value: str) -> str:
    """Key that ignores case, spacing and where the tone mark sits (`Hoà` = `Hòa`)."""
    text = clean_text(value).casefold()
    if text.isascii():
        return text
    return " ".join(_fold_word_tone(w) for w in text.split(" "))


@functools.lru_cache(maxsize=65536)
def loose_key(value: str) -> str:
    """Key that also ignores diacritics and punctuation (`dai hoc tro len`)."""
    text = clean_text(value).casefold().replace("đ", "d")
    if not text.isascii():
        text = "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))
    return " ".join(_NON_WORD.sub(" ", text).split())


def header_key(value: object) -> str:
    """Key for a header cell: like exact_key, and a trailing `*` (required mark) is ignored."""
    text = clean_text(str(value)) if value is not None else ""
    text = text.rstrip("*").strip()
    return exact_key(text)


def strip_diacritics(value: str) -> str:
    text = value.replace("đ", "d").replace("Đ", "D")
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))

"""A1 notation parsing and formatting as the Sheets API v4 uses it.

Indices are zero-based and end indices are exclusive, like a Sheets `GridRange`.
An open bound (`A:A`, `A1:Z`, a bare sheet title) is stored as None and clipped to
the sheet's grid by the caller.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

_CELL_RE = re.compile(r"^([A-Za-z]*)(\d*)$")
# A title that Google writes without quotes in `range` fields, for example Sheet1.
_PLAIN_TITLE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# A title that reads like a cell reference (A1, XFD10) must be quoted anyway.
_CELL_LIKE_RE = re.compile(r"^[A-Za-z]{1,3}\d+$")


class RangeParseError(ValueError):
    """Raised when a string is not valid A1 notation."""


@dataclass
class A1Range:
    """A parsed range: sheet title (None when absent) and zero-based bounds."""

    sheet_title: Optional[str]
    start_row: Optional[int] = None
    end_row: Optional[int] = None
    start_col: Optional[int] = None
    end_col: Optional[int] = None
    # True when the text named only a sheet (or nothing after the `!`).
    whole_sheet: bool = False
    # True for a lone cell such as `F1` (not `F1:F1`): a write may extend from it.
    anchor_cell: bool = False


def column_letters(index: int) -> str:
    """Convert a zero-based column index to letters (0 -> A, 26 -> AA)."""
    letters = ""
    number = index + 1
    while number > 0:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def column_index(letters: str) -> int:
    """Convert column letters to a zero-based index (A -> 0, AA -> 26)."""
    number = 0
    for char in letters.upper():
        number = number * 26 + (ord(char) - ord("A") + 1)
    return number - 1


def cell_name(row: int, col: int) -> str:
    """Return the A1 name of a zero-based cell, for example (0, 1) -> B1."""
    return f"{column_letters(col)}{row + 1}"


def quote_title(title: str) -> str:
    """Quote a sheet title the way Google writes it in `range` fields."""
    if _PLAIN_TITLE_RE.match(title) and not _CELL_LIKE_RE.match(title):
        return title
    return "'" + title.replace("'", "''") + "'"


def format_range(title: str, start_row: int, end_row: int, start_col: int, end_col: int) -> str:
    """Format a bounded range like Google: `Sheet1!A1` for one cell, else `Sheet1!A1:D4`."""
    first = cell_name(start_row, start_col)
    last = cell_name(end_row - 1, end_col - 1)
    if first == last:
        return f"{quote_title(title)}!{first}"
    return f"{quote_title(title)}!{first}:{last}"


def _split_title(text: str) -> tuple[Optional[str], Optional[str]]:
    """Split `'My sheet'!A1:B2` into title and cell part; either may be None."""
    if text.startswith("'"):
        index = 1
        title_chars = []
        while index < len(text):
            char = text[index]
            if char == "'":
                if index + 1 < len(text) and text[index + 1] == "'":
                    title_chars.append("'")
                    index += 2
                    continue
                break
            title_chars.append(char)
            index += 1
        else:
            raise RangeParseError(text)
        rest = text[index + 1 :]
        if rest == "":
            return "".join(title_chars), None
        if not rest.startswith("!"):
            raise RangeParseError(text)
        return "".join(title_chars), rest[1:]
    if "!" in text:
        title, _, cells = text.rpartition("!")
        return title, cells
    return None, text


def _parse_cell(part: str, original: str) -> tuple[Optional[int], Optional[int]]:
    match = _CELL_RE.match(part)
    if not match or (not match.group(1) and not match.group(2)):
        raise RangeParseError(original)
    letters, digits = match.groups()
    col = column_index(letters) if letters else None
    row = int(digits) - 1 if digits else None
    if row is not None and row < 0:
        raise RangeParseError(original)
    return row, col


def parse_cells(cells: str, original: str) -> A1Range:
    """Parse the part after `!` (`A1`, `A1:B2`, `A:A`, `1:3`, `A2:Z`)."""
    if ":" in cells:
        first, _, last = cells.partition(":")
        start_row, start_col = _parse_cell(first, original)
        end_row, end_col = _parse_cell(last, original)
        # Google accepts reversed corners (B2:A1) and normalises them.
        if start_row is not None and end_row is not None and end_row < start_row:
            start_row, end_row = end_row, start_row
        if start_col is not None and end_col is not None and end_col < start_col:
            start_col, end_col = end_col, start_col
        # A missing start with a bounded end (as in `A:B5`) means the first row or column.
        if start_row is None and end_row is not None:
            start_row = 0
        if start_col is None and end_col is not None:
            start_col = 0
        return A1Range(
            sheet_title=None,
            start_row=start_row,
            end_row=end_row + 1 if end_row is not None else None,
            start_col=start_col,
            end_col=end_col + 1 if end_col is not None else None,
        )
    row, col = _parse_cell(cells, original)
    if row is None or col is None:
        raise RangeParseError(original)
    return A1Range(sheet_title=None, start_row=row, end_row=row + 1, start_col=col, end_col=col + 1, anchor_cell=True)


def parse_range(text: str, sheet_titles: list[str]) -> A1Range:
    """Parse a range string; a bare word that is a sheet title means the whole sheet.

    Raises RangeParseError when the text is neither a sheet title nor A1 notation.
    """
    if text == "":
        raise RangeParseError(text)
    title, cells = _split_title(text)
    if title is None:
        if text in sheet_titles:
            return A1Range(sheet_title=text, whole_sheet=True)
        assert cells is not None
        parsed = parse_cells(cells, text)
        return parsed
    if cells is None or cells == "":
        return A1Range(sheet_title=title, whole_sheet=True)
    parsed = parse_cells(cells, text)
    parsed.sheet_title = title
    return parsed

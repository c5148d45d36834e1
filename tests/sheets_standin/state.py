"""The stand-in's stored files and the helpers every endpoint shares."""

from __future__ import annotations

import datetime as dt
import random
import string
from dataclasses import dataclass
from typing import Any, Optional

from .a1 import RangeParseError, parse_range
from .errors import bad_request, sheets_error
from .model import Cell, Sheet, Spreadsheet
from .values import evaluate_formula, json_number, parse_user_entered, UnsupportedFormula

_ID_ALPHABET = string.ascii_letters + string.digits + "-_"


@dataclass
class Bounds:
    """A resolved, bounded range on one sheet (zero-based, end exclusive)."""

    sheet: Sheet
    start_row: int
    end_row: int
    start_col: int
    end_col: int
    # True when the request named a lone cell (`F1`), which anchors larger writes.
    single_cell: bool = False

    def a1(self) -> str:
        return self.sheet.a1(self.start_row, self.end_row, self.start_col, self.end_col)


class StandinState:
    """All spreadsheets, plus id generation and the clock.

    Not thread-safe by itself: the server holds its lock around every use.
    """

    def __init__(self, seed: int, owner_email: str, default_locale: str, default_time_zone: str):
        self.random = random.Random(seed)
        self.owner_email = owner_email
        self.default_locale = default_locale
        self.default_time_zone = default_time_zone
        self.spreadsheets: dict[str, Spreadsheet] = {}
        self._last_time = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)

    # --- ids and time ----------------------------------------------------------

    def new_spreadsheet_id(self) -> str:
        while True:
            candidate = "1" + "".join(self.random.choice(_ID_ALPHABET) for _ in range(43))
            if candidate not in self.spreadsheets:
                return candidate

    def new_int_id(self) -> int:
        return self.random.randint(1, 2**31 - 1)

    def now(self) -> dt.datetime:
        """Return the current UTC time in milliseconds, always later than the previous call.

        Strictly increasing times let tests see a modifiedTime change without sleeping.
        """
        moment = dt.datetime.now(dt.timezone.utc)
        moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
        if moment <= self._last_time:
            moment = self._last_time + dt.timedelta(milliseconds=1)
        self._last_time = moment
        return moment

    def bump(self, spreadsheet: Spreadsheet) -> None:
        spreadsheet.modified_time = self.now()

    # --- lookup ----------------------------------------------------------------

    def spreadsheet(self, spreadsheet_id: str) -> Spreadsheet:
        found = self.spreadsheets.get(spreadsheet_id)
        if found is None:
            raise sheets_error(404)
        if found.forbidden:
            raise sheets_error(403)
        return found

    def new_spreadsheet(
        self, title: str, locale: Optional[str] = None, time_zone: Optional[str] = None, spreadsheet_id: Optional[str] = None
    ) -> Spreadsheet:
        created = self.now()
        spreadsheet = Spreadsheet(
            spreadsheet_id=spreadsheet_id or self.new_spreadsheet_id(),
            title=title,
            locale=locale or self.default_locale,
            time_zone=time_zone or self.default_time_zone,
            created_time=created,
            modified_time=created,
        )
        spreadsheet.permissions.append(
            {"kind": "drive#permission", "id": "owner", "type": "user", "role": "owner", "emailAddress": self.owner_email}
        )
        self.spreadsheets[spreadsheet.spreadsheet_id] = spreadsheet
        return spreadsheet

    def add_sheet(self, spreadsheet: Spreadsheet, title: str, sheet_id: Optional[int] = None, **properties: Any) -> Sheet:
        if sheet_id is None:
            sheet_id = 0 if not spreadsheet.sheets else self.new_int_id()
        sheet = Sheet(sheet_id=sheet_id, title=title, **properties)
        spreadsheet.sheets.append(sheet)
        return sheet

    # --- ranges ----------------------------------------------------------------

    def resolve_range(self, spreadsheet: Spreadsheet, text: str) -> Bounds:
        """Resolve A1 notation to bounds clipped to the grid, raising Google's 400 when invalid."""
        try:
            parsed = parse_range(text, spreadsheet.sheet_titles())
        except RangeParseError:
            raise bad_request(f"Unable to parse range: {text}") from None
        if parsed.sheet_title is None:
            sheet = next((item for item in spreadsheet.sheets if not item.hidden), spreadsheet.sheets[0])
        else:
            found = spreadsheet.sheet_by_title(parsed.sheet_title)
            if found is None:
                raise bad_request(f"Unable to parse range: {text}")
            sheet = found
        if parsed.whole_sheet:
            return Bounds(sheet, 0, sheet.row_count, 0, sheet.column_count)
        start_row = parsed.start_row if parsed.start_row is not None else 0
        start_col = parsed.start_col if parsed.start_col is not None else 0
        end_row = parsed.end_row if parsed.end_row is not None else sheet.row_count
        end_col = parsed.end_col if parsed.end_col is not None else sheet.column_count
        if end_row > sheet.row_count or end_col > sheet.column_count or start_row >= sheet.row_count or start_col >= sheet.column_count:
            raise bad_request(
                f"Range ({text}) exceeds grid limits. Max rows: {sheet.row_count}, max columns: {sheet.column_count}"
            )
        return Bounds(sheet, start_row, end_row, start_col, end_col, single_cell=parsed.anchor_cell)

    # --- cell writes -----------------------------------------------------------

    def write_value(self, spreadsheet: Spreadsheet, sheet: Sheet, row: int, col: int, value: Any, input_option: str) -> bool:
        """Write one value as the values API does; return False when the value was skipped.

        None (JSON null) leaves the cell unchanged and "" clears it, as Google documents.
        RAW keeps strings as text, so "=1+1" stays a string.
        NOTE: data validation rules are stored but never enforced on writes.
        """
        if value is None:
            return False
        if isinstance(value, (list, dict)):
            raise bad_request(f"Invalid values[{row}][{col}]: {value!r}")
        if value == "":
            cell = sheet.cell(row, col)
            if cell is not None:
                cell.clear_value()
            return True
        cell = sheet.ensure_cell(row, col)
        cell.clear_value()
        if isinstance(value, bool):
            cell.value = value
            return True
        if isinstance(value, (int, float)):
            cell.value = json_number(value)
            return True
        text = str(value)
        if input_option == "RAW":
            cell.value = text
            return True
        kind, parsed, number_format = parse_user_entered(text, spreadsheet.locale)
        if kind == "formula":
            set_formula(cell, parsed)
        else:
            cell.value = parsed
        if number_format is not None:
            cell.user_format = dict(cell.user_format or {})
            cell.user_format["numberFormat"] = number_format
        return True


def set_formula(cell: Cell, formula: str) -> None:
    """Store a formula and its computed value, or an error value when unsupported."""
    cell.formula = formula
    try:
        cell.value = evaluate_formula(formula)
    except ZeroDivisionError:
        cell.value = None
        cell.error = {"type": "DIVIDE_BY_ZERO", "message": "Function DIVIDE parameter 2 cannot be zero.", "formatted": "#DIV/0!"}
    except UnsupportedFormula:
        cell.value = None
        cell.error = {
            "type": "ERROR",
            "message": "The Sheets stand-in only evaluates constant arithmetic formulas.",
            "formatted": "#ERROR!",
        }


"""Map headers, normalise cells and apply the contract's rules to read workbooks."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import logging
from itertools import compress, repeat
from operator import itemgetter
from typing import Any, Callable, Iterable, Iterator

from openpyxl.utils import get_column_letter

from sheets_schema.config import Config
from sheets_schema.schema import Column, Schema, Tab
from sync import rules
from sync.cells import (PARSERS, ChoiceMatcher, Problem, Result, display_value, is_blank,
                        shown_text, special_problem)
from sync.communes import CommuneMatcher
from sync.errors import WorkbookUnavailable
from sync.messages import cell_message, format_value, tab_message
from sync.model import Issue, RawSheet, RawWorkbook, RowRecord, TabLayout, UnitResult
from sync.text import clean_text, header_key, loose_key

log = logging.getLogger(__name__)

HEADER_SEARCH_ROWS = 20
HEADER_WARNING_ROWS = 5
# Distinct raw values whose outcome is kept per tab and column of one unit. Columns of
# names, phones and ID numbers hold mostly distinct values, so the cache stops growing there.
OUTCOME_CACHE_SIZE = 50000

# A normalised cell: its value, and its problems, each with the text to show for the
# value in the message (None shows the raw cell).
_Outcome = tuple[Any, tuple[tuple[Problem, "str | None"], ...]]
# Types whose values equal no value of another type, so they are their own cache keys.
# A datetime never equals a date.
_PLAIN_KEY_TYPES = frozenset({str, type(None), dt.datetime, dt.date})
_first = itemgetter(0)
_second = itemgetter(1)

try:  # the legacy-encoding detector is optional at import time for partial checkouts
    from sync import legacy_encoding
except ImportError:  # pragma: no cover
    legacy_encoding = None  # type: ignore[assignment]


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the block, then restore its state.

    Validation allocates millions of small objects that form no reference cycles, and
    each allocation burst makes the collector rescan every live row. On 100 000 rows
    from ``bench.generate`` the collector took about a fifth of the CPU time of
    validation (2-core machine). Reference counting still frees memory meanwhile.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _TabContext:
    """Per-unit, per-tab state: header map, parsers with their caches."""

    def __init__(self, validator: "UnitValidator", tab: Tab) -> None:
        self.tab = tab
        self.parsers: dict[str, Callable[[Any], Result]] = {}
        for column in tab.columns:
            self.parsers[column.key] = validator.parser_for(column)


class UnitValidator:
    """Validate one unit's workbook against the schema (row and unit rules only;
    province rules run once over all units, in ``validate_units``)."""

    def __init__(self, schema: Schema, config: Config | None, unit: str,
                 shared_outcomes: dict[tuple[str, str, str | None], dict[Any, _Outcome]] | None = None) -> None:
        """``shared_outcomes`` lets validators of one run reuse each other's normalised cells.

        Only validators with the same schema and config may share it. Commune cells are
        never shared, because each unit matches communes against its own list.
        """
        self.schema = schema
        self.config = config
        self.unit = unit
        self.communes = CommuneMatcher(config, unit)
        self.unit_name = self.communes.unit_name
        self._choice_cache: dict[tuple[str, ...], ChoiceMatcher] = {}
        self._outcomes: dict[tuple[str, str, str | None], dict[Any, _Outcome]] = {}
        self._shared_outcomes = shared_outcomes if shared_outcomes is not None else self._outcomes
        self._parsers: dict[tuple[str, str], Callable[[Any], Result]] = {}
        if config:
            self.period = (config.period_start, config.period_end)
            self.reference_year = config.reference_year
        else:
            self.period = (dt.date(2022, 3, 1), dt.date(2022, 11, 30))
            self.reference_year = 2022

    # ------------------------------------------------------------ parsers

    def parser_for(self, column: Column) -> Callable[[Any], Result]:
        """Return the column's parser with a cache of up to 50 000 results."""
        base = self.base_parser(column)
        cache: dict[Any, Result] = {}

        def parse(raw: Any) -> Result:
            try:
                return cache[raw]
            except KeyError:
                pass
            except TypeError:  # unhashable marker values
                return base(raw)
            result = base(raw)
            if len(cache) < 50000:
                cache[raw] = result
            return result

        return parse

    def base_parser(self, column: Column) -> Callable[[Any], Result]:
        """Return the uncached parser of the column's type (choice matchers are shared)."""
        if column.type == "choice":
            key = column.choices + tuple(sorted(column.aliases.items()))  # type: ignore[arg-type]
            matcher = self._choice_cache.get(key)
            if matcher is None:
                matcher = ChoiceMatcher(column.choices, column.aliases)
                self._choice_cache[key] = matcher
            base = matcher.parse
        elif column.type == "commune":
            base = self.communes.parse
        else:
            base = PARSERS[column.type]
        return base

    # ------------------------------------------------------------ workbook

    def validate(self, workbook: RawWorkbook) -> UnitResult:
        with collector_paused():
            return self._validate(workbook)

    def _validate(self, workbook: RawWorkbook) -> UnitResult:
        issues: list[Issue] = []
        rows: list[RowRecord] = []
        layouts: dict[str, TabLayout] = {}
        sheets = _index_sheets(workbook.sheets, self.schema)
        for tab in self.schema.tabs:
            sheet = sheets.get(tab.key)
            if sheet is None:
                issues.append(self._tab_issue(tab, "missing_tab", "error", {"tab": tab.title}))
                continue
            for twin in _twin_sheets(workbook.sheets, tab, sheet):
                issues.append(self._tab_issue(tab, "duplicate_tab", "warning", {"tab": sheet.title, "other": twin.title}))
            try:
                layout, tab_rows, tab_issues = self._validate_tab(tab, sheet)
            except Exception as exc:  # noqa: BLE001 - one bad tab must not stop the others
                log.exception("tab %s of %s could not be validated", tab.key, self.unit)
                issues.append(self._tab_issue(tab, "tab_unreadable", "error",
                                              {"tab": sheet.title, "reason": type(exc).__name__}))
                continue
            if layout is not None:
                layouts[tab.key] = layout
            rows.extend(tab_rows)
            issues.extend(tab_issues)
        return UnitResult(unit=self.unit, issues=issues, rows=rows, layouts=layouts)

    def _tab_issue(self, tab: Tab, code: str, severity: str, params: dict[str, Any],
                   column: str | None = None, value: Any = None) -> Issue:
        return Issue(unit=self.unit, tab=tab.key, row=None, column=column, severity=severity,
                     code=code, value=value, message=tab_message(self.schema, code, params))

    # ------------------------------------------------------------ one tab

    def _validate_tab(self, tab: Tab, sheet: RawSheet
                      ) -> tuple[TabLayout | None, list[RowRecord], list[Issue]]:
        issues: list[Issue] = []
        header_row, mapping = _find_header(tab, sheet, self.schema)
        if header_row is None:
            issues.append(self._tab_issue(tab, "header_not_found", "error",
                                          {"tab": sheet.title, "rows": HEADER_SEARCH_ROWS}))
            return None, [], issues
        if header_row > HEADER_WARNING_ROWS:
            issues.append(self._tab_issue(tab, "header_too_low", "error",
                                          {"tab": sheet.title, "header_row": header_row}))
        elif header_row > 1:
            issues.append(self._tab_issue(tab, "header_not_first_row", "warning",
                                          {"tab": sheet.title, "header_row": header_row}))
        columns = mapping.columns
        for key, positions in mapping.duplicates.items():
            column = tab.column(key)
            letters = ", ".join(get_column_letter(p) for p in positions)
            issues.append(self._tab_issue(tab, "duplicate_header", "error",
                                          {"tab": sheet.title, "header": column.header, "letters": letters,
                                           "first": get_column_letter(positions[0])}, column=key))
        missing_required = [c for c in tab.columns if c.required and c.key not in columns]
        for column in missing_required:
            issues.append(self._tab_issue(tab, "missing_column", "error",
                                          {"tab": sheet.title, "header": column.header}, column=column.key))

        # Merged ranges are filled in on a copy, so the workbook as read stays untouched.
        data = [list(r) for r in sheet.rows] if sheet.merges else sheet.rows
        merge_issue = _apply_merges(sheet, data, header_row)
        if merge_issue:
            issues.append(self._tab_issue(tab, "merged_cells", "warning",
                                          {"tab": sheet.title, "ranges": merge_issue}))

        # Work column by column: one list of raw cells per mapped column, over the data rows.
        below = data[header_row:]
        width = max(columns.values(), default=0)
        padding = [None] * width
        below = [cells if len(cells) >= width else list(cells) + padding[:width - len(cells)] for cells in below]
        raw_columns = {key: list(map(itemgetter(position - 1), below)) for key, position in columns.items()}
        kept = _non_blank_rows(len(below), raw_columns.values())
        note_only = _explanation_only_rows(kept, raw_columns)
        if note_only:
            kept = [i for i in kept if i not in note_only]
            explanation = tab.column("explanation")
            for i in sorted(note_only):
                raw = raw_columns["explanation"][i]
                issues.append(self._cell_issue(tab, header_row + 1 + i, explanation, raw,
                                               Problem("explanation_only", "warning")))
        if len(kept) < len(below):
            raw_columns = {key: [raws[i] for i in kept] for key, raws in raw_columns.items()}
        data_rows = [header_row + 1 + i for i in kept]

        legacy = self._detect_legacy(tab, raw_columns)
        row_count = len(data_rows)
        keys = tab.column_keys
        value_columns: list[Any] = []
        cell_problems: dict[int, list[tuple[Column, Any, tuple[tuple[Problem, str | None], ...]]]] = {}
        for column in tab.columns:
            raws = raw_columns.get(column.key)
            if raws is None:
                value_columns.append(repeat(None, row_count))
                continue
            values, problems = self._normalise_column(tab, column, legacy.get(column.key), raws)
            value_columns.append(values)
            for index, found in problems.items():
                cell_problems.setdefault(index, []).append((column, raws[index], found))

        unit = self.unit
        tab_key = tab.key
        records = [RowRecord(unit, tab_key, row_number, dict(zip(keys, row_values)))
                   for row_number, row_values in zip(data_rows, zip(*value_columns))]
        if missing_required:
            for record in records:
                record.has_error = True

        # Issues of each row, in this order: cell issues by column, row rules, unit rules.
        row_issues: dict[int, list[Issue]] = {}
        for index in sorted(cell_problems):
            row_number = data_rows[index]
            found = row_issues[row_number] = []
            for column, raw, problems in cell_problems[index]:
                for problem, shown in problems:
                    found.append(self._cell_issue(tab, row_number, column, raw, problem, shown=shown))
        for issue in rules.check_row_rules(self, tab, records, row_issues):
            row_issues.setdefault(issue.row or 0, []).append(issue)
        for issue in rules.apply_unit_rules(self, tab, records):
            row_issues.setdefault(issue.row or 0, []).append(issue)
        if row_issues:
            for record in records:
                found = row_issues.get(record.row)
                if found:
                    _mark_row(record, found)
                    issues.extend(found)

        status_col = mapping.sync_columns.get("status")
        details_col = mapping.sync_columns.get("details")
        staff_last = max([p for p in mapping.all_positions if p not in (status_col, details_col)] + [1])
        staff_last = max(staff_last, _last_staff_data_column(data, header_row, (status_col, details_col)))
        key_col = columns.get(tab.columns[0].key)
        layout = TabLayout(tab=tab.key, sheet_title=sheet.title, header_row=header_row, columns=columns,
                           last_column=staff_last, status_column=status_col, details_column=details_col,
                           data_rows=data_rows, sheet_id=sheet.sheet_id, key_column=key_col)
        return layout, records, issues

    def _detect_legacy(self, tab: Tab, raw_columns: dict[str, list[Any]]) -> dict[str, str]:
        if legacy_encoding is None:
            return {}
        found: dict[str, str] = {}
        for column in tab.columns:
            if column.type not in ("text", "person_name", "choice", "commune"):
                continue
            raws = raw_columns.get(column.key)
            if raws is None:
                continue
            texts = [value for value in raws if isinstance(value, str) and not value.isascii()]
            if not texts:
                continue
            distinct = set(texts)
            if len(distinct) * 4 <= len(texts) and not any(
                    legacy_encoding.looks_legacy(text, encoding) for text in distinct for encoding in legacy_encoding.ENCODINGS):
                continue  # a column of few repeated values (choices, communes) with no legacy text
            detection = legacy_encoding.detect_legacy_encoding(texts)
            if detection is not None:
                found[column.key] = detection.encoding
        return found

    def _normalise_column(self, tab: Tab, column: Column, legacy: str | None, raws: list[Any]
                          ) -> tuple[list[Any], dict[int, tuple[tuple[Problem, str | None], ...]]]:
        """Normalise one column's raw cells; return the values and, by cell index, the problems found.

        Each distinct raw value is normalised once per tab and column, and its outcome
        (value, problems) is cached. Strings, None, dates and datetimes are cached under
        the value itself, so most cells are found by one ``map`` over the column. Other
        values are cached under (type, value), because 1, 1.0 and True are equal as
        dict keys but do not normalise alike.
        """
        cache_key = (tab.key, column.key, legacy)
        outcomes_by_column = self._outcomes if column.type == "commune" else self._shared_outcomes
        cache = outcomes_by_column.get(cache_key)
        if cache is None:
            cache = outcomes_by_column[cache_key] = {}
            cache[None] = self._outcome(column, None, legacy, self._column_parser(tab, column))
        get = cache.get
        try:
            outcomes = list(map(get, raws))
            if None in outcomes:
                normalise_new = self._outcome_function(tab, column, legacy, cache)
                outcomes = [found if found is not None
                            else get(raw if type(raw) in _PLAIN_KEY_TYPES else (type(raw), raw)) or normalise_new(raw)
                            for found, raw in zip(outcomes, raws)]
        except TypeError:  # an unhashable marker value: normalise every cell uncached
            parse = self._column_parser(tab, column)
            outcomes = [self._outcome(column, raw, legacy, parse) for raw in raws]
        values = list(map(_first, outcomes))
        flagged = compress(range(len(outcomes)), map(_second, outcomes))
        return values, {index: outcomes[index][1] for index in flagged}

    def _outcome_function(self, tab: Tab, column: Column, legacy: str | None,
                          cache: dict[Any, _Outcome]) -> Callable[[Any], _Outcome]:
        """Return a function that normalises a cell not yet in ``cache`` and adds it there.

        It gives the same outcome as ``_outcome`` with fewer steps for the common cells:
        numbers and dates cannot be blank or formula markers, and a string without "#"
        is no formula error. A column without bounds skips ``_bounds``.
        """
        parse = self._column_parser(tab, column)
        outcome = self._outcome
        bounds_of = self._bounds
        column_type = column.type
        bounded = (column.in_period or column.min is not None or column.min_exclusive is not None
                   or column.max is not None or column.warn_below is not None or column.warn_above is not None)
        plain_types = (int, float, dt.datetime, dt.date)
        blank = cache[None]
        no_problems: tuple[tuple[Problem, str | None], ...] = ()

        def normalise_new(raw: Any) -> _Outcome:
            kind = type(raw)
            if kind in plain_types or (kind is str and not legacy and "#" not in raw):
                if kind is str and is_blank(raw):
                    found = blank
                else:
                    value, problem = parse(raw)
                    if problem is not None:
                        found = (value, ((problem, None),))
                    elif value is None or not bounded:
                        found = (value, no_problems)
                    else:
                        bounds = bounds_of(column, value)
                        if bounds:
                            shown = format_value(value, column_type)
                            found = (value, tuple([(bound, shown) for bound in bounds]))
                        else:
                            found = (value, no_problems)
            else:
                found = outcome(column, raw, legacy, parse)
            if len(cache) < OUTCOME_CACHE_SIZE:
                cache[raw if kind in _PLAIN_KEY_TYPES else (kind, raw)] = found
            return found

        return normalise_new

    def _outcome(self, column: Column, raw: Any, legacy: str | None, parse: Callable[[Any], Result]) -> _Outcome:
        """Normalise one cell: return its value and its problems, each with the text to show
        for the value (None shows the raw cell)."""
        value, problem = self._normalise(column, raw, legacy, parse)
        if problem is not None:
            # A legacy-encoding warning keeps the converted value but skips the bounds checks.
            return value, ((problem, None),)
        if value is None:
            return None, ()
        bounds = tuple(self._bounds(column, value))
        if not bounds:
            return value, ()
        shown = format_value(value, column.type)
        return value, tuple((bound, shown) for bound in bounds)

    def _column_parser(self, tab: Tab, column: Column) -> Callable[[Any], Result]:
        parse = self._parsers.get((tab.key, column.key))
        if parse is None:
            parse = self._parsers[(tab.key, column.key)] = self.base_parser(column)
        return parse

    def _normalise(self, column: Column, raw: Any, legacy: str | None, parse: Callable[[Any], Result]) -> Result:
        if is_blank(raw):
            if column.required:
                return None, Problem("required_missing")
            return None, None
        special = special_problem(raw)
        if special is not None:
            return None, special
        if legacy and isinstance(raw, str) and legacy_encoding is not None and legacy_encoding.looks_legacy(raw, legacy):
            converted = legacy_encoding.convert(raw, legacy)
            value, problem = parse(converted)
            if problem is not None and column.type in ("choice", "commune"):
                value, problem = parse(raw)
            if problem is not None:
                return None, problem
            return value, Problem("legacy_encoding", "warning",
                                  (("encoding", legacy), ("converted", clean_text(converted))))
        return parse(raw)

    def _bounds(self, column: Column, value: Any) -> list[Problem]:
        """Return the problems of a parsed value against the column's period and limits."""
        if column.in_period and isinstance(value, dt.date):
            start, end = self.period
            if not start <= value <= end and not (column.type == "month" and start.replace(day=1) <= value <= end):
                return [Problem("out_of_period", params=(
                    ("start", start.strftime("%d/%m/%Y")), ("end", end.strftime("%d/%m/%Y"))))]
            return []
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return []
        if column.min_exclusive is not None and value <= column.min_exclusive:
            return [Problem("not_positive")]
        if column.min is not None and value < column.min:
            return [Problem("below_min", params=(("min", format_value(int(column.min), column.type)),))]
        if column.max is not None and value > column.max:
            return [Problem("above_max", params=(("max", format_value(int(column.max), column.type)),))]
        found = []
        if column.warn_below is not None and value < column.warn_below:
            found.append(Problem("amount_low", "warning", (("min", format_value(int(column.warn_below), "money_vnd")),)))
        if column.warn_above is not None and value > column.warn_above:
            found.append(Problem("amount_high", "warning", (("max", format_value(int(column.warn_above), "money_vnd")),)))
        return found

    def _cell_issue(self, tab: Tab, row: int, column: Column, raw: Any, problem: Problem,
                    shown: str | None = None) -> Issue:
        params = problem.param_dict()
        text = shown if shown is not None else shown_text(raw)
        if problem.code == "out_of_period":
            text = shown or text
        message = cell_message(self.schema, tab, row, column, problem.code, text, params)
        return Issue(unit=self.unit, tab=tab.key, row=row, column=column.key, severity=problem.severity,
                     code=problem.code, value=display_value(raw), message=message)


# ---------------------------------------------------------------- header mapping

class _HeaderMap:
    def __init__(self) -> None:
        self.columns: dict[str, int] = {}
        self.duplicates: dict[str, list[int]] = {}
        self.sync_columns: dict[str, int] = {}
        self.running_number: int | None = None
        self.all_positions: list[int] = []
        self.matches = 0


# Header lookups by id(tab); the tab is kept in the entry so that its id cannot be reused.
_HEADER_LOOKUPS: dict[int, tuple[Tab, dict[str, str], dict[str, str]]] = {}


def header_lookup(tab: Tab) -> tuple[dict[str, str], dict[str, str]]:
    """Return the tab's header keys mapped to column keys: exact (tone-folded) and loose (no diacritics)."""
    entry = _HEADER_LOOKUPS.get(id(tab))
    if entry is not None and entry[0] is tab:
        return entry[1], entry[2]
    exact: dict[str, str] = {}
    loose: dict[str, str] = {}
    for column in tab.columns:
        for header in (column.header, *column.header_aliases):
            exact.setdefault(header_key(header), column.key)
            loose.setdefault(loose_key(header), column.key)
    if len(_HEADER_LOOKUPS) >= 1024:  # schemas parsed again and again (tests) must not pile up
        _HEADER_LOOKUPS.clear()
    _HEADER_LOOKUPS[id(tab)] = (tab, exact, loose)
    return exact, loose


def _map_header(tab: Tab, cells: list[Any], schema: Schema) -> _HeaderMap:
    exact, loose = header_lookup(tab)
    sync = {header_key(schema.status_header): "status", header_key(schema.details_header): "details"}
    running = {header_key(h) for h in schema.running_number_headers}
    result = _HeaderMap()
    for index, cell in enumerate(cells, start=1):
        if is_blank(cell):
            continue
        result.all_positions.append(index)
        key = header_key(cell)
        if key in sync:
            result.sync_columns.setdefault(sync[key], index)
            continue
        if key in running:
            result.running_number = result.running_number or index
            continue
        column_key = exact.get(key) or loose.get(loose_key(str(cell).rstrip("* ")))
        if column_key is None:
            continue
        result.matches += 1
        if column_key in result.columns:
            result.duplicates.setdefault(column_key, [result.columns[column_key]]).append(index)
        else:
            result.columns[column_key] = index
    return result


def _find_header(tab: Tab, sheet: RawSheet, schema: Schema) -> tuple[int | None, _HeaderMap]:
    best: tuple[int | None, _HeaderMap] = (None, _HeaderMap())
    needed = 2 if len(tab.columns) > 3 else 1
    for row_number, cells in enumerate(sheet.rows[:HEADER_SEARCH_ROWS], start=1):
        # A row matches at most one column per non-blank cell, so a row with no more
        # non-blank cells than the best row's matches cannot replace it.
        if best[0] is not None and sum(1 for cell in cells if not is_blank(cell)) <= best[1].matches:
            continue
        mapping = _map_header(tab, cells, schema)
        if mapping.matches >= needed and mapping.matches > best[1].matches:
            best = (row_number, mapping)
    return best


def _index_sheets(sheets: list[RawSheet], schema: Schema) -> dict[str, RawSheet]:
    by_key: dict[str, RawSheet] = {}
    titles = {header_key(s.title): s for s in sheets}
    loose_titles = {loose_key(s.title): s for s in sheets}
    for tab in schema.tabs:
        for name in (tab.title, tab.name):
            sheet = titles.get(header_key(name)) or loose_titles.get(loose_key(name))
            if sheet is not None:
                by_key[tab.key] = sheet
                break
    return by_key


def _twin_sheets(sheets: list[RawSheet], tab: Tab, chosen: RawSheet) -> list[RawSheet]:
    """Other sheets whose names differ from the tab's only by case, spacing or diacritics."""
    names = {loose_key(tab.title), loose_key(tab.name)}
    return [s for s in sheets if s is not chosen and loose_key(s.title) in names]


def _apply_merges(sheet: RawSheet, data: list[list[Any]], header_row: int) -> str:
    """Give every row of a merged data range the value shown in its top-left cell."""
    spans = []
    for min_row, min_col, max_row, max_col in sheet.merges:
        if max_row <= header_row or min_row == max_row:
            continue
        top = data[min_row - 1] if min_row - 1 < len(data) else []
        value = top[min_col - 1] if min_col - 1 < len(top) else None
        for row in range(max(min_row, header_row + 1), min(max_row, len(data)) + 1):
            cells = data[row - 1]
            for col in range(min_col, max_col + 1):
                while len(cells) < col:
                    cells.append(None)
                if row != min_row or col != min_col:
                    cells[col - 1] = value
        spans.append(f"{get_column_letter(min_col)}{min_row}:{get_column_letter(max_col)}{max_row}")
    return ", ".join(spans[:5]) + (" …" if len(spans) > 5 else "")


def _explanation_only_rows(kept: list[int], raw_columns: dict[str, list[Any]]) -> set[int]:
    """Rows whose only value is in `Giải trình`: a note, not a record, so not validated as one."""
    notes = raw_columns.get("explanation")
    if notes is None:
        return set()
    others = [raws for key, raws in raw_columns.items() if key != "explanation"]
    return {i for i in kept if not is_blank(notes[i]) and all(is_blank(raws[i]) for raws in others)}


def _non_blank_rows(count: int, raw_columns: Iterable[list[Any]]) -> list[int]:
    """Return the indices of rows with a value in some mapped column. Fully blank rows, and
    rows whose only value is the running number (an unmapped column), are skipped."""
    blank = list(range(count))
    for raws in raw_columns:
        if not blank:
            break
        blank = [i for i in blank if is_blank(raws[i])]
    if not blank:
        return list(range(count))
    skipped = set(blank)
    return [i for i in range(count) if i not in skipped]


def _last_staff_data_column(data: list[list[Any]], header_row: int, sync_cols: tuple[int | None, ...]) -> int:
    last = 0
    skip = {c for c in sync_cols if c}
    for cells in data[header_row - 1:]:
        index = len(cells)
        if index <= last:
            continue
        while index > last:
            if index not in skip and not is_blank(cells[index - 1]):
                last = index
                break
            index -= 1
    return last


def _mark_row(record: RowRecord, found: list[Issue]) -> None:
    explained = not is_blank(record.values.get("explanation"))
    for issue in found:
        if issue.severity == "error":
            record.has_error = True
        else:
            record.has_warning = True
            issue.explained = explained


# ---------------------------------------------------------------- several units

def unreadable_issue(schema: Schema, config: Config | None, error: WorkbookUnavailable) -> Issue:
    unit_name = error.unit
    if config and config.has_unit(error.unit):
        unit_name = config.unit(error.unit).name
    code = "workbook_missing" if error.kind == "missing" else "workbook_unreadable"
    return Issue(unit=error.unit, tab=None, row=None, column=None, severity="error", code=code,
                 value=None, message=tab_message(schema, code, {"unit_name": unit_name, "reason": error.reason}))


def validate_units(results: list[UnitResult], schema: Schema, config: Config | None,
                   extra_rows: list[RowRecord] | None = None) -> list[UnitResult]:
    """Apply the province-wide rules across units; ``extra_rows`` are stored rows of
    units not read this run, which take part in the comparison but get no issues."""
    with collector_paused():
        province_issues = rules.apply_province_rules(schema, config, results, extra_rows or [])
    by_unit: dict[str, list[Issue]] = {}
    for issue in province_issues:
        by_unit.setdefault(issue.unit, []).append(issue)
    for result in results:
        new = by_unit.get(result.unit, [])
        if not new:
            continue
        records = {(r.tab, r.row): r for r in result.rows}
        for issue in new:
            record = records.get((issue.tab, issue.row))
            if record is not None:
                _mark_row(record, [issue])
        result.issues.extend(new)
    return results

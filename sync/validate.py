"""Map headers, normalise cells and apply the contract's rules to read workbooks."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Callable, Iterable

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

try:  # the legacy-encoding detector is optional at import time for partial checkouts
    from sync import legacy_encoding
except ImportError:  # pragma: no cover
    legacy_encoding = None  # type: ignore[assignment]


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

    def __init__(self, schema: Schema, config: Config | None, unit: str) -> None:
        self.schema = schema
        self.config = config
        self.unit = unit
        self.communes = CommuneMatcher(config, unit)
        self.unit_name = self.communes.unit_name
        self._choice_cache: dict[tuple[str, ...], ChoiceMatcher] = {}
        if config:
            self.period = (config.period_start, config.period_end)
            self.reference_year = config.reference_year
        else:
            self.period = (dt.date(2022, 3, 1), dt.date(2022, 11, 30))
            self.reference_year = 2022

    # ------------------------------------------------------------ parsers

    def parser_for(self, column: Column) -> Callable[[Any], Result]:
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

    # ------------------------------------------------------------ workbook

    def validate(self, workbook: RawWorkbook) -> UnitResult:
        issues: list[Issue] = []
        rows: list[RowRecord] = []
        layouts: dict[str, TabLayout] = {}
        sheets = _index_sheets(workbook.sheets, self.schema)
        for tab in self.schema.tabs:
            sheet = sheets.get(tab.key)
            if sheet is None:
                issues.append(self._tab_issue(tab, "missing_tab", "error", {"tab": tab.title}))
                continue
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

        data = [list(r) for r in sheet.rows]
        merge_issue = _apply_merges(sheet, data, header_row)
        if merge_issue:
            issues.append(self._tab_issue(tab, "merged_cells", "warning",
                                          {"tab": sheet.title, "ranges": merge_issue}))

        data_rows = []
        for row_number in range(header_row + 1, len(data) + 1):
            cells = data[row_number - 1]
            if _is_skipped(cells, columns):
                continue
            data_rows.append(row_number)

        legacy = self._detect_legacy(tab, data, data_rows, columns)
        records: list[RowRecord] = []
        row_issues: dict[int, list[Issue]] = {}
        for row_number in data_rows:
            cells = data[row_number - 1]
            record, found = self._validate_row(tab, row_number, cells, columns, legacy)
            if missing_required:
                record.has_error = True
            records.append(record)
            row_issues[row_number] = found
        for record in records:
            row_issues[record.row].extend(rules.apply_row_rules(self, tab, record, row_issues[record.row]))
        for issue in rules.apply_unit_rules(self, tab, records):
            row_issues.setdefault(issue.row or 0, []).append(issue)
        for record in records:
            found = row_issues.get(record.row, [])
            _mark_row(record, found)
            issues.extend(found)

        last_column = max([len(r) for r in data[header_row - 1:]] + [max(columns.values(), default=0)])
        last_column = max(last_column, max(mapping.all_positions, default=0))
        status_col = mapping.sync_columns.get("status")
        details_col = mapping.sync_columns.get("details")
        staff_last = max([p for p in mapping.all_positions if p not in (status_col, details_col)] + [1])
        staff_last = max(staff_last, _last_staff_data_column(data, header_row, (status_col, details_col)))
        key_col = columns.get(tab.columns[0].key)
        layout = TabLayout(tab=tab.key, sheet_title=sheet.title, header_row=header_row, columns=columns,
                           last_column=staff_last, status_column=status_col, details_column=details_col,
                           data_rows=data_rows, sheet_id=sheet.sheet_id, key_column=key_col)
        return layout, records, issues

    def _detect_legacy(self, tab: Tab, data: list[list[Any]], data_rows: list[int],
                       columns: dict[str, int]) -> dict[str, str]:
        if legacy_encoding is None:
            return {}
        found: dict[str, str] = {}
        for column in tab.columns:
            if column.type not in ("text", "person_name", "choice", "commune"):
                continue
            position = columns.get(column.key)
            if position is None:
                continue
            texts = []
            for row_number in data_rows:
                cells = data[row_number - 1]
                value = cells[position - 1] if position <= len(cells) else None
                if isinstance(value, str) and not value.isascii():
                    texts.append(value)
            if not texts:
                continue
            detection = legacy_encoding.detect_legacy_encoding(texts)
            if detection is not None:
                found[column.key] = detection.encoding
        return found

    def _validate_row(self, tab: Tab, row_number: int, cells: list[Any], columns: dict[str, int],
                      legacy: dict[str, str]) -> tuple[RowRecord, list[Issue]]:
        values: dict[str, Any] = {}
        issues: list[Issue] = []
        width = len(cells)
        for column in tab.columns:
            position = columns.get(column.key)
            raw = cells[position - 1] if position is not None and position <= width else None
            if position is None:
                values[column.key] = None
                continue
            value, problem = self._normalise(tab, column, raw, legacy.get(column.key))
            values[column.key] = value
            if problem is not None:
                issues.append(self._cell_issue(tab, row_number, column, raw, problem))
                if problem.severity == "warning" and problem.code == "legacy_encoding":
                    continue
            if value is not None and problem is None:
                for bound in self._bounds(column, value):
                    issues.append(self._cell_issue(tab, row_number, column, raw, bound, shown=format_value(value, column.type)))
        record = RowRecord(unit=self.unit, tab=tab.key, row=row_number, values=values)
        return record, issues

    def _normalise(self, tab: Tab, column: Column, raw: Any, legacy: str | None) -> Result:
        if is_blank(raw):
            if column.required:
                return None, Problem("required_missing")
            return None, None
        special = special_problem(raw)
        if special is not None:
            return None, special
        parse = _TabParsers.get(self, tab, column)
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

    def _bounds(self, column: Column, value: Any) -> Iterable[Problem]:
        if column.in_period and isinstance(value, dt.date):
            start, end = self.period
            if not start <= value <= end and not (column.type == "month" and start.replace(day=1) <= value <= end):
                yield Problem("out_of_period", params=(
                    ("start", start.strftime("%d/%m/%Y")), ("end", end.strftime("%d/%m/%Y"))))
            return
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return
        if column.min_exclusive is not None and value <= column.min_exclusive:
            yield Problem("not_positive")
            return
        if column.min is not None and value < column.min:
            yield Problem("below_min", params=(("min", format_value(int(column.min), column.type)),))
            return
        if column.max is not None and value > column.max:
            yield Problem("above_max", params=(("max", format_value(int(column.max), column.type)),))
            return
        if column.warn_below is not None and value < column.warn_below:
            yield Problem("amount_low", "warning", (("min", format_value(int(column.warn_below), "money_vnd")),))
        if column.warn_above is not None and value > column.warn_above:
            yield Problem("amount_high", "warning", (("max", format_value(int(column.warn_above), "money_vnd")),))

    def _cell_issue(self, tab: Tab, row: int, column: Column, raw: Any, problem: Problem,
                    shown: str | None = None) -> Issue:
        params = problem.param_dict()
        text = shown if shown is not None else shown_text(raw)
        if problem.code == "out_of_period":
            text = shown or text
        message = cell_message(self.schema, tab, row, column, problem.code, text, params)
        return Issue(unit=self.unit, tab=tab.key, row=row, column=column.key, severity=problem.severity,
                     code=problem.code, value=display_value(raw), message=message)


class _TabParsers:
    """Cache of column parsers per validator, so caches survive across rows."""

    @staticmethod
    def get(validator: UnitValidator, tab: Tab, column: Column) -> Callable[[Any], Result]:
        store: dict[tuple[str, str], Callable[[Any], Result]] = validator.__dict__.setdefault("_parsers", {})
        key = (tab.key, column.key)
        parser = store.get(key)
        if parser is None:
            parser = validator.parser_for(column)
            store[key] = parser
        return parser


# ---------------------------------------------------------------- header mapping

class _HeaderMap:
    def __init__(self) -> None:
        self.columns: dict[str, int] = {}
        self.duplicates: dict[str, list[int]] = {}
        self.sync_columns: dict[str, int] = {}
        self.running_number: int | None = None
        self.all_positions: list[int] = []
        self.matches = 0


def _header_lookup(tab: Tab) -> tuple[dict[str, str], dict[str, str]]:
    exact: dict[str, str] = {}
    loose: dict[str, str] = {}
    for column in tab.columns:
        for header in (column.header, *column.header_aliases):
            exact.setdefault(header_key(header), column.key)
            loose.setdefault(loose_key(header), column.key)
    return exact, loose


def _map_header(tab: Tab, cells: list[Any], schema: Schema) -> _HeaderMap:
    exact, loose = _header_lookup(tab)
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


def _is_skipped(cells: list[Any], columns: dict[str, int]) -> bool:
    """Fully blank rows, and rows whose only value is the running number, are skipped."""
    width = len(cells)
    for position in columns.values():
        if position <= width and not is_blank(cells[position - 1]):
            return False
    return True


def _last_staff_data_column(data: list[list[Any]], header_row: int, sync_cols: tuple[int | None, ...]) -> int:
    last = 0
    skip = {c for c in sync_cols if c}
    for cells in data[header_row - 1:]:
        for index in range(len(cells), 0, -1):
            if index in skip:
                continue
            if not is_blank(cells[index - 1]):
                last = max(last, index)
                break
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

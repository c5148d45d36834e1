"""Row, unit and province rules declared in the contract file.

Each rule kind is one function; the contract names the kind, the columns it reads,
its severity, issue code and Vietnamese message.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Iterable

from sheets_schema.config import Config
from sheets_schema.schema import Rule, Schema, Tab
from sync.messages import cell_prefix, fill, format_value
from sync.model import Issue, RowRecord, UnitResult
from sync.text import exact_key, loose_key

if TYPE_CHECKING:
    from sync.validate import UnitValidator


def _issue(schema_tab: Tab, unit: str, record: RowRecord, rule: Rule, params: dict[str, Any]) -> Issue:
    column = schema_tab.column(rule.column)
    value = record.values.get(rule.column)
    shown = format_value(value, column.type) if value is not None else ""
    message = cell_prefix(schema_tab, record.row, column) + fill(rule.message, {"value": shown, **params})
    return Issue(unit=unit, tab=schema_tab.key, row=record.row, column=rule.column, severity=rule.severity,
                 code=rule.code, value=_json_safe(value), message=message)


def _json_safe(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _rows_text(rows: Iterable[int]) -> str:
    ordered = sorted(set(rows))
    if len(ordered) == 1:
        return str(ordered[0])
    return ", ".join(str(r) for r in ordered[:-1]) + " và " + str(ordered[-1])


# ---------------------------------------------------------------- row rules

def apply_row_rules(validator: "UnitValidator", tab: Tab, record: RowRecord, existing: list[Issue]) -> list[Issue]:
    flagged = {i.column for i in existing if i.severity == "error"}
    found = []
    for rule in tab.rules:
        handler = _ROW_RULES.get(rule.kind)
        if handler is None:
            continue
        params = handler(validator, tab, record, rule, flagged)
        if params is not None:
            found.append(_issue(tab, validator.unit, record, rule, params))
    return found


def check_row_rules(validator: "UnitValidator", tab: Tab, records: list[RowRecord],
                    cell_issues: dict[int, list[Issue]]) -> list[Issue]:
    """Apply the tab's row rules to every record, rule by rule.

    ``cell_issues`` holds the cell issues by sheet row; a rule skips a column that
    already has an error there. The result lists the issues rule by rule, each rule's
    in row order, which is the order of ``apply_row_rules`` for each row.
    """
    checks = [(handler, rule) for rule in tab.rules if (handler := _ROW_RULES.get(rule.kind)) is not None]
    if not checks:
        return []
    no_errors: frozenset[str | None] = frozenset()
    flagged_by_row = {row: {i.column for i in found if i.severity == "error"} for row, found in cell_issues.items()}
    unit = validator.unit
    found_issues: list[Issue] = []
    for handler, rule in checks:
        for record in records:
            params = handler(validator, tab, record, rule, flagged_by_row.get(record.row, no_errors))
            if params is not None:
                found_issues.append(_issue(tab, unit, record, rule, params))
    return found_issues


def _not_before(v: "UnitValidator", tab: Tab, record: RowRecord, rule: Rule, flagged: set[str | None]) -> dict[str, Any] | None:
    value, other = record.values.get(rule.column), record.values.get(rule.params["other"])
    if value is None or other is None or value >= other:
        return None
    return {"other_value": format_value(other, tab.column(rule.params["other"]).type)}


def _not_above(v: "UnitValidator", tab: Tab, record: RowRecord, rule: Rule, flagged: set[str | None]) -> dict[str, Any] | None:
    value, other = record.values.get(rule.column), record.values.get(rule.params["other"])
    if value is None or other is None or value <= other:
        return None
    return {"other_value": format_value(other, "integer")}


def _required_when(v: "UnitValidator", tab: Tab, record: RowRecord, rule: Rule, flagged: set[str | None]) -> dict[str, Any] | None:
    if record.values.get(rule.column) is not None or rule.column in flagged:
        return None
    for key, expected in rule.params["when"].items():
        if record.values.get(key) != expected:
            return None
    return {}


def _not_both_empty(v: "UnitValidator", tab: Tab, record: RowRecord, rule: Rule, flagged: set[str | None]) -> dict[str, Any] | None:
    columns = rule.params["columns"]
    if any(c in flagged for c in columns):
        return None
    if any(record.values.get(c) for c in columns):
        return None
    return {}


def _age(born: dt.date, at: dt.date) -> int:
    return at.year - born.year - ((at.month, at.day) < (born.month, born.day))


def _age_between(v: "UnitValidator", tab: Tab, record: RowRecord, rule: Rule, flagged: set[str | None]) -> dict[str, Any] | None:
    born, at = record.values.get(rule.column), record.values.get(rule.params["at"])
    if not isinstance(born, dt.date) or not isinstance(at, dt.date):
        return None
    age = _age(born, at)
    if rule.params["min"] <= age <= rule.params["max"]:
        return None
    return {"age": age, "min": rule.params["min"], "max": rule.params["max"]}


def _youth_age(v: "UnitValidator", tab: Tab, record: RowRecord, rule: Rule, flagged: set[str | None]) -> dict[str, Any] | None:
    year = record.values.get(rule.column)
    if not isinstance(year, int) or rule.column in flagged:
        return None
    age = v.reference_year - year
    if rule.params["min"] <= age <= rule.params["max"]:
        return None
    return {"age": age, "year": v.reference_year, "min": rule.params["min"], "max": rule.params["max"]}


# Digit 4 of a 12-digit CCCD: gender and century of birth.
_CCCD_CENTURY = {"0": ("Nam", 1900), "1": ("Nữ", 1900), "2": ("Nam", 2000), "3": ("Nữ", 2000),
                 "4": ("Nam", 2100), "5": ("Nữ", 2100), "6": ("Nam", 2200), "7": ("Nữ", 2200),
                 "8": ("Nam", 1800), "9": ("Nữ", 1800)}


def _national_id_matches(v: "UnitValidator", tab: Tab, record: RowRecord, rule: Rule, flagged: set[str | None]) -> dict[str, Any] | None:
    number = record.values.get(rule.column)
    if not isinstance(number, str) or len(number) != 12:
        return None
    gender_code, century = _CCCD_CENTURY[number[3]]
    id_year = century + int(number[4:6])
    gender = record.values.get(rule.params["gender"])
    born = record.values.get(rule.params["birth"])
    mismatches = []
    if gender in ("Nam", "Nữ") and gender != gender_code:
        mismatches.append(("giới tính", f"số định danh ứng với {gender_code}, dòng ghi {gender}"))
    if isinstance(born, dt.date) and born.year != id_year:
        mismatches.append(("năm sinh", f"số định danh ứng với năm sinh {id_year}, dòng ghi {born.year}"))
    if not mismatches:
        return None
    return {"what": " và ".join(m[0] for m in mismatches), "detail": "; ".join(m[1] for m in mismatches)}


_ROW_RULES = {
    "not_before": _not_before,
    "not_above": _not_above,
    "required_when": _required_when,
    "not_both_empty": _not_both_empty,
    "age_between": _age_between,
    "youth_age": _youth_age,
    "national_id_matches": _national_id_matches,
}


# ---------------------------------------------------------------- unit rules

def _match_value(value: Any) -> Any:
    if isinstance(value, str):
        if value.isascii() and value.isalnum():
            return value.lower()  # exact_key of one ASCII word; skips its cache for numbers like phones
        return exact_key(value)
    return value


def apply_unit_rules(validator: "UnitValidator", tab: Tab, records: list[RowRecord]) -> list[Issue]:
    found: list[Issue] = []
    for rule in tab.rules:
        if rule.kind == "unique_in_unit":
            found.extend(_unique_in_unit(validator, tab, records, rule))
        elif rule.kind == "group_sum_max":
            found.extend(_group_sum_max(validator, tab, records, rule))
    return found


def _unique_in_unit(v: "UnitValidator", tab: Tab, records: list[RowRecord], rule: Rule) -> list[Issue]:
    groups: dict[tuple[Any, ...], list[RowRecord]] = {}
    for record in records:
        key = tuple(_match_value(record.values.get(c)) for c in rule.params["columns"])
        if any(k is None for k in key):
            continue
        groups.setdefault(key, []).append(record)
    found = []
    for group in groups.values():
        if len(group) < 2:
            continue
        for record in group:
            others = [r.row for r in group if r is not record]
            found.append(_issue(tab, v.unit, record, rule, {"other_rows": _rows_text(others)}))
    return found


def _group_sum_max(v: "UnitValidator", tab: Tab, records: list[RowRecord], rule: Rule) -> list[Issue]:
    name_col, phone_col, period_col = rule.params["group"]
    groups: dict[tuple[Any, ...], list[RowRecord]] = {}
    for record in records:
        name = record.values.get(name_col)
        period = record.values.get(period_col)
        if name is None or period is None or record.values.get(rule.column) is None:
            continue
        key = (loose_key(name), record.values.get(phone_col) or "", period)
        groups.setdefault(key, []).append(record)
    found = []
    for group in groups.values():
        if len(group) < 2:
            continue
        total = sum(r.values[rule.column] for r in group)
        if total <= rule.params["max"]:
            continue
        rows = _rows_text(r.row for r in group)
        for record in group:
            found.append(_issue(tab, v.unit, record, rule, {
                "name": record.values[name_col], "total": total, "semester": record.values[period_col],
                "rows": rows, "max": rule.params["max"]}))
    return found


# ---------------------------------------------------------------- province rules

def apply_province_rules(schema: Schema, config: Config | None, results: list[UnitResult],
                         extra_rows: list[RowRecord]) -> list[Issue]:
    unit_names = {u.code: u.name for u in config.units} if config else {}
    found: list[Issue] = []
    checked_units = {r.unit for r in results}
    wanted = {tab.key for tab in schema.tabs if any(rule.kind == "unique_in_province" for rule in tab.rules)}
    by_tab: dict[str, list[RowRecord]] = {key: [] for key in wanted}
    for result in results:
        for record in result.rows:
            if record.tab in wanted:
                by_tab[record.tab].append(record)
    for record in extra_rows:
        if record.tab in wanted and record.unit not in checked_units:
            by_tab[record.tab].append(record)
    for tab in schema.tabs:
        for rule in tab.rules:
            if rule.kind != "unique_in_province":
                continue
            found.extend(_unique_in_province(tab, rule, by_tab[tab.key], checked_units, unit_names))
    return found


def _unique_in_province(tab: Tab, rule: Rule, records: list[RowRecord], checked_units: set[str],
                        unit_names: dict[str, str]) -> list[Issue]:
    only_when_empty = rule.params.get("only_when_empty")
    groups: dict[tuple[Any, ...], list[RowRecord]] = {}
    columns = rule.params["columns"]
    for record in records:
        values = record.values
        if only_when_empty and values.get(only_when_empty) is not None:
            continue
        if len(columns) == 1:
            value = values.get(columns[0])
            if value is None:
                continue
            key: tuple[Any, ...] = (_match_value(value),)
        else:
            key = tuple([_match_value(values.get(c)) for c in columns])
            if None in key:
                continue
        groups.setdefault(key, []).append(record)
    found = []
    for group in groups.values():
        if len(group) < 2:
            continue
        for record in group:
            if record.unit not in checked_units:
                continue
            others = [r for r in group if r is not record]
            found.append(_issue(tab, record.unit, record, rule,
                                {"others": _others_text(record, others, unit_names)}))
    return found


def _others_text(record: RowRecord, others: list[RowRecord], unit_names: dict[str, str]) -> str:
    same = sorted(r.row for r in others if r.unit == record.unit)
    parts = []
    if same:
        parts.append(("dòng " if len(same) == 1 else "các dòng ") + _rows_text(same) + " của trang này")
    by_unit: dict[str, list[int]] = {}
    for other in others:
        if other.unit != record.unit:
            by_unit.setdefault(other.unit, []).append(other.row)
    for unit, rows in sorted(by_unit.items()):
        name = unit_names.get(unit, unit)
        parts.append(f"{name} ({'dòng' if len(rows) == 1 else 'các dòng'} {_rows_text(rows)})")
    if len(parts) > 5:
        parts = parts[:5] + [f"và {len(parts) - 5} nơi khác"]
    return "; ".join(parts)

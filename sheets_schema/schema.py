"""Load the declarative data contract (contract.yaml) into typed objects."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

CONTRACT_PATH = Path(__file__).with_name("contract.yaml")

CELL_TYPES = frozenset(
    {"text", "person_name", "date", "month", "integer", "money_vnd", "phone_vn",
     "national_id", "yes_no", "choice", "commune", "url"}
)
ROW_RULE_KINDS = frozenset(
    {"not_before", "required_when", "not_above", "not_both_empty", "age_between",
     "youth_age", "national_id_matches"}
)
UNIT_RULE_KINDS = frozenset({"unique_in_unit", "group_sum_max"})
PROVINCE_RULE_KINDS = frozenset({"unique_in_province"})
SEVERITIES = frozenset({"error", "warning"})


class SchemaError(ValueError):
    """The contract file is inconsistent (a developer error, found at load time)."""


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    type: str
    required: bool
    help: str = ""
    choices: tuple[str, ...] = ()
    aliases: dict[str, str] = field(default_factory=dict)
    header_aliases: tuple[str, ...] = ()
    min: float | None = None
    min_exclusive: float | None = None
    max: float | None = None
    warn_below: float | None = None
    warn_above: float | None = None
    in_period: bool = False
    personal: bool = False

    @property
    def sheet_header(self) -> str:
        """Header as provisioned in the sheet: required columns end with `*`."""
        return f"{self.header} *" if self.required else self.header


@dataclass(frozen=True)
class Rule:
    kind: str
    code: str
    severity: str
    column: str
    message: str
    params: dict[str, Any]


@dataclass(frozen=True)
class Tab:
    key: str
    title: str
    name: str
    strand: str
    columns: tuple[Column, ...]
    rules: tuple[Rule, ...]
    personal: bool = False

    def column(self, key: str) -> Column:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(f"tab {self.key} has no column {key}")

    @property
    def column_keys(self) -> tuple[str, ...]:
        return tuple(col.key for col in self.columns)


@dataclass(frozen=True)
class Schema:
    tabs: tuple[Tab, ...]
    status_header: str
    details_header: str
    summary_tab: str
    instructions_tab: str
    lists_tab: str
    running_number_headers: tuple[str, ...]
    cell_messages: dict[str, str]
    tab_messages: dict[str, str]

    def tab(self, key: str) -> Tab:
        for tab in self.tabs:
            if tab.key == key:
                return tab
        raise KeyError(f"no tab {key}")

    @property
    def tab_keys(self) -> tuple[str, ...]:
        return tuple(tab.key for tab in self.tabs)


_COLUMN_FIELDS = frozenset({"key", "header", "type", "required", "help", "choices", "aliases", "choices_from",
                            "header_aliases", "min", "min_exclusive", "max", "warn_below", "warn_above",
                            "in_period", "personal"})


def _column(raw: dict[str, Any], common: bool = False) -> Column:
    unknown = set(raw) - _COLUMN_FIELDS
    if unknown:
        # Usually an unquoted comma inside a YAML flow mapping split a value into junk keys.
        raise SchemaError(f"column {raw.get('key')}: unknown fields {sorted(unknown)}")
    col_type = raw["type"]
    if col_type not in CELL_TYPES:
        raise SchemaError(f"column {raw['key']}: unknown type {col_type}")
    return Column(
        key=raw["key"],
        header=raw["header"],
        type=col_type,
        required=bool(raw.get("required", False)),
        help=raw.get("help", ""),
        choices=tuple(raw.get("choices", ())),
        aliases=dict(raw.get("aliases", {})),
        header_aliases=tuple(raw.get("header_aliases", ())),
        min=raw.get("min"),
        min_exclusive=raw.get("min_exclusive"),
        max=raw.get("max"),
        warn_below=raw.get("warn_below"),
        warn_above=raw.get("warn_above"),
        in_period=bool(raw.get("in_period", False)),
        personal=bool(raw.get("personal", False)),
    )


def _rule(raw: dict[str, Any], tab_key: str) -> Rule:
    kind = raw["kind"]
    if kind not in ROW_RULE_KINDS | UNIT_RULE_KINDS | PROVINCE_RULE_KINDS:
        raise SchemaError(f"tab {tab_key}: unknown rule kind {kind}")
    if raw["severity"] not in SEVERITIES:
        raise SchemaError(f"tab {tab_key}: rule {raw['code']} has severity {raw['severity']}")
    fixed = {"kind", "code", "severity", "column", "message"}
    params = {k: v for k, v in raw.items() if k not in fixed}
    return Rule(kind=kind, code=raw["code"], severity=raw["severity"],
                column=raw["column"], message=raw["message"], params=params)


def parse_schema(data: dict[str, Any]) -> Schema:
    """Build a Schema from the parsed YAML, resolving `choices_from` references."""
    common = [_column(c, common=True) for c in data.get("common_columns", [])]
    raw_tabs = data["tabs"]
    choice_index = {
        f"{t['key']}.{c['key']}": tuple(c.get("choices", ())) for t in raw_tabs for c in t["columns"]
    }
    tabs = []
    for raw_tab in raw_tabs:
        columns = []
        for raw_col in raw_tab["columns"]:
            if "choices_from" in raw_col:
                raw_col = {**raw_col, "choices": list(choice_index[raw_col["choices_from"]])}
            columns.append(_column(raw_col))
        columns.extend(common)
        keys = [c.key for c in columns]
        if len(set(keys)) != len(keys):
            raise SchemaError(f"tab {raw_tab['key']}: duplicate column keys")
        rules = tuple(_rule(r, raw_tab["key"]) for r in raw_tab.get("rules", []) or [])
        for rule in rules:
            if rule.column not in keys:
                raise SchemaError(f"tab {raw_tab['key']}: rule {rule.code} names unknown column {rule.column}")
        if len(raw_tab["title"]) > 31:
            raise SchemaError(f"tab title {raw_tab['title']} is longer than Excel's 31 characters")
        tabs.append(Tab(key=raw_tab["key"], title=raw_tab["title"], name=raw_tab["name"],
                        strand=raw_tab["strand"], columns=tuple(columns), rules=rules,
                        personal=bool(raw_tab.get("personal", False))))
    return Schema(
        tabs=tuple(tabs),
        status_header=data["sync_columns"]["status"],
        details_header=data["sync_columns"]["details"],
        summary_tab=data["summary_tab"],
        instructions_tab=data["instructions_tab"],
        lists_tab=data["lists_tab"],
        running_number_headers=tuple(data["running_number_headers"]),
        cell_messages=dict(data["cell_messages"]),
        tab_messages=dict(data["tab_messages"]),
    )


@functools.lru_cache(maxsize=4)
def load_schema(path: Path = CONTRACT_PATH) -> Schema:
    """Load and check the contract file; cached because every consumer reads it."""
    with open(path, encoding="utf-8") as fh:
        return parse_schema(yaml.safe_load(fh))

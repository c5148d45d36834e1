"""The schema holds every tab, header, type, choice and rule of the data contract.

The contract page is parsed here, so a tab, column or rule added to it without a
matching schema entry fails this test.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sheets_schema import load_config, load_schema
from sheets_schema.schema import CELL_TYPES
from sync.cells import PARSERS

CONTRACT = Path(__file__).resolve().parents[2] / "shared" / "spec" / "DATA_CONTRACT.md"

_TAB_HEADING = re.compile(r"^### 4\.\d+ `(\w+)` — .*\(sheet tab `([^`]+)`\)")


def _contract_tabs() -> dict[str, dict]:
    if not CONTRACT.exists():
        pytest.skip(f"data contract not found beside the repository: {CONTRACT}")
    tabs: dict[str, dict] = {}
    current = None
    for line in CONTRACT.read_text(encoding="utf-8").splitlines():
        heading = _TAB_HEADING.match(line)
        if heading:
            current = {"title": heading.group(2), "columns": [], "notes": []}
            tabs[heading.group(1)] = current
            continue
        if line.startswith("## "):
            current = None
        if current is None:
            continue
        if line.startswith("| ") and not line.startswith("| key") and not line.startswith("|---"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            key, header, col_type, req, rule = cells[0].strip("`"), cells[1], cells[2], cells[3], cells[4]
            current["columns"].append({"key": key, "header": header, "type": col_type,
                                       "required": req == "yes", "rule": rule})
        elif line.strip() and not line.startswith("|"):
            current["notes"].append(line.strip())
    return tabs


def _rule(tab, code):
    return next((r for r in tab.rules if r.code == code), None)


# Every rule cell of the contract, mapped to a check on the schema: (tab, column) -> check.
RULE_CHECKS = {
    ("teams", "commune"): lambda t: _rule(t, "duplicate_team").kind == "unique_in_unit"
    and _rule(t, "duplicate_team").severity == "warning",
    ("teams", "members"): lambda t: t.column("members").min == 1,
    ("teams", "founded_on"): lambda t: t.column("founded_on").in_period,
    ("tutoring", "students"): lambda t: (t.column("students").min, t.column("students").max) == (1, 10)
    and _rule(t, "tutor_over_limit").params["max"] == 10 and _rule(t, "tutor_over_limit").severity == "error",
    ("scholarships", "birth_date"): lambda t: (_rule(t, "scholarship_age").params["min"],
                                               _rule(t, "scholarship_age").params["max"]) == (5, 30),
    ("scholarships", "national_id"): lambda t: _rule(t, "national_id_mismatch").severity == "warning"
    and _rule(t, "duplicate_national_id").kind == "unique_in_province",
    ("scholarships", "amount_vnd"): lambda t: t.column("amount_vnd").min_exclusive == 0
    and t.column("amount_vnd").warn_below == 10000 and t.column("amount_vnd").warn_above == 50000000,
    ("scholarships", "awarded_on"): lambda t: t.column("awarded_on").in_period,
    ("school_events", "held_on"): lambda t: t.column("held_on").in_period,
    ("school_events", "pupils"): lambda t: t.column("pupils").min == 0,
    ("school_events", "student_volunteers"): lambda t: t.column("student_volunteers").min == 0,
    ("school_events", "cost_vnd"): lambda t: t.column("cost_vnd").min == 0,
    ("job_seekers", "birth_year"): lambda t: (t.column("birth_year").min, t.column("birth_year").max) == (1950, 2010)
    and (_rule(t, "not_youth_age").params["min"], _rule(t, "not_youth_age").params["max"]) == (16, 30),
    ("job_seekers", "phone"): lambda t: _rule(t, "duplicate_phone").kind == "unique_in_province",
    ("job_seekers", "registered_on"): lambda t: t.column("registered_on").in_period,
    ("job_seekers", "placed_on"): lambda t: _rule(t, "placed_on_missing").params["when"] == {"status": "Đã có việc làm"}
    and _rule(t, "placed_before_registered").params["other"] == "registered_on",
    ("job_openings", "openings"): lambda t: t.column("openings").min == 1,
    ("job_openings", "posted_on"): lambda t: t.column("posted_on").in_period,
    ("job_openings", "closes_on"): lambda t: _rule(t, "closes_before_posted").params["other"] == "posted_on",
    ("job_sessions", "held_on"): lambda t: t.column("held_on").in_period,
    ("job_sessions", "employers"): lambda t: t.column("employers").min == 0,
    ("job_sessions", "participants"): lambda t: t.column("participants").min == 1,
    ("job_sessions", "contracts"): lambda t: t.column("contracts").min == 0
    and _rule(t, "contracts_above_participants").params["other"] == "participants",
    ("harvest_help", "held_on"): lambda t: t.column("held_on").in_period,
    ("harvest_help", "volunteers"): lambda t: t.column("volunteers").min == 1,
    ("harvest_help", "households"): lambda t: t.column("households").min == 0,
    ("harvest_help", "value_vnd"): lambda t: t.column("value_vnd").min == 0,
    ("houses", "beneficiary"): lambda t: _rule(t, "duplicate_house").params["columns"] == ["beneficiary", "commune"],
    ("houses", "value_vnd"): lambda t: t.column("value_vnd").min_exclusive == 0,
    ("houses", "started_on"): lambda t: t.column("started_on").in_period,
    ("houses", "handed_over_on"): lambda t: t.column("handed_over_on").in_period
    and _rule(t, "handover_before_start").params["other"] == "started_on"
    and _rule(t, "handover_date_missing").params["when"] == {"status": "Đã bàn giao"},
    ("meals", "month"): lambda t: t.column("month").in_period,
    ("meals", "meals"): lambda t: t.column("meals").min == 1,
    ("meals", "beneficiaries"): lambda t: t.column("beneficiaries").min == 0,
    ("meals", "value_vnd"): lambda t: t.column("value_vnd").min == 0,
    ("outreach", "posted_on"): lambda t: t.column("posted_on").in_period,
    ("outreach", "reach"): lambda t: t.column("reach").min == 0,
    ("resources", "received_on"): lambda t: t.column("received_on").in_period,
    ("resources", "cash_vnd"): lambda t: t.column("cash_vnd").min == 0,
    ("resources", "in_kind_vnd"): lambda t: t.column("in_kind_vnd").min == 0
    and _rule(t, "no_resource_value").params["columns"] == ["cash_vnd", "in_kind_vnd"],
}
NOTE_CHECKS = {
    "scholarships": lambda t: _rule(t, "duplicate_student").params == {
        "columns": ["full_name", "birth_date"], "only_when_empty": "national_id"},
}


# Optional columns the product adds to a tab although the contract page does not list
# them: job_seekers.source holds the note written by the public registration page.
PRODUCT_COLUMNS = {"job_seekers": ("source",)}


def _choices_in(rule_text: str) -> list[str]:
    text = re.sub(r"\(aliases:.*?\)", "", rule_text).strip()
    return [c.strip() for c in text.split("·")]


def test_every_tab_in_schema():
    schema = load_schema()
    contract = _contract_tabs()
    assert len(contract) == 12
    assert set(contract) == set(schema.tab_keys)
    for key, tab in contract.items():
        assert schema.tab(key).title == tab["title"]


@pytest.mark.parametrize("tab_key", sorted(
    ["teams", "tutoring", "scholarships", "school_events", "job_seekers", "job_openings", "job_sessions",
     "harvest_help", "houses", "meals", "outreach", "resources"]))
def test_every_column_header_type_and_requirement(tab_key):
    schema = load_schema()
    tab = schema.tab(tab_key)
    contract_columns = _contract_tabs()[tab_key]["columns"]
    for col in contract_columns:
        column = tab.column(col["key"])
        assert column.header == col["header"], col["key"]
        assert column.type == col["type"], col["key"]
        assert column.required == col["required"], col["key"]
    added = PRODUCT_COLUMNS.get(tab_key, ())
    for key in added:
        assert not tab.column(key).required, key
    schema_keys = [c.key for c in tab.columns if c.key != "explanation" and c.key not in added]
    assert schema_keys == [c["key"] for c in contract_columns]


@pytest.mark.parametrize("tab_key", ["tutoring", "scholarships", "school_events", "job_seekers", "job_openings",
                                     "job_sessions", "houses", "outreach", "resources"])
def test_every_choice_list(tab_key):
    schema = load_schema()
    tab = schema.tab(tab_key)
    for col in _contract_tabs()[tab_key]["columns"]:
        if col["type"] != "choice":
            continue
        column = tab.column(col["key"])
        if "`education` choices" in col["rule"]:
            assert column.choices == schema.tab("job_seekers").column("education").choices
        else:
            assert list(column.choices) == _choices_in(col["rule"]), col["key"]


def test_every_rule_is_in_schema():
    schema = load_schema()
    contract = _contract_tabs()
    for tab_key, tab in contract.items():
        for col in tab["columns"]:
            if col["type"] == "choice" or not col["rule"]:
                continue
            check = RULE_CHECKS.get((tab_key, col["key"]))
            assert check is not None, f"contract rule not covered by the schema test: {tab_key}.{col['key']}: {col['rule']}"
            assert check(schema.tab(tab_key)), f"schema does not implement {tab_key}.{col['key']}: {col['rule']}"
        for note in tab["notes"]:
            assert tab_key in NOTE_CHECKS, f"contract note not covered: {tab_key}: {note}"
            assert NOTE_CHECKS[tab_key](schema.tab(tab_key))


def test_every_cell_type_has_parser():
    text = CONTRACT.read_text(encoding="utf-8") if CONTRACT.exists() else ""
    types = set(re.findall(r"^\| `(\w+)` \|", text, flags=re.MULTILINE))
    assert types <= CELL_TYPES
    assert CELL_TYPES - {"choice", "commune"} <= set(PARSERS)


def test_every_message_code_has_text():
    schema = load_schema()
    for code in ("missing_tab", "missing_column", "duplicate_header", "header_not_first_row", "header_not_found",
                 "tab_unreadable", "workbook_unreadable", "merged_cells"):
        assert code in schema.tab_messages
    for tab in schema.tabs:
        for rule in tab.rules:
            assert rule.message
            assert rule.code


def test_every_tab_has_explanation_column():
    for tab in load_schema().tabs:
        assert tab.column("explanation").header == "Giải trình"


def test_targets_in_configuration():
    config = load_config()
    keys = {t.key for t in config.targets}
    assert keys == {"communes_with_team", "max_students_per_tutor", "province_school_events",
                    "monthly_job_sessions", "province_job_fair", "province_houses"}
    assert str(config.period_start) == "2022-03-01"
    assert str(config.period_end) == "2022-11-30"
    assert {d.key: str(d.date) for d in config.deadlines} == {"final_report": "2022-11-10", "awards": "2022-11-15"}
    assert len(config.units) == 11
    assert len(config.all_communes) == 101

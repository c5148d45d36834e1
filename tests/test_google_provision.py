"""Provisioning a unit's Google spreadsheet: create, share, and upgrade without touching data."""

from __future__ import annotations

import dataclasses

from sheets_schema.provision_google import HEADER_PROTECTION, provision_google
from tests.sheets_standin.fixtures import standin, standin_server  # noqa: F401
from tests.test_google_support import google_config, load_xlsx, make_backend
from tests.test_google_sync import staff_values

# The stand-in stores every formatted cell, so tests format fewer rows than the product's default.
ROWS = 300


def test_create_new_spreadsheet(config, schema, standin):
    cfg = google_config(config, {})
    unit = dataclasses.replace(cfg.unit("DAMDOI"), backend="google", location="")
    report = provision_google(make_backend(cfg, standin), unit, schema, cfg, validation_rows=ROWS)
    sid = report.spreadsheet_id
    assert report.created
    titles = standin.sheet_titles(sid)
    assert titles[0] == schema.instructions_tab
    assert all(tab.title in titles for tab in schema.tabs)
    assert standin.get_sheet_properties(sid, schema.lists_tab).get("hidden") is True
    assert standin.get_spreadsheet_properties(sid)["locale"] == "vi_VN"

    tab = schema.tabs[0]
    headers = standin.get_values(sid, tab.title)[0]
    assert headers == [c.sheet_header for c in tab.columns]
    assert standin.get_frozen_row_count(sid, tab.title) == 1
    protected = standin.get_protected_ranges(sid, tab.title)
    assert [p["description"] for p in protected] == [HEADER_PROTECTION]
    assert protected[0]["warningOnly"] is True
    assert standin.get_formats(sid, tab.title)["A1"]["textFormat"]["bold"] is True

    validations = standin.get_data_validations(sid, tab.title)
    formats = standin.get_formats(sid, tab.title)
    for index, column in enumerate(tab.columns):
        cell = f"{chr(65 + index)}2"
        if column.type == "commune":
            rule = validations[cell]["condition"]
            assert rule["type"] == "ONE_OF_RANGE"
            assert schema.lists_tab in rule["values"][0]["userEnteredValue"]
        if column.type == "date":
            assert formats[cell]["numberFormat"] == {"type": "DATE", "pattern": "dd/mm/yyyy"}
        if column.type == "money_vnd":
            assert formats[cell]["numberFormat"]["pattern"] == "#,##0"
    communes = [line[0] for line in standin.get_values(sid, schema.lists_tab)[1:]]
    assert communes == [c.name for c in unit.communes]
    instructions = standin.get_values(sid, schema.instructions_tab)
    assert instructions[0][0].startswith("HƯỚNG DẪN")

    permissions = standin.get_permissions(sid)
    assert {(p.get("emailAddress"), p["role"]) for p in permissions} >= {(e, "writer") for e in unit.contact_emails}


def test_upgrade_keeps_staff_data(config, schema, standin, sample_path):
    sid = load_xlsx(standin, sample_path, "Đầm Dơi")
    cfg = google_config(config, {"DAMDOI": sid})
    before = staff_values(standin, sid, skip_tabs=(schema.instructions_tab, schema.lists_tab))
    report = provision_google(make_backend(cfg, standin), cfg.unit("DAMDOI"), schema, cfg, validation_rows=ROWS)
    assert not report.created
    after = staff_values(standin, sid, skip_tabs=(schema.instructions_tab, schema.lists_tab))
    # Added header cells are new; every cell staff typed keeps its value and place.
    assert {k: v for k, v in after.items() if k in before} == before
    assert all(k[1] <= 20 for k in set(after) - set(before)), "only header cells are added"
    assert report.added_tabs, "the sample misses a tab, which the upgrade adds"
    again = provision_google(make_backend(cfg, standin), cfg.unit("DAMDOI"), schema, cfg, validation_rows=ROWS)
    assert again.added_tabs == []
    assert again.added_columns == []
    assert again.shared_with == []
    assert len(standin.get_protected_ranges(sid, schema.tabs[0].title)) == 1

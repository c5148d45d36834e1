"""Staff insert and delete rows between the sync's read and its write-back.

A backend subclass runs the "staff" edit on the stand-in just before the real
write_flags, which is exactly the window the write-back has to survive.
"""

from __future__ import annotations

import pytest

from sync.api import validate_workbooks
from sync.backends.google import GoogleSheetsBackend
from sync.flags import plan_flags
from sync.runner import run_sync
from tests.sheets_standin.adapter import make_gspread_client
from tests.sheets_standin.fixtures import standin, standin_server  # noqa: F401
from tests.sheets_standin.server import DEFAULT_OWNER_EMAIL
from tests.test_google_support import backend_factories, google_config, load_xlsx, make_backend
from tests.test_google_sync import statuses

TAB = "Học bổng"


class EditBeforeWrite(GoogleSheetsBackend):
    """The real backend, with a staff edit between the read and the write."""

    edit = None

    def write_flags(self, unit, workbook, plan):  # type: ignore[no-untyped-def]
        if self.edit is not None:
            self.edit()
        return super().write_flags(unit, workbook, plan)


def factories(cfg, standin, edit):
    def google():
        backend = EditBeforeWrite(cfg, make_gspread_client(standin.port), service_account_email=DEFAULT_OWNER_EMAIL)
        backend.edit = edit
        return backend
    result = backend_factories(cfg, standin)
    result["google"] = google
    return result


def row_texts(standin, sid: str) -> list[tuple]:
    """Each row's staff cells (the first eight columns), to recognise rows after they move."""
    return [tuple(line[:8]) for line in standin.get_values(sid, TAB)]


def expected_now(cfg, schema, standin) -> dict[int, str]:
    """Status per row for the tab as it is now, from a fresh read and validation."""
    backend = make_backend(cfg, standin)
    unit = cfg.unit("DAMDOI")
    backend.modified_times([unit])
    result = validate_workbooks([backend.read(unit)], schema, cfg)[0]
    plan = plan_flags(result, schema)
    tab = next(t for t in plan.tabs if t.layout.sheet_title == TAB)
    return {row: value[0] for row, value in tab.statuses.items()}


def assert_flags_follow_rows(standin, sid: str, by_content: dict[tuple, str]) -> None:
    """Every status sits beside the row it was computed for; other rows have none."""
    texts = row_texts(standin, sid)
    shown = statuses(standin, sid, TAB)
    for row, status in shown.items():
        assert texts[row - 1] in by_content, f"row {row} has a flag but is not a row that was validated"
        assert by_content[texts[row - 1]] == status, f"row {row} carries another row's flag"


@pytest.fixture
def damdoi(config, standin, sample_path):
    sid = load_xlsx(standin, sample_path, "Đầm Dơi")
    return google_config(config, {"DAMDOI": sid}), sid


NEW_ROWS = [["", "Nguyễn Văn Mới", "", "", "", "", "", "", "", "", "", "", "", "dòng chèn giữa chừng"],
            ["", "Trần Thị Chèn", "", "", "", "", "", "", "", "", "", "", "", "dòng chèn giữa chừng"]]


@pytest.mark.parametrize("edit_name", ["insert", "delete", "insert_and_delete", "insert_above_header"])
def test_flags_never_on_wrong_row(schema, standin, damdoi, edit_name):
    cfg, sid = damdoi
    read_texts = row_texts(standin, sid)
    edits = {
        "insert": lambda: standin.insert_rows(sid, TAB, 3, NEW_ROWS),
        "delete": lambda: standin.delete_rows(sid, TAB, 3, 5),
        "insert_and_delete": lambda: (standin.insert_rows(sid, TAB, 5, NEW_ROWS), standin.delete_rows(sid, TAB, 1, 2)),
        "insert_above_header": lambda: standin.insert_rows(sid, TAB, 0, [["Danh sách học bổng năm 2022"]]),
    }
    fired = []

    def edit():
        if not fired:
            fired.append(edit_name)
            edits[edit_name]()

    expected_before = expected_now(cfg, schema, standin)
    by_content = {read_texts[row - 1]: status for row, status in expected_before.items()}
    first = run_sync(cfg, schema, units=["DAMDOI"], backends=factories(cfg, standin, edit))
    assert fired == [edit_name]
    assert first.written == ["DAMDOI"]
    assert_flags_follow_rows(standin, sid, by_content)

    second = run_sync(cfg, schema, units=["DAMDOI"], backends=factories(cfg, standin, None))
    assert second.read == ["DAMDOI"], "a workbook edited during write-back is read again"
    assert statuses(standin, sid, TAB) == expected_now(cfg, schema, standin)

    standin.reset_counters()
    third = run_sync(cfg, schema, units=["DAMDOI"], backends=factories(cfg, standin, None))
    assert third.unchanged == ["DAMDOI"]
    assert standin.counters["sheets_read"] == 0


def test_edit_every_time_bounded(schema, standin, damdoi):
    """Staff inserting a row before every batch: corrections stop after max_corrections."""
    cfg, sid = damdoi
    original = GoogleSheetsBackend._send_flags

    def send_after_insert(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        standin.insert_rows(sid, TAB, 2, [["", "Dòng chèn liên tục"]])
        return original(self, *args, **kwargs)

    class AlwaysEditing(GoogleSheetsBackend):
        _send_flags = send_after_insert

    def google():
        return AlwaysEditing(cfg, make_gspread_client(standin.port), service_account_email=DEFAULT_OWNER_EMAIL)

    result = backend_factories(cfg, standin)
    result["google"] = google
    standin.reset_counters()
    summary = run_sync(cfg, schema, units=["DAMDOI"], backends=result)
    assert summary.written == ["DAMDOI"]
    assert standin.counters["sheets_write"] == 1 + 2
    run_sync(cfg, schema, units=["DAMDOI"], backends=backend_factories(cfg, standin))
    assert statuses(standin, sid, TAB) == expected_now(cfg, schema, standin)

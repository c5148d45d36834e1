"""Staff insert and delete columns between the sync's read and its write-back.

The write-back addresses cells by position, so a column inserted left of the sync
columns moves the last staff columns under them. These tests run the real backend
over HTTP against the stand-in, with the staff edit made just before write_flags.
They check that every staff cell (value, number format, note, colour) ends as staff
left it, and that the flags sit beside their rows in the sync columns.
"""

from __future__ import annotations

from typing import Any, Callable

import pytest

from sync.api import validate_workbooks
from sync.backends.google_flags import is_our_color, is_our_note
from sync.flags import plan_flags
from sync.runner import run_sync
from tests.sheets_standin.a1 import parse_cells
from tests.sheets_standin.fixtures import standin, standin_server  # noqa: F401
from tests.sheets_standin.seeding import SeedCell
from tests.test_google_row_moves import factories
from tests.test_google_support import backend_factories, google_config, load_xlsx, make_backend

STATUS_HEADER = "Kết quả kiểm tra"
DETAILS_HEADER = "Chi tiết lỗi"
SUMMARY_TAB = "Tổng hợp lỗi"
TAB = "Học bổng"
TITLED_TAB = "Chương trình tại trường"  # its header is on row 3, under a title row
STAFF_NOTE = "Cán bộ ghi chú: đã đối chiếu hồ sơ"
STAFF_FILL = {"red": 0.8, "green": 0.9, "blue": 1.0}

Cells = dict[tuple[int, int], dict[str, Any]]


def position(name: str) -> tuple[int, int]:
    parsed = parse_cells(name, name)
    return parsed.start_row + 1, parsed.start_col + 1


def snapshot(standin, sid: str) -> dict[str, Cells]:
    """Every non-blank cell of every tab except the summary, by 1-based (row, column)."""
    return {tab: {position(name): cell for name, cell in standin.get_cells(sid, tab).items()}
            for tab in standin.sheet_titles(sid) if tab != SUMMARY_TAB}


def text(cell: dict[str, Any] | None) -> Any:
    return ((cell or {}).get("userEnteredValue") or {}).get("stringValue")


def sync_columns(cells: Cells) -> tuple[int, int, int]:
    """(header row, status column, details column) found by the sync's header texts."""
    status = [key for key, cell in cells.items() if text(cell) == STATUS_HEADER]
    details = [key for key, cell in cells.items() if text(cell) == DETAILS_HEADER]
    assert len(status) == 1, f"expected one status header, found {status}"
    assert len(details) == 1, f"expected one details header, found {details}"
    assert status[0][0] == details[0][0]
    return status[0][0], status[0][1], details[0][1]


def color(cell: dict[str, Any] | None) -> tuple[float, float, float] | None:
    value = ((cell or {}).get("userEnteredFormat") or {}).get("backgroundColor")
    if not value:
        return None
    return (float(value.get("red", 0)), float(value.get("green", 0)), float(value.get("blue", 0)))


def number_format(cell: dict[str, Any] | None) -> Any:
    return ((cell or {}).get("userEnteredFormat") or {}).get("numberFormat")


def decorate(standin, sid: str) -> dict[str, list[tuple[int, int]]]:
    """Give staff notes and colours to the first and last staff column of a few data rows.

    Values stay as they are (formula cells are skipped). One new row at the end of TAB
    changes the flags, so the next sync writes them. Returns the decorated cells per tab.
    """
    rows = standin.get_values(sid, TAB)
    standin.set_values(sid, TAB, standin_cell_name(len(rows) + 1, 1), [[len(rows), "Lê Thị Bổ Sung"]])
    decorated: dict[str, list[tuple[int, int]]] = {}
    for tab, cells in snapshot(standin, sid).items():
        header_row, status, _ = sync_columns(cells)
        values = standin.get_values(sid, tab)
        decorated[tab] = []
        for row in range(header_row + 1, min(header_row + 4, len(values)) + 1):
            for column in sorted({1, status - 1}):
                cell = cells.get((row, column), {})
                if "formulaValue" in (cell.get("userEnteredValue") or {}):
                    continue
                line = values[row - 1]
                value = line[column - 1] if column <= len(line) else None
                name = standin_cell_name(row, column)
                standin.set_values(sid, tab, name, [[SeedCell(value=value, note=STAFF_NOTE, background=STAFF_FILL)]])
                decorated[tab].append((row, column))
    return decorated


def standin_cell_name(row: int, column: int) -> str:
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return f"{letters}{row}"


def expected_flags(cfg, schema, standin) -> dict[str, tuple[dict[int, str], set[tuple[int, int]]]]:
    """Per tab: the status text per row and the flagged staff cells, from a fresh read."""
    backend = make_backend(cfg, standin)
    unit = cfg.unit("DAMDOI")
    backend.modified_times([unit])
    result = validate_workbooks([backend.read(unit)], schema, cfg)[0]
    plan = plan_flags(result, schema)
    return {tab.layout.sheet_title: ({row: value[0] for row, value in tab.statuses.items()},
                                     {(flag.row, flag.column) for flag in tab.cells})
            for tab in plan.tabs}


def assert_staff_cells_kept(staff: dict[str, Cells], final: dict[str, Cells]) -> None:
    """Each staff cell of ``final`` equals the staff state: value, number format, note and
    colour, except our fill and note on a cell staff left without them."""
    for tab, staff_cells in staff.items():
        final_cells = final[tab]
        _, status, details = sync_columns(staff_cells)
        assert sync_columns(final_cells)[1:] == (status, details), f"{tab}: sync columns moved"
        for key in set(staff_cells) | set(final_cells):
            if key[1] in (status, details):
                continue
            before, after = staff_cells.get(key, {}), final_cells.get(key, {})
            where = f"{tab} {standin_cell_name(*key)}"
            assert after.get("userEnteredValue") == before.get("userEnteredValue"), f"{where}: value changed"
            assert number_format(after) == number_format(before), f"{where}: number format changed"
            if before.get("note") and not is_our_note(before["note"]):
                assert after.get("note") == before["note"], f"{where}: staff note changed"
            else:
                assert after.get("note") is None or is_our_note(after["note"]), f"{where}: note of another cell"
            staff_color = color(before)
            if staff_color is not None and not is_our_color(staff_color):
                assert color(after) == staff_color or is_our_color(color(after)), f"{where}: staff colour changed"
            else:
                assert color(after) is None or is_our_color(color(after)), f"{where}: colour of another cell"


def assert_flags_beside_rows(final: dict[str, Cells], expected: dict[str, tuple[dict[int, str], set]]) -> None:
    """Statuses sit on their rows in the status column and fills on the flagged cells only."""
    for tab, (statuses, flagged) in expected.items():
        cells = final[tab]
        header_row, status, details = sync_columns(cells)
        shown = {row: text(cell) for (row, column), cell in cells.items()
                 if column == status and row > header_row and text(cell)}
        assert shown == statuses, f"{tab}: statuses are not beside their rows"
        filled = {key for key, cell in cells.items()
                  if key[1] not in (status, details) and key[0] > header_row and is_our_color(color(cell))}
        assert filled == flagged, f"{tab}: flag fills are not on the flagged cells"
        beyond = {key for key in cells if key[1] > details and (cells[key].get("userEnteredValue")
                                                                or is_our_note(cells[key].get("note")))}
        assert not beyond, f"{tab}: sync output left right of the sync columns at {sorted(beyond)}"


def shifted(expected: dict[str, tuple[dict[int, str], set]], moves: dict[str, tuple[Callable, Callable]]
            ) -> dict[str, tuple[dict[int, str], set]]:
    """Move expected flags by each tab's (row map, column map); a map returns None for a gone position."""
    result = {}
    for tab, (statuses, flagged) in expected.items():
        row_map, column_map = moves.get(tab, (lambda r: r, lambda c: c))
        result[tab] = ({row_map(row): status for row, status in statuses.items()},
                       {(row_map(r), column_map(c)) for r, c in flagged if column_map(c) is not None})
    return result


def insert_map(index: int, count: int) -> Callable[[int], int]:
    """Where a 1-based position goes when ``count`` are inserted before zero-based ``index``."""
    return lambda position: position + count if position > index else position


def delete_map(index: int) -> Callable[[int], int | None]:
    """Where a 1-based position goes when zero-based ``index`` is deleted (None for the deleted one)."""
    def moved(position: int) -> int | None:
        if position == index + 1:
            return None
        if position > index + 1:
            return position - 1
        return position
    return moved


def same(position: int) -> int:
    return position


# Rows typed after the column insert. Their cells stop left of column O, the old last
# staff column, which the write-back overwrites: a value typed there after the read
# cannot be restored, because the read never saw it.
NEW_ROWS = [["", "", "Nguyễn Văn Mới", "", "", "", "", "", "", "", "", "", "", "dòng chèn giữa chừng"],
            ["", "", "Trần Thị Chèn", "", "", "", "", "", "", "", "", "", "", "dòng chèn giữa chừng"]]


def column_edits(standin, sid: str) -> dict[str, tuple[Callable[[], None], dict[str, tuple[Callable, Callable]]]]:
    """Each case: the staff edit and, per tab it changes, the (row map, column map) it causes."""
    every_tab = [tab for tab in standin.sheet_titles(sid) if tab != SUMMARY_TAB]

    def insert_first() -> None:
        for tab in every_tab:
            standin.insert_columns(sid, tab, 0, 1)

    def insert_two_middle() -> None:
        standin.insert_columns(sid, TAB, 5, 2)
        standin.insert_columns(sid, TITLED_TAB, 2, 2)

    def delete_middle() -> None:
        standin.delete_columns(sid, TAB, 8, 9)

    def insert_column_and_rows() -> None:
        standin.insert_columns(sid, TAB, 0, 1)
        standin.insert_rows(sid, TAB, 3, NEW_ROWS)

    return {
        "insert_first": (insert_first, {tab: (same, insert_map(0, 1)) for tab in every_tab}),
        "insert_two_middle": (insert_two_middle, {TAB: (same, insert_map(5, 2)),
                                                  TITLED_TAB: (same, insert_map(2, 2))}),
        "delete_middle": (delete_middle, {TAB: (same, delete_map(8))}),
        "insert_column_and_rows": (insert_column_and_rows, {TAB: (insert_map(3, 2), insert_map(0, 1))}),
    }


@pytest.fixture
def damdoi(config, standin, sample_path):
    sid = load_xlsx(standin, sample_path, "Đầm Dơi")
    return google_config(config, {"DAMDOI": sid}), sid


@pytest.mark.parametrize("case", ["insert_first", "insert_two_middle", "delete_middle", "insert_column_and_rows"])
def test_column_edit_keeps_staff_cells(schema, standin, damdoi, case):
    cfg, sid = damdoi
    run_sync(cfg, schema, units=["DAMDOI"], backends=backend_factories(cfg, standin))
    decorated = decorate(standin, sid)
    assert decorated[TAB]
    assert decorated[TITLED_TAB]
    expected_before = expected_flags(cfg, schema, standin)

    edit, moves = column_edits(standin, sid)[case]
    staff: dict[str, Cells] = {}

    def staff_edit() -> None:
        if not staff:
            edit()
            staff.update(snapshot(standin, sid))

    first = run_sync(cfg, schema, units=["DAMDOI"], backends=factories(cfg, standin, staff_edit))
    assert staff, f"the staff edit did not run: {first}"
    assert first.written == ["DAMDOI"]
    final = snapshot(standin, sid)
    assert_staff_cells_kept(staff, final)
    expected_first = shifted(expected_before, moves)
    assert_flags_beside_rows(final, expected_first)
    for tab, keys in decorated.items():
        row_map, column_map = moves.get(tab, (same, same))
        for row, column in keys:
            key = (row_map(row), column_map(column))
            if key[1] is None:
                continue
            assert final[tab][key].get("note") == STAFF_NOTE, f"{tab} {standin_cell_name(*key)}: staff note lost"
            if key in expected_first[tab][1]:
                continue  # a flagged cell shows the flag's fill, by design
            assert color(final[tab][key]) == color({"userEnteredFormat": {"backgroundColor": STAFF_FILL}}), (
                f"{tab} {standin_cell_name(*key)}: staff colour lost")

    second = run_sync(cfg, schema, units=["DAMDOI"], backends=backend_factories(cfg, standin))
    assert second.read == ["DAMDOI"], "a spreadsheet edited during write-back is read again"
    settled = snapshot(standin, sid)
    assert_staff_cells_kept(staff, settled)
    assert_flags_beside_rows(settled, expected_flags(cfg, schema, standin))

    standin.reset_counters()
    third = run_sync(cfg, schema, units=["DAMDOI"], backends=backend_factories(cfg, standin))
    assert third.unchanged == ["DAMDOI"]
    assert standin.counters["sheets_read"] == 0
    assert snapshot(standin, sid) == settled

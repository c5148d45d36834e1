"""The Parquet snapshot the sync writes beside the store, and the dashboard's two ways of loading it."""

from __future__ import annotations

import copy
import inspect
import json
import logging
import shutil

import pandas as pd
import pytest

from dashboard import metrics, quality
from dashboard.data import Snapshot, load_snapshot
from sheets_schema import load_config, load_schema
from sync import snapshot as snapshot_store
from sync.runner import run_sync
from sync.store import Store, UnitSnapshot
from tests.e2e.dataset import build_store as build_fixed_store


def assert_snapshots_equal(left: Snapshot, right: Snapshot) -> None:
    assert left.run_id == right.run_id
    assert left.run == right.run
    assert list(left.tabs) == list(right.tabs)
    for key in left.tabs:
        pd.testing.assert_frame_equal(left.tabs[key], right.tabs[key], check_exact=True, obj=f"tab {key}")
    pd.testing.assert_frame_equal(left.issues, right.issues, check_exact=True, obj="issues")
    pd.testing.assert_frame_equal(left.workbooks, right.workbooks, check_exact=True, obj="workbooks")
    assert left.errors_excluded == right.errors_excluded


def write_latest(path) -> int:
    with Store(path) as store:
        run_id = store.latest_run_id()
        snapshot_store.write_snapshot(store, run_id)
    return run_id


@pytest.fixture
def fixed_store(tmp_path):
    """The dashboard tests' dataset (two runs, resolved issues, a failing unit) with its snapshot."""
    path = build_fixed_store(tmp_path / "var" / "ketnoi.sqlite3")
    write_latest(path)
    return path


def test_parquet_and_sqlite_frames_equal(fixed_store):
    run_id = load_snapshot(fixed_store, use_parquet=False).run_id
    assert snapshot_store.read_snapshot(fixed_store, run_id) is not None, "the Parquet path must be taken"
    assert_snapshots_equal(load_snapshot(fixed_store), load_snapshot(fixed_store, use_parquet=False))


def test_parquet_equals_sqlite_on_generated_province(tmp_path):
    from bench.dashboard_bench import build_store as build_generated_store

    path = tmp_path / "var" / "ketnoi.sqlite3"
    figures = build_generated_store(path, 3_000, 2022)
    assert figures["rows"] >= 3_000
    assert figures["issues"] > 0
    from_parquet = load_snapshot(path)
    from_sqlite = load_snapshot(path, use_parquet=False)
    assert snapshot_store.read_snapshot(path, from_sqlite.run_id) is not None
    assert_snapshots_equal(from_parquet, from_sqlite)
    yes_no = from_parquet.tab("job_seekers")["returned_migrant"]
    assert yes_no.dtype == object
    assert set(yes_no.dropna()) <= {True, False}


def test_snapshot_layout_and_manifest(fixed_store):
    run_id = load_snapshot(fixed_store, use_parquet=False).run_id
    root = snapshot_store.snapshot_root(fixed_store)
    assert root.name == "ketnoi.sqlite3.snapshot"
    assert root.parent == fixed_store.parent
    folder = snapshot_store.run_folder(fixed_store, run_id)
    names = sorted(item.name for item in folder.iterdir())
    expected = sorted([f"{tab.key}.parquet" for tab in load_schema().tabs] + ["issues.parquet", "manifest.json"])
    assert names == expected
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format"] == snapshot_store.FORMAT_VERSION
    assert manifest["run_id"] == run_id
    assert manifest["rows"]["teams"] == 22
    assert [item.name for item in root.iterdir()] == [folder.name], "no temporary folder is left behind"


def test_store_without_snapshot_reads_sqlite(tmp_path):
    path = build_fixed_store(tmp_path / "ketnoi.sqlite3")
    data = load_snapshot(path)
    assert not snapshot_store.snapshot_root(path).exists()
    assert snapshot_store.read_snapshot(path, data.run_id) is None
    assert len(data.tab("teams")) == 22
    assert data.errors_excluded["teams"] == 1


def test_snapshot_of_older_run_is_not_used(fixed_store):
    older = load_snapshot(fixed_store, use_parquet=False).run_id
    with Store(fixed_store) as store:
        newer = store.record_run("2022-09-12T01:00:00+00:00", [
            UnitSnapshot(unit="NAMCAN", backend="xlsx", location="NAMCAN.xlsx", status="read")])
    assert newer > older
    assert snapshot_store.read_snapshot(fixed_store, newer) is None
    data = load_snapshot(fixed_store)
    assert data.run_id == newer
    assert data.tab("teams")["unit"].eq("NAMCAN").sum() == 0, "NAMCAN's rows were replaced by none"
    assert_snapshots_equal(data, load_snapshot(fixed_store, use_parquet=False))


def test_snapshot_in_other_format_is_ignored(fixed_store, caplog):
    run_id = load_snapshot(fixed_store, use_parquet=False).run_id
    manifest_path = snapshot_store.run_folder(fixed_store, run_id) / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["format"] = snapshot_store.FORMAT_VERSION + 1
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="sync.snapshot"):
        assert snapshot_store.read_snapshot(fixed_store, run_id) is None
    assert "ignoring the Parquet snapshot" in caplog.text
    assert_snapshots_equal(load_snapshot(fixed_store), load_snapshot(fixed_store, use_parquet=False))


def test_damaged_parquet_file_is_ignored(fixed_store, caplog):
    run_id = load_snapshot(fixed_store, use_parquet=False).run_id
    (snapshot_store.run_folder(fixed_store, run_id) / "teams.parquet").write_bytes(b"not a parquet file")
    with caplog.at_level(logging.WARNING, logger="sync.snapshot"):
        assert snapshot_store.read_snapshot(fixed_store, run_id) is None
    assert "ignoring the Parquet snapshot" in caplog.text
    assert len(load_snapshot(fixed_store).tab("teams")) == 22


def test_writing_again_replaces_run_folder(fixed_store):
    run_id = write_latest(fixed_store)
    root = snapshot_store.snapshot_root(fixed_store)
    assert [item.name for item in root.iterdir()] == [f"run-{run_id}"]
    assert_snapshots_equal(load_snapshot(fixed_store), load_snapshot(fixed_store, use_parquet=False))


def test_sync_writes_snapshot_and_removes_older(config, schema, sample_path):
    shutil.copy(sample_path, config.workbooks_dir / "DAMDOI.xlsx")
    first = run_sync(config, schema, units=["DAMDOI"], write_back=False)
    assert snapshot_store.run_folder(config.store_path, first.run_id).is_dir()
    second = run_sync(config, schema, units=["DAMDOI"], write_back=False)
    root = snapshot_store.snapshot_root(config.store_path)
    assert [item.name for item in root.iterdir()] == [f"run-{second.run_id}"]
    from_parquet = load_snapshot(config.store_path)
    assert from_parquet.run_id == second.run_id
    assert len(from_parquet.tab("scholarships")) > 0
    assert_snapshots_equal(from_parquet, load_snapshot(config.store_path, use_parquet=False))


def test_sync_succeeds_when_snapshot_fails(config, schema, sample_path, caplog):
    shutil.copy(sample_path, config.workbooks_dir / "DAMDOI.xlsx")
    config.store_path.parent.mkdir(parents=True, exist_ok=True)
    # A plain file where the snapshot folder belongs makes creating the folder fail.
    snapshot_store.snapshot_root(config.store_path).write_text("in the way", encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="sync.snapshot"):
        summary = run_sync(config, schema, units=["DAMDOI"], write_back=False)
    assert summary.read == ["DAMDOI"]
    assert f"Parquet snapshot of sync run {summary.run_id} failed" in caplog.text
    data = load_snapshot(config.store_path)
    assert data.run_id == summary.run_id
    assert len(data.tab("scholarships")) > 0


def _metric_functions():
    for module in (metrics, quality):
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ != module.__name__ or name.startswith("_"):
                continue
            parameters = list(inspect.signature(function).parameters)
            if parameters[:1] == ["snapshot"]:
                yield module.__name__, name, function, parameters


EXTRA_ARGUMENTS = {
    "scoped": ("teams",),
    "total": ("scholarships", "amount_vnd"),
    "scholarships_by": ("circumstance",),
    "monthly_counts": ("meals", "meals"),
    "outreach_by": ("channel",),
    "open_issue_counts": ("unit",),
    "completeness_grid": ("any",),
    "unit_result": ("scholarships", "DAMDOI"),
}


def test_metric_functions_leave_snapshot_unchanged(fixed_store):
    """The dashboard shares one Snapshot between sessions, so no metric may change it."""
    config = load_config()
    data = load_snapshot(fixed_store)
    before = copy.deepcopy(data)
    called = []
    scopes = (metrics.Scope(), metrics.Scope(units=("DAMDOI",), months=("2022-05", "2022-06")))
    for module_name, name, function, parameters in _metric_functions():
        leading = (data, config) if parameters[1:2] == ["config"] else (data,)
        arguments = (*leading, *EXTRA_ARGUMENTS.get(name, ()))
        if "scope" in parameters:
            for scope in scopes:
                function(*arguments, scope=scope)
        else:
            function(*arguments)
        called.append(f"{module_name}.{name}")
    assert "dashboard.metrics.unit_ranking" in called
    assert "dashboard.quality.weekly_trend" in called
    assert_snapshots_equal(data, before)

"""Dashboard metric functions against values computed by hand on the fixed dataset in e2e/dataset.py."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard import metrics as m
from dashboard import quality as q
from dashboard.data import load_snapshot, programme_months
from tests.e2e.dataset import DAMDOI_COMMUNES, build_store
from sheets_schema import load_config

DISTRICTS = ["TPCM", "UMINH", "THOIBINH", "TVT", "CAINUOC", "DAMDOI", "NAMCAN", "PHUTAN", "NGOCHIEN"]


@pytest.fixture(scope="module")
def config():
    return load_config()


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    path = build_store(tmp_path_factory.mktemp("store") / "ketnoi.sqlite3")
    return load_snapshot(path)


def test_snapshot_counts_rows_left_out_for_errors(snapshot):
    assert snapshot.run_id == 2
    assert len(snapshot.tab("teams")) == 22
    assert snapshot.errors_excluded["teams"] == 1
    assert snapshot.errors_excluded["scholarships"] == 1
    assert snapshot.errors_excluded["meals"] == 0


def test_total_counts_valid_rows_only(snapshot):
    result = m.total(snapshot, "scholarships", "amount_vnd")
    assert result.value == 15_500_000
    assert result.rows == 7
    assert result.excluded == 1


def test_total_within_unit_and_months(snapshot):
    scope = m.Scope(units=("DAMDOI",), months=("2022-05",))
    assert m.total(snapshot, "scholarships", scope=scope).value == 2
    assert m.total(snapshot, "scholarships", "amount_vnd", scope=scope).value == 3_500_000


def test_communes_with_team_per_unit(snapshot, config):
    table = m.communes_with_team(snapshot, config).set_index("unit")
    damdoi = table.loc["DAMDOI"]
    assert damdoi["communes"] == 16
    assert damdoi["with_team"] == 12
    assert damdoi["share"] == pytest.approx(75.0)
    # Tân Tiến only has a row with an error, so it still counts as missing.
    assert damdoi["missing"] == ["Xã Tân Tiến", "Xã Thanh Tùng", "Xã Ngọc Chánh", "Xã Nguyễn Huân"]
    assert table.loc["NAMCAN", "share"] == pytest.approx(100.0)
    assert table.loc["TPCM", "with_team"] == 0
    assert "TINH" not in table.index  # the province office has no communes of its own
    assert "CONGAN" not in table.index


def test_communes_with_team_target_percent(snapshot, config):
    total_communes = len(config.all_communes)
    progress = m.communes_with_team_progress(snapshot, config)
    assert progress.result == pytest.approx(100.0 * 20 / total_communes)
    assert progress.target == 100
    assert progress.excluded == 1
    two_units = m.communes_with_team_progress(snapshot, config, m.Scope(units=("DAMDOI", "NAMCAN")))
    assert two_units.result == pytest.approx(100.0 * 20 / 24)
    assert two_units.percent == pytest.approx(100.0 * 20 / 24)
    assert len(DAMDOI_COMMUNES) == 16


def test_pupils_per_tutor_adds_rows_of_one_tutor(snapshot, config):
    table = m.pupils_per_tutor(snapshot, config).set_index("semester")
    hk2 = table.loc["HK2 2021-2022"]
    assert hk2["tutors"] == 2
    assert hk2["pupils"] == 15
    assert hk2["pupils_per_tutor"] == pytest.approx(7.5)
    assert hk2["max_per_tutor"] == 8
    assert hk2["tutors_over_limit"] == 0
    assert table.loc["HK1 2022-2023", "pupils_per_tutor"] == pytest.approx(10.0)


def test_province_school_events_by_level(snapshot, config):
    table = m.province_school_events(snapshot, config).set_index("school_level")
    assert table.loc["Tiểu học", "events"] == 1
    assert table.loc["THCS", "events"] == 2
    assert table.loc["THCS", "pupils"] == 450
    assert table.loc["THPT", "events"] == 0  # its only row has an error
    progress = m.province_school_events_progress(snapshot, config)
    assert progress.result == 2
    assert progress.percent == pytest.approx(200 / 3)
    assert progress.excluded == 1


def test_scholarships_by_circumstance_and_level(snapshot):
    table = m.scholarships_by(snapshot, "circumstance").set_index("circumstance")
    assert table.loc["Mồ côi", "count"] == 4
    assert table.loc["Mồ côi", "value_vnd"] == 12_000_000
    assert table.loc["Hộ nghèo, cận nghèo", "value_vnd"] == 1_500_000
    crosstab = m.scholarships_by_circumstance_and_level(snapshot)
    assert crosstab.loc["Mồ côi", "THCS"] == 2
    assert crosstab.loc["Mồ côi", "Đại học"] == 1


def test_job_seekers_registered_and_placed(snapshot, config):
    table = m.job_seekers_by_unit(snapshot, config).set_index("unit")
    assert table.loc["DAMDOI", "registered"] == 4
    assert table.loc["DAMDOI", "placed"] == 2
    assert table.loc["DAMDOI", "referred"] == 1
    assert table.loc["DAMDOI", "placement_rate"] == pytest.approx(50.0)
    assert table.loc["DAMDOI", "excluded"] == 1
    assert table.loc["NAMCAN", "trained"] == 1
    assert pd.isna(table.loc["TPCM", "placement_rate"])


def test_job_session_grid_unit_by_month(snapshot, config):
    grid = m.job_session_grid(snapshot, config)
    assert list(grid.index) == DISTRICTS
    assert list(grid.columns) == programme_months(config)
    assert len(grid.columns) == 9
    assert grid.loc["DAMDOI"].tolist() == [1, 1, 2, 1, 0, 0, 0, 0, 0]  # the July row has an error
    assert grid.loc["NAMCAN"].tolist() == [1, 0, 0, 0, 0, 0, 0, 0, 1]
    assert int(grid.to_numpy().sum()) == 7


def test_job_session_target_percent(snapshot, config):
    progress = m.job_session_progress(snapshot, config).set_index("unit")
    assert progress.loc["DAMDOI", "months_met"] == 4
    assert progress.loc["DAMDOI", "percent"] == pytest.approx(400 / 9)
    assert progress.loc["NAMCAN", "percent"] == pytest.approx(200 / 9)
    overall = m.job_session_target(snapshot, config)
    assert overall.result == pytest.approx(100.0 * 6 / 81)
    narrowed = m.job_session_target(snapshot, config, m.Scope(units=("DAMDOI",), months=("2022-03", "2022-04")))
    assert narrowed.result == pytest.approx(100.0)


def test_province_job_fair_and_houses(snapshot, config):
    fair = m.province_job_fair(snapshot, config)
    assert fair.result == 1
    assert fair.met
    houses = m.province_houses(snapshot, config)
    assert houses.result == 2
    assert houses.percent == pytest.approx(100.0)


def test_houses_by_status_and_value(snapshot, config):
    table = m.houses_by_status(snapshot, config).set_index(["unit", "status"])
    assert table.loc[("TINH", "Đã bàn giao"), "houses"] == 2
    assert table.loc[("TINH", "Đã bàn giao"), "value_vnd"] == 110_000_000
    assert table.loc[("DAMDOI", "Đang vận động"), "value_vnd"] == 45_000_000
    assert table.loc[("DAMDOI", "Đang xây dựng"), "houses"] == 0  # its only row has an error


def test_meals_and_funds(snapshot, config):
    meals = m.meals_by_unit(snapshot, config).set_index("unit")
    assert meals.loc["DAMDOI", "meals"] == 800
    assert meals.loc["NAMCAN", "meals"] == 200
    funds = m.funds_by_strand(snapshot).set_index("strand")
    assert funds.loc["Kết nối an cư", "total_vnd"] == 50_000_000
    assert funds.loc["Chung", "total_vnd"] == 100_000_000
    assert funds.loc["Kết nối việc làm", "total_vnd"] == 0
    total = m.funds_total(snapshot)
    assert total.value == 160_000_000
    assert total.excluded == 1


def test_unit_targets_completion_percent(snapshot, config):
    table = m.unit_target_progress(snapshot, config, m.Scope(units=("DAMDOI",))).set_index("key")
    assert table.loc["scholarships", "result"] == 4
    assert table.loc["scholarships", "percent"] == pytest.approx(100 * 4 / 60)
    assert table.loc["houses", "percent"] == pytest.approx(100 / 3)
    assert table.loc["job_placements", "percent"] == pytest.approx(5.0)
    assert table.loc["meals", "percent"] == pytest.approx(40.0)
    assert table.loc["funds_vnd", "result"] == 60_000_000
    assert table.loc["funds_vnd", "percent"] == pytest.approx(100 / 3)


def test_unit_ranking_orders_by_mean_completion(snapshot, config):
    ranking = m.unit_ranking(snapshot, config)
    assert ranking.loc[0, "unit"] == "TINH"
    damdoi = ranking.set_index("unit").loc["DAMDOI"]
    expected = (100 * 4 / 60 + 100 / 3 + 5.0 + 40.0 + 100 / 3 + 400 / 9) / 6
    assert damdoi["score"] == pytest.approx(expected)
    assert damdoi["rank"] == 2


def test_open_issue_counts_by_unit_and_code(snapshot):
    by_unit = q.open_issue_counts(snapshot, "unit").set_index("unit")
    assert by_unit.loc["DAMDOI", "errors"] == 7
    assert by_unit.loc["DAMDOI", "warnings"] == 1
    assert by_unit.loc["PHUTAN", "errors"] == 1
    by_code = q.open_issue_counts(snapshot, "code").set_index("code")
    assert by_code.loc["required_missing", "errors"] == 5
    by_tab = q.open_issue_counts(snapshot, "tab").set_index("tab")
    assert by_tab.loc["teams", "errors"] == 1
    assert by_tab.loc["teams", "warnings"] == 1


def test_weekly_trend_and_median_time_to_fix(snapshot):
    trend = q.weekly_trend(snapshot)
    assert trend["week"].tolist() == [pd.Timestamp("2022-09-05")]
    assert trend.loc[0, "opened"] == 13
    assert trend.loc[0, "resolved"] == 2
    assert trend.loc[0, "open_at_end"] == 11
    assert q.median_days_to_fix(snapshot) == pytest.approx(3.0)  # fixed after 2 and 4 days
    by_unit = q.median_days_to_fix(snapshot, by_unit=True).set_index("unit")
    assert by_unit.loc["DAMDOI", "resolved"] == 2


def test_workbook_status_marks_failing_unit(snapshot, config):
    status = q.workbook_status(snapshot, config).set_index("unit")
    assert bool(status.loc["PHUTAN", "failing"])
    assert status.loc["PHUTAN", "last_good_read_at"] == "2022-09-05T01:00:00+00:00"
    assert not bool(status.loc["DAMDOI", "failing"])
    assert bool(status.loc["TPCM", "never_read"])
    assert q.failing_units(snapshot, config)["unit"].tolist() == ["PHUTAN"]


def test_completeness_grid_any_data(snapshot, config):
    grid = q.completeness_grid(snapshot, config, "any")
    assert len(grid.index) == len(config.units)
    # DAMDOI in March: 12 valid teams (the duplicate was founded in April), 1 job seeker on 10/3,
    # 1 on 20/3, 1 session, 1 post.
    assert grid.loc["DAMDOI", "2022-03"] == 16
    assert grid.loc["PHUTAN", "2022-06"] == 1  # kept from the last good read
    assert grid.loc["TPCM"].sum() == 0
    assert q.grid_share(grid) == pytest.approx(100.0 * int((grid >= 1).to_numpy().sum()) / 99)
    sessions = q.completeness_grid(snapshot, config, "job_sessions")
    assert q.grid_share(sessions) == pytest.approx(100.0 * 6 / 81)


def test_completeness_grid_rejects_unknown_kind(snapshot, config):
    with pytest.raises(ValueError, match="unknown completeness kind"):
        q.completeness_grid(snapshot, config, "houses")

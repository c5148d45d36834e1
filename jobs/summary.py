"""The weekly province summary: small pure metric functions over what the store returns.

Rows with an error are left out of every total, as everywhere else in the product.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from sheets_schema.config import Config, Unit
from sync.model import RowRecord
from sync.store import WorkbookState

WEEK = dt.timedelta(days=7)


@dataclass(frozen=True)
class TargetMeasure:
    key: str  # key in programme.yaml `unit_targets`
    label: str
    unit_label: str
    measure: Callable[[list[RowRecord]], float]


def _count(tab: str, **equals: Any) -> Callable[[list[RowRecord]], float]:
    def measure(rows: list[RowRecord]) -> float:
        return float(sum(1 for r in rows if r.tab == tab and all(r.values.get(k) == v for k, v in equals.items())))
    return measure


def _sum(tab: str, *columns: str) -> Callable[[list[RowRecord]], float]:
    def measure(rows: list[RowRecord]) -> float:
        total = 0.0
        for row in rows:
            if row.tab != tab:
                continue
            for column in columns:
                value = row.values.get(column)
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    total += value
        return total
    return measure


TARGET_MEASURES = (
    TargetMeasure("scholarships", "Học bổng", "suất", _count("scholarships")),
    TargetMeasure("houses", "Nhà «Kết nối an cư» đã bàn giao", "căn", _count("houses", status="Đã bàn giao")),
    TargetMeasure("job_placements", "Thanh niên có việc làm", "người",
                  _count("job_seekers", status="Đã có việc làm")),
    TargetMeasure("meals", "Suất ăn", "suất", _sum("meals", "meals")),
    TargetMeasure("funds_vnd", "Nguồn lực vận động", "đồng", _sum("resources", "cash_vnd", "in_kind_vnd")),
)


@dataclass(frozen=True)
class UnitLine:
    unit: Unit
    open_errors: int
    open_warnings: int  # not explained in «Giải trình»
    fixed_last_week: int
    median_time_to_fix: dt.timedelta | None
    last_data_change_at: dt.datetime | None  # local time
    no_new_data_this_month: bool


@dataclass(frozen=True)
class Progress:
    achieved: float
    target: float

    @property
    def rate(self) -> float | None:
        return 100.0 * self.achieved / self.target if self.target else None


@dataclass(frozen=True)
class ProvinceSummary:
    week_start: dt.date
    week_end: dt.date
    created_at: dt.datetime
    lines: tuple[UnitLine, ...]
    measures: tuple[TargetMeasure, ...]  # the measures some unit has a target for
    progress: dict[str, dict[str, Progress]]  # unit code -> measure key -> progress

    @property
    def stale_units(self) -> tuple[UnitLine, ...]:
        return tuple(line for line in self.lines if line.no_new_data_this_month)

    @property
    def total_open_errors(self) -> int:
        return sum(line.open_errors for line in self.lines)

    @property
    def total_fixed_last_week(self) -> int:
        return sum(line.fixed_last_week for line in self.lines)


def _parse(stamp: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(stamp) if stamp else None


def open_counts(issues: Iterable[dict[str, Any]]) -> tuple[int, int]:
    """Count open errors and open warnings not explained in «Giải trình»."""
    errors = warnings = 0
    for issue in issues:
        if issue.get("resolved_run") is not None:
            continue
        if issue["severity"] == "error":
            errors += 1
        elif not issue.get("explained"):
            warnings += 1
    return errors, warnings


def fixed_since(issues: Iterable[dict[str, Any]], since: dt.datetime) -> int:
    """Count issues (errors and warnings) resolved at or after ``since``."""
    count = 0
    for issue in issues:
        resolved = _parse(issue.get("resolved_at"))
        if resolved is not None and resolved >= since:
            count += 1
    return count


def median_time_to_fix(issues: Iterable[dict[str, Any]]) -> dt.timedelta | None:
    """Median of (resolved - first seen) over every resolved issue, or None when none was resolved."""
    durations = []
    for issue in issues:
        resolved = _parse(issue.get("resolved_at"))
        first_seen = _parse(issue.get("first_seen_at"))
        if resolved is not None and first_seen is not None:
            durations.append((resolved - first_seen).total_seconds())
    if not durations:
        return None
    return dt.timedelta(seconds=statistics.median(durations))


def month_start(moment: dt.datetime) -> dt.datetime:
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def target_progress(targets: dict[str, float], rows: list[RowRecord]) -> dict[str, Progress]:
    valid = [row for row in rows if not row.has_error]
    return {m.key: Progress(achieved=m.measure(valid), target=float(targets[m.key]))
            for m in TARGET_MEASURES if m.key in targets}


def build_province_summary(config: Config, issues: list[dict[str, Any]], states: dict[str, WorkbookState],
                           rows: list[RowRecord], now: dt.datetime) -> ProvinceSummary:
    """Summarise every unit for the province office. ``issues`` includes resolved ones; ``now`` is local time."""
    week_ago = now - WEEK
    this_month = month_start(now)
    lines = []
    progress = {}
    for unit in config.units:
        unit_issues = [i for i in issues if i["unit"] == unit.code]
        errors, warnings = open_counts(unit_issues)
        state = states.get(unit.code)
        changed = _parse(state.last_data_change_at) if state else None
        changed_local = changed.astimezone(now.tzinfo) if changed else None
        lines.append(UnitLine(
            unit=unit, open_errors=errors, open_warnings=warnings,
            fixed_last_week=fixed_since(unit_issues, week_ago),
            median_time_to_fix=median_time_to_fix(unit_issues),
            last_data_change_at=changed_local,
            no_new_data_this_month=changed_local is None or changed_local < this_month,
        ))
        targets = config.unit_targets.get(unit.code)
        if targets:
            progress[unit.code] = target_progress(targets, [r for r in rows if r.unit == unit.code])
    used = {key for unit_progress in progress.values() for key in unit_progress}
    return ProvinceSummary(
        week_start=week_ago.date(), week_end=now.date(), created_at=now, lines=tuple(lines),
        measures=tuple(m for m in TARGET_MEASURES if m.key in used), progress=progress)

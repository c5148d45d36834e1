"""Programme metrics: pure functions over a Snapshot and the configuration.

Every total counts valid rows only (rows without an error); each result reports how
many rows were left out for errors, so leaders know how far to trust it. Nothing here
imports Streamlit, so the functions are tested on their own.
"""

from __future__ import annotations

import re
import threading
import weakref
from dataclasses import dataclass
from typing import Iterable

import numpy as np
import pandas as pd

from dashboard.data import REFERENCE_DATE_COLUMNS, Snapshot, programme_months
from sheets_schema import Config, Target
from sync.text import exact_key

PLACED = "Đã có việc làm"
REFERRED = "Đã giới thiệu"
TRAINED = "Đã học nghề"
HANDED_OVER = "Đã bàn giao"
HOUSE_STATUSES = ("Đang vận động", "Đang xây dựng", "Đã bàn giao")
FUND_STRANDS = ("Kết nối đến trường", "Kết nối việc làm", "Kết nối an cư", "Chung")
UNIT_TARGET_KEYS = ("scholarships", "houses", "job_placements", "meals", "funds_vnd")
UNIT_TARGET_LABELS = {
    "scholarships": ("Học bổng trao tặng", "suất"),
    "houses": ('Nhà "Kết nối an cư" đã bàn giao', "căn"),
    "job_placements": ("Thanh niên có việc làm", "người"),
    "meals": ("Suất ăn hỗ trợ", "suất"),
    "funds_vnd": ("Nguồn lực vận động", "đồng"),
}


@dataclass(frozen=True)
class Scope:
    """Filters applied before computing: unit codes (None: all) and ``"YYYY-MM"`` months (None: all)."""

    units: tuple[str, ...] | None = None
    months: tuple[str, ...] | None = None


ALL = Scope()


@dataclass(frozen=True)
class Total:
    """A sum or count over valid rows, with the number of rows counted and left out for errors."""

    value: float
    rows: int
    excluded: int


@dataclass(frozen=True)
class TargetProgress:
    """One indicator against its target (chỉ tiêu)."""

    key: str
    label: str
    target: float
    result: float
    unit_label: str
    excluded: int = 0

    @property
    def percent(self) -> float | None:
        """Completion in percent (not capped at 100), or None when the target is 0."""
        if not self.target:
            return None
        return 100.0 * self.result / self.target

    @property
    def met(self) -> bool:
        return self.result >= self.target


# ------------------------------------------------------------------ helpers


class TabIndex:
    """Row positions derived once from one tab frame, so scopes select rows without scanning the frame.

    The frame is never modified. Positions are 0-based row numbers for ``iloc``/``take``.
    The index references the frame only weakly, so it never keeps an evicted snapshot alive.
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        self._frame = weakref.ref(frame)
        self.unit_rows: dict[str, np.ndarray] = {
            str(unit): np.asarray(rows, dtype=np.intp)
            for unit, rows in frame.groupby("unit", sort=False).indices.items()}
        self.has_error = frame["has_error"].to_numpy(dtype=bool)
        reference = frame["ref_date"]
        # year * 100 + month of the reference date, -1 without one: "2022-05" is 202205.
        self.month_keys = np.where(reference.notna(), reference.dt.year * 100 + reference.dt.month, -1).astype(np.int64)
        self._equal: dict[tuple[str, object], np.ndarray] = {}
        self._derived: dict[str, pd.Series] = {}

    def equal(self, column: str, value: object) -> np.ndarray:
        """Return a mask of rows whose ``column`` equals ``value`` (missing values never match)."""
        key = (column, value)
        mask = self._equal.get(key)
        if mask is None:
            mask = (self._frame()[column] == value).fillna(False).to_numpy(dtype=bool)
            self._equal[key] = mask
        return mask

    def derived(self, name: str, build) -> pd.Series:
        """Return the column ``build(frame)`` computed once for the whole frame under ``name``."""
        series = self._derived.get(name)
        if series is None:
            series = build(self._frame())
            self._derived[name] = series
        return series

    def positions(self, tab: str, units: Iterable[str] | None, months: Iterable[str] | None) -> np.ndarray | None:
        """Return ascending positions of rows in ``units`` and ``months`` (None: every row).

        Months follow ``dashboard.data.filter_months``: a tab without a reference date
        keeps every row, and a row without a date is left out while months are set.
        """
        positions = None
        if units is not None:
            parts = [self.unit_rows[unit] for unit in dict.fromkeys(units) if unit in self.unit_rows]
            if not parts:
                positions = np.empty(0, dtype=np.intp)
            elif len(parts) == 1:
                positions = parts[0]
            else:
                positions = np.sort(np.concatenate(parts))
        if months and REFERENCE_DATE_COLUMNS.get(tab):
            inside = np.isin(self.month_keys, _month_keys(months))
            positions = np.flatnonzero(inside) if positions is None else positions[inside[positions]]
        return positions


_MONTH = re.compile(r"(\d{4})-(\d{2})")
_indexes: dict[int, tuple[weakref.ref, TabIndex]] = {}
_indexes_lock = threading.Lock()


def _month_keys(months: Iterable[str]) -> np.ndarray:
    """Turn ``"YYYY-MM"`` keys into the integers of ``TabIndex.month_keys``. Other strings match no row."""
    keys = [int(match[1]) * 100 + int(match[2]) for month in months if (match := _MONTH.fullmatch(str(month)))]
    return np.asarray(keys, dtype=np.int64)


def tab_index(frame: pd.DataFrame) -> TabIndex:
    """Return the row index of ``frame`` (a snapshot tab), built on first use and kept while the frame lives.

    The cache is keyed on the frame object, not on the sync run id, because tests and
    tools load several snapshots with the same run id. Snapshots are shared between
    Streamlit sessions (``st.cache_resource``), so the index is built once per run and
    dropped when Streamlit evicts the snapshot.
    """
    key = id(frame)
    with _indexes_lock:
        entry = _indexes.get(key)
        if entry is not None and entry[0]() is frame:
            return entry[1]
    index = TabIndex(frame)
    with _indexes_lock:
        _indexes[key] = (weakref.ref(frame, lambda _ref, key=key: _indexes.pop(key, None)), index)
    return index


def _scope_positions(snapshot: Snapshot, tab: str, scope: Scope = ALL) -> np.ndarray | None:
    """Return ascending row positions of ``tab`` within ``scope`` (None: every row)."""
    return tab_index(snapshot.tab(tab)).positions(tab, scope.units, scope.months)


def scoped(snapshot: Snapshot, tab: str, scope: Scope = ALL, columns: Iterable[str] | None = None) -> pd.DataFrame:
    """Return one tab's rows within ``scope``, rows with errors included.

    With ``columns``, only those columns and ``unit``, ``has_error`` and ``ref_date`` are
    kept. Rows are taken by cached positions, so a scope costs no scan of the tab. Without
    a unit or month filter the snapshot's own frame is returned, which callers must not modify.
    """
    frame = snapshot.tab(tab)
    positions = _scope_positions(snapshot, tab, scope)
    if columns is not None:
        frame = frame[list(dict.fromkeys(["unit", "has_error", "ref_date", *columns]))]
    return frame if positions is None else frame.take(positions)


def valid(frame: pd.DataFrame) -> pd.DataFrame:
    """Keep rows that have no error (warnings are counted, as the contract says)."""
    return frame[~frame["has_error"]]


def excluded(frame: pd.DataFrame) -> int:
    return int(frame["has_error"].sum())


def total(snapshot: Snapshot, tab: str, column: str | None = None, scope: Scope = ALL,
          where: dict[str, object] | None = None) -> Total:
    """Count valid rows of ``tab`` (or sum ``column`` over them), optionally where columns equal values."""
    frame = snapshot.tab(tab)
    index = tab_index(frame)
    positions = index.positions(tab, scope.units, scope.months)
    if positions is None:
        positions = np.arange(len(frame), dtype=np.intp)
    for key, value in (where or {}).items():
        positions = positions[index.equal(key, value)[positions]]
    errors = index.has_error[positions]
    good = positions[~errors]
    value = float(frame[column].take(good).fillna(0).sum()) if column else float(len(good))
    return Total(value=value, rows=len(good), excluded=int(errors.sum()))


def find_target(config: Config, key: str) -> Target:
    for target in config.targets:
        if target.key == key:
            return target
    raise KeyError(f"target {key} is not configured in programme.yaml")


def unit_names(config: Config) -> dict[str, str]:
    return {unit.code: unit.name for unit in config.units}


def _unit_order(config: Config, units: Iterable[str] | None = None) -> list[str]:
    wanted = set(units) if units is not None else None
    return [u.code for u in config.units if wanted is None or u.code in wanted]


def _scope_units(config: Config, scope: Scope) -> list[str]:
    return _unit_order(config, scope.units)


# ------------------------------------------------------------------ Kết nối đến trường


def communes_with_team(snapshot: Snapshot, config: Config, scope: Scope = ALL) -> pd.DataFrame:
    """Per unit with communes: communes, communes with a valid team row, share in %, the rest by name.

    Months do not apply: a team founded before the chosen months still counts.
    """
    teams = valid(scoped(snapshot, "teams", Scope(units=scope.units), columns=["commune"]))
    rows = []
    for code in _scope_units(config, scope):
        unit = config.unit(code)
        if not unit.communes:
            continue
        covered = {exact_key(str(name)) for name in teams.loc[teams["unit"] == code, "commune"].dropna()}
        missing = [c.name for c in unit.communes if exact_key(c.name) not in covered]
        count = len(unit.communes)
        rows.append({"unit": code, "unit_name": unit.name, "communes": count,
                     "with_team": count - len(missing), "share": 100.0 * (count - len(missing)) / count,
                     "missing": missing})
    return pd.DataFrame(rows, columns=["unit", "unit_name", "communes", "with_team", "share", "missing"])


def communes_with_team_progress(snapshot: Snapshot, config: Config, scope: Scope = ALL) -> TargetProgress:
    """Share of the province's communes (in scope) with a team, against the configured share."""
    target = find_target(config, "communes_with_team")
    table = communes_with_team(snapshot, config, scope)
    communes = int(table["communes"].sum())
    share = 100.0 * table["with_team"].sum() / communes if communes else 0.0
    frame = scoped(snapshot, "teams", Scope(units=scope.units))
    return TargetProgress(target.key, target.label, target.value, share, target.unit_label, excluded(frame))


def pupils_per_tutor(snapshot: Snapshot, config: Config, scope: Scope = ALL) -> pd.DataFrame:
    """Per unit and semester: tutors, pupils, pupils per tutor, the largest load and tutors above the maximum.

    A tutor is one name and phone within a semester, as in the contract's rule on
    tutor loads; their rows are added up.
    """
    limit = find_target(config, "max_students_per_tutor").value
    frame = valid(scoped(snapshot, "tutoring", scope, columns=["semester", "students"]))
    columns = ["unit", "semester", "tutors", "pupils", "pupils_per_tutor", "max_per_tutor", "tutors_over_limit"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    # The tutor key of every row is computed once per snapshot, and assign aligns it on the row labels.
    tutors = tab_index(snapshot.tab("tutoring")).derived("tutor", _tutor_keys)
    frame = frame.assign(tutor=tutors)
    per_tutor = frame.groupby(["unit", "semester", "tutor"], as_index=False)["students"].sum()
    per_tutor = per_tutor.assign(over_limit=per_tutor["students"] > limit)
    grouped = per_tutor.groupby(["unit", "semester"])
    result = grouped.agg(tutors=("tutor", "count"), pupils=("students", "sum"),
                         max_per_tutor=("students", "max"), tutors_over_limit=("over_limit", "sum")).reset_index()
    result["tutors_over_limit"] = result["tutors_over_limit"].astype(int)
    result["pupils_per_tutor"] = result["pupils"] / result["tutors"]
    return result[columns]


def _tutor_keys(frame: pd.DataFrame) -> pd.Series:
    """Return each tutoring row's tutor: the name's exact key and the phone, as in the contract's load rule."""
    return frame["tutor_name"].map(lambda v: exact_key(str(v))) + "|" + frame["phone"].fillna("").astype(str)


def province_school_events(snapshot: Snapshot, config: Config, scope: Scope = ALL) -> pd.DataFrame:
    """Per configured school level: province-level programmes held (valid rows of the province unit) and pupils."""
    target = find_target(config, "province_school_events")
    levels = list(target.extra.get("levels", ["Tiểu học", "THCS", "THPT"]))
    frame = valid(scoped(snapshot, "school_events", Scope(units=(config.province_unit,), months=scope.months)))
    rows = []
    for level in levels:
        at_level = frame[frame["school_level"] == level]
        rows.append({"school_level": level, "events": len(at_level),
                     "pupils": int(at_level["pupils"].fillna(0).sum()), "met": len(at_level) >= 1})
    return pd.DataFrame(rows, columns=["school_level", "events", "pupils", "met"])


def province_school_events_progress(snapshot: Snapshot, config: Config, scope: Scope = ALL) -> TargetProgress:
    """Levels with at least one province programme, against the target of 3 (one per level)."""
    target = find_target(config, "province_school_events")
    table = province_school_events(snapshot, config, scope)
    frame = scoped(snapshot, "school_events", Scope(units=(config.province_unit,), months=scope.months))
    return TargetProgress(target.key, target.label, target.value, float(table["met"].sum()),
                          target.unit_label, excluded(frame))


def school_events_by_unit(snapshot: Snapshot, config: Config, scope: Scope = ALL) -> pd.DataFrame:
    """Programmes at schools per unit and level, with pupils and student volunteers."""
    frame = valid(scoped(snapshot, "school_events", scope))
    grouped = frame.groupby(["unit", "school_level"], as_index=False).agg(
        events=("row", "count"), pupils=("pupils", "sum"), volunteers=("student_volunteers", "sum"),
        cost_vnd=("cost_vnd", "sum"))
    return grouped


def scholarships_by(snapshot: Snapshot, column: str, scope: Scope = ALL) -> pd.DataFrame:
    """Scholarships (count and value) grouped by ``column``: circumstance, school_level, unit or award_form."""
    frame = valid(scoped(snapshot, "scholarships", scope))
    grouped = frame.groupby(column, as_index=False).agg(count=("row", "count"), value_vnd=("amount_vnd", "sum"))
    return grouped.sort_values("count", ascending=False, kind="stable").reset_index(drop=True)


def scholarships_by_circumstance_and_level(snapshot: Snapshot, scope: Scope = ALL) -> pd.DataFrame:
    """Scholarship counts in a circumstance × school level table (zeros filled)."""
    frame = valid(scoped(snapshot, "scholarships", scope))
    if frame.empty:
        return pd.DataFrame()
    return pd.crosstab(frame["circumstance"], frame["school_level"])


# ------------------------------------------------------------------ Kết nối việc làm


def job_seekers_by_unit(snapshot: Snapshot, config: Config, scope: Scope = ALL) -> pd.DataFrame:
    """Per unit: job seekers registered, referred, placed, in vocational training, placement rate in %."""
    index = tab_index(snapshot.tab("job_seekers"))
    rows = []
    for code in _scope_units(config, scope):
        positions = index.positions("job_seekers", (code,), scope.months)
        errors = index.has_error[positions]
        good = positions[~errors]
        registered = len(good)
        placed = int(index.equal("status", PLACED)[good].sum())
        rows.append({"unit": code, "registered": registered,
                     "referred": int(index.equal("status", REFERRED)[good].sum()),
                     "placed": placed, "trained": int(index.equal("status", TRAINED)[good].sum()),
                     "placement_rate": 100.0 * placed / registered if registered else None,
                     "excluded": int(errors.sum())})
    return pd.DataFrame(rows, columns=["unit", "registered", "referred", "placed", "trained",
                                       "placement_rate", "excluded"])


def monthly_counts(snapshot: Snapshot, config: Config, tab: str, value_column: str | None = None,
                   scope: Scope = ALL) -> pd.DataFrame:
    """Valid rows (or a column's sum) per unit and month of the reference date, programme months only."""
    source = snapshot.tab(tab)
    index = tab_index(source)
    positions = index.positions(tab, scope.units, scope.months)
    if positions is None:
        positions = np.arange(len(source), dtype=np.intp)
    positions = positions[~index.has_error[positions] & (index.month_keys[positions] >= 0)]
    month = index.derived("month", lambda frame: frame["ref_date"].dt.strftime("%Y-%m")).take(positions)
    frame = source[["unit", *([value_column] if value_column else [])]].take(positions).assign(month=month)
    frame = frame[frame["month"].isin(programme_months(config))]
    if value_column:
        grouped = frame.groupby(["unit", "month"], as_index=False)[value_column].sum()
        grouped = grouped.rename(columns={value_column: "value"})
    else:
        grouped = frame.groupby(["unit", "month"], as_index=False).size().rename(columns={"size": "value"})
    return grouped


def job_session_grid(snapshot: Snapshot, config: Config, scope: Scope = ALL) -> pd.DataFrame:
    """Unit × month grid of regular job sessions (valid rows of the configured kind), programme months.

    Rows are the units the target applies to: the ``applies_to`` unit kinds of the
    target in programme.yaml, by default district units (each has communes and holds
    monthly sessions). Months are all programme months unless ``scope.months`` narrows them.
    """
    target = find_target(config, "monthly_job_sessions")
    kinds = tuple(target.extra.get("applies_to", ("district",)))
    kind_of_session = target.extra.get("session_kind", "Phiên định kỳ")
    units = [code for code in _scope_units(config, scope) if config.unit(code).kind in kinds]
    months = [m for m in programme_months(config) if not scope.months or m in scope.months]
    frame = valid(scoped(snapshot, "job_sessions", Scope(units=tuple(units)), columns=["kind", "held_on"]))
    frame = frame[(frame["kind"] == kind_of_session) & frame["held_on"].notna()]
    counts = frame.assign(month=frame["held_on"].dt.strftime("%Y-%m")).groupby(["unit", "month"]).size()
    return unit_month_grid(units, months, counts.items())


def unit_month_grid(units: list[str], months: list[str], counts: Iterable[tuple[tuple[str, str], int]]) -> pd.DataFrame:
    """Build a unit × month frame of integers from ``((unit, month), count)`` pairs, adding repeats.

    Pairs outside ``units`` or ``months`` are ignored and missing cells are 0.
    """
    rows = {unit: i for i, unit in enumerate(units)}
    columns = {month: j for j, month in enumerate(months)}
    cells = np.zeros((len(units), len(months)), dtype=int)
    for (unit, month), count in counts:
        if unit in rows and month in columns:
            cells[rows[unit], columns[month]] += int(count)
    return pd.DataFrame(cells, index=pd.Index(units, name="unit"), columns=pd.Index(months, name="month"))


def job_session_progress(snapshot: Snapshot, config: Config, scope: Scope = ALL) -> pd.DataFrame:
    """Per unit: months meeting the monthly session target, out of the months in scope, in %."""
    target = find_target(config, "monthly_job_sessions")
    grid = job_session_grid(snapshot, config, scope)
    months = len(grid.columns)
    met = (grid >= target.value).sum(axis=1)
    result = pd.DataFrame({"unit": grid.index, "sessions": grid.sum(axis=1).values, "months_met": met.values,
                           "months": months})
    result["percent"] = 100.0 * result["months_met"] / months if months else None
    return result.reset_index(drop=True)


def job_session_target(snapshot: Snapshot, config: Config, scope: Scope = ALL) -> TargetProgress:
    """Unit-months with at least the target number of sessions, over all unit-months in scope."""
    target = find_target(config, "monthly_job_sessions")
    grid = job_session_grid(snapshot, config, scope)
    frame = scoped(snapshot, "job_sessions", Scope(units=tuple(grid.index)))
    cells = grid.size
    met = int((grid >= target.value).to_numpy().sum())
    return TargetProgress(target.key, "Tỷ lệ đơn vị – tháng có phiên giao dịch việc làm định kỳ", 100.0,
                          100.0 * met / cells if cells else 0.0, "%", excluded(frame))


def province_job_fair(snapshot: Snapshot, config: Config, scope: Scope = ALL) -> TargetProgress:
    """Province job fairs (valid job sessions of the configured kind held by the province unit)."""
    target = find_target(config, "province_job_fair")
    kind = target.extra.get("session_kind", "Ngày hội việc làm cấp tỉnh")
    result = total(snapshot, "job_sessions", scope=Scope(units=(config.province_unit,), months=scope.months),
                   where={"kind": kind})
    return TargetProgress(target.key, target.label, target.value, result.value, target.unit_label, result.excluded)


def job_sessions_by_unit(snapshot: Snapshot, config: Config, scope: Scope = ALL) -> pd.DataFrame:
    """Per unit and kind of session: sessions, employers, participants, contracts signed."""
    frame = valid(scoped(snapshot, "job_sessions", scope))
    return frame.groupby(["unit", "kind"], as_index=False).agg(
        sessions=("row", "count"), employers=("employers", "sum"), participants=("participants", "sum"),
        contracts=("contracts", "sum"))


# ------------------------------------------------------------------ Kết nối an cư


def houses_by_status(snapshot: Snapshot, config: Config, scope: Scope = ALL) -> pd.DataFrame:
    """Per unit and status: houses and their value in đồng (all statuses listed, zeros included)."""
    values = snapshot.tab("houses")["value_vnd"]
    index = tab_index(snapshot.tab("houses"))
    rows = []
    for code in _scope_units(config, scope):
        positions = index.positions("houses", (code,), scope.months)
        good = positions[~index.has_error[positions]]
        for status in HOUSE_STATUSES:
            at = good[index.equal("status", status)[good]]
            rows.append({"unit": code, "status": status, "houses": len(at),
                         "value_vnd": float(values.take(at).fillna(0).sum())})
    return pd.DataFrame(rows, columns=["unit", "status", "houses", "value_vnd"])


def province_houses(snapshot: Snapshot, config: Config, scope: Scope = ALL) -> TargetProgress:
    """Houses handed over by the province unit against its target (at least 2)."""
    target = find_target(config, "province_houses")
    result = total(snapshot, "houses", scope=Scope(units=(config.province_unit,), months=scope.months),
                   where={"status": HANDED_OVER})
    return TargetProgress(target.key, target.label, target.value, result.value, target.unit_label, result.excluded)


def meals_by_unit(snapshot: Snapshot, config: Config, scope: Scope = ALL) -> pd.DataFrame:
    """Per unit: kitchens, meals, workers supported and value in đồng."""
    frame = valid(scoped(snapshot, "meals", scope))
    return frame.groupby("unit", as_index=False).agg(
        kitchens=("kitchen", "nunique"), meals=("meals", "sum"), beneficiaries=("beneficiaries", "sum"),
        value_vnd=("value_vnd", "sum"))


# ------------------------------------------------------------------ Tuyên truyền, nguồn lực


def outreach_by(snapshot: Snapshot, column: str, scope: Scope = ALL) -> pd.DataFrame:
    """Posts and reach grouped by ``column`` (channel, format or unit)."""
    frame = valid(scoped(snapshot, "outreach", scope))
    return frame.groupby(column, as_index=False).agg(posts=("row", "count"), reach=("reach", "sum"))


def funds_by_strand(snapshot: Snapshot, scope: Scope = ALL) -> pd.DataFrame:
    """Resources raised per strand: cash, in kind and total in đồng (every strand listed)."""
    frame = valid(scoped(snapshot, "resources", scope))
    rows = []
    for strand in FUND_STRANDS:
        at = frame[frame["strand"] == strand]
        cash = float(at["cash_vnd"].fillna(0).sum())
        in_kind = float(at["in_kind_vnd"].fillna(0).sum())
        rows.append({"strand": strand, "gifts": len(at), "cash_vnd": cash, "in_kind_vnd": in_kind,
                     "total_vnd": cash + in_kind})
    return pd.DataFrame(rows, columns=["strand", "gifts", "cash_vnd", "in_kind_vnd", "total_vnd"])


def funds_total(snapshot: Snapshot, scope: Scope = ALL) -> Total:
    """Cash plus in-kind value of every valid resources row in scope."""
    frame = scoped(snapshot, "resources", scope, columns=["cash_vnd", "in_kind_vnd"])
    good = valid(frame)
    value = float(good["cash_vnd"].fillna(0).sum() + good["in_kind_vnd"].fillna(0).sum())
    return Total(value=value, rows=len(good), excluded=excluded(frame))


# ------------------------------------------------------------------ units' own targets


def unit_result(snapshot: Snapshot, key: str, unit: str, months: tuple[str, ...] | None = None) -> Total:
    """The achieved value of a unit's own target ``key`` (see UNIT_TARGET_LABELS for what counts)."""
    scope = Scope(units=(unit,), months=months)
    if key == "scholarships":
        return total(snapshot, "scholarships", scope=scope)
    if key == "houses":
        return total(snapshot, "houses", scope=scope, where={"status": HANDED_OVER})
    if key == "job_placements":
        return total(snapshot, "job_seekers", scope=scope, where={"status": PLACED})
    if key == "meals":
        return total(snapshot, "meals", "meals", scope=scope)
    if key == "funds_vnd":
        return funds_total(snapshot, scope)
    raise KeyError(f"unknown unit target {key}; expected one of {', '.join(UNIT_TARGET_KEYS)}")


def unit_target_progress(snapshot: Snapshot, config: Config, scope: Scope = ALL) -> pd.DataFrame:
    """Per unit and configured own target: target, result, completion in % (targets of 0 are skipped)."""
    rows = []
    for code in _scope_units(config, scope):
        for key in UNIT_TARGET_KEYS:
            target = config.unit_targets.get(code, {}).get(key)
            if not target:
                continue
            result = unit_result(snapshot, key, code, scope.months)
            label, unit_label = UNIT_TARGET_LABELS[key]
            rows.append({"unit": code, "key": key, "label": label, "unit_label": unit_label,
                         "target": float(target), "result": result.value,
                         "percent": 100.0 * result.value / float(target), "excluded": result.excluded})
    return pd.DataFrame(rows, columns=["unit", "key", "label", "unit_label", "target", "result", "percent",
                                       "excluded"])


def unit_ranking(snapshot: Snapshot, config: Config, scope: Scope = ALL) -> pd.DataFrame:
    """Units ranked by the mean completion of their own targets (each capped at 100 %).

    The monthly job-session share joins the mean for units it applies to, so a unit
    cannot rank first on money alone.
    """
    progress = unit_target_progress(snapshot, config, scope)
    sessions = job_session_progress(snapshot, config, scope).set_index("unit")["percent"]
    percents: dict[str, list[float]] = {}
    for code, percent in zip(progress["unit"], progress["percent"]):
        percents.setdefault(code, []).append(percent)
    rows = []
    for code in _scope_units(config, scope):
        shares = [min(p, 100.0) for p in percents.get(code, [])]
        if code in sessions.index and pd.notna(sessions[code]):
            shares.append(min(float(sessions[code]), 100.0))
        if shares:
            rows.append({"unit": code, "score": sum(shares) / len(shares), "indicators": len(shares)})
    ranking = pd.DataFrame(rows, columns=["unit", "score", "indicators"])
    ranking = ranking.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)
    ranking.insert(0, "rank", range(1, len(ranking) + 1))
    return ranking


def strand_totals(snapshot: Snapshot, scope: Scope = ALL) -> dict[str, Total]:
    """Headline totals for the overview cards, each over valid rows in scope."""
    return {
        "teams": total(snapshot, "teams", scope=Scope(units=scope.units)),
        "scholarships": total(snapshot, "scholarships", scope=scope),
        "scholarships_vnd": total(snapshot, "scholarships", "amount_vnd", scope=scope),
        "school_event_pupils": total(snapshot, "school_events", "pupils", scope=scope),
        "job_seekers": total(snapshot, "job_seekers", scope=scope),
        "placed": total(snapshot, "job_seekers", scope=scope, where={"status": PLACED}),
        "job_sessions": total(snapshot, "job_sessions", scope=scope),
        "job_openings": total(snapshot, "job_openings", "openings", scope=scope),
        "harvest_households": total(snapshot, "harvest_help", "households", scope=scope),
        "houses_handed_over": total(snapshot, "houses", scope=scope, where={"status": HANDED_OVER}),
        "houses_vnd": total(snapshot, "houses", "value_vnd", scope=scope),
        "meals": total(snapshot, "meals", "meals", scope=scope),
        "posts": total(snapshot, "outreach", scope=scope),
        "reach": total(snapshot, "outreach", "reach", scope=scope),
        "funds_vnd": funds_total(snapshot, scope),
    }

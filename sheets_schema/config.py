"""Programme configuration: period, deadlines, units, communes, targets and paths.

Everything here comes from files in the configuration folder (``config/`` in the
repository, or the folder named by ``KETNOI_CONFIG``), so another year's programme or
another administrative layout needs no code change.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_DIR = REPO_ROOT / "config"


class ConfigError(ValueError):
    """The configuration files are missing or inconsistent."""


@dataclass(frozen=True)
class Commune:
    code: str
    name: str  # canonical name as configured, e.g. "Xã Tân Thuận"
    kind: str  # Xã, Phường, Thị trấn
    unit_code: str


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    kind: str  # province, district, equivalent
    area_name: str
    contact_name: str
    contact_emails: tuple[str, ...]
    backend: str  # "xlsx" or "google"
    location: str  # file path for xlsx, spreadsheet id for google
    communes: tuple[Commune, ...] = ()


@dataclass(frozen=True)
class Deadline:
    key: str
    date: dt.date
    label: str


@dataclass(frozen=True)
class Target:
    key: str
    strand: str
    label: str
    kind: str
    value: float
    unit_label: str
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Config:
    name: str
    short_name: str
    owner: str
    province_name: str
    province_unit: str
    period_start: dt.date
    period_end: dt.date
    reference_year: int
    timezone: str
    deadlines: tuple[Deadline, ...]
    strands: dict[str, str]
    targets: tuple[Target, ...]
    unit_targets: dict[str, dict[str, float]]
    units: tuple[Unit, ...]
    workbooks_dir: Path
    store_path: Path
    outbox_dir: Path
    schedule: dict[str, Any]
    mail: dict[str, Any]
    google: dict[str, Any]
    auth: dict[str, Any]
    config_dir: Path

    def unit(self, code: str) -> Unit:
        for unit in self.units:
            if unit.code == code:
                return unit
        raise KeyError(code)

    def has_unit(self, code: str) -> bool:
        return any(u.code == code for u in self.units)

    @property
    def all_communes(self) -> tuple[Commune, ...]:
        return tuple(c for u in self.units for c in u.communes)

    def workbook_path(self, unit: Unit) -> Path:
        if unit.location:
            path = Path(unit.location)
            return path if path.is_absolute() else self.workbooks_dir / path
        return self.workbooks_dir / f"{unit.code}.xlsx"


def _as_date(value: Any, what: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise ConfigError(f"{what}: expected an ISO date, got {value!r}") from exc


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        raise ConfigError(f"configuration file not found: {path}")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return [{k.strip(): (v or "").strip() for k, v in row.items()} for row in csv.DictReader(fh)]


def _load_communes(path: Path, province_unit: str) -> dict[str, list[Commune]]:
    by_unit: dict[str, list[Commune]] = {}
    for row in _read_csv(path):
        unit_code = row.get("unit_code") or province_unit
        code = row.get("gso_commune_code") or row.get("commune_code") or ""
        kind = (row.get("commune_type") or "").capitalize()
        by_unit.setdefault(unit_code, []).append(
            Commune(code=code, name=row["commune_name"], kind=kind, unit_code=unit_code))
    return by_unit


def _resolve(base: Path, value: str) -> Path:
    path = Path(value)
    return path if path.is_absolute() else base / path


def load_config(config_dir: Path | str | None = None) -> Config:
    """Load the configuration folder (``KETNOI_CONFIG`` or ``config/`` by default).

    Relative paths in programme.yaml are resolved against ``KETNOI_DATA_DIR`` when it
    is set, else against the repository root.
    """
    folder = Path(config_dir or os.environ.get("KETNOI_CONFIG") or DEFAULT_CONFIG_DIR)
    programme_file = folder / "programme.yaml"
    if not programme_file.exists():
        raise ConfigError(f"configuration file not found: {programme_file}")
    with open(programme_file, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    prog = raw["programme"]
    province_unit = prog["province_unit"]

    communes = _load_communes(folder / "communes.csv", province_unit)
    units = []
    for row in _read_csv(folder / "units.csv"):
        code = row["unit_code"]
        emails = tuple(e.strip() for e in row.get("contact_email", "").replace(",", ";").split(";") if e.strip())
        units.append(Unit(
            code=code, name=row["unit_name"], kind=row.get("kind", "district"),
            area_name=row.get("area_name", ""), contact_name=row.get("contact_name", ""),
            contact_emails=emails, backend=(row.get("backend") or "xlsx").lower(),
            location=row.get("location", ""), communes=tuple(communes.get(code, ())),
        ))
    codes = [u.code for u in units]
    if len(set(codes)) != len(codes):
        raise ConfigError("units.csv: a unit code appears twice")
    if province_unit not in codes:
        raise ConfigError(f"programme.yaml: province_unit {province_unit} is not in units.csv")
    unknown = set(communes) - set(codes)
    if unknown:
        raise ConfigError(f"communes.csv: unknown unit codes {sorted(unknown)}")

    targets = tuple(
        Target(key=t["key"], strand=t["strand"], label=t["label"], kind=t["kind"],
               value=float(t["value"]), unit_label=t.get("unit_label", ""),
               extra={k: v for k, v in t.items()
                      if k not in {"key", "strand", "label", "kind", "value", "unit_label"}})
        for t in raw.get("targets", [])
    )
    deadlines = tuple(
        Deadline(key=d["key"], date=_as_date(d["date"], f"deadline {d['key']}"), label=d["label"])
        for d in prog.get("deadlines", [])
    )
    data_base = Path(os.environ.get("KETNOI_DATA_DIR") or REPO_ROOT)
    paths = raw.get("paths", {})
    start = _as_date(prog["period_start"], "period_start")
    end = _as_date(prog["period_end"], "period_end")
    if end < start:
        raise ConfigError("programme.yaml: period_end is before period_start")
    return Config(
        name=prog["name"], short_name=prog.get("short_name", prog["name"]), owner=prog.get("owner", ""),
        province_name=prog.get("province_name", ""), province_unit=province_unit,
        period_start=start, period_end=end,
        reference_year=int(prog.get("reference_year", start.year)),
        timezone=prog.get("timezone", "Asia/Ho_Chi_Minh"),
        deadlines=deadlines, strands=dict(raw.get("strands", {})), targets=targets,
        unit_targets={k: dict(v or {}) for k, v in (raw.get("unit_targets") or {}).items()},
        units=tuple(units),
        workbooks_dir=_resolve(data_base, paths.get("workbooks_dir", "var/workbooks")),
        store_path=_resolve(data_base, paths.get("store", "var/ketnoi.sqlite3")),
        outbox_dir=_resolve(data_base, paths.get("outbox", "var/outbox")),
        schedule=dict(raw.get("schedule", {})), mail=dict(raw.get("mail", {})),
        google=dict(raw.get("google", {})), auth=dict(raw.get("auth", {})),
        config_dir=folder,
    )

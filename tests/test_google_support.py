"""Helpers for the Google backend tests: seed the stand-in from .xlsx files and build
backends that talk to it; plus checks of the helpers themselves."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from sheets_schema.config import Config
from sync.backends.google import GoogleSheetsBackend
from tests.sheets_standin.adapter import make_gspread_client
from tests.sheets_standin.seeding import SeedCell
from tests.sheets_standin.server import DEFAULT_OWNER_EMAIL, StandinServer

# A small backoff keeps fault tests quick. The client timeout stays well above the
# stand-in's time for one large batch on a busy machine; a simulated timeout
# withholds the response for CLIENT_TIMEOUT + 1 s.
CLIENT_TIMEOUT = 5.0
FAST_SETTINGS: dict[str, Any] = {
    "max_attempts": 8,
    "backoff_base_seconds": 0.01,
    "backoff_max_seconds": 0.05,
    "timeout_seconds": CLIENT_TIMEOUT,
}


def seed_value(cell: Any, cached: Any) -> Any:
    """A stand-in seed for one openpyxl cell, typed as Google would store it."""
    value = cell.value
    if cell.data_type == "e" or (cell.data_type == "f" and isinstance(cached, str) and cached.startswith("#")):
        # The stand-in evaluates only constant arithmetic, so this stores an #ERROR! value.
        return SeedCell(formula="=REF_ERROR()")
    if cell.data_type == "f":
        value = cached
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time() else value
    fmt = (cell.number_format or "").upper()
    if isinstance(value, (int, float)) and not isinstance(value, bool) and ("E+" in fmt or "E-" in fmt):
        return SeedCell(value=value, number_format={"type": "SCIENTIFIC", "pattern": cell.number_format})
    return value


def load_xlsx(standin: StandinServer, path: Path, title: str, **kwargs: Any) -> str:
    """Copy an .xlsx workbook into the stand-in cell by cell; return the spreadsheet id."""
    workbook = load_workbook(path)
    cached = load_workbook(path, data_only=True)
    sheets: dict[str, list[list[Any]]] = {}
    merges: dict[str, list[str]] = {}
    for ws in workbook.worksheets:
        rows = []
        for row in ws.iter_rows():
            rows.append([seed_value(c, cached[ws.title][c.coordinate].value) for c in row])
        sheets[ws.title] = rows
        if ws.merged_cells.ranges:
            merges[ws.title] = [str(r) for r in ws.merged_cells.ranges]
    return standin.create_spreadsheet(title, sheets, merges=merges or None, **kwargs)


def google_config(config: Config, locations: dict[str, str], **settings: Any) -> Config:
    """The test configuration with the given units switched to Google spreadsheets."""
    units = tuple(dataclasses.replace(u, backend="google", location=locations[u.code]) if u.code in locations else u
                  for u in config.units)
    return dataclasses.replace(config, units=units, google={**FAST_SETTINGS, **settings})


def make_backend(config: Config, standin: StandinServer, seed: int = 0) -> GoogleSheetsBackend:
    return GoogleSheetsBackend(config, make_gspread_client(standin.port), service_account_email=DEFAULT_OWNER_EMAIL,
                               rng=random.Random(seed))


def backend_factories(config: Config, standin: StandinServer, seed: int = 0) -> dict[str, Any]:
    """The runner's backend factories with Google pointed at the stand-in."""
    from sync.runner import default_backends

    factories = default_backends(config)
    factories["google"] = lambda: make_backend(config, standin, seed)
    return factories


def test_seed_value_keeps_types():
    from openpyxl import Workbook

    ws = Workbook().active
    ws["A1"] = "0912345678"
    ws["A2"] = dt.datetime(2022, 3, 1)
    ws["A3"] = dt.datetime(2022, 3, 1, 8, 30)
    ws["A4"] = 63100054321
    ws["A4"].number_format = "0.00E+00"
    assert seed_value(ws["A1"], None) == "0912345678"
    assert seed_value(ws["A2"], None) == dt.date(2022, 3, 1)
    assert seed_value(ws["A3"], None) == dt.datetime(2022, 3, 1, 8, 30)
    assert seed_value(ws["A4"], None).number_format["type"] == "SCIENTIFIC"

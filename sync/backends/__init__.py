"""Workbook backends: a folder of .xlsx files (the default) and Google Sheets."""

from __future__ import annotations

from typing import Protocol

from sheets_schema.config import Unit
from sync.flags import FlagPlan
from sync.model import RawWorkbook


class Backend(Protocol):
    """Reads whole workbooks and writes flag plans back, one batched call each."""

    name: str

    def modified_times(self, units: list[Unit]) -> dict[str, str | None]:
        """Return each unit's current modification stamp (None when unknown)."""

    def read(self, unit: Unit) -> RawWorkbook:
        """Read every tab of the unit's workbook; raise WorkbookUnavailable on failure."""

    def write_flags(self, unit: Unit, workbook: RawWorkbook, plan: FlagPlan) -> str | None:
        """Write the plan; return the new modification stamp; raise WriteSkipped to retry later."""

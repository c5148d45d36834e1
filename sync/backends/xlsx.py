"""The embedded default backend: one .xlsx file per unit in a folder."""

from __future__ import annotations

import logging
import os

from sheets_schema.config import Config, Unit
from sync.flags import FlagPlan
from sync.model import RawWorkbook
from sync.xlsx_reader import file_stamp, read_xlsx
from sync.xlsx_writer import write_flags_xlsx

log = logging.getLogger(__name__)


class XlsxFolderBackend:
    name = "xlsx"

    def __init__(self, config: Config) -> None:
        self.config = config

    def modified_times(self, units: list[Unit]) -> dict[str, str | None]:
        stamps: dict[str, str | None] = {}
        for unit in units:
            path = self.config.workbook_path(unit)
            try:
                stamps[unit.code] = file_stamp(os.stat(path))
            except OSError:
                stamps[unit.code] = None
        return stamps

    def read(self, unit: Unit) -> RawWorkbook:
        path = self.config.workbook_path(unit)
        workbook = read_xlsx(path, unit.code)
        log.info("read %s: %d tabs", path.name, len(workbook.sheets))
        return workbook

    def write_flags(self, unit: Unit, workbook: RawWorkbook, plan: FlagPlan) -> str | None:
        path = self.config.workbook_path(unit)
        stamp = write_flags_xlsx(path, workbook.modified, plan, self.config.timezone)
        log.info("wrote flags to %s", path.name)
        return stamp

"""Validate workbook files together: the core behind `python -m sync validate`."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sheets_schema.config import Config
from sheets_schema.schema import Schema
from sync.errors import WorkbookUnavailable
from sync.model import Issue, RawWorkbook, RowRecord, UnitResult
from sync.validate import UnitValidator, unreadable_issue, validate_units
from sync.xlsx_reader import read_xlsx

log = logging.getLogger(__name__)


@dataclass
class ValidationOutput:
    issues: list[Issue]
    rows: list[RowRecord]
    results: list[UnitResult]
    failures: list[WorkbookUnavailable]

    def to_json(self) -> dict[str, list[dict[str, object]]]:
        return {"issues": [i.to_dict() for i in self.issues], "rows": [r.to_dict() for r in self.rows]}


def validate_workbooks(workbooks: list[RawWorkbook], schema: Schema, config: Config | None,
                       extra_rows: list[RowRecord] | None = None) -> list[UnitResult]:
    """Validate already-read workbooks together, so the province rules see every unit."""
    # Normalised cells are shared between the units' validators (all but communes, which
    # each unit matches against its own list), so a value seen in one unit is not parsed again.
    shared: dict[Any, Any] = {}
    results = [UnitValidator(schema, config, wb.unit, shared_outcomes=shared).validate(wb) for wb in workbooks]
    return validate_units(results, schema, config, extra_rows)


def validate_files(paths: list[Path], schema: Schema, config: Config | None) -> ValidationOutput:
    """Read and validate .xlsx files; the unit of each file is its name's stem."""
    workbooks = []
    failures = []
    for path in paths:
        try:
            workbooks.append(read_xlsx(path, path.stem))
        except WorkbookUnavailable as exc:
            log.warning("cannot read %s: %s", path.name, exc.kind)
            failures.append(exc)
    results = validate_workbooks(workbooks, schema, config)
    issues = [unreadable_issue(schema, config, f) for f in failures]
    rows: list[RowRecord] = []
    for result in results:
        issues.extend(result.issues)
        rows.extend(result.rows)
    return ValidationOutput(issues=issues, rows=rows, results=results, failures=failures)

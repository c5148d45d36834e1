"""The product's own exceptions, raised at the boundary with files and services."""

from __future__ import annotations


class KetnoiError(Exception):
    """Base class for errors the product reports to users or operators."""


class WorkbookUnavailable(KetnoiError):
    """A unit's workbook could not be read. ``reason`` is Vietnamese, for users."""

    def __init__(self, unit: str, kind: str, reason: str) -> None:
        super().__init__(f"workbook of {unit} unavailable ({kind})")
        self.unit = unit
        self.kind = kind  # "missing", "unreadable", "permission", "quota", "network"
        self.reason = reason


class WriteSkipped(KetnoiError):
    """Flags were not written back this run (file changed or locked); retried next run."""

    def __init__(self, unit: str, reason: str) -> None:
        super().__init__(f"write-back for {unit} skipped: {reason}")
        self.unit = unit
        self.reason = reason

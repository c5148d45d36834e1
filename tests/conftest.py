"""Shared fixtures: a clean environment, a temporary configuration, sample paths."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from sheets_schema import load_config, load_schema

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared"
SAMPLE = SHARED / "samples" / "DAMDOI.xlsx"

_SECRET_VARS = ("GOOGLE_APPLICATION_CREDENTIALS", "KETNOI_GOOGLE_CREDENTIALS", "KETNOI_GOOGLE_CREDENTIALS_FILE",
                "KETNOI_SMTP_USER", "KETNOI_SMTP_PASSWORD", "KETNOI_CONFIG", "KETNOI_DATA_DIR")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may pick up real credentials or another configuration from the shell."""
    for name in _SECRET_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def schema():
    return load_schema()


@pytest.fixture
def config(tmp_path: Path):
    """The shipped configuration with every path moved into a temporary folder."""
    base = load_config()
    workbooks = tmp_path / "workbooks"
    workbooks.mkdir()
    return dataclasses.replace(base, workbooks_dir=workbooks, store_path=tmp_path / "store.sqlite3",
                               outbox_dir=tmp_path / "outbox")


@pytest.fixture
def sample_path() -> Path:
    if not SAMPLE.exists():
        pytest.skip(f"sample workbook not found beside the repository: {SAMPLE}")
    return SAMPLE

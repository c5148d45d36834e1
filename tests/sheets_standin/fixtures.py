"""pytest fixtures for the Sheets stand-in; import them into a test module to use them.

    from tests.sheets_standin.fixtures import gspread_client, standin, standin_server  # noqa: F401
"""

from __future__ import annotations

from typing import Iterator

import gspread
import pytest

from .adapter import make_gspread_client
from .server import StandinServer


@pytest.fixture(scope="module")
def standin_server() -> Iterator[StandinServer]:
    """One running stand-in per test module."""
    with StandinServer() as server:
        yield server


@pytest.fixture
def standin(standin_server: StandinServer) -> Iterator[StandinServer]:
    """The module's stand-in, emptied before each test and checked for internal errors after it."""
    standin_server.reset()
    yield standin_server
    errors = standin_server.internal_errors
    assert errors == [], "the Sheets stand-in failed internally:\n" + "\n".join(errors)


@pytest.fixture
def gspread_client(standin: StandinServer) -> gspread.Client:
    """A real gspread.Client connected to the emptied stand-in."""
    return make_gspread_client(standin.port)

"""A local stand-in for the Google Sheets API v4 and Drive v3, for tests."""

from .adapter import (
    NonLoopbackRequestError,
    StandinAdapter,
    StaticTokenCredentials,
    make_authorized_session,
    make_gspread_client,
    make_session,
)
from .seeding import SeedCell
from .server import RequestRecord, StandinServer
from .values import from_serial, to_serial

__all__ = [
    "NonLoopbackRequestError",
    "RequestRecord",
    "SeedCell",
    "StandinAdapter",
    "StandinServer",
    "StaticTokenCredentials",
    "from_serial",
    "make_authorized_session",
    "make_gspread_client",
    "make_session",
    "to_serial",
]

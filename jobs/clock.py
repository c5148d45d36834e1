"""Clocks for the jobs: the system clock in the programme's time zone, or one a test sets."""

from __future__ import annotations

import datetime as dt
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    tz: dt.tzinfo

    def now(self) -> dt.datetime:
        """Return the current time as an aware datetime in ``tz``."""
        ...


class SystemClock:
    """The machine's clock, converted to the programme's time zone (the machine may run in UTC)."""

    def __init__(self, timezone: str) -> None:
        self.tz = ZoneInfo(timezone)

    def now(self) -> dt.datetime:
        return dt.datetime.now(self.tz)


class FixedClock:
    """A clock that moves only when a caller sets or advances it, for tests, previews and `run-once --now`."""

    def __init__(self, start: dt.datetime, timezone: str = "Asia/Ho_Chi_Minh") -> None:
        self.tz = ZoneInfo(timezone)
        self._now = start if start.tzinfo else start.replace(tzinfo=self.tz)

    def now(self) -> dt.datetime:
        return self._now.astimezone(self.tz)

    def set(self, moment: dt.datetime) -> None:
        self._now = moment if moment.tzinfo else moment.replace(tzinfo=self.tz)

    def advance(self, delta: dt.timedelta) -> None:
        self._now = self._now + delta

"""Fault injection and per-minute quotas for the stand-in. Callers hold the server lock."""

from __future__ import annotations

import collections
import random
import time
from dataclasses import dataclass, field
from typing import Optional, Union

Status = Union[int, str]
TIMEOUT = "timeout"
KINDS = ("sheets_read", "sheets_write", "drive")


@dataclass
class Fault:
    """A replacement for the normal response: an error status or a withheld response."""

    status: Status
    # For timeouts: how long the handler sleeps before closing the connection without a response.
    sleep_seconds: float = 0.0
    # For timeouts: apply the request first, like a write Google committed before the
    # client gave up.
    apply_first: bool = False
    quota_limit: Optional[int] = None


@dataclass
class FaultPlan:
    """The active switches: fail_next, fail_ratio, delay and quota."""

    next_failures: collections.deque = field(default_factory=collections.deque)
    ratio: float = 0.0
    ratio_statuses: tuple[Status, ...] = ()
    ratio_random: random.Random = field(default_factory=random.Random)
    ratio_kinds: Optional[tuple[str, ...]] = None
    ratio_sleep_seconds: float = 0.0
    ratio_apply_first: bool = False
    delay_seconds: float = 0.0
    quota_limit: Optional[int] = None
    quota_kinds: tuple[str, ...] = ("sheets_read", "sheets_write")
    quota_window: dict[str, collections.deque] = field(default_factory=lambda: collections.defaultdict(collections.deque))
    # Seconds added to the monotonic clock, so tests can end a quota minute without waiting.
    clock_offset: float = 0.0

    def now(self) -> float:
        return time.monotonic() + self.clock_offset

    def choose(self, kind: str) -> Optional[Fault]:
        """Return the fault for one request of this kind, or None for a normal response."""
        for index, (count_kinds, fault) in enumerate(self.next_failures):
            if count_kinds is None or kind in count_kinds:
                del self.next_failures[index]
                return fault
        if self.ratio and (self.ratio_kinds is None or kind in self.ratio_kinds):
            if self.ratio_random.random() < self.ratio:
                status = self.ratio_random.choice(self.ratio_statuses)
                return Fault(status, self.ratio_sleep_seconds, self.ratio_apply_first)
        if self.quota_limit is not None and kind in self.quota_kinds:
            window = self.quota_window[kind]
            moment = self.now()
            while window and window[0] <= moment - 60:
                window.popleft()
            if len(window) >= self.quota_limit:
                return Fault(429, quota_limit=self.quota_limit)
            window.append(moment)
        return None

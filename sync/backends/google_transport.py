"""Pacing, bounded retries and error mapping for calls to the Sheets and Drive APIs.

gspread 6.2.1's ``BackOffHTTPClient`` retries without limit, so the backend uses the
plain ``HTTPClient`` and wraps every request here: each request first waits for room
in a per-minute budget (reads and writes counted apart, as Google counts them), then
429, 500, 502, 503, 504, timeouts and dropped connections are retried with
exponential backoff and full jitter, up to ``max_attempts`` tries in all.
"""

from __future__ import annotations

import collections
import logging
import random
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

import google.auth.exceptions
import requests
from gspread.exceptions import APIError

from sync.errors import KetnoiError

log = logging.getLogger(__name__)

T = TypeVar("T")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
KINDS = ("read", "write", "drive")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_seconds: float = 1.0
    max_seconds: float = 32.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Full-jitter backoff before retry number ``attempt`` (1 for the first retry)."""
        ceiling = min(self.max_seconds, self.base_seconds * (2 ** (attempt - 1)))
        return rng.uniform(0, ceiling)


class RequestBudget:
    """A sliding one-minute window per request kind; ``acquire`` waits for room.

    ``clock`` and ``sleep`` are injectable so the pacing can be tested without waiting.
    """

    def __init__(self, per_minute: dict[str, int], clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.per_minute = dict(per_minute)
        self._clock = clock
        self._sleep = sleep
        self._sent: dict[str, collections.deque[float]] = collections.defaultdict(collections.deque)
        self._lock = threading.Lock()
        self.waited_seconds = 0.0

    def acquire(self, kind: str) -> None:
        limit = self.per_minute.get(kind)
        if not limit or limit <= 0:
            return
        while True:
            with self._lock:
                now = self._clock()
                window = self._sent[kind]
                while window and window[0] <= now - 60.0:
                    window.popleft()
                if len(window) < limit:
                    window.append(now)
                    return
                wait = window[0] + 60.0 - now
            log.info("request budget for %s reached (%d per minute); waiting %.1f s", kind, limit, wait)
            self.waited_seconds += wait
            self._sleep(wait)


class GoogleCallFailed(KetnoiError):
    """A Sheets or Drive request failed for good. ``kind`` uses WorkbookUnavailable's
    vocabulary (permission, missing, quota, network, unreadable); ``status`` is the
    HTTP status, or None for timeouts and connection errors."""

    def __init__(self, kind: str, status: int | None, detail: str) -> None:
        super().__init__(f"Google API request failed ({kind}, status {status}): {detail}")
        self.kind = kind
        self.status = status
        self.detail = detail


def _status_of(exc: APIError) -> int:
    try:
        return int(exc.response.status_code)
    except (AttributeError, TypeError, ValueError):
        return 0


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, APIError):
        return _status_of(exc) in RETRY_STATUSES
    return isinstance(exc, (requests.exceptions.Timeout, requests.exceptions.ConnectionError))


def classify(exc: BaseException) -> GoogleCallFailed:
    """Turn a gspread, requests or google-auth exception into a GoogleCallFailed."""
    if isinstance(exc, APIError):
        status = _status_of(exc)
        message = str(getattr(exc, "error", {}).get("message", "")) if isinstance(getattr(exc, "error", None), dict) else str(exc)
        if status == 403:
            return GoogleCallFailed("permission", status, message)
        if status == 401:
            return GoogleCallFailed("auth", status, message)
        if status == 404:
            return GoogleCallFailed("missing", status, message)
        if status == 429:
            return GoogleCallFailed("quota", status, message)
        if status >= 500:
            return GoogleCallFailed("network", status, message)
        return GoogleCallFailed("unreadable", status, message)
    if isinstance(exc, requests.exceptions.Timeout):
        return GoogleCallFailed("network", None, "request timed out")
    if isinstance(exc, requests.exceptions.ConnectionError):
        return GoogleCallFailed("network", None, f"connection failed: {type(exc).__name__}")
    if isinstance(exc, google.auth.exceptions.GoogleAuthError):
        return GoogleCallFailed("auth", None, f"{type(exc).__name__}: {exc}")
    return GoogleCallFailed("unreadable", None, type(exc).__name__)


class Transport:
    """Runs API calls under the request budget with bounded retries."""

    def __init__(self, budget: RequestBudget, policy: RetryPolicy, rng: random.Random | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.budget = budget
        self.policy = policy
        self._rng = rng or random.Random()
        self._sleep = sleep
        self.attempts: collections.Counter[str] = collections.Counter()
        self.retries: collections.Counter[str] = collections.Counter()

    def call(self, kind: str, what: str, send: Callable[[], T],
             on_retry: Callable[[BaseException], None] | None = None) -> T:
        """Send one request (``send`` does the HTTP call) and return its result.

        ``on_retry`` runs before each retry with the failure, so a caller can adjust
        the request (for example after a timed-out write that Google applied anyway).
        Raises GoogleCallFailed when the request fails for good.
        """
        attempt = 0
        while True:
            attempt += 1
            self.budget.acquire(kind)
            self.attempts[kind] += 1
            try:
                return send()
            except (APIError, requests.exceptions.RequestException, google.auth.exceptions.GoogleAuthError) as exc:
                if not _retryable(exc) or attempt >= self.policy.max_attempts:
                    failure = classify(exc)
                    log.warning("%s failed after %d attempt(s): %s", what, attempt, failure)
                    raise failure from exc
                delay = self.policy.delay(attempt, self._rng)
                status = _status_of(exc) if isinstance(exc, APIError) else type(exc).__name__
                log.info("%s failed (%s); retry %d of %d in %.2f s", what, status, attempt,
                         self.policy.max_attempts - 1, delay)
                self.retries[kind] += 1
                if on_retry is not None:
                    on_retry(exc)
                self._sleep(delay)


def is_timeout(exc: BaseException) -> bool:
    return isinstance(exc, (requests.exceptions.Timeout, requests.exceptions.ConnectionError))


def api_error_message(exc: BaseException) -> str:
    if isinstance(exc, APIError) and isinstance(getattr(exc, "error", None), dict):
        return str(exc.error.get("message", ""))
    return str(exc)


def response_json(response: Any) -> Any:
    return response.json() if getattr(response, "content", b"") else {}

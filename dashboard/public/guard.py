"""Rate limits and spam checks for the public registration form.

Limits (each submission counts, accepted or not):

- per browser session: ``SESSION_LIMIT`` submissions in ``SESSION_WINDOW_SECONDS``;
- per client IP address: ``IP_LIMIT`` submissions in ``IP_WINDOW_SECONDS``, counted in
  the store's ``public_attempts`` table so every server process shares them. The limit
  is generous because a commune office or a job fair may register many young people
  from one connection. The table keeps a SHA-256 digest of the address, not the address.

Spam: a hidden honeypot field that people never fill, a minimum time between showing
the form and submitting it (``KETNOI_PUBLIC_MIN_FILL_SECONDS``, 4 seconds by default),
and links in free-text fields.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sqlite3
import time
from pathlib import Path

SESSION_LIMIT = 5
SESSION_WINDOW_SECONDS = 10 * 60
IP_LIMIT = 30
IP_WINDOW_SECONDS = 60 * 60
MIN_FILL_ENV = "KETNOI_PUBLIC_MIN_FILL_SECONDS"
DEFAULT_MIN_FILL_SECONDS = 4.0
TRUST_PROXY_ENV = "KETNOI_PUBLIC_TRUST_PROXY"

_LINK = re.compile(r"(?i)(https?://|www\.|\b[\w-]+\.(com|net|org|info|biz|xyz|top|io|ru|cn|me|link|click|vn)\b|@\w)")

_DDL = """
CREATE TABLE IF NOT EXISTS public_attempts (at REAL NOT NULL, client_sha256 TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS public_attempts_client ON public_attempts (client_sha256, at);
"""

MESSAGES = {
    "honeypot": "Không gửi được đăng ký. Đề nghị tải lại trang rồi nhập lại thông tin.",
    "too_fast": "Đăng ký được gửi quá nhanh sau khi mở trang nên chưa được nhận. Đề nghị kiểm tra lại "
                "thông tin rồi bấm «Gửi đăng ký» một lần nữa.",
    "link": "Thông tin đăng ký không được chứa đường dẫn trang web hoặc địa chỉ thư điện tử. "
            "Đề nghị xóa phần đó rồi gửi lại.",
    "session_limit": "Bạn đã gửi quá {limit} lần trong {minutes} phút. Đề nghị chờ ít phút rồi thử lại.",
    "ip_limit": "Có quá nhiều đăng ký được gửi từ cùng một mạng trong {minutes} phút. "
                "Đề nghị chờ ít phút rồi thử lại, hoặc liên hệ Đoàn xã, phường, thị trấn để được hỗ trợ.",
}


def min_fill_seconds() -> float:
    value = os.environ.get(MIN_FILL_ENV, "").strip()
    return float(value) if value else DEFAULT_MIN_FILL_SECONDS


def client_address(ip_address: str | None, headers: dict[str, str] | None) -> str | None:
    """Return the client's IP address: the first ``X-Forwarded-For`` entry when ``KETNOI_PUBLIC_TRUST_PROXY=1``
    (behind a reverse proxy that sets it), else the address of the WebSocket connection."""
    if os.environ.get(TRUST_PROXY_ENV) == "1" and headers:
        forwarded = headers.get("X-Forwarded-For") or headers.get("x-forwarded-for") or ""
        first = forwarded.split(",")[0].strip()
        if first:
            return first
    return ip_address if isinstance(ip_address, str) and ip_address else None


def spam_reason(honeypot: str, shown_at: float | None, now: float, texts: list[str]) -> str | None:
    """Return the key of the first spam sign found in a submission, or None."""
    if honeypot.strip():
        return "honeypot"
    if shown_at is None or now - shown_at < min_fill_seconds():
        return "too_fast"
    if any(_LINK.search(text or "") for text in texts):
        return "link"
    return None


def session_allows(history: list[float], now: float) -> tuple[bool, list[float]]:
    """Return whether one more submission fits the session limit, and the history with it added if so."""
    recent = [t for t in history if now - t < SESSION_WINDOW_SECONDS]
    if len(recent) >= SESSION_LIMIT:
        return False, recent
    return True, recent + [now]


def address_allows(store_path: Path, address: str | None, now: float | None = None) -> bool:
    """Count one submission from ``address``; False when the address is over its limit.

    Without a known address (a local connection) only the session limit applies.
    """
    if not address:
        return True
    now = time.time() if now is None else now
    digest = hashlib.sha256(address.encode("utf-8")).hexdigest()
    store_path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.closing(sqlite3.connect(store_path, timeout=30, isolation_level=None)) as conn:
        conn.executescript(_DDL)
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("DELETE FROM public_attempts WHERE at <= ?", (now - IP_WINDOW_SECONDS,))
            count = conn.execute("SELECT COUNT(*) FROM public_attempts WHERE client_sha256=?", (digest,)).fetchone()[0]
            allowed = count < IP_LIMIT
            if allowed:
                conn.execute("INSERT INTO public_attempts(at, client_sha256) VALUES (?, ?)", (now, digest))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return allowed


def message(key: str) -> str:
    if key == "session_limit":
        return MESSAGES[key].format(limit=SESSION_LIMIT, minutes=SESSION_WINDOW_SECONDS // 60)
    if key == "ip_limit":
        return MESSAGES[key].format(minutes=IP_WINDOW_SECONDS // 60)
    return MESSAGES[key]

"""Rate limits and spam checks of the public registration form."""

from __future__ import annotations

import pytest

from dashboard.public import guard


def test_address_limit_counts_per_address(tmp_path):
    store = tmp_path / "store.sqlite3"
    for _ in range(guard.IP_LIMIT):
        assert guard.address_allows(store, "203.0.113.7", now=1000.0)
    assert not guard.address_allows(store, "203.0.113.7", now=1000.0)
    assert guard.address_allows(store, "203.0.113.8", now=1000.0)


def test_address_limit_window_ends(tmp_path):
    store = tmp_path / "store.sqlite3"
    for _ in range(guard.IP_LIMIT):
        guard.address_allows(store, "203.0.113.7", now=1000.0)
    assert guard.address_allows(store, "203.0.113.7", now=1000.0 + guard.IP_WINDOW_SECONDS)


def test_address_stored_as_digest(tmp_path):
    store = tmp_path / "store.sqlite3"
    guard.address_allows(store, "203.0.113.7", now=1000.0)
    assert b"203.0.113.7" not in store.read_bytes()


def test_unknown_address_not_limited(tmp_path):
    assert guard.address_allows(tmp_path / "store.sqlite3", None)


def test_forwarded_address_only_when_trusted(monkeypatch):
    headers = {"X-Forwarded-For": "198.51.100.4, 10.0.0.1"}
    assert guard.client_address("10.0.0.1", headers) == "10.0.0.1"
    monkeypatch.setenv(guard.TRUST_PROXY_ENV, "1")
    assert guard.client_address("10.0.0.1", headers) == "198.51.100.4"


def test_session_limit_window():
    history: list[float] = []
    for step in range(guard.SESSION_LIMIT):
        allowed, history = guard.session_allows(history, float(step))
        assert allowed
    allowed, history = guard.session_allows(history, 10.0)
    assert not allowed
    allowed, _ = guard.session_allows(history, guard.SESSION_WINDOW_SECONDS + 5.0)
    assert allowed


@pytest.mark.parametrize("text", ["xem https://x.example", "www.vieclam", "lien he abc.com", "zalo @spam"])
def test_links_are_spam(monkeypatch, text):
    monkeypatch.setenv(guard.MIN_FILL_ENV, "0")
    assert guard.spam_reason("", 0.0, 100.0, ["Nguyễn Văn An", text]) == "link"


def test_plain_text_not_spam(monkeypatch):
    monkeypatch.setenv(guard.MIN_FILL_ENV, "0")
    assert guard.spam_reason("", 0.0, 100.0, ["Nguyễn Văn An", "may công nghiệp, điện dân dụng"]) is None


def test_fast_and_honeypot_are_spam(monkeypatch):
    monkeypatch.setenv(guard.MIN_FILL_ENV, "5")
    assert guard.spam_reason("", 100.0, 102.0, []) == "too_fast"
    assert guard.spam_reason("", None, 102.0, []) == "too_fast"
    assert guard.spam_reason("x", 0.0, 102.0, []) == "honeypot"

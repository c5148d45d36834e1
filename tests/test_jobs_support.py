"""Shared set-up for the jobs tests: unit workbooks, a synced store and a loopback SMTP server.

This module contains no tests; the jobs test modules import from it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import email
import email.policy
import shutil
import socket
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from openpyxl import load_workbook

from jobs.clock import FixedClock
from jobs.tasks import Jobs
from sheets_schema.config import Config
from sheets_schema.schema import Schema
from sync.runner import run_sync
from sync.store import Store
from tests.helpers import full_workbook, make_workbook

TZ = "Asia/Ho_Chi_Minh"
# A value that only CAINUOC's workbook contains, to prove DAMDOI's mail carries none of it.
CAINUOC_MARKER = "www.cainuoc-only.example/bai-viet"
EXPLANATION = "Đã xác minh với xã, đúng thực tế."


def prepare_workbooks(config: Config, schema: Schema, sample: Path) -> None:
    """Put two units' workbooks in place: DAMDOI (the sample, with one explained warning) and CAINUOC."""
    damdoi = config.workbooks_dir / "DAMDOI.xlsx"
    shutil.copy(sample, damdoi)
    workbook = load_workbook(damdoi)
    sheet = workbook["Tìm việc"]
    sheet["O1"] = "Giải trình"
    sheet["O7"] = EXPLANATION  # row 7 carries the not_youth_age warning
    workbook.save(damdoi)
    workbook.close()

    rows = {"outreach": [{"posted_on": dt.date(2022, 5, 2), "channel": "Zalo", "format": "Bài viết",
                          "title": "Tuyên truyền tại xã", "url": CAINUOC_MARKER, "reach": 120}]}
    make_workbook(config.workbooks_dir / "CAINUOC.xlsx", full_workbook(schema, rows))


def two_unit_config(config: Config, **mail: Any) -> Config:
    """Keep only DAMDOI, CAINUOC and the province unit, so other units' missing files add no mail."""
    units = tuple(u for u in config.units if u.code in {"DAMDOI", "CAINUOC", config.province_unit})
    return dataclasses.replace(config, units=units, mail={**config.mail, **mail})


def synced_store(config: Config, schema: Schema) -> Store:
    store = Store(config.store_path)
    run_sync(config, schema, store=store)
    return store


def make_jobs(config: Config, schema: Schema, store: Store, when: dt.datetime, **kwargs: Any) -> Jobs:
    return Jobs(config=config, schema=schema, store=store, clock=FixedClock(when, TZ), **kwargs)


def parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def outbox_messages(folder: Path) -> list[EmailMessage]:
    return [parse(path.read_bytes()) for path in sorted(folder.glob("*.eml"))]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RecordingHandler:
    """Keep every message the server accepts, and reply 451 to the next ``reject_next`` messages."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.reject_next = 0
        self.logins: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.reject_next:
            self.reject_next -= 1
            return "451 4.3.0 Temporary failure, try again later"
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"

    def parsed(self) -> list[EmailMessage]:
        return [parse(raw) for _, _, raw in self.messages]


class Authenticator:
    def __init__(self, user: str, password: str, handler: RecordingHandler) -> None:
        self.user, self.password, self.handler = user, password, handler

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        if isinstance(auth_data, LoginPassword) and auth_data.login.decode() == self.user \
                and auth_data.password.decode() == self.password:
            self.handler.logins.append(self.user)
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


class SmtpServer:
    """An aiosmtpd server on 127.0.0.1 on a free port, started and stopped by the tests."""

    def __init__(self, login: tuple[str, str] | None = None, **smtp_kwargs: Any) -> None:
        self.handler = RecordingHandler()
        self.port = free_port()
        if login is not None:
            smtp_kwargs["authenticator"] = Authenticator(*login, self.handler)
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port,
                                     loop=asyncio.new_event_loop(), **smtp_kwargs)

    def start(self) -> "SmtpServer":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

"""The five jobs (sync, digest, weekly, reminders, deliver) wired to the store, the clock and a transport."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, Callable

from jobs.clock import Clock
from jobs.digest import UnitDigest, build_unit_digest, digest_workbook, needs_attention, render_digest
from jobs.links import read_tab_positions
from jobs.mail import (Attachment, DeliveryResult, MailLog, Transport, compose, deliver_due, make_transport,
                       sender_name, stable_id)
from jobs.render import render
from jobs.scheduler import reminder_days_before
from jobs.summary import ProvinceSummary, build_province_summary, open_counts
from sheets_schema.config import Config, Deadline, Unit
from sheets_schema.schema import Schema
from sync.runner import SyncSummary, run_sync
from sync.store import Store

log = logging.getLogger(__name__)

WEEKDAY_NAMES = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")


@dataclass(frozen=True)
class BuiltMail:
    message_id: str
    kind: str
    unit: str | None
    period: str
    recipients: tuple[str, ...]
    message: EmailMessage
    html: str
    item_count: int


@dataclass
class Jobs:
    """The jobs of one process. ``gids`` maps unit code to {tab key: gid} for Google links, when known."""

    config: Config
    schema: Schema
    store: Store
    clock: Clock
    transport_factory: Callable[[], Transport] | None = None
    gids: dict[str, dict[str, int]] = field(default_factory=dict)
    before_send: Callable[[str], None] | None = None  # see deliver_due

    def __post_init__(self) -> None:
        self.mail_log = MailLog(self.store)

    def actions(self) -> dict[str, Callable[[dt.datetime], Any]]:
        return {"sync": self.sync, "digest": self.digest, "weekly": self.weekly,
                "reminders": self.reminders, "deliver": self.deliver}

    # ------------------------------------------------------------ jobs

    def sync(self, now: dt.datetime) -> SyncSummary:
        return run_sync(self.config, self.schema, store=self.store)

    def digest(self, now: dt.datetime) -> DeliveryResult:
        """Record today's digest for every unit that has something to fix, then deliver what is due."""
        recorded = 0
        for unit in self.config.units:
            try:
                built = self.build_digest(unit, now)
            except Exception as exc:  # noqa: BLE001 - one unit's failure must not stop the other digests
                log.error("digest for unit %s failed with %s; the other units continue", unit.code,
                          type(exc).__name__)
                log.debug("traceback of the failed digest for unit %s", unit.code, exc_info=True)
                continue
            if built is not None:
                recorded += self._record(built, now)
        log.info("digest for %s: %d new message(s) recorded", now.date().isoformat(), recorded)
        return self.deliver(now)

    def weekly(self, now: dt.datetime) -> DeliveryResult:
        recipients = tuple(self.config.mail.get("province_recipients") or ())
        if not recipients:
            log.warning("weekly summary skipped: mail.province_recipients is empty")
            return DeliveryResult(sent=[], retrying=[], failed=[])
        built = self.build_weekly(now)
        if not self.mail_log.exists(built.message_id):
            self._record(built, now)
        return self.deliver(now)

    def reminders(self, now: dt.datetime) -> DeliveryResult:
        """Record a reminder to every unit for each deadline that is 7, 3 or 1 days away today (as configured)."""
        due = due_reminders(self.config, now.date())
        for deadline, days in due:
            for unit in self.config.units:
                if unit.code == self.config.province_unit or not unit.contact_emails:
                    continue
                built = self.build_reminder(unit, deadline, days, now)
                if not self.mail_log.exists(built.message_id):
                    self._record(built, now)
        log.info("reminders for %s: %d deadline(s) due", now.date().isoformat(), len(due))
        return self.deliver(now)

    def deliver(self, now: dt.datetime) -> DeliveryResult:
        transport = self.transport_factory() if self.transport_factory else make_transport(self.config)
        return deliver_due(self.mail_log, transport, self.config, now, before_send=self.before_send)

    def _record(self, built: BuiltMail, now: dt.datetime) -> int:
        created = self.mail_log.record(built.message_id, built.kind, built.unit, built.period, built.recipients,
                                       built.message, built.item_count, now)
        if created:
            log.info("%s message %s for unit %s recorded (%d item(s))", built.kind, built.message_id,
                     built.unit or "-", built.item_count)
        return int(created)

    # ------------------------------------------------------------ building

    def last_sync_at(self, now: dt.datetime) -> dt.datetime | None:
        run = self.store.latest_run()
        stamp = run.get("finished_at") if run else None
        return dt.datetime.fromisoformat(stamp).astimezone(now.tzinfo) if stamp else None

    def unit_digest(self, unit: Unit, now: dt.datetime, message_id: str | None = None) -> UnitDigest:
        issues = self.store.issues(unit=unit.code)
        positions = read_tab_positions(self.config, self.schema, unit) if unit.backend == "xlsx" else {}
        previous = self.mail_log.previous_created_at("digest", unit.code, message_id)
        return build_unit_digest(self.config, self.schema, unit, issues, now, self.last_sync_at(now), previous,
                                 positions, self.gids.get(unit.code))

    def build_digest(self, unit: Unit, now: dt.datetime, force: bool = False) -> BuiltMail | None:
        """Build a unit's digest for the day of ``now``.

        Returns None when the unit has no contact, when today's digest is already
        recorded, or when nothing needs attention (unless ``force``, used by previews).
        """
        period = now.date().isoformat()
        message_id = stable_id("digest", unit.code, period)
        if not force:
            if not unit.contact_emails:
                log.warning("unit %s has no contact e-mail; digest skipped", unit.code)
                return None
            if self.mail_log.exists(message_id):
                return None
            if not any(needs_attention(i) for i in self.store.issues(unit=unit.code)):
                return None
        digest = self.unit_digest(unit, now, message_id)
        text, html = render_digest(digest, sender_name(self.config), self.config.name)
        attachment = Attachment(digest.attachment_name, digest_workbook(digest))
        message = compose(self.config, message_id, "digest", unit.code, unit.contact_emails, digest.subject,
                          text, html, now, (attachment,))
        return BuiltMail(message_id=message_id, kind="digest", unit=unit.code, period=period,
                         recipients=unit.contact_emails, message=message, html=html, item_count=len(digest.items))

    def province_summary(self, now: dt.datetime) -> ProvinceSummary:
        return build_province_summary(self.config, self.store.issues(open_only=False),
                                      self.store.workbook_states(), self.store.rows(), now)

    def build_weekly(self, now: dt.datetime) -> BuiltMail:
        year, week, _ = now.isocalendar()
        period = f"{year}-W{week:02d}"
        message_id = stable_id("weekly", self.config.province_unit, period)
        summary = self.province_summary(now)
        subject = (f"[{self.config.short_name}] Tổng hợp tuần {summary.week_start:%d/%m} – {summary.week_end:%d/%m/%Y}: "
                   f"{summary.total_open_errors} lỗi đang mở, {summary.total_fixed_last_week} mục đã sửa")
        context = {"summary": summary, "subject": subject, "last_sync_at": self.last_sync_at(now),
                   "sender_name": sender_name(self.config), "programme_name": self.config.name}
        text, html = render("weekly.txt.j2", **context), render("weekly.html.j2", **context)
        recipients = tuple(self.config.mail.get("province_recipients") or ())
        message = compose(self.config, message_id, "weekly", self.config.province_unit, recipients, subject,
                          text, html, now)
        return BuiltMail(message_id=message_id, kind="weekly", unit=self.config.province_unit, period=period,
                         recipients=recipients, message=message, html=html, item_count=len(summary.lines))

    def build_reminder(self, unit: Unit, deadline: Deadline, days: int, now: dt.datetime) -> BuiltMail:
        period = f"{deadline.key}-{deadline.date.isoformat()}-{days}d"
        message_id = stable_id("reminder", unit.code, period)
        errors, warnings = open_counts(self.store.issues(unit=unit.code))
        label = deadline.label[:1].lower() + deadline.label[1:]
        subject = f"[{self.config.short_name}] {unit.name}: còn {days} ngày đến {label} ({deadline.date:%d/%m/%Y})"
        context = {"unit": unit, "deadline": deadline, "days": days, "errors": errors, "warnings": warnings,
                   "weekday": WEEKDAY_NAMES[deadline.date.weekday()], "subject": subject,
                   "last_sync_at": self.last_sync_at(now), "sender_name": sender_name(self.config),
                   "programme_name": self.config.name}
        text, html = render("reminder.txt.j2", **context), render("reminder.html.j2", **context)
        message = compose(self.config, message_id, "reminder", unit.code, unit.contact_emails, subject, text, html,
                          now)
        return BuiltMail(message_id=message_id, kind="reminder", unit=unit.code, period=period,
                         recipients=unit.contact_emails, message=message, html=html, item_count=errors + warnings)


def due_reminders(config: Config, day: dt.date) -> list[tuple[Deadline, int]]:
    """Return the (deadline, days before) pairs whose reminder falls on ``day``."""
    return [(deadline, days) for deadline in config.deadlines for days in reminder_days_before(config)
            if deadline.date - dt.timedelta(days=days) == day]

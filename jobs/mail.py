"""E-mail: composing messages, the mail log in the store, transports and delivery with retries.

A message is written to the `mail_log` table, whole and with its stable id, before it
is handed to a transport. Delivery then sends the recorded bytes, so a restart resends a
recorded message instead of building a new one, and a second digest run on the same
day finds the id already recorded and builds nothing.
"""

from __future__ import annotations

import datetime as dt
import email.policy
import email.utils
import hashlib
import json
import logging
import os
import smtplib
import socket
import ssl
import tomllib
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Callable, Protocol

from sheets_schema.config import Config
from sync.errors import KetnoiError
from sync.store import Store

log = logging.getLogger(__name__)

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
MAX_ATTEMPTS = 6
RETRY_BASE = dt.timedelta(minutes=5)  # doubles after each failure: 5, 10, 20, 40, 80 minutes
RETRY_MAX = dt.timedelta(hours=6)

_MAIL_DDL = """
CREATE TABLE IF NOT EXISTS mail_log (
    message_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    unit TEXT,
    period TEXT NOT NULL,
    recipients TEXT NOT NULL,
    raw BLOB NOT NULL,
    item_count INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_error TEXT,
    sent_at TEXT
);
CREATE INDEX IF NOT EXISTS mail_log_pending ON mail_log (status, next_attempt_at);
CREATE INDEX IF NOT EXISTS mail_log_unit ON mail_log (kind, unit, created_at);
"""

# Statuses: "pending" (recorded, not sent yet), "retry" (a send failed, retried after
# next_attempt_at), "sent", "failed" (gave up after MAX_ATTEMPTS).
OUTSTANDING = ("pending", "retry")


class MailError(KetnoiError):
    """A message could not be handed to the mail server or written to the outbox."""


class MailConfigError(KetnoiError):
    """The `mail` section of programme.yaml or the SMTP credentials are invalid."""


def stable_id(kind: str, unit: str | None, period: str) -> str:
    """Derive a message id from what the message is about, so rebuilding it gives the same id."""
    return hashlib.sha256(f"{kind}|{unit or ''}|{period}".encode()).hexdigest()[:32]


def iso_utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="seconds")


# ---------------------------------------------------------------- composing


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    maintype: str = XLSX_TYPE[0]
    subtype: str = XLSX_TYPE[1]


def compose(config: Config, message_id: str, kind: str, unit: str | None, recipients: tuple[str, ...],
            subject: str, text: str, html: str, created_at: dt.datetime,
            attachments: tuple[Attachment, ...] = ()) -> EmailMessage:
    """Build a multipart message (plain text and HTML, then attachments) with UTF-8 headers."""
    sender = config.mail.get("sender") or "noreply@localhost"
    sender_address = email.utils.parseaddr(sender)[1]
    domain = sender_address.rpartition("@")[2] or "localhost"
    message = EmailMessage(policy=email.policy.SMTP)
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = email.utils.format_datetime(created_at)
    message["Message-ID"] = f"<{message_id}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    message["X-Ketnoi-Kind"] = kind
    if unit:
        message["X-Ketnoi-Unit"] = unit
    message.set_content(text, subtype="plain", charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    for attachment in attachments:
        message.add_attachment(attachment.content, maintype=attachment.maintype, subtype=attachment.subtype,
                               filename=attachment.filename)
    return message


def sender_name(config: Config) -> str:
    name, address = email.utils.parseaddr(config.mail.get("sender") or "")
    return name or config.owner or address


# ---------------------------------------------------------------- the mail log


@dataclass(frozen=True)
class OutgoingMail:
    message_id: str
    kind: str
    unit: str | None
    recipients: tuple[str, ...]
    raw: bytes
    attempts: int


class MailLog:
    """The `mail_log` table, kept in the store's SQLite file."""

    def __init__(self, store: Store) -> None:
        self.store = store
        store.connection.executescript(_MAIL_DDL)

    def exists(self, message_id: str) -> bool:
        row = self.store.connection.execute("SELECT 1 FROM mail_log WHERE message_id=?", (message_id,)).fetchone()
        return row is not None

    def record(self, message_id: str, kind: str, unit: str | None, period: str, recipients: tuple[str, ...],
               message: EmailMessage, item_count: int, now: dt.datetime) -> bool:
        """Record a message as pending and return True, or return False when the id is already recorded."""
        with self.store.transaction() as conn:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO mail_log(message_id, kind, unit, period, recipients, raw, item_count, "
                "created_at, status, next_attempt_at) VALUES (?,?,?,?,?,?,?,?,'pending',?)",
                (message_id, kind, unit, period, json.dumps(list(recipients)), message.as_bytes(), item_count,
                 iso_utc(now), iso_utc(now)))
        return cursor.rowcount == 1

    def previous_created_at(self, kind: str, unit: str, before_id: str | None = None) -> dt.datetime | None:
        """Return when the last message of this kind was recorded for the unit, other than ``before_id``."""
        row = self.store.connection.execute(
            "SELECT MAX(created_at) FROM mail_log WHERE kind=? AND unit=? AND message_id<>?",
            (kind, unit, before_id or "")).fetchone()
        return dt.datetime.fromisoformat(row[0]) if row and row[0] else None

    def due(self, now: dt.datetime) -> list[OutgoingMail]:
        rows = self.store.connection.execute(
            "SELECT message_id, kind, unit, recipients, raw, attempts FROM mail_log "
            "WHERE status IN (?, ?) AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY created_at",
            (*OUTSTANDING, iso_utc(now))).fetchall()
        return [OutgoingMail(message_id=r["message_id"], kind=r["kind"], unit=r["unit"],
                             recipients=tuple(json.loads(r["recipients"])), raw=bytes(r["raw"]),
                             attempts=r["attempts"]) for r in rows]

    def mark_sent(self, message_id: str, now: dt.datetime) -> None:
        with self.store.transaction() as conn:
            conn.execute("UPDATE mail_log SET status='sent', sent_at=?, attempts=attempts+1, next_attempt_at=NULL "
                         "WHERE message_id=?", (iso_utc(now), message_id))

    def mark_failed(self, message_id: str, attempts: int, error: str, now: dt.datetime) -> str:
        """Record a failed attempt and return the new status ("retry" or "failed")."""
        if attempts >= MAX_ATTEMPTS:
            status, next_attempt = "failed", None
        else:
            status, next_attempt = "retry", iso_utc(now + retry_delay(attempts))
        with self.store.transaction() as conn:
            conn.execute("UPDATE mail_log SET status=?, attempts=?, last_error=?, next_attempt_at=? "
                         "WHERE message_id=?", (status, attempts, error, next_attempt, message_id))
        return status

    def entries(self) -> list[dict[str, Any]]:
        """Return every log entry without the raw message, oldest first."""
        rows = self.store.connection.execute(
            "SELECT message_id, kind, unit, period, recipients, item_count, created_at, status, attempts, "
            "next_attempt_at, last_error, sent_at FROM mail_log ORDER BY created_at, message_id")
        return [dict(r) for r in rows]


def retry_delay(attempts: int) -> dt.timedelta:
    """Back-off after the given number of failed attempts (at least 1)."""
    return min(RETRY_BASE * (2 ** max(0, attempts - 1)), RETRY_MAX)


# ---------------------------------------------------------------- transports


class Transport(Protocol):
    def send(self, mail: OutgoingMail, envelope_from: str) -> None:
        """Hand one message over, or raise MailError."""
        ...

    def close(self) -> None:
        ...


class OutboxTransport:
    """Write each message as ``<message id>.eml`` in a folder: the default, needing no mail server.

    Writing the same id twice replaces the file, so the outbox never contains a message twice.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def send(self, mail: OutgoingMail, envelope_from: str) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            target = self.folder / f"{mail.message_id}.eml"
            partial = target.with_suffix(".eml.part")
            partial.write_bytes(mail.raw)
            os.replace(partial, target)
        except OSError as exc:
            raise MailError(f"cannot write to the outbox folder {self.folder}: {exc.strerror}") from exc

    def close(self) -> None:
        pass


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str  # "starttls", "ssl" or "none" (plain, only for a relay on the same machine)
    user: str | None
    password: str | None
    ca_file: str | None = None
    timeout: float = 30.0


class SmtpTransport:
    """Send through an SMTP server, one connection per delivery pass."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._client: smtplib.SMTP | None = None

    def _context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.settings.ca_file)

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        try:
            client: smtplib.SMTP
            if s.security == "ssl":
                client = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=self._context())
            else:
                client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
                if s.security == "starttls":
                    client.starttls(context=self._context())
            if s.user:
                client.login(s.user, s.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            raise MailError(f"SMTP login failed on {s.host}:{s.port} (code {exc.smtp_code}); "
                            "check KETNOI_SMTP_USER and KETNOI_SMTP_PASSWORD") from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise MailError(f"SMTP server {s.host}:{s.port} does not support {s.security or 'login'}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise MailError(f"cannot connect to SMTP server {s.host}:{s.port}: {_describe(exc)}") from exc
        return client

    def send(self, mail: OutgoingMail, envelope_from: str) -> None:
        if self._client is None:
            self._client = self._connect()
        try:
            self._client.sendmail(envelope_from, list(mail.recipients), mail.raw)
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            raise MailError(f"SMTP server {self.settings.host}:{self.settings.port} did not accept the message: "
                            f"{_describe(exc)}") from exc

    def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                client.close()
            except OSError:
                pass

    def close(self) -> None:
        if self._client is not None:
            try:
                self._client.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._drop()


def _describe(exc: BaseException) -> str:
    """Describe an SMTP or socket failure by kind and code only, since server replies may quote addresses."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in exc.recipients.values()})
        return f"{type(exc).__name__} {codes}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{type(exc).__name__} {exc.smtp_code}"
    if isinstance(exc, socket.timeout):
        return "timed out"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{type(exc).__name__}: {exc.strerror}"
    return type(exc).__name__


def read_secrets(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise MailConfigError(f"secrets file {path.name} is not valid TOML: {exc}") from exc
    smtp = data.get("smtp", {})
    return smtp if isinstance(smtp, dict) else {}


def smtp_settings(config: Config, environ: dict[str, str] | None = None) -> SmtpSettings:
    """Read the SMTP settings; the user name and password come from the environment, else the secrets file.

    The secrets file is ``secrets.toml`` in the configuration folder (git ignores it), or
    the file named by ``KETNOI_SECRETS_FILE``, with a ``[smtp]`` table of ``user`` and ``password``.
    """
    env = os.environ if environ is None else environ
    mail = config.mail
    security = str(mail.get("smtp_security", "starttls")).lower()
    if security not in {"starttls", "ssl", "none"}:
        raise MailConfigError(f"mail.smtp_security: expected starttls, ssl or none, got {security!r}")
    try:
        port = int(mail.get("smtp_port", 465 if security == "ssl" else 587))
    except (TypeError, ValueError) as exc:
        raise MailConfigError(f"mail.smtp_port: expected a port number, got {mail.get('smtp_port')!r}") from exc
    secrets_path = Path(env.get("KETNOI_SECRETS_FILE") or config.config_dir / "secrets.toml")
    secrets = read_secrets(secrets_path)
    user = env.get("KETNOI_SMTP_USER") or secrets.get("user")
    password = env.get("KETNOI_SMTP_PASSWORD") or secrets.get("password")
    ca_file = mail.get("smtp_ca_file")
    if ca_file and not Path(ca_file).is_absolute():
        ca_file = str(config.config_dir / ca_file)
    return SmtpSettings(host=str(mail.get("smtp_host", "localhost")), port=port, security=security,
                        user=user or None, password=password or None, ca_file=ca_file or None)


def make_transport(config: Config) -> Transport:
    kind = str(config.mail.get("transport", "outbox")).lower()
    if kind == "outbox":
        return OutboxTransport(config.outbox_dir)
    if kind == "smtp":
        return SmtpTransport(smtp_settings(config))
    raise MailConfigError(f"mail.transport: expected outbox or smtp, got {kind!r}")


# ---------------------------------------------------------------- delivery


@dataclass
class DeliveryResult:
    sent: list[str]
    retrying: list[str]
    failed: list[str]


def deliver_due(mail_log: MailLog, transport: Transport, config: Config, now: dt.datetime,
                only: set[str] | None = None, before_send: Callable[[str], None] | None = None) -> DeliveryResult:
    """Send every recorded message that is due (optionally only the ids in ``only``).

    ``before_send`` runs after a message is recorded and just before it is handed to the
    transport. Tests use it to stop the process at that point.
    """
    envelope_from = email.utils.parseaddr(config.mail.get("sender") or "")[1] or "noreply@localhost"
    result = DeliveryResult(sent=[], retrying=[], failed=[])
    try:
        for mail in mail_log.due(now):
            if only is not None and mail.message_id not in only:
                continue
            if before_send is not None:
                before_send(mail.message_id)
            attempts = mail.attempts + 1
            try:
                transport.send(mail, envelope_from)
            except MailError as exc:
                status = mail_log.mark_failed(mail.message_id, attempts, str(exc), now)
                (result.failed if status == "failed" else result.retrying).append(mail.message_id)
                log.warning("%s message %s for unit %s not sent (attempt %d, now %s): %s", mail.kind,
                            mail.message_id, mail.unit or "-", attempts, status, exc)
                continue
            mail_log.mark_sent(mail.message_id, now)
            result.sent.append(mail.message_id)
            log.info("%s message %s for unit %s sent to %d recipient(s)", mail.kind, mail.message_id,
                     mail.unit or "-", len(mail.recipients))
    finally:
        transport.close()
    return result

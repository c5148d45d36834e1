"""Delivery to a real SMTP server (aiosmtpd) on loopback: TLS, login, retries and a crash mid-send."""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
import json
import os
import re
import ssl
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from jobs.__main__ import delivery_message
from jobs.mail import MAX_ATTEMPTS, MailError, MailLog, SmtpSettings, SmtpTransport, smtp_settings
from tests.test_jobs_support import (CAINUOC_MARKER, SmtpServer, make_jobs, prepare_workbooks,
                                     synced_store, two_unit_config)

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
MONDAY = dt.datetime(2022, 11, 7, 7, 30, tzinfo=HCM)
REPO_ROOT = Path(__file__).resolve().parent.parent
USER, PASSWORD = "3ketnoi", "mat-khau-thu"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1, used as its own CA by the client."""
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def server_context(certificate) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


@pytest.fixture
def plain_server():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def units(config, schema, sample_path):
    config = two_unit_config(config)
    prepare_workbooks(config, schema, sample_path)
    synced_store(config, schema).close()
    return config


def smtp_config(config, port, security="none", **extra):
    return dataclasses.replace(config, mail={**config.mail, "transport": "smtp", "smtp_host": "127.0.0.1",
                                             "smtp_port": port, "smtp_security": security, **extra})


def run_digest(config, schema, when=MONDAY):
    store = synced_store(config, schema)
    try:
        return make_jobs(config, schema, store, when).digest(when)
    finally:
        store.close()


def check_digest(message, unit_code, file_name):
    """A digest parses cleanly: decoded subject, both parts, the attachment, links with row numbers."""
    assert message["Subject"].startswith("[3 Kết nối] ")
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert text.startswith("Kính gửi: ")
    assert "<table" in html
    attachments = list(message.iter_attachments())
    assert [a.get_filename() for a in attachments] == [f"danh-sach-loi-{unit_code}-07-11-2022.xlsx"]
    links = re.findall(re.escape(file_name) + r" › [^›\n<]+ › [A-Z]+\d+", text)
    assert links, "expected cell links in the plain text part"
    for link in links:
        row = int(re.search(r"(\d+)$", link).group(1))
        assert f"dòng: {row};" in text
    return text, html


def test_starttls_login_delivers_each_digest(units, schema, certificate, monkeypatch):
    monkeypatch.setenv("KETNOI_SMTP_USER", USER)
    monkeypatch.setenv("KETNOI_SMTP_PASSWORD", PASSWORD)
    server = SmtpServer(login=(USER, PASSWORD), tls_context=server_context(certificate), require_starttls=True,
                        auth_required=True).start()
    try:
        config = smtp_config(units, server.port, "starttls", smtp_ca_file=str(certificate[0]))
        result = run_digest(config, schema)
    finally:
        server.stop()

    received = {m["X-Ketnoi-Unit"]: m for m in server.handler.parsed()}
    assert sorted(received) == ["CAINUOC", "DAMDOI", "TINH"]
    assert len(result.sent) == 3
    assert server.handler.logins == [USER]
    envelopes = {tuple(rcpt) for _, rcpt, _ in server.handler.messages}
    assert envelopes == {("damdoi@tinhdoan.example",), ("cainuoc@tinhdoan.example",), ("vanphong@tinhdoan.example",)}

    damdoi_text, damdoi_html = check_digest(received["DAMDOI"], "DAMDOI", "DAMDOI.xlsx")
    assert received["DAMDOI"]["Subject"] == "[3 Kết nối] Huyện đoàn Đầm Dơi: 23 lỗi cần sửa, 9 cảnh báo"
    assert "DAMDOI.xlsx › Học bổng › E7" in damdoi_text
    assert "dòng: 7; cột: Số CCCD/Mã định danh" in damdoi_text
    assert CAINUOC_MARKER not in damdoi_text + damdoi_html
    cainuoc_text, cainuoc_html = check_digest(received["CAINUOC"], "CAINUOC", "CAINUOC.xlsx")
    assert received["CAINUOC"]["Subject"].startswith("[3 Kết nối] Huyện đoàn Cái Nước: ")
    assert CAINUOC_MARKER in cainuoc_text
    assert "Đầm Dơi" not in cainuoc_text + cainuoc_html
    raw_subject = [line for line in server.handler.messages[0][2].split(b"\r\n") if line.startswith(b"Subject:")]
    assert raw_subject and raw_subject[0].isascii()  # encoded words, not raw UTF-8


# aiosmtpd cannot tell that an implicit-TLS connection is encrypted, so login must be allowed "without TLS".
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_ssl_with_credentials_from_secrets_file(units, schema, certificate, monkeypatch):
    secrets_file = units.store_path.parent / "secrets.toml"
    secrets_file.write_text(f'[smtp]\nuser = "{USER}"\npassword = "{PASSWORD}"\n', encoding="utf-8")
    monkeypatch.setenv("KETNOI_SECRETS_FILE", str(secrets_file))
    server = SmtpServer(login=(USER, PASSWORD), ssl_context=server_context(certificate), auth_required=True,
                        auth_require_tls=False).start()
    try:
        config = smtp_config(units, server.port, "ssl", smtp_ca_file=str(certificate[0]))
        result = run_digest(config, schema)
    finally:
        server.stop()

    assert len(result.sent) == 3
    assert server.handler.logins == [USER]
    assert len(server.handler.messages) == 3


def test_settings_prefer_environment_over_secrets_file(config, tmp_path):
    secrets_file = tmp_path / "secrets.toml"
    secrets_file.write_text('[smtp]\nuser = "tu-tep"\npassword = "mat-khau-tep"\n', encoding="utf-8")

    from_file = smtp_settings(config, {"KETNOI_SECRETS_FILE": str(secrets_file)})
    from_env = smtp_settings(config, {"KETNOI_SECRETS_FILE": str(secrets_file), "KETNOI_SMTP_USER": "tu-env",
                                      "KETNOI_SMTP_PASSWORD": "mat-khau-env"})

    assert (from_file.user, from_file.password) == ("tu-tep", "mat-khau-tep")
    assert (from_env.user, from_env.password) == ("tu-env", "mat-khau-env")
    assert (from_env.host, from_env.port, from_env.security) == ("localhost", 587, "starttls")


def test_rejected_message_is_retried_with_back_off(units, schema, plain_server):
    config = smtp_config(units, plain_server.port)
    plain_server.handler.reject_next = 1
    store = synced_store(config, schema)
    try:
        jobs = make_jobs(config, schema, store, MONDAY)
        first = jobs.digest(MONDAY)
        log = {e["message_id"]: e for e in MailLog(store).entries()}
        early = jobs.deliver(MONDAY + dt.timedelta(minutes=4))
        late = jobs.deliver(MONDAY + dt.timedelta(minutes=5))
        entries = MailLog(store).entries()
    finally:
        store.close()

    assert len(first.retrying) == 1
    assert len(first.sent) == 2
    retried = log[first.retrying[0]]
    assert (retried["status"], retried["attempts"]) == ("retry", 1)
    assert "SMTPDataError 451" in retried["last_error"]
    assert retried["next_attempt_at"] == "2022-11-07T00:35:00+00:00"
    assert early.sent == []
    assert late.sent == first.retrying
    assert [(e["status"], e["attempts"]) for e in entries if e["message_id"] == first.retrying[0]] == [("sent", 2)]
    units_received = sorted(m["X-Ketnoi-Unit"] for m in plain_server.handler.parsed())
    assert units_received == ["CAINUOC", "DAMDOI", "TINH"]


def test_delivery_message_names_smtp_server(units, schema, plain_server):
    config = smtp_config(units, plain_server.port)
    plain_server.handler.reject_next = 1

    result = run_digest(config, schema)

    assert delivery_message(result, config) == ("Đã gửi 2 thư qua máy chủ thư 127.0.0.1; 1 thư sẽ gửi lại sau; "
                                                "0 thư không gửi được.")


def test_unreachable_server_gives_up_after_max_attempts(units, schema):
    port = SmtpServer().port  # never started: nothing listens there
    config = smtp_config(units, port)
    store = synced_store(config, schema)
    try:
        jobs = make_jobs(config, schema, store, MONDAY)
        jobs.digest(MONDAY)
        moment = MONDAY
        for _ in range(MAX_ATTEMPTS):
            moment += dt.timedelta(hours=7)
            jobs.deliver(moment)
        entries = MailLog(store).entries()
    finally:
        store.close()

    assert {(e["status"], e["attempts"]) for e in entries} == {("failed", MAX_ATTEMPTS)}
    assert all("cannot connect to SMTP server 127.0.0.1" in e["last_error"] for e in entries)


def test_wrong_password_raises_mail_error(certificate):
    server = SmtpServer(login=(USER, PASSWORD), tls_context=server_context(certificate), auth_required=True).start()
    transport = SmtpTransport(SmtpSettings(host="127.0.0.1", port=server.port, security="starttls", user=USER,
                                           password="sai-mat-khau", ca_file=str(certificate[0])))
    try:
        with pytest.raises(MailError, match=r"SMTP login failed on 127\.0\.0\.1:\d+ \(code 535\)"):
            transport._connect()
    finally:
        server.stop()


def test_untrusted_certificate_raises_mail_error(certificate):
    server = SmtpServer(tls_context=server_context(certificate)).start()
    transport = SmtpTransport(SmtpSettings(host="127.0.0.1", port=server.port, security="starttls", user=None,
                                           password=None))
    try:
        with pytest.raises(MailError, match="cannot connect to SMTP server .*SSLCertVerificationError"):
            transport._connect()
    finally:
        server.stop()


CHILD = """
import dataclasses, json, os, signal, sys
from pathlib import Path
from jobs.clock import FixedClock
import datetime as dt
from jobs.tasks import Jobs
from sheets_schema import load_config, load_schema
from sync.store import Store

settings = json.loads(sys.argv[1])
config = dataclasses.replace(load_config(), workbooks_dir=Path(settings["workbooks"]),
                             store_path=Path(settings["store"]), outbox_dir=Path(settings["outbox"]),
                             mail=settings["mail"])
config = dataclasses.replace(config, units=tuple(u for u in config.units if u.code in settings["units"]))
calls = []

def crash(message_id):
    calls.append(message_id)
    if len(calls) == settings["kill_at"]:
        os.kill(os.getpid(), signal.SIGKILL)

jobs = Jobs(config=config, schema=load_schema(), store=Store(config.store_path),
            clock=FixedClock(dt.datetime.fromisoformat(settings["now"]), config.timezone),
            before_send=crash if settings["kill_at"] else None)
jobs.digest(jobs.clock.now())
"""


@pytest.mark.parametrize("kill_at", [1, 2])
def test_crash_between_recorded_and_sent_delivers_once(units, schema, plain_server, tmp_path, kill_at):
    config = smtp_config(units, plain_server.port)
    script = tmp_path / "child.py"
    script.write_text(CHILD, encoding="utf-8")
    settings = {"workbooks": str(config.workbooks_dir), "store": str(config.store_path),
                "outbox": str(config.outbox_dir), "mail": config.mail, "units": [u.code for u in config.units],
                "now": MONDAY.isoformat()}
    env = {k: v for k, v in os.environ.items() if not k.startswith("KETNOI_")}
    env["PYTHONPATH"] = str(REPO_ROOT)

    crashed = subprocess.run([sys.executable, str(script), json.dumps({**settings, "kill_at": kill_at})],
                             env=env, capture_output=True, text=True)
    received_before_restart = len(plain_server.handler.messages)
    restarted = subprocess.run([sys.executable, str(script), json.dumps({**settings, "kill_at": 0})],
                               env=env, capture_output=True, text=True)
    again = subprocess.run([sys.executable, str(script), json.dumps({**settings, "kill_at": 0})],
                           env=env, capture_output=True, text=True)

    assert crashed.returncode == -9
    assert received_before_restart == kill_at - 1
    assert restarted.returncode == 0, restarted.stderr
    assert again.returncode == 0, again.stderr
    received = [m["X-Ketnoi-Unit"] for m in plain_server.handler.parsed()]
    assert sorted(received) == ["CAINUOC", "DAMDOI", "TINH"]
    message_ids = [m["Message-ID"] for m in plain_server.handler.parsed()]
    assert len(set(message_ids)) == 3

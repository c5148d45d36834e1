"""Command line: `python -m jobs`, `python -m jobs run-once JOB` and `python -m jobs preview KIND`."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from jobs.clock import Clock, FixedClock, SystemClock
from jobs.lock import AlreadyRunning, InstanceLock, lock_path
from jobs.mail import DeliveryResult, MailConfigError
from jobs.scheduler import JOB_NAMES, ScheduleConfigError, build_scheduler
from jobs.tasks import Jobs, due_reminders
from sheets_schema import ConfigError, load_config, load_schema
from sheets_schema.config import Config
from sync.store import Store

log = logging.getLogger("jobs")

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_LOCKED = 0, 1, 2, 3


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)


def _clock(timezone: str, at: str | None) -> Clock:
    if at is None:
        return SystemClock(timezone)
    return FixedClock(dt.datetime.fromisoformat(at), timezone)


def cmd_loop(jobs: Jobs) -> int:
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("received signal %d; stopping after the current job", signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    scheduler = build_scheduler(jobs.config, jobs.actions())
    for name in scheduler.runners:
        next_run = scheduler.next_run_of(name)
        log.info("job %s: next run %s", name, next_run.isoformat() if next_run else "none")
    log.info("scheduler started (time zone %s)", jobs.config.timezone)
    scheduler.run_forever(stop)
    log.info("scheduler stopped")
    return EXIT_OK


def cmd_run_once(jobs: Jobs, name: str) -> int:
    now = jobs.clock.now()
    if name == "reminders" and not due_reminders(jobs.config, now.date()):
        log.info("no deadline reminder falls on %s; only outstanding messages are delivered", now.date())
    try:
        result = jobs.actions()[name](now)
    except (MailConfigError, ScheduleConfigError):
        raise
    except Exception as exc:  # noqa: BLE001 - report the failure without quoting cell values
        log.error("job %s failed with %s; run with -v for the traceback", name, type(exc).__name__)
        log.debug("traceback of the failed job %s", name, exc_info=True)
        print(f"Công việc «{name}» không chạy xong; xem nhật ký để biết chi tiết.", file=sys.stderr)
        return EXIT_FAILED
    if name == "sync":
        print(result.text())
        return EXIT_OK
    print(delivery_message(result, jobs.config))
    return EXIT_OK if not result.failed else EXIT_FAILED


def _shown_path(path: Path) -> str:
    """Show ``path`` relative to the working folder when it lies inside it, else in full."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def delivery_message(result: DeliveryResult, config: Config) -> str:
    """Summarise a delivery pass for the operator in the words of the configured transport.

    The outbox transport only writes .eml files, so its summary must not claim that mail was sent.
    """
    transport = str(config.mail.get("transport", "outbox")).lower()
    sent, retrying, failed = len(result.sent), len(result.retrying), len(result.failed)
    if transport == "smtp":
        host = config.mail.get("smtp_host", "localhost")
        return (f"Đã gửi {sent} thư qua máy chủ thư {host}; {retrying} thư sẽ gửi lại sau; "
                f"{failed} thư không gửi được.")
    return (f"Đã ghi {sent} thư vào thư mục thư đi {_shown_path(config.outbox_dir)} (chưa gửi qua máy chủ thư); "
            f"{retrying} thư sẽ ghi lại sau; {failed} thư không ghi được.")


def cmd_preview(jobs: Jobs, kind: str, unit_code: str | None, out: str | None) -> int:
    now = jobs.clock.now()
    config = jobs.config
    if kind in {"digest", "reminder"}:
        if not unit_code or not config.has_unit(unit_code):
            print(f"Cần chỉ rõ đơn vị bằng --unit, một trong: {', '.join(u.code for u in config.units)}.",
                  file=sys.stderr)
            return EXIT_USAGE
    if kind == "digest":
        built = jobs.build_digest(config.unit(unit_code or ""), now, force=True)
    elif kind == "reminder":
        if not config.deadlines:
            print("Chưa cấu hình hạn chót nào trong programme.yaml.", file=sys.stderr)
            return EXIT_USAGE
        built = jobs.build_reminder(config.unit(unit_code or ""), config.deadlines[0], 3, now)
    else:
        built = jobs.build_weekly(now)
    assert built is not None  # build_digest returns a message whenever force is set
    name = f"{kind}-{unit_code}.html" if unit_code and kind != "weekly" else f"{kind}.html"
    path = Path(out) if out else config.outbox_dir / "preview" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(built.html, encoding="utf-8")
    print(path)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m jobs", description=(
        "Run the scheduled sync, digests, weekly summary and reminders (without a command: the scheduler loop)."))
    parser.add_argument("--config", help="configuration folder (default: KETNOI_CONFIG or config/)")
    parser.add_argument("--now", help="run as if the local time were this ISO time, e.g. 2022-11-07T07:30 "
                                      "(for run-once and preview)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("loop", help="run the scheduler until SIGTERM or Ctrl+C (the default)")
    run_once = commands.add_parser("run-once", help="run one job now and exit (for cron or systemd timers)")
    run_once.add_argument("job", choices=JOB_NAMES)
    preview = commands.add_parser("preview", help="write an e-mail's HTML to a file and print its path")
    preview.add_argument("kind", choices=("digest", "weekly", "reminder"))
    preview.add_argument("--unit", help="unit code, for digest and reminder")
    preview.add_argument("--out", help="output file (default: OUTBOX/preview/KIND-UNIT.html)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _configure_logging(args.verbose)
    try:
        config = load_config(args.config)
        schema = load_schema()
        clock = _clock(config.timezone, args.now)
    except (ConfigError, ValueError) as exc:
        print(f"Lỗi cấu hình: {exc}", file=sys.stderr)
        return EXIT_USAGE
    command = args.command or "loop"
    if command == "loop" and args.now:
        print("--now chỉ dùng với run-once và preview.", file=sys.stderr)
        return EXIT_USAGE

    lock = InstanceLock(lock_path(config.store_path))
    if command != "preview":
        try:
            lock.acquire()
        except AlreadyRunning as exc:
            log.error("%s", exc)
            print("Một tiến trình jobs khác đang chạy; dừng tiến trình đó trước khi chạy lệnh này.", file=sys.stderr)
            return EXIT_LOCKED
    store = Store(config.store_path)
    try:
        jobs = Jobs(config=config, schema=schema, store=store, clock=clock)
        if command == "loop":
            return cmd_loop(jobs)
        if command == "run-once":
            return cmd_run_once(jobs, args.job)
        return cmd_preview(jobs, args.kind, args.unit, args.out)
    except (MailConfigError, ScheduleConfigError) as exc:
        log.error("configuration error: %s", exc)
        print(f"Lỗi cấu hình: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        store.close()
        lock.release()


if __name__ == "__main__":
    sys.exit(main())

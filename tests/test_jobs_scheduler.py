"""The scheduler: a full week under an injected clock, downtime, failures, the lock and SIGTERM."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from jobs.clock import FixedClock
from jobs.lock import AlreadyRunning, InstanceLock
from jobs.scheduler import (DailyAt, EveryMinutes, OnDates, ScheduleConfigError, WeeklyAt, build_rules,
                            build_scheduler)

REPO_ROOT = Path(__file__).resolve().parent.parent
HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=HCM)


def recording_actions(fired: list[tuple[str, dt.datetime]]) -> dict:
    def make(name: str):
        return lambda now: fired.append((name, now))
    return {name: make(name) for name in ("sync", "digest", "weekly", "reminders", "deliver")}


def walk(scheduler, clock: FixedClock, until: dt.datetime) -> None:
    """Jump the clock from one due run to the next, as a sleeping loop would wake."""
    while True:
        upcoming = scheduler.next_run()
        if upcoming is None or upcoming > until:
            return
        clock.set(upcoming)
        scheduler.run_pending()


def test_week_walk_fires_each_job_when_due(config):
    # Sunday 06/11/2022 23:59 local time, walked to Sunday 13/11/2022 23:59.
    clock = FixedClock(local(2022, 11, 6, 23, 59))
    fired: list[tuple[str, dt.datetime]] = []
    scheduler = build_scheduler(config, clock, recording_actions(fired))

    walk(scheduler, clock, local(2022, 11, 13, 23, 59))

    counts = Counter(name for name, _ in fired)
    assert counts["sync"] == 7 * 24 * 4
    assert counts["deliver"] == 7 * 24 * 12
    digests = [when for name, when in fired if name == "digest"]
    assert digests == [local(2022, 11, day, 7, 30) for day in range(7, 14)]
    weekly = [when for name, when in fired if name == "weekly"]
    assert weekly == [local(2022, 11, 7, 8, 0)]
    reminders = [when for name, when in fired if name == "reminders"]
    # Report deadline 10/11: 7, 3 and 1 days before are 03/11, 07/11 and 09/11.
    # Awards deadline 15/11: 08/11, 12/11 and 14/11; 14/11 falls after the walk.
    assert reminders == [local(2022, 11, day, 7, 30) for day in (7, 8, 9, 12)]


def test_week_walk_runs_sync_before_digest(config):
    clock = FixedClock(local(2022, 11, 7, 7, 0))
    fired: list[tuple[str, dt.datetime]] = []
    scheduler = build_scheduler(config, clock, recording_actions(fired))

    walk(scheduler, clock, local(2022, 11, 7, 7, 30))

    at_half_past = [name for name, when in fired if when == local(2022, 11, 7, 7, 30)]
    assert at_half_past == ["sync", "digest", "reminders", "deliver"]


def test_scheduler_uses_local_time_not_utc(config):
    # 00:30 UTC is 07:30 in Ho Chi Minh City: the digest is due then, not at 07:30 UTC.
    clock = FixedClock(dt.datetime(2022, 11, 8, 0, 0, tzinfo=dt.timezone.utc))
    fired: list[tuple[str, dt.datetime]] = []
    scheduler = build_scheduler(config, clock, recording_actions(fired), names=("digest",))

    assert scheduler.next_run() == dt.datetime(2022, 11, 8, 0, 30, tzinfo=dt.timezone.utc)


def test_downtime_runs_each_overdue_job_once(config):
    clock = FixedClock(local(2022, 11, 7, 6, 0))
    fired: list[tuple[str, dt.datetime]] = []
    scheduler = build_scheduler(config, clock, recording_actions(fired))

    clock.advance(dt.timedelta(days=3))  # the machine was suspended for three days
    scheduler.run_pending()

    assert Counter(name for name, _ in fired) == {"sync": 1, "digest": 1, "weekly": 1, "reminders": 1, "deliver": 1}
    assert scheduler.jobs[0].next_run == local(2022, 11, 10, 6, 15)


def test_failing_job_is_logged_and_loop_continues(config, caplog):
    clock = FixedClock(local(2022, 11, 7, 7, 29))
    fired: list[tuple[str, dt.datetime]] = []
    actions = recording_actions(fired)

    def broken(now: dt.datetime) -> None:
        raise RuntimeError("simulated failure")

    actions["digest"] = broken
    scheduler = build_scheduler(config, clock, actions)

    walk(scheduler, clock, local(2022, 11, 8, 7, 30))

    assert [job.failures for job in scheduler.jobs if job.name == "digest"] == [2]
    assert "job digest failed with RuntimeError" in caplog.text
    assert Counter(name for name, _ in fired)["sync"] == 24 * 4 + 1


def test_rules_compute_next_run():
    moment = local(2022, 11, 7, 7, 30)

    assert EveryMinutes(15).next_after(moment) == local(2022, 11, 7, 7, 45)
    assert EveryMinutes(7).next_after(local(2022, 11, 7, 23, 58)) == local(2022, 11, 8, 0, 0)
    assert DailyAt(dt.time(7, 30)).next_after(moment) == local(2022, 11, 8, 7, 30)
    assert WeeklyAt(0, dt.time(8, 0)).next_after(moment) == local(2022, 11, 7, 8, 0)
    assert WeeklyAt(0, dt.time(8, 0)).next_after(local(2022, 11, 7, 8, 0)) == local(2022, 11, 14, 8, 0)
    assert OnDates((dt.date(2022, 11, 9),), dt.time(7, 30)).next_after(local(2022, 11, 9, 7, 30)) is None


@pytest.mark.parametrize("schedule, message", [
    ({"sync_every_minutes": 0}, "sync_every_minutes"),
    ({"digest_time": "7h30"}, "digest_time"),
    ({"weekly_summary": {"day": "thứ hai", "time": "08:00"}}, "weekly_summary.day"),
    ({"reminder_days_before": [7, -1]}, "reminder_days_before"),
])
def test_invalid_schedule_is_rejected(config, schedule, message):
    broken = dataclasses.replace(config, schedule={**config.schedule, **schedule})

    with pytest.raises(ScheduleConfigError, match=message):
        build_rules(broken)


def test_lock_admits_one_holder(tmp_path):
    first = InstanceLock(tmp_path / "jobs.lock")
    first.acquire()
    try:
        with pytest.raises(AlreadyRunning, match=f"pid {os.getpid()}"):
            InstanceLock(tmp_path / "jobs.lock").acquire()
    finally:
        first.release()

    with InstanceLock(tmp_path / "jobs.lock"):
        pass


def _environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KETNOI_")}
    env["KETNOI_DATA_DIR"] = str(tmp_path)
    env["PYTHONPATH"] = str(REPO_ROOT)
    return env


@pytest.mark.timeout(120)
def test_loop_holds_lock_and_stops_on_sigterm(tmp_path):
    env = _environment(tmp_path)
    loop = subprocess.Popen([sys.executable, "-m", "jobs"], cwd=REPO_ROOT, env=env,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert loop.stderr is not None
        for line in loop.stderr:
            if "scheduler started" in line:
                break

        second = subprocess.run([sys.executable, "-m", "jobs", "run-once", "sync"], cwd=REPO_ROOT, env=env,
                                capture_output=True, text=True)
        assert second.returncode == 3
        assert "Một tiến trình jobs khác đang chạy" in second.stderr

        loop.send_signal(signal.SIGTERM)
        rest = loop.stderr.read()
        assert loop.wait() == 0
        assert "scheduler stopped" in rest
    finally:
        if loop.poll() is None:
            loop.kill()
            loop.wait()

"""The scheduler: a full week on a moved machine clock, downtime, failures, the lock and SIGTERM.

The real `schedule` code runs. time-machine moves the clock it reads, one minute at a
time, and sets the machine's time zone (TZ) to the zone of the travel destination, so
a test can run the loop on a machine in UTC.
"""

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
import time_machine

from jobs.lock import AlreadyRunning, InstanceLock
from jobs.scheduler import EveryMinutes, ScheduleConfigError, Scheduler, build_rules, build_scheduler

REPO_ROOT = Path(__file__).resolve().parent.parent
HCM = ZoneInfo("Asia/Ho_Chi_Minh")
UTC = ZoneInfo("UTC")
MACHINE_ZONES = ("UTC", "Asia/Ho_Chi_Minh")


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=HCM)


def recording_actions(fired: list[tuple[str, dt.datetime]]) -> dict:
    def make(name: str):
        return lambda now: fired.append((name, now))
    return {name: make(name) for name in ("sync", "digest", "weekly", "reminders", "deliver")}


def travel(start: dt.datetime, machine_zone: str = "UTC") -> time_machine.travel:
    """Stop the machine clock at ``start``, with the machine's local time zone set to ``machine_zone``."""
    return time_machine.travel(start.astimezone(ZoneInfo(machine_zone)), tick=False)


def walk(scheduler: Scheduler, traveller: time_machine.Traveller, until: dt.datetime,
         step: dt.timedelta = dt.timedelta(minutes=1)) -> None:
    """Move the clock one step at a time up to ``until`` and let `schedule` run what is due after each step."""
    while dt.datetime.now(HCM) + step <= until:
        traveller.shift(step)
        scheduler.run_pending()


def times_of(fired: list[tuple[str, dt.datetime]], name: str) -> list[dt.datetime]:
    return [when for job, when in fired if job == name]


@pytest.mark.parametrize("machine_zone", MACHINE_ZONES)
def test_week_walk_fires_each_job_when_due(config, machine_zone):
    fired: list[tuple[str, dt.datetime]] = []
    # Sunday 06/11/2022 23:59 local time, walked to Sunday 13/11/2022 23:59.
    with travel(local(2022, 11, 6, 23, 59), machine_zone) as traveller:
        scheduler = build_scheduler(config, recording_actions(fired))
        walk(scheduler, traveller, local(2022, 11, 13, 23, 59))

    counts = Counter(name for name, _ in fired)
    assert counts["sync"] == 7 * 24 * 4
    assert counts["deliver"] == 7 * 24 * 12
    assert {(when.minute % 15, when.second) for when in times_of(fired, "sync")} == {(0, 0)}
    assert {(when.minute % 5, when.second) for when in times_of(fired, "deliver")} == {(0, 0)}
    assert times_of(fired, "digest") == [local(2022, 11, day, 7, 30) for day in range(7, 14)]
    assert times_of(fired, "weekly") == [local(2022, 11, 7, 8, 0)]
    # Report deadline 10/11: 7, 3 and 1 days before are 03/11, 07/11 and 09/11.
    # Awards deadline 15/11: 08/11, 12/11 and 14/11; 14/11 falls after the walk.
    assert times_of(fired, "reminders") == [local(2022, 11, day, 7, 30) for day in (7, 8, 9, 12)]
    assert all(when.tzinfo == HCM for _, when in fired)


@pytest.mark.parametrize("machine_zone", MACHINE_ZONES)
def test_same_minute_jobs_run_in_table_order(config, machine_zone):
    fired: list[tuple[str, dt.datetime]] = []
    with travel(local(2022, 11, 7, 7, 0), machine_zone) as traveller:
        scheduler = build_scheduler(config, recording_actions(fired))
        walk(scheduler, traveller, local(2022, 11, 7, 8, 0))

    at_half_past = [name for name, when in fired if when == local(2022, 11, 7, 7, 30)]
    assert at_half_past == ["sync", "digest", "reminders", "deliver"]
    at_eight = [name for name, when in fired if when == local(2022, 11, 7, 8, 0)]
    assert at_eight == ["sync", "weekly", "deliver"]


@pytest.mark.parametrize("machine_zone, start", [
    ("Europe/Berlin", local(2022, 10, 29, 0, 0)),  # summer time ends on 30/10/2022 at 01:00 UTC
    ("Europe/Berlin", local(2022, 3, 26, 0, 0)),  # summer time starts on 27/03/2022 at 01:00 UTC
])
def test_machine_clock_change_keeps_local_times(config, machine_zone, start):
    fired: list[tuple[str, dt.datetime]] = []
    with travel(start, machine_zone) as traveller:
        scheduler = build_scheduler(config, recording_actions(fired))
        walk(scheduler, traveller, start + dt.timedelta(days=3))

    assert Counter(name for name, _ in fired)["sync"] == 3 * 24 * 4
    assert times_of(fired, "digest") == [start.replace(day=start.day + n, hour=7, minute=30) for n in range(3)]


def test_utc_machine_runs_digest_at_local_time(config):
    fired: list[tuple[str, dt.datetime]] = []
    # 00:30 UTC is 07:30 in Ho Chi Minh City: the digest is due then, not at 07:30 UTC.
    with travel(dt.datetime(2022, 11, 8, 0, 0, tzinfo=UTC), "UTC") as traveller:
        scheduler = build_scheduler(config, recording_actions(fired), names=("digest",))

        assert scheduler.job("digest").next_run == dt.datetime(2022, 11, 8, 0, 30)  # naive machine time
        assert scheduler.next_run_of("digest") == dt.datetime(2022, 11, 8, 0, 30, tzinfo=UTC)

        walk(scheduler, traveller, dt.datetime(2022, 11, 8, 8, 0, tzinfo=UTC))

    assert times_of(fired, "digest") == [dt.datetime(2022, 11, 8, 0, 30, tzinfo=UTC)]


def test_downtime_runs_each_overdue_job_once(config):
    fired: list[tuple[str, dt.datetime]] = []
    with travel(local(2022, 11, 4, 9, 0, 10)) as traveller:
        scheduler = build_scheduler(config, recording_actions(fired))

        # The machine is suspended from Friday to Tuesday 08/11, a reminder day.
        traveller.shift(dt.timedelta(days=4))
        scheduler.run_pending()

        wake = local(2022, 11, 8, 9, 0, 10)
        assert Counter(name for name, _ in fired) == {"sync": 1, "digest": 1, "weekly": 1, "reminders": 1,
                                                      "deliver": 1}
        assert {when for _, when in fired} == {wake}
        # schedule computed each next run from the time of waking.
        assert scheduler.next_run_of("digest") == local(2022, 11, 9, 7, 30)
        assert scheduler.next_run_of("weekly") == local(2022, 11, 14, 8, 0)
        assert scheduler.next_run_of("reminders") == local(2022, 11, 9, 7, 30)
        assert scheduler.next_run_of("sync") == local(2022, 11, 8, 9, 15)

        walk(scheduler, traveller, local(2022, 11, 8, 9, 40))

    assert times_of(fired, "sync") == [wake, local(2022, 11, 8, 9, 15, 10), local(2022, 11, 8, 9, 30, 10)]
    assert times_of(fired, "digest") == [wake]


def test_long_sync_is_not_replayed(config):
    fired: list[tuple[str, dt.datetime]] = []
    actions = recording_actions(fired)
    with travel(local(2022, 11, 9, 7, 50)) as traveller:
        def slow_sync(now: dt.datetime) -> None:
            fired.append(("sync", now))
            if now == local(2022, 11, 9, 8, 0):
                traveller.shift(dt.timedelta(minutes=31))  # this sync takes 31 minutes

        actions["sync"] = slow_sync
        scheduler = build_scheduler(config, actions)
        walk(scheduler, traveller, local(2022, 11, 9, 9, 0))

    # The 08:15 and 08:30 steps were missed while the sync ran: one run catches up, at 08:32.
    assert times_of(fired, "sync") == [local(2022, 11, 9, 8, 0), local(2022, 11, 9, 8, 32),
                                       local(2022, 11, 9, 8, 45), local(2022, 11, 9, 9, 0)]


def test_sync_grid_restarts_at_midnight(config):
    fired: list[tuple[str, dt.datetime]] = []
    seven_minutes = dataclasses.replace(config, schedule={**config.schedule, "sync_every_minutes": 7})
    with travel(local(2022, 11, 9, 23, 45)) as traveller:
        scheduler = build_scheduler(seven_minutes, recording_actions(fired), names=("sync",))
        assert scheduler.next_run_of("sync") == local(2022, 11, 9, 23, 48)
        walk(scheduler, traveller, local(2022, 11, 10, 0, 10))

    assert times_of(fired, "sync") == [local(2022, 11, 9, 23, 48), local(2022, 11, 9, 23, 55),
                                       local(2022, 11, 10, 0, 0), local(2022, 11, 10, 0, 7)]


def test_failing_job_is_logged_and_loop_continues(config, caplog):
    fired: list[tuple[str, dt.datetime]] = []
    actions = recording_actions(fired)

    def broken(now: dt.datetime) -> None:
        raise RuntimeError("simulated failure")

    actions["digest"] = broken
    with travel(local(2022, 11, 7, 7, 29)) as traveller:
        scheduler = build_scheduler(config, actions)
        walk(scheduler, traveller, local(2022, 11, 8, 7, 30))

        # A failed digest waits for the next day, as a successful one would.
        assert scheduler.next_run_of("digest") == local(2022, 11, 9, 7, 30)

    assert scheduler.runners["digest"].failures == 2
    assert scheduler.runners["digest"].runs == 2
    assert "job digest failed with RuntimeError" in caplog.text
    assert "simulated failure" not in caplog.text
    assert Counter(name for name, _ in fired)["sync"] == 24 * 4 + 1


def test_grid_step_is_counted_from_midnight():
    assert EveryMinutes(15).latest_step(local(2022, 11, 7, 7, 37, 12)) == local(2022, 11, 7, 7, 30)
    assert EveryMinutes(15).latest_step(local(2022, 11, 7, 7, 30)) == local(2022, 11, 7, 7, 30)
    assert EveryMinutes(7).latest_step(local(2022, 11, 7, 23, 59)) == local(2022, 11, 7, 23, 55)
    assert EveryMinutes(1440).latest_step(local(2022, 11, 7, 23, 59)) == local(2022, 11, 7, 0, 0)


@pytest.mark.parametrize("schedule, message", [
    ({"sync_every_minutes": 0}, "sync_every_minutes"),
    ({"sync_every_minutes": "15"}, "sync_every_minutes"),
    ({"digest_time": "7h30"}, "digest_time"),
    ({"weekly_summary": {"day": "thứ hai", "time": "08:00"}}, "weekly_summary.day"),
    ({"weekly_summary": {"day": "monday", "time": "8 giờ"}}, "weekly_summary.time"),
    ({"reminder_time": "25:00"}, "reminder_time"),
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
    env["TZ"] = "UTC"  # the machine runs in UTC; the jobs still run on Ho Chi Minh City time
    return env


@pytest.mark.timeout(120)
def test_loop_holds_lock_and_stops_on_sigterm(tmp_path):
    env = _environment(tmp_path)
    loop = subprocess.Popen([sys.executable, "-m", "jobs"], cwd=REPO_ROOT, env=env,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert loop.stderr is not None
        started = []
        for line in loop.stderr:
            started.append(line)
            if "scheduler started" in line:
                break
        digest_line = next(line for line in started if "job digest: next run" in line)
        assert "T07:30:00+07:00" in digest_line

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

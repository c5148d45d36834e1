"""The jobs' timetable on the `schedule` package, in the programme's time zone.

`schedule` (1.2.2) reads the machine's clock through `datetime.datetime.now()` and keeps
each job's next run as a naive datetime in the machine's local time. Daily and weekly
jobs are given the programme's time zone through `.at(time, timezone)`, which needs
pytz, so they run at the programme's local time even when the machine runs in UTC.

After a job runs, `schedule` computes its next run from the current time, so a loop
that was asleep or suspended for hours runs each overdue job once and never replays
the missed runs.

`schedule` starts an every-N-minutes job N minutes after it was registered, not on the
quarter hour. The sync and deliver jobs are therefore run by a tick on every whole
minute that starts the action only when a new step of the N-minute grid (counted from
local midnight) has begun since the action last started.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping
from zoneinfo import ZoneInfo

import schedule

from sheets_schema.config import Config

log = logging.getLogger(__name__)

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
JOB_NAMES = ("sync", "digest", "weekly", "reminders", "deliver")
DELIVER_EVERY_MINUTES = 5


class ScheduleConfigError(ValueError):
    """The `schedule` section of programme.yaml is invalid."""


# ---------------------------------------------------------------- timetable


@dataclass(frozen=True)
class EveryMinutes:
    """Every ``minutes`` minutes, on multiples of the interval counted from local midnight."""

    minutes: int

    def latest_step(self, moment: dt.datetime) -> dt.datetime:
        """Return the latest step of the grid at or before ``moment``."""
        midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        step = dt.timedelta(minutes=self.minutes)
        return midnight + (moment - midnight) // step * step


@dataclass(frozen=True)
class DailyAt:
    at: dt.time


@dataclass(frozen=True)
class WeeklyAt:
    weekday: str  # one of WEEKDAYS
    at: dt.time


@dataclass(frozen=True)
class OnDates:
    """At ``at`` on each of the given dates (the deadline reminder days)."""

    dates: tuple[dt.date, ...]
    at: dt.time


Rule = EveryMinutes | DailyAt | WeeklyAt | OnDates


def parse_time(value: Any, what: str) -> dt.time:
    try:
        return dt.time.fromisoformat(str(value))
    except ValueError as exc:
        raise ScheduleConfigError(f"schedule.{what}: expected a time like 07:30, got {value!r}") from exc


def reminder_dates(config: Config) -> tuple[dt.date, ...]:
    days_before = reminder_days_before(config)
    return tuple(sorted({d.date - dt.timedelta(days=n) for d in config.deadlines for n in days_before}))


def reminder_days_before(config: Config) -> tuple[int, ...]:
    raw = config.schedule.get("reminder_days_before", [7, 3, 1])
    try:
        days = tuple(int(n) for n in raw)
    except (TypeError, ValueError) as exc:
        raise ScheduleConfigError(f"schedule.reminder_days_before: expected a list of days, got {raw!r}") from exc
    if any(n < 0 for n in days):
        raise ScheduleConfigError(f"schedule.reminder_days_before: days must not be negative, got {raw!r}")
    return days


def build_rules(config: Config) -> dict[str, Rule]:
    """Read the `schedule` section of the configuration into one rule per job."""
    section = config.schedule
    every = section.get("sync_every_minutes", 15)
    if not isinstance(every, int) or isinstance(every, bool) or not 1 <= every <= 1440:
        raise ScheduleConfigError(f"schedule.sync_every_minutes: expected 1 to 1440 minutes, got {every!r}")
    digest_time = parse_time(section.get("digest_time", "07:30"), "digest_time")
    weekly = section.get("weekly_summary") or {}
    day = str(weekly.get("day", "monday")).lower()
    if day not in WEEKDAYS:
        raise ScheduleConfigError(f"schedule.weekly_summary.day: expected one of {', '.join(WEEKDAYS)}, got {day!r}")
    reminder_time = parse_time(section.get("reminder_time", section.get("digest_time", "07:30")), "reminder_time")
    return {
        "sync": EveryMinutes(every),
        "digest": DailyAt(digest_time),
        "weekly": WeeklyAt(day, parse_time(weekly.get("time", "08:00"), "weekly_summary.time")),
        "reminders": OnDates(reminder_dates(config), reminder_time),
        "deliver": EveryMinutes(DELIVER_EVERY_MINUTES),
    }


# ---------------------------------------------------------------- running


@dataclass
class JobRunner:
    """Callable that `schedule` runs for one job. It passes the local time to the action and counts failures.

    `schedule` does not catch exceptions, and a job that raises keeps its old next run, so
    the loop would retry it on every pass. The runner logs and swallows them instead.
    """

    name: str
    rule: Rule
    action: Callable[[dt.datetime], Any]
    tz: ZoneInfo
    last_step: dt.datetime | None = None  # EveryMinutes only: the grid step of the latest start
    last_run: dt.datetime | None = None
    runs: int = 0
    failures: int = 0

    def __call__(self) -> None:
        now = dt.datetime.now(self.tz)
        if not self._due(now):
            return
        self._run(now)

    def _due(self, now: dt.datetime) -> bool:
        if isinstance(self.rule, EveryMinutes):
            step = self.rule.latest_step(now)
            if self.last_step is not None and step <= self.last_step:
                return False
            self.last_step = step
            return True
        if isinstance(self.rule, OnDates) and now.date() not in self.rule.dates:
            log.debug("job %s: no deadline reminder falls on %s", self.name, now.date().isoformat())
            return False
        return True

    def _run(self, now: dt.datetime) -> None:
        log.info("job %s started", self.name)
        self.last_run = now
        self.runs += 1
        try:
            self.action(now)
        except Exception as exc:  # noqa: BLE001 - one failing job must not stop the loop
            self.failures += 1
            # The exception text may quote a cell value, so only its type is logged above DEBUG.
            log.error("job %s failed with %s (%d failures since start); the loop continues", self.name,
                      type(exc).__name__, self.failures)
            log.debug("traceback of the failed job %s", self.name, exc_info=True)
        else:
            log.info("job %s finished", self.name)


class Scheduler(schedule.Scheduler):
    """A `schedule.Scheduler` that keeps each job's runner by name and runs until an event is set."""

    def __init__(self, timezone: str) -> None:
        super().__init__()
        self.timezone = timezone
        self.tz = ZoneInfo(timezone)
        self.runners: dict[str, JobRunner] = {}

    def add(self, name: str, rule: Rule, action: Callable[[dt.datetime], Any]) -> schedule.Job:
        runner = JobRunner(name=name, rule=rule, action=action, tz=self.tz)
        if isinstance(rule, EveryMinutes):
            # The first run is at the first grid step after now, as with any interval timer.
            runner.last_step = rule.latest_step(dt.datetime.now(self.tz))
            job = self.every().minute.at(":00", self.timezone)
        elif isinstance(rule, WeeklyAt):
            job = getattr(self.every(), rule.weekday).at(f"{rule.at:%H:%M:%S}", self.timezone)
        else:
            job = self.every().day.at(f"{rule.at:%H:%M:%S}", self.timezone)
        self.runners[name] = runner
        return job.tag(name).do(runner)

    def job(self, name: str) -> schedule.Job:
        (job,) = self.get_jobs(name)
        return job

    def next_run_of(self, name: str) -> dt.datetime | None:
        """Return when the job's action starts next, in the programme's time zone, or None if never.

        For the sync and deliver jobs this is the next grid step (a late tick may start it
        later), and for the reminders the next reminder day, not the next daily check.
        """
        next_run = self.job(name).next_run
        if next_run is None:
            return None
        local = next_run.astimezone(self.tz)
        rule = self.runners[name].rule
        if isinstance(rule, EveryMinutes):
            last_step = self.runners[name].last_step or rule.latest_step(local)
            midnight = last_step.replace(hour=0, minute=0) + dt.timedelta(days=1)
            return min(last_step + dt.timedelta(minutes=rule.minutes), midnight)
        if isinstance(rule, OnDates):
            upcoming = [local.replace(year=day.year, month=day.month, day=day.day) for day in rule.dates]
            return min((moment for moment in upcoming if moment >= local), default=None)
        return local

    def run_forever(self, stop: threading.Event, max_wait_seconds: float = 60.0) -> None:
        """Run due jobs until ``stop`` is set. Waits are capped, so a clock jump is noticed within a minute."""
        while not stop.is_set():
            self.run_pending()
            idle = self.idle_seconds
            wait = max_wait_seconds if idle is None else min(max_wait_seconds, max(0.5, idle))
            stop.wait(wait)


def build_scheduler(config: Config, actions: Mapping[str, Callable[[dt.datetime], Any]],
                    names: Iterable[str] = JOB_NAMES) -> Scheduler:
    """Register the jobs in a fixed order, the sync first, so a digest due in the same minute reads that sync's data.

    `schedule` runs the jobs due in one pass sorted by next run. Jobs due in the same
    minute have equal next runs, and the sort is stable, so they run in this order.
    """
    rules = build_rules(config)
    scheduler = Scheduler(config.timezone)
    for name in names:
        scheduler.add(name, rules[name], actions[name])
    return scheduler

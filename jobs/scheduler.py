"""A small scheduler with an injectable clock, in the programme's time zone.

Each job has a rule that computes its next run strictly after a given moment. After a
job runs, its next run is computed from the current time, so a loop that was asleep
or suspended for hours runs each overdue job once and never replays the missed runs.
The `schedule` package works the same way but reads the machine's clock directly and
needs pytz for time zones, which is why the jobs use this module instead.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Protocol

from jobs.clock import Clock
from sheets_schema.config import Config

log = logging.getLogger(__name__)

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
JOB_NAMES = ("sync", "digest", "weekly", "reminders", "deliver")
DELIVER_EVERY_MINUTES = 5


class ScheduleConfigError(ValueError):
    """The `schedule` section of programme.yaml is invalid."""


class Rule(Protocol):
    def next_after(self, moment: dt.datetime) -> dt.datetime | None:
        """Return the first run strictly after ``moment``, or None when the job has no runs left."""
        ...


@dataclass(frozen=True)
class EveryMinutes:
    """Every ``minutes`` minutes, on multiples of the interval counted from local midnight."""

    minutes: int

    def next_after(self, moment: dt.datetime) -> dt.datetime:
        midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        step = dt.timedelta(minutes=self.minutes)
        steps = (moment - midnight) // step + 1
        candidate = midnight + steps * step
        next_midnight = midnight + dt.timedelta(days=1)
        return min(candidate, next_midnight)


@dataclass(frozen=True)
class DailyAt:
    at: dt.time

    def next_after(self, moment: dt.datetime) -> dt.datetime:
        candidate = dt.datetime.combine(moment.date(), self.at, tzinfo=moment.tzinfo)
        if candidate <= moment:
            candidate = dt.datetime.combine(moment.date() + dt.timedelta(days=1), self.at, tzinfo=moment.tzinfo)
        return candidate


@dataclass(frozen=True)
class WeeklyAt:
    weekday: int  # Monday is 0
    at: dt.time

    def next_after(self, moment: dt.datetime) -> dt.datetime:
        days_ahead = (self.weekday - moment.weekday()) % 7
        candidate = dt.datetime.combine(moment.date() + dt.timedelta(days=days_ahead), self.at, tzinfo=moment.tzinfo)
        if candidate <= moment:
            candidate += dt.timedelta(days=7)
        return candidate


@dataclass(frozen=True)
class OnDates:
    """At ``at`` on each of the given dates (the deadline reminder days)."""

    dates: tuple[dt.date, ...]
    at: dt.time

    def next_after(self, moment: dt.datetime) -> dt.datetime | None:
        for day in sorted(self.dates):
            candidate = dt.datetime.combine(day, self.at, tzinfo=moment.tzinfo)
            if candidate > moment:
                return candidate
        return None


@dataclass
class Job:
    name: str
    rule: Rule
    action: Callable[[dt.datetime], Any]
    next_run: dt.datetime | None = None
    last_run: dt.datetime | None = None
    failures: int = 0


@dataclass
class Scheduler:
    clock: Clock
    jobs: list[Job] = field(default_factory=list)

    def add(self, name: str, rule: Rule, action: Callable[[dt.datetime], Any]) -> Job:
        job = Job(name=name, rule=rule, action=action, next_run=rule.next_after(self.clock.now()))
        self.jobs.append(job)
        return job

    def run_pending(self) -> list[str]:
        """Run every job that is due, in the order they were added, and return their names.

        A job that raises is logged and rescheduled like one that succeeded.
        """
        fired = []
        for job in self.jobs:
            now = self.clock.now()
            if job.next_run is None or job.next_run > now:
                continue
            self._run(job, now)
            job.next_run = job.rule.next_after(max(now, self.clock.now()))
            fired.append(job.name)
        return fired

    def _run(self, job: Job, now: dt.datetime) -> None:
        log.info("job %s started", job.name)
        job.last_run = now
        try:
            job.action(now)
        except Exception as exc:  # noqa: BLE001 - one failing job must not stop the loop
            job.failures += 1
            # The exception text may quote a cell value, so only its type is logged above DEBUG.
            log.error("job %s failed with %s (%d failures since start); the loop continues", job.name,
                      type(exc).__name__, job.failures)
            log.debug("traceback of the failed job %s", job.name, exc_info=True)
        else:
            log.info("job %s finished", job.name)

    def next_run(self) -> dt.datetime | None:
        pending = [job.next_run for job in self.jobs if job.next_run is not None]
        return min(pending) if pending else None

    def run_forever(self, stop: threading.Event, max_wait_seconds: float = 60.0) -> None:
        """Run due jobs until ``stop`` is set. Waits are capped, so a clock jump is noticed within a minute."""
        while not stop.is_set():
            self.run_pending()
            upcoming = self.next_run()
            wait = max_wait_seconds
            if upcoming is not None:
                wait = min(max_wait_seconds, max(0.5, (upcoming - self.clock.now()).total_seconds()))
            stop.wait(wait)


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
    schedule = config.schedule
    every = schedule.get("sync_every_minutes", 15)
    if not isinstance(every, int) or not 1 <= every <= 1440:
        raise ScheduleConfigError(f"schedule.sync_every_minutes: expected 1 to 1440 minutes, got {every!r}")
    digest_time = parse_time(schedule.get("digest_time", "07:30"), "digest_time")
    weekly = schedule.get("weekly_summary") or {}
    day = str(weekly.get("day", "monday")).lower()
    if day not in WEEKDAYS:
        raise ScheduleConfigError(f"schedule.weekly_summary.day: expected one of {', '.join(WEEKDAYS)}, got {day!r}")
    return {
        "sync": EveryMinutes(every),
        "digest": DailyAt(digest_time),
        "weekly": WeeklyAt(WEEKDAYS.index(day), parse_time(weekly.get("time", "08:00"), "weekly_summary.time")),
        "reminders": OnDates(reminder_dates(config),
                             parse_time(schedule.get("reminder_time", schedule.get("digest_time", "07:30")),
                                        "reminder_time")),
        "deliver": EveryMinutes(DELIVER_EVERY_MINUTES),
    }


def build_scheduler(config: Config, clock: Clock, actions: Mapping[str, Callable[[dt.datetime], Any]],
                    names: Iterable[str] = JOB_NAMES) -> Scheduler:
    """Register the jobs in a fixed order, the sync first, so a digest due in the same minute reads that sync's data."""
    rules = build_rules(config)
    scheduler = Scheduler(clock)
    for name in names:
        scheduler.add(name, rules[name], actions[name])
    return scheduler

"""A spec schedule (5-field cron in an IANA zone) as Fabric job scheduler configurations.

Fabric schedules an item with `Daily` (times of day), `Weekly` (weekdays and times),
`Monthly` (one day of the month every N months, and times) or `Cron` (every N minutes)
configurations, in a Windows time zone, and one item may have several schedules. A cron is
translated exactly or not at all:

| cron | Fabric |
|---|---|
| every day, at most 100 times | one `Daily` |
| some weekdays, at most 100 times | one `Weekly` |
| some days of the month, months every N | one `Monthly` per day of the month |
| every N minutes all day (N divides a day), over 100 times | one `Cron` with interval N (start in UTC) |

Day-of-month OR day-of-week schedules and month filters on daily/weekly schedules have no
exact form and are errors (the caller reports them).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from ...cron import CronExpr
from ...ir import Schedule

MAX_TIMES = 100
MAX_SCHEDULES = 20
_WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
_DAY = 24 * 60


class FabricScheduleError(ValueError):
    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class FabricSchedules:
    configurations: tuple[dict[str, Any], ...]
    enabled: bool
    zone: str  # Windows time zone id


def windows_zone(iana: str) -> str | None:
    """The Windows time zone id Fabric expects for an IANA zone (CLDR mapping, via tzlocal)."""
    from tzlocal.windows_tz import tz_win

    return tz_win.get(iana) or ({"UTC": "UTC", "Etc/UTC": "UTC", "Etc/GMT": "UTC"}.get(iana))


def _offsets(timezone: str, year: int) -> list[int]:
    """UTC offsets (minutes) of the zone over a year, sampled daily: the first is the one at the start."""
    zone, day, out = ZoneInfo(timezone), dt.datetime(year, 1, 1, 12), []
    while day.year == year:
        offset = day.replace(tzinfo=zone).utcoffset()
        out.append(int(offset.total_seconds() // 60) if offset else 0)
        day += dt.timedelta(days=1)
    return out


def _interval_start(schedule: Schedule, start: dt.date, first: int, step: int) -> str:
    """A `Cron` schedule repeats every `step` minutes from its start, which Fabric reads in UTC."""
    offsets = _offsets(schedule.timezone, start.year)
    if any((o - offsets[0]) % step for o in offsets):
        raise FabricScheduleError(
            f"every {step} minutes in {schedule.timezone} does not survive its daylight-saving change",
            "use an interval that divides 60 minutes, or a UTC schedule",
        )
    at = dt.datetime.combine(start, dt.time()) + dt.timedelta(minutes=first - offsets[0])
    return at.strftime("%Y-%m-%dT%H:%M:%S")


def _months_recurrence(cron: CronExpr, start: dt.date) -> tuple[int, dt.date]:
    """(every N months, first day of the first month on or after `start` that the cron runs in)."""
    months = sorted(cron._months)
    step = 12 if len(months) == 1 else months[1] - months[0]
    if 12 % step or months != list(range(months[0], 13, step))[: len(months)] or len(months) * step != 12:
        raise FabricScheduleError(
            f"months {cron.month} are not every N months through the year",
            "Fabric repeats a monthly schedule every N months: use months that are evenly spaced",
        )
    year, month = start.year, start.month
    while month not in cron._months:
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return step, dt.date(year, month, 1)


def to_fabric(schedule: Schedule, start: dt.date, end: dt.date, paused: bool) -> FabricSchedules:
    cron = schedule.cron
    zone = windows_zone(schedule.timezone)
    if zone is None:
        raise FabricScheduleError(
            f"Fabric has no Windows time zone for {schedule.timezone!r}",
            "use a time zone with a Windows equivalent (e.g. Europe/Berlin, America/New_York) or UTC",
        )
    rule = cron._day_rule().value
    all_months = len(cron._months) == 12
    times = sorted(h * 60 + m for h in cron._hours for m in cron._minutes)
    base = {"localTimeZoneId": zone, "endDateTime": f"{end.isoformat()}T23:59:00"}
    first = f"{start.isoformat()}T00:00:00"
    hhmm = [f"{t // 60:02d}:{t % 60:02d}" for t in times]
    configs: list[dict[str, Any]]
    if rule == "either":
        raise FabricScheduleError(
            f"'{cron.source}' runs when the day of the month OR the weekday matches",
            "split it into two pipelines, or drop one of the two day restrictions",
        )
    if len(times) > MAX_TIMES:
        step = times[1] - times[0]
        if rule != "all" or not all_months or _DAY % step or times != list(range(times[0], _DAY, step)):
            raise FabricScheduleError(
                f"'{cron.source}' runs {len(times)} times a day; Fabric takes at most {MAX_TIMES} times of day",
                "run it every N minutes all day (N dividing 24 hours), or at fewer times",
            )
        configs = [
            {"type": "Cron", "interval": step, "startDateTime": _interval_start(schedule, start, times[0], step)}
        ]
    elif rule == "all" and all_months:
        configs = [{"type": "Daily", "times": hhmm, "startDateTime": first}]
    elif rule == "dow" and all_months:
        days = [_WEEKDAYS[d] for d in sorted(cron._dows)]
        configs = [{"type": "Weekly", "weekdays": days, "times": hhmm, "startDateTime": first}]
    elif rule in ("dom", "all"):  # "all" here: every day of some months, a monthly schedule per day
        doms = sorted(cron._doms) if rule == "dom" else list(range(1, 32))
        if len(doms) > MAX_SCHEDULES:
            raise FabricScheduleError(
                f"'{cron.source}' runs on {len(doms)} days of the month; Fabric needs one monthly schedule per day "
                f"and an item takes at most {MAX_SCHEDULES}",
                "run on fewer days of the month",
            )
        every, month_start = _months_recurrence(cron, start)
        first = f"{max(start, month_start).isoformat()}T00:00:00"
        configs = [
            {
                "type": "Monthly",
                "recurrence": every,
                "occurrence": {"occurrenceType": "DayOfMonth", "dayOfMonth": day},
                "times": hhmm,
                "startDateTime": first,
            }
            for day in doms
        ]
    else:
        raise FabricScheduleError(
            f"'{cron.source}' runs on some weekdays of some months only",
            "Fabric's weekly schedules have no month filter: run every month, or split the pipeline",
        )
    return FabricSchedules(tuple(base | c for c in configs), not paused, zone)

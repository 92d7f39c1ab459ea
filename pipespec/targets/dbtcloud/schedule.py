"""A spec schedule (cron in an IANA time zone) as the UTC cron dbt Cloud runs.

A fixed-offset zone (UTC, Asia/Kolkata, Etc/GMT+5 …) translates exactly when the shifted
times still form one cron: every firing moves by the same number of days, minutes and hours
stay a product, and a restricted day-of-month is never moved across a day boundary. A zone
with daylight saving cannot be one UTC cron: the offset used most of the year is taken and
the hour the job runs off during the rest of it is reported.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from ...cron import CronExpr, parse_cron, to_airflow

_DAY = 24 * 60


@dataclass(frozen=True)
class UtcSchedule:
    cron: str  # 5-field cron in UTC ("" when it cannot be expressed)
    offset_min: int  # local = UTC + offset
    fixed: bool  # the zone has one offset all year
    other_offsets: tuple[int, ...]  # the zone's other offsets (daylight saving)
    problem: str = ""  # why the schedule cannot be one UTC cron


def zone_offsets(timezone: str, year: int) -> Counter[int]:
    """Offset in minutes -> days of `year` and the next year it applies (at noon)."""
    zone = ZoneInfo(timezone)
    day = dt.datetime(year, 1, 1, 12, tzinfo=zone)
    found: Counter[int] = Counter()
    while day.year < year + 2:
        offset = day.utcoffset()
        found[int(offset.total_seconds() // 60) if offset is not None else 0] += 1
        day += dt.timedelta(days=1)
    return found


def _text(values: set[int]) -> str:
    """Sorted values with runs of three or more as ranges."""
    vals, parts = sorted(values), []
    start = prev = vals[0]
    for v in [*vals[1:], None]:
        if v is not None and v == prev + 1:
            prev = v
            continue
        parts.append(f"{start}-{prev}" if prev - start >= 2 else ",".join(str(x) for x in range(start, prev + 1)))
        if v is not None:
            start = prev = v
    return ",".join(parts)


def to_utc(cron: CronExpr, timezone: str, year: int) -> UtcSchedule:
    offsets = zone_offsets(timezone, year)
    offset = min(offsets, key=lambda o: (-offsets[o], o))  # the one in effect most days
    others = tuple(sorted(o for o in offsets if o != offset))
    fixed = not others
    if offset == 0:
        return UtcSchedule(to_airflow(cron), 0, fixed, others)

    def fail(why: str) -> UtcSchedule:
        return UtcSchedule("", offset, fixed, others, why)

    times = {h * 60 + m for h in cron._hours for m in cron._minutes}
    moved = {t - offset for t in times}
    day_shifts = {t // _DAY for t in moved}
    utc_times = {t % _DAY for t in moved}
    minutes = {t % 60 for t in utc_times}
    hours = {t // 60 for t in utc_times}
    if len(minutes) * len(hours) != len(utc_times):
        return fail("the shifted times are not every combination of some minutes and some hours")
    days_restricted = cron.day_of_month != "*" or cron.month != "*" or cron.day_of_week != "*"
    if len(day_shifts) > 1 and days_restricted:
        return fail("some runs move to the previous or next day and others do not, and the days are restricted")
    shift = day_shifts.pop() if len(day_shifts) == 1 else 0
    dow = cron.day_of_week
    if shift and (cron.day_of_month != "*" or cron.month != "*"):
        return fail("runs move to another day, and a day of the month or a month cannot move with them")
    if shift and dow != "*":
        dow = _text({(d + shift) % 7 for d in cron._dows})
    text = f"{_text(minutes)} {_text(hours)} {cron.day_of_month} {cron.month} {dow}"
    return UtcSchedule(parse_cron(text).fields_text, offset, fixed, others)


def format_offset(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"

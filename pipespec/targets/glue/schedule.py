"""The start trigger's schedule: Glue reads `cron(...)` in UTC only, so the spec's time zone is
translated here.

- A zone with one UTC offset all year (UTC, Asia/Kolkata, Etc/GMT+5, …) translates exactly: the
  local fire times shifted to UTC, day fields moved when the shift crosses midnight.
- A zone with daylight saving time has two offsets; one UTC cron cannot follow both. The offset
  in effect on most days of `REFERENCE_YEAR` is used and `dst_note` says when, and by how much,
  the runs move in local time the rest of the year (a WARNING, not an error: the pipeline still
  runs daily, an hour early or late for part of the year).
- A schedule whose UTC form is not one cron expression (some fire times cross midnight and
  others do not; a day-of-month near a month boundary; a restricted month with a day shift)
  raises `CronError` with a hint: write the schedule in UTC.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from ...cron import CronError, CronExpr, _Days, parse_cron, to_eventbridge

REFERENCE_YEAR = 2026  # fixed, so a render is the same whatever day it runs
MINUTES_PER_DAY = 1440
UTC_HINT = "write the schedule in UTC (`timezone: UTC`) with the hours you want"


@dataclass(frozen=True)
class Period:
    """Days of the reference year with one UTC offset."""

    offset_min: int  # local time = UTC + offset
    days: int
    first: dt.date
    last: dt.date


@dataclass(frozen=True)
class UtcSchedule:
    expression: str  # Glue cron(...), UTC
    cron: CronExpr  # the same, as a 5-field UTC cron
    timezone: str
    offset_min: int  # the offset the translation used
    periods: tuple[Period, ...]  # more than one: the zone observes daylight saving time

    @property
    def exact(self) -> bool:
        return len({p.offset_min for p in self.periods}) == 1


def _offset_minutes(tz: ZoneInfo, day: dt.date) -> int:
    noon = dt.datetime(day.year, day.month, day.day, 12, tzinfo=tz)
    delta = noon.utcoffset() or dt.timedelta()
    return int(delta.total_seconds() // 60)


def offset_periods(timezone: str, year: int = REFERENCE_YEAR) -> tuple[Period, ...]:
    """Runs of consecutive days with the same offset (at local noon) through `year`."""
    tz = ZoneInfo(timezone)
    day = dt.date(year, 1, 1)
    out: list[Period] = []
    while day.year == year:
        offset = _offset_minutes(tz, day)
        if out and out[-1].offset_min == offset:
            last = out[-1]
            out[-1] = Period(offset, last.days + 1, last.first, day)
        else:
            out.append(Period(offset, 1, day, day))
        day += dt.timedelta(days=1)
    return tuple(out)


def main_offset(periods: tuple[Period, ...]) -> int:
    """The offset in effect on most days (ties: the larger offset, deterministic)."""
    days: Counter[int] = Counter()
    for p in periods:
        days[p.offset_min] += p.days
    return max(days, key=lambda o: (days[o], o))


def _values(values: set[int] | frozenset[int]) -> str:
    return ",".join(str(v) for v in sorted(values))


def shift_to_utc(cron: CronExpr, offset_min: int) -> CronExpr:
    """The same local fire times read in UTC, for a zone `offset_min` minutes ahead of UTC."""
    if offset_min == 0:
        return cron
    shifted: set[tuple[int, int, int]] = set()
    for h in cron._hours:
        for m in cron._minutes:
            day, rest = divmod(h * 60 + m - offset_min, MINUTES_PER_DAY)
            shifted.add((rest // 60, rest % 60, day))
    hours = {h for h, _, _ in shifted}
    minutes = {m for _, m, _ in shifted}
    expr = cron.fields_text
    if {(h, m) for h, m, _ in shifted} != {(h, m) for h in hours for m in minutes}:
        raise CronError(
            f"cron '{expr}' has no single UTC form: its minutes become different UTC minutes in different hours",
            UTC_HINT,
        )
    rule = cron._day_rule()
    days = {d for _, _, d in shifted}
    dom, month, dow = cron.day_of_month, cron.month, cron.day_of_week
    every_month = len(cron._months) == 12
    if days != {0} and not (rule is _Days.ALL and every_month):
        if len(days) > 1:
            raise CronError(
                f"cron '{expr}' has no single UTC form: some of its times fall on the previous or next day in UTC "
                "and others do not, and its days are restricted",
                UTC_HINT,
            )
        (d,) = days
        if rule is _Days.DOW:
            dow = _values({(w + d) % 7 for w in cron._dows})
        elif rule is _Days.DOM and (max(cron._doms) <= 27 if d > 0 else min(cron._doms) >= 2):
            dom = _values({x + d for x in cron._doms})
        else:
            raise CronError(
                f"cron '{expr}' has no single UTC form: in UTC it fires on the {'next' if d > 0 else 'previous'} "
                "day, which crosses a month boundary for the days or months it names",
                UTC_HINT,
            )
    return parse_cron(f"{_values(minutes)} {_values(hours)} {dom} {month} {dow}")


def utc_schedule(cron: CronExpr, timezone: str) -> UtcSchedule:
    """Raises CronError when the schedule has no single UTC cron form (see module docstring)."""
    periods = offset_periods(timezone)
    offset = main_offset(periods)
    utc = shift_to_utc(cron, offset)
    return UtcSchedule(to_eventbridge(utc), utc, timezone, offset, periods)


def _clock(minutes: int) -> str:
    minutes %= MINUTES_PER_DAY
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _utc_offset(offset_min: int) -> str:
    sign = "+" if offset_min >= 0 else "-"
    h, m = divmod(abs(offset_min), 60)
    return f"UTC{sign}{h}" + (f":{m:02d}" if m else "")


def dst_note(local: CronExpr, sched: UtcSchedule) -> str:
    """When, and by how much, the runs move in local time (empty for a zone without DST)."""
    if sched.exact:
        return ""
    first = min(local._hours) * 60 + min(local._minutes)
    other = [p for p in sched.periods if p.offset_min != sched.offset_min]
    days = sum(p.days for p in sched.periods if p.offset_min == sched.offset_min)
    moved = "; ".join(
        f"{p.first:%b %d}–{p.last:%b %d} ({_utc_offset(p.offset_min)}) at "
        + _clock(first + p.offset_min - sched.offset_min)
        for p in other
    )
    return (
        f"Glue schedules are UTC only: {sched.expression} runs at {_clock(first)} {sched.timezone} time while "
        f"it is {_utc_offset(sched.offset_min)} ({days} days of {REFERENCE_YEAR}); the rest of the year it runs "
        f"at another local time: {moved}"
    )

"""EventBridge Scheduler expression and the stale-data alarm window derived from the schedule.

The stale alarm fires when no execution succeeded within the longest gap between two
scheduled runs (measured in the schedule's time zone, daylight-saving changes included)
plus the SLA (or, without one, the expected run time): the data is then older than
consumers can expect.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from ...cron import CronExpr, to_eventbridge
from ...environment import Environment
from ...ir import PipelineIR

MAX_ALARM_WINDOW_S = 7 * 86400  # CloudWatch: period x evaluation periods <= 7 days
MAX_SHORT_WINDOW_S = 86400  # ... and <= 1 day when the period is under an hour
SCAN_DAYS = 800  # two years: every weekday/month/leap combination a cron can depend on
SCAN_FIRES = 20_000  # frequent schedules: a few weeks are enough to see the longest gap


@dataclass(frozen=True)
class ScheduleSpec:
    expression: str  # cron(...) in EventBridge syntax
    timezone: str
    enabled: bool
    group: str


@dataclass(frozen=True)
class StaleAlarm:
    window_s: int  # longest schedule gap + SLA (or expected run time), rounded up to the period
    period_s: int
    evaluation_periods: int


def schedule(ir: PipelineIR, env: Environment, group: str) -> ScheduleSpec | None:
    if ir.schedule is None:
        return None
    paused = ir.schedule.paused or env.pause_schedules
    return ScheduleSpec(to_eventbridge(ir.schedule.cron), ir.schedule.timezone, not paused, group)


def _fires(cron: CronExpr, tz: ZoneInfo) -> list[float]:
    """UTC timestamps of the schedule's fires over the scan window (fixed start: deterministic)."""
    minutes = sorted(cron._minutes)
    hours = sorted(cron._hours)
    day = dt.date(2024, 1, 1)
    out: list[float] = []
    for _ in range(SCAN_DAYS):
        probe = dt.datetime(day.year, day.month, day.day, hours[0], minutes[0])
        if cron.matches(probe):  # minute and hour match by construction: this tests the day
            for h in hours:
                for m in minutes:
                    local = dt.datetime(day.year, day.month, day.day, h, m, tzinfo=tz)
                    out.append(local.timestamp())
        if len(out) >= SCAN_FIRES:
            break
        day += dt.timedelta(days=1)
    return sorted(set(out))


def longest_gap_s(cron: CronExpr, timezone: str) -> float:
    fires = _fires(cron, ZoneInfo(timezone))
    if len(fires) < 2:
        return math.inf
    return max(b - a for a, b in itertools.pairwise(fires))


def stale_alarm(ir: PipelineIR, expected_run_s: float) -> StaleAlarm | None:
    """None when the pipeline has no schedule or the window is longer than CloudWatch can look back."""
    if ir.schedule is None:
        return None
    gap = longest_gap_s(ir.schedule.cron, ir.schedule.timezone)
    window = gap + (ir.sla_s if ir.sla_s else expected_run_s)
    period = 3600 if window > MAX_SHORT_WINDOW_S / 24 else 60
    periods = max(1, math.ceil(window / period))
    limit = MAX_ALARM_WINDOW_S if period >= 3600 else MAX_SHORT_WINDOW_S
    if periods * period > limit:
        return None
    return StaleAlarm(periods * period, period, periods)

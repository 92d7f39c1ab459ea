"""Glue reads `cron(...)` in UTC only: the spec's local schedule, translated, fires at the same
instants in fixed-offset zones, says when it drifts in daylight-saving zones, and is refused when it
has no single UTC form."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from test_glue_compile import load_ir, spec_text

from pipespec.cron import CronError, parse_cron
from pipespec.environment import Deployment, Environment
from pipespec.project import load_string
from pipespec.targets.glue.compile import compile_workflow
from pipespec.targets.glue.schedule import offset_periods, shift_to_utc, utc_schedule
from pipespec.targets.glue.stack import GlueStack


def _fires(expr: str, tz: str, start: dt.date, days: int) -> set[dt.datetime]:
    cron, zone = parse_cron(expr), ZoneInfo(tz)
    out = set()
    for i in range(days):
        d = start + dt.timedelta(days=i)
        for h in cron._hours:
            for m in cron._minutes:
                local = dt.datetime(d.year, d.month, d.day, h, m)
                if cron.matches(local):
                    out.add(local.replace(tzinfo=zone).astimezone(dt.UTC))
    return out


FIXED_ZONES = ("UTC", "Asia/Kolkata", "Asia/Tokyo", "Etc/GMT+5", "Asia/Kathmandu", "Pacific/Kiritimati")


@st.composite
def crons(draw: st.DrawFn) -> str:
    minutes = draw(st.lists(st.integers(0, 59), min_size=1, max_size=2, unique=True))
    hours = draw(st.lists(st.integers(0, 23), min_size=1, max_size=3, unique=True))
    day = draw(st.sampled_from(["all", "dow", "dom", "month"]))
    dom, month, dow = "*", "*", "*"
    if day == "dow":
        dow = ",".join(map(str, draw(st.lists(st.integers(0, 6), min_size=1, max_size=3, unique=True))))
    elif day == "dom":
        dom = ",".join(map(str, draw(st.lists(st.integers(1, 28), min_size=1, max_size=3, unique=True))))
    elif day == "month":
        month = ",".join(map(str, draw(st.lists(st.integers(1, 12), min_size=1, max_size=3, unique=True))))
    return f"{','.join(map(str, minutes))} {','.join(map(str, hours))} {dom} {month} {dow}"


@settings(max_examples=120, deadline=None)
@given(crons(), st.sampled_from(FIXED_ZONES))
def test_fixed_offset_zones_translate_exactly(expr: str, tz: str) -> None:
    try:
        sched = utc_schedule(parse_cron(expr), tz)
    except CronError:
        assume(False)
        return
    assert sched.exact
    start, days = dt.date(2026, 1, 1), 120
    local = _fires(expr, tz, start, days)
    utc = _fires(sched.cron.fields_text, "UTC", start - dt.timedelta(days=2), days + 4)
    lo = dt.datetime(2026, 1, 3, tzinfo=dt.UTC)
    hi = lo + dt.timedelta(days=days - 5)
    assert {t for t in local if lo <= t < hi} == {t for t in utc if lo <= t < hi}


def test_daylight_saving_zone_uses_the_offset_of_most_days_and_says_so() -> None:
    loaded = load_string(
        spec_text({"a": []}, header="schedule: {cron: '30 2 * * *', timezone: America/New_York}"),
        "dst.yaml",
        targets=["glue"],
    )
    assert loaded.ok and loaded.ir is not None
    doc = compile_workflow(loaded.ir).document
    assert doc["Triggers"][0]["Schedule"] == "cron(30 6 * * ? *)"  # 02:30 EDT
    (warning,) = [d for d in loaded.diagnostics if d.code == "PS484"]
    assert warning.severity.value == "warning" and warning.path == ("schedule", "timezone")
    assert "02:30 America/New_York time while it is UTC-4 (238 days of 2026)" in warning.message
    assert "Jan 01–Mar 07 (UTC-5) at 01:30" in warning.message
    periods = offset_periods("America/New_York")
    assert {p.offset_min for p in periods} == {-240, -300}


def test_schedule_with_no_single_utc_form_is_an_error_with_a_hint() -> None:
    with pytest.raises(CronError, match="previous day, which crosses a month boundary"):
        shift_to_utc(parse_cron("0 0 1 * *"), 120)
    loaded = load_string(
        spec_text({"a": []}, header="schedule: {cron: '15,45 1 * * *', timezone: Asia/Kolkata}"), "k.yaml", ["glue"]
    )
    (err,) = [d for d in loaded.diagnostics if d.code == "PS484"]
    assert err.is_error and "timezone: UTC" in err.hint


def test_paused_schedules_deploy_the_start_trigger_disabled() -> None:
    ir = load_ir(spec_text({"a": []}, header="schedule: {cron: '0 3 * * *'}"))
    paused = compile_workflow(ir, Deployment(Environment(pause_schedules=True), GlueStack())).document
    live = compile_workflow(ir).document
    assert (paused["Triggers"][0]["Enabled"], paused["Triggers"][0]["StartOnCreation"]) == (False, False)
    assert (live["Triggers"][0]["Enabled"], live["Triggers"][0]["StartOnCreation"]) == (True, True)
    on_demand = compile_workflow(load_ir(spec_text({"a": []}))).document["Triggers"][0]
    assert on_demand["Type"] == "ON_DEMAND" and "Schedule" not in on_demand and "Enabled" not in on_demand

"""pipespec.cron: parsing, errors, and translations checked against croniter (Airflow's scheduler).

croniter is the oracle for standard cron. It cannot read Quartz or EventBridge syntax, so this module
carries its own small, independent parser/matcher for those two dialects (1=SUN numbering, '?') and
finds their fire times by brute force, day by day.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pytest
from croniter import croniter
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pipespec.cron import CronError, CronExpr, describe, parse_cron, to_airflow, to_eventbridge, to_quartz

N_FIRES = 50
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --------------------------------------------------------------------------------------------------
# Independent oracle for Quartz / EventBridge


@dataclass(frozen=True)
class Schedule:
    minutes: frozenset[int]
    hours: frozenset[int]
    months: frozenset[int]
    day: Callable[[date], bool]


_MONTH_ABBR = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_MONTHS = {n: i + 1 for i, n in enumerate(_MONTH_ABBR)}
_QDOW = {n: i + 1 for i, n in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"))}  # Quartz: SUN=1


def _dialect_field(text: str, lo: int, hi: int, names: dict[str, int], steps: bool = True) -> frozenset[int]:
    """Quartz/EventBridge field values. Strict: anything unexpected fails the test."""
    assert text and text != "?"

    def num(tok: str) -> int:
        value = names[tok.upper()] if tok.upper() in names else int(tok)
        assert lo <= value <= hi, (text, tok)
        return value

    out: set[int] = set()
    for item in text.split(","):
        base, slash, step_text = item.partition("/")
        assert steps or not slash, f"step not allowed here: {text}"
        step = int(step_text) if slash else 1
        assert step >= 1
        if base == "*":
            first, last = lo, hi
        elif "-" in base:
            a, b = base.split("-")
            first, last = num(a), num(b)
            assert first <= last, f"wrap-around range emitted: {text}"
        else:
            first = num(base)
            last = hi if slash else first  # "a/n": from a to the end of the field
        out |= set(range(first, last + 1, step))
    return frozenset(out)


def _quartz_weekday(d: date) -> int:
    return (d.weekday() + 1) % 7 + 1  # Python Monday=0 -> Quartz MON=2, SUN=1


def _dialect_schedule(minute: str, hour: str, dom: str, month: str, dow: str, *, dow_steps: bool) -> Schedule:
    assert (dom == "?") != (dow == "?"), "exactly one of day-of-month/day-of-week must be '?'"
    if dom == "?":
        dows = _dialect_field(dow, 1, 7, _QDOW, steps=dow_steps)

        def day(d: date) -> bool:
            return _quartz_weekday(d) in dows
    else:
        doms = _dialect_field(dom, 1, 31, {})

        def day(d: date) -> bool:
            return d.day in doms

    return Schedule(
        _dialect_field(minute, 0, 59, {}),
        _dialect_field(hour, 0, 23, {}),
        _dialect_field(month, 1, 12, _MONTHS),
        day,
    )


def parse_quartz(text: str) -> Schedule:
    fields = text.split()
    assert len(fields) == 6 and fields[0] == "0", text
    return _dialect_schedule(*fields[1:], dow_steps=True)


def parse_eventbridge(text: str) -> Schedule:
    assert text.startswith("cron(") and text.endswith(")"), text
    fields = text[5:-1].split()
    assert len(fields) == 6 and fields[5] == "*", text
    # EventBridge documents ", - * ? L #" for day-of-week: no '/'.
    return _dialect_schedule(*fields[:5], dow_steps=False)


def brute_force(s: Schedule, start: datetime, n: int) -> list[datetime]:
    """First n fire times strictly after start; skips whole months and days that cannot match."""
    times = sorted((h, m) for h in s.hours for m in s.minutes)
    out: list[datetime] = []
    day = start.date()
    while len(out) < n:
        assert day.year < start.year + 500, "schedule never fires"
        if day.month not in s.months:
            day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
            continue
        if s.day(day):
            for h, m in times:
                t = datetime.combine(day, time(h, m))
                if t > start:
                    out.append(t)
                    if len(out) == n:
                        break
        day += timedelta(days=1)
    return out


def croniter_fires(expr: str, start: datetime, n: int = N_FIRES) -> list[datetime]:
    it = croniter(expr, start)
    return [it.get_next(datetime) for _ in range(n)]


def croniter_ors_days(expr: str) -> bool:
    """True when croniter applies the OR rule with two partial day fields (Quartz cannot express it)."""
    expanded = croniter.expand(expr)[0]
    dom, dow = expanded[2], expanded[4]
    return dom[0] != "*" and dow[0] != "*" and len(dom) < 31 and len(dow) < 7


# --------------------------------------------------------------------------------------------------
# Strategy: random valid expressions from the grammar


@dataclass(frozen=True)
class _F:
    lo: int
    hi: int  # highest value for a range end (7 in day-of-week)
    step_hi: int  # highest value a lone "a/n" may start at
    names: tuple[str, ...] = ()
    name_base: int = 0


_FIELDS = (
    _F(0, 59, 59),
    _F(0, 23, 23),
    _F(1, 31, 31),
    _F(1, 12, 12, tuple(_MONTHS), 1),
    _F(0, 7, 6, tuple(_QDOW), 0),
)


@st.composite
def _token(draw: st.DrawFn, f: _F, value: int, *, range_end: bool = False) -> str:
    """A value as digits (maybe zero-padded) or as a name in random case."""
    names_ok = bool(f.names) and (value - f.name_base < len(f.names) or (range_end and value == 7))
    if names_ok and draw(st.booleans()):
        name = f.names[0] if value == 7 else f.names[value - f.name_base]
        return "".join(c.lower() if draw(st.booleans()) else c for c in name)
    return ("0" if draw(st.integers(0, 5)) == 0 else "") + str(value)


@st.composite
def _item(draw: st.DrawFn, f: _F) -> str:
    kind = draw(st.sampled_from(["value", "range", "range_step", "start_step"]))
    step = draw(st.integers(1, (f.hi - f.lo) + 2))
    if kind == "value":
        return draw(_token(f, draw(st.integers(f.lo, f.hi))))
    if kind == "start_step":
        return f"{draw(_token(f, draw(st.integers(f.lo, f.step_hi))))}/{step}"
    a = draw(st.integers(f.lo, f.hi - 1))
    b = draw(st.integers(a + 1, f.hi))
    text = f"{draw(_token(f, a))}-{draw(_token(f, b, range_end=True))}"
    return text if kind == "range" else f"{text}/{step}"


@st.composite
def _field(draw: st.DrawFn, index: int) -> str:
    f = _FIELDS[index]
    star_weight = 4 if index in (2, 4) else 2  # plenty of '*' in day fields so all day rules occur
    kind = draw(st.integers(0, 10))
    if kind < star_weight:
        return "*"
    if kind == star_weight:
        return f"*/{draw(st.one_of(st.integers(1, 3), st.integers(1, f.hi - f.lo + 2)))}"
    if kind == star_weight + 1:
        # Whole-field spellings other than '*': they decide croniter's day-of-month/day-of-week rule.
        return draw(st.sampled_from([f"{f.lo}-{f.hi}", f"{f.lo}-{f.step_hi}", f"{f.lo}/1", "*/1"]))
    return ",".join(draw(st.lists(_item(f), min_size=1, max_size=3)))


@st.composite
def cron_exprs(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 19)) == 0:
        macros = ["@hourly", "@daily", "@midnight", "@weekly", "@monthly", "@yearly", "@annually"]
        return draw(st.sampled_from(macros))
    return " ".join(draw(_field(i)) for i in range(5))


def _valid(expr: str) -> CronExpr:
    try:
        return parse_cron(expr)
    except CronError:
        # Only the never-firing schedules ("0 0 30 2 *") are refused among generated expressions.
        assume(False)
        raise


starts = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 12, 31)).map(
    lambda d: d.replace(second=0, microsecond=0)
)

# --------------------------------------------------------------------------------------------------
# Examples


@pytest.mark.parametrize(
    ("expr", "quartz", "eventbridge"),
    [
        ("0 3 * * *", "0 0 3 * * ?", "cron(0 3 * * ? *)"),
        ("*/15 * * * *", "0 0/15 * * * ?", "cron(0/15 * * * ? *)"),
        ("30 2 1,15 * *", "0 30 2 1,15 * ?", "cron(30 2 1,15 * ? *)"),
        ("0 0 1 jan-mar *", "0 0 0 1 1-3 ?", "cron(0 0 1 1-3 ? *)"),
        ("0 9-17/2 * * *", "0 0 9,11,13,15,17 * * ?", "cron(0 9,11,13,15,17 * * ? *)"),
        ("0 */6 * * *", "0 0 0/6 * * ?", "cron(0 0/6 * * ? *)"),
        # Weekdays: standard 0-7 (0 and 7 = SUN) -> Quartz/EventBridge 1-7 (1 = SUN).
        ("0 8 * * MON-FRI", "0 0 8 ? * 2-6", "cron(0 8 ? * 2-6 *)"),
        ("0 8 * * 1-5", "0 0 8 ? * 2-6", "cron(0 8 ? * 2-6 *)"),
        ("0 8 * * 0", "0 0 8 ? * 1", "cron(0 8 ? * 1 *)"),
        ("0 8 * * 7", "0 0 8 ? * 1", "cron(0 8 ? * 1 *)"),
        ("0 8 * * sun", "0 0 8 ? * 1", "cron(0 8 ? * 1 *)"),
        ("0 8 * * 5-7", "0 0 8 ? * 1,6,7", "cron(0 8 ? * 1,6,7 *)"),
        ("0 8 * * FRI-SUN", "0 0 8 ? * 1,6,7", "cron(0 8 ? * 1,6,7 *)"),
        ("0 8 * * */2", "0 0 8 ? * 1,3,5,7", "cron(0 8 ? * 1,3,5,7 *)"),
        ("0 8 * * 1-7/3", "0 0 8 ? * 1,2,5", "cron(0 8 ? * 1,2,5 *)"),
        ("0 8 * * 0-7", "0 0 8 * * ?", "cron(0 8 * * ? *)"),
        # Day-of-month restricted, day-of-week '*' -> '?' goes to day-of-week.
        ("0 0 */10 * *", "0 0 0 1/10 * ?", "cron(0 0 1/10 * ? *)"),
        # A full day-of-month ORed with Mondays is every day (croniter's rule).
        ("0 0 1-31 * 1", "0 0 0 * * ?", "cron(0 0 * * ? *)"),
        ("@weekly", "0 0 0 ? * 1", "cron(0 0 ? * 1 *)"),
        ("@monthly", "0 0 0 1 * ?", "cron(0 0 1 * ? *)"),
        ("@yearly", "0 0 0 1 1 ?", "cron(0 0 1 1 ? *)"),
    ],
)
def test_translation_examples(expr: str, quartz: str, eventbridge: str) -> None:
    c = parse_cron(expr)
    assert to_quartz(c) == quartz
    assert to_eventbridge(c) == eventbridge


@pytest.mark.parametrize(
    ("expr", "fields"),
    [
        ("0 3 * * *", ("0", "3", "*", "*", "*")),
        ("  00 03  * jan MON ", ("0", "3", "*", "1", "1")),
        ("0 0 * * 7", ("0", "0", "*", "*", "0")),
        ("0 0 * * fri-sun", ("0", "0", "*", "*", "5-7")),
        ("0-59 */1 1-31 * 0-6", ("0-59", "*/1", "1-31", "*", "0-6")),  # kept: see module docstring
        ("5,1,5 * * DEC,Jan *", ("5,1,5", "*", "*", "12,1", "*")),
        ("@daily", ("0", "0", "*", "*", "*")),
        ("@MIDNIGHT", ("0", "0", "*", "*", "*")),
        ("@hourly", ("0", "*", "*", "*", "*")),
        ("@weekly", ("0", "0", "*", "*", "0")),
        ("@monthly", ("0", "0", "1", "*", "*")),
        ("@yearly", ("0", "0", "1", "1", "*")),
        ("@annually", ("0", "0", "1", "1", "*")),
    ],
)
def test_normalization(expr: str, fields: tuple[str, ...]) -> None:
    c = parse_cron(expr)
    assert c.source == expr
    assert (c.minute, c.hour, c.day_of_month, c.month, c.day_of_week) == fields


@pytest.mark.parametrize(
    ("expr", "airflow"),
    [
        ("*/15 9-17 * * MON-FRI", "*/15 9-17 * * MON-FRI"),
        ("0  3\t* * *", "0 3 * * *"),
        ("@daily", "0 0 * * *"),
        ("@midnight", "0 0 * * *"),
        ("@annually", "0 0 1 1 *"),
    ],
)
def test_airflow_examples(expr: str, airflow: str) -> None:
    assert to_airflow(parse_cron(expr)) == airflow


def test_airflow_uses_canonical_fields_when_source_disagrees() -> None:
    c = CronExpr("0 4 * * *", "0", "3", "*", "*", "*")
    assert to_airflow(c) == "0 3 * * *"


@pytest.mark.parametrize(
    ("expr", "text"),
    [
        ("0 3 * * *", "at 03:00 every day"),
        ("@weekly", "at 00:00 on Sunday"),
        ("30 8 * * 1-5", "at 08:30 on Monday to Friday"),
        ("*/15 * * * *", "every 15 minutes of every hour every day"),
        ("0 0 1,15 * *", "at 00:00 on days 1 and 15 of the month"),
        ("0 0 1 * 1", "at 00:00 on day 1 of the month or on Monday"),
        ("0 6 * 1-3 *", "at 06:00 every day in January to March"),
    ],
)
def test_describe(expr: str, text: str) -> None:
    assert describe(parse_cron(expr)) == text


# --------------------------------------------------------------------------------------------------
# Errors


@pytest.mark.parametrize(
    ("expr", "message", "hint"),
    [
        ("", "cron expression is empty", "5 fields"),
        (
            "0 0 3 * * ?",
            "expected 5 fields (minute hour day-of-month month day-of-week), got 6",
            "drop the seconds field",
        ),
        ("0 0 3 * * ?", "pipespec schedules use standard 5-field cron; write seconds-free cron", ""),
        ("0 0 3 * * ? 2030", "got 7", ""),
        ("0 3 * *", "expected 5 fields", "write all 5 fields"),
        ("0 3 * * 8", "day-of-week value 8 is out of range 0-7", "0 and 7 are Sunday"),
        ("60 * * * *", "minute value 60 is out of range 0-59", ""),
        ("0 24 * * *", "hour value 24 is out of range 0-23", ""),
        ("0 0 0 * *", "day-of-month value 0 is out of range 1-31", ""),
        ("0 0 32 * *", "day-of-month value 32 is out of range 1-31", ""),
        ("0 0 * 13 *", "month value 13 is out of range 1-12", "JAN-DEC"),
        ("0 0 * 0 *", "month value 0 is out of range 1-12", ""),
        ("0 22-2 * * *", "hour range 22-2 is reversed (22 > 2)", "22-23,0-2"),
        ("0 0 * * SAT-MON", "day-of-week range SAT-MON is reversed (6 > 1)", "write '6,0-1'"),
        ("0 0 * * 7-2", "day-of-week range 7-2 is reversed", "write '0-2'"),
        ("0 0 * * 6-0", "day-of-week range 6-0 is reversed", "write '6,0'"),
        ("0 0 * NOV-FEB *", "month range NOV-FEB is reversed (11 > 2)", "write '11-12,1-2'"),
        ("5-5 * * * *", "minute range 5-5 has equal bounds", "write '5'"),
        ("0 0 * * 7-7", "day-of-week range 7-7 has equal bounds", ""),
        ("*/0 * * * *", "minute step 0 in '*/0' is not allowed", "1 or more"),
        ("0 1-5/0 * * *", "hour step 0", ""),
        ("*/ * * * *", "minute item '*/' has no step", ""),
        ("*/x * * * *", "minute step 'x'", ""),
        ("1,,2 * * * *", "minute list '1,,2' has an empty item", ""),
        ("0 0 1, * *", "day-of-month list '1,' has an empty item", ""),
        ("1,* * * * *", "minute list '1,*' mixes '*'", ""),
        ("*-5 * * * *", "minute uses '*' as a range bound", ""),
        ("-5 * * * *", "minute has a range with a missing bound", ""),
        ("1-2-3 * * * *", "more than one '-'", ""),
        ("x * * * *", "minute value 'x' is not a number", ""),
        ("0 0 * MON *", "month value 'MON' is not a number or a month (JAN-DEC) name", "5th field"),
        ("0 0 * * JAN", "day-of-week value 'JAN' is not a number or a weekday (SUN-SAT) name", "4th field"),
        ("0 0 ? * 1", "day-of-month value '?' uses '?'", "write '*'"),
        ("0 0 1 * ?", "day-of-week value '?' uses '?'", "write '*'"),
        ("0 0 L * *", "day-of-month value 'L' uses 'L'", "last day"),
        ("0 0 L-3 * *", "uses 'L'", ""),
        ("0 0 * * 5L", "day-of-week value '5L' uses 'L'", ""),
        ("0 0 15W * *", "day-of-month value '15W' uses 'W'", "weekdays"),
        ("0 0 LW * *", "uses 'L'", ""),
        ("0 0 * * 5#2", "day-of-week value '5#2' uses '#'", "8-14"),
        ("0 0 * * 7/2", "day-of-week item '7/2' starts a step at 7", "0/2"),
        ("@reboot", "'@reboot' is not a schedule", "time-based"),
        ("@fortnightly", "unknown cron macro '@fortnightly'", "@daily"),
        ("@daily 0", "must stand alone", ""),
        ("0 0 30 2 *", "day-of-month 30 never occurs in month 2", ""),
        ("0 0 31 4,6,9,11 *", "never occurs", ""),
    ],
)
def test_parse_errors(expr: str, message: str, hint: str) -> None:
    with pytest.raises(CronError) as info:
        parse_cron(expr)
    err = info.value
    assert message in err.message
    assert hint in err.hint
    assert err.hint, "every error carries a hint"
    assert message in str(err) and isinstance(err, ValueError)


def test_non_string_schedule() -> None:
    with pytest.raises(CronError, match="expected a cron expression string"):
        parse_cron(5)  # type: ignore[arg-type]


def test_hand_built_expression_is_validated() -> None:
    with pytest.raises(CronError, match="day-of-week value 9 is out of range"):
        CronExpr("x", "0", "0", "*", "*", "9")
    with pytest.raises(CronError, match="not in canonical form"):
        CronExpr("x", "0", "0", "*", "*", "MON")


def test_leap_day_is_valid() -> None:
    c = parse_cron("0 0 29 2 *")
    assert c.matches(datetime(2028, 2, 29))
    assert to_quartz(c) == "0 0 0 29 2 ?"


@pytest.mark.parametrize("expr", ["0 0 1 * 1", "0 12 1-7 * MON", "0 0 */2 * 1-5", "0 0 13 * FRI"])
def test_both_day_fields_restricted_cannot_be_translated(expr: str) -> None:
    c = parse_cron(expr)
    assert to_airflow(c)  # Airflow/croniter has the OR rule itself
    for translate, dialect in ((to_quartz, "Quartz (Databricks)"), (to_eventbridge, "EventBridge")):
        with pytest.raises(CronError) as info:
            translate(c)
        assert info.value.message.startswith(
            f"{dialect} cannot express a schedule restricted by both day-of-month and day-of-week"
        )
        assert "split" in info.value.hint and "drop one restriction" in info.value.hint


@pytest.mark.parametrize(
    ("expr", "days", "quartz"),
    [
        # croniter: a field is unrestricted when it is exactly '*', or when it covers the whole field
        # and the other day field contains a '*'. Both restricted -> OR.
        ("0 0 */1 * 1", "every day", "0 0 0 * * ?"),  # full dom OR Mondays (Vixie would say Mondays)
        ("0 0 1-31 * 1-5", "every day", "0 0 0 * * ?"),
        ("0 0 1-31 * */2", "on Tuesday, Thursday, Saturday and Sunday", "0 0 0 ? * 1,3,5,7"),
        ("0 0 */2 * */1", "on every 2nd day of the month", "0 0 0 1/2 * ?"),
        ("0 0 */2 * 0-7", "on every 2nd day of the month", "0 0 0 1/2 * ?"),  # full dow, '*' in dom
        ("0 0 2-30/2 * 0-7", "every day", "0 0 0 * * ?"),  # no '*' anywhere: both restricted -> OR
        ("0 0 * * 0-6", "every day", "0 0 0 * * ?"),
        ("0 0 */2 * 1", "or on Monday", None),  # both partial: OR, untranslatable
    ],
)
def test_day_rule_matches_croniter(expr: str, days: str, quartz: str | None) -> None:
    c = parse_cron(expr)
    window = [datetime(2024, 2, 20) + timedelta(days=i) for i in range(21)]
    assert [c.matches(d) for d in window] == [croniter.match(expr, d) for d in window]
    assert days in describe(c)
    if quartz is None:
        with pytest.raises(CronError):
            to_quartz(c)
    else:
        assert to_quartz(c) == quartz
        assert brute_force(parse_quartz(quartz), window[0], 10) == croniter_fires(expr, window[0], 10)


# --------------------------------------------------------------------------------------------------
# Exhaustive day-of-week arithmetic vs croniter (the 7=SUN alias, ranges touching 7, steps)


def _dow_items() -> Iterator[str]:
    for a in range(8):
        for b in range(a + 1, 8):
            yield f"{a}-{b}"
            for n in range(2, 9):
                yield f"{a}-{b}/{n}"
    for a in range(7):
        for n in range(1, 9):
            yield f"{a}/{n}"
    for n in range(1, 9):
        yield f"*/{n}"
    yield from ("mon-sun", "fri-sun/2", "sun-sat", "sun-sun", "sat,sun", "0,7")


def test_day_of_week_items_match_croniter() -> None:
    week = [datetime(2024, 1, 7) + timedelta(days=i) for i in range(7)]  # Sunday to Saturday
    for item in _dow_items():
        expr = f"0 0 * * {item}"
        c = parse_cron(expr)
        expected = [croniter.match(expr, d) for d in week]
        assert [c.matches(d) for d in week] == expected, expr
        fired = {d for d in week if c.matches(d)}
        if len(fired) < 7:
            quartz = parse_quartz(to_quartz(c))
            eventbridge = parse_eventbridge(to_eventbridge(c))
            assert {d for d in week if quartz.day(d.date())} == fired, expr
            assert {d for d in week if eventbridge.day(d.date())} == fired, expr


# --------------------------------------------------------------------------------------------------
# Properties


@PROPERTY
@given(cron_exprs(), st.lists(starts, min_size=2, max_size=2))
def test_airflow_equivalent(expr: str, start_times: list[datetime]) -> None:
    c = _valid(expr)
    translated = to_airflow(c)
    assert len(translated.split()) == 5
    assert to_airflow(parse_cron(translated)) == translated  # stable
    for start in start_times:
        assert croniter_fires(translated, start) == croniter_fires(expr, start)


def _check_dialect(
    expr: str,
    start_times: list[datetime],
    translate: Callable[[CronExpr], str],
    parse_dialect: Callable[[str], Schedule],
    dialect: str,
) -> None:
    c = _valid(expr)
    if croniter_ors_days(expr):
        with pytest.raises(CronError, match=f"^{dialect} cannot express"):
            translate(c)
        return
    out = translate(c)
    assert translate(parse_cron(expr)) == out  # deterministic
    schedule = parse_dialect(out)
    for start in start_times:
        assert brute_force(schedule, start, N_FIRES) == croniter_fires(expr, start), out


@PROPERTY
@given(cron_exprs(), st.lists(starts, min_size=2, max_size=2))
def test_quartz_equivalent(expr: str, start_times: list[datetime]) -> None:
    _check_dialect(expr, start_times, to_quartz, parse_quartz, r"Quartz \(Databricks\)")


@PROPERTY
@given(cron_exprs(), st.lists(starts, min_size=2, max_size=2))
def test_eventbridge_equivalent(expr: str, start_times: list[datetime]) -> None:
    _check_dialect(expr, start_times, to_eventbridge, parse_eventbridge, "EventBridge")


@PROPERTY
@given(cron_exprs(), starts, st.randoms(use_true_random=False))
def test_matches_agrees_with_croniter(expr: str, start: datetime, rnd: random.Random) -> None:
    c = _valid(expr)
    fires = croniter_fires(expr, start, 10)
    assert all(c.matches(t) for t in fires)
    # Minutes between and around fire times, plus random instants, must agree too.
    probes = [t + timedelta(minutes=d) for t in fires[:3] for d in (-1, 1)]
    probes += [start + timedelta(minutes=rnd.randrange(0, 60 * 24 * 400)) for _ in range(10)]
    for dt in probes:
        assert c.matches(dt) == croniter.match(expr, dt), dt
    describe(c)  # best effort, but must never fail

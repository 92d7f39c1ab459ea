"""Standard 5-field cron for pipeline schedules, and its translation to each target's dialect.

pipespec schedules are written once, as standard (Vixie) cron: ``minute hour day-of-month month
day-of-week``. The timezone lives next to the expression in the spec and is deliberately not handled
here. This module parses and validates the expression, then renders it for:

* Airflow / Cloud Composer (croniter: the same 5-field syntax),
* Databricks Workflows (Quartz: ``sec min hour dom month dow``, day-of-week 1-7 = SUN-SAT, ``?``),
* AWS EventBridge / EventBridge Scheduler / Glue (``cron(min hour dom month dow year)``, likewise).

Semantics follow croniter, the library Airflow schedules with and the oracle of the test-suite. The
one subtle point is the day-of-month / day-of-week rule (see ``CronExpr._day_rule``).

Canonical normalization (the text kept in ``CronExpr``'s field attributes):

* macros (``@daily`` ...) are expanded to their 5 fields;
* month and weekday names become numbers (``JAN`` -> ``1``, ``SUN`` -> ``0``), a weekday name that
  ends a range is read as the end of the week (``FRI-SUN`` -> ``5-7``), a lone ``7`` becomes ``0``;
* numbers lose leading zeros (``05`` -> ``5``);
* everything else stays as written: list order, duplicates, ranges and steps. In particular ``0-59``
  is *not* rewritten to ``*`` (nor ``*/1`` to ``*``) because croniter's day-of-month/day-of-week rule
  looks at whether a field is literally ``*`` / contains a ``*``; rewriting would change the meaning.

Rejected, each with a ``CronError`` naming the field and value: wrong field count, out-of-range
values, reversed ranges (``22-2``: cron ranges do not wrap), ranges with equal bounds (``5-5``:
croniter reads it as the whole field, standard cron as the one value), step 0, empty list items, ``*``
mixed into a list, the Quartz-only ``? L W #``, ``@reboot``, and day-of-month values that can never
occur in the chosen months (``0 0 30 2 *``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

__all__ = [
    "CronError",
    "CronExpr",
    "describe",
    "parse_cron",
    "to_airflow",
    "to_eventbridge",
    "to_quartz",
]


class CronError(ValueError):
    """An invalid or untranslatable schedule. ``message`` says what is wrong, ``hint`` what to do."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message, hint)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} (hint: {self.hint})" if self.hint else self.message


# --------------------------------------------------------------------------------------------------
# Field tables


@dataclass(frozen=True)
class _FieldSpec:
    name: str
    lo: int
    hi: int  # highest value accepted as written (7 for day-of-week: 7 is another Sunday)
    step_hi: int  # where "*/n" and "a/n" stop; croniter stops day-of-week at 6 (7 is only an alias)
    names: Mapping[str, int]


_MONTH_ABBR = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DOW_ABBR = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_DOW_NAMES = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")

_MINUTE = _FieldSpec("minute", 0, 59, 59, {})
_HOUR = _FieldSpec("hour", 0, 23, 23, {})
_DOM = _FieldSpec("day-of-month", 1, 31, 31, {})
_MONTH = _FieldSpec("month", 1, 12, 12, {n: i + 1 for i, n in enumerate(_MONTH_ABBR)})
_DOW = _FieldSpec("day-of-week", 0, 7, 6, {n: i for i, n in enumerate(_DOW_ABBR)})
_SPECS = (_MINUTE, _HOUR, _DOM, _MONTH, _DOW)

_MACROS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}

# Longest month lengths; February counts 29 so "0 0 29 2 *" (leap days) stays valid.
_MAX_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

_DIGITS = re.compile(r"[0-9]+")  # ASCII only: int() would also accept other scripts' digits
_QUARTZ_L = re.compile(r"[0-9]*L|L-?[0-9]*|LW|[A-Z]{3}L")
_QUARTZ_W = re.compile(r"[0-9]+W|W[0-9]+")

_FIELDS_HELP = "minute hour day-of-month month day-of-week"


# --------------------------------------------------------------------------------------------------
# Parsing one field


def _fail(message: str, expr: str, hint: str) -> CronError:
    return CronError(f"{message} in cron '{expr}'", hint)


def _value(spec: _FieldSpec, tok: str, expr: str, *, range_end: bool = False) -> int:
    """One number or name of a field, range-checked."""
    if _DIGITS.fullmatch(tok):
        value = int(tok)
    elif tok.isascii() and tok.upper() in spec.names:
        value = spec.names[tok.upper()]
        # "FRI-SUN" means Friday to Sunday; with SUN=0 it would be a reversed range.
        if spec is _DOW and range_end and value == 0:
            value = 7
    else:
        raise _unknown_value(spec, tok, expr)
    if not spec.lo <= value <= spec.hi:
        hint = f"{spec.name} accepts {spec.lo}-{spec.hi}"
        if spec is _DOW:
            hint += " (0 and 7 are Sunday) or SUN-SAT"
        elif spec is _MONTH:
            hint += " or JAN-DEC"
        raise _fail(f"{spec.name} value {tok} is out of range {spec.lo}-{spec.hi}", expr, hint)
    return value


def _unknown_value(spec: _FieldSpec, tok: str, expr: str) -> CronError:
    up = tok.upper()
    if tok == "*":
        hint = "write '*' alone, or a range such as '1-5'"
        return _fail(f"{spec.name} uses '*' as a range bound", expr, hint)
    if spec in (_DOM, _DOW) and _QUARTZ_L.fullmatch(up):
        hint = (
            "standard cron has no 'last day of the month': run on day 1 and process the previous month,"
            " or run on days 28-31 and check in the job whether tomorrow is the 1st"
            if spec is _DOM
            else "standard cron has no 'last <weekday> of the month': run on that weekday and check in"
            " the job whether it is the last one of the month"
        )
        return _fail(f"{spec.name} value '{tok}' uses 'L' (last), which is Quartz-only syntax", expr, hint)
    if spec is _DOM and _QUARTZ_W.fullmatch(up):
        return _fail(
            f"{spec.name} value '{tok}' uses 'W' (nearest weekday), which is Quartz-only syntax",
            expr,
            "run on weekdays (day-of-week '1-5') and check the date in the job",
        )
    if not tok:
        return _fail(f"{spec.name} has a range with a missing bound", expr, "write ranges as 'a-b'")
    if spec.names:
        kind = "month (JAN-DEC)" if spec is _MONTH else "weekday (SUN-SAT)"
        hint = f"use {spec.lo}-{spec.hi} or a {kind} name"
        if spec is _MONTH and up in _DOW.names:
            hint = f"{up} is a weekday; day-of-week is the 5th field ({_FIELDS_HELP})"
        elif spec is _DOW and up in _MONTH.names:
            hint = f"{up} is a month; month is the 4th field ({_FIELDS_HELP})"
        return _fail(f"{spec.name} value '{tok}' is not a number or a {kind} name", expr, hint)
    hint = f"use numbers {spec.lo}-{spec.hi}"
    if up in _DOW.names or up in _MONTH.names:
        hint = f"names are only allowed in month and day-of-week; the fields are {_FIELDS_HELP}"
    return _fail(f"{spec.name} value '{tok}' is not a number", expr, hint)


def _parse_step(spec: _FieldSpec, raw: str, text: str, expr: str) -> int:
    if not text:
        raise _fail(f"{spec.name} item '{raw}' has no step after '/'", expr, "write e.g. '*/15'")
    if not _DIGITS.fullmatch(text):
        hint = "write steps as '*/n' or 'a-b/n'"
        raise _fail(f"{spec.name} step '{text}' in '{raw}' is not a number", expr, hint)
    step = int(text)
    if step == 0:
        raise _fail(f"{spec.name} step 0 in '{raw}' is not allowed", expr, "steps must be 1 or more")
    return step


def _unwrapped(spec: _FieldSpec, lo: int, hi: int) -> str:
    """The list a user meant by the wrap-around range lo-hi (e.g. hours 22-2 -> '22-23,0-2')."""
    parts: list[str] = []
    if lo < spec.step_hi:
        parts.append(f"{lo}-{spec.step_hi}")
    elif lo == spec.step_hi:
        parts.append(str(lo))
    # (a day-of-week start of 7 is Sunday, already covered by the 0 of the second part)
    parts.append(f"{spec.lo}-{hi}" if hi > spec.lo else str(hi))
    return ",".join(parts)


def _parse_item(spec: _FieldSpec, raw: str, expr: str) -> tuple[str, set[int]]:
    """Canonical text and value set of one list item (``*``, ``a``, ``a-b``, each with ``/n``)."""
    base, slash, step_text = raw.partition("/")
    step = _parse_step(spec, raw, step_text, expr) if slash else None
    suffix = f"/{step}" if step is not None else ""
    if base == "*":
        return f"*{suffix}", set(range(spec.lo, spec.step_hi + 1, step or 1))
    if "-" in base:
        first, _, last = base.partition("-")
        if "-" in last:
            raise _fail(f"{spec.name} range '{base}' has more than one '-'", expr, "write ranges as 'a-b'")
        lo = _value(spec, first, expr)
        hi = _value(spec, last, expr, range_end=True)
        if lo > hi:
            raise _fail(
                f"{spec.name} range {first}-{last} is reversed ({lo} > {hi})",
                expr,
                f"cron ranges do not wrap around; write '{_unwrapped(spec, lo, hi)}'",
            )
        if lo == hi:
            # croniter (Airflow) reads an equal range as the *whole* field, standard cron as one value.
            raise _fail(
                f"{spec.name} range {first}-{last} has equal bounds",
                expr,
                f"write '{first}' (Airflow's croniter would read '{first}-{last}' as every {spec.name})",
            )
        return f"{lo}-{hi}{suffix}", set(range(lo, hi + 1, step or 1))
    value = _value(spec, base, expr)
    if step is None:
        return str(0 if spec is _DOW and value == 7 else value), {value}
    if spec is _DOW and value == 7:
        # croniter reads "7/n" as "0-6/n", which nobody means; refuse rather than guess.
        raise _fail(f"{spec.name} item '{raw}' starts a step at 7", expr, f"write '0/{step}' or '*/{step}'")
    return f"{value}/{step}", set(range(value, spec.step_hi + 1, step))


def _parse_field(spec: _FieldSpec, text: str, expr: str) -> tuple[str, frozenset[int]]:
    for mark, what, hint in (
        ("?", "'?' (no specific value)", "write '*'; pipespec adds '?' itself for Quartz and EventBridge"),
        (
            "#",
            "'#' (nth weekday of the month)",
            "use the day-of-month range the weekday falls in (the 2nd Monday is within days 8-14: "
            "'0 0 8-14 * *') and check the weekday in the job; setting day-of-week as well would OR"
            " the two fields",
        ),
    ):
        if mark in text:
            raise _fail(f"{spec.name} value '{text}' uses {what}, which is Quartz-only syntax", expr, hint)
    items = text.split(",")
    if "" in items:
        raise _fail(f"{spec.name} list '{text}' has an empty item", expr, "remove the extra ','")
    if len(items) > 1 and any(item.split("/")[0] == "*" for item in items):
        hint = "write '*' alone or list the values"
        raise _fail(f"{spec.name} list '{text}' mixes '*' with other items", expr, hint)
    texts: list[str] = []
    values: set[int] = set()
    for item in items:
        canonical, item_values = _parse_item(spec, item, expr)
        texts.append(canonical)
        values |= item_values
    if spec is _DOW:
        values = {v % 7 for v in values}
    return ",".join(texts), frozenset(values)


# --------------------------------------------------------------------------------------------------
# The expression


class _Days(Enum):
    ALL = "all"  # no day restriction
    DOM = "dom"  # day-of-month alone decides
    DOW = "dow"  # day-of-week alone decides
    EITHER = "either"  # both restricted: fires when either matches (the OR rule)


@dataclass(frozen=True)
class CronExpr:
    """A validated standard 5-field cron expression; field attributes hold canonical text."""

    source: str
    minute: str
    hour: str
    day_of_month: str
    month: str
    day_of_week: str
    # Value sets, derived in __post_init__ (so a hand-built CronExpr is validated too).
    _minutes: frozenset[int] = field(init=False, repr=False, compare=False)
    _hours: frozenset[int] = field(init=False, repr=False, compare=False)
    _doms: frozenset[int] = field(init=False, repr=False, compare=False)
    _months: frozenset[int] = field(init=False, repr=False, compare=False)
    _dows: frozenset[int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        expr = self.fields_text
        for name, spec, text in zip(
            ("_minutes", "_hours", "_doms", "_months", "_dows"), _SPECS, self._field_texts(), strict=True
        ):
            canonical, values = _parse_field(spec, text, expr)
            if canonical != text:
                raise CronError(
                    f"{spec.name} text '{text}' is not in canonical form (expected '{canonical}')",
                    "build CronExpr with parse_cron()",
                )
            object.__setattr__(self, name, values)
        if self._day_rule() is _Days.DOM:
            longest = max(_MAX_DAYS[m - 1] for m in self._months)
            if min(self._doms) > longest:
                raise _fail(
                    f"day-of-month {self.day_of_month} never occurs in month {self.month}; "
                    "the schedule would never fire",
                    expr,
                    f"pick days that exist in month {self.month} (at most {longest} days)",
                )

    def _field_texts(self) -> tuple[str, str, str, str, str]:
        return (self.minute, self.hour, self.day_of_month, self.month, self.day_of_week)

    @property
    def fields_text(self) -> str:
        """The canonical 5 fields, space-separated."""
        return " ".join(self._field_texts())

    def _day_rule(self) -> _Days:
        # The dom/dow rule, exactly as croniter (Airflow) applies it. Vixie cron ORs the two fields
        # when both are restricted and otherwise uses the restricted one. croniter decides
        # "unrestricted" like this: a field is unrestricted when its text is exactly "*", or when its
        # values cover the whole field (e.g. "*/1", "1-31", "0-6") AND the *other* day field's text
        # contains a "*" anywhere (e.g. "*/2"). So "0 0 */1 * 1" fires every day (OR of a full
        # day-of-month with Mondays), unlike Vixie's "starts with *" test, which reads it as Mondays.
        dom_full = len(self._doms) == 31
        dow_full = len(self._dows) == 7
        dom_any = self.day_of_month == "*" or (dom_full and "*" in self.day_of_week)
        dow_any = self.day_of_week == "*" or (dow_full and "*" in self.day_of_month)
        if dom_any and dow_any:
            return _Days.ALL
        if dom_any:
            return _Days.ALL if dow_full else _Days.DOW
        if dow_any:
            return _Days.ALL if dom_full else _Days.DOM
        # Both restricted: OR. A full side makes every day match.
        return _Days.ALL if dom_full or dow_full else _Days.EITHER

    def _day_matches(self, dt: datetime) -> bool:
        rule = self._day_rule()
        dom_ok = dt.day in self._doms
        dow_ok = (dt.weekday() + 1) % 7 in self._dows  # Python: Monday=0; cron: Sunday=0
        if rule is _Days.ALL:
            return True
        if rule is _Days.DOM:
            return dom_ok
        if rule is _Days.DOW:
            return dow_ok
        return dom_ok or dow_ok

    def matches(self, dt: datetime) -> bool:
        """Whether the schedule fires at ``dt``'s wall-clock minute (seconds and tzinfo are ignored)."""
        in_time = dt.minute in self._minutes and dt.hour in self._hours
        return in_time and dt.month in self._months and self._day_matches(dt)


def parse_cron(text: str) -> CronExpr:
    """Parse and validate a standard 5-field cron expression or macro; raise CronError if invalid."""
    if not isinstance(text, str):  # YAML may hand us an int or null
        raise CronError(
            f"expected a cron expression string, got {type(text).__name__} {text!r}",
            'quote the schedule in YAML, e.g. cron: "0 3 * * *"',
        )
    stripped = text.strip()
    if not stripped:
        raise CronError("cron expression is empty", f"write 5 fields: {_FIELDS_HELP}, e.g. '0 3 * * *'")
    fields = stripped.split()
    if fields[0].startswith("@"):
        return _parse_macro(text, fields)
    if len(fields) != 5:
        message = (
            f"expected 5 fields ({_FIELDS_HELP}), got {len(fields)} in cron '{stripped}'; "
            "pipespec schedules use standard 5-field cron"
        )
        if len(fields) > 5:
            message += "; write seconds-free cron"
            hint = "drop the seconds field (and any year field): Quartz '0 0 3 * * ?' is '0 3 * * *'"
        else:
            hint = f"write all 5 fields ({_FIELDS_HELP}), e.g. '0 3 * * *' for every day at 03:00"
        raise CronError(message, hint)
    parsed = [_parse_field(spec, value, stripped)[0] for spec, value in zip(_SPECS, fields, strict=True)]
    return CronExpr(text, *parsed)


def _parse_macro(text: str, fields: Sequence[str]) -> CronExpr:
    macro = fields[0].lower()
    if macro == "@reboot":
        raise CronError(
            "'@reboot' is not a schedule: it has no time to translate for Databricks, AWS or Airflow",
            "use a time-based schedule such as '@daily', or trigger the pipeline on demand",
        )
    if macro not in _MACROS:
        raise CronError(f"unknown cron macro '{fields[0]}'", "use one of " + " ".join(_MACROS))
    if len(fields) > 1:
        raise CronError(
            f"cron macro '{fields[0]}' must stand alone, got '{' '.join(fields)}'",
            f"write just '{fields[0]}', or 5 fields ({_FIELDS_HELP})",
        )
    minute, hour, dom, month, dow = _MACROS[macro].split()
    return CronExpr(text, minute, hour, dom, month, dow)


# --------------------------------------------------------------------------------------------------
# Translations


def to_airflow(c: CronExpr) -> str:
    """5-field expression for Airflow/croniter with the same meaning.

    The user's own fields are kept (names included) when they parse to this expression: every form
    this module accepts means the same to croniter, which is asserted by the test-suite. Macros are
    expanded because Airflow's own presets do not include ``@midnight`` and ``@annually``.
    """
    fields = c.source.split()
    if fields and not fields[0].startswith("@"):
        try:
            same = parse_cron(c.source) == c  # guards against a hand-built CronExpr with another source
        except CronError:
            same = False
        if same:
            return " ".join(fields)
    return c.fields_text


def _render(values: Iterable[int], lo: int, hi: int, *, steps: bool) -> str:
    """Shortest plain Quartz/EventBridge text for a value set: '*', 'a/n', or a list of values/ranges.

    Only forms both dialects document are produced, never wrap-around ranges.
    """
    vals = sorted(set(values))
    if len(vals) == hi - lo + 1:
        return "*"
    if steps and len(vals) >= 3:
        step = vals[1] - vals[0]
        # "a/n" runs to the end of the field, so only use it when the progression does too.
        if step >= 2 and vals[-1] + step > hi and vals == list(range(vals[0], hi + 1, step)):
            return f"{vals[0]}/{step}"
    parts: list[str] = []
    start = prev = vals[0]
    for v in [*vals[1:], None]:
        if v is not None and v == prev + 1:
            prev = v
            continue
        if prev - start >= 2:
            parts.append(f"{start}-{prev}")
        else:
            parts.extend(str(x) for x in range(start, prev + 1))
        if v is not None:
            start = prev = v
    return ",".join(parts)


def _quartz_days(c: CronExpr, dialect: str) -> tuple[str, str]:
    """(day-of-month, day-of-week) with exactly one '?' and day-of-week numbered 1-7 = SUN-SAT."""
    rule = c._day_rule()
    if rule is _Days.ALL:
        return "*", "?"
    if rule is _Days.DOM:
        return _render(c._doms, 1, 31, steps=True), "?"
    if rule is _Days.DOW:
        # Renumber (standard 0=SUN -> 1=SUN) from the value set, so "5-7" becomes "1,6,7": ranges
        # and steps are re-derived, never copied, and EventBridge allows no '/' in day-of-week.
        return "?", _render((d + 1 for d in c._dows), 1, 7, steps=False)
    raise CronError(
        f"{dialect} cannot express a schedule restricted by both day-of-month and day-of-week: "
        f"'{c.fields_text}' fires when EITHER day-of-month {c.day_of_month} OR day-of-week "
        f"{c.day_of_week} matches (standard cron), but {dialect} needs '?' in one of the two fields",
        "split it into two schedules (two pipelines), one per restriction, or drop one restriction",
    )


def _time_fields(c: CronExpr) -> tuple[str, str, str]:
    return (
        _render(c._minutes, 0, 59, steps=True),
        _render(c._hours, 0, 23, steps=True),
        _render(c._months, 1, 12, steps=True),
    )


def to_quartz(c: CronExpr) -> str:
    """Databricks ``quartz_cron_expression``: ``sec min hour dom month dow``, e.g. ``0 0 3 * * ?``."""
    minute, hour, month = _time_fields(c)
    dom, dow = _quartz_days(c, "Quartz (Databricks)")
    return f"0 {minute} {hour} {dom} {month} {dow}"


def to_eventbridge(c: CronExpr) -> str:
    """EventBridge rule / Scheduler / Glue expression, e.g. ``cron(0 3 * * ? *)``."""
    minute, hour, month = _time_fields(c)
    dom, dow = _quartz_days(c, "EventBridge")
    return f"cron({minute} {hour} {dom} {month} {dow} *)"


# --------------------------------------------------------------------------------------------------
# Human description (best effort, for CLI output)


def _runs(values: Iterable[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for v in sorted(set(values)):
        if out and v == out[-1][1] + 1:
            out[-1] = (out[-1][0], v)
        else:
            out.append((v, v))
    return out


def _join(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _human(values: Iterable[int], name: Sequence[str] | None = None, offset: int = 0) -> str:
    """'1-5, 10' style text; with names, 'Monday to Friday' style."""

    def label(v: int) -> str:
        return name[v - offset] if name is not None else str(v)

    words: list[str] = []
    for a, b in _runs(values):
        if b - a >= 2:
            words.append(f"{label(a)} to {label(b)}" if name is not None else f"{a}-{b}")
        else:
            words.extend(label(v) for v in range(a, b + 1))
    return _join(words)


def _step_of(values: frozenset[int], lo: int, hi: int) -> int | None:
    """n when the set is exactly lo, lo+n, ... up to hi (i.e. '*/n'), else None."""
    vals = sorted(values)
    if len(vals) < 2 or vals[0] != lo:
        return None
    step = vals[1] - vals[0]
    return step if vals == list(range(lo, hi + 1, step)) else None


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _describe_time(minutes: frozenset[int], hours: frozenset[int]) -> str:
    all_hours = len(hours) == 24
    hour_step = _step_of(hours, 0, 23)
    if len(minutes) == 1:
        (m,) = minutes
        if len(hours) <= 4:
            return "at " + _join([f"{h:02d}:{m:02d}" for h in sorted(hours)])
        if all_hours:
            return f"at minute {m} of every hour"
        if hour_step:
            return f"at minute {m} of every {hour_step} hours"
        return f"at minute {m} past hours {_human(hours)}"
    if len(minutes) == 60:
        what = "every minute"
    elif step := _step_of(minutes, 0, 59):
        what = f"every {step} minutes"
    else:
        what = f"at minutes {_human(minutes)}"
    if all_hours:
        return what + ("" if len(minutes) == 60 else " of every hour")
    runs = _runs(hours)
    if len(runs) == 1 and (len(minutes) == 60 or _step_of(minutes, 0, 59)):
        first, last = runs[0]
        return f"{what} from {first:02d}:00 to {last:02d}:59"
    return f"{what} past hours {_human(hours)}"


def describe(c: CronExpr) -> str:
    """Short English text, e.g. ``at 03:00 every day`` (best effort)."""
    rule = c._day_rule()
    dom_step = _step_of(c._doms, 1, 31) if len(c._doms) >= 3 else None
    dom_text = (
        f"on every {_ordinal(dom_step)} day of the month"
        if dom_step
        else f"on day{'s' if len(c._doms) > 1 else ''} {_human(c._doms)} of the month"
    )
    # Weekdays listed Monday-first (Sunday as 7) so "5-7" reads "Friday to Sunday".
    dow_text = f"on {_human((d or 7 for d in c._dows), _DOW_NAMES[1:] + _DOW_NAMES[:1], 1)}"
    days = {
        _Days.ALL: "every day",
        _Days.DOM: dom_text,
        _Days.DOW: dow_text,
        _Days.EITHER: f"{dom_text} or {dow_text}",
    }[rule]
    months = "" if len(c._months) == 12 else f" in {_human(c._months, _MONTH_NAMES, 1)}"
    return f"{_describe_time(c._minutes, c._hours)} {days}{months}"

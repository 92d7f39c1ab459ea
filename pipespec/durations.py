"""Durations as users write them (``90s``, ``5m``, ``2h``, ``1h30m``, ``1d``) <-> seconds."""

from __future__ import annotations

import re

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+)([smhdw])")
_FULL = re.compile(r"(?:\d+[smhdw])+")


class DurationError(ValueError):
    pass


def parse_duration(value: object) -> int:
    """Seconds for a duration string. Bare integers are rejected: units are never implied."""
    if isinstance(value, bool) or not isinstance(value, str):
        raise DurationError(f"expected a duration such as '5m' or '2h', got {value!r}; write the unit (s, m, h, d, w)")
    text = value.strip().lower().replace(" ", "")
    if not _FULL.fullmatch(text):
        raise DurationError(
            f"invalid duration {value!r}: write a number and a unit, like '90s', '5m', '2h', '1h30m' or '1d'"
        )
    seconds = sum(int(n) * _UNITS[u] for n, u in _PART.findall(text))
    if seconds <= 0:
        raise DurationError(f"duration {value!r} must be greater than zero")
    return seconds


def format_duration(seconds: int | float) -> str:
    """Shortest exact text for a number of seconds (``5400`` -> ``1h30m``)."""
    rest = int(round(seconds))
    if rest <= 0:
        return "0s"
    out = ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if rest >= size:
            out += f"{rest // size}{unit}"
            rest %= size
    return out

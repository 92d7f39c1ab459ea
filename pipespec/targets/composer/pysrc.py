"""Python source building blocks: literals and calls, already formatted the way `ruff format` leaves them.

The DAG file is generated formatted (no formatter dependency): a literal stays on one line when it
fits in the line length, otherwise it is exploded one item per line with a trailing comma, which
`ruff format` / `black` keep as is (magic trailing comma).
"""

from __future__ import annotations

import json
import keyword
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

LINE_LENGTH = 120
INDENT = "    "


@dataclass(frozen=True)
class Expr:
    """Python source text used verbatim (a name, a call, `timedelta(...)`)."""

    code: str


def string(value: str) -> str:
    """A string literal as ruff format writes it: double quotes unless single quotes need fewer escapes."""
    text = json.dumps(value, ensure_ascii=False)  # JSON escapes are all valid Python escapes
    if value.count('"') <= value.count("'"):
        return text
    body, out, i = text[1:-1], [], 0
    while i < len(body):
        if body[i] == "\\":
            pair = body[i : i + 2]
            out.append('"' if pair == '\\"' else pair)
            i += 2
        else:
            out.append("\\'" if body[i] == "'" else body[i])
            i += 1
    return "'" + "".join(out) + "'"


def _key(key: Any, value: Any) -> str:
    """A dict entry; a key starting with '**' unpacks its value (an Expr) into the dict."""
    if str(key).startswith("**"):
        return f"**{_flat(value)}"
    return f"{string(str(key))}: {_flat(value)}"


def literal(value: Any, indent: int = 0, prefix_len: int = 0) -> str:
    """Source for a plain value; `prefix_len` is what precedes it on its first line (for wrapping)."""
    flat = _flat(value)
    if "\n" not in flat and len(INDENT * indent) + prefix_len + len(flat) <= LINE_LENGTH:
        return flat
    if isinstance(value, Mapping) and value:
        inner = INDENT * (indent + 1)
        lines = [
            f"{inner}**{_flat(v)},"
            if str(k).startswith("**")
            else f"{inner}{string(str(k))}: {literal(v, indent + 1, len(string(str(k))) + 2)},"
            for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))
        ]
        return "{\n" + "\n".join(lines) + "\n" + INDENT * indent + "}"
    if isinstance(value, list | tuple) and value:
        inner = INDENT * (indent + 1)
        open_, close = ("[", "]") if isinstance(value, list) else ("(", ")")
        lines = [f"{inner}{literal(v, indent + 1)}," for v in value]
        return open_ + "\n" + "\n".join(lines) + "\n" + INDENT * indent + close
    return flat


def _flat(value: Any) -> str:
    if isinstance(value, Expr):
        return value.code
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return string(value)
    if isinstance(value, Mapping):
        items = ", ".join(_key(k, v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0])))
        return "{" + items + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flat(v) for v in value) + "]"
    if isinstance(value, tuple):
        if len(value) == 1:
            return f"({_flat(value[0])},)"
        return "(" + ", ".join(_flat(v) for v in value) + ")"
    raise TypeError(f"no Python literal for {type(value).__name__}")


def call(func: str, kwargs: Sequence[tuple[str, Any]], indent: int = 0, prefix: str = "") -> str:
    """`prefix + func(` one keyword argument per line `)` (always exploded: one kwarg per line reads best)."""
    inner = INDENT * (indent + 1)
    lines = [f"{INDENT * indent}{prefix}{func}("]
    for name, value in kwargs:
        if name.startswith("**"):  # unpack an Expr returning a dict of keyword arguments
            lines.append(f"{inner}**{_flat(value)},")
        else:
            lines.append(f"{inner}{name}={literal(value, indent + 1, len(name) + 2)},")
    lines.append(f"{INDENT * indent})")
    return "\n".join(lines)


def identifiers(names: Iterable[str], prefix: str = "") -> dict[str, str]:
    """A distinct Python identifier for each name (ties between sanitized clashes broken by sorted name)."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for name in sorted(set(names)):
        base = prefix + re.sub(r"\W", "_", name, flags=re.ASCII)
        if not base or base[0].isdigit() or keyword.iskeyword(base):
            base = f"t_{base}"
        ident, n = base, 2
        while ident in used:
            ident, n = f"{base}_{n}", n + 1
        used.add(ident)
        out[name] = ident
    return out


def timedelta_expr(seconds: int) -> Expr:
    """`timedelta(...)` in the largest whole unit, so the file reads like a person wrote it."""
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds and seconds % size == 0:
            return Expr(f"timedelta({unit}={seconds // size})")
    return Expr(f"timedelta(seconds={seconds})")

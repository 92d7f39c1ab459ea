"""The definition as written to disk and deployed: sorted keys, one line per state.

Fully indented JSON would double the size, and with it the number of nested machines a large
pipeline needs under the 1 MiB limit; one compact line per state stays readable and diffable.
"""

from __future__ import annotations

import json
from typing import Any


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _states_block(states: dict[str, Any], indent: str) -> list[str]:
    """One state per line (nested Parallel branches expanded): readable, diffable, and compact.

    Pretty-printing every level would double the size and with it the number of nested
    machines a large pipeline needs under the 1 MiB definition limit.
    """
    lines: list[str] = []
    names = sorted(states)
    for i, name in enumerate(names):
        state = states[name]
        comma = "," if i < len(names) - 1 else ""
        if state.get("Type") != "Parallel":
            lines.append(f"{indent}{_compact(name)}: {_compact(state)}{comma}")
            continue
        rest = {k: v for k, v in state.items() if k != "Branches"}
        lines.append(f"{indent}{_compact(name)}: {{")
        lines.append(f'{indent}  "Branches": [')
        for j, branch in enumerate(state["Branches"]):
            lines.append(f"{indent}    {{")
            lines.append(f'{indent}      "StartAt": {_compact(branch["StartAt"])},')
            lines.append(f'{indent}      "States": {{')
            lines.extend(_states_block(branch["States"], indent + "        "))
            lines.append(f"{indent}      }}")
            lines.append(f"{indent}    }}" + ("," if j < len(state["Branches"]) - 1 else ""))
        lines.append(f"{indent}  ],")
        keys = sorted(rest)
        for k, key in enumerate(keys):
            lines.append(f"{indent}  {_compact(key)}: {_compact(rest[key])}" + ("," if k < len(keys) - 1 else ""))
        lines.append(f"{indent}}}{comma}")
    return lines


def render_json(definition: dict[str, Any]) -> str:
    """The definition as deployed: top-level keys and one line per state (keys sorted)."""
    if "States" not in definition:  # a loose set of states (size estimates)
        return "{\n" + "\n".join(_states_block(definition, "  ")) + "\n}\n"
    lines = ["{"]
    keys = sorted(definition)
    for k, key in enumerate(keys):
        comma = "," if k < len(keys) - 1 else ""
        if key == "States":
            lines.append('  "States": {')
            lines.extend(_states_block(definition["States"], "    "))
            lines.append(f"  }}{comma}")
        else:
            lines.append(f"  {_compact(key)}: {_compact(definition[key])}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"

"""Compare two synth outputs: a Markdown summary ready to post on a pull request.

A synth output folder holds `resources.json` (sorted by URN), `outputs.json`, `dags.json`
(pipeline -> task -> dependencies) and `documents/` (ASL, job settings, DAG files).
Comparing two stacks (promotion) ignores the stack part of URNs so the same logical
resource lines up across environments.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_DOC_DIFF_LINES = 120
MAX_CHANGED_PATHS = 12


@dataclass
class SynthOutput:
    root: Path
    resources: dict[str, dict[str, Any]]
    dags: dict[str, dict[str, list[str]]]
    documents: dict[str, str]
    stack: str = ""

    @classmethod
    def read(cls, root: Path, *, normalize_stack: bool = False) -> SynthOutput:
        raw = json.loads((root / "resources.json").read_text(encoding="utf-8"))
        resources: dict[str, dict[str, Any]] = {}
        stack = ""
        for r in raw:
            urn = r["urn"]
            if normalize_stack:
                stack = urn.split("::")[0].removeprefix("urn:pulumi:")
                urn = _strip_stack(urn)
            resources[urn] = r
        dags_file = root / "dags.json"
        dags = json.loads(dags_file.read_text(encoding="utf-8")) if dags_file.exists() else {}
        docs_root = root / "documents"
        documents = {
            str(p.relative_to(docs_root)): p.read_text(encoding="utf-8")
            for p in sorted(docs_root.rglob("*"))
            if p.is_file()
        }
        return cls(root, resources, dags, documents, stack)


def _strip_stack(urn: str) -> str:
    return re.sub(r"^urn:pulumi:[^:]+::", "urn:pulumi:*::", urn)


def _changed_paths(old: Any, new: Any, path: str = "") -> list[str]:
    if type(old) is not type(new):
        return [path or "."]
    if isinstance(old, dict):
        out: list[str] = []
        for key in sorted(set(old) | set(new)):
            sub = f"{path}.{key}" if path else str(key)
            if key not in old or key not in new:
                out.append(sub)
            else:
                out.extend(_changed_paths(old[key], new[key], sub))
        return out
    if isinstance(old, list):
        if len(old) != len(new):
            return [f"{path}[] ({len(old)} → {len(new)} items)"]
        out = []
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            out.extend(_changed_paths(a, b, f"{path}[{i}]"))
        return out
    return [] if old == new else [path or "."]


@dataclass
class Comparison:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)
    docs_added: list[str] = field(default_factory=list)
    docs_removed: list[str] = field(default_factory=list)
    docs_changed: dict[str, str] = field(default_factory=dict)  # name -> unified diff
    dag_changes: dict[str, str] = field(default_factory=dict)  # pipeline -> mermaid

    @property
    def empty(self) -> bool:
        return not (
            self.added or self.removed or self.changed or self.docs_added or self.docs_removed or self.docs_changed
        )


def compare(old: SynthOutput, new: SynthOutput) -> Comparison:
    result = Comparison()
    result.added = sorted(set(new.resources) - set(old.resources))
    result.removed = sorted(set(old.resources) - set(new.resources))
    for urn in sorted(set(old.resources) & set(new.resources)):
        a, b = old.resources[urn], new.resources[urn]
        paths = _changed_paths(
            {"inputs": a.get("inputs"), "parent": _strip_stack(a.get("parent", ""))},
            {"inputs": b.get("inputs"), "parent": _strip_stack(b.get("parent", ""))},
        )
        if paths:
            result.changed[urn] = paths
    result.docs_added = sorted(set(new.documents) - set(old.documents))
    result.docs_removed = sorted(set(old.documents) - set(new.documents))
    for name in sorted(set(old.documents) & set(new.documents)):
        if old.documents[name] != new.documents[name]:
            diff = difflib.unified_diff(
                old.documents[name].splitlines(),
                new.documents[name].splitlines(),
                f"a/{name}",
                f"b/{name}",
                lineterm="",
                n=2,
            )
            result.docs_changed[name] = "\n".join(diff)
    for pipeline in sorted(set(old.dags) | set(new.dags)):
        a_dag, b_dag = old.dags.get(pipeline, {}), new.dags.get(pipeline, {})
        if a_dag != b_dag:
            result.dag_changes[pipeline] = dag_change_mermaid(a_dag, b_dag)
    return result


def dag_change_mermaid(old: dict[str, list[str]], new: dict[str, list[str]]) -> str:
    """Union of both DAGs: added tasks/edges green, removed red and dashed, the rest grey."""
    node = lambda t: re.sub(r"[^A-Za-z0-9_]", "_", t)  # noqa: E731
    lines = ["flowchart LR"]
    tasks = sorted(set(old) | set(new))
    for t in tasks:
        lines.append(f'    {node(t)}["{t}"]')
    old_edges = {(d, t) for t, ds in old.items() for d in ds}
    new_edges = {(d, t) for t, ds in new.items() for d in ds}
    styles: list[str] = []
    for i, (d, t) in enumerate(sorted(old_edges | new_edges)):
        removed = (d, t) not in new_edges
        lines.append(f"    {node(d)} {'-.->' if removed else '-->'} {node(t)}")
        if (d, t) not in old_edges:
            styles.append(f"    linkStyle {i} stroke:#1e8449,stroke-width:3px")
        elif removed:
            styles.append(f"    linkStyle {i} stroke:#c0392b,stroke-width:2px")
    lines += styles
    lines.append("    classDef added fill:#d5f5e3,stroke:#1e8449")
    lines.append("    classDef removed fill:#fadbd8,stroke:#c0392b,stroke-dasharray: 4 2")
    added_nodes = [node(t) for t in tasks if t not in old]
    removed_nodes = [node(t) for t in tasks if t not in new]
    if added_nodes:
        lines.append(f"    class {','.join(added_nodes)} added")
    if removed_nodes:
        lines.append(f"    class {','.join(removed_nodes)} removed")
    return "\n".join(lines) + "\n"


def _short(urn: str) -> str:
    parts = urn.split("::")
    return f"`{parts[-1]}` ({parts[-2].split('$')[-1]})" if len(parts) >= 4 else f"`{urn}`"


def to_markdown(result: Comparison, title: str) -> str:
    out = [f"### {title}", ""]
    if result.empty:
        out.append("No changes: both sides register the same resources with the same inputs.")
        return "\n".join(out) + "\n"
    out.append(
        f"**{len(result.added)} to add, {len(result.changed)} to change, {len(result.removed)} to remove**"
        f" · documents: {len(result.docs_added)} new, {len(result.docs_changed)} changed,"
        f" {len(result.docs_removed)} removed"
    )
    out.append("")
    if result.added or result.changed or result.removed:
        out += ["| | resource | what changes |", "|---|---|---|"]
        for urn in result.added:
            out.append(f"| ➕ | {_short(urn)} | new |")
        for urn, paths in result.changed.items():
            shown = ", ".join(f"`{p}`" for p in paths[:MAX_CHANGED_PATHS])
            more = f" and {len(paths) - MAX_CHANGED_PATHS} more" if len(paths) > MAX_CHANGED_PATHS else ""
            out.append(f"| ✏️ | {_short(urn)} | {shown}{more} |")
        for urn in result.removed:
            out.append(f"| ➖ | {_short(urn)} | **removed** |")
        out.append("")
    for pipeline, mermaid in result.dag_changes.items():
        out += [f"#### DAG changes: `{pipeline}`", "", "```mermaid", mermaid.rstrip(), "```", ""]
    for name in result.docs_added:
        out.append(f"- new document `{name}`")
    for name in result.docs_removed:
        out.append(f"- removed document `{name}`")
    for name, diff in result.docs_changed.items():
        lines = diff.splitlines()
        clipped = lines[:MAX_DOC_DIFF_LINES]
        if len(lines) > MAX_DOC_DIFF_LINES:
            clipped.append(f"… {len(lines) - MAX_DOC_DIFF_LINES} more lines")
        out += [
            "<details>",
            f"<summary>document <code>{name}</code> changed</summary>",
            "",
            "```diff",
            *clipped,
            "```",
            "</details>",
            "",
        ]
    return "\n".join(out).rstrip() + "\n"

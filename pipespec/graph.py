"""Pictures of a pipeline DAG (Mermaid, Graphviz dot) with the critical path highlighted."""

from __future__ import annotations

import re

from .dag import critical_path, transitive_reduction
from .durations import format_duration
from .ir import PipelineIR


def _node_id(task_id: str) -> str:
    # Mermaid and dot ids: keep them safe whatever the task id contains.
    return re.sub(r"[^A-Za-z0-9_]", "_", task_id)


def _label(ir: PipelineIR, task_id: str) -> str:
    t = ir.task(task_id)
    gate = " ⛨" if t.quality_gate else ""
    return f"{task_id}{gate}<br/>{t.kind} · {format_duration(t.expected_duration_s)}"


def to_mermaid(ir: PipelineIR, *, reduce: bool = False) -> str:
    deps = transitive_reduction(ir.deps) if reduce else ir.deps
    cp = critical_path(ir.deps, ir.durations)
    on_path = set(cp.path)
    path_edges = set(zip(cp.path, cp.path[1:], strict=False))
    lines = ["flowchart LR"]
    for t in ir.tasks:
        lines.append(f'    {_node_id(t.id)}["{_label(ir, t.id)}"]')
    edge_index = 0
    highlighted: list[int] = []
    for t in ir.tasks:
        for dep in deps[t.id]:
            arrow = "-.->" if t.trigger_rule != "all_success" else "-->"
            lines.append(f"    {_node_id(dep)} {arrow} {_node_id(t.id)}")
            if (dep, t.id) in path_edges:
                highlighted.append(edge_index)
            edge_index += 1
    lines.append("    classDef critical fill:#fde2e1,stroke:#c0392b,stroke-width:2px")
    lines.append("    classDef gate fill:#e8f4fd,stroke:#2471a3")
    gates = [t.id for t in ir.tasks if t.quality_gate and t.id not in on_path]
    if on_path:
        lines.append(f"    class {','.join(_node_id(t) for t in cp.path)} critical")
    if gates:
        lines.append(f"    class {','.join(_node_id(t) for t in gates)} gate")
    for idx in highlighted:
        lines.append(f"    linkStyle {idx} stroke:#c0392b,stroke-width:3px")
    return "\n".join(lines) + "\n"


def to_dot(ir: PipelineIR, *, reduce: bool = False) -> str:
    deps = transitive_reduction(ir.deps) if reduce else ir.deps
    cp = critical_path(ir.deps, ir.durations)
    on_path = set(cp.path)
    path_edges = set(zip(cp.path, cp.path[1:], strict=False))
    lines = [
        f'digraph "{ir.name}" {{',
        "    rankdir=LR;",
        '    node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="Helvetica"];',
        f'    label="{ir.name} — critical path {format_duration(cp.length)}"; labelloc=t;',
    ]
    for t in ir.tasks:
        label = f"{t.id}\\n{t.kind} · {format_duration(t.expected_duration_s)}"
        attrs = [f'label="{label}"']
        if t.id in on_path:
            attrs += ['fillcolor="#fde2e1"', 'color="#c0392b"', "penwidth=2"]
        elif t.quality_gate:
            attrs += ['fillcolor="#e8f4fd"']
        if t.quality_gate:
            attrs.append("peripheries=2")
        lines.append(f'    "{t.id}" [{", ".join(attrs)}];')
    for t in ir.tasks:
        for dep in deps[t.id]:
            attrs = []
            if (dep, t.id) in path_edges:
                attrs += ['color="#c0392b"', "penwidth=3"]
            if t.trigger_rule != "all_success":
                attrs += ["style=dashed", f'label="{t.trigger_rule}"']
            suffix = f" [{', '.join(attrs)}]" if attrs else ""
            lines.append(f'    "{dep}" -> "{t.id}"{suffix};')
    lines.append("}")
    return "\n".join(lines) + "\n"

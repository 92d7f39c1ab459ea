"""Generated pipeline specs of any size, shared by the benchmarks (deterministic by seed)."""

from __future__ import annotations

import random


def layered_spec(n_tasks: int, *, seed: int = 7, width: int = 20, kind: str = "python") -> str:
    """A medallion-like layered DAG: each task depends on 1-3 tasks of the previous layer."""
    rng = random.Random(seed)
    lines = [
        "apiVersion: pipespec/v1",
        f"name: generated_{n_tasks}",
        "owner: bench",
        "schedule: {cron: '0 3 * * *', timezone: Europe/Berlin}",
        "defaults: {retries: {count: 2, delay: 1m, backoff: exponential}, timeout: 1h}",
        "channels: {team: {type: email, addresses: [team@example.com]}}",
        "notify: {on_failure: [team]}",
        "tasks:",
    ]
    previous: list[str] = []
    current: list[str] = []
    for i in range(n_tasks):
        tid = f"task_{i:05d}"
        deps = rng.sample(previous, k=min(len(previous), rng.randint(1, 3))) if previous else []
        dep_text = f", depends_on: [{', '.join(sorted(deps))}]" if deps else ""
        minutes = rng.randint(1, 30)
        body = f"kind: python, script: jobs/{tid}.py" if kind == "python" else f"kind: dbt, command: run, select: {tid}"
        lines.append(f"  {tid}: {{{body}, expected_duration: {minutes}m{dep_text}}}")
        current.append(tid)
        if len(current) == width:
            previous, current = current, []
    return "\n".join(lines) + "\n"

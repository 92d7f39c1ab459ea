"""The pipeline as Step Functions runs it: failure handlers apart, the rest as a series-parallel tree.

The tree (from `pipespec.spize`) decides which extra waits a non-series-parallel DAG gets;
this module measures them: critical path vs encoded makespan, and which tasks start later
than their dependencies allow. Computed once per IR (validation and render share it).
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

from ...ir import PipelineIR, TaskIR
from ...spize import Leaf, Par, Seq, SPNode, critical_path_length, makespan, spize

HANDLER_RULES = ("one_failed", "all_done")


@dataclass(frozen=True)
class Timing:
    critical_path_s: float
    makespan_s: float  # the encoded success path (handlers that always run included)
    delayed: tuple[tuple[str, float], ...]  # (task, seconds it starts later than its dependencies allow), worst first

    @property
    def added_s(self) -> float:
        return max(0.0, self.makespan_s - self.critical_path_s)


@dataclass(frozen=True)
class Plan:
    main: tuple[str, ...]  # tasks of the series-parallel body, topological order
    handlers: tuple[TaskIR, ...]  # run after the body (one_failed / all_done), by id
    tree: SPNode | None  # None when the body is empty (the checks report it)
    timing: Timing


def is_handler(task: TaskIR) -> bool:
    rule = task.trigger_rule
    return rule in HANDLER_RULES or (rule == "all_failed" and len(task.depends_on) <= 1)


def _sp_starts(tree: SPNode, durations: dict[str, float]) -> dict[str, float]:
    starts: dict[str, float] = {}
    stack: list[tuple[SPNode, float]] = [(tree, 0.0)]
    while stack:
        node, t = stack.pop()
        if isinstance(node, Leaf):
            starts[node.task] = t
        elif isinstance(node, Par):
            stack.extend((c, t) for c in node.children)
        else:
            assert isinstance(node, Seq)
            for child in node.children:
                stack.append((child, t))
                t += makespan(child, durations)
    return starts


def _plan(ir: PipelineIR) -> Plan:
    handlers = tuple(sorted((t for t in ir.tasks if is_handler(t)), key=lambda t: t.id))
    skip = {t.id for t in handlers}
    main = tuple(t.id for t in ir.tasks if t.id not in skip)
    durations = ir.durations
    deps = {t: [d for d in ir.task(t).depends_on if d not in skip] for t in main}
    if not main:
        return Plan(main, handlers, None, Timing(0.0, 0.0, ()))
    tree = spize(main, deps, durations)
    cp = critical_path_length(main, deps, durations)
    encoded = makespan(tree, durations)
    always = [durations[h.id] for h in handlers if h.trigger_rule == "all_done"]
    if always:  # all_done handlers depend on every task: both paths end with them
        cp += max(always)
        encoded += max(always)
    earliest: dict[str, float] = {}
    for tid in main:
        earliest[tid] = max((earliest[d] + durations[d] for d in deps[tid]), default=0.0)
    starts = _sp_starts(tree, durations)
    delayed = sorted(
        ((t, starts[t] - earliest[t]) for t in main if starts[t] - earliest[t] > 1e-6),
        key=lambda item: (-item[1], item[0]),
    )
    return Plan(main, handlers, tree, Timing(cp, encoded, tuple(delayed)))


_CACHE: dict[int, tuple[weakref.ref[PipelineIR], Plan]] = {}
_LOCK = threading.Lock()


def plan(ir: PipelineIR) -> Plan:
    """The body/handler split and its SP tree, computed once per IR object (SP-ization of 5,000 tasks takes seconds)."""
    key = id(ir)
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None and hit[0]() is ir:
            return hit[1]
    result = _plan(ir)
    with _LOCK:
        _CACHE[key] = (weakref.ref(ir, lambda _ref, k=key: _CACHE.pop(k, None)), result)  # type: ignore[misc]
    return result

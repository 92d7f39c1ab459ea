"""DAG algorithms over task ids: order, cycles, transitive reduction, critical path.

Everything is deterministic: ties are broken by task id, so output never depends on
dict or set iteration order. Linear time except transitive reduction (O(V·E/64) with
Python ints as bitsets), which is fine for the 5,000-task pipelines we support.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

Deps = Mapping[str, Sequence[str]]  # task -> tasks it depends on (edges dep -> task)


def successors(deps: Deps) -> dict[str, list[str]]:
    succ: dict[str, list[str]] = {t: [] for t in deps}
    for task in sorted(deps):
        for dep in deps[task]:
            succ.setdefault(dep, []).append(task)
    return succ


def topological_order(deps: Deps) -> list[str]:
    """Kahn's algorithm, smallest id first among ready tasks. Raises CycleError on a cycle."""
    indegree = {t: len(set(ds)) for t, ds in deps.items()}
    succ = successors(deps)
    ready = [t for t, n in indegree.items() if n == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        task = heapq.heappop(ready)
        order.append(task)
        for nxt in succ[task]:
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                heapq.heappush(ready, nxt)
    if len(order) != len(indegree):
        raise CycleError(find_cycles(deps))
    return order


class CycleError(ValueError):
    def __init__(self, cycles: list[list[str]]) -> None:
        self.cycles = cycles
        super().__init__("; ".join(" -> ".join(c) for c in cycles))


def find_cycles(deps: Deps) -> list[list[str]]:
    """One representative cycle per strongly connected component that has one.

    Each cycle is written in execution direction and closed (``a -> b -> a``), starting at
    its smallest id, so the message is stable.
    """
    sccs = _strongly_connected(deps)
    succ = successors(deps)
    cycles: list[list[str]] = []
    for comp in sccs:
        members = set(comp)
        start = min(comp)
        if len(comp) == 1 and start not in deps.get(start, ()):
            continue
        # Shortest cycle through `start` inside the component (BFS over successors).
        parent: dict[str, str] = {}
        frontier = [start]
        found = False
        while frontier and not found:
            nxt_frontier: list[str] = []
            for node in frontier:
                for nxt in sorted(succ.get(node, [])):
                    if nxt not in members:
                        continue
                    if nxt == start:
                        parent[start] = node
                        found = True
                        break
                    if nxt not in parent:
                        parent[nxt] = node
                        nxt_frontier.append(nxt)
                if found:
                    break
            frontier = nxt_frontier
        path = [start]
        node = parent[start]
        while node != start:
            path.append(node)
            node = parent[node]
        path.append(start)
        path.reverse()
        cycles.append(path)
    return sorted(cycles)


def _strongly_connected(deps: Deps) -> list[list[str]]:
    """Tarjan's algorithm, iterative (pipelines can be deep)."""
    succ = successors(deps)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in sorted(succ):
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            children = succ.get(node, [])
            if i < len(children):
                work.append((node, i + 1))
                child = children[i]
                if child not in index:
                    work.append((child, 0))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            if low[node] == index[node]:
                comp: list[str] = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    comp.append(top)
                    if top == node:
                        break
                out.append(sorted(comp))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return out


def transitive_reduction(deps: Deps) -> dict[str, list[str]]:
    """Drop every edge implied by a longer path. Deps must be acyclic."""
    order = topological_order(deps)
    pos = {t: i for i, t in enumerate(order)}
    reach: dict[str, int] = {}  # bitset of ancestors, by topological position
    reduced: dict[str, list[str]] = {}
    for task in order:
        direct = sorted(set(deps[task]), key=lambda d: -pos[d])  # nearest first
        covered = 0
        keep: list[str] = []
        for dep in direct:
            bit = 1 << pos[dep]
            if covered & bit:
                continue
            keep.append(dep)
            covered |= bit | reach[dep]
        reach[task] = covered
        reduced[task] = sorted(keep)
    return reduced


@dataclass(frozen=True)
class CriticalPath:
    length: float
    path: tuple[str, ...]
    earliest_finish: Mapping[str, float]


def critical_path(deps: Deps, durations: Mapping[str, float]) -> CriticalPath:
    """Longest duration-weighted path (the shortest possible end-to-end time)."""
    order = topological_order(deps)
    finish: dict[str, float] = {}
    via: dict[str, str | None] = {}
    for task in order:
        best: str | None = None
        start = 0.0
        for dep in sorted(deps[task]):
            if finish[dep] > start:
                start, best = finish[dep], dep
        finish[task] = start + durations[task]
        via[task] = best
    if not order:
        return CriticalPath(0.0, (), {})
    end = max(order, key=lambda t: finish[t])  # first in topological order wins ties
    path = [end]
    while (prev := via[path[-1]]) is not None:
        path.append(prev)
    return CriticalPath(finish[end], tuple(reversed(path)), finish)

"""Keep every state machine within Step Functions' limits by moving subtrees into nested machines.

Limits (hard, per state machine): the definition is at most 1 MiB, and one standard execution
records at most 25,000 history events. A pipeline that exceeds either is not rejected: the
largest subtrees become their own state machines, started and awaited by the parent with
`states:startExecution.sync:2` (one Task state, six events, in the parent). Costs are
estimated per subtree from the states actually built for each task; the compiler then
measures the rendered machines and tightens the budget if an estimate was short.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ...notify_plan import bounded
from ...spize import Leaf, Par, Seq, SPNode
from .asl import Nested, node_tasks

MAX_DEFINITION_BYTES = 1_048_576
MAX_HISTORY_EVENTS = 25_000
MAX_MACHINE_NAME = 80

PARALLEL_BYTES = 160  # the Parallel state itself, its name included
BRANCH_BYTES = 60  # {"StartAt": ..., "States": {}} per branch
NESTED_BYTES = 420  # a startExecution.sync:2 Task state (ARN placeholder at its longest)
NESTED_EVENTS = 6
PARALLEL_EVENTS = 4

Node = SPNode | Nested


@dataclass(frozen=True)
class Budget:
    bytes: int
    events: int


@dataclass(frozen=True)
class Size:
    bytes: int
    events: int  # worst case: every retry used

    def __add__(self, other: Size) -> Size:
        return Size(self.bytes + other.bytes, self.events + other.events)

    def fits(self, budget: Budget) -> bool:
        return self.bytes <= budget.bytes and self.events <= budget.events


def machine_name(deployed: str, body: Node) -> str:
    """Named after its first and last task: stable when unrelated parts of the pipeline change."""
    tasks = list(node_tasks(body))
    raw = f"{deployed}-{tasks[0]}" + (f"-to-{tasks[-1]}" if len(tasks) > 1 else "")
    return bounded(raw.replace(".", "_"), MAX_MACHINE_NAME)


class Splitter:
    def __init__(self, leaf_size: Callable[[str], Size], deployed: str, budget: Budget) -> None:
        self.leaf_size = leaf_size
        self.deployed = deployed
        self.budget = budget
        self._memo: dict[int, tuple[Node, Size]] = {}  # id -> (node kept alive, size)

    def size(self, node: Node) -> Size:
        hit = self._memo.get(id(node))
        if hit is not None and hit[0] is node:
            return hit[1]
        if isinstance(node, Leaf):
            out = self.leaf_size(node.task)
        elif isinstance(node, Nested):
            out = Size(NESTED_BYTES, NESTED_EVENTS)
        else:
            out = Size(0, 0)
            for child in node.children:
                out = out + self.size(child)
            if isinstance(node, Par):
                out = out + Size(PARALLEL_BYTES + BRANCH_BYTES * len(node.children), PARALLEL_EVENTS)
        self._memo[id(node)] = (node, out)
        return out

    def _nest(self, body: Node) -> Nested:
        return Nested(machine_name(self.deployed, body), body)

    @staticmethod
    def _rebuild(node: Seq | Par, kids: list[Node]) -> Node:
        return type(node)(tuple(kids))  # type: ignore[arg-type]

    def pack(self, root: Node) -> Node:
        """`root` with subtrees replaced by `Nested` machines so that every machine fits the budget."""
        # Post-order without recursion: (node, children done?)
        done: dict[int, Node] = {}
        stack: list[tuple[Node, bool]] = [(root, False)]
        while stack:
            node, ready = stack.pop()
            if isinstance(node, (Leaf, Nested)):
                done[id(node)] = node
                continue
            if not ready:
                stack.append((node, True))
                stack.extend((c, False) for c in node.children)
                continue
            kids = [done[id(c)] for c in node.children]
            done[id(node)] = self._fit(node, kids)
        return done[id(root)]

    def _overhead(self, node: Seq | Par, count: int) -> Size:
        if isinstance(node, Par):
            return Size(PARALLEL_BYTES + BRANCH_BYTES * count, PARALLEL_EVENTS)
        return Size(0, 0)

    def _fit(self, node: Seq | Par, kids: list[Node]) -> Node:
        """Fit one node whose children already fit: bin its children into nested machines, keep one bin inline.

        `Par` children may be grouped in any order (first-fit decreasing packs them tightly);
        `Seq` children only in runs of consecutive ones.
        """
        while True:
            sizes = [self.size(k) for k in kids]
            if self._total(node, sizes).fits(self.budget):
                return self._rebuild(node, kids)
            bins = self._bins(node, sizes)
            if len(bins) == 1 or (len(bins) == len(kids) and all(isinstance(k, Nested) for k in kids)):
                # No grouping helps (a child alone is over the budget): the compiler reports it.
                return self._rebuild(node, kids)
            refs = [self._as_machine(node, [kids[i] for i in b]) for b in bins]
            ref_sizes = [self.size(r) for r in refs]
            # Keep the biggest bin inline when the rest fits next to it: fewer executions.
            for keep in sorted(range(len(bins)), key=lambda b: -sum(sizes[i].bytes for i in bins[b])):
                chosen: list[tuple[int, Node]] = []
                for b, members in enumerate(bins):
                    if b == keep:
                        chosen += [(i, kids[i]) for i in members]
                    else:
                        chosen.append((members[0], refs[b]))
                chosen.sort(key=lambda item: item[0])
                trial = [self.size(k) for _, k in chosen]
                if self._total(node, trial).fits(self.budget):
                    return self._rebuild(node, [k for _, k in chosen])
            del ref_sizes
            kids = refs  # too many machines for one state machine: group the references next

    def _total(self, node: Seq | Par, sizes: list[Size]) -> Size:
        return sum(sizes, self._overhead(node, len(sizes)))

    def _as_machine(self, node: Seq | Par, members: list[Node]) -> Node:
        if len(members) == 1:
            only = members[0]
            return only if isinstance(only, Nested) else self._nest(only)
        return self._nest(self._rebuild(node, members))

    def _bins(self, node: Seq | Par, sizes: list[Size]) -> list[list[int]]:
        """Groups of child indices, each within the budget as its own machine (indices sorted)."""
        step = Size(BRANCH_BYTES, 0) if isinstance(node, Par) else Size(0, 0)
        empty = self._overhead(node, 0)
        bins: list[list[int]] = []
        loads: list[Size] = []
        if isinstance(node, Par):
            order = sorted(range(len(sizes)), key=lambda i: (-sizes[i].bytes, -sizes[i].events, i))
            for i in order:
                for b, load in enumerate(loads):
                    if (load + sizes[i] + step).fits(self.budget):
                        bins[b].append(i)
                        loads[b] = load + sizes[i] + step
                        break
                else:
                    bins.append([i])
                    loads.append(empty + sizes[i] + step)
        else:
            for i in range(len(sizes)):
                if bins and (loads[-1] + sizes[i]).fits(self.budget):
                    bins[-1].append(i)
                    loads[-1] = loads[-1] + sizes[i]
                else:
                    bins.append([i])
                    loads.append(empty + sizes[i])
        return [sorted(b) for b in bins]


def collect(root: Node) -> list[Nested]:
    """Every nested machine under `root`, parents before children, by name within a level."""
    out: list[Nested] = []
    level: list[Node] = [root]
    while level:
        found: list[Nested] = []
        for node in level:
            stack: list[Node] = [node.body if isinstance(node, Nested) else node]
            while stack:
                cur = stack.pop()
                if isinstance(cur, Nested):
                    found.append(cur)
                elif isinstance(cur, (Seq, Par)):
                    stack.extend(cur.children)
        found.sort(key=lambda n: n.machine)
        out.extend(found)
        level = list(found)
    return out

"""Series-parallel encoding ("SP-ization") of task DAGs.

AWS Step Functions only offers structured parallelism (sequences and ``Parallel`` fork/join
states), so an arbitrary dependency DAG has to be encoded as a series-parallel (SP) tree.
The encoding must respect every dependency and should keep the makespan (longest path of
the tree with the expected durations) as close as possible to the DAG's critical path.

Algorithm: recursive decomposition of node subsets.  Every subset handled is convex (no
path leaves it and comes back), so its induced edges capture all precedences among its nodes.

1. weakly connected components -> ``Par`` (free);
2. exact series cuts (level prefixes where every node before precedes every node after)
   -> ``Seq`` (free: the DAG already forces them).  Steps 1-2 alone decompose exactly the
   series-parallel (N-free) DAGs, which therefore come out with makespan == critical path
   for any durations;
3. otherwise the subset needs an extra wait: the top of any encoding of a connected set is
   ``Seq(S, rest)`` with S down-closed, so choose S.  Candidates are prefixes of the nodes
   sorted by keys that increase along edges (earliest start/finish, latest start/finish,
   middle of the slack window); for a prefix, ``cp(S) + cp(rest)`` is a prefix max plus a
   suffix max, so all are scored in O(n log n).  How S is chosen depends on size and on a
   deterministic work budget: optimal search over all down-closed sets (<= 12 nodes),
   memoized branch and bound over the shortlisted prefixes (<= 60), one-step look-ahead that
   encodes both halves greedily (<= 400), else the greedy rule "least loss per node split
   off" (plain least loss would peel one slack node at a time and sequentialize).

The result is never worse than the level baseline (``naive_levels``), which is kept as a
safety net.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Leaf",
    "Par",
    "SPNode",
    "Seq",
    "check",
    "critical_path_length",
    "is_series_parallel",
    "makespan",
    "naive_levels",
    "precedes_pairs",
    "spize",
    "tasks_of",
]


@dataclass(frozen=True)
class Leaf:
    task: str


@dataclass(frozen=True)
class Seq:
    children: tuple[SPNode, ...]


@dataclass(frozen=True)
class Par:
    children: tuple[SPNode, ...]


SPNode = Leaf | Seq | Par


# --------------------------------------------------------------------------- tree helpers


_FirstCache = dict[int, tuple[SPNode, str]]  # id(node) -> (node kept alive, smallest task id)


def _first_task(node: SPNode, cache: _FirstCache | None = None) -> str:
    """Smallest task id in a subtree, used to order ``Par`` children deterministically."""
    if isinstance(node, Leaf):
        return node.task
    if cache is not None:
        hit = cache.get(id(node))
        if hit is not None:
            return hit[1]
    best = min(_first_task(c, cache) if cache is not None else _scan_first(c) for c in node.children)
    if cache is not None:
        cache[id(node)] = (node, best)
    return best


def _scan_first(node: SPNode) -> str:
    best: str | None = None
    stack: list[SPNode] = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, Leaf):
            if best is None or cur.task < best:
                best = cur.task
        else:
            stack.extend(cur.children)
    assert best is not None
    return best


def _seq(children: Sequence[SPNode], cache: _FirstCache | None = None) -> SPNode:
    """Normalized sequence: nested sequences flattened, single child unwrapped."""
    flat: list[SPNode] = []
    for c in children:
        if isinstance(c, Seq):
            flat.extend(c.children)
        else:
            flat.append(c)
    if len(flat) == 1:
        return flat[0]
    node = Seq(tuple(flat))
    if cache is not None:
        _first_task(node, cache)
    return node


def _par(children: Sequence[SPNode], cache: _FirstCache | None = None) -> SPNode:
    """Normalized parallel: nested parallels flattened, children ordered by smallest task id."""
    flat: list[SPNode] = []
    for c in children:
        if isinstance(c, Par):
            flat.extend(c.children)
        else:
            flat.append(c)
    if len(flat) == 1:
        return flat[0]
    keyed = sorted(((_first_task(c, cache), i, c) for i, c in enumerate(flat)), key=lambda t: (t[0], t[1]))
    node = Par(tuple(c for _, _, c in keyed))
    if cache is not None:
        cache[id(node)] = (node, keyed[0][0])
    return node


def tasks_of(node: SPNode) -> list[str]:
    """Tasks of a tree in left-to-right order."""
    out: list[str] = []
    stack: list[SPNode] = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, Leaf):
            out.append(cur.task)
        else:
            stack.extend(reversed(cur.children))
    return out


def makespan(node: SPNode, durations: Mapping[str, float]) -> float:
    """Length of the tree's schedule: ``Seq`` sums, ``Par`` takes the max (iterative, trees can be deep)."""
    # Post-order with an explicit stack; values collected per frame.
    result: list[float] = []
    stack: list[tuple[SPNode, bool]] = [(node, False)]
    while stack:
        cur, done = stack.pop()
        if isinstance(cur, Leaf):
            result.append(float(durations[cur.task]))
        elif not done:
            stack.append((cur, True))
            for c in reversed(cur.children):
                stack.append((c, False))
        else:
            k = len(cur.children)
            vals = result[-k:]
            del result[-k:]
            result.append(sum(vals) if isinstance(cur, Seq) else max(vals))
    return result[0]


def _two_orders(node: SPNode) -> tuple[dict[str, int], dict[str, int]]:
    """Two linear extensions whose intersection is the tree's order (SP orders have dimension <= 2).

    Both walk ``Seq`` children left to right; the second walks ``Par`` children right to left,
    so two tasks are ordered iff they appear in the same order in both walks.
    """
    first: dict[str, int] = {}
    second: dict[str, int] = {}
    for target, flip in ((first, False), (second, True)):
        stack: list[SPNode] = [node]
        while stack:
            cur = stack.pop()
            if isinstance(cur, Leaf):
                if cur.task in target:
                    raise ValueError(f"task {cur.task!r} appears more than once in the SP tree")
                target[cur.task] = len(target)
            elif isinstance(cur, Par) and flip:
                stack.extend(cur.children)
            else:
                stack.extend(reversed(cur.children))
    return first, second


def precedes_pairs(node: SPNode) -> set[tuple[str, str]]:
    """All ordered pairs ``(u, v)`` such that ``u`` finishes before ``v`` starts (quadratic; for tests)."""
    first, second = _two_orders(node)
    ids = sorted(first, key=first.__getitem__)
    out: set[tuple[str, str]] = set()
    for i, u in enumerate(ids):
        su = second[u]
        for v in ids[i + 1 :]:
            if second[v] > su:
                out.add((u, v))
    return out


def check(node: SPNode, tasks: Sequence[str], deps: Mapping[str, Sequence[str]]) -> None:
    """Raise ``ValueError`` unless every task appears exactly once and every dependency is respected."""
    first, second = _two_orders(node)
    expected = set(tasks)
    if len(expected) != len(tasks):
        raise ValueError("duplicate task ids in input")
    missing = sorted(expected - first.keys())
    if missing:
        raise ValueError(f"tasks missing from the SP tree: {missing}")
    extra = sorted(first.keys() - expected)
    if extra:
        raise ValueError(f"unknown tasks in the SP tree: {extra}")
    for v in sorted(deps):
        for u in deps[v]:
            if not (first[u] < first[v] and second[u] < second[v]):
                raise ValueError(f"dependency {u!r} -> {v!r} is not enforced by the SP tree")


# --------------------------------------------------------------------------- graph core


def _duration(durations: Mapping[str, float], task: str) -> float:
    if task not in durations:
        raise ValueError(f"no duration for task {task!r}")
    d = float(durations[task])
    if not (d >= 0 and math.isfinite(d)):
        raise ValueError(f"duration of task {task!r} must be finite and >= 0, got {d!r}")
    return d


class _Graph:
    """Index-based DAG; indices follow a topological order with ties broken by task id."""

    __slots__ = ("dur", "ids", "mark", "n", "preds", "stamp", "succs")

    def __init__(self, tasks: Sequence[str], deps: Mapping[str, Sequence[str]], durations: Mapping[str, float]) -> None:
        names = sorted(set(tasks))
        if len(names) != len(tasks):
            raise ValueError("duplicate task ids")
        pos = {t: i for i, t in enumerate(names)}
        n = len(names)
        pre: list[set[int]] = [set() for _ in range(n)]
        for tv, tus in deps.items():
            if tv not in pos:
                raise ValueError(f"dependencies given for unknown task {tv!r}")
            for tu in tus:
                if tu not in pos:
                    raise ValueError(f"task {tv!r} depends on unknown task {tu!r}")
                if tu == tv:
                    raise ValueError(f"task {tv!r} depends on itself")
                pre[pos[tv]].add(pos[tu])
        indeg = [len(p) for p in pre]
        suc: list[list[int]] = [[] for _ in range(n)]
        for v in range(n):
            for u in pre[v]:
                suc[u].append(v)
        # Kahn with a heap on the (id-sorted) index: deterministic topological order.
        heap = [i for i in range(n) if indeg[i] == 0]
        heapq.heapify(heap)
        order: list[int] = []
        while heap:
            u = heapq.heappop(heap)
            order.append(u)
            for v in suc[u]:
                indeg[v] -= 1
                if indeg[v] == 0:
                    heapq.heappush(heap, v)
        if len(order) != n:
            raise ValueError("dependency graph has a cycle")
        new = [0] * n
        for i, u in enumerate(order):
            new[u] = i
        self.n = n
        self.ids = [names[u] for u in order]
        self.dur = [_duration(durations, names[u]) for u in order]
        self.preds = [sorted(new[u] for u in pre[old]) for old in order]
        self.succs: list[list[int]] = [[] for _ in range(n)]
        for v in range(n):
            for u in self.preds[v]:
                self.succs[u].append(v)
        self.stamp = [0] * n  # membership marker: stamp[v] == current subset id
        self.mark = 0

    def enter(self, nodes: Sequence[int]) -> int:
        """Stamp ``nodes`` as the current subset; valid until the next ``enter``."""
        self.mark += 1
        m = self.mark
        st = self.stamp
        for v in nodes:
            st[v] = m
        return m


def _components(g: _Graph, nodes: list[int], m: int) -> list[list[int]]:
    st = g.stamp
    comp = {v: -1 for v in nodes}
    out: list[list[int]] = []
    for s in nodes:
        if comp[s] >= 0:
            continue
        cid = len(out)
        comp[s] = cid
        members = [s]
        stack = [s]
        while stack:
            u = stack.pop()
            for w in g.preds[u]:
                if st[w] == m and comp[w] < 0:
                    comp[w] = cid
                    members.append(w)
                    stack.append(w)
            for w in g.succs[u]:
                if st[w] == m and comp[w] < 0:
                    comp[w] = cid
                    members.append(w)
                    stack.append(w)
        members.sort()
        out.append(members)
    return out


def _levels(g: _Graph, nodes: list[int], m: int) -> dict[int, int]:
    st = g.stamp
    lev: dict[int, int] = {}
    for v in nodes:  # nodes are in topological order
        best = 0
        for u in g.preds[v]:
            if st[u] == m:
                lu = lev[u] + 1
                if lu > best:
                    best = lu
        lev[v] = best
    return lev


def _series_blocks(g: _Graph, nodes: list[int], m: int) -> list[list[int]]:
    """Split a subset at every exact series cut (returns ``[nodes]`` when there is none).

    A level prefix S is a series cut iff every maximal node of S has an edge to every node
    of the next level (those are exactly the minimal nodes of the rest): a path max(S) -> ... ->
    min(rest) would need an intermediate node in neither set, so the edge must be direct.
    Counting such edges per cut is linear, no reachability sets needed.
    """
    st = g.stamp
    lev = _levels(g, nodes, m)
    top = max(lev.values())
    if top == 0:
        return [nodes]
    width = [0] * (top + 1)
    for v in nodes:
        width[lev[v]] += 1
    minsucc: dict[int, int] = {}
    for u in nodes:
        best = top + 1
        for w in g.succs[u]:
            if st[w] == m and lev[w] < best:
                best = lev[w]
        minsucc[u] = best
    maxcnt_diff = [0] * (top + 2)
    hits = [0] * (top + 1)
    for u in nodes:
        lu = lev[u]
        ms = minsucc[u]
        maxcnt_diff[lu] += 1
        maxcnt_diff[min(ms, top)] -= 1
        if ms <= top:
            for w in g.succs[u]:
                if st[w] == m and lev[w] == ms:
                    hits[ms - 1] += 1
    cuts: list[int] = []
    running = 0
    for k in range(top):
        running += maxcnt_diff[k]
        if hits[k] == running * width[k + 1]:
            cuts.append(k)
    if not cuts:
        return [nodes]
    blocks: list[list[int]] = [[] for _ in range(len(cuts) + 1)]
    # block index of level l = number of cuts strictly below l
    bidx = [0] * (top + 1)
    b = 0
    ci = 0
    for lvl in range(top + 1):
        bidx[lvl] = b
        if ci < len(cuts) and cuts[ci] == lvl:
            b += 1
            ci += 1
    for v in nodes:
        blocks[bidx[lev[v]]].append(v)
    return blocks


def _exact_split(g: _Graph, nodes: list[int]) -> tuple[str, list[list[int]]] | None:
    """Cost-free decomposition: ('par', components) or ('seq', blocks), or None if neither exists."""
    m = g.enter(nodes)
    comps = _components(g, nodes, m)
    if len(comps) > 1:
        return "par", comps
    blocks = _series_blocks(g, nodes, m)
    if len(blocks) > 1:
        return "seq", blocks
    return None


# --------------------------------------------------------------------------- candidate cuts

# Tuning knobs (measured with benchmarks/bench_spize.py).
_EXACT_MAX = 10  # optimal search over all down-closed cuts up to this many nodes
_EXACT_STEPS = 20_000  # per call; past it the subset falls back to the heuristics
_SEARCH_MAX = 60  # branch and bound over the prefix-cut family up to this many nodes
_LOOK_MAX = 400  # one-step look-ahead (greedy encodings of both halves) up to this size
_WIDTH = 3  # look-ahead / search candidates per ranking
_BUDGET_BASE = 20_000  # work units (nodes scanned by decomposition steps) for search + look-ahead,
_BUDGET_PER_NODE = 150  # ... per task; past it everything left is encoded greedily
_SEARCH_MIN_BUDGET = 200  # below this a search would hardly get past its first cut
_LOOK_COST = 20  # look-ahead needs about this many units per node of the subset

_Cand = tuple[float, int, int]  # (loss in units of 1e-12 * cp, key index, prefix size)


class _Cuts:
    """Candidate down-closed prefixes of a connected, series-indecomposable subset.

    Every key used below strictly increases along edges (ties ordered topologically), so
    every prefix of the sorted order is down-closed.  For a down-closed S, cp(S) is the max
    earliest finish inside S and cp(rest) the max tail length inside rest, so the lower
    bound ``cp(S) + cp(rest)`` of every prefix is a prefix max plus a suffix max; the
    excess over cp(subset), relative to it, is the prefix's "loss".
    """

    __slots__ = ("cp", "losses", "n", "nodes", "orders", "scale")

    def __init__(self, g: _Graph, nodes: list[int]):
        m = g.enter(nodes)
        st = g.stamp
        dur = g.dur
        es: dict[int, float] = {}
        ef: dict[int, float] = {}
        for v in nodes:
            s = 0.0
            for u in g.preds[v]:
                if st[u] == m and ef[u] > s:
                    s = ef[u]
            es[v] = s
            ef[v] = s + dur[v]
        tail: dict[int, float] = {}
        for v in reversed(nodes):
            t = 0.0
            for w in g.succs[v]:
                if st[w] == m and tail[w] > t:
                    t = tail[w]
            tail[v] = t + dur[v]
        cp = max(ef.values())
        self.cp = cp
        self.scale = scale = cp if cp > 0 else 1.0  # all-zero durations: any cut is free
        self.nodes = nodes
        self.n = n = len(nodes)
        ls = {v: cp - tail[v] for v in nodes}
        keys: list[dict[int, float]] = [
            ef,  # earliest finish: "everything done by t"
            es,  # earliest start
            ls,  # latest start: "everything that must start before t"
            {v: ls[v] + dur[v] for v in nodes},  # latest finish
            {v: es[v] + ls[v] for v in nodes},  # middle of the slack window
        ]
        inv = 1e12 / scale
        self.orders: list[list[int]] = []
        self.losses: list[list[float]] = []
        for key in keys:
            # ``nodes`` is in topological order and the sort is stable, so equal keys keep it
            order = sorted(nodes, key=key.__getitem__)
            suf = [0.0] * (n + 1)
            for i in range(n - 1, -1, -1):
                t = tail[order[i]]
                suf[i] = t if t > suf[i + 1] else suf[i + 1]
            pre = 0.0
            losses = [0.0] * (n - 1)
            for i in range(n - 1):
                f = ef[order[i]]
                if f > pre:
                    pre = f
                # in units of 1e-12 * cp, rounded so float noise never separates equal cuts
                losses[i] = ((pre + suf[i + 1] - cp) * inv + 0.5) // 1
            self.orders.append(order)
            self.losses.append(losses)

    def greedy(self) -> _Cand:
        """Least loss per node split off; ties: balance, key, size.

        Plain least loss keeps peeling single nodes with slack (each locally cheap), which
        sequentializes the subset one task at a time; amortizing favours real progress.
        """
        n = self.n
        best: tuple[float, int, int, int] | None = None
        for ki, losses in enumerate(self.losses):
            for i, x in enumerate(losses):
                size = i + 1
                small = size if 2 * size <= n else n - size
                key = (x / small, n - 2 * small, ki, size)
                if best is None or key < best:
                    best = key
        assert best is not None
        return self.losses[best[2]][best[3] - 1], best[2], best[3]

    def shortlist(self, width: int, valleys: bool) -> list[_Cand]:
        """Diverse candidates: best by amortized and by plain loss, per-key extremes among the
        least-loss prefixes (peeling the critical source first can be right), and optionally
        every local minimum of each key's loss curve (natural cut points)."""
        n = self.n
        amortized: list[tuple[float, int, int, int]] = []
        plain: list[tuple[float, int, int, int]] = []
        for ki, losses in enumerate(self.losses):
            for i, x in enumerate(losses):
                size = i + 1
                small = size if 2 * size <= n else n - size
                amortized.append((x / small, n - 2 * small, ki, size))
                plain.append((x, n - 2 * small, ki, size))
        picks: list[_Cand] = []
        for _sc, _bal, ki, size in heapq.nsmallest(width, amortized) + heapq.nsmallest(width, plain):
            picks.append((self.losses[ki][size - 1], ki, size))
        for ki, losses in enumerate(self.losses):
            low = min(losses)
            first = losses.index(low)
            last = len(losses) - 1 - losses[::-1].index(low)
            picks += [(low, ki, first + 1), (low, ki, last + 1)]
            if valleys:
                k = len(losses)
                for i in range(k):
                    if (i == 0 or losses[i - 1] > losses[i]) and (i == k - 1 or losses[i + 1] >= losses[i]):
                        picks.append((losses[i], ki, i + 1))
        out: list[_Cand] = []
        seen: set[tuple[int, ...]] = set()
        for c in picks:
            sig = tuple(sorted(self.orders[c[1]][: c[2]]))
            if sig not in seen:
                seen.add(sig)
                out.append(c)
        return out

    def split(self, cand: _Cand) -> tuple[list[int], list[int]]:
        head = set(self.orders[cand[1]][: cand[2]])
        return [v for v in self.nodes if v in head], [v for v in self.nodes if v not in head]


# --------------------------------------------------------------------------- solver

_Result = tuple[SPNode, float]


class _StepsExceeded(Exception):
    pass


def _exact_small(g: _Graph, nodes: list[int], cache: _FirstCache) -> _Result | None:
    """Optimal encoding of a small subset: memoized search over all down-closed cuts.

    Cuts are visited in order of their lower bound, so the search stops as soon as none can
    beat the best found.  Returns None when the deterministic step budget runs out.
    """
    n = len(nodes)
    loc = {v: i for i, v in enumerate(nodes)}
    pm = [0] * n
    sm = [0] * n
    for i, v in enumerate(nodes):
        for u in g.preds[v]:
            j = loc.get(u)
            if j is not None:
                pm[i] |= 1 << j
                sm[j] |= 1 << i
    d = [g.dur[v] for v in nodes]
    memo: dict[int, tuple[float, int, int]] = {}  # mask -> (value, 0 leaf / 1 par / 2 seq, first part)
    steps = [_EXACT_STEPS]

    def bits(x: int) -> list[int]:
        out = []
        while x:
            b = x & -x
            out.append(b.bit_length() - 1)
            x ^= b
        return out

    def opt(mask: int) -> float:
        hit = memo.get(mask)
        if hit is not None:
            return hit[0]
        if mask & (mask - 1) == 0:
            memo[mask] = (d[mask.bit_length() - 1], 0, mask)
            return memo[mask][0]
        low = mask & -mask
        comp = low
        frontier = low
        while frontier:
            nxt = 0
            for i in bits(frontier):
                nxt |= pm[i] | sm[i]
            nxt &= mask & ~comp
            comp |= nxt
            frontier = nxt
        if comp != mask:
            val = max(opt(comp), opt(mask & ~comp))
            memo[mask] = (val, 1, comp)
            return val
        members = bits(mask)
        # S down-closed => cp(S) = max earliest finish (within mask) over S; the rest is
        # up-closed => cp(rest) = max tail over it.  Both maxima accumulate while enumerating.
        ef = [0.0] * n
        for i in members:
            s = 0.0
            for j in bits(pm[i] & mask):
                if ef[j] > s:
                    s = ef[j]
            ef[i] = s + d[i]
        tail = [0.0] * n
        for i in reversed(members):
            t = 0.0
            for j in bits(sm[i] & mask):
                if tail[j] > t:
                    t = tail[j]
            tail[i] = t + d[i]
        cands: list[tuple[float, int]] = []
        last = len(members)

        def rec(k: int, s_mask: int, s_cp: float, r_cp: float) -> None:
            if k == last:
                if s_mask and s_mask != mask:
                    cands.append((s_cp + r_cp, s_mask))
                return
            i = members[k]
            rec(k + 1, s_mask, s_cp, r_cp if r_cp >= tail[i] else tail[i])
            if pm[i] & mask & ~s_mask == 0:
                rec(k + 1, s_mask | (1 << i), s_cp if s_cp >= ef[i] else ef[i], r_cp)

        rec(0, 0, 0.0, 0.0)
        steps[0] -= len(cands)
        if steps[0] < 0:
            raise _StepsExceeded
        cands.sort()
        floor = max(ef[i] for i in members) * (1 + 1e-12)
        best = math.inf
        best_s = 0
        for lb, s_mask in cands:
            if lb >= best or best <= floor:
                break
            val = opt(s_mask) + opt(mask & ~s_mask)
            if val < best:
                best = val
                best_s = s_mask
        memo[mask] = (best, 2, best_s)
        return best

    full = (1 << n) - 1
    try:
        total = opt(full)
    except _StepsExceeded:
        return None

    def build(mask: int) -> SPNode:
        _val, kind, part = memo[mask]
        if kind == 0:
            return Leaf(g.ids[nodes[part.bit_length() - 1]])
        kids = [build(part), build(mask & ~part)]
        return _par(kids, cache) if kind == 1 else _seq(kids, cache)

    return build(full), total


class _Solver:
    """Recursive decomposition with a deterministic work budget.

    Every subset handled is convex (components and down-/up-closed parts of convex sets), so
    its induced edges describe all precedences among its nodes.  Work is counted in nodes
    scanned while scoring cuts; each subset's remaining budget is shared among its parts in
    proportion to their size, so the whole DAG (not just its first part) gets the expensive
    treatment when it is affordable.
    """

    def __init__(self, g: _Graph):
        self.g = g
        self.work = 0
        self.left = 0.0  # budget of the running branch-and-bound search
        self.memo: dict[tuple[int, ...], _Result] = {}
        self.first: _FirstCache = {}

    def _cuts(self, nodes: list[int]) -> _Cuts:
        self.work += len(nodes)
        return _Cuts(self.g, nodes)

    def solve(self, nodes: list[int], budget: float) -> _Result:
        """Encode ``nodes``; a positive ``budget`` enables exact/search/look-ahead steps.

        Iterative (explicit stack): trees of big DAGs can be thousands of levels deep.
        """
        g = self.g
        root: list[_Result | None] = [None]
        # frames: (nodes, budget, holder, index) to solve, or (kind, kids, holder, index) to assemble
        stack: list[tuple[Any, ...]] = [(nodes, budget, root, 0)]
        while stack:
            frame = stack.pop()
            if isinstance(frame[0], str):
                kind, done, holder, idx = frame
                if kind == "par":
                    holder[idx] = (_par([k[0] for k in done], self.first), max(k[1] for k in done))
                else:
                    holder[idx] = (_seq([k[0] for k in done], self.first), sum(k[1] for k in done))
                continue
            sub, b, holder, idx = frame
            n = len(sub)
            if n == 1:
                holder[idx] = (Leaf(g.ids[sub[0]]), g.dur[sub[0]])
                continue
            self.work += n
            split = _exact_split(g, sub)
            if split is not None:
                kind, parts = split
            else:
                if b > 0 and n <= _EXACT_MAX:
                    res = _exact_small(g, sub, self.first)
                    if res is not None:
                        holder[idx] = res
                        continue
                if n <= _SEARCH_MAX and b >= _SEARCH_MIN_BUDGET:
                    self.left = b
                    holder[idx] = self.search(sub)
                    continue
                kind = "seq"
                start = self.work - n  # the split attempt above counts too
                cuts = self._cuts(sub)
                if n <= _LOOK_MAX and b >= _LOOK_COST * n:
                    parts = list(self._look_ahead(cuts))
                else:
                    parts = list(cuts.split(cuts.greedy()))
                b -= self.work - start
            kids: list[_Result | None] = [None] * len(parts)
            stack.append((kind, kids, holder, idx))
            for i in range(len(parts) - 1, -1, -1):
                stack.append((parts[i], b * len(parts[i]) / n if b > 0 else 0.0, kids, i))
        out = root[0]
        assert out is not None
        return out

    def _look_ahead(self, cuts: _Cuts) -> tuple[list[int], list[int]]:
        """Encode both halves of each shortlisted cut greedily and keep the best cut."""
        best: tuple[float, int] | None = None
        chosen: tuple[list[int], list[int]] | None = None
        for ci, cand in enumerate(cuts.shortlist(_WIDTH, valleys=False)):
            head, rest = cuts.split(cand)
            val = self.solve(head, 0.0)[1] + self.solve(rest, 0.0)[1]
            if best is None or (val, ci) < best:
                best = (val, ci)
                chosen = (head, rest)
        assert chosen is not None
        return chosen

    def search(self, nodes: list[int]) -> _Result:
        """Branch and bound over shortlisted prefix cuts, memoized on node subsets.

        ``opt(X) = min over cuts S of opt(S) + opt(X - S)``; cuts are visited by increasing
        lower bound and the loop stops once the bound cannot beat the best value.  Past the
        budget (``self.left``) subsets are encoded greedily.
        """
        key = tuple(nodes)
        hit = self.memo.get(key)
        if hit is not None:
            return hit
        res = self._search(nodes)
        self.memo[key] = res
        return res

    def _search(self, nodes: list[int]) -> _Result:
        g = self.g
        if len(nodes) == 1:
            return Leaf(g.ids[nodes[0]]), g.dur[nodes[0]]
        self.work += len(nodes)
        self.left -= len(nodes)
        split = _exact_split(g, nodes)
        if split is not None:
            kind, parts = split
            subs = [self.search(p) for p in parts]
            if kind == "par":
                return _par([t for t, _ in subs], self.first), max(v for _, v in subs)
            return _seq([t for t, _ in subs], self.first), sum(v for _, v in subs)
        if len(nodes) <= _EXACT_MAX:
            res = _exact_small(g, nodes, self.first)
            if res is not None:
                return res
        if self.left <= 0:
            return self.solve(nodes, 0.0)
        start = self.work
        cuts = self._cuts(nodes)
        cands = sorted(cuts.shortlist(_WIDTH, valleys=True))
        self.left -= self.work - start
        best: _Result | None = None
        for loss, ki, size in cands:
            if best is not None and cuts.cp + loss * 1e-12 * cuts.scale >= best[1] * (1 - 1e-12):
                break
            head, rest = cuts.split((loss, ki, size))
            a = self.search(head)
            b = self.search(rest)
            if best is None or a[1] + b[1] < best[1]:
                best = (_seq([a[0], b[0]], self.first), a[1] + b[1])
        assert best is not None
        return best


# --------------------------------------------------------------------------- public API


def spize(tasks: Sequence[str], deps: Mapping[str, Sequence[str]], durations: Mapping[str, float]) -> SPNode:
    """Encode a DAG (``deps[v]`` = tasks ``v`` waits for) as a series-parallel tree.

    Deterministic; series-parallel DAGs are encoded exactly (makespan == critical path).
    """
    if not tasks:
        raise ValueError("no tasks")
    g = _Graph(tasks, deps, durations)
    tree, value = _Solver(g).solve(list(range(g.n)), _BUDGET_BASE + _BUDGET_PER_NODE * g.n)
    # cheap safety net: never worse than the level baseline
    naive = _naive(g)
    if makespan(naive, dict(zip(g.ids, g.dur, strict=True))) < value * (1 - 1e-12):
        return naive
    return tree


def naive_levels(tasks: Sequence[str], deps: Mapping[str, Sequence[str]], durations: Mapping[str, float]) -> SPNode:
    """Baseline: one ``Par`` per topological level (longest edge-count path from a source)."""
    if not tasks:
        raise ValueError("no tasks")
    return _naive(_Graph(tasks, deps, durations))


def _naive(g: _Graph) -> SPNode:
    lev = [0] * g.n
    for v in range(g.n):
        for u in g.preds[v]:
            if lev[u] + 1 > lev[v]:
                lev[v] = lev[u] + 1
    groups: dict[int, list[SPNode]] = {}
    for v in range(g.n):
        groups.setdefault(lev[v], []).append(Leaf(g.ids[v]))
    return _seq([_par(groups[k]) for k in sorted(groups)])


def critical_path_length(
    tasks: Sequence[str], deps: Mapping[str, Sequence[str]], durations: Mapping[str, float]
) -> float:
    """Longest duration-weighted path of the DAG (the makespan lower bound)."""
    if not tasks:
        return 0.0
    g = _Graph(tasks, deps, durations)
    ef = [0.0] * g.n
    for v in range(g.n):
        s = 0.0
        for u in g.preds[v]:
            if ef[u] > s:
                s = ef[u]
        ef[v] = s + g.dur[v]
    return max(ef)


def is_series_parallel(tasks: Sequence[str], deps: Mapping[str, Sequence[str]]) -> bool:
    """True iff the DAG's order is series-parallel (N-free), i.e. encodable with ratio 1 for all durations.

    Transitive edges do not matter: only components and exact series cuts are used.
    """
    if not tasks:
        return True
    g = _Graph(tasks, deps, {t: 1.0 for t in tasks})
    todo = [list(range(g.n))]
    while todo:
        sub = todo.pop()
        if len(sub) == 1:
            continue
        split = _exact_split(g, sub)
        if split is None:
            return False
        todo.extend(split[1])
    return True

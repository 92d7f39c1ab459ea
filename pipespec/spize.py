"""Series-parallel encoding ("SP-ization") of task DAGs.

AWS Step Functions only offers structured parallelism (sequences and ``Parallel`` fork/join
states), so an arbitrary dependency DAG has to be encoded as a series-parallel (SP) tree.
The encoding must respect every dependency and should keep the makespan (longest path of
the tree with the expected durations) as close as possible to the DAG's critical path.

Algorithm (recursive decomposition of a node subset, every subset is convex so its
induced edges capture all paths between its nodes):

1. weakly connected components -> ``Par`` (free);
2. series cuts, i.e. level prefixes where every node before precedes every node after
   -> ``Seq`` (free, the DAG already forces them);
3. otherwise the subset is not SP-decomposable: pick a down-closed prefix ``S`` and emit
   ``Seq(S, rest)``.  Candidate prefixes come from sorting nodes by several keys that
   increase along edges (earliest start/finish, latest start/finish, ...); each prefix is
   scored by the lower bound ``cp(S) + cp(rest)`` and the best few are compared by
   actually encoding both halves (bounded look-ahead).

Steps 1 and 2 alone decompose exactly the series-parallel (N-free) DAGs, which therefore
get a ratio of exactly 1 for any durations.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

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


def _first_task(node: SPNode) -> str:
    """Smallest task id in a subtree, used to order ``Par`` children deterministically."""
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


def _seq(children: Sequence[SPNode]) -> SPNode:
    flat: list[SPNode] = []
    for c in children:
        if isinstance(c, Seq):
            flat.extend(c.children)
        else:
            flat.append(c)
    if len(flat) == 1:
        return flat[0]
    return Seq(tuple(flat))


def _par(children: Sequence[SPNode]) -> SPNode:
    flat: list[SPNode] = []
    for c in children:
        if isinstance(c, Par):
            flat.extend(c.children)
        else:
            flat.append(c)
    if len(flat) == 1:
        return flat[0]
    keyed = sorted(((_first_task(c), i, c) for i, c in enumerate(flat)), key=lambda t: (t[0], t[1]))
    return Par(tuple(c for _, _, c in keyed))


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


class _Graph:
    """Index-based DAG; indices follow a topological order with ties broken by task id."""

    __slots__ = ("dur", "ids", "mark", "n", "preds", "scratch", "stamp", "succs")

    def __init__(self, tasks: Sequence[str], deps: Mapping[str, Sequence[str]], durations: Mapping[str, float]):
        names = sorted(set(tasks))
        pos = {t: i for i, t in enumerate(names)}
        n = len(names)
        pre: list[set[int]] = [set() for _ in range(n)]
        for v, us in deps.items():
            if v not in pos:
                continue
            for u in us:
                if u != v:
                    pre[pos[v]].add(pos[u])
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
        self.dur = [float(durations[names[u]]) for u in order]
        self.preds = [sorted(new[u] for u in pre[old]) for old in order]
        self.succs: list[list[int]] = [[] for _ in range(n)]
        for v in range(n):
            for u in self.preds[v]:
                self.succs[u].append(v)
        self.stamp = [0] * n  # membership marker: stamp[v] == current subset id
        self.mark = 0
        self.scratch = [0] * n

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


# --------------------------------------------------------------------------- heuristic cut


_Score = Callable[[float, float, float, int, int], float]


class _Cuts:
    """Candidate down-closed prefixes of a connected, series-indecomposable subset.

    Every key used below strictly increases along edges (ties ordered topologically), so
    every prefix of the sorted order is down-closed.  For a down-closed S, cp(S) is the max
    earliest finish inside S and cp(rest) the max tail length inside rest, so the lower
    bound ``cp(S) + cp(rest)`` of each prefix is a prefix max plus a suffix max.
    """

    __slots__ = ("bounds", "cp", "n", "orders")

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
        self.n = n = len(nodes)
        ls = {v: cp - tail[v] for v in nodes}
        keys: list[Callable[[int], tuple[float, int]]] = [
            lambda v: (ef[v], v),
            lambda v: (es[v], v),
            lambda v: (ls[v], v),  # latest start
            lambda v: (ls[v] + dur[v], v),  # latest finish
            lambda v: (es[v] + ls[v], v),  # middle of the slack window (x2)
        ]
        self.orders: list[list[int]] = []
        self.bounds: list[list[tuple[float, float]]] = []
        for key in keys:
            order = sorted(nodes, key=key)
            suf = [0.0] * (n + 1)
            for i in range(n - 1, -1, -1):
                t = tail[order[i]]
                suf[i] = t if t > suf[i + 1] else suf[i + 1]
            pre = 0.0
            bounds: list[tuple[float, float]] = [(0.0, 0.0)] * (n - 1)
            for i in range(n - 1):
                f = ef[order[i]]
                if f > pre:
                    pre = f
                bounds[i] = (pre, suf[i + 1])
            self.orders.append(order)
            self.bounds.append(bounds)

    def ranked(self, score: _Score, limit: int) -> list[list[int]]:
        """Best ``limit`` distinct prefixes (sorted node lists) under ``score``; ties: balance, key, size."""
        cp, n = self.cp, self.n
        scored = []
        for ki, bounds in enumerate(self.bounds):
            for i, (a, b) in enumerate(bounds):
                size = i + 1
                scored.append((score(a, b, cp, size, n), abs(2 * size - n), ki, size))
        if limit == 1:
            best = min(scored)
            return [sorted(self.orders[best[2]][: best[3]])]
        scored.sort()
        out: list[list[int]] = []
        seen: set[tuple[int, ...]] = set()
        for _sc, _bal, ki, size in scored:
            s_nodes = sorted(self.orders[ki][:size])
            sig = tuple(s_nodes)
            if sig not in seen:
                seen.add(sig)
                out.append(s_nodes)
                if len(out) >= limit:
                    break
        return out


def _rel(cp_s: float, cp_r: float, cp: float) -> float:
    # relative loss rounded so float noise does not decide ties
    return round((cp_s + cp_r - cp) / cp, 12)


def _score_plain(cp_s: float, cp_r: float, cp: float, size: int, n: int) -> float:
    return _rel(cp_s, cp_r, cp)


def _score_amortized(cp_s: float, cp_r: float, cp: float, size: int, n: int) -> float:
    # loss per node split off: peeling one node at a time is locally cheap but sequentializes
    return _rel(cp_s, cp_r, cp) / min(size, n - size) ** _ALPHA


def _score_time(cp_s: float, cp_r: float, cp: float, size: int, n: int) -> float:
    return _rel(cp_s, cp_r, cp) / (min(cp_s, cp_r) / cp) ** _ALPHA


def _score_mixed(cp_s: float, cp_r: float, cp: float, size: int, n: int) -> float:
    return _rel(cp_s, cp_r, cp) / (min(size, n - size) / n * min(cp_s, cp_r) / cp) ** (_ALPHA / 2)


_ALPHA = 1.0
_SCORE = _score_amortized
_LOOK_DEPTH = 1
_LOOK_TABLE: tuple[tuple[int, int], ...] = ((400, 1),)


def _look_for(n: int) -> int:
    for limit, depth in _LOOK_TABLE:
        if n <= limit:
            return depth
    return 0
_WIDTH = 3
_BASES = (_score_amortized, _score_plain)
_BASE_MAX = {"_score_plain": 64}
_EXACT_MAX = 10
_EXACT_BUDGET = 20000


# --------------------------------------------------------------------------- solver

_Result = tuple[SPNode, float]


def _exact_small(g: _Graph, nodes: list[int]) -> _Result | None:
    """Optimal encoding of a small subset by memoized search over down-closed cuts.

    Returns None when the deterministic step budget runs out (the caller falls back to the
    heuristic).  Candidates are visited in order of their lower bound so the search stops
    as soon as no remaining cut can beat the best found.
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
    full = (1 << n) - 1
    memo: dict[int, tuple[float, int, int]] = {}  # mask -> (value, kind 0 leaf/1 par/2 seq, S mask)
    budget = [_EXACT_BUDGET]

    def bits(x: int) -> list[int]:
        out = []
        while x:
            b = x & -x
            out.append(b.bit_length() - 1)
            x ^= b
        return out

    def cp(mask: int) -> float:
        ef = [0.0] * n
        best = 0.0
        for i in bits(mask):
            s = 0.0
            for j in bits(pm[i] & mask):
                if ef[j] > s:
                    s = ef[j]
            ef[i] = s + d[i]
            if ef[i] > best:
                best = ef[i]
        return best

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
        cands: list[tuple[float, int]] = []

        def rec(k: int, s_mask: int) -> None:
            if k == len(members):
                if s_mask and s_mask != mask:
                    cands.append((cp(s_mask) + cp(mask & ~s_mask), s_mask))
                return
            i = members[k]
            rec(k + 1, s_mask)
            if pm[i] & mask & ~s_mask == 0:
                rec(k + 1, s_mask | (1 << i))

        rec(0, 0)
        budget[0] -= len(cands)
        if budget[0] < 0:
            raise _BudgetExceeded
        cands.sort()
        floor = cp(mask) * (1 + 1e-12)
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

    try:
        total = opt(full)
    except _BudgetExceeded:
        return None

    def build(mask: int) -> SPNode:
        _val, kind, s_mask = memo[mask]
        if kind == 0:
            return Leaf(g.ids[nodes[s_mask.bit_length() - 1]])
        parts = [build(s_mask), build(mask & ~s_mask)]
        return _par(parts) if kind == 1 else _seq(parts)

    return build(full), total


class _BudgetExceeded(Exception):
    pass


def _solve(g: _Graph, nodes: list[int], look: int, base: _Score | None = None) -> _Result:
    """Iterative decomposition (trees can be thousands of levels deep); returns (tree, makespan)."""
    if base is None:
        base = _BASES[0]
    root: list[_Result | None] = [None]
    # frames: ("solve", nodes, holder, index) | ("build", kind, kids, holder, index)
    stack: list[tuple] = [("solve", nodes, root, 0)]  # type: ignore[type-arg]
    while stack:
        frame = stack.pop()
        if frame[0] == "build":
            _, kind, kids, holder, idx = frame
            if kind == "par":
                holder[idx] = (_par([k[0] for k in kids]), max(k[1] for k in kids))
            else:
                holder[idx] = (_seq([k[0] for k in kids]), sum(k[1] for k in kids))
            continue
        _, sub, holder, idx = frame
        if len(sub) == 1:
            holder[idx] = (Leaf(g.ids[sub[0]]), g.dur[sub[0]])
            continue
        split = _exact_split(g, sub)
        if split is not None:
            kind, parts = split
        else:
            if len(sub) <= _EXACT_MAX:
                res = _exact_small(g, sub)
                if res is not None:
                    holder[idx] = res
                    continue
            kind = "seq"
            cuts = _Cuts(g, sub)
            lk = min(look, _look_for(len(sub)))
            if lk > 0:
                cands = cuts.ranked(_SCORE, _WIDTH)
                for extra in cuts.ranked(_score_plain, _WIDTH):
                    if extra not in cands:
                        cands.append(extra)
                best: tuple[float, int] | None = None
                chosen = cands[0]
                bases = [b for b in _BASES if len(sub) <= _BASE_MAX.get(b.__name__, 10**9)]
                for ci, s_nodes in enumerate(cands):
                    in_s = set(s_nodes)
                    r_nodes = [v for v in sub if v not in in_s]
                    val = min(_solve(g, s_nodes, lk - 1, b)[1] + _solve(g, r_nodes, lk - 1, b)[1] for b in bases)
                    if best is None or (val, ci) < best:
                        best = (val, ci)
                        chosen = s_nodes
                s_nodes = chosen
            else:
                s_nodes = cuts.ranked(base, 1)[0]
            in_s = set(s_nodes)
            parts = [s_nodes, [v for v in sub if v not in in_s]]
        kids: list[_Result | None] = [None] * len(parts)
        stack.append(("build", kind, kids, holder, idx))
        for i in range(len(parts) - 1, -1, -1):
            stack.append(("solve", parts[i], kids, i))
    out = root[0]
    assert out is not None
    return out


# --------------------------------------------------------------------------- public API


def spize(
    tasks: Sequence[str], deps: Mapping[str, Sequence[str]], durations: Mapping[str, float]
) -> SPNode:
    """Encode a DAG (``deps[v]`` = tasks ``v`` waits for) as a series-parallel tree.

    Deterministic; series-parallel DAGs are encoded exactly (makespan == critical path).
    """
    if not tasks:
        raise ValueError("no tasks")
    g = _Graph(tasks, deps, durations)
    return _solve(g, list(range(g.n)), _LOOK_DEPTH)[0]


def naive_levels(
    tasks: Sequence[str], deps: Mapping[str, Sequence[str]], durations: Mapping[str, float]
) -> SPNode:
    """Baseline: one ``Par`` per topological level (longest edge-count path from a source)."""
    if not tasks:
        raise ValueError("no tasks")
    g = _Graph(tasks, deps, durations)
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


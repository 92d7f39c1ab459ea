"""Property tests for the series-parallel encoder (``pipespec.spize``)."""

from __future__ import annotations

import itertools
import math
import random

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipespec.spize import (
    Leaf,
    Par,
    Seq,
    SPNode,
    check,
    critical_path_length,
    is_series_parallel,
    makespan,
    naive_levels,
    precedes_pairs,
    spize,
    tasks_of,
)

Deps = dict[str, list[str]]
FAST = settings(max_examples=150, deadline=None)


# --------------------------------------------------------------------------- helpers


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def _assert_normalized(node: SPNode) -> None:
    stack = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, Leaf):
            continue
        assert len(cur.children) >= 2, "Seq/Par with a single child"
        for c in cur.children:
            assert type(c) is not type(cur), "nested Seq/Par of the same type"
        if isinstance(cur, Par):
            firsts = [min(tasks_of(c)) for c in cur.children]
            assert firsts == sorted(firsts), "Par children not sorted"
        stack.extend(cur.children)


def _assert_valid(tasks: list[str], deps: Deps, dur: dict[str, float], node: SPNode) -> float:
    check(node, tasks, deps)
    _assert_normalized(node)
    assert sorted(tasks_of(node)) == sorted(tasks)
    cp = critical_path_length(tasks, deps, dur)
    ms = makespan(node, dur)
    assert ms >= cp * (1 - 1e-9)
    return ms / cp


def _closure_pairs(tasks: list[str], deps: Deps) -> set[tuple[str, str]]:
    g = nx.DiGraph()
    g.add_nodes_from(tasks)
    g.add_edges_from((u, v) for v, us in deps.items() for u in us)
    tc = nx.transitive_closure_dag(g)
    return set(tc.edges())


def _n_free(tasks: list[str], deps: Deps) -> bool:
    """Reference: an order is series-parallel iff it contains no induced N (a<c, b<c, b<d)."""
    lt = _closure_pairs(tasks, deps)

    def inc(x: str, y: str) -> bool:
        return (x, y) not in lt and (y, x) not in lt

    for a, b, c, d in itertools.permutations(tasks, 4):
        if (a, c) in lt and (b, c) in lt and (b, d) in lt and inc(a, b) and inc(c, d) and inc(a, d):
            return False
    return True


# --------------------------------------------------------------------------- strategies


@st.composite
def random_dags(draw: st.DrawFn, max_n: int = 24) -> tuple[list[str], Deps, dict[str, float]]:
    n = draw(st.integers(1, max_n))
    ids = [f"t{i:02d}" for i in draw(st.permutations(range(n)))]  # topological order != id order
    p = draw(st.floats(0.05, 0.7))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = random.Random(seed)
    deps: Deps = {t: [] for t in ids}
    for j in range(n):
        for i in range(j):
            if rng.random() < p:
                deps[ids[j]].append(ids[i])
    if draw(st.booleans()):
        dur = {t: 1.0 for t in ids}
    else:
        dur = {t: round(rng.lognormvariate(3.0, 1.2), 3) + 0.01 for t in ids}
    tasks = sorted(ids, key=lambda _: rng.random())
    return tasks, deps, dur


def _sp_compose(rng: random.Random, ids: list[str]) -> tuple[SPNode, Deps]:
    """Random SP structure over ``ids`` and its minimal DAG (series = all sinks -> all sources)."""

    def build(part: list[str]) -> tuple[SPNode, list[str], list[str], Deps]:
        if len(part) == 1:
            return Leaf(part[0]), part, part, {part[0]: []}
        k = rng.randint(2, min(4, len(part)))
        cuts = sorted(rng.sample(range(1, len(part)), k - 1))
        pieces = [part[a:b] for a, b in zip([0, *cuts], [*cuts, len(part)], strict=True)]
        subs = [build(p) for p in pieces]
        deps: Deps = {}
        for s in subs:
            deps.update(s[3])
        if rng.random() < 0.5:
            node: SPNode = Par(tuple(s[0] for s in subs))
            return node, [x for s in subs for x in s[1]], [x for s in subs for x in s[2]], deps
        for a, b in itertools.pairwise(subs):
            for v in b[1]:
                deps[v] = sorted(set(deps[v]) | set(a[2]))
        return Seq(tuple(s[0] for s in subs)), subs[0][1], subs[-1][2], deps

    node, _, _, deps = build(ids)
    return node, deps


@st.composite
def sp_dags(draw: st.DrawFn, max_n: int = 30) -> tuple[list[str], Deps, dict[str, float]]:
    n = draw(st.integers(1, max_n))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = random.Random(seed)
    ids = [f"n{i:02d}" for i in range(n)]
    rng.shuffle(ids)
    tree, deps = _sp_compose(rng, ids)
    if draw(st.booleans()):
        # transitively implied extra edges do not change the order
        pairs = sorted(precedes_pairs(tree))
        for u, v in rng.sample(pairs, min(len(pairs), rng.randint(0, 3 * n))):
            if u not in deps[v]:
                deps[v].append(u)
    dur = {
        t: rng.choice([1.0, round(rng.uniform(0.1, 50.0), 3), round(rng.lognormvariate(2, 1.5), 4) + 1e-3]) for t in ids
    }
    return sorted(ids), deps, dur


# --------------------------------------------------------------------------- properties


@FAST
@given(random_dags())
def test_random_dags_valid_encoding(case: tuple[list[str], Deps, dict[str, float]]) -> None:
    tasks, deps, dur = case
    _assert_valid(tasks, deps, dur, spize(tasks, deps, dur))
    _assert_valid(tasks, deps, dur, naive_levels(tasks, deps, dur))


@FAST
@given(random_dags())
def test_unit_durations_are_exact(case: tuple[list[str], Deps, dict[str, float]]) -> None:
    tasks, deps, _ = case
    unit = {t: 1.0 for t in tasks}
    # with equal durations a level cut never loses, so both encoders hit the critical path
    assert _close(_assert_valid(tasks, deps, unit, spize(tasks, deps, unit)), 1.0)
    assert _close(_assert_valid(tasks, deps, unit, naive_levels(tasks, deps, unit)), 1.0)


@FAST
@given(sp_dags())
def test_series_parallel_dags_are_exact(case: tuple[list[str], Deps, dict[str, float]]) -> None:
    tasks, deps, dur = case
    assert is_series_parallel(tasks, deps)
    tree = spize(tasks, deps, dur)
    assert _close(_assert_valid(tasks, deps, dur, tree), 1.0)
    # exact structure: the tree adds no precedence at all, whatever the durations
    assert precedes_pairs(tree) == _closure_pairs(tasks, deps)


@settings(max_examples=40, deadline=None)
@given(random_dags(max_n=9))
def test_is_series_parallel_matches_n_free_reference(case: tuple[list[str], Deps, dict[str, float]]) -> None:
    tasks, deps, dur = case
    sp = is_series_parallel(tasks, deps)
    assert sp == _n_free(tasks, deps)
    if sp:
        assert precedes_pairs(spize(tasks, deps, dur)) == _closure_pairs(tasks, deps)


@settings(max_examples=25, deadline=None)
@given(random_dags(max_n=14), st.randoms(use_true_random=False))
def test_deterministic_under_input_order(case: tuple[list[str], Deps, dict[str, float]], rnd: random.Random) -> None:
    tasks, deps, dur = case
    tasks2 = list(tasks)
    rnd.shuffle(tasks2)
    deps2 = {v: list(reversed(us)) for v, us in reversed(list(deps.items()))}
    assert spize(tasks, deps, dur) == spize(tasks2, deps2, dict(reversed(list(dur.items()))))


# --------------------------------------------------------------------------- classic shapes


def _grid(r: int, c: int) -> Deps:
    return {
        f"g{i}{j}": ([f"g{i - 1}{j}"] if i else []) + ([f"g{i}{j - 1}"] if j else [])
        for i in range(r)
        for j in range(c)
    }


CLASSIC: dict[str, Deps] = {
    "N": {"A": [], "B": [], "C": ["A", "B"], "D": ["B"]},
    "wheatstone": {"s": [], "a": ["s"], "b": ["s"], "c": ["a"], "d": ["a", "b"], "t": ["c", "d"]},
    "K33": {**{f"l{i}": [] for i in range(3)}, **{f"r{j}": ["l0", "l1", "l2"] for j in range(3)}},
    "K33-minus-matching": {
        "l0": [],
        "l1": [],
        "l2": [],
        "r0": ["l1", "l2"],
        "r1": ["l0", "l2"],
        "r2": ["l0", "l1"],
    },
    "grid3x3": _grid(3, 3),
    "grid4x4": _grid(4, 4),
}


@pytest.mark.parametrize("name", sorted(CLASSIC))
def test_classic_shapes(name: str) -> None:
    deps = CLASSIC[name]
    tasks = sorted(deps)
    unit = {t: 1.0 for t in tasks}
    assert _assert_valid(tasks, deps, unit, spize(tasks, deps, unit)) <= 1.25
    rng = random.Random(7)
    for _ in range(20):
        # arbitrary durations: valid, never worse than the baseline, and within the 4/3 that
        # even the optimal encoding of the N graph can need
        dur = {t: rng.choice([1.0, 2.0, 5.0, 0.5]) for t in tasks}
        ratio = _assert_valid(tasks, deps, dur, spize(tasks, deps, dur))
        assert ratio <= 4 / 3 + 1e-9
        assert makespan(spize(tasks, deps, dur), dur) <= makespan(naive_levels(tasks, deps, dur), dur) + 1e-9


def test_classic_sp_flags() -> None:
    assert not is_series_parallel(sorted(CLASSIC["N"]), CLASSIC["N"])
    assert not is_series_parallel(sorted(CLASSIC["wheatstone"]), CLASSIC["wheatstone"])
    assert not is_series_parallel(sorted(CLASSIC["grid3x3"]), CLASSIC["grid3x3"])
    assert is_series_parallel(sorted(CLASSIC["K33"]), CLASSIC["K33"])  # complete bipartite = series


def _brute_force_optimum(tasks: list[str], deps: Deps, dur: dict[str, float]) -> float:
    """Best makespan over all SP encodings: components run in parallel, a connected set is
    ``Seq(S, rest)`` for some down-closed S (independent of the module's implementation)."""
    g = nx.DiGraph()
    g.add_nodes_from(tasks)
    g.add_edges_from((u, v) for v, us in deps.items() for u in us)
    memo: dict[frozenset[str], float] = {}

    def opt(xs: frozenset[str]) -> float:
        if xs in memo:
            return memo[xs]
        if len(xs) == 1:
            (t,) = xs
            return dur[t]
        sub = g.subgraph(xs)
        comps = [frozenset(c) for c in nx.weakly_connected_components(sub)]
        if len(comps) > 1:
            val = max(opt(c) for c in comps)
        else:
            order = list(nx.topological_sort(sub))
            val = math.inf
            for mask in range(1, 2 ** len(order) - 1):
                s = frozenset(t for i, t in enumerate(order) if mask >> i & 1)
                if all(u in s for t in s for u in sub.predecessors(t)):
                    val = min(val, opt(s) + opt(xs - s))
        memo[xs] = val
        return val

    return opt(frozenset(tasks))


@settings(max_examples=40, deadline=None)
@given(random_dags(max_n=7))
def test_small_dags_are_optimal(case: tuple[list[str], Deps, dict[str, float]]) -> None:
    tasks, deps, dur = case
    best = _brute_force_optimum(tasks, deps, dur)
    assert _close(makespan(spize(tasks, deps, dur), dur), best)


def test_n_graph_optimum_can_be_four_thirds() -> None:
    # Every SP encoding of the N graph adds a wait; with these durations the best is 4/3 of the
    # critical path (the classic lower-bound example), which spize reaches.
    deps = CLASSIC["N"]
    tasks = sorted(deps)
    dur = {"A": 2.0, "B": 1.0, "C": 1.0, "D": 2.0}
    assert critical_path_length(tasks, deps, dur) == 3.0
    assert makespan(spize(tasks, deps, dur), dur) == 4.0
    assert _brute_force_optimum(tasks, deps, dur) == 4.0


def test_n_graph_picks_cheapest_extra_wait() -> None:
    deps = CLASSIC["N"]
    tasks = sorted(deps)
    # D is short: pull it into B's branch -> (A || B;D) ; C, makespan max(A, B+D) + C
    dur = {"A": 10.0, "B": 3.0, "C": 5.0, "D": 2.0}
    tree = spize(tasks, deps, dur)
    check(tree, tasks, deps)
    assert makespan(tree, dur) == 15.0
    assert makespan(naive_levels(tasks, deps, dur), dur) == 15.0 + 0.0  # levels happen to be fine here
    dur = {"A": 10.0, "B": 1.0, "C": 1.0, "D": 10.0}
    # CP is 11 but every SP order adds a wait: B ; (A ; C || D) or (A || B ; D) ; C both give 12
    assert makespan(spize(tasks, deps, dur), dur) == 12.0
    assert makespan(naive_levels(tasks, deps, dur), dur) == 20.0


# --------------------------------------------------------------------------- API details


def test_normalization_and_shapes() -> None:
    assert spize(["a"], {}, {"a": 1.0}) == Leaf("a")
    chain = spize(["c", "b", "a"], {"b": ["a"], "c": ["b"]}, {"a": 1, "b": 1, "c": 1})
    assert chain == Seq((Leaf("a"), Leaf("b"), Leaf("c")))
    par = spize(["c", "b", "a"], {}, {"a": 1, "b": 1, "c": 1})
    assert par == Par((Leaf("a"), Leaf("b"), Leaf("c")))


def test_check_reports_problems() -> None:
    deps = {"b": ["a"]}
    with pytest.raises(ValueError, match="missing"):
        check(Leaf("a"), ["a", "b"], deps)
    with pytest.raises(ValueError, match="more than once"):
        check(Seq((Leaf("a"), Leaf("b"), Leaf("a"))), ["a", "b"], deps)
    with pytest.raises(ValueError, match="not enforced"):
        check(Par((Leaf("a"), Leaf("b"))), ["a", "b"], deps)
    with pytest.raises(ValueError, match="not enforced"):
        check(Seq((Leaf("b"), Leaf("a"))), ["a", "b"], deps)
    with pytest.raises(ValueError, match="unknown"):
        check(Seq((Leaf("a"), Leaf("b"), Leaf("z"))), ["a", "b"], deps)
    check(Seq((Leaf("a"), Leaf("b"))), ["a", "b"], deps)


def test_precedes_pairs_small() -> None:
    tree = Seq((Leaf("a"), Par((Leaf("b"), Leaf("c"))), Leaf("d")))
    assert precedes_pairs(tree) == {("a", "b"), ("a", "c"), ("a", "d"), ("b", "d"), ("c", "d")}


def test_medium_dag_smoke() -> None:
    rng = random.Random(11)
    layers = [[f"x{li:02d}_{k:02d}" for k in range(rng.randint(5, 25))] for li in range(25)]
    deps: Deps = {t: [] for row in layers for t in row}
    for li in range(1, len(layers)):
        for v in layers[li]:
            deps[v] = sorted({rng.choice(layers[li - 1]) for _ in range(rng.randint(1, 3))})
    tasks = sorted(deps)
    dur = {t: rng.lognormvariate(4, 1) for t in tasks}
    ratio = _assert_valid(tasks, deps, dur, spize(tasks, deps, dur))
    naive = _assert_valid(tasks, deps, dur, naive_levels(tasks, deps, dur))
    assert ratio <= naive

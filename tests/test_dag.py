"""DAG algorithms against networkx as an independent oracle (property-based)."""

from __future__ import annotations

import itertools

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipespec.dag import CycleError, critical_path, find_cycles, topological_order, transitive_reduction


@st.composite
def dags(draw: st.DrawFn, max_nodes: int = 25) -> dict[str, list[str]]:
    n = draw(st.integers(1, max_nodes))
    names = [f"t{i:02d}" for i in range(n)]
    perm = draw(st.permutations(names))  # ids in random order, edges follow perm
    deps: dict[str, list[str]] = {t: [] for t in names}
    for j in range(1, n):
        preds = draw(st.lists(st.integers(0, j - 1), max_size=4, unique=True))
        deps[perm[j]] = [perm[i] for i in preds]
    return deps


def to_nx(deps: dict[str, list[str]]) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(deps)
    g.add_edges_from((d, t) for t, ds in deps.items() for d in ds)
    return g


@settings(max_examples=200, deadline=None)
@given(dags())
def test_topological_order_respects_every_edge_and_is_smallest_first(deps: dict[str, list[str]]) -> None:
    order = topological_order(deps)
    assert sorted(order) == sorted(deps)
    pos = {t: i for i, t in enumerate(order)}
    for t, ds in deps.items():
        for d in ds:
            assert pos[d] < pos[t]
    assert order == list(nx.lexicographical_topological_sort(to_nx(deps)))


@settings(max_examples=200, deadline=None)
@given(dags())
def test_transitive_reduction_matches_networkx(deps: dict[str, list[str]]) -> None:
    ours = {(d, t) for t, ds in transitive_reduction(deps).items() for d in ds}
    theirs = set(nx.transitive_reduction(to_nx(deps)).edges())
    assert ours == theirs


@settings(max_examples=200, deadline=None)
@given(dags(), st.data())
def test_critical_path_is_the_longest_weighted_path(deps: dict[str, list[str]], data: st.DataObject) -> None:
    durations = {t: data.draw(st.integers(1, 100)) for t in sorted(deps)}
    cp = critical_path(deps, {k: float(v) for k, v in durations.items()})
    g = to_nx(deps)
    for u, v in g.edges():
        g[u][v]["w"] = durations[v]
    # edge weights carry the head's duration; add each start node's own duration
    brute = max(
        durations[s] + nx.dag_longest_path_length(g.subgraph(nx.descendants(g, s) | {s}), weight="w") for s in g.nodes
    )
    assert cp.length == brute
    # the reported path is a real path with that length
    assert all(cp.path[i] in deps[cp.path[i + 1]] for i in range(len(cp.path) - 1))
    assert sum(durations[t] for t in cp.path) == cp.length


@settings(max_examples=100, deadline=None)
@given(dags(max_nodes=12), st.data())
def test_cycles_found_with_a_real_closed_path(deps: dict[str, list[str]], data: st.DataObject) -> None:
    order = topological_order(deps)
    if len(order) < 2:
        return
    # add one back edge: from a later task to an earlier one that reaches it, making a cycle
    g = to_nx(deps)
    pairs = [(a, b) for a in order for b in order if a != b and nx.has_path(g, a, b)]
    if not pairs:
        return
    a, b = data.draw(st.sampled_from(pairs))
    deps = {t: list(ds) for t, ds in deps.items()}
    deps[a].append(b)  # a now depends on b, and b depends (transitively) on a
    with pytest.raises(CycleError) as exc:
        topological_order(deps)
    for cycle in exc.value.cycles:
        assert cycle[0] == cycle[-1]
        for x, y in itertools.pairwise(cycle):
            assert x in deps[y]  # execution direction: y depends on x
    assert find_cycles(deps) == exc.value.cycles


def test_self_loop_is_a_cycle() -> None:
    assert find_cycles({"a": ["a"], "b": []}) == [["a", "a"]]

"""Benchmark: series-parallel encoding quality and speed of ``pipespec.spize``.

Run ``.venv/bin/python benchmarks/bench_spize.py`` (add ``--quick`` for a small run).
Builds a fixed-seed corpus of DAG families, reports for ``spize`` and ``naive_levels`` the
geometric-mean / worst makespan ratio (encoded makespan / critical path) and the share of
exact encodings, per family and overall; then a scaling table.  Nothing here asserts on
wall-clock time.
"""

from __future__ import annotations

import argparse
import itertools
import math
import random
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipespec.spize import (
    SPNode,
    check,
    critical_path_length,
    is_series_parallel,
    makespan,
    naive_levels,
    spize,
)

SEED = 20240611

Deps = dict[str, list[str]]


@dataclass
class Case:
    family: str
    name: str
    tasks: list[str]
    deps: Deps
    durations: dict[str, float]


# --------------------------------------------------------------------------- generators


def _tid(i: int) -> str:
    return f"t{i:05d}"


def _durations(rng: random.Random, tasks: list[str], kind: str) -> dict[str, float]:
    if kind == "unit":
        return {t: 1.0 for t in tasks}
    # lognormal: median ~ 1 minute-ish, heavy right tail like real ETL tasks
    return {t: round(rng.lognormvariate(4.0, 1.0), 3) + 0.001 for t in tasks}


def layered(rng: random.Random, layers: int, width_max: int, p: float, skip_p: float) -> Deps:
    rows: list[list[str]] = []
    k = 0
    for _ in range(layers):
        w = rng.randint(1, width_max)
        rows.append([_tid(k + i) for i in range(w)])
        k += w
    deps: Deps = {t: [] for row in rows for t in row}
    for li in range(1, layers):
        for v in rows[li]:
            ps = [u for u in rows[li - 1] if rng.random() < p]
            if not ps:
                ps = [rng.choice(rows[li - 1])]
            for lj in range(li - 1):
                ps += [u for u in rows[lj] if rng.random() < skip_p]
            deps[v] = sorted(set(ps))
    return deps


def random_dag(rng: random.Random, n: int, p: float) -> Deps:
    ids = [_tid(i) for i in range(n)]
    deps: Deps = {t: [] for t in ids}
    for j in range(n):
        for i in range(j):
            if rng.random() < p:
                deps[ids[j]].append(ids[i])
    return deps


def random_sparse(rng: random.Random, n: int, avg_in: float) -> Deps:
    ids = [_tid(i) for i in range(n)]
    deps: Deps = {t: [] for t in ids}
    for j in range(1, n):
        k = min(j, max(0, int(rng.expovariate(1 / avg_in) + 0.5)))
        # prefer recent tasks: pipelines are mostly local
        cand = sorted({max(0, j - 1 - int(rng.expovariate(1 / 6))) for _ in range(k)})
        deps[ids[j]] = [ids[i] for i in cand]
    return deps


def sp_tree(rng: random.Random, n: int) -> tuple[list[str], Deps]:
    """Random series-parallel DAG by recursive series/parallel composition."""
    counter = [0]

    def build(size: int, depth: int) -> tuple[list[str], list[str], list[str], Deps]:
        # returns (all nodes, sources, sinks, deps)
        if size == 1 or depth > 12:
            t = _tid(counter[0])
            counter[0] += 1
            return [t], [t], [t], {t: []}
        parts = rng.randint(2, min(4, size))
        cuts = sorted(rng.sample(range(1, size), parts - 1))
        sizes = [b - a for a, b in zip([0, *cuts], [*cuts, size], strict=True)]
        subs = [build(s, depth + 1) for s in sizes]
        nodes = [x for s in subs for x in s[0]]
        deps: Deps = {}
        for s in subs:
            deps.update(s[3])
        if rng.random() < 0.5:  # parallel
            return nodes, [x for s in subs for x in s[1]], [x for s in subs for x in s[2]], deps
        for a, b in itertools.pairwise(subs):
            for v in b[1]:
                deps[v] = sorted(set(deps[v]) | set(a[2]))
        return nodes, subs[0][1], subs[-1][2], deps

    nodes, _, _, deps = build(n, 0)
    return nodes, deps


def add_cross_edges(rng: random.Random, tasks: list[str], deps: Deps, k: int) -> Deps:
    order = _topo(tasks, deps)
    pos = {t: i for i, t in enumerate(order)}
    out = {t: list(v) for t, v in deps.items()}
    for _ in range(k):
        i, j = sorted(rng.sample(range(len(order)), 2))
        u, v = order[i], order[j]
        if u not in out[v]:
            out[v].append(u)
    del pos
    return out


def _topo(tasks: list[str], deps: Deps) -> list[str]:
    indeg = {t: len(set(deps.get(t, []))) for t in tasks}
    succ: dict[str, list[str]] = {t: [] for t in tasks}
    for v in tasks:
        for u in set(deps.get(v, [])):
            succ[u].append(v)
    ready = sorted(t for t in tasks if indeg[t] == 0)
    out: list[str] = []
    while ready:
        u = ready.pop(0)
        out.append(u)
        for v in sorted(succ[u]):
            indeg[v] -= 1
            if indeg[v] == 0:
                ready.append(v)
    return out


def grid(r: int, c: int) -> Deps:
    deps: Deps = {}
    for i in range(r):
        for j in range(c):
            ps = []
            if i:
                ps.append(f"g{i - 1}_{j}")
            if j:
                ps.append(f"g{i}_{j - 1}")
            deps[f"g{i}_{j}"] = ps
    return deps


def medallion(rng: random.Random, sources: int) -> Deps:
    deps: Deps = {}
    silvers: list[str] = []
    for s in range(sources):
        b = f"bronze_{s:02d}"
        deps[b] = []
        q = f"dq_{s:02d}"
        deps[q] = [b]
        sv = f"silver_{s:02d}"
        deps[sv] = [b, q] if rng.random() < 0.7 else [b]
        silvers.append(sv)
    # a few conformed dimensions joining several silver tables
    dims: list[str] = []
    for d in range(max(1, sources // 3)):
        dn = f"silver_dim_{d:02d}"
        deps[dn] = sorted(rng.sample(silvers, min(len(silvers), rng.randint(1, 3))))
        dims.append(dn)
    golds: list[str] = []
    for g in range(max(2, sources // 2)):
        gn = f"gold_{g:02d}"
        pool = silvers + dims
        deps[gn] = sorted(rng.sample(pool, min(len(pool), rng.randint(1, 4))))
        golds.append(gn)
    for r in range(rng.randint(1, 3)):
        deps[f"report_{r}"] = sorted(rng.sample(golds, min(len(golds), rng.randint(1, 3))))
    deps["publish"] = sorted(t for t in deps if t.startswith("report_"))
    return deps


def classic() -> Iterator[tuple[str, Deps]]:
    yield "N", {"A": [], "B": [], "C": ["A", "B"], "D": ["B"]}
    yield "wheatstone", {"s": [], "a": ["s"], "b": ["s"], "c": ["a"], "d": ["a", "b"], "t": ["c", "d"]}
    yield "wheatstone2", {"s": [], "a": ["s"], "b": ["s"], "t": ["a", "b"], "x": ["a"], "y": ["b", "x"]}
    yield "K33", {**{f"l{i}": [] for i in range(3)}, **{f"r{j}": ["l0", "l1", "l2"] for j in range(3)}}
    yield (
        "K33-minus",
        {"l0": [], "l1": [], "l2": [], "r0": ["l0", "l1"], "r1": ["l1", "l2"], "r2": ["l2", "l0"]},
    )
    yield (
        "zigzag",
        {"a0": [], "a1": [], "a2": [], "a3": [], "b0": ["a0", "a1"], "b1": ["a1", "a2"], "b2": ["a2", "a3"]},
    )
    for r, c in ((2, 2), (2, 3), (3, 3), (3, 4), (4, 4), (5, 5), (6, 6), (8, 8)):
        yield f"grid{r}x{c}", grid(r, c)


def build_corpus(seed: int, quick: bool) -> list[Case]:
    rng = random.Random(seed)
    reps = 4 if quick else 16
    cases: list[Case] = []

    def add(family: str, name: str, deps: Deps, kinds: tuple[str, ...] = ("lognormal", "unit")) -> None:
        tasks = sorted(deps)
        for kind in kinds:
            cases.append(Case(family, f"{name}/{kind}", tasks, deps, _durations(rng, tasks, kind)))

    for i in range(reps):
        add(
            "layered",
            f"layered{i}",
            layered(rng, rng.randint(3, 8), rng.randint(2, 8), rng.uniform(0.2, 0.6), rng.uniform(0.0, 0.1)),
        )
        nodes, d = sp_tree(rng, rng.randint(5, 60))
        add("fork-join", f"sp{i}", d)
        nodes, d = sp_tree(rng, rng.randint(8, 60))
        add("fork-join+cross", f"spx{i}", add_cross_edges(rng, nodes, d, rng.randint(1, 4)))
        add("random-sparse", f"sparse{i}", random_sparse(rng, rng.randint(8, 80), rng.uniform(1.0, 2.5)))
        n = rng.randint(6, 30)
        add("random-dense", f"dense{i}", random_dag(rng, n, rng.uniform(0.25, 0.6)))
        add("medallion", f"medallion{i}", medallion(rng, rng.randint(2, 14)))
    for i in range(reps // 2):
        # a few big ones: wide layered pipelines and long sparse chains of 100-400 tasks
        n = rng.randint(100, 400)
        width = max(2, int(math.sqrt(n) * rng.uniform(1.0, 2.0)))
        add(
            "large",
            f"large-layered{i}",
            exact_size(layered(rng, n // max(1, width // 2) + 2, width, rng.uniform(1.5, 3.5) / width, 0.5 / n), n),
        )
        add("large", f"large-sparse{i}", random_sparse(rng, rng.randint(100, 400), rng.uniform(1.2, 2.5)))
    for name, d in classic():
        add("classic", name, d, ("unit", "lognormal", "lognormal"))
    return cases


def exact_size(deps: Deps, n: int) -> Deps:
    """First ``n`` tasks by id (ids follow layer order, so this keeps a down-closed part)."""
    keep = sorted(deps)[:n]
    kept = set(keep)
    return {t: [u for u in deps[t] if u in kept] for t in keep}


# --------------------------------------------------------------------------- reporting


@dataclass
class Stat:
    ratios: list[float]

    @property
    def geo(self) -> float:
        return math.exp(sum(math.log(r) for r in self.ratios) / len(self.ratios))

    @property
    def worst(self) -> float:
        return max(self.ratios)

    @property
    def exact(self) -> float:
        return sum(1 for r in self.ratios if r <= 1 + 1e-9) / len(self.ratios)


def _table(title: str, header: list[str], rows: list[list[str]]) -> None:
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # plain fallback
        print(title)
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
        print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
        for r in rows:
            print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
        print()
        return
    table = Table(title=title)
    for i, h in enumerate(header):
        table.add_column(h, justify="left" if i == 0 else "right")
    for r in rows:
        table.add_row(*r)
    Console(width=140).print(table)


Encoder = Callable[[list[str], Deps, dict[str, float]], SPNode]


def quality(cases: list[Case]) -> None:
    encoders: list[tuple[str, Encoder]] = [("spize", spize), ("naive", naive_levels)]
    per: dict[tuple[str, str], list[float]] = {}
    worst_case: dict[str, tuple[float, str]] = {}
    sp_exact_fail: list[str] = []
    t0 = time.perf_counter()
    for c in cases:
        cp = critical_path_length(c.tasks, c.deps, c.durations)
        for ename, enc in encoders:
            tree = enc(c.tasks, c.deps, c.durations)
            check(tree, c.tasks, c.deps)
            r = makespan(tree, c.durations) / cp
            per.setdefault((ename, c.family), []).append(r)
            per.setdefault((ename, "ALL"), []).append(r)
            if ename == "spize":
                if r > worst_case.get(c.family, (0.0, ""))[0]:
                    worst_case[c.family] = (r, c.name)
                if r > 1 + 1e-9 and is_series_parallel(c.tasks, c.deps):
                    sp_exact_fail.append(c.name)
    elapsed = time.perf_counter() - t0
    families = [*sorted({c.family for c in cases}), "ALL"]
    rows = []
    for fam in families:
        s, nv = Stat(per[("spize", fam)]), Stat(per[("naive", fam)])
        rows.append(
            [
                fam,
                str(len(s.ratios)),
                f"{s.geo:.4f}",
                f"{s.worst:.4f}",
                f"{100 * s.exact:.0f}%",
                f"{nv.geo:.4f}",
                f"{nv.worst:.4f}",
                f"{100 * nv.exact:.0f}%",
                worst_case.get(fam, (0.0, "-"))[1] if fam != "ALL" else "",
            ]
        )
    _table(
        f"Makespan / critical path ({len(cases)} DAGs, seed {SEED}, {elapsed:.1f} s incl. naive+checks)",
        [
            "family",
            "DAGs",
            "spize geo",
            "spize worst",
            "spize exact",
            "naive geo",
            "naive worst",
            "naive exact",
            "spize worst case",
        ],
        rows,
    )
    if sp_exact_fail:
        print(f"!! series-parallel DAGs not encoded exactly: {sp_exact_fail}")


def scaling(sizes: list[int]) -> None:
    rng = random.Random(SEED + 1)
    rows = []
    for n in sizes:
        # layered pipeline shape: width ~ 1.5 sqrt(n), ~1.5 upstream tasks per task
        width = max(2, int(math.sqrt(n) * 1.5))
        deps = exact_size(layered(rng, 4 * n // width + 4, width, 3.0 / width, 0.5 / n), n)
        tasks = sorted(deps)
        dur = _durations(rng, tasks, "lognormal")
        edges = sum(len(v) for v in deps.values())
        cp = critical_path_length(tasks, deps, dur)
        best = best_cpu = math.inf
        tree: SPNode | None = None
        for _ in range(3):
            t0, c0 = time.perf_counter(), time.process_time()
            tree = spize(tasks, deps, dur)
            best = min(best, time.perf_counter() - t0)
            best_cpu = min(best_cpu, time.process_time() - c0)
        assert tree is not None
        check(tree, tasks, deps)
        t0 = time.perf_counter()
        naive = naive_levels(tasks, deps, dur)
        t_naive = time.perf_counter() - t0
        rows.append(
            [
                str(len(tasks)),
                str(edges),
                f"{best * 1000:.1f}",
                f"{best_cpu * 1000:.1f}",
                f"{makespan(tree, dur) / cp:.4f}",
                f"{t_naive * 1000:.1f}",
                f"{makespan(naive, dur) / cp:.4f}",
            ]
        )
    _table(
        "Scaling (layered random DAGs, lognormal durations; time = best of 3, wall and CPU)",
        ["tasks", "edges", "spize ms", "spize cpu ms", "spize ratio", "naive ms", "naive ratio"],
        rows,
    )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small corpus and sizes")
    args = ap.parse_args(argv)
    print(f"seed = {SEED}")
    cases = build_corpus(SEED, args.quick)
    quality(cases)
    scaling([10, 100, 1000] if args.quick else [10, 100, 1000, 5000])


if __name__ == "__main__":
    main()

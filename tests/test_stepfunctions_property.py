"""Property tests on random DAGs, read back from the generated ASL itself (not from the compiler's tree).

The state machine's success path is parsed back into a series-parallel tree (a chain of states
is a sequence, a `Parallel` state runs its branches side by side, a nested execution is its
machine's tree), then checked: every task exactly once, every dependency finished before its
dependant starts, makespan never below the critical path and equal to it on series-parallel DAGs.
"""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipespec.project import load_string
from pipespec.spize import Leaf, Par, Seq, SPNode, check, critical_path_length, is_series_parallel, makespan
from pipespec.targets.stepfunctions.compile import CompiledPipeline, CompileOptions, compile_pipeline

Deps = dict[str, list[str]]


def spec_text(deps: Deps, minutes: dict[str, int], retries: int = 0) -> str:
    lines = [
        "apiVersion: pipespec/v1",
        "name: prop",
        "owner: tests",
        "targets: {stepfunctions: {}}",
        f"defaults: {{retries: {retries}}}",
        "channels: {team: {type: email, addresses: [t@example.com]}}",
        "notify: {on_failure: [team]}",
        "tasks:",
    ]
    for t in sorted(deps):
        dep = f", depends_on: [{', '.join(sorted(deps[t]))}]" if deps[t] else ""
        lines.append(f"  {t}: {{kind: shell, command: run, expected_duration: {minutes[t]}m{dep}}}")
    return "\n".join(lines) + "\n"


def compiled_for(deps: Deps, minutes: dict[str, int], options: CompileOptions | None = None) -> CompiledPipeline:
    loaded = load_string(spec_text(deps, minutes), "prop.yaml", targets=["stepfunctions"])
    assert loaded.ir is not None and loaded.ok, [d.format() for d in loaded.diagnostics]
    return compile_pipeline(loaded.ir, None, options)


def tree_from_asl(compiled: CompiledPipeline) -> SPNode:
    """The success path of the main machine as an SP tree, nested machines expanded."""
    machines = {m.name: m.definition for m in compiled.machines}

    def chain(start: str, states: dict[str, Any]) -> SPNode:
        parts: list[SPNode] = []
        name: str | None = start
        while name is not None:
            state = states[name]
            if state["Type"] == "Parallel":
                parts.append(Par(tuple(chain(b["StartAt"], b["States"]) for b in state["Branches"])))
            elif state["Type"] == "Task" and state["Resource"].endswith("startExecution.sync:2"):
                machine = state["Parameters"]["StateMachineArn"].removeprefix("${StateMachineArn:").removesuffix("}")
                nested = machines[machine]
                parts.append(chain(nested["StartAt"], nested["States"]))
            elif state["Type"] == "Task" and " " not in name:
                parts.append(Leaf(name))
            else:
                raise AssertionError(f"unexpected state on the success path: {name!r}")
            name = state.get("Next")
            assert name is not None or state.get("End") is True
        return parts[0] if len(parts) == 1 else Seq(tuple(parts))

    main = compiled.main.definition
    return chain(main["StartAt"], main["States"])


@st.composite
def dags(draw: st.DrawFn) -> tuple[Deps, dict[str, int]]:
    n = draw(st.integers(1, 14))
    ids = [f"t{i:02d}" for i in range(n)]
    order = draw(st.permutations(ids))  # topological order independent of id order
    deps: Deps = {t: [] for t in ids}
    for j, v in enumerate(order):
        for u in order[:j]:
            if draw(st.booleans()) and draw(st.booleans()):
                deps[v].append(u)
    minutes = {t: draw(st.sampled_from([1, 2, 3, 5, 8, 13, 30])) for t in ids}
    return deps, minutes


@st.composite
def sp_dags(draw: st.DrawFn) -> tuple[Deps, dict[str, int]]:
    """Series-parallel DAGs by construction (series and parallel composition)."""
    counter = [0]

    def build(depth: int) -> tuple[list[str], list[str], list[str], Deps]:
        if depth >= 3 or draw(st.integers(0, 3)) == 0:
            t = f"t{counter[0]:02d}"
            counter[0] += 1
            return [t], [t], [t], {t: []}
        parts = [build(depth + 1) for _ in range(draw(st.integers(2, 3)))]
        deps: Deps = {}
        for p in parts:
            deps.update(p[3])
        nodes = [x for p in parts for x in p[0]]
        if draw(st.booleans()):
            return nodes, [x for p in parts for x in p[1]], [x for p in parts for x in p[2]], deps
        for a, b in itertools.pairwise(parts):
            for v in b[1]:
                deps[v] = sorted(set(deps[v]) | set(a[2]))
        return nodes, parts[0][1], parts[-1][2], deps

    nodes, _, _, deps = build(0)
    minutes = {t: draw(st.sampled_from([1, 2, 5, 10, 45])) for t in nodes}
    return deps, minutes


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check(deps: Deps, minutes: dict[str, int], compiled: CompiledPipeline) -> tuple[float, float]:
    tree = tree_from_asl(compiled)
    tasks = sorted(deps)
    check(tree, tasks, deps)  # every task exactly once, every dependency respected
    durations = {t: 60.0 * m for t, m in minutes.items()}
    encoded = makespan(tree, durations)
    cp = critical_path_length(tasks, deps, durations)
    assert encoded >= cp - 1e-6
    assert abs(encoded - compiled.timing.makespan_s) < 1e-6  # what the CLI reports is what the ASL does
    assert abs(cp - compiled.timing.critical_path_s) < 1e-6
    return encoded, cp


@PROPERTY
@given(dags())
def test_random_dags_run_every_task_once_after_its_dependencies(case: tuple[Deps, dict[str, int]]) -> None:
    deps, minutes = case
    encoded, cp = _check(deps, minutes, compiled_for(deps, minutes))
    if is_series_parallel(sorted(deps), deps):
        assert abs(encoded - cp) < 1e-6


@PROPERTY
@given(sp_dags())
def test_series_parallel_dags_are_encoded_exactly(case: tuple[Deps, dict[str, int]]) -> None:
    deps, minutes = case
    encoded, cp = _check(deps, minutes, compiled_for(deps, minutes))
    assert abs(encoded - cp) < 1e-6


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dags())
def test_split_pipelines_keep_the_same_order(case: tuple[Deps, dict[str, int]]) -> None:
    deps, minutes = case
    compiled = compiled_for(deps, minutes, CompileOptions(max_definition_bytes=16_000))
    _check(deps, minutes, compiled)
    assert all(m.deployed_bytes <= 16_000 for m in compiled.machines)
    assert sorted(t for m in compiled.machines for t in m.tasks) == sorted(deps)

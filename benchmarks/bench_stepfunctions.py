"""Step Functions compiler at scale: compile time, definition size, runs, as DAGs grow 10 -> 5,000 tasks.

    .venv/bin/python benchmarks/bench_stepfunctions.py [--quick] [--sizes 10,100,1000]

Per size and DAG family it prints: the SP-ization time (`spize`, the baseline measured in the
same run) and the whole compile (spec -> every state machine, rendered), their ratio, the
number of state machines after splitting for the 1 MiB / 25,000-event limits, the definition
sizes, state transitions and history events per successful run, and the encoded makespan
over the critical path next to the naive one-`Parallel`-per-level encoding. The quality of
the SP encoding over a 200+ DAG corpus is `benchmarks/bench_spize.py`.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gen import layered_spec

from pipespec.environment import Deployment, Environment
from pipespec.project import load_string
from pipespec.spize import critical_path_length, makespan, naive_levels, spize
from pipespec.targets.stepfunctions.compile import compile_pipeline
from pipespec.targets.stepfunctions.stack import StepFunctionsStack

STACK = StepFunctionsStack(
    ecs_cluster="data",
    ecs_task_definition="etl:3",
    ecs_container_name="etl",
    ecs_subnets=["subnet-0a1b2c3d"],
    ecs_security_groups=["sg-0a1b2c3d"],
    ecs_pass_roles=["arn:aws:iam::123456789012:role/etl-task"],
)
SIZES = [10, 50, 100, 500, 1000, 2000, 5000]


def sparse_spec(n: int, seed: int = 11) -> str:
    """Random sparse DAG, mostly local dependencies (like real pipelines), not series-parallel."""
    rng = random.Random(seed)
    lines = [
        "apiVersion: pipespec/v1",
        f"name: sparse_{n}",
        "owner: bench",
        "targets: {stepfunctions: {}}",
        "defaults: {retries: {count: 2, delay: 1m, backoff: exponential}, timeout: 1h}",
        "channels: {team: {type: email, addresses: [team@example.com]}}",
        "notify: {on_failure: [team]}",
        "tasks:",
    ]
    for j in range(n):
        k = min(j, int(rng.expovariate(1 / 1.6) + 0.5))
        deps = sorted({max(0, j - 1 - int(rng.expovariate(1 / 6))) for _ in range(k)})
        dep = f", depends_on: [{', '.join(f't{i:05d}' for i in deps)}]" if deps else ""
        lines.append(f"  t{j:05d}: {{kind: shell, command: run {j}, expected_duration: {rng.randint(1, 40)}m{dep}}}")
    return "\n".join(lines) + "\n"


def measure(family: str, text: str) -> list[str]:
    t0 = time.perf_counter()
    loaded = load_string(text, f"{family}.yaml", targets=[])
    t_load = time.perf_counter() - t0
    assert loaded.ir is not None, [d.format() for d in loaded.diagnostics]
    ir = loaded.ir
    tasks = [t.id for t in ir.tasks]
    deps, durations = ir.deps, ir.durations
    t0 = time.perf_counter()
    tree = spize(tasks, deps, durations)
    t_spize = time.perf_counter() - t0
    t0 = time.perf_counter()
    compiled = compile_pipeline(ir, Deployment(Environment(), STACK))  # includes its own SP-ization
    t_compile = time.perf_counter() - t0
    cp = critical_path_length(tasks, deps, durations)
    machines = compiled.machines
    total_kib = sum(len(m.text.encode()) for m in machines) / 1024
    largest_kib = max(m.deployed_bytes for m in machines) / 1024
    return [
        family,
        str(len(tasks)),
        f"{t_load:.2f}",
        f"{t_spize:.2f}",
        f"{t_compile:.2f}",
        f"{t_compile / t_spize:.2f}" if t_spize > 0 else "-",
        str(len(machines)),
        f"{total_kib:,.0f}",
        f"{largest_kib:,.0f}",
        f"{compiled.transitions:,}",
        f"{compiled.events:,}",
        f"{max(m.events_worst for m in machines):,}",
        f"{makespan(tree, durations) / cp:.3f}",
        f"{makespan(naive_levels(tasks, deps, durations), durations) / cp:.3f}",
    ]


def table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True))
    print(line)
    print("-" * len(line))
    for r in rows:
        print("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="sizes up to 1,000 only")
    parser.add_argument("--sizes", help="comma-separated task counts")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else SIZES
    if args.quick:
        sizes = [s for s in sizes if s <= 1000]
    rows: list[list[str]] = []
    for n in sizes:
        rows.append(measure("layered", layered_spec(n, kind="dbt")))
        rows.append(measure("sparse", sparse_spec(n)))
    header = [
        "DAG",
        "tasks",
        "load s",
        "spize s",
        "compile s",
        "x spize",
        "machines",
        "total KiB",
        "max KiB",
        "transitions",
        "events",
        "max events*",
        "SP/CP",
        "naive/CP",
    ]
    print("Step Functions compile at scale (spec -> rendered state machines; limits 1,024 KiB, 25,000 events)")
    print("load: YAML -> validated IR; compile: IR -> every rendered machine (its own SP-ization included);")
    print("max KiB: largest machine as deployed (placeholders at their longest); events*: worst case per")
    print("execution with every retry used; transitions and events: per successful run, all executions\n")
    table(header, rows)


if __name__ == "__main__":
    main()

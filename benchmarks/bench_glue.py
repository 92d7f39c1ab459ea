"""Benchmark: the glue target against the stepfunctions target on the same generated Glue pipelines.

Run ``.venv/bin/python benchmarks/bench_glue.py`` (``--quick`` for small sizes). For layered DAGs
of Glue jobs it prints, per size: check + compile time of each target and their ratio (Step
Functions, measured in the same run, is the baseline), the makespan of a successful run on each
(Glue: exactly the critical path; Step Functions: its series-parallel encoding), the document
size, and how large the created role's policy would be against IAM's 10,240-character limit.
Nothing here asserts on wall-clock time.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.gen import layered_spec
from pipespec.environment import Deployment, Environment
from pipespec.ir import PipelineIR
from pipespec.project import load_string
from pipespec.targets.glue.compile import IAM_INLINE_POLICY_MAX, compile_workflow, policy_size
from pipespec.targets.glue.iam import Access, role_policy
from pipespec.targets.glue.stack import GlueStack
from pipespec.targets.glue.target import timing
from pipespec.targets.registry import get_target

ROLE = "arn:aws:iam::123456789012:role/bench-glue"  # big pipelines: the created role's policy would not fit


def glue_spec(n: int) -> str:
    text = layered_spec(n, seed=11)
    text = re.sub(r"kind: python, script: (jobs/task_\d+\.py)", r"kind: glue, script: 's3://bench-scripts/\1'", text)
    return text.replace("tasks:\n", "targets: {glue: {}, stepfunctions: {}}\ntasks:\n", 1)


def fresh_ir(n: int) -> PipelineIR:
    """A new IR per measurement: the stepfunctions target caches its plan per IR object."""
    loaded = load_string(glue_spec(n), f"bench_{n}.yaml", targets=["glue", "stepfunctions"])
    assert loaded.ir is not None and loaded.ok, [d.format() for d in loaded.diagnostics if d.is_error][:3]
    return loaded.ir


def best_of(repeat: int, n: int, fn: Callable[[PipelineIR], object]) -> float:
    times = []
    for _ in range(repeat):
        ir = fresh_ir(n)
        start = time.perf_counter()
        fn(ir)
        times.append(time.perf_counter() - start)
    return min(times)


def row(n: int, repeat: int) -> list[str]:
    glue, sfn = get_target("glue"), get_target("stepfunctions")
    deployment = Deployment(Environment(), GlueStack(role_arn=ROLE))
    t_glue = best_of(repeat, n, lambda ir: (glue.check(ir), compile_workflow(ir, deployment)))
    t_sfn = best_of(repeat, n, lambda ir: (sfn.check(ir), sfn.render(ir)))
    ir = fresh_ir(n)
    compiled = compile_workflow(ir, deployment)
    t = timing(ir)
    access = Access(scripts={getattr(task.spec, "script", "") for task in ir.tasks}, jobs=True)
    chars = policy_size(role_policy(access))
    return [
        str(n),
        f"{t_glue * 1000:.1f}",
        f"{t_sfn * 1000:.1f}",
        f"{t_glue / t_sfn:.2f}",
        f"{t.critical_path_s / 60:.0f}m",
        f"{t.stepfunctions_makespan_s / 60:.0f}m",
        f"{t.stepfunctions_makespan_s / t.critical_path_s:.3f}",
        f"{len(compiled.text.encode()) / 1024:.0f}",
        f"{chars}{' (over)' if chars > IAM_INLINE_POLICY_MAX else ''}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    sizes = [10, 40] if args.quick else [10, 40, 100, 250, 500]
    header = [
        "tasks",
        "glue ms",
        "sfn ms (baseline)",
        "glue/sfn",
        "glue makespan",
        "sfn makespan",
        "sfn/glue makespan",
        "doc KiB",
        "role policy chars",
    ]
    rows = [row(n, 1 if n > 100 else 3) for n in sizes]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print(" | ".join(h.rjust(w) for h, w in zip(header, widths, strict=True)))
    print("-|-".join("-" * w for w in widths))
    for r in rows:
        print(" | ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)))
    print(
        f"\nglue makespan = critical path (one conditional trigger per task); IAM inline limit {IAM_INLINE_POLICY_MAX}"
    )


if __name__ == "__main__":
    main()

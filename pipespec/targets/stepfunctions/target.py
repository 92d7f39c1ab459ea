"""AWS Step Functions target: kinds, naming rules, checks, render and summary (compiler in compile.py)."""

from __future__ import annotations

from typing import ClassVar

from ...diagnostics import Diagnostic
from ...durations import format_duration
from ...environment import Deployment
from ...ir import PipelineIR
from ..base import NameRule, Rendered, Target
from .checks import check
from .compile import CompiledPipeline, compile_pipeline
from .split import MAX_DEFINITION_BYTES, MAX_HISTORY_EVENTS
from .stack import StepFunctionsStack

__all__ = ["TARGET", "StepFunctionsStack", "StepFunctionsTarget"]


class StepFunctionsTarget(Target):
    name = "stepfunctions"
    title = "AWS Step Functions"
    kinds = frozenset({"python", "python_wheel", "shell", "sql", "dbt", "spark", "glue", "http", "pipeline"})
    unsupported_hints: ClassVar[dict[str, str]] = {
        "notebook": "Step Functions cannot run a notebook: use a glue or spark task, or the databricks target",
    }
    # State names: at most 80 characters; we keep task ids to characters the console and
    # CloudWatch metrics accept unescaped.
    task_id_rule = NameRule("Step Functions state name", r"[A-Za-z0-9_.-]+", 80, "only letters, digits, '_', '.', '-'")
    pipeline_name_rule = NameRule(
        "Step Functions state machine name", r"[A-Za-z0-9_-]+", 80, "only letters, digits, '_' and '-'"
    )
    stack_settings = StepFunctionsStack

    def check_limits(self, ir: PipelineIR) -> list[Diagnostic]:
        return check(ir, self.diag, self.pipeline_diag)

    def compile(self, ir: PipelineIR, deployment: Deployment | None = None) -> CompiledPipeline:
        return compile_pipeline(ir, self.deployment(deployment))

    def render(self, ir: PipelineIR, deployment: Deployment | None = None) -> list[Rendered]:
        """`<pipeline>.asl.json` (the main machine, as deployed), then one file per nested machine."""
        compiled = self.compile(ir, deployment)
        out = [Rendered(f"{ir.name}.asl.json", compiled.main.text)]
        out += [Rendered(m.filename, m.text) for m in compiled.machines[1:]]
        return out

    def summary(self, ir: PipelineIR, deployment: Deployment | None = None) -> list[str]:
        return summary_lines(self.compile(ir, deployment))


def summary_lines(compiled: CompiledPipeline) -> list[str]:
    t = compiled.timing
    if t.added_s > 0.5:
        pct = 100 * t.added_s / t.critical_path_s if t.critical_path_s else 0.0
        timing = f"+{format_duration(t.added_s)} ({pct:.1f}%): the DAG is not series-parallel"
    else:
        timing = "+0s: exact"
    machines = compiled.machines
    biggest = max(m.deployed_bytes for m in machines)
    worst = max(m.events_worst for m in machines)
    lines = [
        f"critical path {format_duration(t.critical_path_s)}, Step Functions makespan "
        f"{format_duration(t.makespan_s)} ({timing})",
        f"per successful run: {compiled.transitions} state transitions, {compiled.events} history events "
        f"in {len(machines)} execution(s)",
        f"limits: largest definition at most {biggest / 1024:.1f} KiB once deployed "
        f"(of {MAX_DEFINITION_BYTES // 1024}), "
        f"at most {worst} history events per execution with every retry used (limit {MAX_HISTORY_EVENTS:,})",
    ]
    if len(machines) > 1:
        lines.append(
            f"split into {len(machines)} state machines (nested with startExecution.sync:2): "
            + ", ".join(m.name for m in machines[1:])
        )
    if compiled.placeholders:
        lines.append("filled in at deploy time: " + ", ".join("${" + p + "}" for p in compiled.placeholders))
    if compiled.missing_stack:
        lines.append("stack settings to set before deploying: " + ", ".join(compiled.missing_stack))
    return lines


TARGET = StepFunctionsTarget()

"""AWS Glue Workflows target: kinds, checks, render and summary (compiler in compile.py).

Glue conditional triggers express any DAG exactly (one trigger per task, one condition per
upstream), so unlike Step Functions no task waits longer than its dependencies require.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import ClassVar

from ...diagnostics import Diagnostic, SpecError
from ...durations import format_duration
from ...environment import Deployment
from ...ir import PipelineIR
from ...loader import load_file
from ...spec.tasks import TASK_KINDS
from ...spize import critical_path_length, makespan, spize
from ..base import NameRule, Rendered, Target
from .checks import check
from .compile import CompiledWorkflow, compile_workflow
from .nodes import FAILURE_RULES
from .schedule import dst_note, utc_schedule
from .stack import GlueStack

__all__ = ["TARGET", "GlueStack", "GlueTarget", "Timing", "timing"]

_HINTS = {
    kind: f"Glue Workflows run Glue jobs and crawlers only: deploy a pipeline with {kind} tasks with the "
    "stepfunctions target (it runs them next to Glue jobs), or remove 'glue' from the pipeline's targets"
    for kind in TASK_KINDS
    if kind != "glue"
}


@dataclass(frozen=True)
class Timing:
    """A successful run (failure handlers excluded), with every task at its expected duration."""

    critical_path_s: float  # also the Glue makespan: triggers add no wait
    stepfunctions_makespan_s: float  # the same DAG encoded series-parallel (pipespec.spize)

    @property
    def stepfunctions_added_s(self) -> float:
        return max(0.0, self.stepfunctions_makespan_s - self.critical_path_s)


def timing(ir: PipelineIR) -> Timing:
    skipped: set[str] = set()
    for task in ir.tasks:  # topological: a handler's descendants do not run on success either
        if task.trigger_rule in FAILURE_RULES or skipped & set(task.depends_on):
            skipped.add(task.id)
    ids = [t.id for t in ir.tasks if t.id not in skipped]
    if not ids:
        return Timing(0.0, 0.0)
    deps = {t: [d for d in ir.task(t).depends_on if d not in skipped] for t in ids}
    durations = ir.durations
    return Timing(critical_path_length(ids, deps, durations), makespan(spize(ids, deps, durations), durations))


def relocate(ir: PipelineIR, diags: list[Diagnostic]) -> list[Diagnostic]:
    """Point pipeline-level diagnostics at their field's line (the IR keeps only the pipeline's position)."""
    at_pipeline = [d for d in diags if (d.line, d.column) == (ir.source.line, ir.source.column) and d.path]
    if not at_pipeline or not Path(ir.source.file).is_file():
        return diags
    try:
        doc = load_file(ir.source.file)
    except SpecError:
        return diags
    out = []
    for d in diags:
        if d in at_pipeline:
            mark = doc.locate(d.path)
            d = replace(d, line=mark.line, column=mark.column)
        out.append(d)
    return out


class GlueTarget(Target):
    name = "glue"
    title = "AWS Glue Workflows"
    kinds = frozenset({"glue"})
    unsupported_hints: ClassVar[Mapping[str, str]] = MappingProxyType(_HINTS)
    # Trigger names are `<prefix><pipeline>-run-<task>`: checks.limits checks the combined length.
    pipeline_name_rule = NameRule("Glue workflow name", r"[A-Za-z0-9_-]+", 255, "only letters, digits, '_' and '-'")
    stack_settings = GlueStack

    def check_limits(self, ir: PipelineIR) -> list[Diagnostic]:
        return relocate(ir, check(ir, self.diag, self.pipeline_diag))

    def compile(self, ir: PipelineIR, deployment: Deployment | None = None) -> CompiledWorkflow:
        return compile_workflow(ir, self.deployment(deployment))

    def render(self, ir: PipelineIR, deployment: Deployment | None = None) -> list[Rendered]:
        """`<pipeline>.glue.json`: workflow, triggers, jobs, crawlers, role and alert rules, as deployed."""
        compiled = self.compile(ir, deployment)
        return [Rendered(compiled.filename, compiled.text)]

    def summary(self, ir: PipelineIR, deployment: Deployment | None = None) -> list[str]:
        compiled = self.compile(ir, deployment)
        return summary_lines(ir, compiled, timing(ir))


def summary_lines(ir: PipelineIR, compiled: CompiledWorkflow, t: Timing) -> list[str]:
    doc = compiled.document
    pct = 100 * t.stepfunctions_added_s / t.critical_path_s if t.critical_path_s else 0.0
    sfn = (
        f"+{format_duration(t.stepfunctions_added_s)} ({pct:.1f}%): the DAG is not series-parallel"
        if t.stepfunctions_added_s > 0.5
        else "+0s"
    )
    conditional = len(doc["Triggers"]) - 1
    lines = [
        f"critical path {format_duration(t.critical_path_s)}, Glue workflow makespan "
        f"{format_duration(t.critical_path_s)} (+0s: one conditional trigger per task expresses the DAG exactly)",
        f"Step Functions on the same DAG: makespan {format_duration(t.stepfunctions_makespan_s)} ({sfn})",
        f"workflow {compiled.name}: {len(doc['Jobs'])} job(s) created, {len(doc['ExistingJobs'])} existing, "
        f"{len(doc['Crawlers'])} crawler(s), 1 start + {conditional} conditional trigger(s), "
        f"{len(doc['AlertRules'])} alert rule(s)",
    ]
    if ir.schedule is not None:
        utc = utc_schedule(ir.schedule.cron, ir.schedule.timezone)
        lines.append(f"schedule {utc.expression} (UTC) for '{ir.schedule.cron.source}' in {ir.schedule.timezone}")
        note = dst_note(ir.schedule.cron, utc)
        if note:
            lines.append(note)
    if compiled.placeholders:
        lines.append("filled in at deploy time: " + ", ".join("${" + p + "}" for p in compiled.placeholders))
    return lines


TARGET = GlueTarget()

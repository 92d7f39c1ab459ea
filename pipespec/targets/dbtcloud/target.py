"""dbt Cloud target: dbt tasks become dbt Cloud jobs (compiler in compile.py, split in split.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from ...diagnostics import Diagnostic
from ...environment import Deployment
from ...ir import PipelineIR
from ...spec.tasks import TASK_KINDS
from ..base import NameRule, Rendered, Target
from .checks import check_limits
from .compile import CompiledDbtCloud, compile_dbtcloud
from .stack import DbtCloudStack, SlackChannelRef

__all__ = ["TARGET", "DbtCloudStack", "DbtCloudTarget", "SlackChannelRef"]

_ELSEWHERE = (
    "dbt Cloud runs dbt commands only: orchestrate this {kind} task with another target (databricks, "
    "stepfunctions, composer) and start the dbt Cloud job from there with an http task "
    "(POST https://cloud.getdbt.com/api/v2/accounts/<account>/jobs/<job>/run/), as the article does; "
    "or remove 'dbtcloud' from this pipeline's targets"
)


class DbtCloudTarget(Target):
    name = "dbtcloud"
    title = "dbt Cloud"
    kinds = frozenset({"dbt"})
    unsupported_hints: ClassVar[Mapping[str, str]] = {
        kind: _ELSEWHERE.format(kind=kind) for kind in TASK_KINDS if kind != "dbt"
    }
    # Task ids become job names and resource names; keep them to what both accept unescaped.
    task_id_rule = NameRule("dbt Cloud job key", r"[A-Za-z0-9_.-]+", 200, "only letters, digits, '_', '.', '-'")
    pipeline_name_rule = NameRule("dbt Cloud job name", r"[A-Za-z0-9_-]+", 200, "only letters, digits, '_', '-'")
    stack_settings = DbtCloudStack

    def check_limits(self, ir: PipelineIR) -> list[Diagnostic]:
        return check_limits(ir, self.diag, self.pipeline_diag)

    def compile(self, ir: PipelineIR, deployment: Deployment | None = None) -> CompiledDbtCloud:
        return compile_dbtcloud(ir, self.deployment(deployment))

    def render(self, ir: PipelineIR, deployment: Deployment | None = None) -> list[Rendered]:
        """`<pipeline>.dbtcloud.json`: the jobs, their completion triggers and notifications, as deployed."""
        return [Rendered(f"{ir.name}.dbtcloud.json", self.compile(ir, deployment).text())]

    def summary(self, ir: PipelineIR, deployment: Deployment | None = None) -> list[str]:
        compiled = self.compile(ir, deployment)
        split = compiled.split
        steps = sum(len(j.steps) for j in split.jobs)
        lines = [f"{len(split.jobs)} dbt Cloud job(s), {steps} step(s) for {len(ir.tasks)} task(s)"]
        for job in compiled.jobs:
            after = job.get("completion_trigger")
            when = f"after {after['job']} ({'/'.join(after['statuses'])})" if after else "root"
            lines.append(f"  {job['name']}: {len(job['execute_steps'])} step(s), {when}")
        if split.added:
            lines.append(f"{len(split.added)} task pair(s) ordered that the DAG runs in parallel (see PS425)")
        if compiled.placeholders:
            lines.append("filled in at deploy time: " + ", ".join("${" + p + "}" for p in compiled.placeholders))
        if compiled.missing_stack:
            lines.append("stack settings to set before deploying: " + ", ".join(compiled.missing_stack))
        return lines


TARGET = DbtCloudTarget()

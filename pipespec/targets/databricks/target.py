"""Databricks Workflows target: kinds, naming rules and limits (compiler in compile.py)."""

from __future__ import annotations

from typing import ClassVar

from ...diagnostics import Diagnostic
from ...environment import Deployment
from ...ir import PipelineIR
from ..base import NameRule, Rendered, Target
from .checks import check_limits
from .compile import CompiledJob, compile_job, to_json
from .stack import DatabricksStack

__all__ = ["TARGET", "DatabricksStack", "DatabricksTarget"]


class DatabricksTarget(Target):
    name = "databricks"
    title = "Databricks Workflows"
    kinds = frozenset({"python", "python_wheel", "sql", "dbt", "notebook", "spark", "http", "pipeline"})
    unsupported_hints: ClassVar[dict[str, str]] = {
        "shell": "Databricks jobs have no shell task: run the command from a python script or a notebook cell",
        "glue": "Glue jobs run on AWS: deploy this pipeline with the stepfunctions target instead",
    }
    task_id_rule = NameRule(
        "Databricks task_key", r"[A-Za-z0-9_-]+", 100, "only letters, digits, '_' and '-' are allowed"
    )
    pipeline_name_rule = NameRule("Databricks job name", r".+", 4096, "must not be empty")
    stack_settings = DatabricksStack

    def check_limits(self, ir: PipelineIR) -> list[Diagnostic]:
        return check_limits(ir, self.diag, self.pipeline_diag)

    def compile(self, ir: PipelineIR, deployment: Deployment | None = None) -> CompiledJob:
        """The job and everything around it (files, secrets, permissions) that the component deploys."""
        return compile_job(ir, self.deployment(deployment))

    def render(self, ir: PipelineIR, deployment: Deployment | None = None) -> list[Rendered]:
        job = self.compile(ir, deployment)
        out = [Rendered(f"{ir.name}.job.json", job.document())]
        if job.permissions:
            acl = [{"group_name": g, "permission_level": level} for g, level in job.permissions]
            out.append(Rendered(f"{ir.name}.permissions.json", to_json({"access_control_list": acl})))
        out += [Rendered(f.rendered_name, f.content) for f in job.files]
        return out

    def summary(self, ir: PipelineIR, deployment: Deployment | None = None) -> list[str]:
        job = self.compile(ir, deployment)
        tasks = job.settings.get("tasks", [])
        compute = "serverless" if "environments" in job.settings or not job.settings.get("job_clusters") else "clusters"
        lines = [f"job {job.name!r}: {len(tasks)} tasks on {compute}"]
        if job.placeholders:
            lines.append("placeholders filled at deploy time: " + ", ".join(f"${{{p}}}" for p in job.placeholders))
        if job.secrets:
            keys = ", ".join(s.config_key for s in job.secrets)
            lines.append(f"secrets copied into scope {job.secret_scope!r}: {keys}")
        return lines


TARGET = DatabricksTarget()

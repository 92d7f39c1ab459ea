"""Microsoft Fabric target: one data pipeline item per spec (compiler in compile.py)."""

from __future__ import annotations

from typing import ClassVar

from ...diagnostics import Diagnostic, SpecError
from ...environment import Deployment
from ...ir import PipelineIR
from ..base import NameRule, Rendered, Target
from .checks import check_limits
from .compile import CompiledFabric, compile_fabric
from .stack import FabricStack

__all__ = ["TARGET", "FabricCompileError", "FabricStack", "FabricTarget"]


class FabricCompileError(SpecError):
    """The pipeline cannot compile for Fabric (diagnostics say where and why)."""


class FabricTarget(Target):
    name = "fabric"
    title = "Microsoft Fabric Data Pipelines"
    kinds = frozenset({"python", "sql", "notebook", "spark", "http", "pipeline", "dbt"})
    unsupported_hints: ClassVar[dict[str, str]] = {
        "shell": "Fabric pipelines have no shell activity: run the command from a notebook or Spark job definition",
        "python_wheel": "run the wheel's entry point from a Spark job definition (kind: spark) or a notebook",
        "glue": "Glue jobs run on AWS: deploy this pipeline with the stepfunctions target instead",
    }
    # Activity names: at most 55 characters, no '.', and nothing Fabric reserves.
    task_id_rule = NameRule("Fabric activity name", r"[A-Za-z0-9_-]+", 55, "only letters, digits, '_' and '-'")
    pipeline_name_rule = NameRule("Fabric item name", r"[A-Za-z0-9_-]+", 200, "only letters, digits, '_' and '-'")
    stack_settings = FabricStack

    def check_limits(self, ir: PipelineIR) -> list[Diagnostic]:
        return check_limits(ir, self.diag, self.pipeline_diag)

    def compile(self, ir: PipelineIR, deployment: Deployment | None = None) -> CompiledFabric:
        compiled = compile_fabric(ir, self.deployment(deployment))
        if compiled.diagnostics:
            raise FabricCompileError(list(compiled.diagnostics))
        return compiled

    def render(self, ir: PipelineIR, deployment: Deployment | None = None) -> list[Rendered]:
        """`<pipeline>.pipeline-content.json` (the item definition part) and `<pipeline>.schedules.json`."""
        compiled = self.compile(ir, deployment)
        out = [Rendered(f"{ir.name}.pipeline-content.json", compiled.content_text())]
        if compiled.schedules:
            out.append(Rendered(f"{ir.name}.schedules.json", compiled.schedules_text()))
        return out

    def summary(self, ir: PipelineIR, deployment: Deployment | None = None) -> list[str]:
        compiled = self.compile(ir, deployment)
        activities = compiled.content["properties"]["activities"]
        extra = len(activities) - len(ir.tasks)
        lines = [f"Fabric pipeline {compiled.display_name!r}: {len(ir.tasks)} task activities, {extra} for alerts"]
        if compiled.schedules:
            kinds = ", ".join(s["configuration"]["type"] for s in compiled.schedules)
            lines.append(f"schedules: {kinds} ({compiled.schedules[0]['configuration']['localTimeZoneId']})")
        if compiled.placeholders:
            lines.append("filled in at deploy time: " + ", ".join("${" + p + "}" for p in compiled.placeholders))
        if compiled.missing_stack:
            lines.append("stack settings to set before deploying: " + ", ".join(compiled.missing_stack))
        return lines


TARGET = FabricTarget()

"""AWS Step Functions target: kinds, naming rules and limits (compiler in compile.py)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel

from ...environment import Deployment
from ...ir import PipelineIR
from ..base import NameRule, Rendered, Target


class StepFunctionsStack(BaseModel):
    """Per-environment settings from stack config (filled in by the stack overlay)."""


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

    def render(self, ir: PipelineIR, deployment: Deployment | None = None) -> list[Rendered]:
        raise NotImplementedError("the Step Functions compiler lands with issue 5")


TARGET = StepFunctionsTarget()

"""Cloud Composer (Airflow) target: kinds, naming rules and limits (compiler in compile.py)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel

from ...environment import Deployment
from ...ir import PipelineIR
from ..base import NameRule, Rendered, Target


class ComposerStack(BaseModel):
    """Per-environment settings from stack config (filled in by the stack overlay)."""


class ComposerTarget(Target):
    name = "composer"
    title = "Cloud Composer (Airflow)"
    kinds = frozenset({"python", "python_wheel", "shell", "sql", "dbt", "notebook", "spark", "http", "pipeline"})
    unsupported_hints: ClassVar[dict[str, str]] = {
        "glue": "Glue jobs run on AWS: deploy this pipeline with the stepfunctions target instead",
    }
    task_id_rule = NameRule("Airflow task_id", r"[A-Za-z0-9_.-]+", 250, "only letters, digits, '_', '.', '-'")
    pipeline_name_rule = NameRule("Airflow dag_id", r"[A-Za-z0-9_.-]+", 250, "only letters, digits, '_', '.', '-'")
    stack_settings = ComposerStack

    def render(self, ir: PipelineIR, deployment: Deployment | None = None) -> list[Rendered]:
        raise NotImplementedError("the Composer compiler lands with issue 6")


TARGET = ComposerTarget()

"""Databricks Workflows target: kinds, naming rules and limits (compiler in compile.py)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel

from ...environment import Deployment
from ...ir import PipelineIR
from ..base import NameRule, Rendered, Target


class DatabricksStack(BaseModel):
    """Per-environment settings from stack config (filled in by the stack overlay)."""


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

    def render(self, ir: PipelineIR, deployment: Deployment | None = None) -> list[Rendered]:
        raise NotImplementedError("the Databricks compiler lands with issue 4")


TARGET = DatabricksTarget()

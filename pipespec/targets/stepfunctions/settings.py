"""AWS Step Functions settings a spec may carry (the *how* on AWS)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ...spec.base import SpecModel


class GlueJobSettings(SpecModel):
    glue_version: str = "4.0"
    worker_type: Literal["G.1X", "G.2X", "G.4X", "G.8X", "G.025X", "Z.2X"] = "G.1X"
    number_of_workers: int = Field(default=2, ge=1, le=1000)
    max_concurrent_runs: int = Field(default=1, ge=1)
    extra_arguments: dict[str, str] = Field(default_factory=dict)


class StepFunctionsPipelineSettings(SpecModel):
    ecs_cluster: str | None = Field(default=None, description="ECS cluster for containerised commands.")
    ecs_task_definition: str | None = Field(default=None, description="Task definition family:revision.")
    container_name: str | None = None
    athena_workgroup: str = Field(default="primary", pattern=r"^[a-zA-Z0-9._-]{1,128}$")
    athena_database: str | None = None
    athena_output_location: str | None = Field(
        default=None, pattern=r"^s3://", description="Query results location (unless the workgroup enforces one)."
    )
    glue: GlueJobSettings = Field(default_factory=GlueJobSettings)


class StepFunctionsTaskSettings(SpecModel):
    integration: Literal["glue", "lambda", "athena", "ecs", "http", "execution", "emr_serverless"] | None = Field(
        default=None, description="Force a service integration (default: chosen from the task kind)."
    )
    lambda_function: str | None = Field(default=None, description="Lambda function name for python tasks.")
    ecs_task_definition: str | None = None
    container_name: str | None = None
    glue: GlueJobSettings | None = None

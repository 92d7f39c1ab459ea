"""Airflow on Amazon MWAA settings a spec may carry (owned by the MWAA target).

Values resolve field by field: the task's `targets.mwaa`, then the pipeline's, then the stack's
(`MwaaStack`, per environment).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ...spec.base import SpecModel
from ..glue.settings import GlueJobSettings

MwaaOperator = Literal["bash", "python", "ecs", "athena", "redshift", "glue", "http", "trigger_dagrun"]


class MwaaPipelineSettings(SpecModel):
    sql_engine: Literal["athena", "redshift"] | None = Field(
        default=None, description="Engine of the pipeline's sql tasks (default: the stack's, athena)."
    )
    athena_workgroup: str | None = Field(default=None, pattern=r"^[a-zA-Z0-9._-]{1,128}$")
    athena_database: str | None = Field(default=None, description="Glue Data Catalog database of the queries.")
    athena_output_location: str | None = Field(default=None, pattern=r"^s3://")
    redshift_database: str | None = None
    ecs_task_definition: str | None = Field(default=None, description="family[:revision] or ARN for commands.")
    container_name: str | None = None
    http_conn_id: str | None = Field(
        default=None, description="Airflow HTTP connection for http tasks (default: one per host, created by pipespec)."
    )
    aws_conn_id: str | None = Field(default=None, description="Airflow AWS connection (default: the stack's).")
    glue: GlueJobSettings | None = Field(
        default=None, description="Defaults for the Glue jobs the pipeline's glue tasks create (tasks may override)."
    )


class MwaaTaskSettings(SpecModel):
    operator: MwaaOperator | None = Field(default=None, description="Override the operator chosen for the kind.")
    ecs_task_definition: str | None = None
    container_name: str | None = None
    glue: GlueJobSettings | None = Field(
        default=None, description="Resources of the Glue job a glue task with a `script` creates."
    )
    pool: str | None = None
    queue: str | None = None

"""Per-stack Glue settings (Pulumi stack config `pipespec:glue`).

The generic overlay (name prefix, paused schedules, tags, protect) comes from `Environment`;
what is Glue-specific and differs between dev and prod (job sizes, logging, an existing role)
lives here, so the same spec deploys to every account unchanged.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from .settings import GlueVersion, S3Url, WorkerType

RoleArn = Annotated[
    str, StringConstraints(pattern=r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9_+=,.@/-]+$", max_length=2048)
]


class GlueStack(BaseModel):
    """Per-environment settings, read from stack config; code never changes per stack."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    default_glue_version: GlueVersion = Field(
        default="4.0", description="Glue version of Spark jobs the spec leaves unset."
    )
    default_worker_type: WorkerType = Field(
        default="G.1X", description="Worker type of Spark jobs the spec leaves unset."
    )
    default_number_of_workers: int = Field(
        default=2, ge=2, le=1000, description="Workers of Spark jobs the spec leaves unset."
    )
    max_number_of_workers: int | None = Field(
        default=None, ge=2, le=1000, description="Cap on any job's workers in this stack (e.g. small in dev)."
    )
    role_arn: RoleArn | None = Field(
        default=None, description="Existing role for the created jobs and crawlers (default: one is created, scoped)."
    )
    temp_dir: S3Url | None = Field(default=None, description="`--TempDir` of Spark jobs (the role may write there).")
    spark_ui_logs_path: S3Url | None = Field(
        default=None, description="Write Spark UI event logs here (`--enable-spark-ui`)."
    )
    continuous_logging: bool = Field(
        default=True, description="Stream Spark driver/executor logs to CloudWatch while jobs run."
    )
    job_metrics: bool = Field(
        default=False, description="Publish job metrics (`--enable-metrics`; needs cloudwatch:PutMetricData on '*')."
    )
    security_configuration: str | None = Field(
        default=None,
        min_length=1,
        max_length=255,
        description="Existing Glue security configuration (encryption) for the created jobs and crawlers.",
    )

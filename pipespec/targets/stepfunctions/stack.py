"""Per-stack Step Functions settings (Pulumi stack config `pipespec:stepfunctions`).

The generic overlay (name prefix, paused schedules, tags, protect) comes from `Environment`;
what is AWS-specific and differs between dev and prod (network, clusters, log retention,
alarm sensitivity) lives here, so the same spec deploys to every account unchanged.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

# CloudWatch Logs accepts only these retention periods (days).
LOG_RETENTION_DAYS = frozenset(
    {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
)


class StepFunctionsStack(BaseModel):
    """Per-environment settings, read from stack config; code never changes per stack."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    log_retention_days: int = Field(default=30, description="Retention of the execution log group.")
    log_level: Literal["ALL", "ERROR", "FATAL", "OFF"] = Field(
        default="ERROR", description="Step Functions log level (ALL logs every state transition)."
    )
    log_execution_data: bool = Field(
        default=False, description="Include state input/output in the logs (may contain sensitive data)."
    )
    tracing: bool = Field(default=False, description="AWS X-Ray tracing of executions.")
    schedule_group: str = Field(
        default="default", pattern=r"^[0-9a-zA-Z-_.]{1,64}$", description="EventBridge Scheduler schedule group."
    )
    alarm_period_s: int = Field(
        default=300, ge=60, le=86400, description="Period of the failed / timed-out execution alarms (multiple of 60)."
    )
    stale_alarm: bool = Field(
        default=True, description="Alarm when no run succeeded within the schedule interval plus the SLA."
    )
    # Containers (python without a Lambda function, shell, dbt, python_wheel).
    ecs_cluster: str | None = Field(default=None, description="ECS cluster name or ARN (overrides the spec's).")
    ecs_task_definition: str | None = Field(
        default=None, description="Task definition (family[:revision] or ARN) when the spec names none."
    )
    ecs_container_name: str | None = Field(default=None, description="Container to run when the spec names none.")
    ecs_subnets: list[str] = Field(default_factory=list, description="Subnets of the Fargate tasks.")
    ecs_security_groups: list[str] = Field(default_factory=list, description="Security groups of the Fargate tasks.")
    ecs_assign_public_ip: bool = Field(default=False, description="Give Fargate tasks a public IP (no NAT).")
    ecs_pass_roles: list[str] = Field(
        default_factory=list,
        description="ARNs of the task definitions' task and execution roles (the state machine passes them).",
    )
    # Spark on EMR Serverless.
    emr_application_id: str | None = Field(default=None, description="EMR Serverless application for spark tasks.")
    emr_execution_role_arn: str | None = Field(default=None, description="Job execution role of spark tasks.")
    # SQL on Athena.
    athena_output_location: str | None = Field(
        default=None, pattern=r"^s3://", description="Query results location (overrides the spec's)."
    )
    athena_data_buckets: list[str] = Field(
        default_factory=list, description="S3 buckets the SQL tasks read and write (scopes the role's S3 access)."
    )
    # Glue jobs the component creates (glue tasks with a `script`).
    glue_role_arn: str | None = Field(default=None, description="IAM role the created Glue jobs run as.")
    parameters: dict[str, str] = Field(
        default_factory=dict, description="Values of {placeholders} in HTTP task URLs, e.g. workspace ids."
    )

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS:
            allowed = ", ".join(str(v) for v in sorted(LOG_RETENTION_DAYS))
            raise ValueError(f"CloudWatch Logs retention must be one of {allowed}")
        return value

    @field_validator("alarm_period_s")
    @classmethod
    def _period(cls, value: int) -> int:
        if value % 60:
            raise ValueError("alarm periods are multiples of 60 seconds")
        return value

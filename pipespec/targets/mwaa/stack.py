"""Per-stack Amazon MWAA settings (Pulumi stack config `pipespec:mwaa`) and the MWAA releases pipespec knows.

The generic overlay (DAG id prefix, paused schedules, protect, tags) comes from `Environment`; what is
MWAA-specific and differs between dev and prod (Airflow version, environment class, network, the SQL
engine, the ECS setup) lives here, so the same spec deploys to every account unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

MwaaVersion = Literal["2.10.3", "2.11.0", "2.11.2", "3.0.6", "3.2.1", "3.3.1"]
DEFAULT_VERSION: MwaaVersion = "3.3.1"


@dataclass(frozen=True)
class MwaaRelease:
    """What an MWAA Airflow version runs: its Python (constraints file) and the provider versions it
    preinstalls, from the images' constraints (github.com/aws/amazon-mwaa-docker-images,
    images/airflow/<version>/etc/airflow_constraints.txt)."""

    python: str
    providers: dict[str, str]  # provider short name -> version installed by MWAA

    def constraint_url(self, version: str) -> str:
        return f"https://raw.githubusercontent.com/apache/airflow/constraints-{version}/constraints-{self.python}.txt"


RELEASES: dict[str, MwaaRelease] = {
    "2.10.3": MwaaRelease("3.11", {"amazon": "9.0.0", "http": "4.13.2"}),
    "2.11.0": MwaaRelease("3.12", {"amazon": "9.8.0", "http": "5.3.0"}),
    "2.11.2": MwaaRelease("3.12", {"amazon": "9.22.0", "http": "6.0.0"}),
    "3.0.6": MwaaRelease("3.12", {"amazon": "9.12.0", "http": "5.3.3", "standard": "1.6.0"}),
    "3.2.1": MwaaRelease("3.12", {"amazon": "9.25.0", "http": "6.0.2", "standard": "1.12.3"}),
    "3.3.1": MwaaRelease("3.12", {"amazon": "9.34.0", "http": "6.0.5", "standard": "1.17.0"}),
}

EnvironmentClass = Literal["mw1.micro", "mw1.small", "mw1.medium", "mw1.large", "mw1.xlarge", "mw1.2xlarge"]
LogLevel = Literal["CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"]
_WINDOW = re.compile(r"(MON|TUE|WED|THU|FRI|SAT|SUN):([01][0-9]|2[0-3]):(00|30)")


class MwaaStack(BaseModel):
    """Per-environment settings for the MWAA target, from stack config `pipespec:mwaa`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    airflow_version: MwaaVersion = Field(
        default=DEFAULT_VERSION, description="MWAA Airflow version; chooses the DAG flavour and requirements.txt."
    )
    environment_name: str = Field(
        default="pipespec", pattern=r"^[a-zA-Z][0-9a-zA-Z_-]{0,79}$", description="MWAA environment name."
    )
    create_environment: bool = Field(
        default=True, description="Create the environment (false: deploy into an existing one by name)."
    )
    environment_class: EnvironmentClass = "mw1.small"
    min_workers: int | None = Field(default=None, ge=1, le=120)
    max_workers: int | None = Field(default=None, ge=1, le=120)
    subnet_ids: list[str] = Field(default_factory=list, description="Two private subnets (created environment).")
    security_group_ids: list[str] = Field(
        default_factory=list, description="1-5 security groups (created environment)."
    )
    webserver_access_mode: Literal["PRIVATE_ONLY", "PUBLIC_ONLY"] = "PRIVATE_ONLY"
    kms_key_arn: str | None = Field(
        default=None, pattern=r"^arn:aws[a-z-]*:kms:", description="Customer managed key (default: AWS owned)."
    )
    log_level: LogLevel = Field(default="INFO", description="Level of the five Airflow log groups.")
    weekly_maintenance_window_start: str | None = Field(default=None, description="e.g. 'SUN:03:00' (UTC).")
    airflow_configuration_options: dict[str, str] = Field(default_factory=dict)
    pypi_packages: dict[str, str] = Field(
        default_factory=dict, description="Extra requirements.txt lines (name -> specifier), e.g. dbt-athena."
    )
    secrets_backend: bool = Field(
        default=True,
        description="Make Secrets Manager Airflow's secrets backend (pipespec_* names) on a created environment.",
    )
    manage_existing_role: bool = Field(
        default=True, description="Attach the DAGs' task policies to an existing environment's execution role."
    )
    alert_topic_arn: str | None = Field(
        default=None,
        pattern=r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+$",
        description="SNS topic for alerts (default: the AWS alerting component's, filled in at deploy time).",
    )
    aws_conn_id: str = Field(default="aws_default", description="Airflow connection of the AWS operators and hooks.")
    # SQL tasks.
    sql_engine: Literal["athena", "redshift"] = Field(default="athena", description="Engine of `sql` tasks.")
    athena_workgroup: str = Field(default="primary", pattern=r"^[a-zA-Z0-9._-]{1,128}$")
    athena_database: str | None = None
    athena_output_location: str | None = Field(default=None, pattern=r"^s3://")
    athena_data_buckets: list[str] = Field(
        default_factory=list, description="S3 buckets the SQL tasks read and write (scopes the role's S3 access)."
    )
    redshift_cluster_identifier: str | None = None
    redshift_workgroup_name: str | None = Field(default=None, description="Redshift Serverless workgroup.")
    redshift_database: str | None = None
    redshift_db_user: str | None = Field(default=None, description="Database user (provisioned clusters, IAM auth).")
    # Containerised commands (python, shell, dbt, python_wheel, notebook) on ECS Fargate.
    ecs_cluster: str | None = Field(default=None, description="ECS cluster name or ARN.")
    ecs_task_definition: str | None = Field(default=None, description="family[:revision] or ARN.")
    ecs_container_name: str | None = None
    ecs_subnets: list[str] = Field(default_factory=list)
    ecs_security_groups: list[str] = Field(default_factory=list)
    ecs_assign_public_ip: bool = False
    ecs_pass_roles: list[str] = Field(
        default_factory=list, description="ARNs of the task definitions' task and execution roles (passed to ECS)."
    )
    # Glue jobs the DAG creates (glue tasks with a `script`).
    glue_role_arn: str | None = Field(default=None, pattern=r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/")
    protect: bool | None = Field(default=None, description="Protect the environment (default: the environment's).")

    @model_validator(mode="after")
    def _consistent(self) -> MwaaStack:
        if self.subnet_ids and len(self.subnet_ids) != 2:
            raise ValueError("an MWAA environment runs in exactly two private subnets (subnet_ids)")
        if len(self.security_group_ids) > 5:
            raise ValueError("an MWAA environment takes at most five security groups")
        if self.min_workers and self.max_workers and self.min_workers > self.max_workers:
            raise ValueError("min_workers is larger than max_workers")
        if self.redshift_cluster_identifier and self.redshift_workgroup_name:
            raise ValueError("set redshift_cluster_identifier (provisioned) or redshift_workgroup_name (serverless)")
        if self.weekly_maintenance_window_start and not _WINDOW.fullmatch(self.weekly_maintenance_window_start):
            raise ValueError("weekly_maintenance_window_start is DAY:HH:MM in UTC on the hour or half hour")
        return self

    @property
    def release(self) -> MwaaRelease:
        return RELEASES[self.airflow_version]

    @property
    def airflow_major(self) -> str:
        return self.airflow_version.split(".")[0]

    @property
    def ecs_ready(self) -> bool:
        """An ECS setup is configured: containerised commands run on Fargate instead of the workers."""
        return bool(self.ecs_cluster and self.ecs_task_definition and self.ecs_container_name and self.ecs_subnets)

    def network_problems(self) -> list[str]:
        """What a created environment still needs (empty when it can be created)."""
        if not self.create_environment:
            return []
        out = []
        if len(self.subnet_ids) != 2:
            out.append("subnet_ids: two private subnets in different availability zones")
        if not self.security_group_ids:
            out.append("security_group_ids: at least one security group")
        return out

"""Per-stack Databricks settings (Pulumi stack config `pipespec:databricks`), like a bundle target.

The generic overlay (name prefix, paused schedules, tags, protect) comes from `Environment`;
what is Databricks-specific (compute, identity, workspace) lives here, so a dev stack can run
on serverless or a small cluster policy while prod uses the spec's job clusters.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .settings import DatabricksCluster, DatabricksPermission, DatabricksRunAs

DEFAULT_FILES_ROOT = "/Shared/pipespec"
DEFAULT_ENVIRONMENT_VERSION = "2"


class DatabricksStack(BaseModel):
    """Per-environment Databricks settings, read from stack config; code never changes per stack."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    serverless: bool = Field(
        default=True,
        description="Run tasks on serverless compute (job clusters are then not created); "
        "false uses the spec's job clusters, or `default_cluster`.",
    )
    environment_version: str = Field(
        default=DEFAULT_ENVIRONMENT_VERSION,
        pattern=r"^[0-9]+$",
        description="Serverless environment version for Python, wheel and dbt tasks.",
    )
    default_cluster: DatabricksCluster | None = Field(
        default=None, description="Job cluster for tasks when the spec defines none (non-serverless stacks)."
    )
    cluster_policy_id: str | None = Field(
        default=None, description="Cluster policy applied to every job cluster (e.g. a small dev policy)."
    )
    node_type_id: str | None = Field(default=None, description="Overrides every job cluster's node type.")
    num_workers: int | None = Field(
        default=None, ge=0, le=10000, description="Overrides every job cluster's size (replaces autoscale)."
    )
    warehouse_id: str | None = Field(default=None, description="SQL warehouse when the spec names none.")
    dbt_project_directory: str | None = Field(
        default=None, description="Workspace folder of the dbt project for dbt tasks that name no project_dir."
    )
    run_as: DatabricksRunAs | None = Field(default=None, description="Replaces the spec's run_as.")
    permissions: list[DatabricksPermission] = Field(
        default_factory=list, description="Group permissions added to the spec's (same group: the stack's wins)."
    )
    workspace_url: str | None = Field(
        default=None, pattern=r"^https://", description="Workspace URL, for the job URL the stack exports."
    )
    files_root: str = Field(
        default=DEFAULT_FILES_ROOT,
        pattern=r"^/[^\s]*[^/\s]$",
        description="Workspace folder for generated files (HTTP runner, inline SQL), one subfolder per job.",
    )
    secret_scope: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_.-]{1,128}$",
        description="Existing secret scope for task secrets; default: one scope per job, created with it.",
    )
    parameters: dict[str, str] = Field(
        default_factory=dict,
        description="Job parameter defaults, e.g. the values of {placeholders} in HTTP task URLs.",
    )

    @field_validator("workspace_url")
    @classmethod
    def _strip_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

"""Databricks-specific settings a spec may carry (the *how* on Databricks)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ...spec.base import SpecModel


class DatabricksCluster(SpecModel):
    spark_version: str = Field(description="Databricks runtime, e.g. '15.4.x-scala2.12'.")
    node_type_id: str | None = None
    num_workers: int | None = Field(default=None, ge=0, le=10000)
    autoscale_min_workers: int | None = Field(default=None, ge=0)
    autoscale_max_workers: int | None = Field(default=None, ge=1)
    policy_id: str | None = None
    spark_conf: dict[str, str] = Field(default_factory=dict)
    data_security_mode: Literal["SINGLE_USER", "USER_ISOLATION", "NONE"] | None = None


class DatabricksPermission(SpecModel):
    group: str = Field(min_length=1)
    level: Literal["CAN_VIEW", "CAN_MANAGE_RUN", "CAN_MANAGE"]


class DatabricksRunAs(SpecModel):
    user_name: str | None = None
    service_principal_name: str | None = Field(default=None, description="Application id of the principal.")

    @model_validator(mode="after")
    def _one_identity(self) -> DatabricksRunAs:
        if (self.user_name is None) == (self.service_principal_name is None):
            raise ValueError("run_as needs exactly one of 'user_name' or 'service_principal_name'")
        return self

    @property
    def principal(self) -> str:
        return self.user_name or self.service_principal_name or ""


GitProvider = Literal[
    "gitHub",
    "gitHubEnterprise",
    "gitLab",
    "gitLabEnterpriseEdition",
    "bitbucketCloud",
    "bitbucketServer",
    "azureDevOpsServices",
    "awsCodeCommit",
]


class DatabricksGitSource(SpecModel):
    """The repository tasks with `source: GIT` read their files from (the job's `git_source`)."""

    url: str = Field(min_length=1, description="Clone URL of the repository.")
    provider: GitProvider
    branch: str | None = None
    tag: str | None = None
    commit: str | None = None

    @model_validator(mode="after")
    def _one_ref(self) -> DatabricksGitSource:
        if sum(ref is not None for ref in (self.branch, self.tag, self.commit)) != 1:
            raise ValueError("a git source needs exactly one of 'branch', 'tag' or 'commit'")
        return self


class DatabricksPipelineSettings(SpecModel):
    job_clusters: dict[str, DatabricksCluster] = Field(
        default_factory=dict, description="Shared job clusters, keyed by name; tasks pick one with `cluster`."
    )
    default_cluster: str | None = Field(default=None, description="Job cluster for tasks that name none.")
    warehouse_id: str | None = Field(default=None, description="SQL warehouse for sql and dbt tasks.")
    run_as: DatabricksRunAs | None = None
    permissions: list[DatabricksPermission] = Field(default_factory=list)
    dbt_profiles_directory: str | None = None
    git_source: DatabricksGitSource | None = Field(
        default=None, description="Repository for tasks whose `source` is GIT."
    )


class DatabricksTaskSettings(SpecModel):
    cluster: str | None = Field(default=None, description="Key of a job cluster from the pipeline's settings.")
    existing_cluster_id: str | None = None
    warehouse_id: str | None = None
    source: Literal["WORKSPACE", "GIT"] | None = None
    libraries: list[str] = Field(default_factory=list, description="PyPI requirements installed for the task.")

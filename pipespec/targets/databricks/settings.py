"""Databricks-specific settings a spec may carry (the *how* on Databricks)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

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
    service_principal_name: str | None = None


class DatabricksPipelineSettings(SpecModel):
    job_clusters: dict[str, DatabricksCluster] = Field(
        default_factory=dict, description="Shared job clusters, keyed by name; tasks pick one with `cluster`."
    )
    default_cluster: str | None = Field(default=None, description="Job cluster for tasks that name none.")
    warehouse_id: str | None = Field(default=None, description="SQL warehouse for sql and dbt tasks.")
    run_as: DatabricksRunAs | None = None
    permissions: list[DatabricksPermission] = Field(default_factory=list)
    dbt_profiles_directory: str | None = None


class DatabricksTaskSettings(SpecModel):
    cluster: str | None = Field(default=None, description="Key of a job cluster from the pipeline's settings.")
    existing_cluster_id: str | None = None
    warehouse_id: str | None = None
    source: Literal["WORKSPACE", "GIT"] | None = None
    libraries: list[str] = Field(default_factory=list, description="PyPI requirements installed for the task.")

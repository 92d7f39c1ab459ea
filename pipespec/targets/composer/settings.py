"""Cloud Composer / Airflow settings: what a spec may carry (the *how* on Airflow) and per-stack settings."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ...spec.base import SpecModel

AirflowOperator = Literal["bash", "python", "kubernetes_pod", "bigquery", "dataproc", "http", "trigger_dagrun"]

# Composer's image version grammar (pulumi-gcp docs): composer-<semver|major|latest>-airflow-<x[.y[.z]]>
_IMAGE = re.compile(
    r"composer-([0-9]+(\.[0-9]+\.[0-9]+(-preview\.[0-9]+)?)?|latest)-airflow-([0-9]+)(\.[0-9]+(\.[0-9]+)?)?"
)


class ComposerPipelineSettings(SpecModel):
    gcp_project: str | None = Field(default=None, description="Project for BigQuery / Dataproc operators.")
    region: str | None = Field(default=None, description="BigQuery location / Dataproc region (default: the stack's).")
    gcp_conn_id: str = "google_cloud_default"
    dataproc_cluster: str | None = None
    image: str | None = Field(default=None, description="Container image for kubernetes_pod tasks.")
    http_conn_id: str | None = Field(
        default=None, description="Airflow HTTP connection for http tasks (default: one per host, created by pipespec)."
    )
    namespace: str = Field(
        default="composer-user-workloads", description="Kubernetes namespace for kubernetes_pod tasks."
    )


class ComposerTaskSettings(SpecModel):
    operator: AirflowOperator | None = Field(default=None, description="Override the operator chosen for the kind.")
    image: str | None = None
    pool: str | None = None
    queue: str | None = None


EnvironmentSize = Literal["small", "medium", "large"]


class ComposerStack(BaseModel):
    """Per-environment (stack) settings for the Composer target, from stack config `pipespec:composer`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    airflow_version: Literal["2", "3"] = Field(
        default="3", description="Airflow major version of the environment: '2' (2.10) or '3' (3.1+)."
    )
    environment_name: str = Field(
        default="pipespec", pattern=r"^[a-z](?:[-0-9a-z]{0,62}[0-9a-z])?$", description="Composer environment name."
    )
    create_environment: bool = Field(
        default=True, description="Create the environment (false: deploy into an existing one by name)."
    )
    image_version: str | None = Field(
        default=None,
        description="Composer image, e.g. 'composer-3-airflow-3' or 'composer-2-airflow-2.10' "
        "(default: the newest Composer 3 image of `airflow_version`).",
    )
    environment_size: EnvironmentSize = "small"
    service_account: str | None = Field(
        default=None, description="Email of an existing service account (default: one is created with its roles)."
    )
    project: str | None = Field(default=None, description="GCP project (default: the provider's).")
    region: str = "us-central1"
    alert_topic: str | None = Field(
        default=None,
        pattern=r"^projects/[^/]+/topics/[^/]+$",
        description="Pub/Sub topic for alerts (default: the alerting component's topic, filled in at deploy time).",
    )
    secret_manager_backend: bool = Field(
        default=True, description="Configure Airflow's Secret Manager backend on a created environment."
    )
    pypi_packages: dict[str, str] = Field(
        default_factory=dict, description="Extra PyPI packages for a created environment (name -> specifier)."
    )
    protect: bool | None = Field(default=None, description="Protect the environment (default: the environment's).")

    @model_validator(mode="after")
    def _image_matches_version(self) -> ComposerStack:
        if self.image_version is None:
            return self
        match = _IMAGE.fullmatch(self.image_version)
        if match is None:
            raise ValueError(
                f"image_version {self.image_version!r} is not a Composer image such as 'composer-3-airflow-3' "
                "or 'composer-2.13.1-airflow-2.10.5'"
            )
        if match.group(4) != self.airflow_version:
            raise ValueError(
                f"image_version {self.image_version!r} runs Airflow {match.group(4)}, "
                f"but airflow_version is {self.airflow_version!r}"
            )
        return self

    @property
    def image(self) -> str:
        if self.image_version:
            return self.image_version
        return "composer-3-airflow-3" if self.airflow_version == "3" else "composer-3-airflow-2.10"

    @property
    def composer_major(self) -> int:
        match = _IMAGE.fullmatch(self.image)
        assert match is not None
        head = match.group(1)
        return 3 if head == "latest" else int(head.split(".")[0])

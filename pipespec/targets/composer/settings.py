"""Cloud Composer / Airflow settings a spec may carry (the *how* on Airflow)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ...spec.base import SpecModel

AirflowOperator = Literal["bash", "python", "kubernetes_pod", "bigquery", "dataproc", "http", "trigger_dagrun"]


class ComposerPipelineSettings(SpecModel):
    gcp_project: str | None = Field(default=None, description="Project for BigQuery / Dataproc operators.")
    region: str | None = None
    gcp_conn_id: str = "google_cloud_default"
    dataproc_cluster: str | None = None
    image: str | None = Field(default=None, description="Container image for kubernetes_pod tasks.")
    http_conn_id: str | None = None


class ComposerTaskSettings(SpecModel):
    operator: AirflowOperator | None = Field(default=None, description="Override the operator chosen for the kind.")
    image: str | None = None
    pool: str | None = None
    queue: str | None = None

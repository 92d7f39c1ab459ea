"""Per-stack dbt Cloud settings (Pulumi stack config `pipespec:dbtcloud`).

The project and the deployment environment are taken from here when they exist (ids), or
created by the component. Account and API token are the provider's own config
(`dbtcloud:accountId`, `dbtcloud:token` as a secret, `dbtcloud:hostUrl`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SlackChannelRef(_Strict):
    """A Slack channel as dbt Cloud's Slack integration addresses it."""

    id: str = Field(
        pattern=r"^[A-Z0-9]{6,20}$", description="Slack channel id (bottom of its settings), e.g. C0123ABC."
    )
    name: str = Field(min_length=1, description="Slack channel name, e.g. #data-oncall.")


class DbtCloudStack(_Strict):
    project_id: int | None = Field(default=None, ge=1, description="Existing dbt Cloud project (default: created).")
    environment_id: int | None = Field(
        default=None, ge=1, description="Existing deployment environment (default: created in the project)."
    )
    project_name: str = Field(default="pipespec", min_length=1, description="Name of a created project.")
    dbt_project_subdirectory: str | None = Field(default=None, description="Subdirectory of a created project.")
    environment_name: str | None = Field(default=None, description="Name of a created environment (default: stack).")
    deployment_type: Literal["production", "staging"] | None = Field(
        default=None, description="Deployment type of a created environment."
    )
    connection_id: int | None = Field(default=None, ge=1, description="Global connection of a created environment.")
    credential_id: int | None = Field(default=None, ge=1, description="Credential of a created environment.")
    dbt_version: str = Field(default="latest", description="dbt version of a created environment.")
    deferring_environment_id: int | None = Field(
        default=None, ge=1, description="Environment the jobs defer to (e.g. prod, for a dev stack)."
    )
    target_name: str | None = Field(default=None, min_length=1, description="Target name of every job in this stack.")
    threads: int | None = Field(default=None, ge=1, le=64, description="Threads of every job in this stack.")
    notification_user_id: int | None = Field(
        default=None,
        ge=1,
        description="dbt Cloud user that owns the notifications (for Slack: the user who set up the integration).",
    )
    slack_channels: dict[str, SlackChannelRef] = Field(
        default_factory=dict, description="Spec Slack channel id -> the Slack channel dbt Cloud posts to."
    )

    @model_validator(mode="after")
    def _environment_needs_project(self) -> DbtCloudStack:
        if self.environment_id is not None and self.project_id is None:
            raise ValueError("environment_id names an existing environment: set the project_id it belongs to")
        return self

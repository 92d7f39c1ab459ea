"""Per-stack Fabric settings (Pulumi stack config `pipespec:fabric`).

The workspace id and the service principal's credentials are Pulumi config secrets named
here (never values); connections differ per workspace, so their ids live here too.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from ...spec.base import SecretRef

UUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
Uuid = Annotated[str, StringConstraints(pattern=UUID)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FabricStack(_Strict):
    workspace_id_secret: SecretRef = Field(default="fabricWorkspaceId", description="Config secret: workspace id.")
    tenant_id_secret: SecretRef = Field(default="fabricTenantId", description="Config secret: Entra tenant id.")
    client_id_secret: SecretRef = Field(default="fabricClientId", description="Config secret: app (client) id.")
    client_secret_secret: SecretRef = Field(
        default="fabricClientSecret", description="Config secret: the service principal's client secret."
    )
    api_url: str = Field(default="https://api.fabric.microsoft.com/v1", pattern=r"^https?://")
    login_url: str = Field(default="https://login.microsoftonline.com", pattern=r"^https?://")
    connections: dict[str, Uuid] = Field(
        default_factory=dict, description="Connection name -> Fabric connection id (uuid) in this workspace."
    )
    email_connection: str = Field(default="office365", description="Connection of Office 365 email activities.")
    parameters: dict[str, str] = Field(
        default_factory=dict, description="Values of {placeholders} in HTTP task URLs, e.g. workspace_id."
    )
    schedule_end: dt.date = Field(default=dt.date(2099, 12, 31), description="Schedules end on this day (UTC).")
    poll_timeout_s: int = Field(default=900, ge=10, description="Longest wait for a long-running operation.")

    def connection_id(self, name: str) -> str | None:
        return self.connections.get(name)

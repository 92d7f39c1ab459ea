"""Microsoft Fabric settings a spec may carry (owned by the Fabric target).

Items (notebooks, Spark job definitions, pipelines) are named by display name; the deploy
resolves them to ids in the stack's workspace. Connections are named here and mapped to
their ids per stack (`FabricStack.connections`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ...spec.base import SpecModel

FabricActivity = Literal[
    "notebook", "spark_job_definition", "script", "stored_procedure", "web", "semantic_model_refresh", "copy"
]


class FabricPipelineSettings(SpecModel):
    sql_connection: str = Field(default="warehouse", description="Connection of Script / stored procedure activities.")
    web_connection: str = Field(default="web", description="Connection of Web activities (HTTP tasks).")
    powerbi_connection: str = Field(default="powerbi", description="Connection of semantic model refreshes.")
    dbt_notebook: str = Field(
        default="pipespec_dbt_runner",
        min_length=1,
        description="Notebook that runs dbt tasks (parameter `dbt_command`); see docs/targets/fabric.md.",
    )
    folder: str | None = Field(default=None, description="Workspace folder id of the pipeline item.")


class FabricTaskSettings(SpecModel):
    activity: FabricActivity | None = Field(default=None, description="Override the activity chosen for the kind.")
    item: str | None = Field(
        default=None,
        min_length=1,
        description="Display name of the notebook / Spark job definition the activity runs (default: file stem).",
    )
    connection: str | None = Field(default=None, min_length=1, description="Connection name (see the stack's).")
    stored_procedure: str | None = Field(default=None, description="Stored procedure a sql task calls.")
    database: str | None = Field(default=None, description="Database of Script / stored procedure activities.")
    type_properties: dict[str, Any] = Field(
        default_factory=dict, description="Extra activity typeProperties (e.g. Copy source and sink)."
    )
    secure_io: bool = Field(default=False, description="Keep the activity's input and output out of monitoring logs.")

"""Per-target settings blocks, gathered so the spec (and its JSON Schema) knows every one.

Each target owns its settings models in its own folder; this module only assembles them.
"""

from __future__ import annotations

from ..spec.base import SpecModel
from .composer.settings import ComposerPipelineSettings, ComposerTaskSettings
from .databricks.settings import DatabricksPipelineSettings, DatabricksTaskSettings
from .dbtcloud.settings import DbtCloudPipelineSettings, DbtCloudTaskSettings
from .fabric.settings import FabricPipelineSettings, FabricTaskSettings
from .glue.settings import GluePipelineSettings, GlueTaskSettings
from .mwaa.settings import MwaaPipelineSettings, MwaaTaskSettings
from .stepfunctions.settings import StepFunctionsPipelineSettings, StepFunctionsTaskSettings


class PipelineTargets(SpecModel):
    """Targets the pipeline deploys to. A listed target (even `{}`) is validated against every task.

    Without this block a pipeline targets the general-purpose orchestrators (databricks,
    stepfunctions, composer); the specialised ones (glue, mwaa, dbtcloud, fabric) are opt-in.
    """

    databricks: DatabricksPipelineSettings | None = None
    stepfunctions: StepFunctionsPipelineSettings | None = None
    composer: ComposerPipelineSettings | None = None
    glue: GluePipelineSettings | None = None
    dbtcloud: DbtCloudPipelineSettings | None = None
    fabric: FabricPipelineSettings | None = None
    mwaa: MwaaPipelineSettings | None = None


class TaskTargets(SpecModel):
    databricks: DatabricksTaskSettings | None = None
    stepfunctions: StepFunctionsTaskSettings | None = None
    composer: ComposerTaskSettings | None = None
    glue: GlueTaskSettings | None = None
    dbtcloud: DbtCloudTaskSettings | None = None
    fabric: FabricTaskSettings | None = None
    mwaa: MwaaTaskSettings | None = None

"""Per-target settings blocks, gathered so the spec (and its JSON Schema) knows every one.

Each target owns its settings models in its own folder; this module only assembles them.
"""

from __future__ import annotations

from ..spec.base import SpecModel
from .composer.settings import ComposerPipelineSettings, ComposerTaskSettings
from .databricks.settings import DatabricksPipelineSettings, DatabricksTaskSettings
from .stepfunctions.settings import StepFunctionsPipelineSettings, StepFunctionsTaskSettings


class PipelineTargets(SpecModel):
    """Targets the pipeline deploys to. A listed target (even `{}`) is validated against every task."""

    databricks: DatabricksPipelineSettings | None = None
    stepfunctions: StepFunctionsPipelineSettings | None = None
    composer: ComposerPipelineSettings | None = None


class TaskTargets(SpecModel):
    databricks: DatabricksTaskSettings | None = None
    stepfunctions: StepFunctionsTaskSettings | None = None
    composer: ComposerTaskSettings | None = None

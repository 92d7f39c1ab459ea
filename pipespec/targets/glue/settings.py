"""AWS Glue Workflows settings a spec may carry (owned by the Glue target)."""

from __future__ import annotations

from ...spec.base import SpecModel


class GluePipelineSettings(SpecModel):
    pass


class GlueTaskSettings(SpecModel):
    pass

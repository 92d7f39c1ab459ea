"""Microsoft Fabric settings a spec may carry (owned by the Fabric target)."""

from __future__ import annotations

from ...spec.base import SpecModel


class FabricPipelineSettings(SpecModel):
    pass


class FabricTaskSettings(SpecModel):
    pass

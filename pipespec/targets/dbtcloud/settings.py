"""dbt Cloud settings a spec may carry (owned by the dbt Cloud target)."""

from __future__ import annotations

from ...spec.base import SpecModel


class DbtCloudPipelineSettings(SpecModel):
    pass


class DbtCloudTaskSettings(SpecModel):
    pass

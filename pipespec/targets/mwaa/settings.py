"""Airflow on Amazon MWAA settings a spec may carry (owned by the MWAA target)."""

from __future__ import annotations

from ...spec.base import SpecModel


class MwaaPipelineSettings(SpecModel):
    pass


class MwaaTaskSettings(SpecModel):
    pass

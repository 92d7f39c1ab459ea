"""dbt Cloud settings a spec may carry (owned by the dbt Cloud target).

What differs per environment (project and environment ids, Slack channel ids, the user that
owns notifications) is stack config (`DbtCloudStack`), never the spec.
"""

from __future__ import annotations

from pydantic import Field

from ...spec.base import SpecModel


class DbtCloudPipelineSettings(SpecModel):
    target_name: str | None = Field(
        default=None,
        min_length=1,
        description="dbt target name (`target.name`) of jobs whose tasks set no `target` (default 'default').",
    )
    threads: int | None = Field(default=None, ge=1, le=64, description="dbt threads per job (default 4).")
    dbt_version: str | None = Field(
        default=None, description="dbt version of the jobs, e.g. 'latest' (default: the environment's)."
    )
    generate_docs: bool = Field(default=False, description="Generate docs at the end of every job run.")


class DbtCloudTaskSettings(SpecModel):
    fail_fast: bool = Field(default=False, description="Stop the step at its first failure (`--fail-fast`).")

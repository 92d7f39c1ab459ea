"""AWS Glue Workflows settings a spec may carry (owned by the Glue target).

Job settings resolve field by field: the task's `targets.glue` (with `defaults.targets.glue`),
then the pipeline's `targets.glue`, then the stack's defaults (`GlueStack`), then Glue's.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator

from ...spec.base import SpecModel

# s3://bucket[/key]: bucket names are 3-63 lowercase letters, digits, dots and hyphens.
S3Url = Annotated[
    str,
    StringConstraints(pattern=r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^\s]*)?$", max_length=1024),
]
CatalogDatabase = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,255}$")]
GlueVersion = Annotated[str, StringConstraints(pattern=r"^[0-9]+\.[0-9]+$")]
# The Glue API's WorkerType enum, less the deprecated "Standard".
WorkerType = Literal["G.025X", "G.1X", "G.2X", "G.4X", "G.8X", "G.12X", "G.16X", "R.1X", "R.2X", "R.4X", "R.8X", "Z.2X"]
JobType = Literal["spark", "python_shell"]
PYTHON_SHELL_CAPACITIES = (0.0625, 1.0)


class GlueJobSettings(SpecModel):
    """How a created Glue job runs; unset fields inherit (task -> pipeline -> stack -> Glue)."""

    job_type: JobType | None = Field(
        default=None, description="'spark' (glueetl, the default) or 'python_shell' (pythonshell)."
    )
    glue_version: GlueVersion | None = Field(default=None, description="Glue version, e.g. '4.0' (default 4.0).")
    worker_type: WorkerType | None = Field(default=None, description="Spark worker type (default G.1X).")
    number_of_workers: int | None = Field(default=None, ge=2, le=1000, description="Spark workers (default 2).")
    python_shell_capacity: float | None = Field(
        default=None, description="DPUs of a python_shell job: 0.0625 or 1 (default 0.0625)."
    )

    @field_validator("python_shell_capacity")
    @classmethod
    def _capacity(cls, value: float | None) -> float | None:
        if value is not None and value not in PYTHON_SHELL_CAPACITIES:
            raise ValueError("a python_shell job runs on 0.0625 or 1 DPU")
        return value


class GlueCrawlerSettings(SpecModel):
    """Makes a glue task run a crawler the component creates, named by the task's `job_name`.

    Interim form until the core spec has a `glue_crawler` kind (see docs/targets/glue.md).
    """

    database: CatalogDatabase = Field(description="Glue Data Catalog database the crawler writes tables to.")
    s3_targets: list[S3Url] = Field(min_length=1, description="s3:// paths the crawler reads.")
    exclusions: list[str] = Field(default_factory=list, description="Glob patterns excluded from every target.")
    table_prefix: str | None = Field(default=None, max_length=128, description="Prefix of the created tables.")
    recrawl: Literal["everything", "new_folders_only"] = Field(
        default="everything", description="Crawl everything each run, or only folders added since the last run."
    )


class GluePipelineSettings(GlueJobSettings):
    """Pipeline-level Glue settings: job defaults for every created job, and the workflow's run properties."""

    run_properties: dict[str, str] = Field(
        default_factory=dict,
        description="Workflow run properties (DefaultRunProperties) every job of a run can read.",
    )


class GlueTaskSettings(GlueJobSettings):
    """Per-task Glue settings: the job's resources, the data it touches (scopes the IAM role), or a crawler."""

    reads: list[S3Url] = Field(
        default_factory=list, description="s3:// prefixes the job reads (the job role may read only these)."
    )
    writes: list[S3Url] = Field(
        default_factory=list, description="s3:// prefixes the job writes (read, write and delete there only)."
    )
    catalog_databases: list[CatalogDatabase] = Field(
        default_factory=list, description="Data Catalog databases whose tables the job reads and updates."
    )
    crawler: GlueCrawlerSettings | None = Field(
        default=None, description="Run a crawler instead of a job (interim; see docs/targets/glue.md)."
    )

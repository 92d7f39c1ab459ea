"""Task kinds: *what* a task runs, portable across targets.

*How* it runs on a given platform (cluster, warehouse, image, operator) lives in the task's
optional ``targets:`` block, validated by that target's own settings model.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from ..targets.settings import TaskTargets
from .base import Duration, PipelineName, SecretRef, SpecModel, TaskId
from .notify import NotifySpec
from .retries import RetrySpec

RetryCount = Annotated[int, Field(ge=0, le=100)]
TriggerRule = Literal["all_success", "all_done", "one_failed", "all_failed", "none_failed", "one_success"]


class TaskBase(SpecModel):
    description: str | None = None
    depends_on: list[TaskId] = Field(default_factory=list, description="Ids of tasks that must finish first.")
    trigger_rule: TriggerRule | None = Field(
        default=None,
        description="When the task runs given its upstreams' results (default all_success). "
        "Use one_failed / all_done for failure handlers and cleanup.",
    )
    quality_gate: bool = Field(
        default=False,
        description="A data-quality gate: everything downstream is blocked when it fails; "
        "not retried unless `retries` is set on the task itself.",
    )
    retries: RetrySpec | RetryCount | None = Field(default=None, description="A count, or a retry policy.")
    timeout: Duration | None = None
    sla: Duration | None = Field(default=None, description="Alert when the task runs longer than this.")
    expected_duration: Duration | None = Field(
        default=None, description="Typical run time; drives scheduling decisions (default 10m)."
    )
    notify: NotifySpec | None = None
    targets: TaskTargets | None = None

    _retries = field_validator("retries", mode="after")(classmethod(lambda cls, v: as_retry_spec(v)))


def as_retry_spec(value: RetrySpec | int | None) -> RetrySpec | None:
    # `retries: 3` is shorthand for `retries: {count: 3}`; the model only ever holds RetrySpec.
    return RetrySpec(count=value) if isinstance(value, int) else value


def _one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


class PythonTask(TaskBase):
    kind: Literal["python"]
    script: str = Field(min_length=1, description="Path of the Python script to run.")
    args: list[str] = Field(default_factory=list)


class PythonWheelTask(TaskBase):
    kind: Literal["python_wheel"]
    package: str = Field(min_length=1)
    entry_point: str = Field(min_length=1)
    wheel: str | None = Field(default=None, description="Location of the wheel to install.")
    args: list[str] = Field(default_factory=list)


class ShellTask(TaskBase):
    kind: Literal["shell"]
    command: str = Field(min_length=1)


class SqlTask(TaskBase):
    kind: Literal["sql"]
    query: str | None = Field(default=None, description="Inline SQL.")
    file: str | None = Field(default=None, description="Path of a .sql file (instead of `query`).")
    check: bool = Field(default=False, description="Fail the task unless the first column of the first row is true.")
    parameters: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_source(self) -> SqlTask:
        if (self.query is None) == (self.file is None):
            raise ValueError("a sql task needs exactly one of 'query' or 'file'")
        return self


DbtCommand = Literal["run", "test", "build", "source_freshness", "seed", "snapshot"]
DBT_FULL_REFRESH_COMMANDS = frozenset({"run", "build", "seed"})


class DbtTask(TaskBase):
    kind: Literal["dbt"]
    command: DbtCommand
    select: list[str] | str = Field(default_factory=list, description="dbt node selectors (--select).")
    exclude: list[str] | str = Field(default_factory=list)
    target: str | None = Field(default=None, description="dbt target (profile output), e.g. prod.")
    full_refresh: bool = False
    vars: dict[str, str | int | float | bool] = Field(default_factory=dict)
    project_dir: str | None = None

    _lists = field_validator("select", "exclude", mode="after")(classmethod(lambda cls, v: _one_or_many(v)))

    @model_validator(mode="after")
    def _full_refresh_applies(self) -> DbtTask:
        if self.full_refresh and self.command not in DBT_FULL_REFRESH_COMMANDS:
            raise ValueError(
                f"full_refresh applies to dbt {', '.join(sorted(DBT_FULL_REFRESH_COMMANDS))}, not {self.command}"
            )
        return self

    def argv(self, *, target: bool = True, project_dir: bool = True) -> list[str]:
        """The dbt command line this task means, the same on every target (`source_freshness` ->
        `dbt source freshness`). Targets that carry the target or project folder elsewhere leave them out."""
        out = ["dbt", *self.command.split("_")]
        if self.selectors:
            out += ["--select", *self.selectors]
        if self.excludes:
            out += ["--exclude", *self.excludes]
        if target and self.target:
            out += ["--target", self.target]
        if self.full_refresh:
            out.append("--full-refresh")
        if self.vars:
            out += ["--vars", json.dumps(self.vars, sort_keys=True, separators=(",", ":"))]
        if project_dir and self.project_dir:
            out += ["--project-dir", self.project_dir]
        return out

    @property
    def selectors(self) -> list[str]:
        return [self.select] if isinstance(self.select, str) else list(self.select)

    @property
    def excludes(self) -> list[str]:
        return [self.exclude] if isinstance(self.exclude, str) else list(self.exclude)


class NotebookTask(TaskBase):
    kind: Literal["notebook"]
    path: str = Field(min_length=1)
    parameters: dict[str, str] = Field(default_factory=dict)


class SparkTask(TaskBase):
    kind: Literal["spark"]
    main: str = Field(min_length=1, description="Python file or JAR to submit.")
    main_class: str | None = Field(default=None, description="Main class when `main` is a JAR.")
    args: list[str] = Field(default_factory=list)


class GlueTask(TaskBase):
    kind: Literal["glue"]
    job_name: str | None = Field(default=None, description="Existing Glue job; default: one is created.")
    script: str | None = Field(default=None, description="Script location (s3://...) for a created job.")
    arguments: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _job_or_script(self) -> GlueTask:
        if not self.job_name and not self.script:
            raise ValueError("a glue task needs 'job_name' (existing job) or 'script' (job to create)")
        return self


class HttpAuth(SpecModel):
    type: Literal["bearer"] = "bearer"
    token_secret: SecretRef


class HttpTask(TaskBase):
    kind: Literal["http"]
    url: str = Field(
        pattern=r"^https?://",
        description="Endpoint; {placeholders} are filled from the stack's parameters at run time.",
    )
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "POST"
    headers: dict[str, str] = Field(default_factory=dict)
    body: dict[str, Any] | None = None
    auth: HttpAuth | None = None
    expect_status: list[int] = Field(default_factory=lambda: [200, 201, 202])


class PipelineRunTask(TaskBase):
    kind: Literal["pipeline"]
    pipeline: PipelineName = Field(description="Name of another pipelines/ spec to run and wait for.")


Task = Annotated[
    PythonTask
    | PythonWheelTask
    | ShellTask
    | SqlTask
    | DbtTask
    | NotebookTask
    | SparkTask
    | GlueTask
    | HttpTask
    | PipelineRunTask,
    Field(discriminator="kind"),
]

TASK_KINDS: tuple[str, ...] = (
    "python",
    "python_wheel",
    "shell",
    "sql",
    "dbt",
    "notebook",
    "spark",
    "glue",
    "http",
    "pipeline",
)


class TaskDefaults(SpecModel):
    """Settings every task inherits unless it sets its own."""

    retries: RetrySpec | RetryCount | None = None
    timeout: Duration | None = None
    sla: Duration | None = None
    expected_duration: Duration | None = None
    targets: TaskTargets | None = None

    _retries = field_validator("retries", mode="after")(classmethod(lambda cls, v: as_retry_spec(v)))

"""The pipeline document: the root of a spec file."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator

from ..targets.settings import PipelineTargets
from .base import Duration, PipelineName, SpecModel, TaskId
from .notify import Channel, ChannelId, NotifySpec
from .tasks import Task, TaskDefaults

API_VERSION = "pipespec/v1"


class ScheduleSpec(SpecModel):
    cron: str = Field(description="Standard 5-field cron, e.g. '0 3 * * *' (03:00 daily).")
    timezone: str = Field(default="UTC", description="IANA time zone the cron is read in.")
    paused: bool = Field(default=False, description="Deploy the schedule paused.")

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        from ..cron import CronError, parse_cron

        try:
            parse_cron(value)
        except CronError as exc:
            raise ValueError(f"{exc.message}; {exc.hint}" if exc.hint else exc.message) from None
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name such as 'UTC' or 'Europe/Berlin'"
            ) from None
        return value


class FileArrivalTrigger(SpecModel):
    type: Literal["file_arrival"]
    path: str = Field(min_length=1, description="Storage path watched for new files (s3://, gs://, /Volumes/…).")
    min_interval: Duration | None = Field(default=None, description="Minimum time between triggered runs.")
    wait_after_last_change: Duration | None = None


class PipelineCompletionTrigger(SpecModel):
    type: Literal["pipeline"]
    pipeline: PipelineName = Field(description="Upstream pipeline whose completion starts this one.")
    status: Literal["success", "failure", "any"] = "success"


class TableUpdateTrigger(SpecModel):
    type: Literal["table_update"]
    tables: list[str] = Field(min_length=1)
    condition: Literal["any_updated", "all_updated"] = "any_updated"


class ManualTrigger(SpecModel):
    type: Literal["manual"]


Trigger = Annotated[
    FileArrivalTrigger | PipelineCompletionTrigger | TableUpdateTrigger | ManualTrigger,
    Field(discriminator="type"),
]


class PipelineSpec(SpecModel):
    """A pipeline: a DAG of tasks with its schedule, triggers, limits and alerting."""

    api_version: Literal["pipespec/v1"] = Field(alias="apiVersion", description="Spec format version.")
    kind: Literal["Pipeline"] = "Pipeline"
    name: PipelineName
    description: str = ""
    owner: str = Field(min_length=1, description="Team or person accountable for the pipeline.")
    tags: list[str] = Field(default_factory=list)
    schedule: ScheduleSpec | None = None
    triggers: list[Trigger] = Field(default_factory=list)
    max_active_runs: int = Field(default=1, ge=1, le=1000, description="Concurrent runs allowed (default 1).")
    max_active_tasks: int | None = Field(default=None, ge=1, le=10000)
    catchup: bool = Field(default=False, description="Backfill missed scheduled runs (default false).")
    start_date: dt.date | None = Field(default=None, description="First schedulable day (default 2024-01-01).")
    sla: Duration | None = Field(default=None, description="Alert when a run is not done this long after start.")
    timeout: Duration | None = Field(default=None, description="Stop a run that takes longer than this.")
    defaults: TaskDefaults = Field(default_factory=TaskDefaults)
    channels: dict[ChannelId, Channel] = Field(default_factory=dict)
    notify: NotifySpec = Field(default_factory=NotifySpec)
    tasks: dict[TaskId, Task] = Field(min_length=1)
    targets: PipelineTargets | None = Field(
        default=None, description="Targets this pipeline deploys to, with per-target settings (default: all)."
    )

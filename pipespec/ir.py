"""The pipeline IR: what every target reads. Frozen, normalized, defaults resolved.

Retries, schedules and notification routing are modelled here exactly once; each target
maps them to its platform and reports (as a warning) what it can only approximate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .cron import CronExpr
from .spec.notify import NOTIFY_EVENTS, Channel
from .spec.pipeline import FileArrivalTrigger, ManualTrigger, PipelineCompletionTrigger, TableUpdateTrigger
from .spec.tasks import Task

DEFAULT_EXPECTED_DURATION_S = 600
DEFAULT_RETRY_DELAY_S = 60
DEFAULT_BACKOFF_RATE = 2.0


@dataclass(frozen=True)
class SourceRef:
    file: str
    line: int
    column: int


@dataclass(frozen=True)
class RetryPolicy:
    """`retries` attempts after the first; delay before retry n is delay·rate^(n-1), capped."""

    retries: int = 0
    delay_s: int = DEFAULT_RETRY_DELAY_S
    backoff_rate: float = 1.0  # 1.0 = fixed delay
    max_delay_s: int | None = None
    retry_on_timeout: bool = False

    @property
    def exponential(self) -> bool:
        return self.backoff_rate > 1.0

    def delays(self) -> tuple[int, ...]:
        """The wait before each retry, in seconds: the behaviour every target must reproduce."""
        out: list[int] = []
        for n in range(self.retries):
            wait = self.delay_s * self.backoff_rate**n
            if self.max_delay_s is not None:
                wait = min(wait, self.max_delay_s)
            out.append(int(round(wait)))
        return tuple(out)

    @property
    def worst_case_wait_s(self) -> int:
        return sum(self.delays())


@dataclass(frozen=True)
class Schedule:
    cron: CronExpr
    timezone: str
    paused: bool


@dataclass(frozen=True)
class Routing:
    """Channel ids per event; `events()` lists only the non-empty ones."""

    on_start: tuple[str, ...] = ()
    on_success: tuple[str, ...] = ()
    on_failure: tuple[str, ...] = ()
    on_retry: tuple[str, ...] = ()
    on_sla_miss: tuple[str, ...] = ()

    def get(self, event: str) -> tuple[str, ...]:
        return tuple(getattr(self, event))

    def events(self) -> dict[str, tuple[str, ...]]:
        return {e: self.get(e) for e in NOTIFY_EVENTS if self.get(e)}

    def channels(self) -> tuple[str, ...]:
        return tuple(sorted({c for e in NOTIFY_EVENTS for c in self.get(e)}))


Trigger = FileArrivalTrigger | PipelineCompletionTrigger | TableUpdateTrigger | ManualTrigger


@dataclass(frozen=True)
class TaskIR:
    id: str
    kind: str
    spec: Task  # the validated kind payload (script, query, dbt command, …)
    depends_on: tuple[str, ...]  # sorted
    trigger_rule: str
    quality_gate: bool
    retry: RetryPolicy
    timeout_s: int | None
    sla_s: int | None
    expected_duration_s: int
    notify: Routing
    targets: dict[str, Any]  # target name -> that target's task settings model (or absent)
    source: SourceRef
    description: str = ""

    def settings(self, target: str) -> Any:
        return self.targets.get(target)


@dataclass(frozen=True)
class PipelineIR:
    name: str
    description: str
    owner: str
    tags: tuple[str, ...]
    schedule: Schedule | None
    triggers: tuple[Trigger, ...]
    max_active_runs: int
    max_active_tasks: int | None
    catchup: bool
    start_date: str  # ISO date
    sla_s: int | None
    timeout_s: int | None
    channels: dict[str, Channel]
    notify: Routing
    tasks: tuple[TaskIR, ...]  # topological order, ties by id
    targets: dict[str, Any]  # target name -> pipeline-level settings model
    source: SourceRef
    channel_sources: dict[str, SourceRef] = field(default_factory=dict)  # where each channel is defined
    _index: dict[str, TaskIR] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._index.update({t.id: t for t in self.tasks})

    def task(self, task_id: str) -> TaskIR:
        return self._index[task_id]

    @property
    def deps(self) -> dict[str, tuple[str, ...]]:
        return {t.id: t.depends_on for t in self.tasks}

    def downstream(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {t.id: [] for t in self.tasks}
        for t in self.tasks:
            for d in t.depends_on:
                out[d].append(t.id)
        return out

    @property
    def durations(self) -> dict[str, float]:
        return {t.id: float(t.expected_duration_s) for t in self.tasks}

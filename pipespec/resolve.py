"""Spec -> IR: apply documented defaults, inherit task settings, order tasks.

Runs only on a spec that validated without errors, so it can assume a sound DAG.
"""

from __future__ import annotations

import typing
from typing import Any

from .cron import parse_cron
from .dag import topological_order
from .ir import (
    DEFAULT_BACKOFF_RATE,
    DEFAULT_EXPECTED_DURATION_S,
    DEFAULT_RETRY_DELAY_S,
    PipelineIR,
    RetryPolicy,
    Routing,
    Schedule,
    SourceRef,
    TaskIR,
)
from .loader import Document
from .spec.notify import NOTIFY_EVENTS, NotifySpec
from .spec.pipeline import PipelineSpec
from .spec.retries import RetrySpec
from .spec.tasks import TaskDefaults, as_retry_spec
from .targets.registry import DEFAULT_TARGETS
from .targets.settings import PipelineTargets

DEFAULT_START_DATE = "2024-01-01"


def resolve_retry(own: RetrySpec | int | None, defaults: RetrySpec | int | None, *, quality_gate: bool) -> RetryPolicy:
    # A failed quality gate means bad data, which a retry will not fix: gates only retry
    # when the task itself asks for it.
    layers = [as_retry_spec(own)] if quality_gate else [as_retry_spec(own), as_retry_spec(defaults)]

    def pick(field: str) -> Any:
        for layer in layers:
            if layer is not None and getattr(layer, field) is not None:
                return getattr(layer, field)
        return None

    backoff = pick("backoff") or "fixed"
    rate = pick("backoff_rate") or DEFAULT_BACKOFF_RATE
    return RetryPolicy(
        retries=pick("count") or 0,
        delay_s=pick("delay") or DEFAULT_RETRY_DELAY_S,
        backoff_rate=float(rate) if backoff == "exponential" else 1.0,
        max_delay_s=pick("max_delay"),
        retry_on_timeout=bool(pick("retry_on_timeout")),
    )


def resolve_routing(own: NotifySpec | None, base: Routing) -> Routing:
    """A task's notify replaces the pipeline's routing event by event."""
    if own is None:
        return base
    values = {e: tuple(getattr(own, e)) if getattr(own, e) is not None else base.get(e) for e in NOTIFY_EVENTS}
    return Routing(**values)


def _targets(own: Any, defaults: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for layer in (defaults, own):  # task settings replace the defaults' for the same target
        if layer is None:
            continue
        for name in type(layer).model_fields:
            value = getattr(layer, name)
            if value is not None:
                base = out.get(name)
                out[name] = base.model_copy(update=value.model_dump(exclude_unset=True)) if base else value
    return out


def _default_targets() -> PipelineTargets:
    fields = {}
    for name, info in PipelineTargets.model_fields.items():
        if name not in DEFAULT_TARGETS:
            continue
        settings_model = next(a for a in typing.get_args(info.annotation) if a is not type(None))
        fields[name] = settings_model()
    return PipelineTargets(**fields)


def resolve(spec: PipelineSpec, doc: Document) -> PipelineIR:
    defaults: TaskDefaults = spec.defaults
    pipeline_notify = Routing(**{e: tuple(getattr(spec.notify, e) or ()) for e in NOTIFY_EVENTS})
    order = topological_order({tid: list(dict.fromkeys(t.depends_on)) for tid, t in spec.tasks.items()})
    tasks: list[TaskIR] = []
    for tid in order:
        t = spec.tasks[tid]
        mark = doc.locate(("tasks", tid), key=True)
        tasks.append(
            TaskIR(
                id=tid,
                kind=t.kind,
                spec=t,
                depends_on=tuple(sorted(set(t.depends_on))),
                trigger_rule=t.trigger_rule or "all_success",
                quality_gate=t.quality_gate,
                retry=resolve_retry(t.retries, defaults.retries, quality_gate=t.quality_gate),
                timeout_s=t.timeout or defaults.timeout,
                sla_s=t.sla or defaults.sla,
                expected_duration_s=t.expected_duration or defaults.expected_duration or DEFAULT_EXPECTED_DURATION_S,
                notify=resolve_routing(t.notify, pipeline_notify),
                targets=_targets(t.targets, defaults.targets),
                source=SourceRef(doc.file, mark.line, mark.column),
                description=t.description or "",
            )
        )
    schedule = None
    if spec.schedule is not None:
        schedule = Schedule(parse_cron(spec.schedule.cron), spec.schedule.timezone, spec.schedule.paused)
    # No `targets:` block means the general-purpose targets, each with its default settings.
    chosen = spec.targets if spec.targets is not None else _default_targets()
    target_settings = {
        name: getattr(chosen, name) for name in type(chosen).model_fields if getattr(chosen, name) is not None
    }
    return PipelineIR(
        name=spec.name,
        description=spec.description,
        owner=spec.owner,
        tags=tuple(spec.tags),
        schedule=schedule,
        triggers=tuple(spec.triggers),
        max_active_runs=spec.max_active_runs,
        max_active_tasks=spec.max_active_tasks,
        catchup=spec.catchup,
        start_date=(spec.start_date.isoformat() if spec.start_date else DEFAULT_START_DATE),
        sla_s=spec.sla,
        timeout_s=spec.timeout,
        channels=dict(sorted(spec.channels.items())),
        notify=pipeline_notify,
        tasks=tuple(tasks),
        targets=target_settings,
        source=SourceRef(doc.file, 1, 1),
        channel_sources={cid: _source(doc, ("channels", cid)) for cid in sorted(spec.channels)},
    )


def _source(doc: Document, path: tuple[str, ...]) -> SourceRef:
    mark = doc.locate(path, key=True)
    return SourceRef(doc.file, mark.line, mark.column)

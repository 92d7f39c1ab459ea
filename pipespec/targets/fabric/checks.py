"""Fabric limits and approximations, reported before anything is deployed.

Codes PS430-PS439 are this target's. Errors stop `render`; warnings name the task and say
exactly what Fabric does instead of what the spec says.
"""

from __future__ import annotations

from collections.abc import Callable

from ...diagnostics import Diagnostic, FieldPath, Severity
from ...durations import format_duration
from ...environment import Deployment
from ...ir import PipelineIR, TaskIR
from ...spec.pipeline import ManualTrigger
from .compile import compile_fabric, notes, retry_interval_s

TaskDiag = Callable[[TaskIR, FieldPath, str, str, str, Severity], Diagnostic]
PipeDiag = Callable[[PipelineIR, FieldPath, str, str, str, Severity], Diagnostic]
W, E, INFO = Severity.WARNING, Severity.ERROR, Severity.INFO


def _secs(values: tuple[int, ...]) -> str:
    return ", ".join(format_duration(v) for v in values)


def check_limits(ir: PipelineIR, tdiag: TaskDiag, pdiag: PipeDiag) -> list[Diagnostic]:
    out = list(compile_fabric(ir, Deployment()).diagnostics)
    for i, trig in enumerate(ir.triggers):
        if isinstance(trig, ManualTrigger):
            continue
        msg = f"pipespec deploys Fabric pipelines with schedules; a {trig.type} trigger is not deployed"
        hint = (
            "run this pipeline from the upstream one with a `kind: pipeline` task (an ExecutePipeline activity)"
            if trig.type == "pipeline"
            else "create a Fabric Activator (Reflex) event trigger for the pipeline, or schedule it"
        )
        out.append(pdiag(ir, ("triggers", i), "PS430", msg, hint, E))
    for task in ir.tasks:
        out += _task(task, tdiag)
    for task, path, message in notes(ir):
        out.append(tdiag(task, path, "PS437", message, "", W))
    if ir.catchup:
        msg = "Fabric does not backfill missed schedule runs: `catchup: true` is ignored"
        out.append(pdiag(ir, ("catchup",), "PS436", msg, "run missed intervals by hand, or set catchup: false", W))
    if ir.timeout_s:
        msg = f"Fabric has no pipeline timeout: the run is not stopped after {format_duration(ir.timeout_s)}"
        out.append(pdiag(ir, ("timeout",), "PS436", msg, "each activity's own timeout still applies", W))
    slas = [t.id for t in ir.tasks if t.sla_s]
    if ir.sla_s or slas or any(t.notify.on_sla_miss for t in ir.tasks):
        msg = "Fabric has no SLA alerts: SLAs and on_sla_miss notifications are not deployed"
        out.append(pdiag(ir, ("sla",), "PS436", msg, "watch run durations in the Fabric Monitoring hub", W))
    retried = [t.id for t in ir.tasks if t.notify.on_retry and t.retry.retries]
    if retried:
        msg = f"Fabric has no retry notification: on_retry of {', '.join(retried)} is not sent"
        out.append(pdiag(ir, ("notify", "on_retry"), "PS436", msg, "", W))
    no_timeout_retry = [t for t in ir.tasks if t.retry.retries and not t.retry.retry_on_timeout and t.timeout_s]
    if no_timeout_retry:
        names = ", ".join(t.id for t in no_timeout_retry)
        msg = f"Fabric also retries an activity that timed out (retry_on_timeout is false): {names}"
        out.append(tdiag(no_timeout_retry[0], ("retries", "retry_on_timeout"), "PS434", msg, "", INFO))
    if ir.max_active_tasks is not None:
        msg = "Fabric has no limit on concurrently running activities: `max_active_tasks` is ignored"
        out.append(pdiag(ir, ("max_active_tasks",), "PS436", msg, "limit parallelism with depends_on", W))
    return out


def _task(task: TaskIR, tdiag: TaskDiag) -> list[Diagnostic]:
    out = []
    delays = task.retry.delays()
    interval = retry_interval_s(task.retry)
    if delays and set(delays) != {interval}:
        msg = (
            f"task {task.id!r} waits {_secs(delays)} before its {len(delays)} retries, but Fabric waits one fixed "
            f"interval of 30s to 1d: it will wait {format_duration(interval)} (retryIntervalInSeconds={interval}) "
            f"before each retry, {format_duration(interval * len(delays))} in total"
        )
        hint = "use `backoff: fixed` with a delay of 30s to 1d to make the spec say what Fabric does"
        out.append(tdiag(task, ("retries",), "PS434", msg, hint, W))
    if len(task.depends_on) > 1 and task.trigger_rule in ("one_failed", "one_success"):
        meant = "one upstream failed" if task.trigger_rule == "one_failed" else "one upstream succeeded"
        does = "all of them failed" if task.trigger_rule == "one_failed" else "all of them succeeded"
        msg = f"task {task.id!r} should run when {meant}; Fabric ANDs dependency conditions and runs it when {does}"
        out.append(tdiag(task, ("trigger_rule",), "PS435", msg, "make it depend on one task", W))
    return out

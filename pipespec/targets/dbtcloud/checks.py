"""dbt Cloud limits and approximations, reported before anything is deployed.

Codes PS420-PS429 are this target's. Errors stop `render`; warnings name the task and say
exactly what dbt Cloud does instead of what the spec says.
"""

from __future__ import annotations

from collections.abc import Callable

from ...diagnostics import Diagnostic, FieldPath, Severity
from ...durations import format_duration
from ...ir import PipelineIR, TaskIR
from ...spec.notify import EmailChannel, SlackChannel
from ...spec.pipeline import ManualTrigger
from ...spec.tasks import DbtTask
from .compile import plan
from .schedule import format_offset, to_utc

TaskDiag = Callable[[TaskIR, FieldPath, str, str, str, Severity], Diagnostic]
PipeDiag = Callable[[PipelineIR, FieldPath, str, str, str, Severity], Diagnostic]
W, E, INFO = Severity.WARNING, Severity.ERROR, Severity.INFO
_SHOWN = 8  # pairs / tasks listed in one message


def _listed(items: list[str]) -> str:
    more = f" and {len(items) - _SHOWN} more" if len(items) > _SHOWN else ""
    return ", ".join(items[:_SHOWN]) + more


def check_limits(ir: PipelineIR, tdiag: TaskDiag, pdiag: PipeDiag) -> list[Diagnostic]:
    out = _schedule(ir, pdiag) + _triggers(ir, pdiag) + _pipeline(ir, pdiag) + _notify(ir, tdiag, pdiag)
    dirs = sorted({t.spec.project_dir or "" for t in ir.tasks if isinstance(t.spec, DbtTask)})
    if len(dirs) > 1:
        first = next(t for t in ir.tasks if isinstance(t.spec, DbtTask) and (t.spec.project_dir or "") == dirs[-1])
        msg = f"the tasks name {len(dirs)} dbt project folders ({', '.join(repr(d) for d in dirs)})"
        hint = "a dbt Cloud pipeline runs one project: split the pipeline per project"
        out.append(tdiag(first, ("project_dir",), "PS429", msg, hint, E))
    retried = [t.id for t in ir.tasks if t.retry.retries > 0]
    if retried:
        msg = (
            f"dbt Cloud does not retry failed jobs: the retries of {_listed(retried)} are lost; "
            "a failed step fails its job"
        )
        hint = "rerun from the failed step in dbt Cloud (Rerun from failure), or drop `retries` for this pipeline"
        out.append(pdiag(ir, ("defaults", "retries"), "PS423", msg, hint, W))
    out += _split(ir, tdiag, pdiag)
    return out


def _schedule(ir: PipelineIR, pdiag: PipeDiag) -> list[Diagnostic]:
    if ir.schedule is None:
        return []
    sched = to_utc(ir.schedule.cron, ir.schedule.timezone, int(ir.start_date[:4]))
    tz = ir.schedule.timezone
    if sched.problem:
        msg = (
            f"dbt Cloud schedules in UTC and '{ir.schedule.cron.source}' in {tz} "
            f"({format_offset(sched.offset_min)}) is not one UTC cron: {sched.problem}"
        )
        hint = "write the schedule in UTC (timezone: UTC), or choose times that shift by whole days"
        return [pdiag(ir, ("schedule", "cron"), "PS422", msg, hint, E)]
    if sched.fixed:
        return []
    others = ", ".join(format_offset(o) for o in sched.other_offsets)
    msg = (
        f"dbt Cloud schedules in UTC and {tz} observes daylight saving: the job runs at '{sched.cron}' UTC "
        f"(the local times at {format_offset(sched.offset_min)}, in effect most of the year) and "
        f"an hour off while {tz} is at {others}"
    )
    hint = "write the schedule in UTC to say what dbt Cloud does, or accept the shift"
    return [pdiag(ir, ("schedule", "timezone"), "PS421", msg, hint, W)]


def _triggers(ir: PipelineIR, pdiag: PipeDiag) -> list[Diagnostic]:
    out = []
    for i, trig in enumerate(ir.triggers):
        if isinstance(trig, ManualTrigger):
            continue
        msg = f"dbt Cloud jobs run on a schedule or another dbt Cloud job's completion, not on a {trig.type} trigger"
        hint = (
            "orchestrate the event elsewhere and start the dbt Cloud job through its API (an http task on "
            "another target: POST /api/v2/accounts/<account>/jobs/<job>/run/), or schedule the pipeline"
        )
        out.append(pdiag(ir, ("triggers", i), "PS424", msg, hint, E))
    return out


def _pipeline(ir: PipelineIR, pdiag: PipeDiag) -> list[Diagnostic]:
    out = []
    if ir.catchup:
        msg = "dbt Cloud does not backfill missed schedule runs: `catchup: true` is ignored"
        out.append(pdiag(ir, ("catchup",), "PS428", msg, "run missed intervals by hand, or set catchup: false", W))
    if ir.max_active_runs > 1:
        msg = f"dbt Cloud queues a job's runs one at a time: max_active_runs {ir.max_active_runs} becomes 1"
        out.append(pdiag(ir, ("max_active_runs",), "PS428", msg, "set max_active_runs: 1", W))
    if ir.max_active_tasks is not None:
        msg = "dbt Cloud runs one step at a time per job: `max_active_tasks` is ignored (see targets.dbtcloud.threads)"
        out.append(pdiag(ir, ("max_active_tasks",), "PS428", msg, "", W))
    slas = [t.id for t in ir.tasks if t.sla_s]
    if ir.sla_s or slas:
        what = f"the pipeline SLA ({format_duration(ir.sla_s)})" if ir.sla_s else f"the SLAs of {_listed(slas)}"
        msg = f"dbt Cloud has no SLA alerts: {what} is not watched"
        hint = "watch job run durations with dbt Cloud webhooks or another target's SLA alerts"
        out.append(pdiag(ir, ("sla",), "PS428", msg, hint, W))
    return out


def _notify(ir: PipelineIR, tdiag: TaskDiag, pdiag: PipeDiag) -> list[Diagnostic]:
    out = []
    for cid, channel in sorted(ir.channels.items()):
        if not isinstance(channel, EmailChannel | SlackChannel) and any(cid in t.notify.channels() for t in ir.tasks):
            msg = (
                f"dbt Cloud notifies email addresses and Slack channels only: channel {cid!r} ({channel.type}) "
                "hears nothing"
            )
            hint = "add an email or Slack channel for this target, or route the dbt Cloud job's webhooks yourself"
            out.append(pdiag(ir, ("channels", cid), "PS427", msg, hint, W))
    events = {e: [t.id for t in ir.tasks if t.notify.get(e)] for e in ("on_start", "on_retry", "on_sla_miss")}
    for event, tids in events.items():
        if tids:
            msg = f"dbt Cloud has no {event.removeprefix('on_')} notification: {event} of {_listed(tids)} is not sent"
            out.append(
                pdiag(ir, ("notify", event), "PS427", msg, "dbt Cloud notifies on success, failure and cancel", W)
            )
    return out


def _split(ir: PipelineIR, tdiag: TaskDiag, pdiag: PipeDiag) -> list[Diagnostic]:
    split = plan(ir)
    out = []
    for tid in split.unplaceable:
        task = ir.task(tid)
        msg = (
            f"task {tid!r} runs on its upstreams' failure, but they run in parallel branches that each start "
            "on a failure: dbt Cloud starts a job on the completion of one other job"
        )
        hint = "make the failure handler depend on one task, or on tasks that run one after another"
        out.append(tdiag(task, ("depends_on",), "PS426", msg, hint, E))
    if split.added:
        pairs = [f"{b} after {a}" for a, b in split.added]
        msg = (
            f"dbt Cloud cannot wait for parallel branches to join: {len(split.added)} task pair(s) now run one after "
            f"the other although they do not depend on each other ({_listed(pairs)}); a failure in the first now also "
            "stops the second"
        )
        hint = "give the joined tasks the same command and flags (they then share one step), or split the pipeline"
        out.append(pdiag(ir, ("tasks",), "PS425", msg, hint, W))
    for note in split.notes:
        task = ir.task(note.task)
        parts = []
        if note.extra:
            parts.append(f"it also runs when {_listed(list(note.extra))} fails (same dbt Cloud job)")
        if note.missed:
            parts.append(
                f"it does not run when {_listed(list(note.missed))} fails (an earlier job, which stops the chain)"
            )
        msg = f"task {note.task!r} ({task.trigger_rule}) starts on its upstream job's status: " + "; ".join(parts)
        out.append(tdiag(task, ("trigger_rule",), "PS426", msg, "", W))
    for task in ir.tasks:
        if len(task.depends_on) > 1 and task.trigger_rule in ("one_success", "all_failed"):
            meant = "one of its upstreams succeeded" if task.trigger_rule == "one_success" else "all of them failed"
            does = "all of them succeeded" if task.trigger_rule == "one_success" else "one of them failed"
            msg = f"task {task.id!r} should run when {meant}; dbt Cloud runs it when {does}"
            out.append(tdiag(task, ("trigger_rule",), "PS426", msg, "", W))
    for job in split.jobs:
        timed = [t for t in job.tasks if ir.task(t).timeout_s]
        if len(job.tasks) > 1 and timed:
            msg = (
                f"dbt Cloud times out whole jobs: the timeouts of {_listed(timed)} become one timeout of job "
                f"{job.key!r} (the sum of its steps' timeouts)"
            )
            out.append(tdiag(ir.task(job.key), ("timeout",), "PS428", msg, "", INFO))
    return out

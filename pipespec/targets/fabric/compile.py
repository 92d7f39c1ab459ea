"""PipelineIR + Deployment -> a Fabric data pipeline item (pipeline-content.json + schedules).

One activity per task, named by the task id, with exactly the task's dependencies
(`dependsOn`, conditions from its trigger rule), retries, retry interval and timeout
(`policy`); then the notification activities (notify.py). Pure and deterministic: activities
sorted by name, keys sorted.

Placeholders (CloudFormation DefinitionSubstitutions style) the deploy fills in:
`${workspaceId}`, `${item:<Type>/<display name>}` (looked up in the workspace),
`${connection:<name>}` and `${param:<name>}` (stack config, in `substitutions` when set).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

from ...diagnostics import Diagnostic, Severity
from ...environment import Deployment
from ...ir import PipelineIR, RetryPolicy, TaskIR
from .activities import NAME, ActivityError, Refs, connection_ref, param_ref, payload, task_settings
from .notify import alert, bounded_name, fail_activity, notification
from .schedule import FabricScheduleError, to_fabric
from .settings import FabricPipelineSettings
from .stack import FabricStack

MAX_ACTIVITIES = 120
MIN_RETRY_INTERVAL_S, MAX_RETRY_INTERVAL_S = 30, 86400
PLACEHOLDER = re.compile(r"\$\{(workspaceId|(?:item|connection|param):[^}]+)\}")
# Trigger rule -> dependency conditions on each upstream (Fabric ANDs the dependencies).
CONDITIONS: dict[str, list[str]] = {
    "all_success": ["Succeeded"],
    "none_failed": ["Skipped", "Succeeded"],
    "all_done": ["Completed", "Skipped"],
    "all_failed": ["Failed"],
    "one_failed": ["Failed"],  # exact for one upstream; with several, Fabric waits for all (checks warn)
    "one_success": ["Succeeded"],  # likewise
}


@dataclass(frozen=True)
class CompiledFabric:
    """Everything the component deploys for one pipeline; nothing in it is re-derived downstream."""

    pipeline: str
    display_name: str
    description: str
    content: dict[str, Any]  # pipeline-content.json, with placeholders
    schedules: tuple[dict[str, Any], ...]  # job scheduler create requests (enabled + configuration)
    substitutions: dict[str, str]  # placeholder -> value known from stack config
    placeholders: tuple[str, ...]  # every placeholder in the content, sorted
    missing_stack: tuple[str, ...]
    diagnostics: tuple[Diagnostic, ...]  # errors found while compiling (render refuses)
    folder: str | None
    protect: bool

    def content_text(self) -> str:
        return json.dumps(self.content, indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    def schedules_text(self) -> str:
        return json.dumps(list(self.schedules), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def retry_interval_s(policy: RetryPolicy) -> int:
    """Fabric waits a fixed interval (30 s to 1 day): the mean delay, so the total wait matches the spec's."""
    delays = policy.delays()
    mean = round(sum(delays) / len(delays)) if delays else policy.delay_s
    return min(max(mean, MIN_RETRY_INTERVAL_S), MAX_RETRY_INTERVAL_S)


def timespan(seconds: int) -> str:
    """Fabric's `d.hh:mm:ss`."""
    days, rest = divmod(seconds, 86400)
    return f"{days}.{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"


def policy(task: TaskIR) -> dict[str, Any]:
    out: dict[str, Any] = {"retry": task.retry.retries, "retryIntervalInSeconds": retry_interval_s(task.retry)}
    if task.timeout_s:
        out["timeout"] = timespan(task.timeout_s)
    secure = task_settings(task).secure_io
    return out | {"secureInput": secure, "secureOutput": secure}


def depends(upstreams: list[tuple[str, list[str]]]) -> list[dict[str, Any]]:
    return [{"activity": a, "dependencyConditions": c} for a, c in sorted(upstreams)]


class _Builder:
    def __init__(self, ir: PipelineIR, deployment: Deployment) -> None:
        self.ir, self.env = ir, deployment.env
        self.stack: FabricStack = deployment.settings or FabricStack()
        self.pipe: FabricPipelineSettings = ir.targets.get(NAME) or FabricPipelineSettings()
        self.refs = Refs()
        self.errors: list[Diagnostic] = []
        self.taken = {t.id for t in ir.tasks}
        self.activities: list[dict[str, Any]] = []
        self.name = self.env.deployed_name(ir.name)

    def error(self, task: TaskIR | None, path: tuple[str, ...], code: str, message: str, hint: str) -> None:
        src = task.source if task else self.ir.source
        full = ("tasks", task.id, *path) if task else path
        self.errors.append(Diagnostic(src.file, src.line, src.column, Severity.ERROR, code, message, full, hint, NAME))

    def task(self, task: TaskIR) -> None:
        try:
            body = payload(task, self.pipe, self.env, self.refs)
        except ActivityError as exc:
            self.error(task, exc.path, "PS431", exc.message, exc.hint)
            return
        activity: dict[str, Any] = {"name": task.id, **body, "policy": policy(task)}
        if task.description:
            activity["description"] = task.description
        conditions = CONDITIONS[task.trigger_rule]
        activity["dependsOn"] = depends([(d, conditions) for d in task.depends_on])
        self.activities.append(activity)

    def notify(
        self, event: str, task: TaskIR | None, channels: tuple[str, ...], after: list[tuple[str, list[str]]]
    ) -> list[str]:
        names = []
        for cid in channels:
            message = alert(event, self.name, task.id if task else "", self.env.name)
            body, connection = notification(cid, self.ir.channels[cid], message, self.stack.email_connection)
            base = f"notify_{event}_{task.id}_{cid}" if task else f"notify_{event}_{cid}"
            name = bounded_name(base, self.taken)
            refs = {"externalReferences": {"connection": connection_ref(connection)}}
            self.refs.connections.add(connection)
            self.activities.append({"name": name, **body, **refs, "dependsOn": depends(after)})
            names.append(name)
        return names

    def failure_path(self, task: TaskIR, handled: bool) -> None:
        channels = task.notify.on_failure
        notified = self.notify("failure", task, channels, [(task.id, ["Failed"])])
        if not notified and not handled:
            return  # nothing catches the failure: Fabric fails the run by itself
        after = [(n, ["Completed"]) for n in notified] or [(task.id, ["Failed"])]
        name = bounded_name(f"fail_{task.id}", self.taken)
        self.activities.append({"name": name, **fail_activity(task.id), "dependsOn": depends(after)})


def compile_fabric(ir: PipelineIR, deployment: Deployment) -> CompiledFabric:
    b = _Builder(ir, deployment)
    for task in ir.tasks:
        b.task(task)
    downstream = ir.downstream()
    for task in ir.tasks:
        handled = any(ir.task(d).trigger_rule != "all_success" for d in downstream[task.id])
        b.failure_path(task, handled)
    leaves = [t for t in ir.tasks if not downstream[t.id]]
    b.notify("success", None, ir.notify.on_success, [(t.id, ["Succeeded"]) for t in leaves])
    b.notify("start", None, ir.notify.on_start, [])
    if len(b.activities) > MAX_ACTIVITIES:
        b.error(
            None,
            ("tasks",),
            "PS432",
            f"the pipeline needs {len(b.activities)} Fabric activities (tasks, notifications, fail steps); "
            f"a Fabric pipeline holds at most {MAX_ACTIVITIES}",
            "route failure notifications to fewer channels, or split the pipeline and chain the parts",
        )
    properties: dict[str, Any] = {
        "activities": sorted(b.activities, key=lambda a: a["name"]),
        "annotations": sorted({*ir.tags, f"owner:{ir.owner}", *(f"{k}:{v}" for k, v in b.env.tags.items())}),
        "concurrency": ir.max_active_runs,
    }
    if ir.description:
        properties["description"] = ir.description
    content = {"properties": properties}

    schedules: list[dict[str, Any]] = []
    if ir.schedule is not None:
        paused = ir.schedule.paused or b.env.pause_schedules
        start = dt.date.fromisoformat(ir.start_date)
        try:
            found = to_fabric(ir.schedule, start, b.stack.schedule_end, paused)
            schedules = [{"enabled": found.enabled, "configuration": c} for c in found.configurations]
        except FabricScheduleError as exc:
            b.error(None, ("schedule", "cron"), "PS433", exc.message, exc.hint)

    substitutions: dict[str, str] = {}
    missing = set()
    for name in sorted(b.refs.connections):
        if (cid := b.stack.connection_id(name)) is not None:
            substitutions[connection_ref(name)[2:-1]] = cid
        else:
            missing.add(f"connections.{name}")
    for name in sorted(b.refs.params):
        if name in b.stack.parameters:
            substitutions[param_ref(name)[2:-1]] = b.stack.parameters[name]
        else:
            missing.add(f"parameters.{name}")
    text = json.dumps(content, sort_keys=True)
    placeholders = tuple(sorted(set(PLACEHOLDER.findall(text))))
    return CompiledFabric(
        pipeline=ir.name,
        display_name=b.name,
        description=(ir.description or f"pipespec pipeline {ir.name}")[:256],
        content=content,
        schedules=tuple(schedules),
        substitutions=substitutions,
        placeholders=placeholders,
        missing_stack=tuple(sorted(missing)),
        diagnostics=tuple(b.errors),
        folder=b.pipe.folder,
        protect=b.env.protect,
    )


def notes(ir: PipelineIR) -> list[tuple[TaskIR, tuple[str, ...], str]]:
    """Approximations the activity builders noticed (checks report them as warnings)."""
    refs = Refs()
    pipe: FabricPipelineSettings = ir.targets.get(NAME) or FabricPipelineSettings()
    for task in ir.tasks:
        try:
            payload(task, pipe, Deployment().env, refs)
        except ActivityError:
            continue
    return refs.notes

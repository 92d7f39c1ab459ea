"""PipelineIR + Deployment -> Databricks job settings (Jobs API 2.2, snake_case), pure and deterministic.

The settings are exactly what `JobSettings.as_dict()` writes: no empty lists or objects, tasks
sorted by task_key (the provider's order, so reordering a spec is no diff). Values only known
at deploy time are placeholders the component substitutes: `${destination:<channel>}` and
`${job:<pipeline>}`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ...diagnostics import SpecError
from ...environment import Deployment
from ...ir import PipelineIR, RetryPolicy, TaskIR
from ...spec.pipeline import FileArrivalTrigger, TableUpdateTrigger
from .context import Context, GeneratedFile, SecretBinding
from .notify import health, job_notifications, task_notifications
from .stack import DatabricksStack
from .tasks import compute, environments, job_clusters, payload

RUN_IF = {
    "all_success": "ALL_SUCCESS",
    "all_done": "ALL_DONE",
    "one_failed": "AT_LEAST_ONE_FAILED",
    "all_failed": "ALL_FAILED",
    "none_failed": "NONE_FAILED",
    "one_success": "AT_LEAST_ONE_SUCCESS",
}
MAX_TASKS = 1000
MAX_TAGS = 25
PLACEHOLDER = re.compile(r"\$\{((?:destination|job):[A-Za-z0-9_-]+)\}")


class DatabricksCompileError(SpecError):
    """The pipeline cannot compile with this stack's settings (diagnostics say where and why)."""


@dataclass(frozen=True)
class CompiledJob:
    """Everything the component deploys for one pipeline; nothing in it is re-derived downstream."""

    pipeline: str  # spec name
    name: str  # deployed job name (with the environment prefix)
    settings: dict[str, Any]  # JobSettings.as_dict() form, with placeholders
    permissions: tuple[tuple[str, str], ...]  # (group, permission level), sorted by group
    files: tuple[GeneratedFile, ...]  # sorted by path
    secrets: tuple[SecretBinding, ...]  # sorted by config key
    create_secret_scope: bool
    placeholders: tuple[str, ...]  # e.g. "destination:slack_ops", "job:upstream"; sorted
    workspace_url: str | None
    protect: bool

    @property
    def secret_scope(self) -> str | None:
        return self.secrets[0].scope if self.secrets else None

    def document(self) -> str:
        return to_json(self.settings)


def to_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def retry_interval_ms(policy: RetryPolicy) -> int:
    """Databricks waits a fixed interval: the mean delay, so the total wait matches the spec's."""
    delays = policy.delays()
    return round(sum(delays) * 1000 / len(delays)) if delays else policy.delay_s * 1000


def gate_dependencies(ir: PipelineIR) -> dict[str, tuple[str, ...]]:
    """depends_on with quality gates added where a gate failure would otherwise not block a task.

    ALL_SUCCESS tasks downstream of a gate are blocked through the chain, except when the chain
    passes a task that runs whatever its upstreams did (all_done, one_failed …): such a task is
    made to depend on the gate directly, so a failed gate stops everything downstream.
    """
    deps = {t.id: set(t.depends_on) for t in ir.tasks}
    gates = [t.id for t in ir.tasks if t.quality_gate]
    for gate in gates:
        blocked: set[str] = {gate}
        reaches: set[str] = {gate}
        for task in ir.tasks:  # topological order
            if not deps[task.id] & reaches:
                continue
            reaches.add(task.id)
            if task.trigger_rule != "all_success":
                continue
            if not deps[task.id] & blocked:
                deps[task.id].add(gate)
            blocked.add(task.id)
    return {tid: tuple(sorted(d)) for tid, d in deps.items()}


def _task(ctx: Context, task: TaskIR, deps: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {"task_key": task.id, "description": task.description or None}
    if deps:
        out["depends_on"] = [{"task_key": d} for d in deps]
        out["run_if"] = RUN_IF[task.trigger_rule]
    if task.retry.retries > 0:
        out["max_retries"] = task.retry.retries
        out["min_retry_interval_millis"] = retry_interval_ms(task.retry)
        out["retry_on_timeout"] = task.retry.retry_on_timeout
    out["timeout_seconds"] = task.timeout_s
    out |= health(task.sla_s)
    out |= task_notifications(ctx.ir, task)
    out |= compute(ctx, task)
    out |= payload(ctx, task)
    return out


def _schedule_and_trigger(ctx: Context) -> dict[str, Any]:
    from ...cron import CronError, to_quartz

    ir = ctx.ir
    out: dict[str, Any] = {}
    pause = "PAUSED" if ctx.env.pause_schedules else "UNPAUSED"
    if ir.schedule is not None:
        try:
            quartz = to_quartz(ir.schedule.cron)
        except CronError as exc:
            ctx.error(None, ("schedule", "cron"), "PS441", exc.message, exc.hint)
            quartz = ""
        out["schedule"] = {
            "quartz_cron_expression": quartz,
            "timezone_id": ir.schedule.timezone,
            "pause_status": "PAUSED" if ir.schedule.paused else pause,
        }
    for trig in ir.triggers:
        if isinstance(trig, FileArrivalTrigger):
            body: dict[str, Any] = {
                "url": trig.path,
                "min_time_between_triggers_seconds": trig.min_interval,
                "wait_after_last_change_seconds": trig.wait_after_last_change,
            }
            out["trigger"] = {"pause_status": pause, "file_arrival": body}
        elif isinstance(trig, TableUpdateTrigger):
            body = {"table_names": list(trig.tables), "condition": trig.condition.upper()}
            out["trigger"] = {"pause_status": pause, "table_update": body}
    return out


def _tags(ctx: Context) -> dict[str, str]:
    tags = {t: "" for t in ctx.ir.tags} | {"owner": ctx.ir.owner} | dict(ctx.env.tags)
    if len(tags) > MAX_TAGS:
        ctx.error(
            None,
            ("tags",),
            "PS446",
            f"the job would carry {len(tags)} tags (spec, owner and the environment's); Databricks allows {MAX_TAGS}",
            "drop spec tags or environment tags",
        )
    return dict(sorted(tags.items()))


def _permissions(ctx: Context) -> tuple[tuple[str, str], ...]:
    levels = {p.group: p.level for p in ctx.pipe.permissions} | {p.group: p.level for p in ctx.stack.permissions}
    return tuple(sorted(levels.items()))


def prune(value: Any) -> Any:
    """Drop None and empty lists/objects, as `as_dict()` does (so the document round-trips)."""
    if isinstance(value, dict):
        pruned = {k: prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v is not None and v != {} and v != []}
    if isinstance(value, list):
        return [prune(v) for v in value]
    return value


def placeholders(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield from PLACEHOLDER.findall(value)
    elif isinstance(value, dict):
        for v in value.values():
            yield from placeholders(v)
    elif isinstance(value, list):
        for v in value:
            yield from placeholders(v)


def substitute(value: Any, ids: Mapping[str, Any]) -> Any:
    """The settings with every placeholder (a whole value, e.g. `${job:x}`) replaced by `ids["job:x"]`."""
    if isinstance(value, str) and (m := PLACEHOLDER.fullmatch(value)):
        return ids[m.group(1)]
    if isinstance(value, dict):
        return {k: substitute(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, ids) for v in value]
    return value


def compile_job(ir: PipelineIR, deployment: Deployment | None = None) -> CompiledJob:
    """The job for one pipeline. Raises DatabricksCompileError (with diagnostics) on stack-dependent problems."""
    deployment = deployment or Deployment()
    raw = deployment.settings
    stack = raw if isinstance(raw, DatabricksStack) else DatabricksStack.model_validate(raw or {})
    ctx = Context.create(ir, deployment.env, stack)
    deps = gate_dependencies(ir)
    tasks = [_task(ctx, t, deps[t.id]) for t in sorted(ir.tasks, key=lambda t: t.id)]
    run_as = stack.run_as or ctx.pipe.run_as
    git = ctx.pipe.git_source
    settings: dict[str, Any] = {
        "name": ctx.job_name,
        "description": ir.description or None,
        "tags": _tags(ctx),
        "max_concurrent_runs": ir.max_active_runs,
        "queue": {"enabled": True},  # runs beyond max_concurrent_runs wait instead of being skipped
        "timeout_seconds": ir.timeout_s,
        **health(ir.sla_s),
        **job_notifications(ir),
        **_schedule_and_trigger(ctx),
        "job_clusters": job_clusters(ctx),
        "environments": environments(ctx),
        "parameters": [
            {"name": p, "default": stack.parameters.get(p, "")} for p in sorted(ctx.parameters | set(stack.parameters))
        ],
        "git_source": git
        and {
            "git_url": git.url,
            "git_provider": git.provider,
            "git_branch": git.branch,
            "git_tag": git.tag,
            "git_commit": git.commit,
        },
        "run_as": run_as and run_as.model_dump(exclude_none=True),
        "tasks": tasks,
    }
    if ctx.diagnostics:
        raise DatabricksCompileError(ctx.diagnostics)
    settings = prune(settings)
    return CompiledJob(
        pipeline=ir.name,
        name=ctx.job_name,
        settings=settings,
        permissions=_permissions(ctx),
        files=tuple(f for _, f in sorted(ctx.files.items())),
        secrets=tuple(s for _, s in sorted(ctx.secrets.items())),
        create_secret_scope=stack.secret_scope is None,
        placeholders=tuple(sorted(set(placeholders(settings)))),
        workspace_url=stack.workspace_url,
        protect=deployment.env.protect,
    )

"""PipelineIR + Deployment -> dbt Cloud jobs, pure and deterministic.

The document lists the jobs (upstream first) with the exact arguments of `dbtcloud.Job`
(snake_case), the completion triggers between them and the notifications. Values only known
at deploy time are placeholders the component fills in: `${project_id}` and
`${environment_id}` (when created, not given by stack config) and `${job:<key>}` (the id of
another job of this pipeline).
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from ...environment import Deployment
from ...ir import PipelineIR, TaskIR
from ...spec.notify import EmailChannel, SlackChannel
from ...spec.tasks import DbtTask
from .settings import DbtCloudPipelineSettings, DbtCloudTaskSettings
from .split import SUCCESS, Split, SplitTask, split_jobs
from .stack import DbtCloudStack

NAME = "dbtcloud"
DEFAULT_THREADS = 4
DEFAULT_TARGET = "default"
PLACEHOLDER = re.compile(r"\$\{((?:project_id|environment_id)|job:[A-Za-z0-9_.-]+)\}")
# dbt Cloud notification types (dbtcloud.Notification.notification_type)
SLACK, EXTERNAL_EMAIL = 2, 4
# Trigger rule -> statuses of the upstream job that start the task's job.
STATUSES: dict[str, tuple[str, ...]] = {
    "all_success": SUCCESS,
    "none_failed": SUCCESS,  # nothing is ever skipped in dbt Cloud: same as all_success
    "one_success": SUCCESS,
    "one_failed": ("error",),
    "all_failed": ("error",),
    "all_done": ("error", "success"),
}


def job_placeholder(key: str) -> str:
    return f"${{job:{key}}}"


@dataclass(frozen=True)
class CompiledDbtCloud:
    """Everything the component deploys for one pipeline; nothing in it is re-derived downstream."""

    pipeline: str
    name: str  # deployed pipeline name (environment prefix applied)
    document: dict[str, Any]
    split: Split
    placeholders: tuple[str, ...]
    missing_stack: tuple[str, ...]  # stack settings to set before deploying
    protect: bool

    @property
    def jobs(self) -> list[dict[str, Any]]:
        return list(self.document["jobs"])

    def text(self) -> str:
        return json.dumps(self.document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def task_settings(task: TaskIR) -> DbtCloudTaskSettings:
    return task.settings(NAME) or DbtCloudTaskSettings()


def command(spec: DbtTask, selectors: list[str], fail_fast: bool) -> str:
    """`dbt <verb> --select … --exclude …` with the task's flags; the target is the job's target name."""
    words = spec.model_copy(update={"select": selectors}).argv(target=False, project_dir=False)
    if fail_fast:
        words.append("--fail-fast")
    return shlex.join(words)


def target_name(ir: PipelineIR, stack: DbtCloudStack, task: TaskIR) -> str:
    pipe: DbtCloudPipelineSettings = ir.targets.get(NAME) or DbtCloudPipelineSettings()
    spec = task.spec
    own = spec.target if isinstance(spec, DbtTask) else None
    return stack.target_name or own or pipe.target_name or DEFAULT_TARGET


def _merge_key(task: TaskIR) -> Hashable:
    spec = task.spec
    assert isinstance(spec, DbtTask)  # check() rejects every other kind first
    flags = (spec.full_refresh, task_settings(task).fail_fast)  # the model allows full_refresh only where dbt does
    return (spec.command, tuple(spec.excludes), flags, json.dumps(spec.vars, sort_keys=True))


def split_tasks(ir: PipelineIR, stack: DbtCloudStack) -> list[SplitTask]:
    return [
        SplitTask(t.id, t.depends_on, _merge_key(t), target_name(ir, stack, t), STATUSES[t.trigger_rule])
        for t in ir.tasks
    ]


def plan(ir: PipelineIR, stack: DbtCloudStack | None = None) -> Split:
    return split_jobs(split_tasks(ir, stack or DbtCloudStack()))


def _step(ir: PipelineIR, step: tuple[str, ...]) -> str:
    tasks = [ir.task(t) for t in step]
    first = tasks[0].spec
    assert isinstance(first, DbtTask)
    selectors: list[str] = []
    for t in tasks:
        assert isinstance(t.spec, DbtTask)
        if not t.spec.selectors:  # one task selects everything: so does the step
            selectors = []
            break
        selectors += [s for s in t.spec.selectors if s not in selectors]
    return command(first, selectors, task_settings(tasks[0]).fail_fast)


def _timeout(ir: PipelineIR, steps: tuple[tuple[str, ...], ...]) -> int:
    """Steps run one after another: the job may take the sum of each step's longest task timeout."""
    per_step = [[ir.task(t).timeout_s for t in step] for step in steps]
    if all(all(v is not None for v in s) for s in per_step):
        total = sum(max(v for v in s if v is not None) for s in per_step)
        return min(total, ir.timeout_s) if ir.timeout_s else total
    return ir.timeout_s or 0  # 0: no timeout


def compile_dbtcloud(ir: PipelineIR, deployment: Deployment) -> CompiledDbtCloud:
    from .schedule import to_utc

    env = deployment.env
    stack: DbtCloudStack = deployment.settings or DbtCloudStack()
    pipe: DbtCloudPipelineSettings = ir.targets.get(NAME) or DbtCloudPipelineSettings()
    split = split_jobs(split_tasks(ir, stack))
    name = env.deployed_name(ir.name)
    placeholders: set[str] = set()
    missing: set[str] = set()

    project: dict[str, Any]
    if stack.project_id is not None:
        project = {"id": stack.project_id}
    else:
        project = {"id": "${project_id}", "create": {"name": env.deployed_name(stack.project_name)}}
        if stack.dbt_project_subdirectory:
            project["create"]["dbt_project_subdirectory"] = stack.dbt_project_subdirectory
        placeholders.add("project_id")
    environment: dict[str, Any]
    if stack.environment_id is not None:
        environment = {"id": stack.environment_id}
    else:
        create = {
            "name": stack.environment_name or env.name,
            "type": "deployment",
            "dbt_version": stack.dbt_version,
            "deployment_type": stack.deployment_type,
            "connection_id": stack.connection_id,
            "credential_id": stack.credential_id,
        }
        environment = {"id": "${environment_id}", "create": {k: v for k, v in create.items() if v is not None}}
        placeholders.add("environment_id")

    cron = ""
    if ir.schedule is not None:
        cron = to_utc(ir.schedule.cron, ir.schedule.timezone, int(ir.start_date[:4])).cron
    paused = env.pause_schedules or (ir.schedule is not None and ir.schedule.paused)
    jobs = []
    for job in split.jobs:
        spec: dict[str, Any] = {
            "key": job.key,
            "name": name if len(split.jobs) == 1 else f"{name}-{job.key}",
            "description": _describe(ir, job.tasks),
            "execute_steps": [_step(ir, step) for step in job.steps],
            "step_tasks": [list(step) for step in job.steps],
            "target_name": target_name(ir, stack, ir.task(job.steps[0][0])),
            "num_threads": stack.threads or pipe.threads or DEFAULT_THREADS,
            "generate_docs": pipe.generate_docs,
            "execution": {"timeout_seconds": _timeout(ir, job.steps)},
            "triggers": {
                "schedule": bool(cron) and job.upstream is None and not paused,
                "github_webhook": False,
                "git_provider_webhook": False,
                "on_merge": False,
            },
        }
        if pipe.dbt_version:
            spec["dbt_version"] = pipe.dbt_version
        if stack.deferring_environment_id:
            spec["deferring_environment_id"] = stack.deferring_environment_id
        if cron and job.upstream is None:
            spec |= {"schedule_type": "custom_cron", "schedule_cron": cron}
        if job.upstream is not None:
            spec["completion_trigger"] = {"job": job_placeholder(job.upstream), "statuses": list(job.statuses)}
            placeholders.add(f"job:{job.upstream}")
        jobs.append(spec)

    notifications = _notifications(ir, split, stack, missing, placeholders)
    document = {
        "pipeline": ir.name,
        "name": name,
        "project": project,
        "environment": environment,
        "jobs": jobs,
        "notifications": notifications,
    }
    return CompiledDbtCloud(
        ir.name, name, document, split, tuple(sorted(placeholders)), tuple(sorted(missing)), env.protect
    )


def _describe(ir: PipelineIR, tasks: tuple[str, ...]) -> str:
    head = ir.description or f"pipespec pipeline {ir.name}"
    return f"{head} (pipespec tasks: {', '.join(tasks)}; owner {ir.owner})"


def _notifications(
    ir: PipelineIR, split: Split, stack: DbtCloudStack, missing: set[str], placeholders: set[str]
) -> list[dict[str, Any]]:
    """One dbtcloud.Notification per email address / Slack channel, listing the jobs it hears about.

    Failure: every job holding a task that routes on_failure to the channel. Success: the
    pipeline succeeded when its last jobs (no job after them) did.
    """
    on_success_path = set()
    for job in split.jobs:  # upstream first
        if job.upstream is None or (job.upstream in on_success_path and job.statuses == SUCCESS):
            on_success_path.add(job.key)
    leaves = {k for k in on_success_path if not any(d.statuses == SUCCESS for d in split.downstream(k))}
    hears: dict[str, dict[str, set[str]]] = {}
    for job in split.jobs:
        for tid in job.tasks:
            routing = ir.task(tid).notify
            for cid in routing.on_failure:
                hears.setdefault(cid, {"on_failures": set(), "on_successes": set()})["on_failures"].add(job.key)
            if job.key in leaves:
                for cid in routing.on_success:
                    hears.setdefault(cid, {"on_failures": set(), "on_successes": set()})["on_successes"].add(job.key)
    out: list[dict[str, Any]] = []
    order = [j.key for j in split.jobs]
    for cid in sorted(hears):
        channel = ir.channels[cid]
        lists = {k: [job_placeholder(j) for j in order if j in v] for k, v in hears[cid].items()}
        placeholders.update(f"job:{j}" for v in hears[cid].values() for j in v)
        base: dict[str, Any] = {"channel": cid, "user_id": stack.notification_user_id, **lists}
        if stack.notification_user_id is None:
            missing.add("notification_user_id")
        if isinstance(channel, EmailChannel):
            for address in sorted(set(channel.addresses)):
                key = f"{cid}-{re.sub(r'[^A-Za-z0-9]+', '-', address).strip('-').lower()}"
                out.append({"key": key, "notification_type": EXTERNAL_EMAIL, "external_email": address, **base})
        elif isinstance(channel, SlackChannel):
            ref = stack.slack_channels.get(cid)
            if ref is None:
                missing.add(f"slack_channels.{cid}")
            out.append(
                {
                    "key": cid,
                    "notification_type": SLACK,
                    "slack_channel_id": ref.id if ref else None,
                    "slack_channel_name": ref.name if ref else (channel.channel or cid),
                    **base,
                }
            )
        # teams / webhook channels: dbt Cloud cannot post to them (check_limits warns)
    return out

"""PipelineIR -> the source of a static Airflow DAG file (Airflow 2.10 or 3.x), plus what the component needs.

Pure and deterministic: the same IR and deployment give the same bytes. The file does no work at
parse time (no YAML, no network, no provider hooks): Composer parses DAG files continuously.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import Any

from ...alerts import MAX_CAUSE_CHARS, NEXT_STEP
from ...cron import to_airflow
from ...dag import critical_path
from ...environment import Deployment
from ...ir import PipelineIR, TaskIR
from ...notify_plan.routing import ALERT_LOG
from . import templates
from .plan import PYTHON, OperatorPlan, placement, plan
from .pysrc import INDENT, LINE_LENGTH, Expr, call, identifiers, literal, string, timedelta_expr
from .settings import ComposerPipelineSettings, ComposerStack

ALERT_TOPIC_PLACEHOLDER = "${AlertTopic}"
# Per-task keyword arguments that may move into default_args when most tasks share them.
_SHARED = (
    "**retry_policy",
    "retries",
    "retry_delay",
    "retry_exponential_backoff",
    "max_retry_delay",
    "execution_timeout",
    "on_execute_callback",
    "on_failure_callback",
    "on_retry_callback",
    "on_success_callback",
    "sla",
)
_RESERVED = {
    "dag", "default_args", "json", "logging", "os", "datetime", "timedelta", "timezone", "pendulum", "DAG",
    "RetryDecision", "RetryPolicy", "SpecRetryDelays", "annotations",
}  # fmt: skip


@dataclass(frozen=True)
class CompiledDag:
    """The DAG file and the deployment facts the component needs (it never re-derives them)."""

    dag_id: str
    filename: str
    source: str
    airflow_version: str
    placeholders: tuple[str, ...]  # ${Name}s in `source` the component substitutes
    http_connections: dict[str, str] = field(default_factory=dict)  # Airflow conn id -> base URL
    secret_variables: dict[str, str] = field(default_factory=dict)  # Airflow variable -> Pulumi config key
    roles: tuple[str, ...] = ()  # IAM roles the environment's service account needs for this DAG
    stale_after_s: int | None = None  # no successful run for this long = stale data (None: unscheduled)


@dataclass(frozen=True)
class Flavour:
    """What differs between the platforms this one generator serves: Cloud Composer (`composer_flavour`)
    and Amazon MWAA (`pipespec.targets.mwaa.compile`). Everything else — DAG arguments, retries,
    callbacks, SLAs, edges, formatting — is shared."""

    target: str  # `pipespec render --target <target>`, in the header
    title: str  # "Cloud Composer, Airflow 3", in the header
    airflow_version: str  # major: "2" or "3" (imports, SLA handling, retry policy)
    plan: Callable[[TaskIR], OperatorPlan]  # how each task runs
    constants: tuple[str, ...]  # platform constants after DAG_ID / ENVIRONMENT (alert destination …)
    publish: str  # the block defining `_publish(event, channels, context, task_id, error, cause)`
    placeholders: tuple[str, ...] = ()  # ${Name}s the constants leave for the component
    helpers: tuple[tuple[str, str], ...] = ()  # extra (helper name, block) pairs plans may ask for
    roles: Callable[[Iterable[OperatorPlan], bool], tuple[str, ...]] = lambda plans, secrets: ()
    placement: Callable[[TaskIR], tuple[tuple[str, Any], ...]] = placement  # pool / queue


def composer_flavour(ir: PipelineIR, deployment: Deployment) -> Flavour:
    stack = _stack(deployment)
    pipeline = _pipeline_settings(ir)
    env = deployment.env
    dag_id = env.deployed_name(ir.name)
    return Flavour(
        target="composer",
        title=f"Cloud Composer, Airflow {stack.airflow_version}",
        airflow_version=stack.airflow_version,
        plan=lambda task: plan(task, pipeline, stack, env.deployed_name, dag_id),
        constants=tuple(_constants(stack, pipeline)),
        publish=templates.PUBSUB_PUBLISH,
        placeholders=() if stack.alert_topic else ("AlertTopic",),
        roles=_roles,
    )


def _stack(deployment: Deployment) -> ComposerStack:
    settings = deployment.settings
    return settings if isinstance(settings, ComposerStack) else ComposerStack()


def _pipeline_settings(ir: PipelineIR) -> ComposerPipelineSettings:
    settings = ir.targets.get("composer")
    return settings if isinstance(settings, ComposerPipelineSettings) else ComposerPipelineSettings()


class _Callbacks:
    """Module-level callback objects, one per distinct (factory, arguments), named after what they do."""

    def __init__(self) -> None:
        self.calls: dict[str, str] = {}  # call source -> suggested name

    def add(self, factory: str, *args: Any) -> Expr:
        code = f"{factory}({', '.join(literal(a) for a in args)})"
        self.calls.setdefault(code, code)
        return Expr(code)

    def names(self) -> dict[str, str]:
        suggested = {code: _callback_name(code) for code in sorted(self.calls)}
        unique = identifiers(suggested.values())
        return {code: unique[name].upper() for code, name in suggested.items()}


def _callback_name(code: str) -> str:
    words = code.replace("_on_", "").lstrip("_").replace("(", " ").replace(")", " ").split()
    return "alert_" + "_".join(w.strip('",') for w in words)


def _task_kwargs(
    task: TaskIR, ir: PipelineIR, version: str, callbacks: _Callbacks, leaves: set[str], exact: bool
) -> dict[str, Any]:
    """Common per-task arguments (keys of _SHARED); a missing key means 'any value will do'."""
    out: dict[str, Any] = {}
    retry = task.retry
    out["retries"] = retry.retries
    if retry.retries and exact:
        # One policy per retrying task: exact for fixed delays too, so tasks can share default_args.
        out["**retry_policy"] = Expr(f"_retry_policy({literal(list(retry.delays()))}, {retry.retry_on_timeout})")
    if retry.retries:
        out["retry_delay"] = timedelta_expr(retry.delay_s)
        out["retry_exponential_backoff"] = retry.exponential
        out["max_retry_delay"] = timedelta_expr(retry.max_delay_s) if retry.max_delay_s else None
    out["execution_timeout"] = timedelta_expr(task.timeout_s) if task.timeout_s else None
    routes = task.notify
    out["on_failure_callback"] = callbacks.add("_on_failure", routes.on_failure) if routes.on_failure else None
    out["on_retry_callback"] = (
        callbacks.add("_on_retry", routes.on_retry) if routes.on_retry and retry.retries else None
    )
    # Success/start are pipeline events; a task reports them only when its own notify says so.
    out["on_execute_callback"] = (
        callbacks.add("_on_event", "start", routes.on_start)
        if routes.on_start and routes.on_start != ir.notify.on_start
        else None
    )
    success: list[Expr] = []
    if routes.on_success and routes.on_success != ir.notify.on_success:
        success.append(callbacks.add("_on_event", "success", routes.on_success))
    if task.sla_s and routes.on_sla_miss:
        success.append(callbacks.add("_task_sla", task.sla_s, routes.on_sla_miss))
    out["on_success_callback"] = success[0] if len(success) == 1 else (success or None)
    if version == "2" and ir.sla_s and task.id in leaves and ir.notify.on_sla_miss:
        out["sla"] = timedelta_expr(ir.sla_s)  # run done <=> every leaf done, within the SLA
    else:
        out["sla"] = None
    return out


def _defaults(per_task: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The most common value of each shared argument (ties: the smallest source text)."""
    out: dict[str, Any] = {}
    for key in _SHARED:
        seen = Counter(literal(kw[key]) for kw in per_task if key in kw)
        if not seen:
            continue
        best = min(seen.items(), key=lambda item: (-item[1], item[0]))[0]
        if best != "None":
            value = next(kw[key] for kw in per_task if key in kw and literal(kw[key]) == best)
            out[key] = value
    return out


def _needs_exact_retry(task: TaskIR) -> bool:
    """Whether Airflow's own retry settings differ from the spec (backoff jitter, retried timeouts)."""
    retry = task.retry
    return bool(retry.retries) and (retry.exponential or (task.timeout_s is not None and not retry.retry_on_timeout))


def compile_dag(
    ir: PipelineIR, deployment: Deployment | None = None, *, stand_ins: bool = False, flavour: Flavour | None = None
) -> CompiledDag:
    """The DAG file for `ir`. `stand_ins=True` is the documented test flavour: every task runs `_stand_in`.

    `flavour` says what differs by platform (default: Cloud Composer, from the deployment's settings).
    """
    deployment = deployment or Deployment()
    flavour = flavour or composer_flavour(ir, deployment)
    version = flavour.airflow_version
    env = deployment.env
    dag_id = env.deployed_name(ir.name)

    plans: dict[str, OperatorPlan] = {}
    for task in ir.tasks:
        real = flavour.plan(task)
        if stand_ins:
            real = OperatorPlan(
                "PythonOperator",
                PYTHON[version],
                (("python_callable", Expr("_stand_in")),),
                helpers=frozenset({"stand_in"}),
                http_connections=real.http_connections,
                secret_variables=real.secret_variables,
            )
        plans[task.id] = real

    callbacks = _Callbacks()
    downstream = ir.downstream()
    leaves = {t for t, below in downstream.items() if not below}
    # Airflow 3.3+ retry policy reproducing RetryPolicy.delays() (and retry_on_timeout) exactly.
    exact = version == "3" and any(_needs_exact_retry(t) for t in ir.tasks)
    per_task = [_task_kwargs(t, ir, version, callbacks, leaves, exact) for t in ir.tasks]
    defaults = _defaults(per_task)

    dag_kwargs: list[tuple[str, Any]] = _dag_kwargs(ir, version, env.pause_schedules, callbacks)
    helpers = set().union(*(p.helpers for p in plans.values()))
    names = callbacks.names()

    def named(value: Any) -> Any:
        if isinstance(value, Expr) and value.code in names:
            return Expr(names[value.code])
        if isinstance(value, list):
            return [named(v) for v in value]
        return value

    variables = identifiers([t.id for t in ir.tasks])
    module_names = _RESERVED | set(names.values()) | {n for p in plans.values() for n in (p.cls, p.base) if n}
    for tid, ident in variables.items():
        if ident in module_names or ident.isupper():
            variables[tid] = f"{ident}_task"

    lines: list[str] = [_header(ir, flavour, stand_ins), "from __future__ import annotations", ""]
    lines += ["import json", "import logging", "import os", "from datetime import datetime, timedelta, timezone", ""]
    lines += ["import pendulum"]
    dag_import = ("airflow.sdk", "DAG") if version == "3" else ("airflow", "DAG")
    imports = sorted({(p.module, p.base or p.cls) for p in plans.values()} | {dag_import})
    lines += [f"from {module} import {cls}" for module, cls in imports]
    lines += ["", f"DAG_ID = {string(dag_id)}", f"ENVIRONMENT = {string(env.name)}", *flavour.constants]
    lines += [
        f"PIPELINE_SLA_S = {ir.sla_s}",
        f"PIPELINE_TIMEOUT_S = {ir.timeout_s}",
        f"MAX_CAUSE_CHARS = {MAX_CAUSE_CHARS}",
        f"NEXT_STEP = {literal(dict(NEXT_STEP), 0, len('NEXT_STEP = '))}",
    ]
    lines.append((flavour.publish + templates.CALLBACKS).rstrip("\n"))
    if version == "3" and ir.sla_s and ir.notify.on_sla_miss:
        lines.append(templates.RUN_SLA.rstrip("\n"))
    if version == "2" and ir.sla_s and ir.notify.on_sla_miss:
        lines.append(templates.SLA_MISS_CALLBACK.rstrip("\n"))
    if exact:
        lines.append(templates.RETRY_POLICY.rstrip("\n"))
    for helper, block in (("status_in", templates.STATUS_IN), ("run_script", templates.RUN_SCRIPT), *flavour.helpers):
        if helper in helpers:
            lines.append(block.rstrip("\n"))
    if "stand_in" in helpers:
        lines.append(templates.STAND_IN.rstrip("\n"))
    lines.append("")
    if names:
        lines.append("")
        lines += [f"{name} = {code}" for code, name in sorted(names.items(), key=lambda kv: kv[1])]
    shared = {"owner": ir.owner, "depends_on_past": False} | {k: named(v) for k, v in defaults.items()}
    lines += ["", f"default_args = {literal(shared, 0, len('default_args = '))}", ""]
    lines.append(call("DAG", [(k, named(v)) for k, v in dag_kwargs], prefix="with ") + " as dag:")
    for task, kwargs in zip(ir.tasks, per_task, strict=True):
        p = plans[task.id]
        args: list[tuple[str, Any]] = [("task_id", task.id), *p.kwargs]
        if task.trigger_rule != "all_success":
            args.append(("trigger_rule", task.trigger_rule))
        args += flavour.placement(task)
        for key in _SHARED:
            value = kwargs.get(key)
            if key in defaults:  # set where it differs from default_args (absent: any value will do)
                differs = key in kwargs and literal(value) != literal(defaults[key])
            else:
                differs = value is not None
            if differs:
                args.append((key, named(value)))
        if task.description:
            args.append(("doc_md", task.description))
        lines.append(call(p.cls, args, indent=1, prefix=f"{variables[task.id]} = "))
    edges = [t for t in ir.tasks if t.depends_on]
    if edges:
        lines.append("")
        lines.append(f"{INDENT}# Dependencies, as in the spec.")
    for task in edges:
        lines.append(_edge([variables[d] for d in task.depends_on], variables[task.id]))
    source = "\n".join(lines).rstrip("\n") + "\n"
    connections: dict[str, str] = {}
    secrets: dict[str, str] = {}
    for p in plans.values():
        connections.update(p.http_connections)
        secrets.update(p.secret_variables)
    return CompiledDag(
        dag_id=dag_id,
        filename=f"{dag_id}.py",
        source=source,
        airflow_version=version,
        placeholders=flavour.placeholders,
        http_connections=dict(sorted(connections.items())),
        secret_variables=dict(sorted(secrets.items())),
        roles=flavour.roles(plans.values(), bool(connections or secrets)),
        stale_after_s=stale_after_s(ir),
    )


_ROLES_BY_OPERATOR = {
    "BigQueryInsertJobOperator": ("roles/bigquery.dataEditor", "roles/bigquery.jobUser"),
    "BigQueryCheckOperator": ("roles/bigquery.dataViewer", "roles/bigquery.jobUser"),
    "DataprocSubmitJobOperator": ("roles/dataproc.editor",),
}


def _roles(plans: Iterable[OperatorPlan], secrets: bool) -> tuple[str, ...]:
    # composer.worker runs the environment; publisher and logWriter deliver the alerts.
    roles = {"roles/composer.worker", "roles/pubsub.publisher", "roles/logging.logWriter"}
    for p in plans:
        roles.update(_ROLES_BY_OPERATOR.get(p.cls, ()))
    if secrets:
        roles.add("roles/secretmanager.secretAccessor")
    return tuple(sorted(roles))


def stale_after_s(ir: PipelineIR) -> int | None:
    """Longest gap between scheduled runs (over two years, wall clock) plus the SLA, timeout or critical path."""
    if ir.schedule is None:
        return None
    cron = ir.schedule.cron
    times = sorted((h, m) for h in cron._hours for m in cron._minutes)  # the same on every matching day
    first = datetime(2024, 1, 1)
    fires = [
        day.replace(hour=h, minute=m)
        for day in (first + timedelta(days=n) for n in range(731))
        if cron.matches(day.replace(hour=times[0][0], minute=times[0][1]))
        for h, m in times
    ]
    gap = max((b - a for a, b in pairwise(fires)), default=timedelta(days=366))
    slack = ir.sla_s or ir.timeout_s or int(critical_path(ir.deps, ir.durations).length)
    return int(gap.total_seconds()) + slack


def _header(ir: PipelineIR, flavour: Flavour, stand_ins: bool) -> str:
    note = " (TEST FLAVOUR: every task is a local stand-in; never deploy this file)" if stand_ins else ""
    lines = [
        f"# Generated by pipespec from {ir.source.file}: do not edit, change the spec and render again.{note}",
        f"# Pipeline {ir.name!r} (owner {ir.owner}) for {flavour.title}.",
        f"#   pipespec render {ir.source.file} --target {flavour.target} --out <dir>",
    ]
    return "\n".join(lines) + "\n"


def _constants(stack: ComposerStack, pipeline: ComposerPipelineSettings) -> list[str]:
    topic = stack.alert_topic or ALERT_TOPIC_PLACEHOLDER
    comment = "" if stack.alert_topic else "  # filled in by the ComposerPipeline component at deploy time"
    return [
        f"ALERT_TOPIC = {string(topic)}{comment}",
        f"ALERT_LOG = {string(ALERT_LOG)}",
        f"GCP_CONN_ID = {string(pipeline.gcp_conn_id)}",
    ]


def _dag_kwargs(ir: PipelineIR, version: str, pause: bool, callbacks: _Callbacks) -> list[tuple[str, Any]]:
    start = date.fromisoformat(ir.start_date)
    tz = ir.schedule.timezone if ir.schedule else "UTC"
    out: list[tuple[str, Any]] = [("dag_id", Expr("DAG_ID"))]
    if ir.description:
        out.append(("description", ir.description))
    out.append(("schedule", to_airflow(ir.schedule.cron) if ir.schedule else None))
    out.append(("start_date", Expr(f"pendulum.datetime({start.year}, {start.month}, {start.day}, tz={string(tz)})")))
    out += [("catchup", ir.catchup), ("max_active_runs", ir.max_active_runs)]
    if ir.max_active_tasks:
        out.append(("max_active_tasks", ir.max_active_tasks))
    if ir.timeout_s:
        out.append(("dagrun_timeout", timedelta_expr(ir.timeout_s)))
    out += [("tags", list(ir.tags)), ("default_args", Expr("default_args"))]
    out.append(("is_paused_upon_creation", bool(pause or (ir.schedule is not None and ir.schedule.paused))))
    routes = ir.notify
    failure = [callbacks.add("_run_failed", routes.on_failure)] if ir.timeout_s and routes.on_failure else []
    success: list[Expr] = []
    if routes.on_success:
        success.append(callbacks.add("_on_run_event", "success", routes.on_success))
    if ir.sla_s and routes.on_sla_miss and version == "3":
        success.append(callbacks.add("_run_sla", ir.sla_s, routes.on_sla_miss))
    if failure:
        out.append(("on_failure_callback", failure[0]))
    if success:
        out.append(("on_success_callback", success[0] if len(success) == 1 else success))
    if ir.sla_s and routes.on_sla_miss and version == "2":
        out.append(("sla_miss_callback", callbacks.add("_sla_miss", routes.on_sla_miss)))
    return out


def _edge(upstream: list[str], downstream: str) -> str:
    if len(upstream) == 1:
        return f"{INDENT}{upstream[0]} >> {downstream}"
    flat = f"{INDENT}[{', '.join(upstream)}] >> {downstream}"
    if len(flat) <= LINE_LENGTH:
        return flat
    inner = "".join(f"{INDENT * 2}{u},\n" for u in upstream)
    return f"{INDENT}[\n{inner}{INDENT}] >> {downstream}"

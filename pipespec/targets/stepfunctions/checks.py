"""What Step Functions cannot run as written, and what it only approximates (before anything deploys)."""

from __future__ import annotations

from collections.abc import Callable

from ...diagnostics import Diagnostic, Severity
from ...durations import format_duration
from ...ir import PipelineIR
from ...spec.tasks import SqlTask
from .integrations import KIND_INTEGRATIONS, integration_of, task_settings
from .timing import is_handler, plan

TaskDiag = Callable[..., Diagnostic]
OTHER_TARGETS = "deploy it with the databricks or composer target, which run any DAG as written"


def _ancestors(ir: PipelineIR, task_id: str) -> set[str]:
    seen: set[str] = set()
    stack = list(ir.task(task_id).depends_on)
    while stack:
        cur = stack.pop()
        if cur not in seen:
            seen.add(cur)
            stack.extend(ir.task(cur).depends_on)
    return seen


def trigger_rules(ir: PipelineIR, diag: TaskDiag) -> list[Diagnostic]:
    """Step Functions stops a run at its first failure; only whole-pipeline failure handlers map."""
    out: list[Diagnostic] = []
    downstream = ir.downstream()
    handlers = {t.id for t in ir.tasks if is_handler(t)}
    body = [t.id for t in ir.tasks if t.id not in handlers]
    for task in ir.tasks:
        rule = task.trigger_rule
        if rule in ("all_failed", "one_success") and len(task.depends_on) > 1:
            meaning = "all of its upstream tasks failed" if rule == "all_failed" else "one upstream task succeeded"
            out.append(
                diag(
                    task,
                    ("trigger_rule",),
                    "PS461",
                    f"task {task.id!r} runs when {meaning} ({rule}); Step Functions stops the whole run at the "
                    "first failure, so it cannot wait for that",
                    "depend on a single task, use one_failed / all_done at the end of the pipeline, "
                    f"or {OTHER_TARGETS}",
                )
            )
            continue
        if task.id not in handlers:
            continue
        if downstream[task.id]:
            out.append(
                diag(
                    task,
                    ("trigger_rule",),
                    "PS461",
                    f"task {task.id!r} ({rule}) has downstream tasks {sorted(downstream[task.id])}; on Step Functions "
                    "failure handlers run only at the end of a run, after everything else",
                    f"make it a final task (nothing depends on it), or {OTHER_TARGETS}",
                )
            )
            continue
        missing = sorted(set(body) - _ancestors(ir, task.id))
        if missing:
            shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
            out.append(
                diag(
                    task,
                    ("depends_on",),
                    "PS461",
                    f"task {task.id!r} ({rule}) does not depend, directly or indirectly, on {shown}; Step Functions "
                    "stops the whole run at the first failure, so it can only run handlers that cover the whole "
                    "pipeline",
                    f"add the pipeline's last tasks to its depends_on, or {OTHER_TARGETS}",
                )
            )
    return out


def integrations(ir: PipelineIR, diag: TaskDiag) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for task in ir.tasks:
        allowed = KIND_INTEGRATIONS.get(task.kind)
        if allowed is None:
            continue  # the kind check (PS400) reports it
        own = task_settings(task)
        chosen = integration_of(task)
        if chosen not in allowed:
            out.append(
                diag(
                    task,
                    ("targets", "stepfunctions", "integration"),
                    "PS463",
                    f"task {task.id!r} of kind {task.kind!r} cannot use the {chosen!r} integration",
                    f"a {task.kind} task runs with: {', '.join(allowed)}",
                )
            )
            continue
        if chosen == "lambda" and not own.lambda_function:
            out.append(
                diag(
                    task,
                    ("targets", "stepfunctions", "lambda_function"),
                    "PS463",
                    f"task {task.id!r} uses the lambda integration but names no lambda_function",
                    "set targets.stepfunctions.lambda_function to the function's name or ARN",
                )
            )
        spec = task.spec
        if isinstance(spec, SqlTask):
            if spec.file is not None:
                out.append(
                    diag(
                        task,
                        ("file",),
                        "PS465",
                        f"task {task.id!r} reads its SQL from a file; Athena runs inline query text only",
                        "inline the statement with `query: |`",
                    )
                )
            if spec.parameters:
                out.append(
                    diag(
                        task,
                        ("parameters",),
                        "PS465",
                        f"task {task.id!r} has named query parameters; Athena supports positional ones only",
                        "write the values into the query",
                    )
                )
    return out


def approximations(ir: PipelineIR, diag: TaskDiag, pdiag: TaskDiag) -> list[Diagnostic]:
    """Warnings: what deploys, but behaves differently from the spec."""
    warn = Severity.WARNING
    out: list[Diagnostic] = []
    for task in ir.tasks:
        if task.notify.on_retry and task.retry.retries:
            out.append(
                diag(
                    task,
                    ("notify", "on_retry"),
                    "PS466",
                    f"task {task.id!r}: retry alerts are not sent on Step Functions (retries happen inside the Task "
                    "state); failure alerts are",
                    "rely on on_failure, or accept the gap",
                    severity=warn,
                )
            )
        if task.sla_s:
            out.append(
                diag(
                    task,
                    ("sla",),
                    "PS466",
                    f"task {task.id!r}: a task-level SLA is not enforced on Step Functions; the pipeline's "
                    "stale-data alarm covers late runs",
                    "set the SLA on the pipeline, or use the timeout to stop the task",
                    severity=warn,
                )
            )
    timing = plan(ir).timing
    if ir.catchup and ir.schedule is not None:
        out.append(
            pdiag(
                ir,
                ("catchup",),
                "PS466",
                "catchup is not supported: EventBridge Scheduler does not backfill missed runs",
                "start missed runs by hand (aws stepfunctions start-execution)",
                severity=warn,
            )
        )
    if ir.max_active_runs == 1 and ir.schedule is not None:
        from .schedule import longest_gap_s

        gap = longest_gap_s(ir.schedule.cron, ir.schedule.timezone)
        if gap < timing.makespan_s:
            out.append(
                pdiag(
                    ir,
                    ("max_active_runs",),
                    "PS466",
                    "runs may overlap: Step Functions does not limit concurrent executions, and the schedule fires "
                    f"every {format_duration(gap)} while a run is expected to take "
                    f"{format_duration(timing.makespan_s)}",
                    "schedule less often, or make the tasks idempotent",
                    severity=warn,
                )
            )
    if ir.triggers:
        kinds = sorted({t.type for t in ir.triggers if t.type != "manual"})
        if kinds:
            out.append(
                pdiag(
                    ir,
                    ("triggers",),
                    "PS467",
                    f"the stepfunctions target does not deploy {', '.join(kinds)} triggers",
                    "use a schedule (or run the upstream pipeline with a `pipeline` task), or "
                    "remove 'stepfunctions' from the pipeline's targets",
                )
            )
    if timing.added_s > 0.5:
        late = ", ".join(f"{t} +{format_duration(s)}" for t, s in timing.delayed[:5])
        pct = 100 * timing.added_s / timing.critical_path_s if timing.critical_path_s else 0.0
        out.append(
            pdiag(
                ir,
                ("tasks",),
                "PS460",
                f"on Step Functions this DAG runs in {format_duration(timing.makespan_s)} instead of its critical "
                f"path {format_duration(timing.critical_path_s)} (+{format_duration(timing.added_s)}, {pct:.1f}%): "
                f"it is not series-parallel, so some tasks wait longer than their dependencies require ({late})",
                f"accept the delay, add the dependencies the encoding implies, or {OTHER_TARGETS}",
                severity=warn,
            )
        )
    return out


def check(ir: PipelineIR, diag: TaskDiag, pdiag: TaskDiag) -> list[Diagnostic]:
    out = trigger_rules(ir, diag) + integrations(ir, diag)
    if any(d.is_error for d in out):
        return out
    return out + approximations(ir, diag, pdiag)

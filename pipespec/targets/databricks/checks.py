"""Databricks limits and approximations, reported before anything is deployed.

Codes PS440-PS459 are this target's. Errors stop `render`; warnings say what Databricks can
only approximate (backoff, catch-up, task concurrency), naming the task and the exact loss.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ...cron import CronError, to_quartz
from ...diagnostics import Diagnostic, FieldPath, Severity
from ...durations import format_duration
from ...ir import PipelineIR, TaskIR
from ...spec.pipeline import FileArrivalTrigger, ManualTrigger, PipelineCompletionTrigger, TableUpdateTrigger
from ...spec.tasks import DbtTask, SparkTask, SqlTask
from .compile import MAX_TAGS, MAX_TASKS, retry_interval_ms
from .context import TARGET_NAME
from .settings import DatabricksPipelineSettings, DatabricksTaskSettings

TaskDiag = Callable[[TaskIR, FieldPath, str, str, str, Severity], Diagnostic]
PipeDiag = Callable[[PipelineIR, FieldPath, str, str, str, Severity], Diagnostic]

W, E, INFO = Severity.WARNING, Severity.ERROR, Severity.INFO


def _secs(values: tuple[int, ...]) -> str:
    return ", ".join(format_duration(v) for v in values)


def backoff_warning(task: TaskIR) -> tuple[str, str] | None:
    """(message, hint) when Databricks cannot reproduce the task's retry delays exactly."""
    delays = task.retry.delays()
    if len(set(delays)) <= 1:
        return None
    millis = retry_interval_ms(task.retry)
    return (
        f"task {task.id!r} waits {_secs(delays)} before its {len(delays)} retries, but Databricks waits one "
        f"fixed interval: it will wait {format_duration(millis / 1000)} (min_retry_interval_millis={millis}) "
        f"before each retry, the same {format_duration(sum(delays))} in total; the delays {_secs(delays)} are lost",
        "Databricks has no exponential backoff; the mean delay keeps the total wait. Use `backoff: fixed` "
        "to make the spec say what Databricks does",
    )


def check_limits(ir: PipelineIR, tdiag: TaskDiag, pdiag: PipeDiag) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    pipe: DatabricksPipelineSettings = ir.targets.get(TARGET_NAME) or DatabricksPipelineSettings()
    if len(ir.tasks) > MAX_TASKS:
        out.append(
            pdiag(
                ir,
                ("tasks",),
                "PS440",
                f"pipeline {ir.name!r} has {len(ir.tasks)} tasks; a Databricks job holds at most {MAX_TASKS}",
                "split it into pipelines of at most 1,000 tasks and chain them with `kind: pipeline` tasks "
                "(pipespec does not split automatically: a split changes retries, repair runs and run_if semantics)",
                E,
            )
        )
    if ir.schedule is not None:
        try:
            to_quartz(ir.schedule.cron)
        except CronError as exc:
            out.append(pdiag(ir, ("schedule", "cron"), "PS441", exc.message, exc.hint, E))
    out += _triggers(ir, pdiag)
    if ir.catchup:
        out.append(
            pdiag(
                ir,
                ("catchup",),
                "PS444",
                "Databricks does not backfill missed schedule runs: `catchup: true` is ignored",
                "run missed intervals by hand (Run now with parameters) or set `catchup: false`",
                W,
            )
        )
    if ir.max_active_tasks is not None:
        out.append(
            pdiag(
                ir,
                ("max_active_tasks",),
                "PS445",
                "Databricks has no per-job limit on concurrently running tasks: `max_active_tasks` is ignored",
                "limit parallelism with depends_on, or size the job cluster",
                W,
            )
        )
    tags = len({*ir.tags, "owner"})
    if tags > MAX_TAGS:
        msg = f"the job would carry {tags} tags (the spec's and 'owner'); Databricks allows {MAX_TAGS}"
        out.append(pdiag(ir, ("tags",), "PS446", msg, "drop some tags", E))
    out += _clusters(ir, pipe, pdiag)
    for task in ir.tasks:
        out += _task(task, pipe, tdiag)
    out += _backoff(ir, tdiag)
    return _merge_per_task(out, "PS456")


def _merge_per_task(diags: list[Diagnostic], code: str) -> list[Diagnostic]:
    """Fold a per-task warning that repeats across tasks into its first occurrence, naming the rest."""
    same = [d for d in diags if d.code == code]
    if len(same) < 2:
        return diags
    others = [str(d.path[1]) for d in same[1:]]
    shown = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
    first = replace(same[0], message=f"{same[0].message}; the same holds for {shown}")
    return [first if d is same[0] else d for d in diags if d.code != code or d is same[0]]


def _backoff(ir: PipelineIR, tdiag: TaskDiag) -> list[Diagnostic]:
    """One PS454 per distinct retry policy, at its first task, naming the others: a pipeline whose
    defaults use exponential backoff gets one warning, not one per task."""
    groups: dict[tuple[int, ...], list[TaskIR]] = {}
    for task in ir.tasks:
        if backoff_warning(task):
            groups.setdefault(task.retry.delays(), []).append(task)
    out: list[Diagnostic] = []
    for members in groups.values():
        message, hint = backoff_warning(members[0]) or ("", "")
        others = [t.id for t in members[1:]]
        if others:
            shown = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
            message += f"; the same holds for {shown}"
        out.append(tdiag(members[0], ("retries",), "PS454", message, hint, W))
    return out


def _triggers(ir: PipelineIR, pdiag: PipeDiag) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    native = []
    for i, trig in enumerate(ir.triggers):
        if isinstance(trig, PipelineCompletionTrigger):
            out.append(
                pdiag(
                    ir,
                    ("triggers", i),
                    "PS442",
                    f"Databricks jobs cannot be triggered by another job's completion (pipeline {trig.pipeline!r})",
                    f"add a `kind: pipeline` task running {ir.name!r} at the end of {trig.pipeline!r} "
                    "(with trigger_rule for the status you want), or trigger on the tables it writes "
                    "(`type: table_update`)",
                    E,
                )
            )
        elif isinstance(trig, FileArrivalTrigger | TableUpdateTrigger):
            native.append(i)
        elif not isinstance(trig, ManualTrigger):
            raise AssertionError(trig)
    if len(native) + (ir.schedule is not None) > 1:
        out.append(
            pdiag(
                ir,
                ("triggers", native[-1]),
                "PS443",
                "a Databricks job has one trigger: a schedule, one file-arrival or one table-update trigger",
                "keep one (a table_update trigger can list several tables), or split the pipeline",
                E,
            )
        )
    return out


def _clusters(ir: PipelineIR, pipe: DatabricksPipelineSettings, pdiag: PipeDiag) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    base: FieldPath = ("targets", "databricks")
    if pipe.default_cluster and pipe.default_cluster not in pipe.job_clusters:
        msg = f"default_cluster {pipe.default_cluster!r} is not among the job clusters"
        out.append(pdiag(ir, (*base, "default_cluster"), "PS447", msg, _known(pipe), E))
    for key, cluster in sorted(pipe.job_clusters.items()):
        if (cluster.autoscale_min_workers is None) != (cluster.autoscale_max_workers is None):
            msg = f"job cluster {key!r} sets only one of autoscale_min_workers / autoscale_max_workers"
            out.append(pdiag(ir, (*base, "job_clusters", key), "PS448", msg, "set both, or num_workers", E))
    return out


def _known(pipe: DatabricksPipelineSettings) -> str:
    known = ", ".join(sorted(pipe.job_clusters)) or "none defined"
    return f"define it under targets.databricks.job_clusters (known: {known})"


def _task(task: TaskIR, pipe: DatabricksPipelineSettings, tdiag: TaskDiag) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    settings: DatabricksTaskSettings = task.settings(TARGET_NAME) or DatabricksTaskSettings()
    at: FieldPath = ("targets", "databricks")
    if settings.cluster and settings.cluster not in pipe.job_clusters:
        msg = f"task {task.id!r} names job cluster {settings.cluster!r}, which is not defined"
        out.append(tdiag(task, (*at, "cluster"), "PS447", msg, _known(pipe), E))
    if settings.source == "GIT" and pipe.git_source is None:
        msg = f"task {task.id!r} reads its source from git but the pipeline has no git_source"
        out.append(tdiag(task, (*at, "source"), "PS449", msg, "set targets.databricks.git_source", E))
    spec = task.spec
    if isinstance(spec, SparkTask) and spec.main.endswith(".jar") and not spec.main_class:
        msg = f"spark task {task.id!r} runs a JAR but names no main_class"
        out.append(tdiag(task, ("main_class",), "PS452", msg, "set main_class to the JAR's entry class", E))
    if isinstance(spec, SqlTask) and spec.check and spec.file and (settings.source == "GIT" or spec.file[0] != "/"):
        msg = f"sql check {task.id!r} reads {spec.file!r}, which the check runner cannot open"
        hint = "use an absolute workspace path (/Workspace/... or /Volumes/...) or an inline `query`"
        out.append(tdiag(task, ("file",), "PS453", msg, hint, E))
    if isinstance(spec, DbtTask) and not spec.project_dir and settings.source != "GIT" and pipe.git_source is None:
        msg = f"dbt task {task.id!r} names no project_dir and the pipeline has no git_source"
        hint = (
            "Databricks needs the dbt project's workspace folder: set project_dir, targets.databricks.git_source, "
            "or `dbt_project_directory` in the stack's pipespec:databricks config"
        )
        out.append(tdiag(task, ("project_dir",), "PS456", msg, hint, W))
    if task.notify.on_retry and task.retry.retries > 0:
        msg = (
            f"task {task.id!r}: Databricks has no retry notification; the on_retry channels are told of "
            "every failed attempt (the last one included)"
        )
        out.append(tdiag(task, ("notify", "on_retry"), "PS455", msg, "", INFO))
    return out

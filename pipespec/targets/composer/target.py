"""Cloud Composer (Airflow) target: kinds, naming rules, limits and approximations (compiler in compile.py)."""

from __future__ import annotations

from typing import ClassVar

from ...diagnostics import Diagnostic, Severity
from ...environment import Deployment
from ...ir import PipelineIR, TaskIR
from ..base import NameRule, Rendered, Target
from .compile import compile_dag
from .plan import OPERATOR_KINDS, image_for, operator_name
from .settings import ComposerPipelineSettings, ComposerStack

W, INFO = Severity.WARNING, Severity.INFO


class ComposerTarget(Target):
    name = "composer"
    title = "Cloud Composer (Airflow)"
    kinds = frozenset({"python", "python_wheel", "shell", "sql", "dbt", "notebook", "spark", "http", "pipeline"})
    unsupported_hints: ClassVar[dict[str, str]] = {
        "glue": "Glue jobs run on AWS: deploy this pipeline with the stepfunctions target instead",
    }
    task_id_rule = NameRule("Airflow task_id", r"[A-Za-z0-9_.-]+", 250, "only letters, digits, '_', '.', '-'")
    pipeline_name_rule = NameRule("Airflow dag_id", r"[A-Za-z0-9_.-]+", 250, "only letters, digits, '_', '.', '-'")
    stack_settings = ComposerStack

    def check_limits(self, ir: PipelineIR) -> list[Diagnostic]:
        out: list[Diagnostic] = []
        pipe = ir.targets.get("composer")
        pipeline = pipe if isinstance(pipe, ComposerPipelineSettings) else ComposerPipelineSettings()
        for task in ir.tasks:
            op = operator_name(task, pipeline)
            at = ("targets", "composer", "operator")
            if task.kind not in OPERATOR_KINDS[op]:
                fits = sorted(o for o, kinds in OPERATOR_KINDS.items() if task.kind in kinds)
                msg = f"operator {op!r} cannot run task {task.id!r} of kind {task.kind!r}"
                out.append(self.diag(task, at, "PS470", msg, f"use one of: {', '.join(fits)}"))
                continue
            if op == "kubernetes_pod" and not image_for(task, pipeline):
                msg = f"task {task.id!r} runs in a Kubernetes pod but no container image is set"
                hint = "set targets.composer.image on the task or the pipeline"
                out.append(self.diag(task, ("targets", "composer", "image"), "PS471", msg, hint))
            if op == "dataproc" and not pipeline.dataproc_cluster:
                msg = f"spark task {task.id!r} needs a Dataproc cluster"
                hint = "set targets.composer.dataproc_cluster on the pipeline"
                out.append(self.pipeline_diag(ir, ("targets", "composer", "dataproc_cluster"), "PS472", msg, hint))
        out += self._approximations(ir)
        for trigger in ir.triggers:
            if trigger.type != "manual":
                msg = f"{trigger.type} triggers are not deployed on Composer: the DAG runs on its schedule or manually"
                hint = "add a schedule, or trigger the DAG from the upstream system (Airflow REST API)"
                out.append(self.pipeline_diag(ir, ("triggers",), "PS476", msg, hint, W))
        if ir.notify.on_start:
            msg = "pipeline-level on_start notifications are not sent on Composer (Airflow has no run-start callback)"
            hint = "set notify.on_start on the first task instead"
            out.append(self.pipeline_diag(ir, ("notify", "on_start"), "PS477", msg, hint, W))
        if ir.sla_s and ir.notify.on_sla_miss:
            msg = (
                "pipeline SLA: Airflow 2.10 alerts on time (sla_miss_callback); Airflow 3 has no SLA callback, "
                "so the run's duration is checked when it ends and the stale-data alert policy covers runs still going"
            )
            out.append(self.pipeline_diag(ir, ("sla",), "PS478", msg, "", INFO))
        return out

    def _approximations(self, ir: PipelineIR) -> list[Diagnostic]:
        """One diagnostic per approximation, at the first task it affects, naming all of them."""
        backoff = [t for t in ir.tasks if t.retry.retries and t.retry.exponential]
        timeouts = [t for t in ir.tasks if t.retry.retries and t.timeout_s and not t.retry.retry_on_timeout]
        slas = [t for t in ir.tasks if t.sla_s and t.notify.on_sla_miss]
        out: list[Diagnostic] = []
        if backoff:
            rates = sorted({f"{t.retry.backoff_rate:g}" for t in backoff})
            other = [r for r in rates if r != "2"]
            msg = (
                f"exponential retry delays (e.g. {list(backoff[0].retry.delays())}s for {backoff[0].id!r}) are exact "
                f"on Airflow 3.3+ (generated retry_policy); Airflow 2.10 and 3.1-3.2 use their own backoff: factor 2"
                + (f" instead of {', '.join(other)}" if other else "")
                + f", plus up to 100% hash-based jitter per try; tasks: {_names(backoff)}"
            )
            hint = "use a Composer image with Airflow 3.3+, or `backoff: fixed` for exact waits everywhere"
            out.append(self.diag(backoff[0], ("retries",), "PS473", msg, hint, W))
        if timeouts:
            msg = (
                "timeouts are not retried per the spec, which Airflow 3.3+ honours (generated retry_policy); "
                f"Airflow 2.10 and 3.1-3.2 retry timed-out tasks; tasks: {_names(timeouts)}"
            )
            hint = "set retries.retry_on_timeout: true to get the same behaviour everywhere"
            out.append(self.diag(timeouts[0], ("retries", "retry_on_timeout"), "PS474", msg, hint, W))
        if slas:
            msg = f"task SLAs are checked when the task succeeds (Airflow has no run-time task SLA): {_names(slas)}"
            out.append(self.diag(slas[0], ("sla",), "PS475", msg, "", INFO))
        return out

    def render(self, ir: PipelineIR, deployment: Deployment | None = None) -> list[Rendered]:
        compiled = compile_dag(ir, self.deployment(deployment))
        return [Rendered(compiled.filename, compiled.source)]

    def summary(self, ir: PipelineIR, deployment: Deployment | None = None) -> list[str]:
        compiled = compile_dag(ir, self.deployment(deployment))
        marks = ", ".join(f"${{{p}}}" for p in compiled.placeholders) or "none"
        return [
            f"Airflow {compiled.airflow_version} DAG {compiled.dag_id!r}: {len(ir.tasks)} tasks; "
            f"placeholders filled at deploy time: {marks}"
        ]


def _names(tasks: list[TaskIR], most: int = 5) -> str:
    shown = ", ".join(t.id for t in tasks[:most])
    return shown + (f" and {len(tasks) - most} more" if len(tasks) > most else "")


TARGET = ComposerTarget()

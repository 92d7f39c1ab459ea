"""Airflow on Amazon MWAA: the Composer target's DAG file in its AWS flavour (compiler in compile.py)."""

from __future__ import annotations

import re
from typing import ClassVar

from ...diagnostics import Diagnostic, Severity
from ...environment import Deployment
from ...ir import PipelineIR, TaskIR
from ...spec.tasks import GlueTask
from ..base import NameRule, Rendered, Target
from .compile import compile_mwaa, policy_json, requirements_txt, stack_of
from .plan import OPERATOR_KINDS, resolve
from .stack import MwaaStack

W, INFO = Severity.WARNING, Severity.INFO
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z]+)(?::[^}]*)?\}")


class MwaaTarget(Target):
    name = "mwaa"
    title = "Airflow on Amazon MWAA"
    kinds = frozenset({"python", "python_wheel", "shell", "sql", "dbt", "notebook", "glue", "http", "pipeline"})
    unsupported_hints: ClassVar[dict[str, str]] = {
        "spark": "on MWAA, run Spark as a Glue job (a glue task with a `script`), "
        "or deploy this pipeline with the stepfunctions target (EMR Serverless)",
    }
    task_id_rule = NameRule("Airflow task_id", r"[A-Za-z0-9_.-]+", 250, "only letters, digits, '_', '.', '-'")
    pipeline_name_rule = NameRule("Airflow dag_id", r"[A-Za-z0-9_.-]+", 250, "only letters, digits, '_', '.', '-'")
    stack_settings = MwaaStack

    def check_limits(self, ir: PipelineIR) -> list[Diagnostic]:
        out: list[Diagnostic] = []
        for task in ir.tasks:
            op = resolve(task, ir, MwaaStack()).operator
            if task.kind not in OPERATOR_KINDS.get(op, frozenset()):
                fits = sorted(o for o, kinds in OPERATOR_KINDS.items() if task.kind in kinds)
                msg = f"operator {op!r} cannot run task {task.id!r} of kind {task.kind!r}"
                out.append(
                    self.diag(task, ("targets", "mwaa", "operator"), "PS491", msg, f"use one of: {', '.join(fits)}")
                )
        for task in ir.tasks:
            spec = task.spec
            if isinstance(spec, GlueTask) and not spec.job_name and spec.script and not spec.script.startswith("s3://"):
                msg = f"glue task {task.id!r}: the script of a job the DAG creates must be an s3:// location"
                out.append(
                    self.diag(task, ("script",), "PS492", msg, "upload the script to S3 and point `script` at it")
                )
        out += self._approximations(ir)
        for trigger in ir.triggers:
            if trigger.type != "manual":
                msg = f"{trigger.type} triggers are not deployed on MWAA: the DAG runs on its schedule or manually"
                hint = "add a schedule, or trigger the DAG from the upstream system (MWAA's Airflow REST API)"
                out.append(self.pipeline_diag(ir, ("triggers",), "PS496", msg, hint, W))
        if ir.notify.on_start:
            msg = "pipeline-level on_start notifications are not sent on MWAA (Airflow has no run-start callback)"
            out.append(
                self.pipeline_diag(ir, ("notify", "on_start"), "PS497", msg, "set notify.on_start on the first task", W)
            )
        if ir.sla_s and ir.notify.on_sla_miss:
            msg = (
                "pipeline SLA: Airflow 2 environments alert on time (sla_miss_callback); Airflow 3 has no SLA "
                "callback, so the run's duration is checked when it ends"
            )
            out.append(self.pipeline_diag(ir, ("sla",), "PS498", msg, "", INFO))
        return out

    def _approximations(self, ir: PipelineIR) -> list[Diagnostic]:
        """One diagnostic per approximation, at the first task it affects, naming all of them."""
        backoff = [t for t in ir.tasks if t.retry.retries and t.retry.exponential]
        timeouts = [t for t in ir.tasks if t.retry.retries and t.timeout_s and not t.retry.retry_on_timeout]
        slas = [t for t in ir.tasks if t.sla_s and t.notify.on_sla_miss]
        out: list[Diagnostic] = []
        if backoff:
            msg = (
                f"exponential retry delays (e.g. {list(backoff[0].retry.delays())}s for {backoff[0].id!r}) are "
                "exact on MWAA Airflow 3.3.1 (generated retry_policy); Airflow 2.10/2.11, 3.0 and 3.2 environments "
                f"use Airflow's own backoff (factor 2 plus up to 100% jitter); tasks: {_names(backoff)}"
            )
            hint = (
                "set airflow_version 3.3.1 in the stack's pipespec:mwaa, or `backoff: fixed` for exact waits everywhere"
            )
            out.append(self.diag(backoff[0], ("retries",), "PS493", msg, hint, W))
        if timeouts:
            msg = (
                "timeouts are not retried per the spec, which MWAA Airflow 3.3.1 honours (generated retry_policy); "
                f"older environments retry timed-out tasks; tasks: {_names(timeouts)}"
            )
            hint = "set retries.retry_on_timeout: true to get the same behaviour everywhere"
            out.append(self.diag(timeouts[0], ("retries", "retry_on_timeout"), "PS494", msg, hint, W))
        if slas:
            msg = f"task SLAs are checked when the task succeeds (Airflow has no run-time task SLA): {_names(slas)}"
            out.append(self.diag(slas[0], ("sla",), "PS495", msg, "", INFO))
        return out

    def render(self, ir: PipelineIR, deployment: Deployment | None = None) -> list[Rendered]:
        # A stack's settings must give what the tasks need (PS490); without a stack (`pipespec render`)
        # what only a stack can give is written as ${Stack:<setting>}.
        strict = deployment is not None
        deployment = self.deployment(deployment)
        compiled = compile_mwaa(ir, deployment, strict=strict)
        stem = compiled.dag_id
        return [
            Rendered(compiled.filename, compiled.source),
            Rendered(f"{stem}.requirements.txt", requirements_txt(stack_of(deployment), [compiled])),
            Rendered(f"{stem}.iam.json", policy_json(compiled.task_policy)),
        ]

    def summary(self, ir: PipelineIR, deployment: Deployment | None = None) -> list[str]:
        compiled = compile_mwaa(ir, self.deployment(deployment), strict=deployment is not None)
        marks = ", ".join(f"${{{p}}}" for p in compiled.placeholders) or "none"
        policy = sorted({m.group(0) for m in _PLACEHOLDER.finditer(policy_json(compiled.task_policy))})
        return [
            f"MWAA Airflow {compiled.airflow_version} DAG {compiled.dag_id!r}: {len(ir.tasks)} tasks; "
            f"providers: {', '.join(compiled.providers)}; placeholders filled at deploy time: {marks}",
            f"execution-role policy for its tasks: {len(compiled.task_policy['Statement'])} statements; "
            f"placeholders: {', '.join(policy) or 'none'}",
        ] + (
            [f"stack settings to set before deploying: {', '.join(compiled.missing_stack)}"]
            if compiled.missing_stack
            else []
        )


def _names(tasks: list[TaskIR], most: int = 5) -> str:
    shown = ", ".join(t.id for t in tasks[:most])
    return shown + (f" and {len(tasks) - most} more" if len(tasks) > most else "")


TARGET = MwaaTarget()

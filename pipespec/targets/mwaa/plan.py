"""Which Airflow operator runs each task on MWAA, with which arguments: the AWS half of the DAG flavour.

Kinds both platforms run the same way (bash, python, http, trigger_dagrun) use the Composer
generator's builders; AWS services get their amazon-provider operators. `Planner.plan` is the
flavour's per-task hook: it also records every plan, from which `iam.py` derives what the
execution role must be allowed to call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ...diagnostics import Diagnostic, Severity
from ...ir import PipelineIR, TaskIR
from ...notify_plan import bounded
from ...spec.tasks import GlueTask, HttpTask, PipelineRunTask, PythonTask, SqlTask
from ..composer.plan import OperatorPlan, argv, bash_plan, http_plan, python_plan, trigger_plan
from ..glue.settings import GlueJobSettings
from .settings import MwaaPipelineSettings, MwaaTaskSettings
from .stack import MwaaStack

AMAZON = "airflow.providers.amazon.aws.operators"
ATHENA, REDSHIFT, GLUE, ECS = f"{AMAZON}.athena", f"{AMAZON}.redshift_data", f"{AMAZON}.glue", f"{AMAZON}.ecs"
COMMANDS = frozenset({"python", "python_wheel", "shell", "dbt", "notebook"})
OPERATOR_KINDS: dict[str, frozenset[str]] = {
    "bash": COMMANDS,
    "ecs": COMMANDS,
    "python": frozenset({"python"}),
    "athena": frozenset({"sql"}),
    "redshift": frozenset({"sql"}),
    "glue": frozenset({"glue"}),
    "http": frozenset({"http"}),
    "trigger_dagrun": frozenset({"pipeline"}),
}
DEFAULT_OPERATOR = {"glue": "glue", "http": "http", "pipeline": "trigger_dagrun"}
GLUE_DEFAULTS = GlueJobSettings(job_type="spark", glue_version="4.0", worker_type="G.1X", number_of_workers=2)
JOB_NAME_MAX = 255


def task_settings(task: TaskIR) -> MwaaTaskSettings:
    own = task.settings("mwaa")
    return own if isinstance(own, MwaaTaskSettings) else MwaaTaskSettings()


def pipeline_settings(ir: PipelineIR) -> MwaaPipelineSettings:
    own = ir.targets.get("mwaa")
    return own if isinstance(own, MwaaPipelineSettings) else MwaaPipelineSettings()


def glue_job_name(task: TaskIR, deployed: str) -> str:
    """An existing job by its name, else the job the DAG creates: `<deployed pipeline>-<task id>`."""
    spec = task.spec
    assert isinstance(spec, GlueTask)
    return spec.job_name or bounded(f"{deployed}-{task.id}", JOB_NAME_MAX)


@dataclass(frozen=True)
class Resolved:
    """Settings resolved field by field: task, then pipeline, then stack."""

    task: MwaaTaskSettings
    pipeline: MwaaPipelineSettings
    stack: MwaaStack
    kind: str

    @property
    def operator(self) -> str:
        """The task's override, else the kind's default; commands run on ECS when the stack has an ECS setup."""
        kind = self.kind
        if self.task.operator:
            return self.task.operator
        if kind == "sql":
            return self.pipeline.sql_engine or self.stack.sql_engine
        if kind in DEFAULT_OPERATOR:
            return DEFAULT_OPERATOR[kind]
        return "ecs" if self.stack.ecs_ready else "bash"

    @property
    def aws_conn_id(self) -> str:
        return aws_conn_id(self.pipeline, self.stack)

    @property
    def ecs_task_definition(self) -> str | None:
        return self.task.ecs_task_definition or self.pipeline.ecs_task_definition or self.stack.ecs_task_definition

    @property
    def container_name(self) -> str | None:
        return self.task.container_name or self.pipeline.container_name or self.stack.ecs_container_name

    @property
    def athena_database(self) -> str | None:
        return self.pipeline.athena_database or self.stack.athena_database

    @property
    def athena_workgroup(self) -> str:
        return self.pipeline.athena_workgroup or self.stack.athena_workgroup

    @property
    def athena_output_location(self) -> str | None:
        return self.pipeline.athena_output_location or self.stack.athena_output_location

    @property
    def redshift_database(self) -> str | None:
        return self.pipeline.redshift_database or self.stack.redshift_database

    def glue(self) -> GlueJobSettings:
        """A created job's resources: the task's, else the pipeline's, else Glue's defaults, field by field."""
        out = GLUE_DEFAULTS
        for layer in (self.pipeline.glue, self.task.glue):
            if layer is not None:
                out = out.model_copy(update={k: v for k, v in layer.model_dump().items() if v is not None})
        return out


def aws_conn_id(pipeline: MwaaPipelineSettings, stack: MwaaStack) -> str:
    return pipeline.aws_conn_id or stack.aws_conn_id


def resolve(task: TaskIR, ir: PipelineIR, stack: MwaaStack) -> Resolved:
    return Resolved(task_settings(task), pipeline_settings(ir), stack, task.kind)


def _diag(task: TaskIR, path: tuple[str, ...], message: str, hint: str) -> Diagnostic:
    src = task.source
    return Diagnostic(
        src.file, src.line, src.column, Severity.ERROR, "PS490", message, ("tasks", task.id, *path), hint, "mwaa"
    )


def deployment_problems(ir: PipelineIR, stack: MwaaStack) -> list[Diagnostic]:
    """What this stack's settings lack for these tasks (only known once the stack is)."""
    out: list[Diagnostic] = []
    where = ("targets", "mwaa")
    for task in ir.tasks:
        r = resolve(task, ir, stack)
        op, spec = r.operator, task.spec
        if task.kind not in OPERATOR_KINDS.get(op, frozenset()):
            continue  # the target's check() reports the operator/kind mismatch
        if op == "ecs":
            missing = [
                name
                for name, value in (
                    ("ecs_cluster", stack.ecs_cluster),
                    ("ecs_task_definition", r.ecs_task_definition),
                    ("ecs_container_name", r.container_name),
                    ("ecs_subnets", stack.ecs_subnets),
                )
                if not value
            ]
            if missing:
                msg = f"task {task.id!r} runs on ECS but the stack has no {', '.join(missing)}"
                out.append(_diag(task, (*where, "operator"), msg, "set them under pipespec:mwaa, or use operator bash"))
        if op == "athena" and not r.athena_database:
            msg = f"sql task {task.id!r} runs on Athena but names no database"
            hint = "set targets.mwaa.athena_database on the pipeline or athena_database in the stack's pipespec:mwaa"
            out.append(_diag(task, where, msg, hint))
        if op == "redshift" and not (stack.redshift_cluster_identifier or stack.redshift_workgroup_name):
            msg = f"sql task {task.id!r} runs on Redshift but the stack names no cluster or serverless workgroup"
            out.append(_diag(task, where, msg, "set redshift_cluster_identifier or redshift_workgroup_name"))
        if op == "redshift" and not r.redshift_database:
            msg = f"sql task {task.id!r} runs on Redshift but names no database"
            out.append(_diag(task, where, msg, "set redshift_database on the pipeline or in the stack"))
        if isinstance(spec, GlueTask) and not spec.job_name and spec.script and not stack.glue_role_arn:
            msg = f"glue task {task.id!r} creates a Glue job, which needs a role to run as"
            out.append(_diag(task, ("script",), msg, "set glue_role_arn in the stack's pipespec:mwaa"))
    return out


def stack_placeholder(setting: str) -> str:
    """Stand-in for a stack setting a render without a stack has no value for (the component refuses it)."""
    return "${Stack:" + setting + "}"


@dataclass
class Planner:
    """The MWAA flavour's per-task operator plans (records each, for requirements and IAM)."""

    ir: PipelineIR
    stack: MwaaStack
    deployed_name: Callable[[str], str]
    dag_id: str
    plans: dict[str, OperatorPlan] = field(default_factory=dict)
    created_glue_jobs: dict[str, str] = field(default_factory=dict)  # task id -> job name
    missing: set[str] = field(default_factory=set)  # stack settings written as ${Stack:<setting>}

    def _stack(self, setting: str, value: Any) -> Any:
        if value:
            return value
        self.missing.add(setting)
        return stack_placeholder(setting)

    def plan(self, task: TaskIR) -> OperatorPlan:
        out = self._plan(task, resolve(task, self.ir, self.stack))
        self.plans[task.id] = out
        return out

    def _plan(self, task: TaskIR, r: Resolved) -> OperatorPlan:
        op, spec, version = r.operator, task.spec, self.stack.airflow_major
        aws = ("aws_conn_id", r.aws_conn_id)
        if op == "bash":
            return bash_plan(task, version)
        if op == "python" and isinstance(spec, PythonTask):
            return python_plan(spec, version)
        if op == "http" and isinstance(spec, HttpTask):
            return http_plan(spec, self.dag_id, r.pipeline.http_conn_id)
        if op == "trigger_dagrun" and isinstance(spec, PipelineRunTask):
            return trigger_plan(spec, version, self.deployed_name)
        if op == "ecs":
            vector = argv(task)
            subnets = list(self.stack.ecs_subnets) or [self._stack("ecs_subnets", None)]
            network = {
                "subnets": subnets,
                "assignPublicIp": "ENABLED" if self.stack.ecs_assign_public_ip else "DISABLED",
            }
            if self.stack.ecs_security_groups:
                network["securityGroups"] = list(self.stack.ecs_security_groups)
            kwargs: tuple[tuple[str, Any], ...] = (
                ("cluster", self._stack("ecs_cluster", self.stack.ecs_cluster)),
                ("task_definition", self._stack("ecs_task_definition", r.ecs_task_definition)),
                ("launch_type", "FARGATE"),
                (
                    "overrides",
                    {
                        "containerOverrides": [
                            {"name": self._stack("ecs_container_name", r.container_name), "command": vector}
                        ]
                    },
                ),
                ("network_configuration", {"awsvpcConfiguration": network}),
                ("wait_for_completion", True),
                aws,
            )
            return OperatorPlan("EcsRunTaskOperator", ECS, kwargs)
        if op == "athena" and isinstance(spec, SqlTask):
            return self._athena(spec, r, aws)
        if op == "redshift" and isinstance(spec, SqlTask):
            return self._redshift(spec, r, aws)
        if op == "glue" and isinstance(spec, GlueTask):
            return self._glue(task, spec, r, aws)
        raise ValueError(f"operator {op!r} cannot run task {task.id!r} of kind {task.kind!r}")  # check() rejects it

    def _athena(self, spec: SqlTask, r: Resolved, aws: tuple[str, Any]) -> OperatorPlan:
        query = spec.query if spec.query is not None else spec.file
        kwargs: list[tuple[str, Any]] = [
            ("query", query),
            ("database", self._stack("athena_database", r.athena_database)),
        ]
        if r.athena_output_location:
            kwargs.append(("output_location", r.athena_output_location))
        kwargs += [("workgroup", r.athena_workgroup), aws]
        if spec.parameters:  # Athena's execution parameters fill `?` in order; named values become Jinja params
            kwargs.append(("params", dict(sorted(spec.parameters.items()))))
        if spec.check:
            kwargs.append(("deferrable", False))  # the check reads the results in execute()
            helpers = frozenset({"check_row", "athena_check"})
            return OperatorPlan("AthenaCheckOperator", ATHENA, tuple(kwargs), helpers=helpers, base="AthenaOperator")
        return OperatorPlan("AthenaOperator", ATHENA, tuple(kwargs))

    def _redshift(self, spec: SqlTask, r: Resolved, aws: tuple[str, Any]) -> OperatorPlan:
        sql = spec.query if spec.query is not None else spec.file
        kwargs: list[tuple[str, Any]] = [
            ("sql", sql),
            ("database", self._stack("redshift_database", r.redshift_database)),
        ]
        if self.stack.redshift_workgroup_name:
            kwargs.append(("workgroup_name", self.stack.redshift_workgroup_name))
        else:
            kwargs.append(
                (
                    "cluster_identifier",
                    self._stack("redshift_cluster_identifier", self.stack.redshift_cluster_identifier),
                )
            )
            if self.stack.redshift_db_user:
                kwargs.append(("db_user", self.stack.redshift_db_user))
        if spec.parameters:  # Redshift Data API named parameters (:name in the SQL)
            params = [{"name": k, "value": v} for k, v in sorted(spec.parameters.items())]
            kwargs.append(("parameters", params))
        kwargs += [("wait_for_completion", True), aws]
        if spec.check:
            kwargs += [("return_sql_result", True), ("deferrable", False)]
            helpers = frozenset({"check_row", "redshift_check"})
            return OperatorPlan(
                "RedshiftDataCheckOperator", REDSHIFT, tuple(kwargs), helpers=helpers, base="RedshiftDataOperator"
            )
        return OperatorPlan("RedshiftDataOperator", REDSHIFT, tuple(kwargs))

    def _glue(self, task: TaskIR, spec: GlueTask, r: Resolved, aws: tuple[str, Any]) -> OperatorPlan:
        name = glue_job_name(task, self.dag_id)
        kwargs: list[tuple[str, Any]] = [("job_name", name)]
        if not spec.job_name and spec.script:
            self.created_glue_jobs[task.id] = name
            glue = r.glue()
            if glue.job_type == "python_shell":
                command = {"Name": "pythonshell", "PythonVersion": "3.9", "ScriptLocation": spec.script}
                create = {"Command": command, "GlueVersion": "3.0", "MaxCapacity": glue.python_shell_capacity or 0.0625}
            else:
                create = {
                    "GlueVersion": glue.glue_version,
                    "NumberOfWorkers": glue.number_of_workers,
                    "WorkerType": glue.worker_type,
                }
            kwargs += [
                ("script_location", spec.script),
                ("iam_role_arn", self._stack("glue_role_arn", self.stack.glue_role_arn)),
                ("create_job_kwargs", create),
                ("update_config", True),  # the job follows the spec on every run
            ]
        if spec.arguments:
            kwargs.append(("script_args", {_arg_key(k): v for k, v in sorted(spec.arguments.items())}))
        kwargs += [("wait_for_completion", True), aws]
        return OperatorPlan("GlueJobOperator", GLUE, tuple(kwargs))


def _arg_key(key: str) -> str:
    return key if key.startswith("--") else f"--{key}"


def placement(task: TaskIR) -> tuple[tuple[str, Any], ...]:
    own = task_settings(task)
    out: list[tuple[str, Any]] = []
    if own.pool:
        out.append(("pool", own.pool))
    if own.queue:
        out.append(("queue", own.queue))
    return tuple(out)

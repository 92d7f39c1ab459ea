"""PipelineIR -> the MWAA flavour of the Airflow DAG file, its requirements and its execution-role policy.

The DAG comes from the one generator (`pipespec.targets.composer.compile.compile_dag`) with the
AWS flavour: amazon-provider operators where platforms differ (`plan.py`), alerts to SNS through
`SnsHook` (`templates.py`). Pure and deterministic; what a component needs is in `CompiledMwaa`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ...alerts import NEXT_STEP, AlertMessage, title
from ...diagnostics import SpecError
from ...environment import Deployment
from ...ir import PipelineIR
from ...notify_plan import routed_channels
from ..composer.compile import CompiledDag, Flavour, compile_dag
from ..composer.pysrc import literal, string
from . import templates
from .iam import task_policy
from .plan import Planner, aws_conn_id, deployment_problems, pipeline_settings, placement
from .stack import MwaaStack

ALERT_TOPIC_PLACEHOLDER = "${AlertTopicArn}"
SECRETS_BACKEND = "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend"
CONNECTIONS_PREFIX = "airflow/connections"
VARIABLES_PREFIX = "airflow/variables"
# Only pipespec's own names go to Secrets Manager: every other lookup (aws_default, user variables)
# stays in the metadata database, and the role needs no access to secrets it does not own.
SECRETS_BACKEND_KWARGS = {
    "connections_prefix": CONNECTIONS_PREFIX,
    "variables_prefix": VARIABLES_PREFIX,
    "connections_lookup_pattern": "^pipespec_",
    "variables_lookup_pattern": "^pipespec_",
}
SUBJECT_MAX = 99  # SNS subjects: printable ASCII, under 100 characters


class MwaaCompileError(SpecError):
    """The pipeline needs stack settings this stack does not give."""


@dataclass(frozen=True)
class Secret:
    """One Secrets Manager secret the Airflow secrets backend reads."""

    name: str  # airflow/variables/<variable> or airflow/connections/<conn id>
    config_key: str | None = None  # the value is this Pulumi config secret …
    text: str | None = None  # … or this (non-secret) text, e.g. a connection's JSON


@dataclass(frozen=True)
class CompiledMwaa:
    """The DAG file and the deployment facts the MWAA component needs (it never re-derives them)."""

    dag: CompiledDag
    airflow_version: str  # the MWAA release, e.g. "3.3.1"
    providers: tuple[str, ...]  # short provider names the DAG imports: amazon, http, standard
    task_policy: dict[str, Any]  # the execution role's policy for this DAG's tasks (iam.py placeholders)
    secrets: tuple[Secret, ...] = ()
    created_glue_jobs: dict[str, str] = field(default_factory=dict)  # task id -> Glue job the DAG creates
    missing_stack: tuple[str, ...] = ()  # stack settings written as ${Stack:<setting>} (render without a stack)

    @property
    def dag_id(self) -> str:
        return self.dag.dag_id

    @property
    def filename(self) -> str:
        return self.dag.filename

    @property
    def source(self) -> str:
        return self.dag.source

    @property
    def placeholders(self) -> tuple[str, ...]:
        return self.dag.placeholders


def stack_of(deployment: Deployment) -> MwaaStack:
    settings = deployment.settings
    return settings if isinstance(settings, MwaaStack) else MwaaStack()


def alert_subjects(dag_id: str, environment: str) -> dict[str, str]:
    """Email subjects per event (`pipespec.alerts.title`); `{task}` becomes `.<task id>` or nothing at run time."""
    out = {}
    for event in sorted(NEXT_STEP):
        message: AlertMessage = {"event": event, "pipeline": f"{dag_id}{{task}}", "environment": environment}  # type: ignore[typeddict-item]
        out[event] = re.sub(r"[^\x20-\x7e]", "?", title(message))
    return out


def compile_mwaa(
    ir: PipelineIR, deployment: Deployment | None = None, *, stand_ins: bool = False, strict: bool = True
) -> CompiledMwaa:
    """The MWAA DAG for `ir`. `stand_ins=True` is the documented test flavour (every task runs `_stand_in`).

    `strict`: stack settings the tasks need but the stack lacks are errors (PS490); otherwise (rendering
    without a stack) they are written as `${Stack:<setting>}` and listed in `missing_stack`.
    """
    deployment = deployment or Deployment()
    stack = stack_of(deployment)
    problems = deployment_problems(ir, stack)
    if problems and strict:
        raise MwaaCompileError(problems)
    env = deployment.env
    dag_id = env.deployed_name(ir.name)
    planner = Planner(ir, stack, env.deployed_name, dag_id)
    topic = stack.alert_topic_arn or ALERT_TOPIC_PLACEHOLDER
    comment = "" if stack.alert_topic_arn else "  # filled in by the MwaaPipeline component at deploy time"
    subjects = alert_subjects(dag_id, env.name)
    flavour = Flavour(
        target="mwaa",
        title=f"Amazon MWAA, Airflow {stack.airflow_version}",
        airflow_version=stack.airflow_major,
        plan=planner.plan,
        constants=(
            f"ALERT_TOPIC_ARN = {string(topic)}{comment}",
            f"AWS_CONN_ID = {string(aws_conn_id(pipeline_settings(ir), stack))}",
            f"ALERT_SUBJECTS = {literal(subjects, 0, len('ALERT_SUBJECTS = '))}",
        ),
        publish=templates.SNS_PUBLISH,
        placeholders=() if stack.alert_topic_arn else ("AlertTopicArn",),
        helpers=templates.HELPERS,
        placement=placement,
    )
    dag = compile_dag(ir, deployment, stand_ins=stand_ins, flavour=flavour)
    secrets = [Secret(f"{VARIABLES_PREFIX}/{v}", config_key=k) for v, k in dag.secret_variables.items()]
    for conn_id, base_url in dag.http_connections.items():
        text = json.dumps({"conn_type": "http", "host": base_url}, sort_keys=True)
        secrets.append(Secret(f"{CONNECTIONS_PREFIX}/{conn_id}", text=text))
    secrets.sort(key=lambda s: s.name)
    modules = {p.module for p in planner.plans.values()} | {templates.SNS_HOOK_MODULE}
    policy = task_policy(planner.plans, stack, alerts=bool(routed_channels(ir)), secrets=[s.name for s in secrets])
    return CompiledMwaa(
        dag=dag,
        airflow_version=stack.airflow_version,
        providers=providers(modules),
        task_policy=policy,
        secrets=tuple(secrets),
        created_glue_jobs=dict(sorted(planner.created_glue_jobs.items())),
        missing_stack=tuple(sorted(planner.missing)),
    )


def providers(modules: Sequence[str] | set[str]) -> tuple[str, ...]:
    """Provider short names (`amazon`, `cncf-kubernetes`) of `airflow.providers.<name>.…` modules."""
    names = {m.split(".")[2] for m in modules if m.startswith("airflow.providers.")}
    return tuple(sorted(n.replace("_", "-") for n in names))


def requirements_txt(stack: MwaaStack, compiled: Sequence[CompiledMwaa]) -> str:
    """requirements.txt of an environment: exactly the providers its DAGs import, in ranges that start at the
    version this MWAA release installs (the constraints file then pins it), plus the stack's extra packages."""
    release = stack.release
    used = sorted({p for c in compiled for p in c.providers})
    unknown = [p for p in used if p not in release.providers]
    if unknown:
        raise ValueError(f"no known version of provider(s) {', '.join(unknown)} on MWAA {stack.airflow_version}")
    dags = ", ".join(sorted(c.dag_id for c in compiled)) or "none"
    lines = [
        f"# Generated by pipespec for MWAA environment {stack.environment_name!r} (Airflow {stack.airflow_version}).",
        f"# The providers these DAGs import: {dags}.",
        f'--constraint "{release.constraint_url(stack.airflow_version)}"',
        "",
    ]
    for name in used:
        version = release.providers[name]
        major = int(version.split(".")[0])
        lines.append(f"apache-airflow-providers-{name}>={version},<{major + 1}")
    lines += [f"{name}{spec}" for name, spec in sorted(stack.pypi_packages.items())]
    return "\n".join(lines) + "\n"


def airflow_configuration(stack: MwaaStack) -> dict[str, str]:
    """Airflow configuration options of a created environment (secrets backend + the stack's own)."""
    out: dict[str, str] = {}
    if stack.secrets_backend:
        out["secrets.backend"] = SECRETS_BACKEND
        out["secrets.backend_kwargs"] = json.dumps(SECRETS_BACKEND_KWARGS, sort_keys=True)
    return dict(sorted({**out, **stack.airflow_configuration_options}.items()))


def policy_json(policy: dict[str, Any]) -> str:
    return json.dumps(policy, indent=2, sort_keys=True) + "\n"

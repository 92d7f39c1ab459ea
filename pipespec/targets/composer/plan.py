"""Which Airflow operator runs each task, with which arguments: the per-kind half of the compiler.

Pure: (task, settings) -> `OperatorPlan`. `compile.py` turns plans into source text.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ...ir import TaskIR
from ...spec.tasks import (
    DbtTask,
    HttpTask,
    NotebookTask,
    PipelineRunTask,
    PythonTask,
    PythonWheelTask,
    ShellTask,
    SparkTask,
    SqlTask,
)
from .pysrc import Expr
from .settings import ComposerPipelineSettings, ComposerStack, ComposerTaskSettings

GOOGLE_BQ = "airflow.providers.google.cloud.operators.bigquery"
GOOGLE_DATAPROC = "airflow.providers.google.cloud.operators.dataproc"
HTTP = "airflow.providers.http.operators.http"
KUBERNETES = "airflow.providers.cncf.kubernetes.operators.pod"
# Moved to the standard provider in Airflow 3.
BASH = {"2": "airflow.operators.bash", "3": "airflow.providers.standard.operators.bash"}
PYTHON = {"2": "airflow.operators.python", "3": "airflow.providers.standard.operators.python"}
TRIGGER = {"2": "airflow.operators.trigger_dagrun", "3": "airflow.providers.standard.operators.trigger_dagrun"}

# Operator override -> kinds it can run.
OPERATOR_KINDS: dict[str, frozenset[str]] = {
    "bash": frozenset({"python", "python_wheel", "shell", "dbt", "notebook"}),
    "kubernetes_pod": frozenset({"python", "python_wheel", "shell", "dbt", "notebook"}),
    "python": frozenset({"python"}),
    "bigquery": frozenset({"sql"}),
    "dataproc": frozenset({"spark"}),
    "http": frozenset({"http"}),
    "trigger_dagrun": frozenset({"pipeline"}),
}
DEFAULT_OPERATOR = {"sql": "bigquery", "spark": "dataproc", "http": "http", "pipeline": "trigger_dagrun"}
KUBE_CONFIG = "/home/airflow/composer_kube_config"  # where Composer 2/3 mount the user-workloads kubeconfig

_ENTRY_POINT = (
    "import sys; from importlib.metadata import entry_points; name = sys.argv.pop(1); sys.argv[0] = name; "
    "sys.exit(entry_points(group='console_scripts', name=name)[name].load()())"
)


@dataclass(frozen=True)
class OperatorPlan:
    cls: str
    module: str
    kwargs: tuple[tuple[str, Any], ...]
    helpers: frozenset[str] = frozenset()  # runtime helpers the call uses (see templates.py)
    http_connections: dict[str, str] = field(default_factory=dict)  # conn id -> base URL
    secret_variables: dict[str, str] = field(default_factory=dict)  # Airflow variable -> Pulumi config key
    base: str = ""  # when a helper block defines `cls` (a subclass), the class imported from `module`


def operator_name(task: TaskIR, pipeline: ComposerPipelineSettings) -> str:
    """The operator key for a task: its override, else the kind's default (a pod when an image is set)."""
    own: ComposerTaskSettings | None = task.settings("composer")
    if own is not None and own.operator:
        return own.operator
    if task.kind in DEFAULT_OPERATOR:
        return DEFAULT_OPERATOR[task.kind]
    return "kubernetes_pod" if image_for(task, pipeline) else "bash"


def image_for(task: TaskIR, pipeline: ComposerPipelineSettings) -> str | None:
    own: ComposerTaskSettings | None = task.settings("composer")
    return (own.image if own is not None else None) or pipeline.image


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


def secret_variable(dag_id: str, config_key: str) -> str:
    """Airflow variable holding a Pulumi config secret, scoped to the DAG (one Secret Manager secret each).

    'secret' in the name makes Airflow mask the value in logs and rendered templates.
    """
    return f"pipespec_secret_{_slug(dag_id)}_{_slug(config_key)}"


def http_connection_id(dag_id: str, url: str) -> str:
    return f"pipespec_http_{_slug(dag_id)}_{_slug(urlsplit(url).netloc.lower())}"


def argv(task: TaskIR, shell: str | None = None) -> list[str]:
    """The command of a command-like task as an argument vector."""
    spec = task.spec
    if isinstance(spec, PythonTask):
        return ["python3", spec.script, *spec.args]
    if isinstance(spec, PythonWheelTask):
        run = ["python3", "-c", _ENTRY_POINT, spec.entry_point, *spec.args]
        if spec.wheel:
            return ["bash", "-c", f"python3 -m pip install --quiet {shlex.quote(spec.wheel)} && {shlex.join(run)}"]
        return run
    if isinstance(spec, ShellTask):
        return ["bash", "-c", spec.command]
    if isinstance(spec, DbtTask):
        return spec.argv()
    if isinstance(spec, NotebookTask):
        out = ["papermill", spec.path, f"/tmp/pipespec-{task.id}.ipynb"]
        for key, value in sorted(spec.parameters.items()):
            out += ["-p", key, value]
        return out
    raise ValueError(f"task kind {task.kind!r} has no command")


def bash_command(task: TaskIR) -> str:
    command = task.spec.command if isinstance(task.spec, ShellTask) else shlex.join(argv(task))
    # BashOperator reads a command ending in .sh/.bash as a template *file*; a trailing space prevents that.
    return command + " " if command.rstrip().endswith((".sh", ".bash")) else command


def _placeholders_to_variables(url: str) -> str:
    """`{workspace_id}` in a spec URL -> the Airflow variable of that name, resolved at run time."""
    return re.sub(r"\{([A-Za-z_][A-Za-z0-9_]*)\}", r"{{ var.value.\1 }}", url)


def plan(
    task: TaskIR,
    pipeline: ComposerPipelineSettings,
    stack: ComposerStack,
    deployed_name: Callable[[str], str],
    dag_id: str,
) -> OperatorPlan:
    """The operator and its kind-specific arguments (common ones — retries, callbacks — are added by compile)."""
    op = operator_name(task, pipeline)
    version = stack.airflow_version
    region = pipeline.region or stack.region
    project = pipeline.gcp_project or stack.project
    spec = task.spec
    if op == "bash":
        return bash_plan(task, version)
    if op == "python" and isinstance(spec, PythonTask):
        return python_plan(spec, version)
    if op == "kubernetes_pod":
        vector = argv(task)
        return OperatorPlan(
            "KubernetesPodOperator",
            KUBERNETES,
            (
                ("name", re.sub(r"[^a-z0-9-]", "-", task.id.lower()).strip("-")[:63] or "task"),
                ("namespace", pipeline.namespace),
                ("image", image_for(task, pipeline)),
                ("cmds", vector[:1]),
                ("arguments", vector[1:]),
                ("kubernetes_conn_id", "kubernetes_default"),
                ("config_file", KUBE_CONFIG),
                ("get_logs", True),
                ("on_finish_action", "delete_pod"),
            ),
        )
    if op == "bigquery" and isinstance(spec, SqlTask):
        sql = spec.query if spec.query is not None else spec.file
        params = [
            {"name": k, "parameterType": {"type": "STRING"}, "parameterValue": {"value": v}}
            for k, v in sorted(spec.parameters.items())
        ]
        common: tuple[tuple[str, Any], ...] = (
            ("project_id", project),
            ("location", region),
            ("gcp_conn_id", pipeline.gcp_conn_id),
        )
        if spec.check:
            check: tuple[tuple[str, Any], ...] = (("sql", sql), ("use_legacy_sql", False))
            if params:
                check += (("query_params", params),)
            return OperatorPlan("BigQueryCheckOperator", GOOGLE_BQ, check + common)
        query: dict[str, Any] = {"query": sql, "useLegacySql": False}
        if params:
            query.update(parameterMode="NAMED", queryParameters=params)
        return OperatorPlan("BigQueryInsertJobOperator", GOOGLE_BQ, (("configuration", {"query": query}), *common))
    if op == "dataproc" and isinstance(spec, SparkTask):
        job: dict[str, Any] = {"placement": {"cluster_name": pipeline.dataproc_cluster}}
        if project:
            job["reference"] = {"project_id": project}
        if spec.main.endswith(".py"):
            job["pyspark_job"] = {"main_python_file_uri": spec.main, "args": list(spec.args)}
        elif spec.main_class:
            job["spark_job"] = {"main_class": spec.main_class, "jar_file_uris": [spec.main], "args": list(spec.args)}
        else:
            job["spark_job"] = {"main_jar_file_uri": spec.main, "args": list(spec.args)}
        return OperatorPlan(
            "DataprocSubmitJobOperator",
            GOOGLE_DATAPROC,
            (("job", job), ("region", region), ("project_id", project), ("gcp_conn_id", pipeline.gcp_conn_id)),
        )
    if op == "http" and isinstance(spec, HttpTask):
        return http_plan(spec, dag_id, pipeline.http_conn_id)
    if op == "trigger_dagrun" and isinstance(spec, PipelineRunTask):
        return trigger_plan(spec, version, deployed_name)
    # check() rejects these combinations before render; reaching here is a bug.
    raise ValueError(f"operator {op!r} cannot run task {task.id!r} of kind {task.kind!r}")


# ── Operators every Airflow platform runs the same way (Composer and the MWAA flavour share them) ──


def bash_plan(task: TaskIR, version: str) -> OperatorPlan:
    return OperatorPlan("BashOperator", BASH[version], (("bash_command", bash_command(task)),))


def python_plan(spec: PythonTask, version: str) -> OperatorPlan:
    return OperatorPlan(
        "PythonOperator",
        PYTHON[version],
        (("python_callable", Expr("_run_script")), ("op_args", [spec.script, list(spec.args)])),
        helpers=frozenset({"run_script"}),
    )


def http_plan(spec: HttpTask, dag_id: str, http_conn_id: str | None) -> OperatorPlan:
    """HttpOperator; the URL's host becomes a pipespec connection unless `http_conn_id` names one."""
    parts = urlsplit(spec.url)
    conn_id = http_conn_id or http_connection_id(dag_id, spec.url)
    endpoint = parts.path + (f"?{parts.query}" if parts.query else "")
    headers = dict(sorted(spec.headers.items()))
    variables: dict[str, str] = {}
    if spec.auth is not None:
        variable = secret_variable(dag_id, spec.auth.token_secret)
        variables[variable] = spec.auth.token_secret
        headers["Authorization"] = f"Bearer {{{{ var.value.{variable} }}}}"
    kwargs: list[tuple[str, Any]] = [
        ("http_conn_id", conn_id),
        ("endpoint", _placeholders_to_variables(endpoint)),
        ("method", spec.method),
    ]
    if spec.body is not None:
        headers.setdefault("Content-Type", "application/json")
        kwargs.append(("data", json.dumps(spec.body, sort_keys=True)))
    kwargs += [
        ("headers", headers),
        ("response_check", Expr(f"_status_in({', '.join(str(s) for s in spec.expect_status)})")),
        ("extra_options", {"check_response": False}),  # response_check decides, not raise_for_status
        ("log_response", False),
    ]
    connections = {} if http_conn_id else {conn_id: f"{parts.scheme}://{parts.netloc}"}
    return OperatorPlan(
        "HttpOperator",
        HTTP,
        tuple(kwargs),
        helpers=frozenset({"status_in"}),
        http_connections=connections,
        secret_variables=variables,
    )


def trigger_plan(spec: PipelineRunTask, version: str, deployed_name: Callable[[str], str]) -> OperatorPlan:
    return OperatorPlan(
        "TriggerDagRunOperator",
        TRIGGER[version],
        (
            ("trigger_dag_id", deployed_name(spec.pipeline)),
            ("wait_for_completion", True),
            ("poke_interval", 30),
            ("allowed_states", ["success"]),
            ("failed_states", ["failed"]),
        ),
    )


def placement(task: TaskIR) -> tuple[tuple[str, Any], ...]:
    """Pool and queue from the task's composer settings."""
    own: ComposerTaskSettings | None = task.settings("composer")
    out: list[tuple[str, Any]] = []
    if own is not None and own.pool:
        out.append(("pool", own.pool))
    if own is not None and own.queue:
        out.append(("queue", own.queue))
    return tuple(out)

"""Task kind -> Databricks task type, and the compute each task runs on.

| kind | Databricks |
|---|---|
| python | spark_python_task |
| python_wheel | python_wheel_task |
| sql | sql_task (file; inline SQL is written to a workspace file); `check: true` -> runner |
| dbt | dbt_task (commands built from command/select/exclude/target/vars) |
| notebook | notebook_task |
| spark | spark_jar_task (main ends in .jar) or spark_python_task |
| http | spark_python_task running the generated runner (no HTTP task type exists) |
| pipeline | run_job_task (job id placeholder `${job:<pipeline>}`) |
"""

from __future__ import annotations

import json
import re
import shlex
from functools import cache
from importlib import resources
from typing import Any

from ...ir import TaskIR
from ...spec.tasks import (
    DbtTask,
    HttpTask,
    NotebookTask,
    PipelineRunTask,
    PythonTask,
    PythonWheelTask,
    SparkTask,
    SqlTask,
)
from .context import RUNNER_FILE, Context
from .settings import DatabricksCluster, DatabricksTaskSettings

DBT_PACKAGE = "dbt-databricks>=1.8.0,<2.0.0"
DEFAULT_CLUSTER_KEY = "pipespec_default"
DEFAULT_HTTP_TIMEOUT_S = 300
_URL_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def job_placeholder(pipeline: str) -> str:
    return f"${{job:{pipeline}}}"


@cache
def runner_source() -> str:
    return resources.files(__package__).joinpath("runner_script.py").read_text(encoding="utf-8")


def url_placeholders(url: str) -> list[str]:
    return sorted(set(_URL_PLACEHOLDER.findall(url)))


def dbt_commands(spec: DbtTask) -> list[str]:
    """`dbt deps` (so packages are installed on fresh compute), then the command with its flags
    (the project folder is the dbt_task's own `project_directory`)."""
    return ["dbt deps", shlex.join(spec.argv(project_dir=False))]


def _source(settings: DatabricksTaskSettings) -> dict[str, str]:
    return {"source": settings.source} if settings.source else {}


def _warehouse(ctx: Context, task: TaskIR, *, required: bool) -> str | None:
    found = ctx.task_settings(task).warehouse_id or ctx.pipe.warehouse_id or ctx.stack.warehouse_id
    if found is None and required:
        ctx.error(
            task,
            ("targets", "databricks", "warehouse_id"),
            "PS450",
            f"sql task {task.id!r} needs a SQL warehouse and none is configured",
            "set targets.databricks.warehouse_id on the task or pipeline, or `warehouse_id` in the "
            "stack's pipespec:databricks config",
        )
    return found


def _runner_task(ctx: Context, task: TaskIR, parameters: list[str]) -> dict[str, Any]:
    path = ctx.add_file(RUNNER_FILE, runner_source(), task.id)
    return {
        "spark_python_task": {
            "python_file": path,
            "source": "WORKSPACE",  # generated file: never from git_source
            "parameters": ["--task", task.id, *parameters],
        }
    }


def _http(ctx: Context, task: TaskIR, spec: HttpTask) -> dict[str, Any]:
    params = ["--mode", "http", "--url", spec.url, "--method", spec.method]
    params += ["--expect-status", ",".join(str(s) for s in spec.expect_status)]
    if spec.headers:
        params += ["--headers", json.dumps(spec.headers, sort_keys=True)]
    if spec.body is not None:
        params += ["--body", json.dumps(spec.body, sort_keys=True)]
    if spec.auth is not None:
        secret = ctx.bind_secret(spec.auth.token_secret)
        params += ["--token-secret", f"{secret.scope}/{secret.key}"]
    params += ["--timeout", str(min(task.timeout_s or DEFAULT_HTTP_TIMEOUT_S, DEFAULT_HTTP_TIMEOUT_S))]
    for name in url_placeholders(spec.url):
        ctx.parameters.add(name)
        params += ["--param", f"{name}={{{{job.parameters.{name}}}}}"]
    return _runner_task(ctx, task, params)


def _sql(ctx: Context, task: TaskIR, spec: SqlTask) -> dict[str, Any]:
    warehouse = _warehouse(ctx, task, required=True) or ""
    settings = ctx.task_settings(task)
    source: str | None
    if spec.query is not None:
        path, source = ctx.add_file(f"{task.id}.sql", spec.query.rstrip() + "\n", task.id), "WORKSPACE"
    else:
        path, source = spec.file or "", settings.source
    if spec.check:
        params = ["--mode", "sql_check", "--warehouse-id", warehouse, "--sql-file", path]
        for name, value in sorted(spec.parameters.items()):
            params += ["--param", f"{name}={value}"]
        return _runner_task(ctx, task, params)
    file: dict[str, Any] = {"path": path, **({"source": source} if source else {})}
    return {"sql_task": {"warehouse_id": warehouse, "file": file, "parameters": dict(spec.parameters)}}


def _dbt(ctx: Context, task: TaskIR, spec: DbtTask) -> dict[str, Any]:
    body: dict[str, Any] = {"commands": dbt_commands(spec), **_source(ctx.task_settings(task))}
    if project := spec.project_dir or ctx.stack.dbt_project_directory:
        body["project_directory"] = project
    if warehouse := _warehouse(ctx, task, required=False):
        body["warehouse_id"] = warehouse
    elif ctx.pipe.dbt_profiles_directory:  # the API accepts a profiles directory only without a warehouse
        body["profiles_directory"] = ctx.pipe.dbt_profiles_directory
    return {"dbt_task": body}


def payload(ctx: Context, task: TaskIR) -> dict[str, Any]:
    """The kind-specific part of a task's settings."""
    spec, settings = task.spec, ctx.task_settings(task)
    if isinstance(spec, PythonTask):
        return {"spark_python_task": {"python_file": spec.script, "parameters": spec.args, **_source(settings)}}
    body: dict[str, Any]
    if isinstance(spec, PythonWheelTask):
        body = {"package_name": spec.package, "entry_point": spec.entry_point, "parameters": spec.args}
        return {"python_wheel_task": body}
    if isinstance(spec, NotebookTask):
        body = {"notebook_path": spec.path, "base_parameters": dict(spec.parameters), **_source(settings)}
        return {"notebook_task": body}
    if isinstance(spec, SparkTask):
        if spec.main.endswith(".jar"):
            return {"spark_jar_task": {"main_class_name": spec.main_class or "", "parameters": spec.args}}
        return {"spark_python_task": {"python_file": spec.main, "parameters": spec.args, **_source(settings)}}
    if isinstance(spec, SqlTask):
        return _sql(ctx, task, spec)
    if isinstance(spec, DbtTask):
        return _dbt(ctx, task, spec)
    if isinstance(spec, HttpTask):
        return _http(ctx, task, spec)
    if isinstance(spec, PipelineRunTask):
        return {"run_job_task": {"job_id": job_placeholder(spec.pipeline)}}
    raise ValueError(f"kind {task.kind!r} reached the Databricks compiler")  # check() rejects it first


def _dependencies(task: TaskIR, settings: DatabricksTaskSettings) -> tuple[list[str], list[str], list[str]]:
    """(pip requirements, wheel files, jar files) the task needs installed."""
    spec, pip = task.spec, list(settings.libraries)
    wheels: list[str] = []
    jars: list[str] = []
    if isinstance(spec, DbtTask):
        pip.append(DBT_PACKAGE)
    if isinstance(spec, PythonWheelTask):
        (wheels if spec.wheel else pip).append(spec.wheel or spec.package)
    if isinstance(spec, SparkTask) and spec.main.endswith(".jar"):
        jars.append(spec.main)
    return pip, wheels, jars


def _needs_compute(task: TaskIR) -> bool:
    if isinstance(task.spec, PipelineRunTask):
        return False
    return not (isinstance(task.spec, SqlTask) and not task.spec.check)  # plain SQL runs on the warehouse


def compute(ctx: Context, task: TaskIR) -> dict[str, Any]:
    """Where the task runs: a serverless environment, a job cluster or an existing cluster, plus libraries."""
    if not _needs_compute(task):
        return {}
    settings = ctx.task_settings(task)
    pip, wheels, jars = _dependencies(task, settings)
    if ctx.stack.serverless and not settings.existing_cluster_id:
        if isinstance(task.spec, NotebookTask) and not (pip or wheels):
            return {}  # serverless notebooks use their own notebook environment
        return {"environment_key": ctx.environment(pip + wheels, jars)}
    libraries = (
        [{"pypi": {"package": p}} for p in sorted(set(pip))]
        + [{"whl": w} for w in sorted(set(wheels))]
        + [{"jar": j} for j in sorted(set(jars))]
    )
    out: dict[str, Any] = {"libraries": libraries}
    if settings.existing_cluster_id:
        return {**out, "existing_cluster_id": settings.existing_cluster_id}
    key = _cluster_key(ctx, task, settings)
    if key is not None:
        ctx.clusters_used.add(key)
        out["job_cluster_key"] = key
    return out


def _cluster_key(ctx: Context, task: TaskIR, settings: DatabricksTaskSettings) -> str | None:
    clusters = ctx.pipe.job_clusters
    if settings.cluster or ctx.pipe.default_cluster:
        return settings.cluster or ctx.pipe.default_cluster  # existence is checked by check_limits
    if len(clusters) == 1:
        return next(iter(clusters))
    if ctx.stack.default_cluster is not None:
        return DEFAULT_CLUSTER_KEY
    ctx.error(
        task,
        ("targets", "databricks", "cluster"),
        "PS451",
        f"task {task.id!r} has no compute: the stack is not serverless and no job cluster applies",
        "name one with targets.databricks.cluster (or the pipeline's default_cluster), set "
        "`default_cluster` or `serverless: true` in the stack's pipespec:databricks config",
    )
    return None


def job_clusters(ctx: Context) -> list[dict[str, Any]]:
    """The job clusters tasks use, with the stack's policy and size overrides (dev: small and cheap)."""
    out = []
    for key in sorted(ctx.clusters_used):
        cluster = ctx.stack.default_cluster if key == DEFAULT_CLUSTER_KEY else ctx.pipe.job_clusters.get(key)
        if cluster is not None:
            out.append({"job_cluster_key": key, "new_cluster": _cluster_spec(ctx, cluster)})
    return out


def _cluster_spec(ctx: Context, cluster: DatabricksCluster) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "spark_version": cluster.spark_version,
        "node_type_id": ctx.stack.node_type_id or cluster.node_type_id,
        "spark_conf": dict(cluster.spark_conf),
        "data_security_mode": cluster.data_security_mode,
    }
    policy = ctx.stack.cluster_policy_id or cluster.policy_id
    if policy:
        spec |= {"policy_id": policy, "apply_policy_default_values": True}
    if ctx.stack.num_workers is not None:
        spec["num_workers"] = ctx.stack.num_workers
    elif cluster.autoscale_max_workers is not None:
        spec["autoscale"] = {
            "min_workers": cluster.autoscale_min_workers or 1,
            "max_workers": cluster.autoscale_max_workers,
        }
    else:
        spec["num_workers"] = cluster.num_workers
    return spec


def environments(ctx: Context) -> list[dict[str, Any]]:
    return [
        {
            "environment_key": key,
            "spec": {"environment_version": ctx.stack.environment_version, **deps},
        }
        for key, deps in sorted(ctx.environments.items())
    ]

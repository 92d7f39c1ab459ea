"""Task kind -> Fabric pipeline activity (type and typeProperties).

| kind | Fabric activity |
|---|---|
| notebook | TridentNotebook (notebook by display name) |
| python, spark | SparkJobDefinition (item named like the script / main file, or `item`) |
| sql | Script (inline query), SqlServerStoredProcedure (`stored_procedure`) |
| http | PBISemanticModelRefresh for a Power BI dataset refresh, otherwise WebActivity |
| pipeline | ExecutePipeline (the other pipeline's item, waiting for it) |
| dbt | TridentNotebook running the workspace's dbt runner notebook with the command as parameter |
| any, with `activity: copy` | Copy (`type_properties` holds source and sink) |

Ids only the deploy knows are placeholders: `${workspaceId}`, `${item:<Type>/<display name>}`
(resolved in the stack's workspace), `${connection:<name>}` and `${param:<name>}` (stack config).
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from ...environment import Environment
from ...ir import TaskIR
from ...spec.tasks import DbtTask, HttpTask, NotebookTask, PipelineRunTask, PythonTask, SparkTask, SqlTask
from .settings import FabricPipelineSettings, FabricTaskSettings

NAME = "fabric"
WORKSPACE = "${workspaceId}"
_URL_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_POWERBI_REFRESH = re.compile(
    r"^https://api\.powerbi\.com/v1\.0/myorg/groups/([^/?#]+)/datasets/([^/?#]+)/refreshes/?$", re.IGNORECASE
)


def item_ref(item_type: str, name: str) -> str:
    return f"${{item:{item_type}/{name}}}"


def connection_ref(name: str) -> str:
    return f"${{connection:{name}}}"


def param_ref(name: str) -> str:
    return f"${{param:{name}}}"


class ActivityError(ValueError):
    def __init__(self, path: tuple[str, ...], message: str, hint: str) -> None:
        super().__init__(message)
        self.path, self.message, self.hint = path, message, hint


@dataclass
class Refs:
    """What the activities reference, collected while building them."""

    connections: set[str] = field(default_factory=set)
    params: set[str] = field(default_factory=set)
    notes: list[tuple[TaskIR, tuple[str, ...], str]] = field(default_factory=list)  # approximations to report


def task_settings(task: TaskIR) -> FabricTaskSettings:
    return task.settings(NAME) or FabricTaskSettings()


def _stem(path: str) -> str:
    return PurePosixPath(path).stem or path


def _url_params(text: str, refs: Refs) -> str:
    def one(match: re.Match[str]) -> str:
        refs.params.add(match.group(1))
        return param_ref(match.group(1))

    return _URL_PARAM.sub(one, text)


def _connection(name: str, refs: Refs) -> dict[str, str]:
    refs.connections.add(name)
    return {"connection": connection_ref(name)}


def _notebook(task: TaskIR, spec: NotebookTask, s: FabricTaskSettings) -> dict[str, Any]:
    params = {k: {"value": v, "type": "string"} for k, v in sorted(spec.parameters.items())}
    body = {"notebookId": item_ref("Notebook", s.item or _stem(spec.path)), "workspaceId": WORKSPACE}
    return {"type": "TridentNotebook", "typeProperties": body | ({"parameters": params} if params else {})}


def dbt_command(spec: DbtTask) -> str:
    return shlex.join(spec.argv(project_dir=False))


def _dbt(spec: DbtTask, s: FabricTaskSettings, pipe: FabricPipelineSettings) -> dict[str, Any]:
    params = {"dbt_command": {"value": dbt_command(spec), "type": "string"}}
    if spec.project_dir:
        params["project_dir"] = {"value": spec.project_dir, "type": "string"}
    body = {"notebookId": item_ref("Notebook", s.item or pipe.dbt_notebook), "workspaceId": WORKSPACE}
    return {"type": "TridentNotebook", "typeProperties": body | {"parameters": params}}


def _spark_job(main: str, args: list[str], main_class: str | None, s: FabricTaskSettings) -> dict[str, Any]:
    body: dict[str, Any] = {"sparkJobDefinitionId": item_ref("SparkJobDefinition", s.item or _stem(main))}
    body["workspaceId"] = WORKSPACE
    if main_class:
        body["mainClass"] = main_class
    if args:
        body["commandLineArguments"] = " ".join(args)
    return {"type": "SparkJobDefinition", "typeProperties": body}


def _sql(
    task: TaskIR, spec: SqlTask, s: FabricTaskSettings, pipe: FabricPipelineSettings, refs: Refs
) -> dict[str, Any]:
    refs_out = _connection(s.connection or pipe.sql_connection, refs)
    db = {"database": s.database} if s.database else {}
    if s.stored_procedure or s.activity == "stored_procedure":
        if not s.stored_procedure:
            raise ActivityError(("targets", "fabric", "stored_procedure"), "no stored_procedure named", "name it")
        params = {k: {"value": v, "type": "String"} for k, v in sorted(spec.parameters.items())}
        body = {"storedProcedureName": s.stored_procedure, "storedProcedureParameters": params, **db}
        return {"type": "SqlServerStoredProcedure", "typeProperties": body, "externalReferences": refs_out}
    if spec.query is None:
        raise ActivityError(
            ("file",),
            f"sql task {task.id!r} reads {spec.file!r}; a Fabric Script activity runs inline SQL only",
            "write the SQL inline (`query`), or call a stored procedure (targets.fabric.stored_procedure)",
        )
    if spec.check:
        raise ActivityError(
            ("check",),
            f"sql check {task.id!r}: a Fabric Script activity does not fail on a false result",
            "make the query raise an error when the check fails (THROW), and drop `check: true`",
        )
    script: dict[str, Any] = {"type": "NonQuery", "text": spec.query.strip()}
    if spec.parameters:
        script["parameters"] = [
            {"name": k, "type": "String", "value": v, "direction": "Input"} for k, v in sorted(spec.parameters.items())
        ]
    return {"type": "Script", "typeProperties": {"scripts": [script], **db}, "externalReferences": refs_out}


def _http(
    task: TaskIR, spec: HttpTask, s: FabricTaskSettings, pipe: FabricPipelineSettings, refs: Refs
) -> dict[str, Any]:
    if spec.auth is not None:
        refs.notes.append(
            (
                task,
                ("auth",),
                f"task {task.id!r}: Fabric calls out through a connection, which holds the credential; the bearer "
                f"token secret {spec.auth.token_secret!r} is not used (it would be stored in the pipeline)",
            )
        )
    if bad := sorted(c for c in spec.expect_status if not 200 <= c < 300):
        refs.notes.append(
            (task, ("expect_status",), f"task {task.id!r}: Fabric fails the call on HTTP {bad}, which the spec accepts")
        )
    refresh = _POWERBI_REFRESH.match(spec.url)
    if (refresh and spec.method == "POST" and s.activity is None) or s.activity == "semantic_model_refresh":
        if refresh is None:
            raise ActivityError(
                ("url",), "not a Power BI dataset refresh URL", "use /groups/<g>/datasets/<d>/refreshes"
            )
        body = {
            "method": "post",
            "groupId": _url_params(refresh.group(1), refs),
            "datasetId": _url_params(refresh.group(2), refs),
            "commitMode": "Transactional",
            "waitOnCompletion": True,
            "operationType": "SemanticModelRefresh",
        }
        conn = _connection(s.connection or pipe.powerbi_connection, refs)
        return {"type": "PBISemanticModelRefresh", "typeProperties": body, "externalReferences": conn}
    parts = urlsplit(spec.url)
    relative = parts.path + (f"?{parts.query}" if parts.query else "")
    body = {"method": spec.method, "relativeUrl": _url_params(relative, refs)}
    if spec.headers:
        body["headers"] = dict(sorted(spec.headers.items()))
    if spec.body is not None:
        body["body"] = json.dumps(spec.body, sort_keys=True, separators=(",", ":"))
    conn = _connection(s.connection or pipe.web_connection, refs)
    return {"type": "WebActivity", "typeProperties": body, "externalReferences": conn}


# Which `targets.fabric.activity` overrides each kind accepts (copy: every kind).
OVERRIDES: dict[str, frozenset[str]] = {
    "sql": frozenset({"script", "stored_procedure"}),
    "http": frozenset({"web", "semantic_model_refresh"}),
    "notebook": frozenset({"notebook"}),
    "dbt": frozenset({"notebook"}),
    "python": frozenset({"spark_job_definition"}),
    "spark": frozenset({"spark_job_definition"}),
}


def payload(task: TaskIR, pipe: FabricPipelineSettings, env: Environment, refs: Refs) -> dict[str, Any]:
    """type, typeProperties and externalReferences of the task's activity."""
    spec, s = task.spec, task_settings(task)
    allowed = OVERRIDES.get(task.kind, frozenset()) | {"copy"}
    if s.activity is not None and s.activity not in allowed:
        raise ActivityError(
            ("targets", "fabric", "activity"),
            f"a {task.kind} task cannot run as a Fabric {s.activity} activity",
            f"use one of: {', '.join(sorted(allowed))}",
        )
    if s.activity == "script" and isinstance(spec, SqlTask) and s.stored_procedure:
        raise ActivityError(
            ("targets", "fabric", "stored_procedure"),
            f"task {task.id!r} names a stored procedure but asks for a Script activity",
            "drop stored_procedure, or set activity: stored_procedure",
        )
    if s.activity == "copy":
        if "source" not in s.type_properties:
            raise ActivityError(
                ("targets", "fabric", "type_properties"),
                f"copy activity {task.id!r} has no source",
                "set targets.fabric.type_properties with the Copy activity's source and sink",
            )
        out: dict[str, Any] = {"type": "Copy", "typeProperties": {}}
    elif isinstance(spec, NotebookTask):
        out = _notebook(task, spec, s)
    elif isinstance(spec, PythonTask):
        out = _spark_job(spec.script, spec.args, None, s)
    elif isinstance(spec, SparkTask):
        out = _spark_job(spec.main, spec.args, spec.main_class, s)
    elif isinstance(spec, SqlTask):
        out = _sql(task, spec, s, pipe, refs)
    elif isinstance(spec, HttpTask):
        out = _http(task, spec, s, pipe, refs)
    elif isinstance(spec, PipelineRunTask):
        out = _pipeline(spec, env)
    elif isinstance(spec, DbtTask):
        out = _dbt(spec, s, pipe)
    else:  # check() rejects other kinds first
        raise ActivityError(("kind",), f"kind {task.kind!r} has no Fabric activity", "")
    if s.type_properties:
        out["typeProperties"] = {**out["typeProperties"], **s.type_properties}
    return out


def _pipeline(spec: PipelineRunTask, env: Environment) -> dict[str, Any]:
    ref = {"referenceName": item_ref("DataPipeline", env.deployed_name(spec.pipeline)), "type": "PipelineReference"}
    return {"type": "ExecutePipeline", "typeProperties": {"pipeline": ref, "waitOnCompletion": True}}

"""Task kinds -> Step Functions service integrations (Resource + Parameters), and what each needs.

Every call starts a job and waits for it (`.sync`) where the service has a job; the state's
input passes through unchanged (the compiler sets `ResultPath: null`), so payloads never grow.
What a pure compiler cannot know (ARNs of resources created in the same deployment, stack
settings left unset) appears as a `${Name}` placeholder the component substitutes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ...ir import PipelineIR, TaskIR
from ...notify_plan import bounded
from ...spec.tasks import (
    DbtTask,
    GlueTask,
    HttpTask,
    PipelineRunTask,
    PythonTask,
    PythonWheelTask,
    ShellTask,
    SparkTask,
    SqlTask,
)
from .settings import GlueJobSettings, StepFunctionsPipelineSettings, StepFunctionsTaskSettings
from .stack import StepFunctionsStack

TARGET = "stepfunctions"
SYNC_EVENTS = 6  # Entered, Scheduled, Started, Submitted, Succeeded, Exited
CALL_EVENTS = 5  # request-response: no Submitted

# Integrations each kind may use; the first is the default (python: lambda when a function is set).
KIND_INTEGRATIONS: dict[str, tuple[str, ...]] = {
    "python": ("ecs", "lambda"),
    "python_wheel": ("ecs",),
    "shell": ("ecs",),
    "dbt": ("ecs",),
    "sql": ("athena",),
    "spark": ("emr_serverless",),
    "glue": ("glue",),
    "http": ("http",),
    "pipeline": ("execution",),
}

RESOURCES = {
    "glue": "arn:aws:states:::glue:startJobRun.sync",
    "lambda": "arn:aws:states:::lambda:invoke",
    "athena": "arn:aws:states:::athena:startQueryExecution.sync",
    "athena_results": "arn:aws:states:::athena:getQueryResults",
    "ecs": "arn:aws:states:::ecs:runTask.sync",
    "http": "arn:aws:states:::http:invoke",
    "execution": "arn:aws:states:::states:startExecution.sync:2",
    "emr_serverless": "arn:aws:states:::emr-serverless:startJobRun.sync",
    "sns": "arn:aws:states:::sns:publish",
}

# Transient Lambda service errors AWS recommends retrying regardless of the task's own policy.
LAMBDA_TRANSIENT = (
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
)

URL_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")

# Runs a wheel's console-script entry point installed in the task's image.
WHEEL_LAUNCHER = (
    "import sys;from importlib.metadata import entry_points as e;"
    "f=[p for p in e(group='console_scripts') if p.name==sys.argv[1]][0].load();"
    "sys.argv=sys.argv[1:];sys.exit(f())"
)


def stack_placeholder(setting: str) -> str:
    """Stand-in for a stack setting the render had no value for (the component refuses to deploy it)."""
    return "${Stack:" + setting + "}"


@dataclass(frozen=True)
class GlueJobPlan:
    """A Glue job the component creates for a glue task with a `script`."""

    task: str
    name: str
    script: str
    settings: GlueJobSettings
    arguments: dict[str, str]


@dataclass(frozen=True)
class ConnectionPlan:
    """An EventBridge connection the HTTP task authenticates with (bearer token from a Pulumi secret)."""

    task: str
    name: str
    token_secret: str | None


@dataclass
class Needs:
    """Everything the tasks touch, gathered for the IAM policy and the component (sets: deterministic when sorted)."""

    glue_jobs: set[str] = field(default_factory=set)
    lambda_functions: set[str] = field(default_factory=set)
    ecs_task_definitions: set[str] = field(default_factory=set)
    ecs_clusters: set[str] = field(default_factory=set)
    ecs_pass_roles: set[str] = field(default_factory=set)
    athena_workgroups: set[str] = field(default_factory=set)
    athena_databases: set[str] = field(default_factory=set)
    s3_buckets: set[str] = field(default_factory=set)
    emr_applications: set[str] = field(default_factory=set)
    emr_roles: set[str] = field(default_factory=set)
    http: set[tuple[str, str, str]] = field(default_factory=set)  # (task, method, endpoint pattern)
    pipelines: dict[str, str] = field(default_factory=dict)  # spec name -> deployed state machine name
    glue_job_plans: list[GlueJobPlan] = field(default_factory=list)
    connections: list[ConnectionPlan] = field(default_factory=list)
    missing_stack: set[str] = field(default_factory=set)  # stack settings a task needed but the stack lacks


@dataclass(frozen=True)
class TaskCall:
    """One task's service call: what the Task state runs."""

    integration: str
    resource: str
    parameters: dict[str, Any]
    sync: bool
    check: bool = False  # an Athena check: fetch the first row and fail unless it is true
    ok_errors: tuple[str, ...] = ()  # errors that mean success (HTTP statuses the spec expects)


@dataclass(frozen=True)
class Resolved:
    """The spec's pipeline- and task-level settings with the stack's overrides applied."""

    pipeline: StepFunctionsPipelineSettings
    task: StepFunctionsTaskSettings
    stack: StepFunctionsStack


def pipeline_settings(ir: PipelineIR) -> StepFunctionsPipelineSettings:
    value = ir.targets.get(TARGET)
    return value if isinstance(value, StepFunctionsPipelineSettings) else StepFunctionsPipelineSettings()


def task_settings(task: TaskIR) -> StepFunctionsTaskSettings:
    value = task.settings(TARGET)
    return value if isinstance(value, StepFunctionsTaskSettings) else StepFunctionsTaskSettings()


def integration_of(task: TaskIR) -> str:
    chosen = task_settings(task).integration
    if chosen is not None:
        return chosen
    if task.kind == "python" and task_settings(task).lambda_function:
        return "lambda"
    return KIND_INTEGRATIONS.get(task.kind, ("",))[0]


def glue_job_name(task: TaskIR, deployed: str) -> str:
    spec = task.spec
    assert isinstance(spec, GlueTask)
    return spec.job_name or bounded(f"{deployed}-{task.id}", 255)


def _arg_key(key: str) -> str:
    return key if key.startswith("--") else f"--{key}"


def _cluster_name(cluster: str) -> str:
    return cluster.rsplit("/", 1)[-1] if cluster.startswith("arn:") else cluster


def _bucket(s3_url: str) -> str:
    return s3_url.removeprefix("s3://").split("/", 1)[0]


def _command(task: TaskIR) -> list[str]:
    spec = task.spec
    if isinstance(spec, PythonTask):
        return ["python", spec.script, *spec.args]
    if isinstance(spec, PythonWheelTask):
        return ["python", "-c", WHEEL_LAUNCHER, spec.entry_point, *spec.args]
    if isinstance(spec, ShellTask):
        return ["sh", "-c", spec.command]
    assert isinstance(spec, DbtTask)
    return spec.argv()


class CallBuilder:
    """Builds each task's call and gathers `Needs`; one instance per compiled pipeline."""

    def __init__(self, ir: PipelineIR, stack: StepFunctionsStack, deployed: str, env_prefix: str) -> None:
        self.ir = ir
        self.stack = stack
        self.deployed = deployed
        self.env_prefix = env_prefix
        self.settings = pipeline_settings(ir)
        self.needs = Needs()

    def _stack(self, name: str, value: Any) -> Any:
        if value in (None, [], ""):
            self.needs.missing_stack.add(name)
            return stack_placeholder(name)
        return value

    def call(self, task: TaskIR) -> TaskCall:
        integration = integration_of(task)
        build = getattr(self, f"_{integration}")
        out: TaskCall = build(task)
        return out

    def _glue(self, task: TaskIR) -> TaskCall:
        spec = task.spec
        assert isinstance(spec, GlueTask)
        name = glue_job_name(task, self.deployed)
        self.needs.glue_jobs.add(name)
        args = {_arg_key(k): v for k, v in sorted(spec.arguments.items())}
        if not spec.job_name and spec.script:
            glue = task_settings(task).glue or self.settings.glue
            self.needs.glue_job_plans.append(GlueJobPlan(task.id, name, spec.script, glue, {}))
            if not self.stack.glue_role_arn:
                self.needs.missing_stack.add("glue_role_arn")
        params: dict[str, Any] = {"JobName": name}
        if args:
            params["Arguments"] = args
        return TaskCall("glue", RESOURCES["glue"], params, sync=True)

    def _lambda(self, task: TaskIR) -> TaskCall:
        spec = task.spec
        fn = task_settings(task).lambda_function or ""
        self.needs.lambda_functions.add(fn)
        payload: dict[str, Any] = {"pipeline": self.deployed, "task": task.id, "execution_id.$": "$$.Execution.Id"}
        if isinstance(spec, PythonTask):
            payload["script"] = spec.script
            payload["args"] = list(spec.args)
        return TaskCall("lambda", RESOURCES["lambda"], {"FunctionName": fn, "Payload": payload}, sync=False)

    def _ecs(self, task: TaskIR) -> TaskCall:
        own = task_settings(task)
        cluster = self._stack("ecs_cluster", self.stack.ecs_cluster or self.settings.ecs_cluster)
        task_def = self._stack(
            "ecs_task_definition",
            own.ecs_task_definition or self.settings.ecs_task_definition or self.stack.ecs_task_definition,
        )
        container = self._stack(
            "ecs_container_name", own.container_name or self.settings.container_name or self.stack.ecs_container_name
        )
        self.needs.ecs_clusters.add(cluster)
        self.needs.ecs_task_definitions.add(task_def)
        self.needs.ecs_pass_roles.update(self.stack.ecs_pass_roles)
        if not self.stack.ecs_pass_roles:
            self.needs.missing_stack.add("ecs_pass_roles")
        network = {
            "Subnets": list(self.stack.ecs_subnets) or [self._stack("ecs_subnets", None)],
            "SecurityGroups": list(self.stack.ecs_security_groups) or [self._stack("ecs_security_groups", None)],
            "AssignPublicIp": "ENABLED" if self.stack.ecs_assign_public_ip else "DISABLED",
        }
        env = [
            {"Name": "PIPESPEC_PIPELINE", "Value": self.deployed},
            {"Name": "PIPESPEC_TASK", "Value": task.id},
            {"Name": "PIPESPEC_EXECUTION_ID", "Value.$": "$$.Execution.Id"},
        ]
        params = {
            "LaunchType": "FARGATE",
            "Cluster": cluster,
            "TaskDefinition": task_def,
            "NetworkConfiguration": {"AwsvpcConfiguration": network},
            "Overrides": {"ContainerOverrides": [{"Name": container, "Command": _command(task), "Environment": env}]},
        }
        return TaskCall("ecs", RESOURCES["ecs"], params, sync=True)

    def _athena(self, task: TaskIR) -> TaskCall:
        spec = task.spec
        assert isinstance(spec, SqlTask)
        workgroup = self.settings.athena_workgroup
        self.needs.athena_workgroups.add(workgroup)
        params: dict[str, Any] = {"QueryString": spec.query or "", "WorkGroup": workgroup}
        if self.settings.athena_database:
            params["QueryExecutionContext"] = {"Database": self.settings.athena_database}
            self.needs.athena_databases.add(self.settings.athena_database)
        else:
            self.needs.athena_databases.add("*")
        output = self.stack.athena_output_location or self.settings.athena_output_location
        if output:
            params["ResultConfiguration"] = {"OutputLocation": output}
            self.needs.s3_buckets.add(_bucket(output))
        self.needs.s3_buckets.update(self.stack.athena_data_buckets)
        return TaskCall("athena", RESOURCES["athena"], params, sync=True, check=spec.check)

    def _emr_serverless(self, task: TaskIR) -> TaskCall:
        spec = task.spec
        assert isinstance(spec, SparkTask)
        app = self._stack("emr_application_id", self.stack.emr_application_id)
        role = self._stack("emr_execution_role_arn", self.stack.emr_execution_role_arn)
        self.needs.emr_applications.add(app)
        self.needs.emr_roles.add(role)
        submit: dict[str, Any] = {"EntryPoint": spec.main}
        if spec.args:
            submit["EntryPointArguments"] = list(spec.args)
        if spec.main_class:
            submit["SparkSubmitParameters"] = f"--class {spec.main_class}"
        params = {
            "ApplicationId": app,
            "ExecutionRoleArn": role,
            "Name": bounded(f"{self.deployed}-{task.id}", 256),
            "JobDriver": {"SparkSubmit": submit},
        }
        return TaskCall("emr_serverless", RESOURCES["emr_serverless"], params, sync=True)

    def _http(self, task: TaskIR) -> TaskCall:
        spec = task.spec
        assert isinstance(spec, HttpTask)

        def fill(match: re.Match[str]) -> str:
            key = match.group(1)
            if key in self.stack.parameters:
                return self.stack.parameters[key]
            self.needs.missing_stack.add(f"parameters.{key}")
            return stack_placeholder(f"parameters.{key}")

        url = URL_PARAM.sub(fill, spec.url)
        pattern = re.sub(r"\$\{Stack:[^}]*\}", "*", url)
        self.needs.http.add((task.id, spec.method, pattern))
        name = bounded(f"{self.deployed}-{task.id}", 64)
        self.needs.connections.append(ConnectionPlan(task.id, name, spec.auth.token_secret if spec.auth else None))
        params: dict[str, Any] = {
            "ApiEndpoint": url,
            "Method": spec.method,
            "Authentication": {"ConnectionArn": "${ConnectionArn:" + task.id + "}"},
        }
        headers = {k: v for k, v in sorted(spec.headers.items()) if k.lower() != "authorization"}
        if headers:
            params["Headers"] = headers
        if spec.body is not None:
            params["RequestBody"] = spec.body
        ok = tuple(f"States.Http.StatusCode.{s}" for s in sorted(set(spec.expect_status)) if not 200 <= s < 300)
        return TaskCall("http", RESOURCES["http"], params, sync=False, ok_errors=ok)

    def _execution(self, task: TaskIR) -> TaskCall:
        spec = task.spec
        assert isinstance(spec, PipelineRunTask)
        machine = f"{self.env_prefix}{spec.pipeline}"  # its deployed name in this stack
        self.needs.pipelines[spec.pipeline] = machine
        params = {
            "StateMachineArn": "${StateMachineArn:" + machine + "}",
            "Input": {"AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id"},
        }
        return TaskCall("execution", RESOURCES["execution"], params, sync=True)

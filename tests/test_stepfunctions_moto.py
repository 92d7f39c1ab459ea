"""Generated state machines run in moto's Step Functions interpreter (real execution).

The test hook `TaskStub` swaps every task's service call for a Lambda invoke of one stub
function; moto's Docker-less Lambda backend answers with queued results
(`/moto-api/static/lambda-simple/response`). A queued result over 6 MB makes Lambda report an
unhandled function error (`Function.ResponseSizeTooLarge`): that is how a test forces a task
to fail. Alerts are read from an SQS queue subscribed to the alert topic.
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
import requests
from moto import mock_aws

from pipespec.alerts import ALERT_FIELDS
from pipespec.project import load_pipeline, load_string
from pipespec.targets.stepfunctions.asl import TaskStub
from pipespec.targets.stepfunctions.compile import CompiledPipeline, CompileOptions, compile_pipeline
from pipespec.targets.stepfunctions.integrations import LAMBDA_TRANSIENT

REGION = "us-east-1"
OK = json.dumps({"ok": True})
FAIL = json.dumps({"pad": "x" * 6_000_001})  # over Lambda's 6 MB response limit: an unhandled error
STUB = "pipespec-stub"


@dataclass
class Run:
    status: str
    error: str | None
    cause: str | None
    events: list[dict[str, Any]]  # every execution's history, main first
    alerts: list[dict[str, Any]]  # SNS envelopes received on the queue

    def entered(self, name: str) -> int:
        return sum(1 for e in self.events if e.get("stateEnteredEventDetails", {}).get("name") == name)

    def attempts(self, task: str) -> list[dict[str, Any]]:
        """TaskScheduled events of a task (one per attempt)."""
        out: list[dict[str, Any]] = []
        for e in self.events:
            if e["type"] == "TaskScheduled":
                params = json.loads(e["taskScheduledEventDetails"]["parameters"])
                if params.get("Payload", {}).get("task") == task:
                    out.append(e)
        return out


@pytest.fixture
def aws() -> Iterator[None]:
    logging.getLogger("moto").setLevel(logging.CRITICAL)  # moto logs every failed task as an error
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}):
        yield


def _compile(text: str) -> CompiledPipeline:
    loaded = load_string(text, "spec.yaml", targets=["stepfunctions"])
    assert loaded.ir is not None and loaded.ok, [d.format() for d in loaded.diagnostics]
    return compile_pipeline(loaded.ir, None, CompileOptions(stub=TaskStub(STUB)))


def run(compiled: CompiledPipeline, results: Sequence[str] = ()) -> Run:
    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(RoleName="sfn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lam = boto3.client("lambda", region_name=REGION)
    lam.create_function(FunctionName=STUB, Runtime="python3.12", Role=role, Handler="h.h", Code={"ZipFile": b"x"})
    if results:
        resp = requests.post(
            "http://motoapi.amazonaws.com/moto-api/static/lambda-simple/response",
            json={"results": list(results), "region": REGION},
            timeout=10,
        )
        assert resp.status_code == 201
    sns = boto3.client("sns", region_name=REGION)
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    sqs = boto3.client("sqs", region_name=REGION)
    queue = sqs.create_queue(QueueName="alerts")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    sfn = boto3.client("stepfunctions", region_name=REGION)
    arns: dict[str, str] = {}
    for machine in reversed(compiled.machines):  # children first
        text = machine.text.replace("${AlertTopicArn}", topic)
        for name, arn in arns.items():
            text = text.replace("${StateMachineArn:" + name + "}", arn)
        arns[machine.name] = sfn.create_state_machine(name=machine.name, definition=text, roleArn=role)[
            "stateMachineArn"
        ]
    execution = sfn.start_execution(stateMachineArn=arns[compiled.name], input="{}")["executionArn"]
    deadline = time.monotonic() + 60
    while True:
        described = sfn.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING" or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    events = sfn.get_execution_history(executionArn=execution, maxResults=1000)["events"]
    for machine in compiled.machines[1:]:
        for ex in sfn.list_executions(stateMachineArn=arns[machine.name])["executions"]:
            events += sfn.get_execution_history(executionArn=ex["executionArn"], maxResults=1000)["events"]
    alerts = []
    while True:
        got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        if not got:
            break
        alerts += [json.loads(m["Body"]) for m in got]
    return Run(described["status"], described.get("error"), described.get("cause"), events, alerts)


def assert_dependency_order(compiled: CompiledPipeline, result: Run, deps: dict[str, tuple[str, ...]]) -> None:
    """Every task ran once, and only after each of its dependencies succeeded."""
    entered: dict[str, Any] = {}
    exited: dict[str, Any] = {}
    for e in result.events:
        if e["type"] == "TaskStateEntered":
            entered.setdefault(e["stateEnteredEventDetails"]["name"], []).append(e["timestamp"])
        if e["type"] == "TaskStateExited":
            exited.setdefault(e["stateExitedEventDetails"]["name"], []).append(e["timestamp"])
    for task, upstream in deps.items():
        assert len(entered.get(task, [])) == 1, f"{task} ran {len(entered.get(task, []))} times"
        for u in upstream:
            assert exited[u][0] <= entered[task][0], f"{task} started before {u} finished"


MEDALLION = "pipelines/medallion_daily_refresh.yaml"


def test_medallion_success_path_runs_every_task_once_in_dependency_order(aws: None) -> None:
    ir = load_pipeline(MEDALLION, ["stepfunctions"]).ir
    assert ir is not None
    compiled = compile_pipeline(ir, None, CompileOptions(stub=TaskStub(STUB)))
    result = run(compiled, [OK] * len(ir.tasks))
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert_dependency_order(compiled, result, ir.deps)
    # single execution, same order by event id too (ids are strictly increasing within one history)
    ids = {e["stateEnteredEventDetails"]["name"]: e["id"] for e in result.events if e["type"] == "TaskStateEntered"}
    done = {e["stateExitedEventDetails"]["name"]: e["id"] for e in result.events if e["type"] == "TaskStateExited"}
    assert all(done[u] < ids[t.id] for t in ir.tasks for u in t.depends_on)
    # the compiler's history-event estimate is exact for the run it describes
    assert len(result.events) == compiled.main.events
    assert result.alerts == []


CHAIN = """apiVersion: pipespec/v1
name: chain
owner: tests
targets: {stepfunctions: {}}
defaults:
  retries: {count: 2, delay: 1s, backoff: exponential, backoff_rate: 2}
channels:
  team: {type: email, addresses: [t@example.com]}
  oncall: {type: email, addresses: [o@example.com]}
notify:
  on_failure: [team]
  on_success: [team]
tasks:
  a: {kind: shell, command: "true"}
  b: {kind: dbt, command: run, depends_on: [a], notify: {on_failure: [oncall, team]}}
  c: {kind: shell, command: "true", depends_on: [b]}
  cleanup: {kind: shell, command: "true", depends_on: [c], trigger_rule: all_done}
"""


def test_a_failing_task_is_retried_per_spec_then_alerts_and_fails(aws: None) -> None:
    compiled = _compile(CHAIN)
    result = run(compiled, [OK, FAIL, FAIL, FAIL, OK])  # a; b x3 attempts; cleanup
    assert result.status == "FAILED"
    assert result.error == "Function.ResponseSizeTooLarge"  # the task's own error, kept by the Fail state
    assert result.cause is not None and result.cause.startswith("task b failed:")
    attempts = result.attempts("b")
    assert len(attempts) == 3  # 1 + retries
    waits = [(b["timestamp"] - a["timestamp"]).total_seconds() for a, b in itertools.pairwise(attempts)]
    assert waits[0] >= 1.0 and waits[1] >= 2.0  # 1s then 2s: the spec's exponential delays
    assert result.entered("b failed: notify") == 1 and result.entered("b failed") == 1
    assert result.entered("c") == 0  # nothing downstream runs
    assert result.entered("cleanup") == 1  # all_done handler runs after the failure
    (alert,) = result.alerts
    message = json.loads(alert["Message"])
    assert set(message) == set(ALERT_FIELDS)
    assert message["event"] == "failure" and message["task"] == "b" and message["pipeline"] == "chain"
    assert message["error"] == "Function.ResponseSizeTooLarge"
    assert message["run_url"].endswith(message["run_url"].split("details/")[1])
    assert "states/home?region=us-east-1#/v2/executions/details/arn:aws:states:us-east-1:" in message["run_url"]
    assert json.loads(alert["MessageAttributes"]["channels"]["Value"]) == ["oncall", "team"]


def test_a_retried_task_that_recovers_lets_the_run_succeed_and_alerts_success(aws: None) -> None:
    compiled = _compile(CHAIN)
    result = run(compiled, [OK, FAIL, OK, OK, OK])
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert len(result.attempts("b")) == 2
    assert [json.loads(a["Message"])["event"] for a in result.alerts] == ["success"]
    # one failed attempt costs exactly the events the compiler budgets for a retry
    retry_events = (5 - 2) * 1
    assert len(result.events) == compiled.main.events + retry_events


def test_a_failure_inside_a_parallel_branch_stops_the_run_before_downstream(aws: None) -> None:
    text = CHAIN.replace(
        """  a: {kind: shell, command: "true"}
  b: {kind: dbt, command: run, depends_on: [a], notify: {on_failure: [oncall, team]}}
  c: {kind: shell, command: "true", depends_on: [b]}
  cleanup: {kind: shell, command: "true", depends_on: [c], trigger_rule: all_done}
""",
        """  a: {kind: shell, command: "true", retries: 0}
  b: {kind: shell, command: "true", retries: 0}
  c: {kind: shell, command: "true", depends_on: [a, b]}
""",
    )
    compiled = _compile(text)
    result = run(compiled, [FAIL, FAIL])
    assert result.status == "FAILED"
    assert result.entered("c") == 0
    failed = {json.loads(a["Message"])["task"] for a in result.alerts}
    assert failed and failed <= {"a", "b"}


@pytest.fixture
def nested_executions(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto 5.2's interpreter passes the `states` integration's PascalCase parameters to boto3 as is and
    reads its camelCase answer as PascalCase (LocalStack, where the interpreter comes from, maps both
    through the botocore shapes). This restores that mapping for StartExecution, nothing else."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_sfn as sfn

    cls = sfn.StateTaskServiceSfn
    normalise, evaluate = cls._normalise_parameters, cls._eval_service_task

    def parameters(self: Any, params: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        normalise(self, params, *args, **kwargs)
        for key in list(params):
            params[key[0].lower() + key[1:]] = params.pop(key)

    def call(self: Any, env: Any, *args: Any, **kwargs: Any) -> None:
        evaluate(self, env, *args, **kwargs)
        env.stack[-1] = {key[0].upper() + key[1:]: value for key, value in env.stack[-1].items()}

    monkeypatch.setattr(cls, "_normalise_parameters", parameters)
    monkeypatch.setattr(cls, "_eval_service_task", call)


def test_a_split_pipeline_runs_through_nested_executions(aws: None, nested_executions: None) -> None:
    lines = [line for line in CHAIN.splitlines() if "  a:" not in line and "  b:" not in line]
    head = "\n".join(lines[: lines.index("tasks:") + 1])
    tasks = [f"  t{i:02d}: {{kind: shell, command: x, retries: 0{deps}}}" for i, deps in _layers(18)]
    ir = load_string(head + "\n" + "\n".join(tasks) + "\n", "s.yaml", ["stepfunctions"]).ir
    assert ir is not None
    compiled = compile_pipeline(ir, None, CompileOptions(stub=TaskStub(STUB), max_definition_bytes=12_000))
    assert len(compiled.machines) > 2
    result = run(compiled, [OK] * 18)
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    deps = {
        f"t{i:02d}": tuple(d.strip() for d in ds.removeprefix(", depends_on: [").rstrip("]").split(",")) if ds else ()
        for i, ds in _layers(18)
    }
    assert_dependency_order(compiled, result, deps)
    assert [json.loads(a["Message"])["event"] for a in result.alerts] == ["success"]
    # one execution per machine, and the history estimate holds for each of them
    assert sum(1 for e in result.events if e["type"] == "ExecutionStarted") == len(compiled.machines)
    assert len(result.events) == compiled.events


def _layers(n: int) -> list[tuple[int, str]]:
    out = []
    for i in range(n):
        deps = [f"t{j:02d}" for j in range(max(0, (i // 4 - 1) * 4), (i // 4) * 4) if (i + j) % 2 == 0]
        out.append((i, f", depends_on: [{', '.join(deps)}]" if deps else ""))
    return out


def test_lambda_transient_errors_are_retried_without_touching_the_spec_policy() -> None:
    compiled = _compile(CHAIN)
    a = compiled.main.definition["States"]["Run pipeline"]["Branches"][0]["States"]["a"]
    assert a["Retry"][0]["ErrorEquals"] == list(LAMBDA_TRANSIENT)

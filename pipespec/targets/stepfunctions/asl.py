"""Series-parallel tree -> Amazon States Language states.

`Seq` chains states, `Par` becomes a `Parallel` state, every task is a `Task` state named
exactly its task id. Helper states (notifications, checks, `Parallel`s, `Fail`s) get names with
a space, which task ids cannot contain, so they never collide with a task.

A failed task (after its retries) is caught into its own path: an SNS alert when its routing
has channels, then a `Fail` state that keeps the original error. Inside a `Parallel`, that
`Fail` fails the whole `Parallel`, which stops the sibling branches still running (Step
Functions stops their running jobs); nothing downstream runs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, cast

from ...alerts import NEXT_STEP, AlertMessage, title
from ...environment import Environment
from ...ir import PipelineIR, TaskIR
from ...notify_plan import sns_message_attributes
from ...spize import Leaf, Par, Seq, SPNode
from .integrations import CALL_EVENTS, LAMBDA_TRANSIENT, RESOURCES, SYNC_EVENTS, TaskCall

MAX_STATE_NAME = 80
MAX_SUBJECT = 100  # SNS subject limit
CHECK_FAILED = "pipespec.CheckFailed"
RUN_URL = (
    "States.Format('https://{}.console.aws.amazon.com/states/home?region={}#/v2/executions/details/{}', "
    "States.ArrayGetItem(States.StringSplit($$.Execution.Id, ':'), 3), "
    "States.ArrayGetItem(States.StringSplit($$.Execution.Id, ':'), 3), $$.Execution.Id)"
)

# History events per state on the success path (see docs/targets/stepfunctions.md).
PARALLEL_EVENTS = 4  # Entered, Started, Succeeded, Exited
PASS_EVENTS = 2  # Entered, Exited (Pass, Choice, Succeed)
EXECUTION_EVENTS = 2  # ExecutionStarted, ExecutionSucceeded


@dataclass(frozen=True)
class Nested:
    """An SP subtree run as its own state machine (the parent waits for it with `startExecution.sync:2`)."""

    machine: str  # deployed state machine name
    body: SPNode | Nested  # may hold further nested machines


@dataclass(frozen=True)
class TaskStub:
    """Test hook: every task invokes one Lambda function instead of its service.

    Retries, timeouts, catches and notifications stay exactly as compiled; only each task's
    `Resource`/`Parameters` change (SQL result checks are left out: there is no query). With
    moto's Lambda backend (`use_docker: False`) the results are queued through
    `/moto-api/static/lambda-simple/response`; a queued result over 6 MB makes Lambda report an
    unhandled function error, which forces a task failure.
    """

    function: str = "pipespec-stub"


@dataclass
class Cost:
    """What a piece of a state machine costs on a successful run."""

    events: int = 0  # history events, no retry
    retry_events: int = 0  # extra events if every retry is used
    transitions: int = 0  # states entered, no retry

    def add(self, other: Cost) -> None:
        self.events += other.events
        self.retry_events += other.retry_events
        self.transitions += other.transitions


class Namer:
    """Unique state names within 80 characters; helper names always keep a space (task ids have none)."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def task(self, task_id: str) -> str:
        if task_id in self.used or len(task_id) > MAX_STATE_NAME:
            raise ValueError(f"task id {task_id!r} cannot be a state name")  # the target's checks prevent this
        self.used.add(task_id)
        return task_id

    def helper(self, name: str) -> str:
        k = 1
        while True:
            candidate = name if k == 1 else f"{name} #{k}"
            if len(candidate) > MAX_STATE_NAME:
                digest = hashlib.sha256(candidate.encode()).hexdigest()[:8]
                candidate = f"{candidate[: MAX_STATE_NAME - 10]} {digest}"
            if candidate not in self.used:
                self.used.add(candidate)
                return candidate
            k += 1


def link(state: dict[str, Any], nxt: str | None) -> dict[str, Any]:
    if nxt is None:
        state["End"] = True
    else:
        state["Next"] = nxt
    return state


@dataclass
class Context:
    ir: PipelineIR
    env: Environment
    deployed: str
    calls: dict[str, TaskCall]
    stub: TaskStub | None = None
    namer: Namer = field(default_factory=Namer)
    uses_alerts: bool = False


States = dict[str, Any]


class StateBuilder:
    """Builds the states of one state machine; `cost` accumulates its success-path cost."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.cost = Cost()

    # -- alerts ------------------------------------------------------------------------------

    def alert(self, event: str, task: str, channels: tuple[str, ...], nxt: str | None) -> dict[str, Any]:
        """An SNS publish of one alert (pipespec/alerts.py contract), routed by the `channels` attribute."""
        self.ctx.uses_alerts = True
        failure = event == "failure"
        base = {
            "event": event,
            "pipeline": self.ctx.deployed,
            "task": task,
            "environment": self.ctx.env.name,
            "platform": "stepfunctions",
        }
        message: dict[str, Any] = dict(base)
        if failure:
            message["error.$"] = "$.failure.Error"
            message["cause.$"] = "$.failure.Cause"
        message["run_url.$"] = RUN_URL
        message["next"] = NEXT_STEP[event]
        subject = title(cast(AlertMessage, base)).encode("ascii", "replace").decode()
        state: dict[str, Any] = {
            "Type": "Task",
            "Resource": RESOURCES["sns"],
            "Parameters": {
                "TopicArn": "${AlertTopicArn}",
                "Subject": subject if len(subject) <= MAX_SUBJECT else subject[: MAX_SUBJECT - 3] + "...",
                "Message": message,
                "MessageAttributes": sns_message_attributes(channels),
            },
            "ResultPath": None,
            # SNS throttling is transient; retried a little, never blocking the run's own outcome.
            "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 2.0}],
        }
        if failure and nxt is not None:
            # A lost alert must not hide the task's failure: go on to the Fail state regardless.
            state["Catch"] = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.alert_error", "Next": nxt}]
        return link(state, nxt)

    # -- tasks -------------------------------------------------------------------------------

    def _call(self, task: TaskIR) -> TaskCall:
        call = self.ctx.calls[task.id]
        stub = self.ctx.stub
        if stub is None:
            return call
        payload = {"task": task.id, "integration": call.resource, "execution_id.$": "$$.Execution.Id"}
        params = {"FunctionName": stub.function, "Payload": payload}
        return TaskCall(call.integration, RESOURCES["lambda"], params, sync=False, ok_errors=call.ok_errors)

    def _retry(self, task: TaskIR, call: TaskCall) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        if call.ok_errors:  # an expected status is an answer, not a failure: never retried
            out.append({"ErrorEquals": list(call.ok_errors), "MaxAttempts": 0})
        if call.resource == RESOURCES["lambda"]:
            out.append(
                {"ErrorEquals": list(LAMBDA_TRANSIENT), "IntervalSeconds": 1, "MaxAttempts": 3, "BackoffRate": 2.0}
            )
        policy = task.retry
        if policy.retries > 0:
            errors = ["States.TaskFailed"] + (["States.Timeout"] if policy.retry_on_timeout else [])
            retrier: dict[str, Any] = {
                "ErrorEquals": errors,
                "IntervalSeconds": max(1, policy.delay_s),
                "MaxAttempts": policy.retries,
                "BackoffRate": float(policy.backoff_rate),
                "JitterStrategy": "NONE",  # the spec's delays are exact (RetryPolicy.delays)
            }
            if policy.max_delay_s is not None:
                retrier["MaxDelaySeconds"] = max(1, policy.max_delay_s)
            out.append(retrier)
        return out

    def failure_path(self, task: TaskIR, scope: States) -> str:
        """`<id> failed: notify` (when routed) -> `<id> failed`; returns the first state's name."""
        fail = self.ctx.namer.helper(f"{task.id} failed")
        scope[fail] = {
            "Type": "Fail",
            "ErrorPath": "$.failure.Error",
            "CausePath": f"States.Format('task {task.id} failed: {{}}', $.failure.Cause)",
        }
        channels = task.notify.on_failure
        if not channels:
            return fail
        notify = self.ctx.namer.helper(f"{task.id} failed: notify")
        scope[notify] = self.alert("failure", task.id, channels, fail)
        return notify

    def _after(self, task: TaskIR, nxt: str | None, scope: States) -> str | None:
        """The task's own success alert (a task-level on_success that differs from the pipeline's)."""
        channels = task.notify.on_success
        if not channels or channels == self.ctx.ir.notify.on_success:
            return nxt
        name = self.ctx.namer.helper(f"{task.id} succeeded: notify")
        scope[name] = self.alert("success", task.id, channels, nxt)
        self.cost.add(Cost(CALL_EVENTS, 0, 1))
        return name

    def _successor(self, task: TaskIR, nxt: str | None, label: str, scope: States) -> str:
        """A state a Catch or Choice can point at: `nxt`, or a `Pass` that ends the branch."""
        if nxt is not None:
            return nxt
        name = self.ctx.namer.helper(f"{task.id} {label}")
        scope[name] = {"Type": "Pass", "End": True}
        self.cost.add(Cost(PASS_EVENTS, 0, 1))
        return name

    def task(self, task: TaskIR, nxt: str | None, scope: States) -> str:
        call = self._call(task)
        name = self.ctx.namer.task(task.id)
        nxt = self._after(task, nxt, scope)
        on_failure = self.failure_path(task, scope)
        state: dict[str, Any] = {
            "Type": "Task",
            "Resource": call.resource,
            "Parameters": call.parameters,
            "ResultPath": None,
        }
        if task.timeout_s:
            state["TimeoutSeconds"] = task.timeout_s
        retry = self._retry(task, call)
        if retry:
            state["Retry"] = retry
        catch: list[dict[str, Any]] = []
        if call.ok_errors:
            ok = self._successor(task, nxt, "answered", scope)
            catch.append({"ErrorEquals": list(call.ok_errors), "ResultPath": None, "Next": ok})
        catch.append({"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": on_failure})
        state["Catch"] = catch
        events = SYNC_EVENTS if call.sync else CALL_EVENTS
        # A failed attempt adds Scheduled, Started, (Submitted,) Failed.
        self.cost.add(Cost(events, (events - 2) * task.retry.retries, 1))
        if call.check and self.ctx.stub is None:
            state["ResultSelector"] = {"QueryExecutionId.$": "$.QueryExecution.QueryExecutionId"}
            state["ResultPath"] = "$.check"
            state["Next"] = self._check(task, retry, on_failure, nxt, scope)
        else:
            link(state, nxt)
        scope[name] = state
        return name

    def _check(self, task: TaskIR, retry: list[dict[str, Any]], on_failure: str, nxt: str | None, scope: States) -> str:
        """Athena check: fetch the first row, continue when its first column is `true`."""
        fetch = self.ctx.namer.helper(f"{task.id}: fetch check result")
        verdict = self.ctx.namer.helper(f"{task.id}: check result")
        failed = self.ctx.namer.helper(f"{task.id}: check failed")
        value = "$.check.rows[1].Data[0].VarCharValue"  # row 0 holds the column names
        ok = self._successor(task, nxt, "check passed", scope)
        scope[fetch] = {
            "Type": "Task",
            "Resource": RESOURCES["athena_results"],
            "Parameters": {"QueryExecutionId.$": "$.check.QueryExecutionId", "MaxResults": 2},
            "ResultSelector": {"rows.$": "$.ResultSet.Rows"},
            "ResultPath": "$.check",
            **({"Retry": retry} if retry else {}),
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": on_failure}],
            "Next": verdict,
        }
        scope[verdict] = {
            "Type": "Choice",
            "Choices": [
                {
                    # IsPresent first: And stops there, so an empty result is a failed check, not a crash.
                    "And": [{"Variable": value, "IsPresent": True}, {"Variable": value, "StringEquals": "true"}],
                    "Next": ok,
                }
            ],
            "Default": failed,
        }
        scope[failed] = {
            "Type": "Pass",
            "Result": {"Error": CHECK_FAILED, "Cause": "the first column of the query's first row is not true"},
            "ResultPath": "$.failure",
            "Next": on_failure,
        }
        self.cost.add(Cost(CALL_EVENTS + PASS_EVENTS, 0, 2))
        return fetch

    # -- structure ---------------------------------------------------------------------------

    def build(self, node: SPNode | Nested, nxt: str | None, scope: States) -> str:
        """Add the states of `node` to `scope`, continuing with `nxt`; return the first state's name."""
        if isinstance(node, Leaf):
            return self.task(self.ctx.ir.task(node.task), nxt, scope)
        if isinstance(node, Nested):
            return self.nested(node, nxt, scope)
        if isinstance(node, Seq):
            for child in reversed(node.children):
                nxt = self.build(child, nxt, scope)
            assert nxt is not None
            return nxt
        return self.parallel(node, nxt, scope)

    def parallel(self, node: Par, nxt: str | None, scope: States) -> str:
        heads = ", ".join(first_task(c) for c in node.children)
        name = self.ctx.namer.helper(f"Parallel: {heads}")
        branches = []
        for child in node.children:
            states: States = {}
            start = self.build(child, None, states)
            branches.append({"StartAt": start, "States": states})
        scope[name] = link({"Type": "Parallel", "Branches": branches, "ResultPath": None}, nxt)
        self.cost.add(Cost(PARALLEL_EVENTS, 0, 1))
        return name

    def nested(self, node: Nested, nxt: str | None, scope: States) -> str:
        name = self.ctx.namer.helper(f"Run {node.machine}")
        # No Retry (a rerun would repeat tasks that succeeded) and no Catch (the nested
        # machine's tasks alert for themselves): its failure fails this machine too.
        scope[name] = link(
            {
                "Type": "Task",
                "Resource": RESOURCES["execution"],
                "Parameters": {
                    "StateMachineArn": "${StateMachineArn:" + node.machine + "}",
                    "Input": {"AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id"},
                },
                "ResultPath": None,
            },
            nxt,
        )
        self.cost.add(Cost(SYNC_EVENTS, 0, 1))
        return name


def node_tasks(node: SPNode | Nested) -> Iterator[str]:
    """Tasks left to right, through nested machines."""
    stack: list[SPNode | Nested] = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, Leaf):
            yield cur.task
        elif isinstance(cur, Nested):
            stack.append(cur.body)
        else:
            stack.extend(reversed(cur.children))


def first_task(node: SPNode | Nested) -> str:
    return next(node_tasks(node))

"""PipelineIR + Deployment -> everything the Step Functions component deploys, pure and deterministic.

The result carries the ASL definitions (main machine first, then nested machines by name),
the IAM policy template, the Glue jobs and EventBridge connections to create, the schedule,
the stale-data alarm window and the run statistics the CLI prints. Values only known at
deploy time are `${...}` placeholders (see `PLACEHOLDER`), substituted by the component.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from ...diagnostics import Diagnostic, Severity, SpecError
from ...environment import Deployment, Environment
from ...ir import PipelineIR
from ...spize import SPNode
from .asl import (
    EXECUTION_EVENTS,
    PARALLEL_EVENTS,
    PASS_EVENTS,
    Context,
    Cost,
    Nested,
    StateBuilder,
    States,
    TaskStub,
    link,
)
from .iam import policy
from .integrations import CALL_EVENTS, CallBuilder, ConnectionPlan, GlueJobPlan, Needs, TaskCall, integration_of
from .render import render_json
from .schedule import ScheduleSpec, StaleAlarm, schedule, stale_alarm
from .split import MAX_DEFINITION_BYTES, MAX_HISTORY_EVENTS, Budget, Size, Splitter, collect
from .stack import StepFunctionsStack
from .timing import Plan, Timing, plan

PLACEHOLDER = re.compile(r"\$\{([A-Za-z]+)(?::([^}]*))?\}")
# Longest value each placeholder can take (ARNs with the longest partition/region/names): the
# 1 MiB limit applies to the definition as deployed, after substitution.
PLACEHOLDER_MAX = {
    "AlertTopicArn": 46 + 256,
    "StateMachineArn": 60 + 80,
    "ConnectionArn": 60 + 64 + 37,
    "Stack": 512,
}
FAILURE_RESERVE_EVENTS = 40  # the failure path of one task plus the execution's end, kept free
NESTED_ROOT_BYTES = 400  # Comment, StartAt, TimeoutSeconds of a machine
SIZE_ATTEMPTS = 6


class StepFunctionsCompileError(SpecError):
    """The pipeline cannot compile for Step Functions (diagnostics say where and why)."""


@dataclass(frozen=True)
class CompileOptions:
    stub: TaskStub | None = None  # test hook (see TaskStub)
    max_definition_bytes: int = MAX_DEFINITION_BYTES
    max_history_events: int = MAX_HISTORY_EVENTS


@dataclass(frozen=True)
class Machine:
    name: str  # deployed state machine name
    definition: dict[str, Any]
    text: str  # the exact JSON document deployed (placeholders unsubstituted)
    tasks: tuple[str, ...]
    transitions: int  # per successful run without retries
    events: int  # history events per successful run without retries
    events_worst: int  # ... with every retry used
    deployed_bytes: int  # size after substitution, placeholders at their longest
    nested: tuple[str, ...]  # machines it starts

    @property
    def filename(self) -> str:
        return f"{self.name}.asl.json"


@dataclass(frozen=True)
class CompiledPipeline:
    """Everything the component deploys for one pipeline; nothing in it is re-derived downstream."""

    pipeline: str  # spec name
    name: str  # deployed name of the main state machine
    env: Environment
    stack: StepFunctionsStack
    machines: tuple[Machine, ...]  # main first, then nested machines by name
    policy: dict[str, Any]  # IAM policy template (placeholders)
    glue_jobs: tuple[GlueJobPlan, ...]
    connections: tuple[ConnectionPlan, ...]
    schedule: ScheduleSpec | None
    stale_alarm: StaleAlarm | None
    timing: Timing
    pipelines: dict[str, str]  # pipelines run by `pipeline` tasks: spec name -> deployed machine name
    missing_stack: tuple[str, ...]  # stack settings the tasks need but the stack lacks
    placeholders: tuple[str, ...]  # every `${...}` of the definitions and the policy, sorted
    timeout_s: int | None
    stub: bool = False
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def main(self) -> Machine:
        return self.machines[0]

    @property
    def transitions(self) -> int:
        return sum(m.transitions for m in self.machines)

    @property
    def events(self) -> int:
        return sum(m.events for m in self.machines)


def deployed_size(text: str) -> int:
    """Bytes after substitution, each placeholder taken at its longest value."""
    size = len(text.encode())
    for match in PLACEHOLDER.finditer(text):
        longest = PLACEHOLDER_MAX.get(match.group(1), 0)
        size += max(0, longest - len(match.group(0)))
    return size


def placeholders(text: str) -> set[str]:
    return {m.group(0)[2:-1] for m in PLACEHOLDER.finditer(text)}


class _Compiler:
    def __init__(self, ir: PipelineIR, deployment: Deployment, options: CompileOptions) -> None:
        self.ir = ir
        self.env = deployment.env
        self.stack: StepFunctionsStack = deployment.settings or StepFunctionsStack()
        self.options = options
        self.deployed = self.env.deployed_name(ir.name)
        self.plan: Plan = plan(ir)
        self.builder = CallBuilder(ir, self.stack, self.deployed, self.env.name_prefix)
        self.calls: dict[str, TaskCall] = {t.id: self.builder.call(t) for t in ir.tasks}
        self._leaf_cache: dict[str, Size] = {}
        self.uses_alerts = False

    # -- sizes -----------------------------------------------------------------------------

    def leaf_size(self, task_id: str) -> Size:
        hit = self._leaf_cache.get(task_id)
        if hit is None:
            ctx = Context(self.ir, self.env, self.deployed, self.calls, self.options.stub)
            sb = StateBuilder(ctx)
            states: States = {}
            sb.task(self.ir.task(task_id), "x" * 40, states)
            text = render_json(states)
            hit = Size(deployed_size(text), sb.cost.events + sb.cost.retry_events)
            self._leaf_cache[task_id] = hit
        return hit

    # -- machines --------------------------------------------------------------------------

    def _root(self, body: States, start: str, comment: str) -> dict[str, Any]:
        out: dict[str, Any] = {"Comment": comment, "StartAt": start, "States": body}
        if self.ir.timeout_s:
            out["TimeoutSeconds"] = self.ir.timeout_s
        return out

    def _main(self, sb: StateBuilder, tree: SPNode | Nested | None) -> dict[str, Any]:
        """The main machine: start alert, body, failure handlers, success alert."""
        ir = self.ir
        states: States = {}
        namer = sb.ctx.namer
        nxt: str | None = None
        if ir.notify.on_success:
            nxt = namer.helper("Notify success")
            states[nxt] = sb.alert("success", "", ir.notify.on_success, None)
            sb.cost.add(Cost(CALL_EVENTS, 0, 1))
        handlers = self.plan.handlers
        if handlers:
            outcome = namer.helper("Check outcome")
            failed = namer.helper("Pipeline failed")
            succeeded = nxt or namer.helper("Pipeline succeeded")
            if nxt is None:
                states[succeeded] = {"Type": "Succeed"}
                sb.cost.add(Cost(PASS_EVENTS, 0, 1))
            states[failed] = {"Type": "Fail", "ErrorPath": "$.failure.Error", "CausePath": "$.failure.Cause"}
            states[outcome] = {
                "Type": "Choice",
                "Choices": [{"Variable": "$.failure", "IsPresent": True, "Next": failed}],
                "Default": succeeded,
            }
            sb.cost.add(Cost(PASS_EVENTS, 0, 1))
            finally_name = namer.helper("Run failure handlers")
            branches = []
            for handler in handlers:
                scope: States = {}
                if handler.trigger_rule == "all_done":
                    start = sb.task(handler, None, scope)
                else:
                    # one_failed / all_failed: only after a failure, so not on the success path's bill.
                    start = StateBuilder(sb.ctx).task(handler, None, scope)
                    gate = namer.helper(f"{handler.id}: after a failure?")
                    skip = namer.helper(f"{handler.id}: skipped")
                    scope[gate] = {
                        "Type": "Choice",
                        "Choices": [{"Variable": "$.failure", "IsPresent": True, "Next": start}],
                        "Default": skip,
                    }
                    scope[skip] = {"Type": "Succeed"}
                    sb.cost.add(Cost(2 * PASS_EVENTS, 0, 2))
                    start = gate
                branches.append({"StartAt": start, "States": scope})
            states[finally_name] = {"Type": "Parallel", "Branches": branches, "ResultPath": None, "Next": outcome}
            sb.cost.add(Cost(PARALLEL_EVENTS, 0, 1))
            body_name = namer.helper("Run pipeline")
            inner: States = {}
            assert tree is not None
            inner_start = sb.build(tree, None, inner)
            states[body_name] = {
                "Type": "Parallel",
                "Branches": [{"StartAt": inner_start, "States": inner}],
                "ResultPath": None,
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": finally_name}],
                "Next": finally_name,
            }
            sb.cost.add(Cost(PARALLEL_EVENTS, 0, 1))
            start = body_name
        else:
            assert tree is not None
            start = sb.build(tree, nxt, states)
        if ir.notify.on_start:
            first = namer.helper("Notify start")
            states[first] = link(sb.alert("start", "", ir.notify.on_start, start), start)
            sb.cost.add(Cost(CALL_EVENTS, 0, 1))
            start = first
        return self._root(states, start, self._comment())

    def _comment(self, part: str = "") -> str:
        what = f"{self.deployed}{f' ({part})' if part else ''}"
        desc = f": {self.ir.description}" if self.ir.description else ""
        spec_file = self.ir.source.file.replace("\\", "/").rsplit("/", 1)[-1]  # no machine-specific paths
        return f"{what}{desc}. Generated by pipespec from {spec_file}; edit the spec, not this file."

    def _machine(self, name: str, body: SPNode | Nested | None, main: bool) -> Machine:
        ctx = Context(self.ir, self.env, self.deployed, self.calls, self.options.stub)
        sb = StateBuilder(ctx)
        if main:
            definition = self._main(sb, body)
        else:
            assert isinstance(body, Nested)
            states: States = {}
            start = sb.build(body.body, None, states)
            definition = self._root(states, start, self._comment(f"nested machine of {self.deployed}"))
        self.uses_alerts = self.uses_alerts or ctx.uses_alerts
        text = render_json(definition)
        nested: list[str] = []
        if body is not None:
            inner = body.body if isinstance(body, Nested) else body
            nested = [n.machine for n in _direct_nested(inner)]
        tasks = tuple(_tasks(definition))
        events = sb.cost.events + EXECUTION_EVENTS
        return Machine(
            name,
            definition,
            text,
            tasks,
            sb.cost.transitions,
            events,
            events + sb.cost.retry_events,
            deployed_size(text),
            tuple(sorted(nested)),
        )

    def compile(self) -> CompiledPipeline:
        tree = self.plan.tree
        if tree is None:
            raise StepFunctionsCompileError(
                [
                    Diagnostic(
                        self.ir.source.file,
                        self.ir.source.line,
                        self.ir.source.column,
                        Severity.ERROR,
                        "PS461",
                        "every task is a failure handler: nothing to run",
                        ("tasks",),
                        "a pipeline needs at least one task with trigger_rule all_success",
                        "stepfunctions",
                    )
                ]
            )
        limit = Budget(self.options.max_definition_bytes, self.options.max_history_events - FAILURE_RESERVE_EVENTS)
        budget = limit
        for _ in range(SIZE_ATTEMPTS):
            self.uses_alerts = False
            machines = self._split(tree, budget)
            worst_bytes = max(m.deployed_bytes / limit.bytes for m in machines)
            worst_events = max(m.events_worst / limit.events for m in machines)
            if worst_bytes <= 1 and worst_events <= 1:
                break
            # The estimate was short (indentation, shared helpers): tighten and pack again.
            budget = Budget(
                int(budget.bytes / max(1.0, worst_bytes) * 0.95), int(budget.events / max(1.0, worst_events) * 0.95)
            )
        else:
            raise StepFunctionsCompileError([self._too_big(machines, limit)])
        return self._result(machines)

    def _split(self, tree: SPNode, budget: Budget) -> list[Machine]:
        # What the main machine holds besides the body: alerts, failure handlers and their frame.
        alert = Size(1600, CALL_EVENTS)
        main_overhead = sum((self.leaf_size(h.id) for h in self.plan.handlers), Size(600, 0))
        main_overhead += alert if self.ir.notify.on_start else Size(0, 0)
        main_overhead += alert if self.ir.notify.on_success else Size(0, 0)
        main_overhead += Size(1500, 20) if self.plan.handlers else Size(0, 0)
        inner = Budget(budget.bytes - NESTED_ROOT_BYTES, budget.events - EXECUTION_EVENTS)
        splitter = Splitter(self.leaf_size, self.deployed, inner)
        root = splitter.pack(tree)
        if not (splitter.size(root) + main_overhead).fits(inner):
            main_budget = Budget(inner.bytes - main_overhead.bytes, inner.events - main_overhead.events)
            root = Splitter(self.leaf_size, self.deployed, main_budget).pack(tree)
        machines = [self._machine(self.deployed, root, main=True)]
        for nested in collect(root):
            machines.append(self._machine(nested.machine, nested, main=False))
        return machines

    def _too_big(self, machines: list[Machine], limit: Budget) -> Diagnostic:
        worst = max(machines, key=lambda m: (m.deployed_bytes / limit.bytes, m.events_worst / limit.events))
        return Diagnostic(
            self.ir.source.file,
            self.ir.source.line,
            self.ir.source.column,
            Severity.ERROR,
            "PS462",
            f"state machine {worst.name!r} stays over Step Functions' limits even when split "
            f"({worst.deployed_bytes} bytes of {limit.bytes}, up to {worst.events_worst} history events of "
            f"{limit.events})",
            (),
            "a single task's states are too large: shorten its parameters (inline SQL, HTTP bodies)",
            "stepfunctions",
        )

    def _result(self, machines: list[Machine]) -> CompiledPipeline:
        needs: Needs = self.builder.needs
        integrations = {integration_of(t) for t in self.ir.tasks}
        doc = policy(
            needs,
            machines[0].name,
            [m.name for m in machines[1:]],
            alerts=self.uses_alerts,
            tracing=self.stack.tracing,
            integrations=integrations,
        )
        found: set[str] = set()
        for m in machines:
            found |= placeholders(m.text)
        found |= placeholders(json.dumps(doc))
        expected = self.plan.timing.makespan_s
        return CompiledPipeline(
            pipeline=self.ir.name,
            name=self.deployed,
            env=self.env,
            stack=self.stack,
            machines=tuple(machines),
            policy=doc,
            glue_jobs=tuple(sorted(needs.glue_job_plans, key=lambda g: g.name)),
            connections=tuple(sorted(needs.connections, key=lambda c: c.task)),
            schedule=schedule(self.ir, self.env, self.stack.schedule_group),
            stale_alarm=stale_alarm(self.ir, expected) if self.stack.stale_alarm else None,
            timing=self.plan.timing,
            pipelines=dict(sorted(needs.pipelines.items())),
            missing_stack=tuple(sorted(needs.missing_stack)),
            placeholders=tuple(sorted(found)),
            timeout_s=self.ir.timeout_s,
            stub=self.options.stub is not None,
            tags=dict(sorted({**self.env.tags, "pipespec:pipeline": self.ir.name}.items())),
        )


def _direct_nested(node: SPNode | Nested) -> list[Nested]:
    out: list[Nested] = []
    stack: list[Any] = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, Nested):
            out.append(cur)
        elif hasattr(cur, "children"):
            stack.extend(cur.children)
    return out


def _tasks(definition: dict[str, Any]) -> list[str]:
    """Task states named after task ids (helper names contain a space), in definition order."""
    out: list[str] = []
    stack: list[dict[str, Any]] = [definition["States"]]
    while stack:
        states = stack.pop()
        for name, state in sorted(states.items()):
            if state["Type"] == "Task" and " " not in name:
                out.append(name)
            for branch in state.get("Branches", ()):
                stack.append(branch["States"])
    return sorted(out)


def compile_pipeline(
    ir: PipelineIR, deployment: Deployment | None = None, options: CompileOptions | None = None
) -> CompiledPipeline:
    """Compile `ir` for Step Functions. Raises StepFunctionsCompileError (diagnostics) when it cannot."""
    return _Compiler(ir, deployment or Deployment(), options or CompileOptions()).compile()

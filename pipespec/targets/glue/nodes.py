"""What each task is on Glue (a job or a crawler, created or existing), its Glue names, and the
conditional trigger predicate that reproduces its dependencies.

A conditional trigger watches the *direct* upstream tasks of its task (nothing more: one
condition per upstream and watched state), so the workflow graph has exactly the spec's edges.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ...environment import Environment
from ...ir import PipelineIR, TaskIR
from ...spec.tasks import GlueTask
from .settings import GluePipelineSettings, GlueTaskSettings

TARGET = "glue"
NodeKind = Literal["job", "crawler"]

# Final states a trigger condition can watch (Glue API `Condition.State` / `CrawlState`).
SUCCESS: dict[NodeKind, tuple[str, ...]] = {"job": ("SUCCEEDED",), "crawler": ("SUCCEEDED",)}
FAILURE: dict[NodeKind, tuple[str, ...]] = {"job": ("FAILED", "TIMEOUT"), "crawler": ("FAILED",)}
FAILURE_RULES = ("one_failed", "all_failed")


@dataclass(frozen=True)
class Node:
    task: str
    kind: NodeKind
    name: str  # the Glue job or crawler name the workflow runs
    created: bool  # created by the component (False: an existing job named by the spec)


class UnsupportedRule(ValueError):
    """A trigger rule Glue's predicates cannot express for this many upstreams (the checks report it)."""


def task_settings(task: TaskIR) -> GlueTaskSettings:
    value = task.settings(TARGET)
    return value if isinstance(value, GlueTaskSettings) else GlueTaskSettings()


def pipeline_settings(ir: PipelineIR) -> GluePipelineSettings:
    value = ir.targets.get(TARGET)
    return value if isinstance(value, GluePipelineSettings) else GluePipelineSettings()


def is_crawler(task: TaskIR) -> bool:
    return task_settings(task).crawler is not None


def workflow_name(ir: PipelineIR, env: Environment) -> str:
    return env.deployed_name(ir.name)


def start_trigger_name(deployed: str) -> str:
    return f"{deployed}-start"


def trigger_name(deployed: str, task_id: str) -> str:
    return f"{deployed}-run-{task_id}"


def node_of(task: TaskIR, deployed: str, env: Environment) -> Node:
    spec = task.spec
    assert isinstance(spec, GlueTask)
    if is_crawler(task):
        # Interim crawler form: `job_name` names the crawler, created per environment.
        return Node(task.id, "crawler", env.deployed_name(spec.job_name or task.id), True)
    if spec.script and not spec.job_name:
        return Node(task.id, "job", f"{deployed}-{task.id}", True)
    return Node(task.id, "job", spec.job_name or "", False)


def nodes_of(ir: PipelineIR, env: Environment) -> dict[str, Node]:
    deployed = workflow_name(ir, env)
    return {t.id: node_of(t, deployed, env) for t in ir.tasks}


def condition(node: Node, state: str) -> dict[str, str]:
    if node.kind == "crawler":
        return {"CrawlState": state, "CrawlerName": node.name, "LogicalOperator": "EQUALS"}
    return {"JobName": node.name, "LogicalOperator": "EQUALS", "State": state}


def watched_states(task: TaskIR, upstream: Node) -> tuple[str, ...]:
    """The upstream final states that satisfy this task's trigger rule (per condition)."""
    rule = task.trigger_rule
    single = len(task.depends_on) == 1
    if rule in ("all_success", "none_failed", "one_success"):
        return SUCCESS[upstream.kind]
    if rule == "one_failed" or (rule == "all_failed" and single):
        return FAILURE[upstream.kind]
    if rule == "all_failed":
        # AND needs one state per upstream: FAILED (a timed-out upstream does not count; checks warn).
        return FAILURE[upstream.kind][:1]
    if rule == "all_done" and single:
        return SUCCESS[upstream.kind] + FAILURE[upstream.kind]
    raise UnsupportedRule(f"task {task.id!r}: {rule} with {len(task.depends_on)} upstream tasks")


def logical(task: TaskIR) -> str:
    """AND: every condition must hold; ANY: one is enough (one state per upstream under AND)."""
    rule = task.trigger_rule
    if rule in ("all_success", "none_failed") or (rule == "all_failed" and len(task.depends_on) > 1):
        return "AND"
    return "ANY"


def predicate(task: TaskIR, nodes: dict[str, Node]) -> dict[str, Any]:
    conditions = [condition(nodes[up], state) for up in task.depends_on for state in watched_states(task, nodes[up])]
    return {"Conditions": conditions, "Logical": logical(task)}


def condition_count(task: TaskIR, nodes: dict[str, Node]) -> int:
    return sum(len(watched_states(task, nodes[up])) for up in task.depends_on)

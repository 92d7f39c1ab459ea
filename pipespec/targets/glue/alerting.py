"""EventBridge rules that turn Glue state changes into pipespec alerts (`pipespec.alerts`) on the
pipeline's SNS topic.

One rule per task and event: a failed or timed-out job run, a failed crawl, a job run still
going past the task's SLA (Glue's job run delay notification). The input transformer writes
the alert JSON itself, so channel formatters show the same fields as for every other target.
EventBridge cannot set SNS message attributes, so these alerts carry no `channels` attribute
and reach the pipeline's alarm channels (its failure and SLA channels).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from ...alerts import ALERT_FIELDS, NEXT_STEP, AlertEvent
from ...environment import Environment
from ...ir import TaskIR
from ...notify_plan import bounded
from .nodes import Node

RULE_NAME_MAX = 64  # EventBridge rule names: 1-64 of [.-_A-Za-z0-9]
TOPIC = "${AlertTopicArn}"
PLATFORM = "glue"

# (alert event, spec routing event, detail-type, the node states that raise it)
JOB_RULES: tuple[tuple[AlertEvent, str, str, tuple[str, ...]], ...] = (
    ("failure", "on_failure", "Glue Job State Change", ("FAILED",)),
    ("timeout", "on_failure", "Glue Job State Change", ("TIMEOUT",)),
    ("sla_miss", "on_sla_miss", "Glue Job Run Status", ()),
)
CRAWLER_RULES: tuple[tuple[AlertEvent, str, str, tuple[str, ...]], ...] = (
    ("failure", "on_failure", "Glue Crawler State Change", ("Failed",)),
)


@dataclass(frozen=True)
class AlertRule:
    task: str
    event: AlertEvent
    name: str
    pattern: dict[str, Any]
    paths: dict[str, str]
    template: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "Event": self.event,
            "EventPattern": self.pattern,
            "Name": self.name,
            "Target": {"Arn": TOPIC, "InputPathsMap": self.paths, "InputTemplate": self.template},
            "Task": self.task,
        }


def _run_url(node: Node) -> str:
    console = "https://<region>.console.aws.amazon.com"
    if node.kind == "crawler":
        return f"{console}/glue/home?region=<region>#/v2/data-catalog/crawlers/view/{quote(node.name)}"
    return f"{console}/gluestudio/home?region=<region>#/job/{quote(node.name)}/run/<run>"


def _next(event: AlertEvent, task: TaskIR, node: Node) -> str:
    if event == "failure" and node.kind == "job" and node.created and task.retry.retries:
        return (
            f"Glue retries failed runs of this job up to {task.retry.retries} time(s), at once; this alert is sent "
            "for every failed attempt. " + NEXT_STEP["failure"]
        )
    return NEXT_STEP[event]


def _template(event: AlertEvent, task: TaskIR, node: Node, deployed: str, env: Environment) -> str:
    what = "crawler" if node.kind == "crawler" else "job"
    error = f"Glue {what} run still running past its SLA (<state>)" if event == "sla_miss" else f"Glue {what} <state>"
    message: dict[str, str] = {
        "event": event,
        "pipeline": deployed,
        "task": task.id,
        "environment": env.name,
        "platform": PLATFORM,
        "error": error,
        "cause": "<message>",
        "run_url": _run_url(node),
        "next": _next(event, task, node),
    }
    assert tuple(message) == ALERT_FIELDS
    return json.dumps(message, ensure_ascii=False)


def _pattern(node: Node, detail_type: str, states: tuple[str, ...]) -> dict[str, Any]:
    key = "crawlerName" if node.kind == "crawler" else "jobName"
    detail: dict[str, list[str]] = {key: [node.name]}
    if states:
        detail["state"] = list(states)
    return {"detail": detail, "detail-type": [detail_type], "source": ["aws.glue"]}


def _paths(node: Node) -> dict[str, str]:
    paths = {"message": "$.detail.message", "region": "$.region", "state": "$.detail.state"}
    if node.kind == "job":
        paths["run"] = "$.detail.jobRunId"
    return paths


def alert_rules(task: TaskIR, node: Node, deployed: str, env: Environment) -> list[AlertRule]:
    """The rules for one task: only events its routing sends somewhere (an SLA only when it has one)."""
    out: list[AlertRule] = []
    for event, routing, detail_type, states in CRAWLER_RULES if node.kind == "crawler" else JOB_RULES:
        if not task.notify.get(routing) or (event == "sla_miss" and not task.sla_s):
            continue
        out.append(
            AlertRule(
                task=task.id,
                event=event,
                name=bounded(f"{deployed}-{task.id}-{event.replace('_', '-')}", RULE_NAME_MAX),
                pattern=_pattern(node, detail_type, states),
                paths=_paths(node),
                template=_template(event, task, node, deployed, env),
            )
        )
    return out

"""The alert message contract shared by every target and every alerting channel.

Compilers publish one JSON object per event (Step Functions to SNS, Airflow callbacks to
Pub/Sub, …) with these fields; channel formatters (Slack, Teams, email, webhook) render
it. One contract means a 2 AM message looks the same whichever platform ran the pipeline.
"""

from __future__ import annotations

from typing import Literal, TypedDict

AlertEvent = Literal["failure", "success", "retry", "sla_miss", "start", "timeout"]

# Keys, in the order formatters show them.
ALERT_FIELDS: tuple[str, ...] = (
    "event",  # one of AlertEvent
    "pipeline",  # pipeline name as deployed (with the environment prefix)
    "task",  # task id, or "" for pipeline-level events
    "environment",  # stack name: dev / staging / prod
    "platform",  # databricks / stepfunctions / composer / …
    "error",  # short error (exception class, failing state, …)
    "cause",  # longer detail, truncated by the publisher to fit the channel
    "run_url",  # link to the run in the platform's console
    "next",  # what happens next, in words (see NEXT_STEP)
)


class AlertMessage(TypedDict, total=False):
    event: AlertEvent
    pipeline: str
    task: str
    environment: str
    platform: str
    error: str
    cause: str
    run_url: str
    next: str


NEXT_STEP: dict[str, str] = {
    "failure": "Stopped: downstream tasks will not run. Fix the cause, then re-run the pipeline from the failed task.",
    "retry": "Retrying automatically; no action needed unless retries are exhausted.",
    "timeout": "Stopped after exceeding its timeout: downstream tasks will not run.",
    "sla_miss": "Still running past its SLA: dashboards may show stale data until it finishes.",
    "success": "Completed: downstream consumers have fresh data.",
    "start": "Started.",
}

MAX_CAUSE_CHARS = 1500  # Slack blocks and SNS email stay readable under this


def title(message: AlertMessage) -> str:
    """One line for a subject or notification title."""
    event = message.get("event", "failure")
    where = message.get("pipeline", "?")
    if message.get("task"):
        where += f".{message['task']}"
    env = message.get("environment", "")
    label = {
        "failure": "FAILED",
        "retry": "retrying",
        "timeout": "TIMED OUT",
        "sla_miss": "SLA missed",
        "success": "succeeded",
        "start": "started",
    }[event]
    return f"[{env}] {where} {label}" if env else f"{where} {label}"

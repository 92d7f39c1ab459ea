"""Notification activities: the article's failure path, with the pipespec alert contract.

For each task that routes `on_failure` to channels: one activity per channel that runs when
the task fails (dependency condition `Failed`), then a `Fail` activity. Fabric reports a run
as succeeded when an "upon failure" path succeeds, so the `Fail` activity puts the run back
to failed, with the task's error. Success notifications run when every last task succeeded;
start notifications run first.

| channel | activity |
|---|---|
| teams | WebActivity posting the alert as an Adaptive Card (connection: the channel id) |
| slack | WebActivity posting Block Kit (connection: the channel id) |
| webhook | WebActivity posting the alert contract itself (connection: the channel id) |
| email | Office365Email (connection: the stack's `email_connection`) |

Bodies are Fabric expressions: the failed activity's error message is inserted at run time,
JSON-escaped for the JSON bodies.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ...alerts import NEXT_STEP, AlertMessage
from ...notify_plan.messages import email_text, slack_payload, teams_payload, webhook_payload
from ...spec.notify import Channel, EmailChannel, SlackChannel, TeamsChannel

MAX_NAME = 55  # Fabric activity names
_ERROR_TOKEN = "\x00error\x00"  # stands for the run-time error until the body is serialized
RUN_URL = "https://app.fabric.microsoft.com/groups/@{pipeline().DataFactory}/pipelines/@{pipeline().Pipeline}"


def bounded_name(name: str, taken: set[str]) -> str:
    """An activity name within Fabric's 55 characters, unique, derived from ids (never positions)."""
    if len(name) > MAX_NAME or name in taken:
        digest = hashlib.sha1(name.encode()).hexdigest()[:8]
        name = f"{name[: MAX_NAME - 9]}_{digest}"
    taken.add(name)
    return name


def expression(value: str) -> dict[str, str]:
    return {"value": value, "type": "Expression"}


def _error_of(activity: str, *, json_escaped: bool) -> str:
    text = f"activity('{activity}').error.message"
    if json_escaped:  # the message goes inside a JSON string: escape \ " and line breaks
        text = f"replace(replace({text},'\\','\\\\'),'\"','\\\"')"
        text = f"replace(replace({text},decodeUriComponent('%0A'),'\\n'),decodeUriComponent('%0D'),'\\r')"
    return f"@{{{text}}}"


def alert(event: str, pipeline: str, task: str, environment: str) -> AlertMessage:
    message: AlertMessage = {
        "event": event,  # type: ignore[typeddict-item]
        "pipeline": pipeline,
        "task": task,
        "environment": environment,
        "platform": "fabric",
        "run_url": RUN_URL,
        "cause": "Fabric run @{pipeline().RunId}",
        "next": NEXT_STEP[event],
    }
    if event == "failure":
        message["error"] = _ERROR_TOKEN
    return message


def _json_body(payload: dict[str, Any], task: str) -> dict[str, str]:
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return expression(text.replace(json.dumps(_ERROR_TOKEN)[1:-1], _error_of(task, json_escaped=True)))


def notification(
    channel_id: str, channel: Channel, message: AlertMessage, email_connection: str
) -> tuple[dict[str, Any], str]:
    """(type, typeProperties, externalReferences) of one notification activity, and its connection name."""
    task = message.get("task", "")
    if isinstance(channel, EmailChannel):
        subject, body = email_text(message)
        props = {
            "to": ";".join(sorted(set(channel.addresses))),
            "subject": expression(subject.replace(_ERROR_TOKEN, "error")),
            "body": expression(body.replace(_ERROR_TOKEN, _error_of(task, json_escaped=False))),
        }
        return {"type": "Office365Email", "typeProperties": props}, email_connection
    if isinstance(channel, TeamsChannel):
        payload = teams_payload(message)
    elif isinstance(channel, SlackChannel):
        payload = slack_payload(message)
    else:
        payload = webhook_payload(message)
    props = {"method": "POST", "relativeUrl": "", "headers": {"Content-Type": "application/json"}}
    return {"type": "WebActivity", "typeProperties": props | {"body": _json_body(payload, task)}}, channel_id


def fail_activity(task: str) -> dict[str, Any]:
    return {
        "type": "Fail",
        "typeProperties": {
            "message": expression(f"Task {task} failed: {_error_of(task, json_escaped=False)}"),
            "errorCode": "PipespecTaskFailed",
        },
    }

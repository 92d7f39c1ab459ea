"""Notification routing -> Databricks email and webhook (notification destination) notifications.

Email channels list their addresses directly. Slack, Teams and webhook channels are
notification destinations whose ids only exist once deployed: the compiled job carries
`${destination:<channel id>}` and the component substitutes the id.

Event mapping: on_start/on_success/on_failure are native; on_sla_miss is
`on_duration_warning_threshold_exceeded` (fired by the RUN_DURATION_SECONDS health rule);
on_retry has no native event, so it becomes a task-level on_failure with
`alert_on_last_attempt: false`, which fires on every failed attempt (retries included).
"""

from __future__ import annotations

from typing import Any

from ...ir import PipelineIR, TaskIR
from ...spec.notify import EmailChannel

SLA_EVENT = "on_duration_warning_threshold_exceeded"
_NATIVE = {"on_start": "on_start", "on_success": "on_success", "on_failure": "on_failure", "on_sla_miss": SLA_EVENT}


def destination_placeholder(channel_id: str) -> str:
    return f"${{destination:{channel_id}}}"


def health(seconds: int | None) -> dict[str, Any]:
    if seconds is None:
        return {}
    rule = {"metric": "RUN_DURATION_SECONDS", "op": "GREATER_THAN", "value": seconds}
    return {"health": {"rules": [rule]}}


def _blocks(ir: PipelineIR, events: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    email: dict[str, list[str]] = {}
    webhook: dict[str, list[dict[str, str]]] = {}
    for event, channel_ids in sorted(events.items()):
        native = _NATIVE[event]
        addresses: set[str] = set()
        ids: set[str] = set()
        for cid in channel_ids:
            channel = ir.channels[cid]
            if isinstance(channel, EmailChannel):
                addresses.update(channel.addresses)
            else:
                ids.add(cid)
        if addresses:
            email[native] = sorted(addresses)
        if ids:
            webhook[native] = [{"id": destination_placeholder(c)} for c in sorted(ids)]
    out: dict[str, Any] = {}
    if email:
        out["email_notifications"] = email
    if webhook:
        out["webhook_notifications"] = webhook
    return out


def job_notifications(ir: PipelineIR) -> dict[str, Any]:
    events = {e: ir.notify.get(e) for e in ("on_start", "on_success", "on_failure")}
    if ir.sla_s is not None:
        events["on_sla_miss"] = ir.notify.on_sla_miss
    return _blocks(ir, {e: c for e, c in events.items() if c})


def task_notifications(ir: PipelineIR, task: TaskIR) -> dict[str, Any]:
    """Only what differs from the job-level notifications (those already cover every task)."""
    own, base = task.notify, ir.notify
    events: dict[str, tuple[str, ...]] = {}
    for event in ("on_start", "on_success"):
        if own.get(event) != base.get(event):
            events[event] = own.get(event)
    failure = set(own.on_failure) if own.on_failure != base.on_failure else set()
    retry = set(own.on_retry) if task.retry.retries > 0 else set()
    events["on_failure"] = tuple(sorted(failure | retry))
    if task.sla_s is not None:
        events["on_sla_miss"] = own.on_sla_miss
    out = _blocks(ir, {e: c for e, c in events.items() if c})
    if events["on_failure"] or events.get("on_start"):
        # Without retry channels, alert once the last attempt failed, not on every retried attempt.
        out["notification_settings"] = {"alert_on_last_attempt": not retry}
    return out

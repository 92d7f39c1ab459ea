"""One alert, rendered for each kind of channel: Slack, Teams, email, generic webhook.

Imports only the standard library and `pipespec.alerts`: the AWS formatter Lambda ships this file
as is, so what tests check is what a person reads at 2 AM.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, cast

from pipespec.alerts import ALERT_FIELDS, MAX_CAUSE_CHARS, NEXT_STEP, AlertMessage, title

_EVENTS = frozenset(NEXT_STEP)
_ICON = {"failure": "🔴", "timeout": "🔴", "retry": "🟡", "sla_miss": "🟠", "success": "🟢", "start": "🔵"}
_TEAMS_COLOR = {"failure": "Attention", "timeout": "Attention", "retry": "Warning", "sla_miss": "Warning"}
_FACTS = ("pipeline", "task", "environment", "platform")
SLACK_HEADER_MAX = 150  # Block Kit limits
SLACK_FIELD_MAX = 2000
SLACK_TEXT_MAX = 3000
SNS_SUBJECT_MAX = 99
ALARM_DESCRIPTION_MAX = 1024


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def normalize(raw: Mapping[str, Any]) -> AlertMessage:
    """Contract fields only, as strings; `next` filled in when missing; `cause` clipped.

    An event this version does not know is shown in `error` and treated as a failure: a message
    that is louder than needed beats one that is dropped.
    """
    out: dict[str, str] = {k: str(raw[k]) for k in ALERT_FIELDS if raw.get(k) not in (None, "")}
    if out.get("event") not in _EVENTS:
        if "event" in out:
            out["error"] = f"[{out['event']}] {out.get('error', '')}".strip()
        out["event"] = "failure"
    out.setdefault("next", NEXT_STEP[out["event"]])
    if "cause" in out:
        out["cause"] = clip(out["cause"], MAX_CAUSE_CHARS)
    return cast(AlertMessage, out)


def _get(msg: AlertMessage, key: str, default: str = "") -> str:
    return str(cast(Mapping[str, Any], msg).get(key) or default)


def from_cloudwatch_alarm(alarm: Mapping[str, Any]) -> AlertMessage | None:
    """A CloudWatch alarm notification as an alert; None for OK / INSUFFICIENT_DATA transitions.

    The alarm's description carries the alert fields (see `alarm_description`), the alarm adds
    the reason and a console link.
    """
    if alarm.get("NewStateValue") != "ALARM":
        return None
    try:
        base = json.loads(alarm.get("AlarmDescription") or "{}")
    except ValueError:
        base = {}
    base = base if isinstance(base, dict) else {}
    name = str(alarm.get("AlarmName", ""))
    base.setdefault("event", "failure")
    base.setdefault("error", f"alarm {name or '?'}")
    base["cause"] = str(alarm.get("NewStateReason", ""))
    arn = str(alarm.get("AlarmArn", "")).split(":")
    region = arn[3] if len(arn) > 3 else ""
    if region and name and not base.get("run_url"):
        base["run_url"] = (
            f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#alarmsV2:alarm/{name}"
        )
    return normalize(base)


def alarm_description(message: Mapping[str, Any]) -> str:
    """The `AlarmDescription` of a pipeline alarm: the alert fields the formatter turns it back into."""
    fields = {k: v for k, v in normalize(message).items() if k != "cause"}
    return clip(json.dumps(fields, sort_keys=True, ensure_ascii=False), ALARM_DESCRIPTION_MAX)


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(message: Mapping[str, Any]) -> dict[str, Any]:
    """Slack incoming-webhook body (Block Kit), within Slack's field limits; `text` is the notification line."""
    msg = normalize(message)
    head = clip(f"{_ICON[msg['event']]} {title(msg)}", SLACK_HEADER_MAX)
    fields = [
        {"type": "mrkdwn", "text": clip(f"*{k.title()}*\n{_slack_escape(_get(msg, k))}", SLACK_FIELD_MAX)}
        for k in _FACTS
        if _get(msg, k)
    ]
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": head, "emoji": True}}]
    if fields:
        blocks.append({"type": "section", "fields": fields})
    if _get(msg, "error") or _get(msg, "cause"):
        text = f"*Error:* {_slack_escape(_get(msg, 'error', '-'))}"
        if cause := _get(msg, "cause"):
            fence = "`" * 3
            text += f"\n{fence}{_slack_escape(cause).replace(fence, chr(39) * 3)}{fence}"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": clip(text, SLACK_TEXT_MAX)}})
    next_text = clip(f"*Next:* {_slack_escape(_get(msg, 'next'))}", SLACK_TEXT_MAX)
    blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": next_text}})
    if (url := _get(msg, "run_url")).startswith("https://"):
        button = {"type": "button", "text": {"type": "plain_text", "text": "Open run"}, "url": url}
        blocks.append({"type": "actions", "elements": [button]})
    return {"text": head, "blocks": blocks}


def teams_payload(message: Mapping[str, Any]) -> dict[str, Any]:
    """Teams webhook body: an Adaptive Card, which Workflows webhooks and classic connectors both accept."""
    msg = normalize(message)
    event = msg["event"]
    color = _TEAMS_COLOR.get(event, "Good" if event == "success" else "Default")
    facts = [{"title": k.title(), "value": _get(msg, k)} for k in (*_FACTS, "error") if _get(msg, k)]
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": title(msg), "weight": "Bolder", "size": "Medium", "wrap": True, "color": color},
        {"type": "FactSet", "facts": facts},
    ]
    if cause := _get(msg, "cause"):
        body.append({"type": "TextBlock", "text": cause, "wrap": True, "fontType": "Monospace"})
    body.append({"type": "TextBlock", "text": f"**Next:** {_get(msg, 'next')}", "wrap": True})
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    if (url := _get(msg, "run_url")).startswith("https://"):
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open run", "url": url}]
    attachment = {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
    return {"type": "message", "attachments": [attachment]}


def email_text(message: Mapping[str, Any]) -> tuple[str, str]:
    """(subject, body). The subject fits SNS: printable ASCII on one line, under 100 characters."""
    msg = normalize(message)
    subject = re.sub(r"[^\x20-\x7e]", "?", title(msg))
    if len(subject) > SNS_SUBJECT_MAX:  # ASCII ellipsis: the subject must stay ASCII
        subject = subject[: SNS_SUBJECT_MAX - 3] + "..."
    lines = [title(msg), ""]
    lines += [f"{k.title() + ':':<13}{_get(msg, k, '-')}" for k in _FACTS]
    lines += ["", f"Error: {_get(msg, 'error', '-')}"]
    if cause := _get(msg, "cause"):
        lines += ["", cause]
    lines += ["", f"Run:  {_get(msg, 'run_url', '-')}", f"Next: {_get(msg, 'next')}"]
    return subject, "\n".join(lines) + "\n"


def webhook_payload(message: Mapping[str, Any]) -> dict[str, Any]:
    """Generic webhooks get the contract itself, plus a ready-made title."""
    msg = normalize(message)
    return {**{k: _get(msg, k) for k in ALERT_FIELDS if _get(msg, k)}, "title": title(msg)}


def sns_message(message: Mapping[str, Any]) -> str:
    """A `MessageStructure=json` body: the JSON contract for machines, readable text for email."""
    msg = normalize(message)
    default = json.dumps(dict(msg), sort_keys=True, ensure_ascii=False)
    return json.dumps({"default": default, "email": email_text(msg)[1]}, sort_keys=True, ensure_ascii=False)


RENDERERS = {"slack": slack_payload, "teams": teams_payload, "webhook": webhook_payload}

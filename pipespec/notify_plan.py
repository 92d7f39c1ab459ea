"""Alerting across pipelines and clouds: one channel definition, the resources each cloud needs, the messages.

Pure. Its runtime imports are the standard library, `pipespec.alerts` and `pipespec.diagnostics` only:
the AWS formatter Lambda ships this file as is (see components/alerting/formatter), so the Slack,
Teams, email and webhook renderings are the same code in tests, in `pipespec` and at 2 AM.

Routing contract (publishers and subscriptions agree on it):
- SNS: publishers set the message attribute `channels` (String.Array of channel ids, see
  `sns_message_attributes`); each subscription filters on its channel id. Messages without the
  attribute (CloudWatch alarms) reach the pipeline's alarm channels.
- GCP: Airflow callbacks write the AlertMessage plus `channels` as a structured entry to the
  `pipespec-alerts` log (and publish it to the Pub/Sub topic); log-based alert policies match it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from .alerts import ALERT_FIELDS, MAX_CAUSE_CHARS, NEXT_STEP, AlertMessage, title
from .diagnostics import Diagnostic, Severity

if TYPE_CHECKING:
    from .environment import Environment
    from .ir import PipelineIR
    from .spec.notify import Channel

NAMESPACE = "pipespec"  # Pulumi config namespace of the `*_secret` keys
CHANNELS_ATTRIBUTE = "channels"
ALERT_LOG = "pipespec-alerts"
ALARM_EVENTS = ("on_failure", "on_sla_miss")  # what a CloudWatch alarm on a pipeline stands for
FORMATTED_KINDS = ("slack", "teams")  # delivered through the formatter on AWS


@dataclass(frozen=True)
class Origin:
    file: str
    line: int = 0
    column: int = 0


# ── Secrets ───────────────────────────────────────────────────────────────────────


def channel_secrets(channel: Channel) -> dict[str, str]:
    """Config keys a channel's delivery needs, by role ("url", "token")."""
    if channel.type in ("slack", "teams"):
        return {"url": channel.webhook_url_secret}
    if channel.type == "webhook":
        out = {"url": channel.url_secret}
        if channel.token_secret:
            out["token"] = channel.token_secret
        return out
    return {}


def qualified_key(key: str) -> str:
    """`slackUrl` -> `pipespec:slackUrl`; a key that names its namespace is kept."""
    return key if ":" in key else f"{NAMESPACE}:{key}"


def config_set_command(key: str) -> str:
    return f"pulumi config set --secret {qualified_key(key)} <value>"


def bounded(name: str, limit: int) -> str:
    """A deterministic name within a platform's length limit (a hash keeps truncated names distinct)."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: limit - 9]}-{digest}"


# ── One channel definition across files ───────────────────────────────────────────


def _origin(ir: PipelineIR, channel_id: str) -> Origin:
    src = getattr(ir, "channel_sources", {}).get(channel_id)
    if src is not None:
        return Origin(src.file, src.line, src.column)
    try:  # the IR keeps only the pipeline's position: find the channel's line in its file
        from .loader import load_file

        mark = load_file(ir.source.file).locate(("channels", channel_id), key=True)
        return Origin(ir.source.file, mark.line, mark.column)
    except Exception:  # unreadable or in-memory specs: point at the pipeline
        return Origin(ir.source.file, ir.source.line, ir.source.column)


def merge_channels(irs: Sequence[PipelineIR]) -> tuple[dict[str, Channel], dict[str, Origin], list[Diagnostic]]:
    """Every channel once. The same id must mean the same definition, wherever it is written."""
    channels: dict[str, Channel] = {}
    owner: dict[str, PipelineIR] = {}
    diags: list[Diagnostic] = []
    for ir in sorted(irs, key=lambda i: (i.source.file, i.name)):
        for cid, channel in sorted(ir.channels.items()):
            if cid not in channels:
                channels[cid], owner[cid] = channel, ir
                continue
            first = channels[cid].model_dump()
            if first == channel.model_dump():
                continue
            at, here = _origin(owner[cid], cid), _origin(ir, cid)
            fields = sorted(
                k for k in set(first) | set(channel.model_dump()) if first.get(k) != getattr(channel, k, None)
            )
            diags.append(
                Diagnostic(
                    here.file,
                    here.line,
                    here.column,
                    Severity.ERROR,
                    "PS600",
                    f"channel {cid!r} is defined differently in {at.file}:{at.line} (they differ in: "
                    f"{', '.join(fields)}); one channel id means one channel in every pipeline",
                    ("channels", cid),
                    "make both definitions identical, or rename one of the channels",
                )
            )
    origins = {cid: _origin(owner[cid], cid) for cid in channels} if diags else {}
    return channels, origins, diags


def routed_channels(ir: PipelineIR) -> tuple[str, ...]:
    """Channels any event of the pipeline or of one of its tasks goes to."""
    ids = set(ir.notify.channels())
    for task in ir.tasks:
        ids.update(task.notify.channels())
    return tuple(sorted(ids))


def alarm_channels(ir: PipelineIR) -> tuple[str, ...]:
    return tuple(sorted({c for event in ALARM_EVENTS for c in ir.notify.get(event)}))


@dataclass(frozen=True)
class AlertingInputs:
    """What the alerting components of one cloud take, for the pipelines deployed there."""

    channels: dict[str, Channel]
    pipelines: dict[str, tuple[str, ...]]  # deployed pipeline name -> channel ids
    alarm_channels: dict[str, tuple[str, ...]]
    origins: dict[str, Origin] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def alerting_inputs(irs: Sequence[PipelineIR], env: Environment) -> AlertingInputs:
    channels, origins, diags = merge_channels(irs)
    pipelines = {env.deployed_name(ir.name): routed_channels(ir) for ir in irs}
    used = {c for ids in pipelines.values() for c in ids}
    return AlertingInputs(
        {c: ch for c, ch in channels.items() if c in used},
        dict(sorted(pipelines.items())),
        {env.deployed_name(ir.name): alarm_channels(ir) for ir in sorted(irs, key=lambda i: i.name)},
        origins,
        diags,
    )


# ── Per-cloud plans ───────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Topic:
    key: str  # stem of resource names: the pipeline name, or "shared"
    name: str  # SNS topic name / Pub/Sub topic id
    pipelines: tuple[str, ...]
    channels: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    topics: tuple[Topic, ...]
    pipeline_topic: dict[str, str]  # pipeline -> topic key
    diagnostics: list[Diagnostic]

    def topic(self, key: str) -> Topic:
        return next(t for t in self.topics if t.key == key)


def plan_topics(
    channels: Mapping[str, Channel],
    pipelines: Mapping[str, Sequence[str]],
    env: Environment,
    *,
    shared_topic: bool,
    limit: int,
    origins: Mapping[str, Origin] | None = None,
) -> Plan:
    diags = [
        Diagnostic(
            (origins or {}).get(c, Origin("<alerting>")).file,
            0,
            0,
            Severity.ERROR,
            "PS601",
            f"pipeline {p!r} routes alerts to channel {c!r}, which no spec defines",
            ("channels", c),
            "define the channel under 'channels:' in the pipeline's spec",
        )
        for p in sorted(pipelines)
        for c in sorted(set(pipelines[p]) - set(channels))
    ]
    if shared_topic:
        used = tuple(sorted({c for ids in pipelines.values() for c in ids}))
        topic = Topic("shared", bounded(env.deployed_name("pipespec-alerts"), limit), tuple(sorted(pipelines)), used)
        return Plan((topic,), {p: "shared" for p in sorted(pipelines)}, diags)
    topics = tuple(
        Topic(p, bounded(f"{p}-alerts", limit), (p,), tuple(sorted(set(pipelines[p])))) for p in sorted(pipelines)
    )
    return Plan(topics, {p: p for p in sorted(pipelines)}, diags)


def sns_filter_policy(channel_id: str, *, unattributed: bool) -> str:
    """Subscription filter: messages for this channel, plus unattributed ones (alarms) if asked."""
    match = {CHANNELS_ATTRIBUTE: [channel_id]}
    if not unattributed:
        return json.dumps(match, sort_keys=True)
    return json.dumps({"$or": [match, {CHANNELS_ATTRIBUTE: [{"exists": False}]}]}, sort_keys=True)


def sns_message_attributes(channel_ids: Iterable[str]) -> dict[str, dict[str, str]]:
    """`MessageAttributes` a publisher sets so each subscription gets only its channels' events."""
    value = json.dumps(sorted(set(channel_ids)))
    return {CHANNELS_ATTRIBUTE: {"DataType": "String.Array", "StringValue": value}}


def sns_message(message: AlertMessage) -> str:
    """A `MessageStructure=json` body: the JSON contract by default, readable text for email."""
    msg = normalize(message)
    return json.dumps({"default": json.dumps(msg, sort_keys=True), "email": email_text(msg)[1]}, sort_keys=True)


def alarm_description(message: AlertMessage) -> str:
    """An alarm's `AlarmDescription` carrying the alert fields the formatter turns it into."""
    return json.dumps({k: v for k, v in normalize(message).items() if k != "cause"}, sort_keys=True)[:1024]


def slack_channel_name(channel: Channel) -> str:
    name = getattr(channel, "channel", None) or ""
    return name if not name or name.startswith("#") else f"#{name}"


def formatted_kind(channel: Channel) -> str | None:
    """The formatter mode a channel needs on AWS: Slack/Teams cards, or webhooks that need a bearer token."""
    if channel.type in FORMATTED_KINDS:
        return channel.type
    if channel.type == "webhook" and channel.token_secret:
        return "webhook"
    return None


@dataclass(frozen=True)
class Delivery:
    """One SNS subscription."""

    key: str  # stem of the resource name: topic key, channel id (and address)
    topic: str  # topic key
    channel: str
    protocol: str  # email | https | lambda
    endpoint: str  # the address for email; "" when it is a secret (https) or the formatter function (lambda)
    filter_policy: str


@dataclass(frozen=True)
class AwsPlan(Plan):
    deliveries: tuple[Delivery, ...] = ()
    formatters: dict[str, str] = field(default_factory=dict)  # channel id -> formatter kind


def plan_aws(
    channels: Mapping[str, Channel],
    pipelines: Mapping[str, Sequence[str]],
    env: Environment,
    *,
    shared_topic: bool = False,
    alarm_routes: Mapping[str, Sequence[str]] | None = None,
    origins: Mapping[str, Origin] | None = None,
) -> AwsPlan:
    """Topics, subscriptions and formatter functions; unattributed messages go to `alarm_routes` (default: all)."""
    base = plan_topics(channels, pipelines, env, shared_topic=shared_topic, limit=256, origins=origins)
    alarms = {p: set(alarm_routes.get(p, ()) if alarm_routes is not None else ids) for p, ids in pipelines.items()}
    deliveries: list[Delivery] = []
    formatters: dict[str, str] = {}
    for topic in base.topics:
        hear_alarms = set().union(*(alarms[p] for p in topic.pipelines))
        for cid in topic.channels:
            channel = channels.get(cid)
            if channel is None:
                continue
            policy = sns_filter_policy(cid, unattributed=cid in hear_alarms)
            stem = f"{topic.key}-{cid}"
            if (kind := formatted_kind(channel)) is not None:
                formatters[cid] = kind
                deliveries.append(Delivery(stem, topic.key, cid, "lambda", "", policy))
            elif channel.type == "webhook":
                deliveries.append(Delivery(stem, topic.key, cid, "https", "", policy))
            else:
                for address in sorted(set(channel.addresses)):
                    deliveries.append(Delivery(f"{stem}-{address}", topic.key, cid, "email", address, policy))
    return AwsPlan(
        base.topics, base.pipeline_topic, base.diagnostics, tuple(deliveries), dict(sorted(formatters.items()))
    )


@dataclass(frozen=True)
class GcpChannel:
    """One Cloud Monitoring notification channel."""

    key: str  # `channel_names` key: the channel id, or "id:address" per address of a multi-address email
    name: str  # stem of the resource name
    channel: str
    type: str  # email | slack | webhook_tokenauth
    labels: dict[str, str]
    secret_labels: dict[str, str]  # label -> config key (the value is a secret)
    sensitive_labels: dict[str, str]  # sensitive label -> config key


@dataclass(frozen=True)
class GcpPlan(Plan):
    channels: tuple[GcpChannel, ...] = ()


def plan_gcp(
    channels: Mapping[str, Channel],
    pipelines: Mapping[str, Sequence[str]],
    env: Environment,
    *,
    shared_topic: bool = False,
    slack_tokens: Mapping[str, str] | None = None,
    origins: Mapping[str, Origin] | None = None,
) -> GcpPlan:
    """Pub/Sub topics and the notification channels the routed channels need."""
    base = plan_topics(channels, pipelines, env, shared_topic=shared_topic, limit=255, origins=origins)
    used = sorted({c for ids in pipelines.values() for c in ids} & set(channels))
    diags = list(base.diagnostics)
    out: list[GcpChannel] = []
    for cid in used:
        channel, origin = channels[cid], (origins or {}).get(cid)
        token = (slack_tokens or {}).get(cid) or getattr(channel, "auth_token_secret", None)
        diags += gcp_channel_checks(cid, channel, token, origin)
        if channel.type == "email":
            addresses = sorted(set(channel.addresses))
            for address in addresses:
                key = cid if len(addresses) == 1 else f"{cid}:{address}"
                out.append(GcpChannel(key, key.replace(":", "-"), cid, "email", {"email_address": address}, {}, {}))
        elif channel.type == "slack":
            labels = {"channel_name": slack_channel_name(channel)}
            out.append(GcpChannel(cid, cid, cid, "slack", labels, {}, {"auth_token": token or ""}))
        else:  # teams and webhooks: the URL (with any token in it) is the secret
            out.append(GcpChannel(cid, cid, cid, "webhook_tokenauth", {}, {"url": channel_secrets(channel)["url"]}, {}))
    return GcpPlan(base.topics, base.pipeline_topic, diags, tuple(out))


@dataclass(frozen=True)
class DatabricksDestination:
    channel: str
    config: str  # the destination's config block: slack | microsoft_teams | generic_webhook
    display_name: str
    secrets: dict[str, str]  # config field -> config key


def plan_databricks(
    channels: Mapping[str, Channel], env: Environment, origins: Mapping[str, Origin] | None = None
) -> tuple[tuple[DatabricksDestination, ...], list[Diagnostic]]:
    """Destinations for Slack, Teams and webhook channels; jobs address emails directly."""
    block = {"slack": "slack", "teams": "microsoft_teams", "webhook": "generic_webhook"}
    out: list[DatabricksDestination] = []
    diags: list[Diagnostic] = []
    for cid, channel in sorted(channels.items()):
        if channel.type not in block:
            continue
        diags += databricks_channel_checks(cid, channel, (origins or {}).get(cid))
        name = f"{env.deployed_name('pipespec')} {cid}"
        out.append(DatabricksDestination(cid, block[channel.type], name, {"url": channel_secrets(channel)["url"]}))
    return tuple(out), diags


def _channel_diag(
    origin: Origin | None, cid: str, code: str, message: str, hint: str, target: str, severity: Severity
) -> Diagnostic:
    at = origin or Origin("<alerting>")
    return Diagnostic(at.file, at.line, at.column, severity, code, message, ("channels", cid), hint, target)


def gcp_channel_checks(
    cid: str, channel: Channel, slack_token: str | None, origin: Origin | None = None
) -> list[Diagnostic]:
    """What a channel needs on Cloud Monitoring that the spec may not say."""
    found: list[tuple[str, str, str, Severity]] = []
    if channel.type == "slack" and not slack_channel_name(channel):
        found.append(
            (
                "PS610",
                f"Slack channel {cid!r} has no channel name",
                "add `channel: '#alerts'`: Cloud Monitoring posts through its Slack app to a named channel",
                Severity.ERROR,
            )
        )
    if channel.type == "slack" and not slack_token:
        found.append(
            (
                "PS611",
                f"Slack channel {cid!r} needs a Slack app token on Cloud Monitoring",
                "Cloud Monitoring cannot post to incoming webhooks: install its Slack app, map the channel to "
                f"a config key (slack_token_secrets={{'{cid}': 'KEY'}}) and run "
                f"`{config_set_command('KEY')}` with the xoxb- token",
                Severity.ERROR,
            )
        )
    if channel.type == "webhook" and channel.token_secret:
        found.append(
            (
                "PS612",
                f"webhook {cid!r} has a bearer token, which Cloud Monitoring webhooks cannot send",
                "accept the token in the URL (store the whole URL under url_secret) and drop token_secret",
                Severity.ERROR,
            )
        )
    if channel.type == "teams":
        found.append(
            (
                "PS613",
                f"Teams channel {cid!r} receives Cloud Monitoring's own incident JSON on GCP",
                "use a Teams Workflows webhook whose flow turns that JSON into a card; classic connectors reject it",
                Severity.WARNING,
            )
        )
    return [_channel_diag(origin, cid, c, m, h, "composer", s) for c, m, h, s in found]


def databricks_channel_checks(cid: str, channel: Channel, origin: Origin | None = None) -> list[Diagnostic]:
    if channel.type == "webhook" and channel.token_secret:
        return [
            _channel_diag(
                origin,
                cid,
                "PS620",
                f"webhook {cid!r} has a bearer token; Databricks webhook destinations only send basic auth",
                "drop token_secret, or let the endpoint accept a token in its URL",
                "databricks",
                Severity.ERROR,
            )
        ]
    return []


def gcp_log_filter(project: str, pipeline: str, channel_id: str) -> str:
    return (
        f'logName="projects/{project}/logs/{ALERT_LOG}" AND jsonPayload.pipeline="{pipeline}" '
        f'AND jsonPayload.{CHANNELS_ATTRIBUTE}="{channel_id}"'
    )


GCP_LABEL_EXTRACTORS: dict[str, str] = {f: f"EXTRACT(jsonPayload.{f})" for f in ALERT_FIELDS if f != "cause"}


def gcp_documentation() -> str:
    """Alert policy documentation: the alert fields, filled in by Cloud Monitoring per log entry."""
    lines = [f"**{k.replace('_', ' ').title()}:** ${{log.extracted_label.{k}}}" for k in GCP_LABEL_EXTRACTORS]
    return "\n\n".join(lines)


# ── Messages ──────────────────────────────────────────────────────────────────────

_EVENTS = frozenset(NEXT_STEP)
_ICON = {"failure": "🔴", "timeout": "🔴", "retry": "🟡", "sla_miss": "🟠", "success": "🟢", "start": "🔵"}
_TEAMS_COLOR = {"failure": "Attention", "timeout": "Attention", "retry": "Warning", "sla_miss": "Warning"}


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def normalize(raw: Mapping[str, Any]) -> AlertMessage:
    """Contract fields only, as strings; a missing `next` filled in; `cause` clipped; unknown events fail loud."""
    out: dict[str, str] = {k: str(raw[k]) for k in ALERT_FIELDS if raw.get(k) not in (None, "")}
    if out.get("event") not in _EVENTS:
        if "event" in out:  # an event this version does not know: show it rather than drop it
            out["error"] = f"[{out['event']}] {out.get('error', '')}".strip()
        out["event"] = "failure"
    out.setdefault("next", NEXT_STEP[out["event"]])
    if "cause" in out:
        out["cause"] = _clip(out["cause"], MAX_CAUSE_CHARS)
    return cast(AlertMessage, out)


def from_cloudwatch_alarm(alarm: Mapping[str, Any]) -> AlertMessage | None:
    """A CloudWatch alarm notification as an alert (None for OK/INSUFFICIENT_DATA transitions)."""
    if alarm.get("NewStateValue") != "ALARM":
        return None
    try:
        base = json.loads(alarm.get("AlarmDescription") or "{}")
    except ValueError:
        base = {}
    base = base if isinstance(base, dict) else {}
    base.setdefault("event", "failure")
    base.setdefault("error", f"alarm {alarm.get('AlarmName', '?')}")
    base["cause"] = str(alarm.get("NewStateReason", ""))
    arn = str(alarm.get("AlarmArn", "")).split(":")
    region, name = (arn[3] if len(arn) > 3 else ""), str(alarm.get("AlarmName", ""))
    if region and name and not base.get("run_url"):
        base["run_url"] = (
            f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#alarmsV2:alarm/{name}"
        )
    return normalize(base)


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(message: AlertMessage) -> dict[str, Any]:
    """Slack incoming-webhook body (Block Kit), within Slack's field limits."""
    msg = normalize(message)
    event = msg["event"]
    head = _clip(f"{_ICON[event]} {title(msg)}", 150)
    facts = [(k, msg.get(k, "")) for k in ("pipeline", "task", "environment", "platform") if msg.get(k)]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": head, "emoji": True}},
        {
            "type": "section",
            "fields": [{"type": "mrkdwn", "text": _clip(f"*{k.title()}*\n{_slack_escape(v)}", 2000)} for k, v in facts],
        },
    ]
    if msg.get("error") or msg.get("cause"):
        text = f"*Error:* {_slack_escape(msg.get('error', ''))}"
        if msg.get("cause"):
            text += f"\n```{_slack_escape(msg['cause']).replace('```', "'''")}```"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _clip(text, 3000)}})
    blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*Next:* {_slack_escape(msg['next'])}"}})
    if msg.get("run_url", "").startswith("https://"):
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Open run"},
                        "url": _clip(msg["run_url"], 3000),
                    }
                ],
            }
        )
    return {"text": head, "blocks": blocks}


def teams_payload(message: AlertMessage) -> dict[str, Any]:
    """Teams webhook body: an Adaptive Card (read by Workflows webhooks and classic connectors alike)."""
    msg = normalize(message)
    event = msg["event"]
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": title(msg),
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
            "color": _TEAMS_COLOR.get(event, "Good" if event == "success" else "Default"),
        },
        {
            "type": "FactSet",
            "facts": [
                {"title": k.replace("_", " ").title(), "value": msg.get(k, "")}
                for k in ("pipeline", "task", "environment", "platform", "error")
                if msg.get(k)
            ],
        },
    ]
    if msg.get("cause"):
        body.append({"type": "TextBlock", "text": msg["cause"], "wrap": True, "fontType": "Monospace"})
    body.append({"type": "TextBlock", "text": f"**Next:** {msg['next']}", "wrap": True})
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    if msg.get("run_url", "").startswith("https://"):
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open run", "url": msg["run_url"]}]
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


def email_text(message: AlertMessage) -> tuple[str, str]:
    """(subject, body). The subject fits SNS: printable ASCII, one line, under 100 characters."""
    msg = normalize(message)
    subject = re.sub(r"[^\x20-\x7e]", "?", title(msg))
    lines = [title(msg), ""]
    lines += [f"{k.title() + ':':<13}{msg.get(k, '')}" for k in ("pipeline", "task", "environment", "platform")]
    lines += ["", f"Error: {msg.get('error', '-')}"]
    if msg.get("cause"):
        lines += ["", msg["cause"]]
    lines += ["", f"Run:  {msg.get('run_url', '-')}", f"Next: {msg['next']}"]
    return _clip(subject, 99), "\n".join(lines) + "\n"


def webhook_payload(message: AlertMessage) -> dict[str, Any]:
    """Generic webhooks get the contract itself, plus a ready-made title."""
    msg = normalize(message)
    return {**{k: msg[k] for k in ALERT_FIELDS if k in msg}, "title": title(msg)}  # type: ignore[literal-required]


RENDERERS = {"slack": slack_payload, "teams": teams_payload, "webhook": webhook_payload}

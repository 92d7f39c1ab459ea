"""What each cloud needs for a set of channels and pipelines: topics, subscriptions, channels, destinations.

The alerting components create exactly what these plans list; the decisions (protocol per channel
type, names, filters, what a platform cannot do) are made here, once, and tested without Pulumi.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from ..diagnostics import Diagnostic, Severity
from ..environment import Environment
from ..spec.notify import Channel, EmailChannel, SlackChannel, WebhookChannel
from .routing import UNKNOWN, Origin, bounded, channel_secrets, config_set_command, sns_filter_policy

SNS_TOPIC_MAX = 256
PUBSUB_TOPIC_MAX = 255
LAMBDA_NAME_MAX = 64  # also the IAM role name limit


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

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]


def _diag(
    origins: Mapping[str, Origin] | None, cid: str, code: str, message: str, hint: str, target: str = ""
) -> Diagnostic:
    at = (origins or {}).get(cid, UNKNOWN)
    return Diagnostic(at.file, at.line, at.column, Severity.ERROR, code, message, ("channels", cid), hint, target)


def plan_topics(
    channels: Mapping[str, Channel],
    pipelines: Mapping[str, Sequence[str]],
    env: Environment,
    *,
    shared_topic: bool,
    limit: int,
    origins: Mapping[str, Origin] | None = None,
) -> Plan:
    """One topic per pipeline (its channels subscribe to it), or one shared topic."""
    diags = [
        _diag(
            origins,
            c,
            "PS601",
            f"pipeline {p!r} routes alerts to channel {c!r}, which none of its specs define",
            "define the channel under 'channels:' in the pipeline's spec",
        )
        for p in sorted(pipelines)
        for c in sorted(set(pipelines[p]) - set(channels))
    ]
    routed = {p: tuple(sorted(set(ids) & set(channels))) for p, ids in sorted(pipelines.items())}
    if shared_topic:
        used = tuple(sorted({c for ids in routed.values() for c in ids}))
        topic = Topic("shared", bounded(env.deployed_name("pipespec-alerts"), limit), tuple(routed), used)
        return Plan((topic,), dict.fromkeys(routed, "shared"), diags)
    topics = tuple(Topic(p, bounded(f"{p}-alerts", limit), (p,), ids) for p, ids in routed.items())
    return Plan(topics, {p: p for p in routed}, diags)


# ── AWS ───────────────────────────────────────────────────────────────────────────


def formatted_kind(channel: Channel) -> str | None:
    """The formatter mode a channel needs on AWS: Slack/Teams cards, or webhooks that need a bearer token."""
    if channel.type in ("slack", "teams"):
        return channel.type
    if isinstance(channel, WebhookChannel) and channel.token_secret:
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
class Formatter:
    """One formatter function per Slack/Teams/token-webhook channel, shared by every topic routing to it."""

    channel: str
    kind: str  # slack | teams | webhook
    function_name: str
    secrets: dict[str, str]  # role ("url", "token") -> config key
    slack_channel: str = ""


@dataclass(frozen=True)
class AwsPlan(Plan):
    deliveries: tuple[Delivery, ...] = ()
    formatters: tuple[Formatter, ...] = ()


def plan_aws(
    channels: Mapping[str, Channel],
    pipelines: Mapping[str, Sequence[str]],
    env: Environment,
    *,
    shared_topic: bool = False,
    alarm_routes: Mapping[str, Sequence[str]] | None = None,
    origins: Mapping[str, Origin] | None = None,
) -> AwsPlan:
    """Topics, subscriptions and formatter functions. Unattributed messages (alarms) reach each
    pipeline's `alarm_routes` channels (default: all its channels)."""
    base = plan_topics(channels, pipelines, env, shared_topic=shared_topic, limit=SNS_TOPIC_MAX, origins=origins)
    routes = alarm_routes if alarm_routes is not None else pipelines
    deliveries: list[Delivery] = []
    formatters: dict[str, Formatter] = {}
    for topic in base.topics:
        hear_alarms = {c for p in topic.pipelines for c in routes.get(p, ())}
        for cid in topic.channels:
            channel = channels[cid]
            policy = sns_filter_policy(cid, unattributed=cid in hear_alarms)
            stem = f"{topic.key}-{cid}"
            if (kind := formatted_kind(channel)) is not None:
                name = bounded(env.deployed_name(f"pipespec-alert-{cid}"), LAMBDA_NAME_MAX)
                slack = getattr(channel, "channel", None) or ""
                formatters[cid] = Formatter(cid, kind, name, channel_secrets(channel), slack)
                deliveries.append(Delivery(stem, topic.key, cid, "lambda", "", policy))
            elif isinstance(channel, WebhookChannel):
                deliveries.append(Delivery(stem, topic.key, cid, "https", "", policy))
            elif isinstance(channel, EmailChannel):
                for address in sorted(set(channel.addresses)):
                    deliveries.append(Delivery(f"{stem}-{address}", topic.key, cid, "email", address, policy))
    return AwsPlan(
        base.topics,
        base.pipeline_topic,
        base.diagnostics,
        tuple(deliveries),
        tuple(sorted(formatters.values(), key=lambda f: f.channel)),
    )


def sns_topic_policy(
    topic_arn: str, role_arns: Sequence[str], alarm_arns: Sequence[str], rule_arns: Sequence[str] = ()
) -> str:
    """A topic policy that lets exactly these publishers publish, and nobody else: pipeline roles,
    CloudWatch alarms and EventBridge rules. Alarms and rules publish as their service, so those
    statements pin the source ARNs and accounts (`aws:SourceArn`, `aws:SourceAccount`)."""
    statements: list[dict[str, object]] = []
    if role_arns:
        statements.append(
            {
                "Sid": "PublishFromPipelineRoles",
                "Effect": "Allow",
                "Principal": {"AWS": sorted(set(role_arns))},
                "Action": "sns:Publish",
                "Resource": topic_arn,
            }
        )
    for sid, service, sources in (
        ("PublishFromPipelineAlarms", "cloudwatch.amazonaws.com", alarm_arns),
        ("PublishFromPipelineRules", "events.amazonaws.com", rule_arns),
    ):
        if sources:
            statements.append(
                {
                    "Sid": sid,
                    "Effect": "Allow",
                    "Principal": {"Service": service},
                    "Action": "sns:Publish",
                    "Resource": topic_arn,
                    "Condition": {
                        "ArnLike": {"aws:SourceArn": sorted(set(sources))},
                        "StringEquals": {"aws:SourceAccount": sorted({a.split(":")[4] for a in sources})},
                    },
                }
            )
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)


def sns_kms_key_policy(account: str, partition: str = "aws") -> str:
    """Key policy for a customer managed topic key: the account administers it (through IAM); CloudWatch
    alarms and EventBridge rules of this account may encrypt with it (they cannot use aws/sns)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountAdministersThroughIam",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    "Sid": "AlarmsAndRulesPublish",
                    "Effect": "Allow",
                    "Principal": {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]},
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:SourceAccount": account}},
                },
            ],
        },
        sort_keys=True,
    )


# ── GCP ───────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class GcpChannel:
    """One Cloud Monitoring notification channel."""

    key: str  # `channel_names` key: the channel id, or "id:address" per address of a multi-address email
    name: str  # stem of the resource name
    channel: str
    type: str  # email | slack | webhook_tokenauth
    display_name: str
    labels: dict[str, str] = field(default_factory=dict)
    secret_labels: dict[str, str] = field(default_factory=dict)  # label -> config key (value is a secret)
    sensitive_labels: dict[str, str] = field(default_factory=dict)  # sensitive label -> config key


@dataclass(frozen=True)
class GcpPlan(Plan):
    channels: tuple[GcpChannel, ...] = ()


def slack_channel_name(channel: Channel) -> str:
    name = channel.channel if isinstance(channel, SlackChannel) and channel.channel else ""
    return name if not name or name.startswith("#") else f"#{name}"


def gcp_channel_checks(
    cid: str, channel: Channel, slack_token: str | None, origins: Mapping[str, Origin] | None = None
) -> list[Diagnostic]:
    """What a channel needs on Cloud Monitoring that the spec may not say."""
    out: list[Diagnostic] = []
    if channel.type == "slack" and not slack_channel_name(channel):
        hint = "add `channel: '#alerts'`: Cloud Monitoring posts through its Slack app to a named channel"
        out.append(_diag(origins, cid, "PS610", f"Slack channel {cid!r} has no channel name", hint, "composer"))
    if channel.type == "slack" and not slack_token:
        hint = (
            "Cloud Monitoring cannot post to incoming webhooks: install its Slack app, map the channel to a "
            f"config key (slack_token_secrets: {{{cid}: KEY}}) and run `{config_set_command('KEY')}` "
            "with the xoxb- token"
        )
        msg = f"Slack channel {cid!r} needs a Slack app token on Cloud Monitoring"
        out.append(_diag(origins, cid, "PS611", msg, hint, "composer"))
    if isinstance(channel, WebhookChannel) and channel.token_secret:
        msg = f"webhook {cid!r} has a bearer token, which Cloud Monitoring webhooks cannot send"
        hint = "accept the token in the URL (store the whole URL under url_secret) and drop token_secret"
        out.append(_diag(origins, cid, "PS612", msg, hint, "composer"))
    if channel.type == "teams":
        msg = f"Teams channel {cid!r} receives Cloud Monitoring's own incident JSON on GCP, not the pipespec card"
        hint = "use a Teams Workflows webhook whose flow turns that JSON into a card; classic connectors reject it"
        warning = _diag(origins, cid, "PS613", msg, hint, "composer")
        out.append(replace(warning, severity=Severity.WARNING))
    return out


def plan_gcp(
    channels: Mapping[str, Channel],
    pipelines: Mapping[str, Sequence[str]],
    env: Environment,
    *,
    shared_topic: bool = False,
    slack_tokens: Mapping[str, str] | None = None,
    origins: Mapping[str, Origin] | None = None,
) -> GcpPlan:
    """Pub/Sub topics, and one notification channel per routed channel (per address for email)."""
    base = plan_topics(channels, pipelines, env, shared_topic=shared_topic, limit=PUBSUB_TOPIC_MAX, origins=origins)
    diags = list(base.diagnostics)
    out: list[GcpChannel] = []
    for cid in sorted({c for t in base.topics for c in t.channels}):
        channel = channels[cid]
        token = (slack_tokens or {}).get(cid) or getattr(channel, "auth_token_secret", None)
        diags += gcp_channel_checks(cid, channel, token, origins)
        display = f"{env.deployed_name('pipespec')} {cid}"
        if isinstance(channel, EmailChannel):
            addresses = sorted(set(channel.addresses))
            for address in addresses:
                key = cid if len(addresses) == 1 else f"{cid}:{address}"
                shown = display if len(addresses) == 1 else f"{display} ({address})"
                out.append(GcpChannel(key, key.replace(":", "-"), cid, "email", shown, {"email_address": address}))
        elif channel.type == "slack":
            labels = {"channel_name": slack_channel_name(channel)}
            out.append(GcpChannel(cid, cid, cid, "slack", display, labels, {}, {"auth_token": token or ""}))
        else:  # Teams and webhooks: the URL, with any token in it, is the secret
            secret = {"url": channel_secrets(channel)["url"]}
            out.append(GcpChannel(cid, cid, cid, "webhook_tokenauth", display, {}, secret))
    return GcpPlan(base.topics, base.pipeline_topic, diags, tuple(out))


# ── Databricks ────────────────────────────────────────────────────────────────────

DATABRICKS_CONFIG = {"slack": "slack", "teams": "microsoft_teams", "webhook": "generic_webhook"}


@dataclass(frozen=True)
class DatabricksDestination:
    channel: str
    config: str  # the destination's config block: slack | microsoft_teams | generic_webhook
    display_name: str
    url_secret: str  # config key


def plan_databricks(
    channels: Mapping[str, Channel], env: Environment, origins: Mapping[str, Origin] | None = None
) -> tuple[tuple[DatabricksDestination, ...], list[Diagnostic]]:
    """A destination per Slack, Teams and webhook channel; emails go in the jobs' email_notifications."""
    out: list[DatabricksDestination] = []
    diags: list[Diagnostic] = []
    for cid, channel in sorted(channels.items()):
        if channel.type not in DATABRICKS_CONFIG:
            continue
        if isinstance(channel, WebhookChannel) and channel.token_secret:
            msg = f"webhook {cid!r} has a bearer token; Databricks webhook destinations only send basic auth"
            hint = "drop token_secret, or let the endpoint accept a token in its URL"
            diags.append(_diag(origins, cid, "PS620", msg, hint, "databricks"))
        display = f"{env.deployed_name('pipespec')} {cid}"
        out.append(
            DatabricksDestination(cid, DATABRICKS_CONFIG[channel.type], display, channel_secrets(channel)["url"])
        )
    return tuple(out), diags

"""Channels across pipelines: one definition per id, who routes to what, and the routing contract.

Routing contract (publishers and subscriptions agree on it):
- SNS: publishers set the message attribute `channels` (String.Array of channel ids, see
  `sns_message_attributes`); each subscription filters on its own channel id. Messages without
  the attribute (CloudWatch alarms cannot set one) reach the pipeline's alarm channels.
- GCP: Airflow callbacks write `alert_log_entry(...)` (the alert plus the `channels` list) as a
  structured entry to the `pipespec-alerts` log and publish it to the Pub/Sub topic with
  `pubsub_attributes(...)`; log-based alert policies match the entry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..alerts import ALERT_FIELDS
from ..diagnostics import Diagnostic, Severity
from ..environment import Environment
from ..ir import PipelineIR
from ..spec.notify import Channel

NAMESPACE = "pipespec"  # Pulumi config namespace of the `*_secret` keys
CHANNELS_ATTRIBUTE = "channels"
ALERT_LOG = "pipespec-alerts"
ALARM_EVENTS = ("on_failure", "on_sla_miss")  # what an alarm on a whole pipeline stands for


@dataclass(frozen=True)
class Origin:
    """Where a channel is written, for diagnostics."""

    file: str
    line: int = 0
    column: int = 0


UNKNOWN = Origin("<alerting>")


# ── Secrets and names ─────────────────────────────────────────────────────────────


def channel_secrets(channel: Channel) -> dict[str, str]:
    """Config keys a channel's delivery needs, by role ("url", "token")."""
    if channel.type in ("slack", "teams"):
        return {"url": channel.webhook_url_secret}
    if channel.type == "webhook":
        return {"url": channel.url_secret, **({"token": channel.token_secret} if channel.token_secret else {})}
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


def channel_origins(ir: PipelineIR) -> dict[str, Origin]:
    """Where each of a pipeline's channels is written."""
    sources = getattr(ir, "channel_sources", None)
    if sources is not None:
        return {c: Origin(s.file, s.line, s.column) for c, s in sources.items()}
    fallback = Origin(ir.source.file, ir.source.line, ir.source.column)
    try:  # the IR keeps only the pipeline's position: find the channels' lines in its file, read once
        from ..loader import load_file

        doc = load_file(ir.source.file)
    except Exception:  # an in-memory or unreadable spec: point at the pipeline
        return dict.fromkeys(ir.channels, fallback)
    marks = {c: doc.locate(("channels", c), key=True) for c in ir.channels}
    return {c: Origin(ir.source.file, m.line, m.column) for c, m in marks.items()}


def merge_channels(irs: Sequence[PipelineIR]) -> tuple[dict[str, Channel], dict[str, Origin], list[Diagnostic]]:
    """Every channel once, with where it is written. One id must mean one definition in every file."""
    channels: dict[str, Channel] = {}
    origins: dict[str, Origin] = {}
    diags: list[Diagnostic] = []
    for ir in sorted(irs, key=lambda i: (i.source.file, i.name)):
        where = channel_origins(ir) if ir.channels else {}
        for cid, channel in sorted(ir.channels.items()):
            if cid not in channels:
                channels[cid], origins[cid] = channel, where[cid]
                continue
            first, second = channels[cid].model_dump(), channel.model_dump()
            if first == second:
                continue
            at, here = origins[cid], where[cid]
            differ = sorted(k for k in set(first) | set(second) if first.get(k) != second.get(k))
            diags.append(
                Diagnostic(
                    here.file,
                    here.line,
                    here.column,
                    Severity.ERROR,
                    "PS600",
                    f"channel {cid!r} is defined differently in {at.file}:{at.line} (they differ in "
                    f"{', '.join(differ)}); one channel id means one channel in every pipeline",
                    ("channels", cid),
                    "make both definitions identical, or rename one of the channels",
                )
            )
    return channels, dict(sorted(origins.items())), diags


def routed_channels(ir: PipelineIR) -> tuple[str, ...]:
    """Channels any event of the pipeline or of one of its tasks goes to."""
    ids = set(ir.notify.channels())
    for task in ir.tasks:
        ids.update(task.notify.channels())
    return tuple(sorted(ids))


def alarm_channels(ir: PipelineIR) -> tuple[str, ...]:
    """Channels that hear pipeline-level failures and SLA misses: where an alarm's message goes."""
    return tuple(sorted({c for event in ALARM_EVENTS for c in ir.notify.get(event)}))


@dataclass(frozen=True)
class AlertingInputs:
    """What one cloud's alerting component takes, for the pipelines deployed there."""

    channels: dict[str, Channel]  # routed channels only
    pipelines: dict[str, tuple[str, ...]]  # deployed pipeline name -> channel ids
    alarm_channels: dict[str, tuple[str, ...]]  # deployed pipeline name -> channel ids
    origins: dict[str, Origin] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def alerting_inputs(irs: Sequence[PipelineIR], env: Environment) -> AlertingInputs:
    channels, origins, diags = merge_channels(irs)
    ordered = sorted(irs, key=lambda i: i.name)
    pipelines = {env.deployed_name(ir.name): routed_channels(ir) for ir in ordered}
    used = {c for ids in pipelines.values() for c in ids}
    return AlertingInputs(
        {c: ch for c, ch in channels.items() if c in used},
        pipelines,
        {env.deployed_name(ir.name): alarm_channels(ir) for ir in ordered},
        {c: o for c, o in origins.items() if c in used},
        diags,
    )


# ── Routing contract ──────────────────────────────────────────────────────────────


def sns_filter_policy(channel_id: str, *, unattributed: bool) -> str:
    """Subscription filter: messages for this channel, plus unattributed ones (alarms) when asked."""
    match = {CHANNELS_ATTRIBUTE: [channel_id]}
    if not unattributed:
        return json.dumps(match, sort_keys=True)
    return json.dumps({"$or": [match, {CHANNELS_ATTRIBUTE: [{"exists": False}]}]}, sort_keys=True)


def sns_message_attributes(channel_ids: Iterable[str]) -> dict[str, dict[str, str]]:
    """`MessageAttributes` a publisher sets so each subscription gets only its channels' events."""
    return {CHANNELS_ATTRIBUTE: {"DataType": "String.Array", "StringValue": json.dumps(sorted(set(channel_ids)))}}


def alert_log_entry(message: Mapping[str, Any], channel_ids: Iterable[str]) -> dict[str, Any]:
    """The structured payload Airflow callbacks write to the `pipespec-alerts` log."""
    fields: dict[str, Any] = {k: str(message[k]) for k in ALERT_FIELDS if message.get(k)}
    return {**fields, CHANNELS_ATTRIBUTE: sorted(set(channel_ids))}


def pubsub_attributes(message: Mapping[str, Any], channel_ids: Iterable[str]) -> dict[str, str]:
    """Pub/Sub attributes for an alert (`channels`: "a,b"), so subscribers can route without parsing the body."""
    attrs = {k: str(message[k]) for k in ("event", "pipeline", "task", "environment") if message.get(k)}
    return {**attrs, CHANNELS_ATTRIBUTE: ",".join(sorted(set(channel_ids)))}


def gcp_log_filter(project: str, pipeline: str, channel_id: str) -> str:
    """Cloud Logging filter for one pipeline's alerts routed to one channel.

    `channels` is a list in the entry; a restriction on a repeated field matches when any element
    does (as audit-log queries on `protoPayload.authorizationInfo.permission` rely on).
    """
    return (
        f'logName="projects/{project}/logs/{ALERT_LOG}" AND jsonPayload.pipeline="{pipeline}" '
        f'AND jsonPayload.{CHANNELS_ATTRIBUTE}="{channel_id}"'
    )


GCP_LABEL_EXTRACTORS: dict[str, str] = {f: f"EXTRACT(jsonPayload.{f})" for f in ALERT_FIELDS if f != "cause"}


def gcp_documentation() -> str:
    """Alert policy documentation (Markdown): the alert fields, filled in by Cloud Monitoring per entry."""
    label = {"run_url": "Run", "next": "Next"}
    return "\n\n".join(
        f"**{label.get(k, k.title())}:** ${{log.extracted_label.{k}}}" for k in GCP_LABEL_EXTRACTORS if k != "event"
    )

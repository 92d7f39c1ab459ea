"""GCP alerting: Pub/Sub topics, Cloud Monitoring notification channels, and log-based alert policies.

Airflow callbacks write each alert as a structured entry to the `pipespec-alerts` log and publish it
to the pipeline's topic (see `pipespec.notify_plan.routing`). `alert_policies` builds, for the Composer
component, one log-based policy per (pipeline, channel) whose documentation shows the alert fields.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial

import pulumi
import pulumi_gcp as gcp
from pulumi import Input, Output, ResourceOptions

from pipespec.environment import Environment
from pipespec.notify_plan import GCP_LABEL_EXTRACTORS, gcp_documentation, gcp_log_filter, plan_gcp
from pipespec.spec.notify import Channel

from .channels import fail_on_errors, gcp_labels, require_secrets

TYPE = "pipespec:gcp:Alerting"
RETENTION = "604800s"  # a week of alerts can be replayed by a new subscriber
RATE_LIMIT = "300s"  # log-based policies notify at most once per period
AUTO_CLOSE = "1800s"


@dataclass
class GcpAlertingArgs:
    channels: Mapping[str, Channel]
    pipelines: Mapping[str, Sequence[str]]  # deployed pipeline name -> channel ids it routes to
    environment: Environment
    shared_topic: bool = False
    project: str | None = None  # None: the provider's project
    # Slack channel id -> config key of the Cloud Monitoring Slack app's OAuth token (xoxb-...):
    # Cloud Monitoring cannot post to incoming webhooks.
    slack_token_secrets: Mapping[str, str] = field(default_factory=dict)


class GcpAlerting(pulumi.ComponentResource):
    """Pub/Sub topics (one per pipeline, or shared) and one notification channel per routed channel."""

    channel_names: dict[str, Output[str]]  # channel id (or "id:address" for multi-address emails) -> name

    def __init__(self, name: str, args: GcpAlertingArgs, opts: ResourceOptions | None = None) -> None:
        env = args.environment
        plan = plan_gcp(
            args.channels,
            args.pipelines,
            env,
            shared_topic=args.shared_topic,
            slack_tokens=args.slack_token_secrets,
        )
        fail_on_errors(TYPE, plan.diagnostics)
        needed = {
            key: f"{label} of channel {c.channel!r}" for c in plan.channels for label, key in c.secret_labels.items()
        }
        needed |= {
            key: f"{label} of channel {c.channel!r}" for c in plan.channels for label, key in c.sensitive_labels.items()
        }
        secrets = require_secrets(needed)  # before any resource

        super().__init__(TYPE, name, None, opts)
        self._name, self._plan, self._args = name, plan, args
        child = ResourceOptions(parent=self)
        labels = gcp_labels(env)
        self.topics = {
            t.key: gcp.pubsub.Topic(
                f"{name}-{t.key}",
                name=t.name,
                project=args.project,
                labels=labels,
                message_retention_duration=RETENTION,
                opts=child,
            )
            for t in plan.topics
        }
        self.channels: dict[str, gcp.monitoring.NotificationChannel] = {}
        self.webhook_urls: dict[str, Output[str]] = {}  # channel id -> URL Cloud Monitoring posts to; secrets
        for c in plan.channels:
            secret_labels = {label: secrets[key] for label, key in c.secret_labels.items()}
            self.channels[c.key] = gcp.monitoring.NotificationChannel(
                f"{name}-{c.name}",
                display_name=c.display_name,
                type=c.type,
                labels={**c.labels, **secret_labels},
                sensitive_labels=(
                    {"auth_token": secrets[c.sensitive_labels["auth_token"]]} if c.sensitive_labels else None
                ),
                user_labels=labels,
                enabled=True,
                project=args.project,
                # Read back from the API, labels hold the URL: keep them secret in state.
                opts=ResourceOptions(parent=self, additional_secret_outputs=["labels", "sensitive_labels"]),
            )
            if "url" in secret_labels:
                self.webhook_urls[c.key] = Output.secret(secret_labels["url"])
        self.channel_names = {key: ch.name for key, ch in self.channels.items()}
        self.register_outputs(
            {
                "topicIds": {p: self.topic_id(p) for p in plan.pipeline_topic},
                "channelNames": self.channel_names,
                "webhookUrls": self.webhook_urls,
            }
        )

    def _topic(self, pipeline: str) -> gcp.pubsub.Topic:
        key = self._plan.pipeline_topic.get(pipeline)
        if key is None:
            known = ", ".join(sorted(self._plan.pipeline_topic)) or "none"
            raise pulumi.RunError(f"{TYPE}: no alert topic for pipeline {pipeline!r} (pipelines: {known})")
        return self.topics[key]

    def topic_id(self, pipeline: str) -> Output[str]:
        """`projects/<project>/topics/<topic>` of a pipeline's alert topic (the provider's id format)."""
        topic = self._topic(pipeline)
        return Output.all(topic.project, topic.name).apply(lambda v: f"projects/{v[0]}/topics/{v[1]}")

    def topic_name(self, pipeline: str) -> Output[str]:
        return self._topic(pipeline).name

    def names_for(self, channel_ids: Sequence[str]) -> list[Output[str]]:
        """Notification channel names for channel ids, every address of an email channel included."""
        return [
            self.channel_names[c.key]
            for cid in sorted(set(channel_ids))
            for c in self._plan.channels
            if c.channel == cid
        ]

    def allow_publishers(self, members: Mapping[str, Input[str]]) -> None:
        """Grant Pub/Sub publisher on every topic to these members (label -> "serviceAccount:..."),
        e.g. the Composer environment's service account."""
        for topic in self._plan.topics:
            for label, member in sorted(members.items()):
                gcp.pubsub.TopicIAMMember(
                    f"{self._name}-{topic.key}-{label}-publisher",
                    topic=self.topics[topic.key].name,
                    project=self._args.project,
                    role="roles/pubsub.publisher",
                    member=member,
                    opts=ResourceOptions(parent=self),
                )

    def alert_policies(
        self, pipeline: str, opts: ResourceOptions | None = None
    ) -> dict[str, gcp.monitoring.AlertPolicy]:
        """Log-based alert policies for one pipeline, one per channel it routes to (by channel id).

        For the Composer component: the policies match the alert entries its callbacks log, and
        notify at most once per RATE_LIMIT per channel (a Cloud Monitoring limit of log-based alerts).
        """
        routed = sorted(set(self._args.pipelines.get(pipeline, ())))
        topic = self._topic(pipeline)  # unknown pipeline -> clear error
        project = topic.project  # the provider's project when none was given
        env = self._args.environment
        out: dict[str, gcp.monitoring.AlertPolicy] = {}
        for cid in routed:
            log_filter = project.apply(partial(gcp_log_filter, pipeline=pipeline, channel_id=cid))
            condition = gcp.monitoring.AlertPolicyConditionArgs(
                display_name=f"{pipeline} alert for {cid}",
                condition_matched_log=gcp.monitoring.AlertPolicyConditionConditionMatchedLogArgs(
                    filter=log_filter, label_extractors=GCP_LABEL_EXTRACTORS
                ),
            )
            out[cid] = gcp.monitoring.AlertPolicy(
                f"{self._name}-{pipeline}-{cid}",
                display_name=f"pipespec {pipeline} -> {cid}",
                combiner="OR",
                conditions=[condition],
                alert_strategy=gcp.monitoring.AlertPolicyAlertStrategyArgs(
                    notification_rate_limit=gcp.monitoring.AlertPolicyAlertStrategyNotificationRateLimitArgs(
                        period=RATE_LIMIT
                    ),
                    auto_close=AUTO_CLOSE,
                ),
                documentation=gcp.monitoring.AlertPolicyDocumentationArgs(
                    content=gcp_documentation(),
                    mime_type="text/markdown",
                    subject=f"[{env.name}] ${{log.extracted_label.pipeline}} ${{log.extracted_label.event}}",
                ),
                notification_channels=self.names_for([cid]),
                severity="ERROR",
                user_labels=gcp_labels(env),
                project=self._args.project,
                opts=ResourceOptions.merge(ResourceOptions(parent=self), opts),
            )
        return out

"""AWS alerting: SNS topics, their subscriptions, and the Slack/Teams formatter functions.

Everything created is listed by `pipespec.notify_plan.plan_aws`; this component only turns that plan
into resources. Slack and Teams (and webhooks that need a bearer token) are delivered by a small
formatter Lambda per channel, not AWS Chatbot: Chatbot cannot post to Teams incoming webhooks or
generic endpoints and renders its own message, while the formatter shows the pipespec alert
(pipeline, task, error, run link, what happens next) the same way on every channel.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from pulumi import Input, Output, ResourceOptions

from pipespec.environment import Environment
from pipespec.notify_plan import Formatter, bounded, plan_aws, sns_kms_key_policy, sns_topic_policy
from pipespec.spec.notify import Channel

from .channels import aws_tags, fail_on_errors, require_secrets
from .formatter import HANDLER, RUNTIME, bundle_files

TYPE = "pipespec:aws:Alerting"
AWS_MANAGED_SNS_KEY = "alias/aws/sns"

Publishers = Sequence[Input[str]] | Mapping[str, Sequence[Input[str]]]


@dataclass
class AwsAlertingArgs:
    channels: Mapping[str, Channel]
    pipelines: Mapping[str, Sequence[str]]  # deployed pipeline name -> channel ids it routes to
    environment: Environment
    shared_topic: bool = False
    kms_master_key_id: str = AWS_MANAGED_SNS_KEY  # "" = no encryption at rest
    # Pipeline -> channels that hear messages without a `channels` attribute (CloudWatch alarms);
    # None = all of the pipeline's channels. `notify_plan.alerting_inputs` gives failure + SLA channels.
    alarm_channels: Mapping[str, Sequence[str]] | None = None
    # Create a customer managed key for the topics (CloudWatch alarms cannot publish to aws/sns topics).
    create_kms_key: bool = False
    log_retention_days: int = 30


class AwsAlerting(pulumi.ComponentResource):
    """SNS topics (one per pipeline, or shared) with email, HTTPS and formatter subscriptions."""

    topic_arns: dict[str, Output[str]]  # by deployed pipeline name
    formatter_arns: dict[str, Output[str]]  # by channel id
    webhook_endpoints: dict[str, Output[str]]  # by channel id; secrets
    kms_key_arn: Output[str] | None

    def __init__(self, name: str, args: AwsAlertingArgs, opts: ResourceOptions | None = None) -> None:
        env = args.environment
        plan = plan_aws(
            args.channels, args.pipelines, env, shared_topic=args.shared_topic, alarm_routes=args.alarm_channels
        )
        fail_on_errors(TYPE, plan.diagnostics)
        needed = {key: f"{role} of channel {f.channel!r}" for f in plan.formatters for role, key in f.secrets.items()}
        https = {d.channel for d in plan.deliveries if d.protocol == "https"}
        for cid in sorted(https):  # token-less webhooks: SNS posts to the URL itself
            needed[args.channels[cid].url_secret] = f"url of channel {cid!r}"  # type: ignore[union-attr]
        secrets = require_secrets(needed)  # before any resource: a missing secret stops the whole run

        super().__init__(TYPE, name, None, opts)
        self._name, self._plan, self._env, self._policies_set = name, plan, env, False
        child = ResourceOptions(parent=self)
        kept = ResourceOptions(parent=self, protect=env.protect)  # re-creating means re-confirming every email
        tags = aws_tags(env)

        self.kms_key_arn = None
        self._aws_managed_key = not args.create_kms_key and args.kms_master_key_id == AWS_MANAGED_SNS_KEY
        key_id: Input[str] | None = args.kms_master_key_id or None
        if args.create_kms_key:
            identity, partition = aws.get_caller_identity_output(), aws.get_partition_output()
            key = aws.kms.Key(
                f"{name}-sns",
                description=f"pipespec alert topics ({env.name})",
                enable_key_rotation=True,
                deletion_window_in_days=30,
                policy=Output.all(identity.account_id, partition.partition).apply(
                    lambda v: sns_kms_key_policy(v[0], v[1])
                ),
                tags=tags,
                opts=kept,
            )
            aws.kms.Alias(
                f"{name}-sns",
                name=f"alias/{env.deployed_name('pipespec-alerts')}",
                target_key_id=key.key_id,
                opts=child,
            )
            self.kms_key_arn, key_id = key.arn, key.arn

        self.topics = {
            t.key: aws.sns.Topic(
                f"{name}-{t.key}",
                name=t.name,
                display_name=bounded(f"pipespec alerts ({env.name})", 100),
                kms_master_key_id=key_id,
                tags=tags,
                opts=kept,
            )
            for t in plan.topics
        }
        self.topic_arns = {p: self.topics[k].arn for p, k in plan.pipeline_topic.items()}
        functions = {f.channel: self._formatter(f, secrets, args.log_retention_days, tags) for f in plan.formatters}
        self.formatter_arns = {cid: fn.arn for cid, fn in functions.items()}
        self.webhook_endpoints = {}
        for d in plan.deliveries:
            topic = self.topics[d.topic]
            if d.protocol == "lambda":
                fn = functions[d.channel]
                invoke = aws.lambda_.Permission(
                    f"{name}-{d.key}-invoke",
                    action="lambda:InvokeFunction",
                    function=fn.name,
                    principal="sns.amazonaws.com",
                    source_arn=topic.arn,
                    opts=child,
                )
                aws.sns.TopicSubscription(
                    f"{name}-{d.key}",
                    topic=topic.arn,
                    protocol="lambda",
                    endpoint=fn.arn,
                    filter_policy=d.filter_policy,
                    opts=ResourceOptions(parent=self, depends_on=[invoke]),
                )
            elif d.protocol == "https":
                url = secrets[args.channels[d.channel].url_secret]  # type: ignore[union-attr]
                sub = aws.sns.TopicSubscription(
                    f"{name}-{d.key}",
                    topic=topic.arn,
                    protocol="https",
                    endpoint=url,
                    raw_message_delivery=True,  # the endpoint receives the alert JSON itself
                    filter_policy=d.filter_policy,
                    opts=ResourceOptions.merge(kept, ResourceOptions(additional_secret_outputs=["endpoint"])),
                )
                self.webhook_endpoints[d.channel] = Output.secret(sub.endpoint)
            else:
                aws.sns.TopicSubscription(
                    f"{name}-{d.key}",
                    topic=topic.arn,
                    protocol="email",
                    endpoint=d.endpoint,
                    filter_policy=d.filter_policy,
                    opts=kept,
                )
        self.register_outputs(
            {
                "topicArns": self.topic_arns,
                "formatterArns": self.formatter_arns,
                "webhookEndpoints": self.webhook_endpoints,
            }
        )

    def _formatter(
        self, f: Formatter, secrets: Mapping[str, Output[str]], retention: int, tags: Mapping[str, str]
    ) -> aws.lambda_.Function:
        """One function per channel, reading only its own secret (URL and token live in Secrets Manager,
        not in environment variables that `lambda:GetFunctionConfiguration` would reveal)."""
        stem, child = f"{self._name}-{f.channel}", ResourceOptions(parent=self)
        secret = aws.secretsmanager.Secret(
            f"{stem}-webhook",
            name_prefix=f"pipespec/{self._env.name}/{f.channel}-",
            description=f"{f.kind} delivery of pipespec alert channel {f.channel!r}",
            recovery_window_in_days=7 if self._env.protect else 0,
            tags=dict(tags),
            opts=child,
        )
        values = Output.all(**{role: secrets[key] for role, key in f.secrets.items()})
        body: Output[str] = values.apply(_secret_json)
        version = aws.secretsmanager.SecretVersion(
            f"{stem}-webhook", secret_id=secret.id, secret_string=body, opts=child
        )
        role = aws.iam.Role(
            f"{stem}-formatter",
            name=f.function_name,
            assume_role_policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                },
                sort_keys=True,
            ),
            tags=dict(tags),
            opts=child,
        )
        logs = aws.cloudwatch.LogGroup(
            f"{stem}-formatter",
            name=f"/aws/lambda/{f.function_name}",
            retention_in_days=retention,
            tags=dict(tags),
            opts=child,
        )
        policy = aws.iam.RolePolicy(
            f"{stem}-formatter",
            role=role.id,
            policy=Output.all(logs.arn, secret.arn).apply(
                lambda arns: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                                "Resource": f"{arns[0]}:*",
                            },
                            {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": arns[1]},
                        ],
                    },
                    sort_keys=True,
                )
            ),
            opts=child,
        )
        return aws.lambda_.Function(
            f"{stem}-formatter",
            name=f.function_name,
            description=f"Formats pipespec alerts for {f.kind} channel {f.channel!r}",
            role=role.arn,
            runtime=RUNTIME,
            handler=HANDLER,
            architectures=["arm64"],
            memory_size=128,
            timeout=15,
            code=pulumi.AssetArchive({path: pulumi.StringAsset(text) for path, text in bundle_files().items()}),
            environment={"variables": {"CHANNEL_ID": f.channel, "CHANNEL_KIND": f.kind, "SECRET_ARN": secret.arn}},
            tags=dict(tags),
            opts=ResourceOptions(parent=self, depends_on=[policy, logs, version]),
        )

    def topic_arn(self, pipeline: str) -> Output[str]:
        """The topic a pipeline publishes its alerts to (by deployed pipeline name)."""
        if pipeline not in self.topic_arns:
            known = ", ".join(sorted(self.topic_arns)) or "none"
            raise pulumi.RunError(f"{TYPE}: no alert topic for pipeline {pipeline!r} (pipelines: {known})")
        return self.topic_arns[pipeline]

    def allow_publishers(self, role_arns: Publishers, alarm_arns: Publishers, rule_arns: Publishers = ()) -> None:
        """Topic policies naming exactly these publishers: the pipelines' roles, CloudWatch alarms and
        EventBridge rules (through their services, limited to these ARNs). Mappings (pipeline -> ARNs) give
        each per-pipeline topic only its own pipeline's publishers. Call once, after the targets exist."""
        if self._policies_set:
            raise pulumi.RunError(f"{TYPE}: allow_publishers was already called; call it once with every publisher")
        self._policies_set = True
        for publishers in (role_arns, alarm_arns, rule_arns):
            unknown = sorted(set(publishers) - set(self.topic_arns)) if isinstance(publishers, Mapping) else []
            if unknown:
                raise pulumi.RunError(f"{TYPE}: publishers given for unknown pipelines: {', '.join(unknown)}")
        services = _for_topic(alarm_arns, tuple(self.topic_arns)) + _for_topic(rule_arns, tuple(self.topic_arns))
        if services and self._aws_managed_key:
            pulumi.log.warn(
                "CloudWatch alarms and EventBridge rules cannot publish to SNS topics encrypted with the AWS "
                f"managed key {AWS_MANAGED_SNS_KEY}: set create_kms_key (or a customer managed key that allows "
                "cloudwatch.amazonaws.com and events.amazonaws.com) so their alerts reach the channels",
                resource=self,
            )
        for topic in self._plan.topics:
            roles = _for_topic(role_arns, topic.pipelines)
            alarms = _for_topic(alarm_arns, topic.pipelines)
            rules = _for_topic(rule_arns, topic.pipelines)
            if not roles and not alarms and not rules:
                pulumi.log.warn(f"no publisher for alert topic {topic.name!r}: it keeps the default policy")
                continue
            arn = self.topics[topic.key].arn
            policy = Output.all(arn, Output.all(*roles), Output.all(*alarms), Output.all(*rules)).apply(
                lambda v: sns_topic_policy(v[0], v[1], v[2], v[3])
            )
            aws.sns.TopicPolicy(
                f"{self._name}-{topic.key}-policy", arn=arn, policy=policy, opts=ResourceOptions(parent=self)
            )


def _secret_json(values: dict[str, str]) -> Output[str]:
    return Output.secret(json.dumps(values, sort_keys=True))


def _for_topic(publishers: Publishers, pipelines: Sequence[str]) -> list[Input[str]]:
    if isinstance(publishers, str):  # a lone ARN would read as a sequence of characters
        raise pulumi.RunError(f"{TYPE}: pass publisher ARNs as a list or a mapping, not the string {publishers!r}")
    if isinstance(publishers, Mapping):
        return [arn for p in pipelines for arn in publishers.get(p, ())]
    return list(publishers)

"""AwsAlerting under the Pulumi mock engine, plus the SNS routing contract checked against moto."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pytest

import components.synth as synth
from components.alerting.aws import AwsAlerting, AwsAlertingArgs
from components.synth import SynthRun, run_pulumi
from pipespec.environment import Environment
from pipespec.notify_plan import plan_aws, sns_message_attributes
from pipespec.spec.notify import Channel, EmailChannel, SlackChannel, TeamsChannel, WebhookChannel

ENV = Environment(name="prod", name_prefix="prod_", protect=True, tags={"team": "data"})
CHANNELS: dict[str, Channel] = {
    "team": EmailChannel(type="email", addresses=["team@example.com"]),
    "oncall": SlackChannel(type="slack", webhook_url_secret="slackUrl", channel="#oncall"),
    "ms": TeamsChannel(type="teams", webhook_url_secret="teamsUrl"),
    "hook": WebhookChannel(type="webhook", url_secret="hookUrl"),
    "tokhook": WebhookChannel(type="webhook", url_secret="tokUrl", token_secret="tokToken"),
}
PIPELINES = {"prod_orders": ["team", "oncall", "hook"], "prod_billing": ["oncall", "ms", "tokhook"]}
SECRETS = {
    "pipespec:slackUrl": "https://hooks.slack.test/services/T/B/slack-secret",
    "pipespec:teamsUrl": "https://example.webhook.office.test/teams-secret",
    "pipespec:hookUrl": "https://ops.example.test/hook?key=hook-secret",
    "pipespec:tokUrl": "https://ops.example.test/tok",
    "pipespec:tokToken": "tok-secret",
}
ROLE = {
    "prod_orders": "arn:aws:iam::123456789012:role/prod_orders-sfn",
    "prod_billing": "arn:aws:iam::123456789012:role/prod_billing-sfn",
}
ALARM = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:prod_orders-failed"
RULE = "arn:aws:events:us-east-1:123456789012:rule/prod_billing-glue-failed"
SF = "aws:sns/topicSubscription:TopicSubscription"


def synth_alerting(
    *, config: dict[str, str] | None = None, secret_keys: tuple[str, ...] | None = None, **kwargs: Any
) -> SynthRun:
    def program() -> None:
        alerting = AwsAlerting("alerts", AwsAlertingArgs(CHANNELS, PIPELINES, ENV, **kwargs))
        alerting.allow_publishers(
            {p: [arn] for p, arn in ROLE.items()}, {"prod_orders": [ALARM]}, {"prod_billing": [RULE]}
        )
        pulumi.export("hookEndpoint", alerting.webhook_endpoints["hook"])
        pulumi.export("ordersTopic", alerting.topic_arn("prod_orders"))

    config = SECRETS if config is None else config
    return run_pulumi(program, config=config, secret_keys=tuple(config) if secret_keys is None else secret_keys)


@pytest.fixture(scope="module")
def run() -> SynthRun:
    return synth_alerting()  # makes no invokes


def names(run: SynthRun, token: str) -> list[str]:
    return sorted(r.name for r in run.by_type(token))


def test_topics_per_pipeline_encrypted_protected_and_tagged(run: SynthRun) -> None:
    topics = run.by_type("aws:sns/topic:Topic")
    assert sorted(t.name for t in topics) == ["alerts-prod_billing", "alerts-prod_orders"]
    orders = run.one("aws:sns/topic:Topic", "alerts-prod_orders")
    assert orders.inputs["name"] == "prod_orders-alerts"
    assert orders.inputs["kmsMasterKeyId"] == "alias/aws/sns"
    assert orders.protect and orders.inputs["tags"] == {"pipespec-environment": "prod", "team": "data"}


def test_email_subscription(run: SynthRun) -> None:
    sub = run.one(SF, "alerts-prod_orders-team-team@example.com")
    assert sub.inputs["protocol"] == "email" and sub.inputs["endpoint"] == "team@example.com"
    assert json.loads(sub.inputs["filterPolicy"])["$or"][0] == {"channels": ["team"]}
    assert sub.protect  # re-creating it would make every address confirm again


def test_https_webhook_subscription_keeps_its_url_secret(run: SynthRun) -> None:
    sub = run.one(SF, "alerts-prod_orders-hook")
    assert sub.inputs["protocol"] == "https" and sub.inputs["rawMessageDelivery"] is True
    assert sub.has_secret("endpoint") and sub.plain("endpoint") == SECRETS["pipespec:hookUrl"]
    assert "hook-secret" not in json.dumps(sub.redacted())
    assert synth.rpc.is_rpc_secret(run.outputs["hookEndpoint"])  # secret in stack outputs too
    assert not synth.rpc.is_rpc_secret(run.outputs["ordersTopic"])


def test_slack_teams_and_token_webhooks_go_through_one_formatter_each(run: SynthRun) -> None:
    assert names(run, "aws:lambda/function:Function") == [
        "alerts-ms-formatter",
        "alerts-oncall-formatter",
        "alerts-tokhook-formatter",
    ]
    fn = run.one("aws:lambda/function:Function", "alerts-oncall-formatter")
    assert fn.inputs["runtime"] == "python3.12" and fn.inputs["handler"] == "handler.handler"
    variables = fn.inputs["environment"]["variables"]
    assert variables["CHANNEL_KIND"] == "slack" and variables["SECRET_ARN"].startswith("arn:aws:secretsmanager")
    assert "slack-secret" not in json.dumps(fn.redacted(), default=str)  # the URL is not in the function
    assert sorted(fn.inputs["code"].assets) == [
        "handler.py",
        "pipespec/__init__.py",
        "pipespec/alerts.py",
        "pipespec/notify_plan/__init__.py",
        "pipespec/notify_plan/messages.py",
    ]
    tok = run.one("aws:secretsmanager/secretVersion:SecretVersion", "alerts-tokhook-webhook")
    assert tok.has_secret("secretString")
    assert json.loads(tok.plain("secretString")) == {"token": "tok-secret", "url": SECRETS["pipespec:tokUrl"]}


def test_formatter_role_reads_only_its_own_secret(run: SynthRun) -> None:
    policy = json.loads(run.one("aws:iam/rolePolicy:RolePolicy", "alerts-oncall-formatter").inputs["policy"])
    resources = {
        s["Action"] if isinstance(s["Action"], str) else s["Action"][0]: s["Resource"] for s in policy["Statement"]
    }
    assert resources["secretsmanager:GetSecretValue"].endswith("alerts-oncall-webhook")
    assert resources["logs:CreateLogStream"].endswith("/aws/lambda/prod_pipespec-alert-oncall:*")
    assert "*" not in resources["secretsmanager:GetSecretValue"]


def test_two_pipelines_sharing_a_channel_share_its_formatter(run: SynthRun) -> None:
    assert len([r for r in run.by_type("aws:secretsmanager/secret:Secret") if "oncall" in r.name]) == 1
    subs = [r for r in run.by_type(SF) if r.name.endswith("-oncall")]
    assert sorted(r.name for r in subs) == ["alerts-prod_billing-oncall", "alerts-prod_orders-oncall"]
    assert {r.inputs["endpoint"] for r in subs} == {
        "arn:aws:lambda:us-east-1:123456789012:function:prod_pipespec-alert-oncall"
    }
    invokes = [r for r in run.by_type("aws:lambda/permission:Permission") if "oncall" in r.name]
    assert sorted(r.inputs["sourceArn"] for r in invokes) == [
        "arn:aws:sns:us-east-1:123456789012:prod_billing-alerts",
        "arn:aws:sns:us-east-1:123456789012:prod_orders-alerts",
    ]
    assert all(r.inputs["principal"] == "sns.amazonaws.com" for r in invokes)


def test_topic_policies_name_exact_principals(run: SynthRun) -> None:
    orders = json.loads(run.one("aws:sns/topicPolicy:TopicPolicy", "alerts-prod_orders-policy").inputs["policy"])
    billing = json.loads(run.one("aws:sns/topicPolicy:TopicPolicy", "alerts-prod_billing-policy").inputs["policy"])
    principals = [s["Principal"] for s in orders["Statement"]]
    assert principals == [{"AWS": [ROLE["prod_orders"]]}, {"Service": "cloudwatch.amazonaws.com"}]
    assert orders["Statement"][1]["Condition"]["ArnLike"] == {"aws:SourceArn": [ALARM]}
    assert [s["Principal"] for s in billing["Statement"]] == [
        {"AWS": [ROLE["prod_billing"]]},
        {"Service": "events.amazonaws.com"},
    ]
    assert billing["Statement"][1]["Condition"]["ArnLike"] == {"aws:SourceArn": [RULE]}
    for doc in (orders, billing):
        assert all(s["Effect"] == "Allow" and s["Action"] == "sns:Publish" for s in doc["Statement"])
        assert '"*"' not in json.dumps([s["Principal"] for s in doc["Statement"]])


def test_shared_topic() -> None:
    run = synth_alerting(shared_topic=True)
    assert [t.inputs["name"] for t in run.by_type("aws:sns/topic:Topic")] == ["prod_pipespec-alerts"]
    assert len([r for r in run.by_type(SF) if r.name.endswith("-oncall")]) == 1
    policy = json.loads(run.one("aws:sns/topicPolicy:TopicPolicy").inputs["policy"])
    assert policy["Statement"][0]["Principal"] == {"AWS": sorted(ROLE.values())}


def test_customer_managed_key_for_alarms() -> None:
    run = synth_alerting(create_kms_key=True)
    key = run.one("aws:kms/key:Key", "alerts-sns")
    assert key.inputs["enableKeyRotation"] is True and key.protect
    doc = json.loads(key.inputs["policy"])
    assert {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]} in [
        s["Principal"] for s in doc["Statement"]
    ]
    topic = run.one("aws:sns/topic:Topic", "alerts-prod_orders")
    assert topic.inputs["kmsMasterKeyId"] == "arn:aws:kms:us-east-1:123456789012:key/alerts-sns-id"


def test_alarms_on_an_aws_managed_key_are_flagged(monkeypatch: pytest.MonkeyPatch) -> None:
    warnings: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda msg, *a, **k: warnings.append(msg))
    synth_alerting()
    assert any("CloudWatch alarms and EventBridge rules cannot publish" in w for w in warnings)
    warnings.clear()
    synth_alerting(create_kms_key=True)
    assert not any("CloudWatch alarms" in w for w in warnings)


def errors_of(program: Callable[[], object], **kwargs: Any) -> tuple[list[str], SynthRun]:
    errors: list[str] = []

    def guarded() -> None:
        try:
            program()
        except pulumi.RunError as exc:
            errors.append(str(exc))

    return errors, run_pulumi(guarded, **kwargs)


def test_missing_secrets_stop_before_any_resource() -> None:
    config = {k: v for k, v in SECRETS.items() if k not in ("pipespec:slackUrl", "pipespec:tokToken")}
    errors, run = errors_of(
        lambda: AwsAlerting("alerts", AwsAlertingArgs(CHANNELS, PIPELINES, ENV)),
        config=config,
        secret_keys=tuple(config),
    )
    assert run.resources == []
    assert "pulumi config set --secret pipespec:slackUrl <value>" in errors[0]
    assert "pulumi config set --secret pipespec:tokToken <value>" in errors[0]


def test_plain_text_config_for_a_secret_is_refused() -> None:
    errors, run = errors_of(
        lambda: AwsAlerting("alerts", AwsAlertingArgs(CHANNELS, PIPELINES, ENV)),
        config=SECRETS,
        secret_keys=tuple(k for k in SECRETS if k != "pipespec:hookUrl"),
    )
    assert run.resources == []
    assert "pipespec:hookUrl" in errors[0] and "plain text" in errors[0]


def test_unknown_pipeline_topic_is_a_clear_error() -> None:
    def program() -> None:
        AwsAlerting("alerts", AwsAlertingArgs(CHANNELS, PIPELINES, ENV)).topic_arn("prod_typo")

    errors, _ = errors_of(program, config=SECRETS, secret_keys=tuple(SECRETS))
    assert "prod_typo" in errors[0] and "prod_orders" in errors[0]


def test_filter_policies_route_like_the_publishers_expect() -> None:
    """The planned subscriptions, on moto's SNS: attributed messages reach only their channels,
    unattributed ones (alarms) only the alarm channels."""
    boto3 = pytest.importorskip("boto3")
    moto = pytest.importorskip("moto")
    plan = plan_aws(CHANNELS, PIPELINES, ENV, alarm_routes={"prod_orders": ["team"], "prod_billing": []})
    with pytest.MonkeyPatch.context() as mp, moto.mock_aws():
        for key, value in {
            "AWS_ACCESS_KEY_ID": "x",
            "AWS_SECRET_ACCESS_KEY": "x",
            "AWS_DEFAULT_REGION": "us-east-1",
        }.items():
            mp.setenv(key, value)
        sns, sqs = boto3.client("sns"), boto3.client("sqs")
        topic = sns.create_topic(Name="prod_orders-alerts")["TopicArn"]
        queues: dict[str, str] = {}
        for d in (d for d in plan.deliveries if d.topic == "prod_orders"):
            url = sqs.create_queue(QueueName=d.channel)["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            sns.subscribe(
                TopicArn=topic,
                Protocol="sqs",
                Endpoint=arn,
                Attributes={"FilterPolicy": d.filter_policy, "RawMessageDelivery": "true"},
            )
            queues[d.channel] = url

        def received() -> dict[str, int]:
            out = {}
            for channel, url in queues.items():
                msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
                for m in msgs:
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
                out[channel] = len(msgs)
            return out

        sns.publish(TopicArn=topic, Message="{}", MessageAttributes=sns_message_attributes(["oncall", "hook"]))
        assert received() == {"team": 0, "oncall": 1, "hook": 1}
        sns.publish(TopicArn=topic, Message="{}")  # a CloudWatch alarm: no attributes
        assert received() == {"team": 1, "oncall": 0, "hook": 0}


def test_the_medallion_spec_end_to_end() -> None:
    """Spec file -> alerting inputs -> resources: the article's pipeline mails its team on failure."""
    from pipespec.notify_plan import alerting_inputs
    from pipespec.project import load_pipeline

    loaded = load_pipeline(Path(__file__).resolve().parents[1] / "pipelines" / "medallion_daily_refresh.yaml")
    assert loaded.ir is not None
    inputs = alerting_inputs([loaded.ir], ENV)
    assert inputs.diagnostics == []

    def program() -> None:
        args = AwsAlertingArgs(inputs.channels, inputs.pipelines, ENV, alarm_channels=inputs.alarm_channels)
        AwsAlerting("alerts", args)

    run = run_pulumi(program)
    topic = run.one("aws:sns/topic:Topic")
    assert topic.inputs["name"] == "prod_medallion_daily_refresh-alerts"
    sub = run.one(SF)
    assert sub.inputs["endpoint"] == "data-team@company.com" and sub.inputs["protocol"] == "email"

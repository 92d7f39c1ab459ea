"""notify_plan: one channel definition across files, and what each cloud needs for it (pure, no Pulumi)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipespec.diagnostics import Severity
from pipespec.environment import Environment
from pipespec.ir import PipelineIR
from pipespec.notify_plan import (
    alerting_inputs,
    bounded,
    gcp_log_filter,
    merge_channels,
    plan_aws,
    plan_databricks,
    plan_gcp,
    pubsub_attributes,
    routed_channels,
    sns_filter_policy,
    sns_kms_key_policy,
    sns_message_attributes,
    sns_topic_policy,
)
from pipespec.project import load_pipeline
from pipespec.spec.notify import Channel, EmailChannel, SlackChannel, TeamsChannel, WebhookChannel

ENV = Environment(name="dev", name_prefix="dev_")

SPEC = """\
apiVersion: pipespec/v1
name: {name}
owner: data
channels:
{channels}
notify:
  on_failure: [{failure}]
tasks:
  load:
    kind: python
    script: /load.py
  report:
    kind: python
    script: /report.py
    depends_on: [load]
    notify:
      on_success: [{success}]
"""

ONCALL = """\
  oncall:
    type: slack
    webhook_url_secret: slackUrl
    channel: "#oncall"
"""
TEAM = """\
  team:
    type: email
    addresses: [team@example.com]
"""


def write(tmp_path: Path, name: str, channels: str, failure: str = "oncall", success: str = "team") -> PipelineIR:
    path = tmp_path / f"{name}.yaml"
    path.write_text(SPEC.format(name=name, channels=channels, failure=failure, success=success), encoding="utf-8")
    loaded = load_pipeline(path)
    assert loaded.ir is not None, [d.format() for d in loaded.diagnostics]
    return loaded.ir


def test_same_channel_in_two_files_is_merged_once(tmp_path: Path) -> None:
    a = write(tmp_path, "orders", ONCALL + TEAM)
    b = write(tmp_path, "billing", ONCALL + TEAM)
    channels, origins, diags = merge_channels([a, b])
    assert diags == []
    assert sorted(channels) == ["oncall", "team"]
    assert origins["oncall"].file.endswith("billing.yaml")  # first by file name, deterministic
    assert origins["oncall"].line == 5


def test_conflicting_definitions_name_both_files_and_lines(tmp_path: Path) -> None:
    other = ONCALL.replace("#oncall", "#other")
    a = write(tmp_path, "billing", ONCALL + TEAM)
    b = write(tmp_path, "orders", other + TEAM)
    _, _, diags = merge_channels([b, a])
    assert len(diags) == 1
    d = diags[0]
    assert d.severity is Severity.ERROR and d.code == "PS600"
    assert d.file.endswith("orders.yaml") and d.line == 5  # where the second definition is written
    assert f"{tmp_path / 'billing.yaml'}:5" in d.message  # and where the first one is
    assert "differ in channel" in d.message and d.path == ("channels", "oncall")
    assert d.hint


def test_inputs_route_task_level_channels_and_alarm_channels(tmp_path: Path) -> None:
    ir = write(tmp_path, "orders", ONCALL + TEAM)
    assert routed_channels(ir) == ("oncall", "team")  # team only hears a task's success
    inputs = alerting_inputs([ir], ENV)
    assert inputs.pipelines == {"dev_orders": ("oncall", "team")}
    assert inputs.alarm_channels == {"dev_orders": ("oncall",)}  # alarms mean failure / SLA, not success
    assert set(inputs.channels) == {"oncall", "team"}


def test_unrouted_channels_are_left_out(tmp_path: Path) -> None:
    hook = "  spare:\n    type: webhook\n    url_secret: spareUrl\n"
    ir = write(tmp_path, "orders", ONCALL + TEAM + hook)
    assert "spare" not in alerting_inputs([ir], ENV).channels


CHANNELS: dict[str, Channel] = {
    "team": EmailChannel(type="email", addresses=["b@example.com", "a@example.com"]),
    "oncall": SlackChannel(type="slack", webhook_url_secret="slackUrl", channel="oncall"),
    "ms": TeamsChannel(type="teams", webhook_url_secret="teamsUrl"),
    "hook": WebhookChannel(type="webhook", url_secret="hookUrl"),
    "tokhook": WebhookChannel(type="webhook", url_secret="tokUrl", token_secret="tokToken"),
}
PIPELINES = {"dev_orders": ["team", "oncall", "hook"], "dev_billing": ["oncall", "ms", "tokhook"]}


def test_aws_plan_protocol_per_channel_type() -> None:
    plan = plan_aws(CHANNELS, PIPELINES, ENV)
    by_key = {d.key: d for d in plan.deliveries}
    assert {d.protocol for d in plan.deliveries if d.channel == "team"} == {"email"}
    assert by_key["dev_orders-team-a@example.com"].endpoint == "a@example.com"
    assert by_key["dev_orders-hook"].protocol == "https" and by_key["dev_orders-hook"].endpoint == ""
    assert {f.channel: f.kind for f in plan.formatters} == {"ms": "teams", "oncall": "slack", "tokhook": "webhook"}
    # Two pipelines share the Slack channel: one formatter, one subscription per topic.
    assert [d.topic for d in plan.deliveries if d.channel == "oncall"] == ["dev_billing", "dev_orders"]
    assert [t.name for t in plan.topics] == ["dev_billing-alerts", "dev_orders-alerts"]
    tok = next(f for f in plan.formatters if f.channel == "tokhook")
    assert tok.secrets == {"token": "tokToken", "url": "tokUrl"}
    assert tok.function_name == "dev_pipespec-alert-tokhook"


def test_aws_shared_topic_has_one_subscription_per_channel() -> None:
    plan = plan_aws(CHANNELS, PIPELINES, ENV, shared_topic=True)
    assert [t.name for t in plan.topics] == ["dev_pipespec-alerts"]
    assert plan.pipeline_topic == {"dev_billing": "shared", "dev_orders": "shared"}
    assert sorted(d.key for d in plan.deliveries) == [
        "shared-hook",
        "shared-ms",
        "shared-oncall",
        "shared-team-a@example.com",
        "shared-team-b@example.com",
        "shared-tokhook",
    ]


def test_filter_policies_take_unattributed_alarms_only_on_alarm_channels() -> None:
    plan = plan_aws(CHANNELS, PIPELINES, ENV, alarm_routes={"dev_orders": ["oncall"], "dev_billing": []})
    policies = {d.key: json.loads(d.filter_policy) for d in plan.deliveries}
    assert policies["dev_orders-oncall"] == {"$or": [{"channels": ["oncall"]}, {"channels": [{"exists": False}]}]}
    assert policies["dev_orders-hook"] == {"channels": ["hook"]}
    assert policies["dev_billing-oncall"] == {"channels": ["oncall"]}


def test_undefined_channel_is_a_diagnostic_not_a_crash() -> None:
    plan = plan_aws(CHANNELS, {"dev_x": ["nope", "team"]}, ENV)
    assert [d.code for d in plan.errors] == ["PS601"]
    assert "nope" in plan.errors[0].message
    assert all(d.channel != "nope" for d in plan.deliveries)


def test_gcp_plan_channels_and_platform_gaps() -> None:
    plan = plan_gcp(CHANNELS, PIPELINES, ENV, slack_tokens={"oncall": "slackToken"})
    by_key = {c.key: c for c in plan.channels}
    assert set(by_key) == {"team:a@example.com", "team:b@example.com", "oncall", "ms", "hook", "tokhook"}
    assert by_key["team:a@example.com"].labels == {"email_address": "a@example.com"}
    assert by_key["oncall"].type == "slack" and by_key["oncall"].labels == {"channel_name": "#oncall"}
    assert by_key["oncall"].sensitive_labels == {"auth_token": "slackToken"}
    assert by_key["hook"].type == "webhook_tokenauth" and by_key["hook"].secret_labels == {"url": "hookUrl"}
    codes = {(d.code, d.severity) for d in plan.diagnostics}
    assert codes == {("PS612", Severity.ERROR), ("PS613", Severity.WARNING)}  # bearer token; Teams JSON


def test_gcp_slack_without_token_or_name_is_explained() -> None:
    nameless = {"s": SlackChannel(type="slack", webhook_url_secret="u")}
    plan = plan_gcp(nameless, {"p": ["s"]}, ENV)
    assert sorted(d.code for d in plan.errors) == ["PS610", "PS611"]
    assert "pulumi config set --secret pipespec:KEY" in next(d.hint for d in plan.errors if d.code == "PS611")


def test_databricks_plan_destinations_and_token_gap() -> None:
    dests, diags = plan_databricks(CHANNELS, ENV)
    assert {d.channel: d.config for d in dests} == {
        "hook": "generic_webhook",
        "ms": "microsoft_teams",
        "oncall": "slack",
        "tokhook": "generic_webhook",
    }
    assert [d.code for d in diags] == ["PS620"]
    assert next(d for d in dests if d.channel == "oncall").display_name == "dev_pipespec oncall"


def test_topic_policy_names_exact_principals() -> None:
    alarm = "arn:aws:cloudwatch:us-east-1:111122223333:alarm:orders-failed"
    doc = json.loads(sns_topic_policy("arn:aws:sns:us-east-1:111122223333:t", ["r2", "r1", "r1"], [alarm]))
    roles, alarms = doc["Statement"]
    assert roles["Principal"] == {"AWS": ["r1", "r2"]} and roles["Action"] == "sns:Publish"
    assert alarms["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert alarms["Condition"] == {
        "ArnLike": {"aws:SourceArn": [alarm]},
        "StringEquals": {"aws:SourceAccount": ["111122223333"]},
    }
    assert "*" not in json.dumps([s["Principal"] for s in doc["Statement"]])


def test_eventbridge_rules_get_their_own_pinned_statement() -> None:
    rule = "arn:aws:events:us-east-1:111122223333:rule/orders-glue-failed"
    doc = json.loads(sns_topic_policy("arn:aws:sns:us-east-1:111122223333:t", [], [], [rule]))
    (statement,) = doc["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Condition"]["ArnLike"] == {"aws:SourceArn": [rule]}


def test_kms_key_policy_lets_alarms_and_rules_of_this_account_only() -> None:
    doc = json.loads(sns_kms_key_policy("111122223333"))
    services = {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]}
    cw = next(s for s in doc["Statement"] if s["Principal"] == services)
    assert cw["Condition"] == {"StringEquals": {"aws:SourceAccount": "111122223333"}}
    assert all(s["Principal"] != "*" for s in doc["Statement"])


def test_routing_contract_helpers() -> None:
    attrs = sns_message_attributes(["b", "a", "b"])
    assert attrs == {"channels": {"DataType": "String.Array", "StringValue": '["a", "b"]'}}
    assert sns_filter_policy("a", unattributed=False) == '{"channels": ["a"]}'
    assert pubsub_attributes({"event": "failure", "pipeline": "p", "task": ""}, ["team", "oncall"]) == {
        "event": "failure",
        "pipeline": "p",
        "channels": "oncall,team",
    }
    assert gcp_log_filter("proj", "dev_orders", "team").endswith('jsonPayload.channels="team"')


@pytest.mark.parametrize("limit", [10, 64])
def test_bounded_names_are_stable_and_distinct(limit: int) -> None:
    a, b = "x" * 100 + "a", "x" * 100 + "b"
    assert len(bounded(a, limit)) == limit and bounded(a, limit) == bounded(a, limit)
    assert bounded(a, limit) != bounded(b, limit)
    assert bounded("short", limit) == "short"

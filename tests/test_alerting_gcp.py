"""GcpAlerting under the Pulumi mock engine: topics, notification channels, alert policies, secrets."""

from __future__ import annotations

import pulumi
import pytest

from components.alerting.gcp import GcpAlerting, GcpAlertingArgs
from components.synth import SynthRun, rpc, run_pulumi
from pipespec.environment import Environment
from pipespec.notify_plan import GCP_LABEL_EXTRACTORS
from pipespec.spec.notify import Channel, EmailChannel, SlackChannel, TeamsChannel, WebhookChannel

ENV = Environment(name="prod", name_prefix="prod_", tags={"Cost Center": "Data"})
CHANNELS: dict[str, Channel] = {
    "team": EmailChannel(type="email", addresses=["a@example.com", "b@example.com"]),
    "lead": EmailChannel(type="email", addresses=["lead@example.com"]),
    "oncall": SlackChannel(type="slack", webhook_url_secret="slackUrl", channel="#oncall"),
    "ms": TeamsChannel(type="teams", webhook_url_secret="teamsUrl"),
    "hook": WebhookChannel(type="webhook", url_secret="hookUrl"),
}
PIPELINES = {"prod_orders": ["team", "oncall", "hook"], "prod_billing": ["oncall", "ms", "lead"]}
SECRETS = {
    "pipespec:slackToken": "xoxb-not-a-real-token",
    "pipespec:teamsUrl": "https://example.webhook.office.test/teams-secret",
    "pipespec:hookUrl": "https://ops.example.test/hook?token=hook-secret",
}
NC = "gcp:monitoring/notificationChannel:NotificationChannel"


def synth(project: str | None = "analytics-prod", shared_topic: bool = False) -> SynthRun:
    def program() -> None:
        args = GcpAlertingArgs(
            CHANNELS,
            PIPELINES,
            ENV,
            project=project,
            slack_token_secrets={"oncall": "slackToken"},
            shared_topic=shared_topic,
        )
        alerting = GcpAlerting("alerts", args)
        alerting.allow_publishers({"composer": "serviceAccount:composer@analytics-prod.iam.gserviceaccount.com"})
        alerting.alert_policies("prod_orders")
        pulumi.export("ordersTopic", alerting.topic_id("prod_orders"))
        pulumi.export("hookUrl", alerting.webhook_urls["hook"])

    return run_pulumi(program, config=SECRETS, secret_keys=tuple(SECRETS))


@pytest.fixture(scope="module")
def run() -> SynthRun:
    return synth()


def test_topics_per_pipeline(run: SynthRun) -> None:
    topics = {t.name: t for t in run.by_type("gcp:pubsub/topic:Topic")}
    assert sorted(topics) == ["alerts-prod_billing", "alerts-prod_orders"]
    orders = topics["alerts-prod_orders"].inputs
    assert orders["name"] == "prod_orders-alerts" and orders["project"] == "analytics-prod"
    assert orders["labels"] == {"pipespec-environment": "prod", "cost_center": "data"}
    assert run.outputs["ordersTopic"] == "projects/analytics-prod/topics/prod_orders-alerts"


def test_email_channels_one_per_address_and_shared_across_pipelines(run: SynthRun) -> None:
    assert sorted(r.name for r in run.by_type(NC)) == [
        "alerts-hook",
        "alerts-lead",
        "alerts-ms",
        "alerts-oncall",
        "alerts-team-a@example.com",
        "alerts-team-b@example.com",
    ]
    lead = run.one(NC, "alerts-lead").inputs
    assert lead["type"] == "email" and lead["labels"] == {"email_address": "lead@example.com"}


def test_slack_token_is_a_sensitive_secret_label(run: SynthRun) -> None:
    slack = run.one(NC, "alerts-oncall")
    assert slack.inputs["type"] == "slack" and slack.inputs["labels"] == {"channel_name": "#oncall"}
    assert slack.has_secret("sensitiveLabels")
    assert slack.plain("sensitiveLabels") == {"authToken": SECRETS["pipespec:slackToken"]}


def test_webhook_and_teams_urls_stay_secret(run: SynthRun) -> None:
    for name, key in (("alerts-hook", "pipespec:hookUrl"), ("alerts-ms", "pipespec:teamsUrl")):
        r = run.one(NC, name)
        assert r.inputs["type"] == "webhook_tokenauth"
        assert r.has_secret("labels") and r.plain("labels") == {"url": SECRETS[key]}
        assert SECRETS[key] not in str(r.redacted())
    assert rpc.is_rpc_secret(run.outputs["hookUrl"])
    assert run.outputs["hookUrl"]["value"] == SECRETS["pipespec:hookUrl"]


def test_alert_policies_per_routed_channel(run: SynthRun) -> None:
    policies = {p.name: p.inputs for p in run.by_type("gcp:monitoring/alertPolicy:AlertPolicy")}
    assert sorted(policies) == ["alerts-prod_orders-hook", "alerts-prod_orders-oncall", "alerts-prod_orders-team"]
    team = policies["alerts-prod_orders-team"]
    assert team["notificationChannels"] == [
        "projects/mock-project/notificationChannels/alerts-team-a@example.com",
        "projects/mock-project/notificationChannels/alerts-team-b@example.com",
    ]
    log = team["conditions"][0]["conditionMatchedLog"]
    assert log["filter"] == (
        'logName="projects/analytics-prod/logs/pipespec-alerts" AND jsonPayload.pipeline="prod_orders" '
        'AND jsonPayload.channels="team"'
    )
    assert log["labelExtractors"] == GCP_LABEL_EXTRACTORS
    doc = team["documentation"]["content"]
    assert "${log.extracted_label.run_url}" in doc and "${log.extracted_label.error}" in doc
    assert team["alertStrategy"]["notificationRateLimit"]["period"] == "300s"


def test_publisher_grant(run: SynthRun) -> None:
    grants = run.by_type("gcp:pubsub/topicIAMMember:TopicIAMMember")
    assert sorted(g.name for g in grants) == [
        "alerts-prod_billing-composer-publisher",
        "alerts-prod_orders-composer-publisher",
    ]
    assert {g.inputs["role"] for g in grants} == {"roles/pubsub.publisher"}


def test_project_from_the_provider_is_read_off_the_topic_id() -> None:
    run = synth(project=None)
    policy = run.one("gcp:monitoring/alertPolicy:AlertPolicy", "alerts-prod_orders-team")
    assert policy.inputs["conditions"][0]["conditionMatchedLog"]["filter"].startswith(
        'logName="projects/mock-project/logs/'
    )


def test_shared_topic() -> None:
    run = synth(shared_topic=True)
    assert [t.inputs["name"] for t in run.by_type("gcp:pubsub/topic:Topic")] == ["prod_pipespec-alerts"]


def test_platform_gaps_stop_the_run_with_the_diagnostic() -> None:
    errors: list[str] = []

    def program() -> None:
        try:
            GcpAlerting("alerts", GcpAlertingArgs(CHANNELS, PIPELINES, ENV))  # no Slack token mapped
        except pulumi.RunError as exc:
            errors.append(str(exc))

    run = run_pulumi(program, config=SECRETS, secret_keys=tuple(SECRETS))
    assert run.resources == []
    assert "PS611" in errors[0] and "xoxb-" in errors[0]

"""DatabricksAlerting under the Pulumi mock engine."""

from __future__ import annotations

import pulumi
import pytest

from components.alerting.databricks import DatabricksAlerting, DatabricksAlertingArgs
from components.synth import SynthRun, rpc, run_pulumi
from pipespec.environment import Environment
from pipespec.spec.notify import Channel, EmailChannel, SlackChannel, TeamsChannel, WebhookChannel

ENV = Environment(name="dev", name_prefix="dev_")
CHANNELS: dict[str, Channel] = {
    "team": EmailChannel(type="email", addresses=["team@example.com"]),
    "oncall": SlackChannel(type="slack", webhook_url_secret="slackUrl"),
    "ms": TeamsChannel(type="teams", webhook_url_secret="teamsUrl"),
    "hook": WebhookChannel(type="webhook", url_secret="hookUrl"),
}
SECRETS = {
    "pipespec:slackUrl": "https://hooks.slack.test/services/T/B/slack-secret",
    "pipespec:teamsUrl": "https://example.webhook.office.test/teams-secret",
    "pipespec:hookUrl": "https://ops.example.test/hook?key=hook-secret",
}
ND = "databricks:index/notificationDestination:NotificationDestination"


@pytest.fixture(scope="module")
def run() -> SynthRun:
    def program() -> None:
        alerting = DatabricksAlerting("alerts", DatabricksAlertingArgs(CHANNELS, ENV))
        pulumi.export("destinations", alerting.destination_ids)
        pulumi.export("slackUrl", alerting.webhook_urls["oncall"])

    return run_pulumi(program, config=SECRETS, secret_keys=tuple(SECRETS))


def test_one_destination_per_slack_teams_webhook_channel(run: SynthRun) -> None:
    assert sorted(r.name for r in run.by_type(ND)) == ["alerts-hook", "alerts-ms", "alerts-oncall"]  # email: jobs
    blocks = {r.name: next(iter(r.plain("config"))) for r in run.by_type(ND)}
    assert blocks == {"alerts-hook": "genericWebhook", "alerts-ms": "microsoftTeams", "alerts-oncall": "slack"}
    assert run.one(ND, "alerts-oncall").inputs["displayName"] == "dev_pipespec oncall"


def test_urls_are_secrets_in_inputs_and_outputs(run: SynthRun) -> None:
    for r in run.by_type(ND):
        assert r.has_secret("config")
        assert "-secret" not in str(r.redacted())
    assert run.one(ND, "alerts-oncall").plain("config")["slack"]["url"] == SECRETS["pipespec:slackUrl"]
    assert sorted(run.outputs["destinations"]) == ["hook", "ms", "oncall"]
    assert rpc.is_rpc_secret(run.outputs["slackUrl"]) and not rpc.is_rpc_secret(run.outputs["destinations"])


def test_bearer_token_webhook_is_refused_before_any_resource() -> None:
    errors: list[str] = []
    channels = {"tok": WebhookChannel(type="webhook", url_secret="hookUrl", token_secret="hookToken")}

    def program() -> None:
        try:
            DatabricksAlerting("alerts", DatabricksAlertingArgs(channels, ENV))
        except pulumi.RunError as exc:
            errors.append(str(exc))

    run = run_pulumi(program, config=SECRETS, secret_keys=tuple(SECRETS))
    assert run.resources == [] and "PS620" in errors[0]

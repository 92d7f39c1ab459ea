"""Databricks alerting: one workspace notification destination per Slack, Teams and webhook channel.

Email channels get no destination: the Databricks target lists their addresses in each job's
`email_notifications`, which needs no workspace-admin rights (creating destinations does) and no
secret. Destinations post Databricks' own job messages (job, run link, status), not the pipespec card.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_databricks as databricks
from pulumi import Output, ResourceOptions

from pipespec.environment import Environment
from pipespec.notify_plan import plan_databricks
from pipespec.spec.notify import Channel

from .channels import fail_on_errors, require_secrets

TYPE = "pipespec:databricks:Alerting"


@dataclass
class DatabricksAlertingArgs:
    channels: Mapping[str, Channel]
    environment: Environment


class DatabricksAlerting(pulumi.ComponentResource):
    destination_ids: dict[str, Output[str]]  # channel id -> notification destination id

    def __init__(self, name: str, args: DatabricksAlertingArgs, opts: ResourceOptions | None = None) -> None:
        destinations, diagnostics = plan_databricks(args.channels, args.environment)
        fail_on_errors(TYPE, diagnostics)
        secrets = require_secrets({d.url_secret: f"URL of channel {d.channel!r}" for d in destinations})

        super().__init__(TYPE, name, None, opts)
        self.destinations: dict[str, databricks.NotificationDestination] = {}
        self.webhook_urls: dict[str, Output[str]] = {}  # channel id -> URL; secrets
        for d in destinations:
            self.destinations[d.channel] = databricks.NotificationDestination(
                f"{name}-{d.channel}",
                display_name=d.display_name,
                config=_config(d.config, secrets[d.url_secret]),
                opts=ResourceOptions(parent=self, additional_secret_outputs=["config"]),
            )
            self.webhook_urls[d.channel] = Output.secret(secrets[d.url_secret])
        self.destination_ids = {cid: dest.id for cid, dest in self.destinations.items()}
        self.register_outputs({"destinationIds": self.destination_ids, "webhookUrls": self.webhook_urls})


def _config(block: str, url: Output[str]) -> databricks.NotificationDestinationConfigArgs:
    if block == "slack":
        return databricks.NotificationDestinationConfigArgs(
            slack=databricks.NotificationDestinationConfigSlackArgs(url=url)
        )
    if block == "microsoft_teams":
        teams = databricks.NotificationDestinationConfigMicrosoftTeamsArgs(url=url)
        return databricks.NotificationDestinationConfigArgs(microsoft_teams=teams)
    hook = databricks.NotificationDestinationConfigGenericWebhookArgs(url=url)
    return databricks.NotificationDestinationConfigArgs(generic_webhook=hook)

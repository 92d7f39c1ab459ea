"""Notification channels and routing, modelled once for every target."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from .base import SecretRef, SpecModel

Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]
ChannelId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_-]*$", max_length=64)]


class EmailChannel(SpecModel):
    type: Literal["email"]
    addresses: list[Email] = Field(min_length=1)


class SlackChannel(SpecModel):
    type: Literal["slack"]
    webhook_url_secret: SecretRef = Field(description="Pulumi config secret holding the incoming-webhook URL.")
    channel: str | None = Field(default=None, description="Display name of the Slack channel, for messages.")
    auth_token_secret: SecretRef | None = Field(
        default=None,
        description="Pulumi config secret with a Slack app token, for platforms that post through the "
        "Slack API instead of a webhook (Cloud Monitoring).",
    )


class TeamsChannel(SpecModel):
    type: Literal["teams"]
    webhook_url_secret: SecretRef = Field(description="Pulumi config secret holding the Teams webhook URL.")


class WebhookChannel(SpecModel):
    type: Literal["webhook"]
    url_secret: SecretRef = Field(description="Pulumi config secret holding the HTTPS endpoint.")
    token_secret: SecretRef | None = Field(default=None, description="Optional bearer token secret.")


Channel = Annotated[
    EmailChannel | SlackChannel | TeamsChannel | WebhookChannel,
    Field(discriminator="type"),
]

NotifyEvent = Literal["on_failure", "on_success", "on_sla_miss", "on_retry", "on_start"]
NOTIFY_EVENTS: tuple[NotifyEvent, ...] = ("on_start", "on_success", "on_failure", "on_retry", "on_sla_miss")


class NotifySpec(SpecModel):
    """Which channels hear about which events. A task's `notify` replaces the pipeline's per event."""

    on_failure: list[ChannelId] | None = None
    on_success: list[ChannelId] | None = None
    on_sla_miss: list[ChannelId] | None = None
    on_retry: list[ChannelId] | None = None
    on_start: list[ChannelId] | None = None

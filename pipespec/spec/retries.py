"""Retries as written in a spec. Every field is optional so tasks inherit field by field."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import Duration, SpecModel


class RetrySpec(SpecModel):
    """How a failed task is retried. Unset fields inherit from ``defaults.retries``."""

    count: int | None = Field(default=None, ge=0, le=100, description="Retries after the first attempt.")
    delay: Duration | None = Field(default=None, description="Wait before the first retry (default 1m).")
    backoff: Literal["fixed", "exponential"] | None = Field(
        default=None, description="'exponential' multiplies the delay by `backoff_rate` after each retry."
    )
    backoff_rate: float | None = Field(default=None, ge=1.0, le=10.0, description="Default 2.0.")
    max_delay: Duration | None = Field(default=None, description="Cap on any single delay.")
    retry_on_timeout: bool | None = Field(default=None, description="Retry when the task times out.")

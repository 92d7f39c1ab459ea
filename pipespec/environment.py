"""The per-stack overlay every target applies the same way (dev / staging / prod)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Environment(BaseModel):
    """What differs between stacks for every target, driven by stack config, never by code edits."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(default="dev", pattern=r"^[a-z][a-z0-9-]*$", description="Stack/environment name.")
    name_prefix: str = Field(
        default="", pattern=r"^[A-Za-z0-9_-]*$", description="Prefix for every deployed name, e.g. 'dev_'."
    )
    pause_schedules: bool = Field(default=False, description="Deploy every schedule and trigger paused.")
    protect: bool = Field(default=False, description="Protect expensive, stateful resources from deletion.")
    tags: dict[str, str] = Field(default_factory=dict, description="Tags/labels added to every resource.")

    def deployed_name(self, name: str) -> str:
        return f"{self.name_prefix}{name}"


@dataclass(frozen=True)
class Deployment:
    """Everything a compiler needs besides the pipeline: the environment and the target's stack settings."""

    env: Environment = field(default_factory=Environment)
    settings: Any = None  # the target's stack settings model (None = its defaults)

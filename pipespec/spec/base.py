"""Building blocks shared by every spec model: strict base model, durations, names."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints, WithJsonSchema

from ..durations import parse_duration


class SpecModel(BaseModel):
    """Strict and immutable: unknown keys are errors (with did-you-mean), never ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


def _duration(value: Any) -> int:
    return parse_duration(value)


Duration = Annotated[
    int,
    BeforeValidator(_duration),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\s*(\d+\s*[smhdwSMHDW]\s*)+$",
            "description": "A duration: a number and a unit (s, m, h, d, w), e.g. '90s', '5m', '2h', '1h30m'.",
            "examples": ["5m", "2h", "1h30m"],
        }
    ),
]
"""Seconds in the model; written as ``5m`` / ``2h`` in YAML."""

TaskId = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_.-]*$", max_length=250),
]
PipelineName = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_-]*$", max_length=200),
]
SecretRef = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_.:-]*$", max_length=200),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^[A-Za-z][A-Za-z0-9_.:-]*$",
            "description": "Name of a Pulumi config secret (`pulumi config set --secret NAME VALUE`); "
            "never the secret itself.",
        }
    ),
]

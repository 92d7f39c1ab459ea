"""JSON Schema of the spec, so editors validate and autocomplete pipeline YAML."""

from __future__ import annotations

import json
from typing import Any

from .spec.pipeline import PipelineSpec

SCHEMA_ID = "https://pipespec.dev/schemas/pipeline-v1.json"


def spec_schema() -> dict[str, Any]:
    schema = PipelineSpec.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    schema["title"] = "pipespec pipeline (apiVersion pipespec/v1)"
    return schema


def schema_text() -> str:
    return json.dumps(spec_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

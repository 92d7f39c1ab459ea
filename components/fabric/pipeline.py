"""`pipespec:fabric:Pipeline`: one compiled pipeline -> a Fabric data pipeline item and its schedules.

Thin by design: the compiler (`pipespec.targets.fabric.compile`) decided the definition and
the schedules; this component reads the workspace id and the service principal's credentials
from stack config secrets and hands everything to the dynamic provider (provider.py), which
fills in the deploy-time placeholders and calls the Fabric REST API. The workspace id and
the credentials stay Pulumi secrets in the resource's inputs, outputs and state.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi.dynamic
from pulumi.runtime.config import is_config_secret

from pipespec.targets.fabric.compile import CompiledFabric
from pipespec.targets.fabric.stack import FabricStack

from .provider import FabricPipelineProvider

TYPE_TOKEN = "pipespec:fabric:Pipeline"
JOB_TYPE = "Pipeline"
SECRET_OUTPUTS = ["workspace_id", "credentials"]


class FabricDeployError(ValueError):
    """The compiled pipeline cannot deploy as is (a stack setting is missing)."""


@dataclass
class FabricPipelineArgs:
    compiled: CompiledFabric
    stack: FabricStack  # where the secrets are (config keys) and the API endpoints
    provider: FabricPipelineProvider | None = None  # tests pass one that records its waits


def _secrets(keys: dict[str, str]) -> dict[str, pulumi.Output[str]]:
    """Config secrets by role; every missing or plain-text one is reported at once, before any resource."""
    config, found, problems = pulumi.Config("pipespec"), {}, []
    for role, key in keys.items():
        value = config.get_secret(key)
        if value is None:
            problems.append(f"missing pipespec:{key} ({role}): pulumi config set --secret pipespec:{key} <value>")
        elif not is_config_secret(f"pipespec:{key}"):
            problems.append(f"pipespec:{key} ({role}) is stored in plain text: set it again with --secret")
        else:
            found[role] = value
    if problems:
        raise FabricDeployError("Fabric credentials are not set up:\n  " + "\n  ".join(problems))
    return found


class FabricDataPipeline(pulumi.dynamic.Resource, module="fabric", name="DataPipeline"):
    item_id: pulumi.Output[str]
    schedule_ids: pulumi.Output[list[str]]

    def __init__(
        self,
        name: str,
        props: dict[str, Any],
        provider: FabricPipelineProvider,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(provider, name, {**props, "item_id": None, "schedule_ids": None}, opts)


class FabricPipeline(pulumi.ComponentResource):
    item_id: pulumi.Output[str]
    display_name: pulumi.Output[str]

    def __init__(self, name: str, args: FabricPipelineArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        compiled, stack = args.compiled, args.stack
        if compiled.missing_stack:  # before any resource exists
            raise FabricDeployError(
                f"Fabric pipeline {compiled.pipeline!r} needs stack settings: "
                + ", ".join(f"pipespec:fabric.{k}" for k in compiled.missing_stack)
            )
        secrets = _secrets(
            {
                "workspace_id": stack.workspace_id_secret,
                "tenant_id": stack.tenant_id_secret,
                "client_id": stack.client_id_secret,
                "client_secret": stack.client_secret_secret,
            }
        )
        workspace = secrets.pop("workspace_id")
        credentials = pulumi.Output.all(**secrets)
        super().__init__(TYPE_TOKEN, name, None, opts)
        props: dict[str, Any] = {
            "workspace_id": workspace,
            "credentials": pulumi.Output.secret(credentials),
            "api_url": stack.api_url,
            "login_url": stack.login_url,
            "display_name": compiled.display_name,
            "description": compiled.description,
            "folder_id": compiled.folder,
            "definition": json.dumps(compiled.content, sort_keys=True, ensure_ascii=False),
            "substitutions": dict(compiled.substitutions),
            "schedules": [dict(s) for s in compiled.schedules],
            "job_type": JOB_TYPE,
            "poll_timeout_s": stack.poll_timeout_s,
        }
        item = FabricDataPipeline(
            name,
            props,
            args.provider or FabricPipelineProvider(),
            pulumi.ResourceOptions(parent=self, protect=compiled.protect, additional_secret_outputs=SECRET_OUTPUTS),
        )
        self.item_id = item.item_id
        self.display_name = pulumi.Output.from_input(compiled.display_name)
        self.register_outputs({"item_id": self.item_id, "display_name": self.display_name})

"""Run a Pulumi program under the mock engine and record every resource it registers.

This is what makes review without cloud credentials possible: `pipespec synth` runs the
real `__main__.py` here, with no Pulumi CLI and no cloud account, and tests use the same
recorder to assert on the exact inputs a provider would receive.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import runpy
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks, rpc
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

SECRET = "[secret]"
ACCOUNT = "123456789012"
REGION = "us-east-1"


@dataclass(frozen=True)
class Registered:
    urn: str
    type: str
    name: str
    parent: str
    inputs: dict[str, Any]  # as the provider would receive them; secrets still wrapped
    dependencies: tuple[str, ...] = ()
    protect: bool = False

    def redacted(self) -> dict[str, Any]:
        return redact(self.inputs)

    def has_secret(self, key: str) -> bool:
        return rpc.is_rpc_secret(self.inputs.get(key))

    def plain(self, key: str, default: Any = None) -> Any:
        """An input with secret wrappers removed (tests that check a secret's value)."""
        return unwrap(self.inputs.get(key, default))


@dataclass
class SynthRun:
    resources: list[Registered] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    stack_urn: str = ""

    def by_type(self, type_token: str) -> list[Registered]:
        return [r for r in self.resources if r.type == type_token]

    def one(self, type_token: str, name: str | None = None) -> Registered:
        found = [r for r in self.by_type(type_token) if name is None or r.name == name]
        if len(found) != 1:
            names = [r.name for r in self.by_type(type_token)]
            raise AssertionError(f"expected one {type_token} named {name!r}, found {len(found)}: {names}")
        return found[0]

    def sorted(self) -> list[Registered]:
        return sorted(self.resources, key=lambda r: r.urn)


def _asset(value: Any) -> dict[str, Any] | None:
    """Assets and archives as stable JSON: what they hold and a content hash, never raw bytes."""
    if isinstance(value, pulumi.StringAsset):
        text = str(value.text)
        return {"$asset": "string", "sha256": hashlib.sha256(text.encode()).hexdigest(), "bytes": len(text)}
    if isinstance(value, (pulumi.FileAsset, pulumi.FileArchive)):
        return {"$asset": type(value).__name__, "path": str(value.path)}
    if isinstance(value, pulumi.RemoteAsset):
        return {"$asset": "remote", "uri": str(value.uri)}
    if isinstance(value, pulumi.AssetArchive):
        return {"$archive": {k: redact(v) for k, v in sorted(value.assets.items())}}
    return None


def redact(value: Any) -> Any:
    if rpc.is_rpc_secret(value):
        return SECRET
    asset = _asset(value)
    if asset is not None:
        return asset
    if isinstance(value, dict):
        return {k: redact(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [redact(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)  # the wire turns every number into a float
    return value


def unwrap(value: Any) -> Any:
    if rpc.is_rpc_secret(value):
        return unwrap(value["value"])
    if isinstance(value, dict):
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def _fake_outputs(type_token: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """Plausible computed outputs (ARNs, URLs, ids) so programs that use them can run."""
    out = dict(inputs)
    pkg, _, rest = type_token.partition(":")
    module = rest.split("/")[0].split(":")[0]
    resource_name = inputs.get("name") if isinstance(inputs.get("name"), str) else name
    if pkg == "aws":
        service = {"sfn": "states", "cloudwatch": "cloudwatch", "scheduler": "scheduler"}.get(module, module)
        out.setdefault("arn", f"arn:aws:{service}:{REGION}:{ACCOUNT}:{module}/{resource_name}")
        if module == "iam":
            out["arn"] = f"arn:aws:iam::{ACCOUNT}:{rest.split(':')[-1].lower()}/{resource_name}"
        if module == "sns" and rest.endswith("Topic"):
            out["arn"] = f"arn:aws:sns:{REGION}:{ACCOUNT}:{resource_name}"
        if module == "sfn":
            out["arn"] = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{resource_name}"
        if module == "lambda":
            out["arn"] = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{resource_name}"
            out.setdefault("invokeArn", out["arn"])
        if module == "glue":
            out["arn"] = f"arn:aws:glue:{REGION}:{ACCOUNT}:job/{resource_name}"
        if module == "cloudwatch" and rest.endswith("LogGroup"):
            out["arn"] = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{resource_name}"
        if module == "cloudwatch" and rest.endswith("EventConnection"):
            out["arn"] = f"arn:aws:events:{REGION}:{ACCOUNT}:connection/{resource_name}/{name}-id"
            out["secretArn"] = (
                f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:events!connection/{resource_name}-{name}-id"
            )
        if module == "kms":
            out["arn"] = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{name}-id"
        if module == "s3":
            out.setdefault("bucket", resource_name)
            out["arn"] = f"arn:aws:s3:::{out.get('bucket', resource_name)}"
    elif pkg == "gcp":
        out.setdefault("project", "mock-project")
        if module == "composer":
            out["config"] = {
                "dagGcsPrefix": f"gs://{name}-bucket/dags",
                "airflowUri": f"https://{name}.composer.example",
                **(out.get("config") or {}),
            }
        if module == "pubsub":
            out.setdefault("id", f"projects/mock-project/topics/{resource_name}")
        if module == "serviceaccount":
            out.setdefault("email", f"{inputs.get('accountId', name)}@mock-project.iam.gserviceaccount.com")
        if module == "monitoring":
            out.setdefault("name", f"projects/mock-project/notificationChannels/{name}")
    elif pkg == "dbtcloud" and rest.endswith("Environment"):
        out.setdefault("environmentId", 200001)
    elif pkg == "databricks":
        out.setdefault("url", f"https://mock.cloud.databricks.com/#job/{name}-id")
    return out


class _Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        return f"{args.name}-id", _fake_outputs(args.typ, args.name, unwrap(args.inputs))

    def call(self, args: mocks.MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]]]:
        token = args.token
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:user/mock", "userId": "mock"}, []
        if token == "aws:index/getRegion:getRegion":
            return {"name": REGION, "region": REGION, "id": REGION}, []
        if token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}, []
        if token.startswith("aws:iam/getPolicyDocument"):
            return {"json": json.dumps(args.args, sort_keys=True)}, []
        if token == "gcp:composer/getEnvironment:getEnvironment":
            name = args.args.get("name", "env")
            return {
                "name": name,
                "configs": [{"dagGcsPrefix": f"gs://{name}-bucket/dags", "airflowUri": f"https://{name}.example"}],
            }, []
        if token == "gcp:organizations/getProject:getProject":
            return {"projectId": "mock-project", "number": "123456789", "name": "mock-project"}, []
        return dict(args.args), []


class _Monitor(mocks.MockMonitor):
    """Sees what `MockResourceArgs` does not: parent, dependencies, protect, stack outputs."""

    def __init__(self, run: SynthRun) -> None:
        super().__init__(_Mocks())
        self.run = run

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            self.run.stack_urn = response.urn
            return response
        inputs = rpc.deserialize_properties(request.object, keep_unknowns=True)
        self.run.resources.append(
            Registered(
                urn=response.urn,
                type=request.type,
                name=request.name,
                parent=request.parent,
                inputs=dict(inputs),
                dependencies=tuple(sorted(set(request.dependencies))),
                protect=bool(request.protect),
            )
        )
        return response

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # As the engine does: children of the stack get no parent type in their URN.
        if parent and parent.split("::")[2] == "pulumi:pulumi:Stack":
            parent = ""
        return super().make_urn(parent, type_, name)


def run_pulumi(
    program: Callable[[], Any],
    *,
    config: Mapping[str, Any] | None = None,
    secret_keys: tuple[str, ...] = (),
    project: str = "pipespec",
    stack: str = "dev",
) -> SynthRun:
    """Run `program` under the mock engine; return every registered resource and the outputs.

    `config` uses fully qualified keys (`pipespec:environment`); values that are not strings
    are JSON-encoded, as the Pulumi CLI passes structured config.
    """
    run = SynthRun()
    asyncio.set_event_loop(asyncio.new_event_loop())
    cfg = {k: v if isinstance(v, str) else json.dumps(v) for k, v in (config or {}).items()}
    set_all_config(cfg, list(secret_keys))
    pulumi_settings.ROOT.set(None)  # a fresh root stack per run: set_mocks creates one when none is set
    monitor = _Monitor(run)
    pulumi.runtime.set_mocks(_Mocks(), project=project, stack=stack, preview=False, monitor=monitor)
    pulumi_settings.SETTINGS.rpc_manager.clear()
    pulumi_settings.SETTINGS.outputs.clear()

    async def body() -> None:
        program()
        root = pulumi_settings.get_root_resource()
        exported: dict[str, Any] = getattr(root, "outputs", {}) or {}
        for key in sorted(exported):
            out = pulumi.Output.from_input(exported[key])
            value = await out.future(with_unknowns=True)
            if await out.is_secret():
                value = {rpc._special_sig_key: rpc._special_secret_sig, "value": value}
            run.outputs[key] = value

    _sync_await(run_pulumi_func(body))
    return run


def run_program_file(path: str | Path, **kwargs: Any) -> SynthRun:
    """Run a Pulumi program file (e.g. the project's `__main__.py`) under the mock engine."""
    program = Path(path).resolve()

    def body() -> None:
        old_path = list(sys.path)
        old_cwd = os.getcwd()
        sys.path.insert(0, str(program.parent))
        os.chdir(program.parent)
        try:
            runpy.run_path(str(program), run_name="__main__")
        finally:
            sys.path[:] = old_path
            os.chdir(old_cwd)

    return run_pulumi(body, **kwargs)

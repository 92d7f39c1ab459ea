"""`pipespec:databricks:Job`: one compiled pipeline -> one Databricks job and what it needs.

Thin by design: the compiled job (pipespec.targets.databricks.compile) decided everything; this
component only substitutes deploy-time ids for its placeholders and creates the resources:

- `databricks.Job` from the compiled settings (mapped field by field in `databricks_args`);
- `databricks.WorkspaceFile` for generated files (HTTP/SQL-check runner, inline SQL);
- `databricks.SecretScope` (unless the stack names an existing one), one `databricks.Secret`
  per `*_secret` config key tasks read at run time (values stay Pulumi secrets), and a READ
  `databricks.SecretAcl` for the job's run_as principal;
- `databricks.Permissions` for group permissions.

Placeholders: `${destination:<channel>}` -> `destination_ids[channel]` (from the Databricks
alerting component), `${job:<pipeline>}` -> `job_ids[pipeline]` (another DatabricksJob's
`job_id` in the same stack).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_databricks as dbx

from pipespec.targets.databricks.compile import PLACEHOLDER, CompiledJob

from .databricks_args import job_args

TYPE_TOKEN = "pipespec:databricks:Job"


class PlaceholderError(ValueError):
    """A compiled job references a destination or job that this stack does not deploy."""


@dataclass
class DatabricksJobArgs:
    compiled: CompiledJob
    # Notification destination ids by channel id (the Databricks alerting component's output).
    destination_ids: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    # Job ids of other pipelines deployed in this stack, by pipeline (spec) name.
    job_ids: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)


def _job_id(value: str) -> Any:
    # Databricks job ids are integers; the mock engine's ids are not, and pass through unchanged.
    return int(value) if value.isdigit() else value


class DatabricksJob(pulumi.ComponentResource):
    job_id: pulumi.Output[str]
    url: pulumi.Output[str]
    name: pulumi.Output[str]

    def __init__(self, name: str, args: DatabricksJobArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        compiled = args.compiled
        self._check_placeholders(compiled, args)
        child = pulumi.ResourceOptions(parent=self)
        needs: list[pulumi.Resource] = []

        for f in compiled.files:
            stem = f.path.rsplit("/", 1)[-1].replace(".", "-")
            content = base64.b64encode(f.content.encode()).decode()
            needs.append(dbx.WorkspaceFile(f"{name}-file-{stem}", path=f.path, content_base64=content, opts=child))

        needs += self._secrets(name, compiled, child)

        def resolve(value: str) -> pulumi.Input[Any]:
            m = PLACEHOLDER.fullmatch(value) if isinstance(value, str) else None
            if m is None:
                return value
            kind, _, key = m.group(1).partition(":")
            if kind == "destination":
                return args.destination_ids[key]
            return pulumi.Output.from_input(args.job_ids[key]).apply(_job_id)

        job = dbx.Job(
            name,
            args=job_args(compiled.settings, resolve),
            opts=pulumi.ResourceOptions(parent=self, depends_on=needs, protect=compiled.protect),
        )
        if compiled.permissions:
            dbx.Permissions(
                f"{name}-permissions",
                job_id=job.id,
                access_controls=[
                    dbx.PermissionsAccessControlArgs(group_name=group, permission_level=level)
                    for group, level in compiled.permissions
                ],
                opts=child,
            )
        self.job_id = job.id
        self.name = pulumi.Output.from_input(compiled.name)
        if compiled.workspace_url:
            self.url = job.id.apply(lambda i: f"{compiled.workspace_url}/jobs/{i}")
        else:
            self.url = job.url
        self.register_outputs({"job_id": self.job_id, "url": self.url, "name": self.name})

    @staticmethod
    def _check_placeholders(compiled: CompiledJob, args: DatabricksJobArgs) -> None:
        """Fail before creating anything, naming every missing id and where it should come from."""
        missing = []
        for ref in compiled.placeholders:
            kind, _, key = ref.partition(":")
            if kind == "destination" and key not in args.destination_ids:
                missing.append(f"notification channel {key!r} (no destination id: deploy its alerting destination)")
            if kind == "job" and key not in args.job_ids:
                missing.append(f"pipeline {key!r} (not deployed in this stack: deploy it here or drop the task)")
        if missing:
            raise PlaceholderError(f"job {compiled.name!r} references " + "; ".join(missing))

    @staticmethod
    def _secrets(name: str, compiled: CompiledJob, child: pulumi.ResourceOptions) -> list[pulumi.Resource]:
        if not compiled.secrets:
            return []
        config = pulumi.Config("pipespec")
        out: list[pulumi.Resource] = []
        scope: pulumi.Input[str] = compiled.secrets[0].scope
        if compiled.create_secret_scope:
            created = dbx.SecretScope(f"{name}-scope", name=compiled.secrets[0].scope, opts=child)
            scope = created.name
            out.append(created)
            run_as = compiled.settings.get("run_as", {})
            principal = run_as.get("user_name") or run_as.get("service_principal_name")
            if principal:  # the job reads the secrets as its run_as identity
                out.append(
                    dbx.SecretAcl(f"{name}-scope-read", scope=scope, principal=principal, permission="READ", opts=child)
                )
        for s in compiled.secrets:
            value = config.require_secret(s.config_key)
            out.append(dbx.Secret(f"{name}-secret-{s.key}", scope=scope, key=s.key, string_value=value, opts=child))
        return out

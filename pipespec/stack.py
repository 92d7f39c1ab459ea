"""Stack configuration (``Pulumi.<stack>.yaml``, namespace ``pipespec``), validated before
any resource exists. Pure: the Pulumi program and the offline synth both read it through
here, so a broken stack config fails the same way in ``pulumi preview`` and in ``synth``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .diagnostics import Diagnostic, Severity
from .environment import Deployment, Environment
from .model_errors import did_you_mean
from .targets.registry import get_target, target_names

NAMESPACE = "pipespec"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AwsAlertingConfig(_Strict):
    shared_topic: bool = Field(default=False, description="One SNS topic for every pipeline instead of one each.")
    kms_master_key_id: str = Field(default="alias/aws/sns", description="KMS key that encrypts the topics.")
    create_kms_key: bool = Field(
        default=False,
        description="Create a customer-managed key that CloudWatch alarms and EventBridge may use "
        "(they cannot publish to topics encrypted with the AWS-managed alias/aws/sns key).",
    )


class GcpAlertingConfig(_Strict):
    shared_topic: bool = False
    project: str | None = None
    slack_token_secrets: dict[str, str] = Field(
        default_factory=dict,
        description="Slack channel id -> Pulumi config secret holding a Slack app token (Cloud Monitoring "
        "posts to Slack with an app token, not a webhook).",
    )


class AlertingConfig(_Strict):
    aws: AwsAlertingConfig = Field(default_factory=AwsAlertingConfig)
    gcp: GcpAlertingConfig = Field(default_factory=GcpAlertingConfig)


class StackConfig(_Strict):
    """Everything under `pipespec:` in a stack file."""

    environment: Environment = Field(default_factory=Environment)
    specs_dir: str = Field(default="pipelines", description="Folder holding the pipeline specs.")
    pipelines: dict[str, list[str]] = Field(
        min_length=1, description="Pipeline name -> targets it deploys to in this stack."
    )
    alerting: AlertingConfig = Field(default_factory=AlertingConfig)
    # Per-target stack settings, validated by each target's own model (see `deployment`).
    databricks: dict[str, Any] = Field(default_factory=dict)
    stepfunctions: dict[str, Any] = Field(default_factory=dict)
    composer: dict[str, Any] = Field(default_factory=dict)
    glue: dict[str, Any] = Field(default_factory=dict)
    dbtcloud: dict[str, Any] = Field(default_factory=dict)
    fabric: dict[str, Any] = Field(default_factory=dict)
    mwaa: dict[str, Any] = Field(default_factory=dict)

    def deployment(self, target: str) -> Deployment:
        settings_model = get_target(target).stack_settings
        return Deployment(self.environment, settings_model.model_validate(getattr(self, target, {}) or {}))


class StackConfigError(Exception):
    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        super().__init__("\n".join(d.format() for d in diagnostics))


def _diag(source: str, path: tuple[str | int, ...], message: str, hint: str = "") -> Diagnostic:
    key = f"{NAMESPACE}:{path[0]}" if path else NAMESPACE
    return Diagnostic(source, 0, 0, Severity.ERROR, "PS500", f"{key}: {message}", path, hint)


def parse_stack_config(
    values: Mapping[str, Any], source: str = "stack config", secret_refs: frozenset[str] = frozenset()
) -> StackConfig:
    """Validate the `pipespec:` config values (already JSON-decoded). Raises StackConfigError.

    Keys named by specs' `*_secret` fields (`secret_refs`) are secrets, not settings.
    """
    out: list[Diagnostic] = []
    settings = {k: v for k, v in values.items() if k not in secret_refs}
    try:
        cfg = StackConfig.model_validate(settings)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            loc = tuple(e for e in err["loc"] if isinstance(e, (str, int)))
            msg = str(err["msg"]).removeprefix("Value error, ")
            hint = ""
            if err["type"] == "extra_forbidden":
                options = list(StackConfig.model_fields) if len(loc) == 1 else []
                msg = f"unknown setting {loc[-1]!r}"
                hint = did_you_mean(str(loc[-1]), options) or "see docs/stacks.md for the settings"
            elif err["type"] == "missing":
                msg = "missing"
                hint = f"pulumi config set --path {NAMESPACE}:{'.'.join(map(str, loc))} …"
            out.append(_diag(source, loc, msg, hint))
        raise StackConfigError(out) from None
    names = set(target_names())
    for pipeline, targets in cfg.pipelines.items():
        for target in targets:
            if target not in names:
                hint = did_you_mean(target, names) or f"targets: {', '.join(sorted(names))}"
                out.append(_diag(source, ("pipelines", pipeline), f"unknown target {target!r}", hint))
    for target in sorted(names):
        try:
            cfg.deployment(target)
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                loc = (target, *(e for e in err["loc"] if isinstance(e, (str, int))))
                msg = str(err["msg"]).removeprefix("Value error, ")
                if err["type"] == "extra_forbidden":
                    fields = get_target(target).stack_settings.model_fields
                    msg = f"unknown setting {loc[-1]!r}"
                    hint = did_you_mean(str(loc[-1]), fields) or f"allowed: {', '.join(sorted(fields))}"
                else:
                    hint = ""
                out.append(_diag(source, loc, msg, hint))
    if out:
        raise StackConfigError(out)
    return cfg


def read_stack_file(project_dir: Path, stack: str) -> tuple[dict[str, Any], list[str]]:
    """Read Pulumi.<stack>.yaml: (fully qualified config values as the CLI passes them, secret keys).

    Encrypted values (`secure:`) cannot be decrypted offline; they become a recognisable
    stand-in, still marked secret, so a synth exercises the secret path end to end.
    """
    path = project_dir / f"Pulumi.{stack}.yaml"
    if not path.exists():
        available = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))
        raise StackConfigError(
            [
                Diagnostic(
                    str(path),
                    0,
                    0,
                    Severity.ERROR,
                    "PS501",
                    f"no stack file for stack {stack!r}",
                    hint=f"stacks here: {', '.join(available) or 'none'} (pulumi stack init {stack})",
                )
            ]
        )
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    config = data.get("config") or {}
    values: dict[str, Any] = {}
    secret_keys: list[str] = []
    for key, value in config.items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            values[key] = f"synth-secret:{key}"
            secret_keys.append(key)
        else:
            values[key] = value if isinstance(value, str) else json.dumps(value)
    return values, sorted(secret_keys)


def namespace_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """`pipespec:*` values, JSON-decoded where they are structured."""
    out: dict[str, Any] = {}
    for key, raw in values.items():
        ns, _, name = key.partition(":")
        if ns != NAMESPACE or not name:
            continue
        try:
            out[name] = json.loads(raw) if isinstance(raw, str) else raw
        except json.JSONDecodeError:
            out[name] = raw
    return out

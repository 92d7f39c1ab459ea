"""Plan a stack: validated specs x stack config -> what each target deploys, and its documents.

Pure (no Pulumi): the Pulumi program deploys a plan, the offline synth and `diff` read the
same plan, so a bad spec or a broken stack config fails the same way everywhere — with
every problem listed, before a single resource is registered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .diagnostics import Diagnostic, Severity, SpecError, sort_diagnostics
from .environment import Deployment
from .ir import PipelineIR
from .model_errors import did_you_mean
from .notify_plan import AlertingInputs, alerting_inputs, plan_aws, plan_databricks, plan_gcp
from .project import load_project
from .stack import NAMESPACE, StackConfig, StackConfigError, parse_stack_config
from .targets.base import Rendered
from .targets.registry import get_target


@dataclass(frozen=True)
class Unit:
    """One pipeline on one target in this stack."""

    ir: PipelineIR
    target: str
    deployment: Deployment
    documents: tuple[Rendered, ...]

    @property
    def deployed_name(self) -> str:
        return self.deployment.env.deployed_name(self.ir.name)


@dataclass
class StackPlan:
    stack: str
    config: StackConfig
    pipelines: dict[str, PipelineIR]
    units: list[Unit]
    warnings: list[Diagnostic] = field(default_factory=list)

    def targets(self) -> list[str]:
        return sorted({u.target for u in self.units})

    def units_for(self, target: str) -> list[Unit]:
        return [u for u in self.units if u.target == target]


def secret_refs(ir: PipelineIR) -> set[str]:
    """Pulumi config keys a pipeline's channels and tasks read secrets from."""
    refs: set[str] = set()
    for channel in ir.channels.values():
        for name in type(channel).model_fields:
            if name.endswith("_secret") and getattr(channel, name):
                refs.add(getattr(channel, name))
    for task in ir.tasks:
        auth = getattr(task.spec, "auth", None)
        if auth is not None and getattr(auth, "token_secret", None):
            refs.add(auth.token_secret)
    return refs


# Which cloud's alerting serves which target.
ALERTING_CLOUD = {"stepfunctions": "aws", "glue": "aws", "mwaa": "aws", "composer": "gcp", "databricks": "databricks"}


def alerting_inputs_by_cloud(
    config: StackConfig, chosen: Sequence[tuple[PipelineIR, str]]
) -> dict[str, AlertingInputs]:
    """The channels and routes each cloud's alerting component gets, for what this stack deploys."""
    by_cloud: dict[str, dict[str, PipelineIR]] = {}
    for ir, target in chosen:
        cloud = ALERTING_CLOUD.get(target)
        if cloud:
            by_cloud.setdefault(cloud, {})[ir.name] = ir
    return {
        cloud: alerting_inputs([irs[n] for n in sorted(irs)], config.environment)
        for cloud, irs in sorted(by_cloud.items())
    }


def alerting_diagnostics(config: StackConfig, chosen: Sequence[tuple[PipelineIR, str]]) -> list[Diagnostic]:
    env, out = config.environment, []
    for cloud, inputs in alerting_inputs_by_cloud(config, chosen).items():
        out += inputs.diagnostics
        if cloud == "aws":
            out += plan_aws(
                inputs.channels,
                inputs.pipelines,
                env,
                shared_topic=config.alerting.aws.shared_topic,
                alarm_routes=inputs.alarm_channels,
                origins=inputs.origins,
            ).diagnostics
        elif cloud == "gcp":
            gcp = config.alerting.gcp
            out += plan_gcp(
                inputs.channels,
                inputs.pipelines,
                env,
                shared_topic=gcp.shared_topic,
                slack_tokens=gcp.slack_token_secrets,
                origins=inputs.origins,
            ).diagnostics
        else:
            out += plan_databricks(inputs.channels, env, inputs.origins)[1]
    return [d for d in out if d.is_error]


def _slack_token_refs(values: Mapping[str, Any]) -> set[str]:
    alerting = values.get("alerting")
    gcp = alerting.get("gcp") if isinstance(alerting, dict) else None
    tokens = gcp.get("slack_token_secrets") if isinstance(gcp, dict) else None
    return {str(v) for v in tokens.values()} if isinstance(tokens, dict) else set()


def _secret_problems(
    source: str, stack: str, who: str, key: str, values: Mapping[str, Any], secret_keys: frozenset[str]
) -> list[Diagnostic]:
    command = f"pulumi config set --secret {NAMESPACE}:{key} <value> --stack {stack}"
    if key not in values:
        return [_diag(source, f"{who} needs the secret {NAMESPACE}:{key}, which is not set", command)]
    if key not in secret_keys:
        return [_diag(source, f"{NAMESPACE}:{key} holds a secret but is stored in plain text", command)]
    return []


def _diag(source: str, message: str, hint: str = "", path: tuple[str | int, ...] = ()) -> Diagnostic:
    return Diagnostic(source, 0, 0, Severity.ERROR, "PS510", message, path, hint)


def plan_stack(
    project_dir: Path,
    stack: str,
    values: Mapping[str, Any],
    secret_keys: frozenset[str] = frozenset(),
) -> StackPlan:
    """`values`: the `pipespec:` config values (JSON-decoded, unqualified keys);
    `secret_keys`: unqualified keys whose values are Pulumi secrets. Raises StackConfigError."""
    source = f"Pulumi.{stack}.yaml"
    specs_dir = project_dir / str(values.get("specs_dir", "pipelines"))
    loaded = load_project([specs_dir]) if specs_dir.is_dir() else []
    problems: list[Diagnostic] = [d for item in loaded for d in item.diagnostics if d.is_error]
    if not specs_dir.is_dir():
        problems.append(_diag(source, f"{NAMESPACE}:specs_dir {specs_dir} is not a folder"))
    pipelines = {item.ir.name: item.ir for item in loaded if item.ir is not None and item.ok}
    refs = set().union(*(secret_refs(ir) for ir in pipelines.values())) if pipelines else set()
    refs |= _slack_token_refs(values)
    requested = values.get("pipelines")
    for name in sorted(requested) if isinstance(requested, dict) else []:
        if name not in pipelines and not any(item.name == name for item in loaded):
            hint = did_you_mean(name, pipelines) or f"pipelines in {specs_dir}: {', '.join(sorted(pipelines))}"
            problems.append(_diag(source, f"{NAMESPACE}:pipelines names unknown pipeline {name!r}", hint))
    try:
        # Keys stored as secrets are never settings (targets' own credentials live there too).
        config = parse_stack_config(values, source, frozenset(refs) | secret_keys)
    except StackConfigError as exc:
        raise StackConfigError(sort_diagnostics(problems + exc.diagnostics)) from None
    chosen: list[tuple[PipelineIR, str]] = []
    for name, targets in sorted(config.pipelines.items()):
        ir = pipelines.get(name)
        if ir is None:
            continue  # reported above (unknown) or by its spec's own diagnostics
        for target in targets:
            if target not in ir.targets:
                problems.append(
                    _diag(
                        source,
                        f"pipeline {name!r} is deployed to {target!r} but its spec does not list that target",
                        f"add '{target}' under 'targets:' in {ir.source.file} "
                        f"(it lists: {', '.join(sorted(ir.targets))})",
                        ("pipelines", name),
                    )
                )
                continue
            chosen.append((ir, target))
        for key in sorted(secret_refs(ir)):
            problems += _secret_problems(source, stack, f"pipeline {name!r}", key, values, secret_keys)
    for key in sorted(set(config.alerting.gcp.slack_token_secrets.values())):
        problems += _secret_problems(source, stack, "alerting.gcp.slack_token_secrets", key, values, secret_keys)
    problems += alerting_diagnostics(config, chosen)
    if problems:
        raise StackConfigError(sort_diagnostics(problems))
    # Compile only once everything is known to be valid: nothing half-planned escapes.
    units = []
    for ir, target in chosen:
        deployment = config.deployment(target)
        try:
            documents = tuple(get_target(target).render(ir, deployment))
        except SpecError as exc:  # stack-dependent problems only a compiler sees
            problems.extend(exc.diagnostics)
            continue
        units.append(Unit(ir, target, deployment, documents))
    if problems:
        raise StackConfigError(sort_diagnostics(problems))
    warnings = [
        d
        for item in loaded
        for d in item.diagnostics
        if not d.is_error and item.ir and item.ir.name in config.pipelines
    ]
    return StackPlan(stack, config, pipelines, units, sort_diagnostics(warnings))

"""The Pulumi program: read stack config, plan (validate + compile), create the components.

Planning is pure (`pipespec.plan`) and happens before the first resource is registered, so a
bad spec or stack config stops `pulumi up` with every problem listed and nothing deployed.
Resource names derive from pipeline names and channel ids, never from positions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config

from pipespec.plan import StackPlan, Unit, alerting_inputs_by_cloud, plan_stack
from pipespec.stack import NAMESPACE, StackConfigError, namespace_values
from pipespec.targets.registry import get_target


def config_values() -> tuple[dict[str, Any], frozenset[str]]:
    """Every `pipespec:` config value (JSON-decoded) and which of them are secrets."""
    raw: dict[str, Any] = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    secrets = frozenset(
        key.split(":", 1)[1] for key in raw if key.startswith(f"{NAMESPACE}:") and runtime_config.is_config_secret(key)
    )
    return namespace_values(raw), secrets


@dataclass
class Deployed:
    """What the program created, for stack outputs and for tests."""

    plan: StackPlan
    components: dict[str, pulumi.ComponentResource] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)


class _Program:
    def __init__(self, plan: StackPlan) -> None:
        self.plan = plan
        self.env = plan.config.environment
        self.deployed = Deployed(plan)
        inputs = alerting_inputs_by_cloud(plan.config, [(u.ir, u.target) for u in plan.units])
        self.alerting_inputs = inputs
        self.aws_alerting: Any = None
        self.gcp_alerting: Any = None
        self.dbx_alerting: Any = None
        # publishers the AWS topic policies must name, by deployed pipeline
        self.aws_roles: dict[str, list[pulumi.Input[str]]] = {}
        self.aws_alarms: dict[str, list[pulumi.Input[str]]] = {}
        self.aws_rules: dict[str, list[pulumi.Input[str]]] = {}

    # ── alerting, one component per cloud, shared by every pipeline deployed there ──
    def alerting(self) -> None:
        cfg = self.plan.config.alerting
        if "aws" in self.alerting_inputs:
            from .alerting.aws import AwsAlerting, AwsAlertingArgs

            i = self.alerting_inputs["aws"]
            self.aws_alerting = AwsAlerting(
                "alerts-aws",
                AwsAlertingArgs(
                    i.channels,
                    i.pipelines,
                    self.env,
                    shared_topic=cfg.aws.shared_topic,
                    kms_master_key_id=cfg.aws.kms_master_key_id,
                    alarm_channels=i.alarm_channels,
                    create_kms_key=cfg.aws.create_kms_key,
                ),
            )
        if "gcp" in self.alerting_inputs:
            from .alerting.gcp import GcpAlerting, GcpAlertingArgs

            i = self.alerting_inputs["gcp"]
            self.gcp_alerting = GcpAlerting(
                "alerts-gcp",
                GcpAlertingArgs(
                    i.channels,
                    i.pipelines,
                    self.env,
                    shared_topic=cfg.gcp.shared_topic,
                    project=cfg.gcp.project,
                    slack_token_secrets=cfg.gcp.slack_token_secrets,
                ),
            )
        if "databricks" in self.alerting_inputs:
            from .alerting.databricks import DatabricksAlerting, DatabricksAlertingArgs

            i = self.alerting_inputs["databricks"]
            self.dbx_alerting = DatabricksAlerting("alerts-databricks", DatabricksAlertingArgs(i.channels, self.env))

    # ── targets ──
    def databricks(self, units: list[Unit]) -> None:
        from .databricks_job import DatabricksJob, DatabricksJobArgs

        job_ids: dict[str, pulumi.Input[str]] = {}
        # Upstream jobs first: a `kind: pipeline` task needs the id of the job it runs.
        for unit in _by_pipeline_references(units):
            compiled = get_target("databricks").compile(unit.ir, unit.deployment)  # type: ignore[attr-defined]
            destinations = self.dbx_alerting.destination_ids if self.dbx_alerting else {}
            job = DatabricksJob(unit.ir.name, DatabricksJobArgs(compiled, destinations, dict(job_ids)))
            job_ids[unit.ir.name] = job.job_id
            self.deployed.components[f"databricks:{unit.ir.name}"] = job
            self.deployed.outputs[f"{unit.ir.name}.databricks.job_url"] = job.url

    def stepfunctions(self, units: list[Unit]) -> None:
        from .stepfunctions_pipeline import StepFunctionsPipeline, StepFunctionsPipelineArgs

        for unit in units:
            compiled = get_target("stepfunctions").compile(unit.ir, unit.deployment)  # type: ignore[attr-defined]
            name = unit.deployed_name
            machine = StepFunctionsPipeline(
                unit.ir.name, StepFunctionsPipelineArgs(compiled, self.aws_alerting.topic_arn(name))
            )
            self.aws_roles.setdefault(name, []).append(machine.role_arn)
            self.aws_alarms.setdefault(name, []).extend(machine.publisher_alarm_arns)
            self.deployed.components[f"stepfunctions:{unit.ir.name}"] = machine
            self.deployed.outputs[f"{unit.ir.name}.stepfunctions.state_machine_arn"] = machine.state_machine_arn

    def glue(self, units: list[Unit]) -> None:
        from .glue_workflow import GlueWorkflow, GlueWorkflowArgs

        for unit in units:
            compiled = get_target("glue").compile(unit.ir, unit.deployment)  # type: ignore[attr-defined]
            name = unit.deployed_name
            topic = (
                self.aws_alerting.topic_arn(name)
                if self.aws_alerting and name in self.aws_alerting.topic_arns
                else None
            )
            wf = GlueWorkflow(f"{unit.ir.name}-glue", GlueWorkflowArgs(compiled, alert_topic_arn=topic))
            if topic is not None:
                self.aws_rules.setdefault(name, []).extend(wf.alert_rule_arns.values())
            self.deployed.components[f"glue:{unit.ir.name}"] = wf
            self.deployed.outputs[f"{unit.ir.name}.glue.workflow_arn"] = wf.workflow_arn

    def composer(self, units: list[Unit]) -> None:
        from pipespec.targets.composer.compile import compile_dag

        from .composer_pipeline import (
            ComposerEnvironment,
            ComposerEnvironmentArgs,
            ComposerPipeline,
            ComposerPipelineArgs,
        )

        compiled = {u.ir.name: compile_dag(u.ir, u.deployment) for u in units}
        stack = units[0].deployment.settings
        shared = None
        if stack.create_environment:
            # One environment per stack, shared by every DAG, with the union of the roles they need.
            roles = sorted({r for c in compiled.values() for r in c.roles})
            shared = ComposerEnvironment("composer", ComposerEnvironmentArgs(stack, self.env, roles))
            if self.gcp_alerting is not None:
                member = shared.service_account_email.apply(lambda e: f"serviceAccount:{e}")
                self.gcp_alerting.allow_publishers({"composer": member})
        for unit in units:
            name = unit.deployed_name
            channels = self.alerting_inputs["gcp"].pipelines.get(name, ()) if self.gcp_alerting else ()
            pipeline = ComposerPipeline(
                unit.ir.name,
                ComposerPipelineArgs(
                    compiled[unit.ir.name],
                    stack,
                    self.env,
                    alert_topic=self.gcp_alerting.topic_id(name) if self.gcp_alerting else None,
                    notification_channels=self.gcp_alerting.names_for(channels) if self.gcp_alerting else [],
                    shared_environment=shared,
                ),
            )
            self.deployed.components[f"composer:{unit.ir.name}"] = pipeline
            self.deployed.outputs[f"{unit.ir.name}.composer.dag_object"] = pipeline.dag_object.name

    def dbtcloud(self, units: list[Unit]) -> None:
        from .dbtcloud_jobs import DbtCloudJobs, DbtCloudJobsArgs

        for unit in units:
            compiled = get_target("dbtcloud").compile(unit.ir, unit.deployment)  # type: ignore[attr-defined]
            jobs = DbtCloudJobs(unit.ir.name, DbtCloudJobsArgs(compiled))
            self.deployed.components[f"dbtcloud:{unit.ir.name}"] = jobs
            self.deployed.outputs[f"{unit.ir.name}.dbtcloud.job_ids"] = jobs.job_ids

    def fabric(self, units: list[Unit]) -> None:
        from .fabric import FabricPipeline, FabricPipelineArgs

        for unit in units:
            compiled = get_target("fabric").compile(unit.ir, unit.deployment)  # type: ignore[attr-defined]
            pipeline = FabricPipeline(unit.ir.name, FabricPipelineArgs(compiled, unit.deployment.settings))
            self.deployed.components[f"fabric:{unit.ir.name}"] = pipeline
            self.deployed.outputs[f"{unit.ir.name}.fabric.item_id"] = pipeline.item_id

    def mwaa(self, units: list[Unit]) -> None:
        from pipespec.targets.mwaa.compile import compile_mwaa, requirements_txt

        from .mwaa_pipeline import MwaaEnvironment, MwaaEnvironmentArgs, MwaaPipeline, MwaaPipelineArgs

        compiled = {u.ir.name: compile_mwaa(u.ir, u.deployment) for u in units}
        stack = units[0].deployment.settings
        shared = None
        if stack.create_environment:
            # One environment per stack, with the providers every DAG imports.
            text = requirements_txt(stack, [compiled[n] for n in sorted(compiled)])
            shared = MwaaEnvironment("mwaa", MwaaEnvironmentArgs(stack, self.env, text))
        for unit in units:
            name = unit.deployed_name
            topic = self.aws_alerting.topic_arn(name) if self.aws_alerting else None
            pipeline = MwaaPipeline(
                f"{unit.ir.name}-mwaa",
                MwaaPipelineArgs(
                    compiled[unit.ir.name], stack, self.env, alert_topic_arn=topic, shared_environment=shared
                ),
            )
            self.aws_roles.setdefault(name, []).append(pipeline.execution_role_arn)
            self.deployed.components[f"mwaa:{unit.ir.name}"] = pipeline
            self.deployed.outputs[f"{unit.ir.name}.mwaa.dag_object"] = pipeline.dag_object.key

    def finish(self) -> None:
        if self.aws_alerting is not None:
            self.aws_alerting.allow_publishers(self.aws_roles, self.aws_alarms, self.aws_rules)

    def run(self) -> Deployed:
        self.alerting()
        deployers: dict[str, Callable[[list[Unit]], None]] = {
            "databricks": self.databricks,
            "stepfunctions": self.stepfunctions,
            "glue": self.glue,
            "composer": self.composer,
            "dbtcloud": self.dbtcloud,
            "fabric": self.fabric,
            "mwaa": self.mwaa,
        }
        for target in self.plan.targets():
            deployers[target](self.plan.units_for(target))
        self.finish()
        pulumi.export("environment", self.env.name)
        pulumi.export("pipelines", sorted({u.ir.name for u in self.plan.units}))
        for key, value in sorted(self.deployed.outputs.items()):
            pulumi.export(key, value)
        return self.deployed


def _by_pipeline_references(units: list[Unit]) -> list[Unit]:
    """Units ordered so a pipeline comes after the pipelines its `kind: pipeline` tasks run."""
    from pipespec.dag import topological_order

    names = {u.ir.name: u for u in units}
    deps = {
        n: sorted({getattr(t.spec, "pipeline", "") for t in u.ir.tasks if t.kind == "pipeline"} & set(names))
        for n, u in names.items()
    }
    return [names[n] for n in topological_order(deps)]


def deploy(plan: StackPlan) -> Deployed:
    return _Program(plan).run()


def main() -> None:
    values, secrets = config_values()
    stack = pulumi.get_stack()
    try:
        plan = plan_stack(Path.cwd(), stack, values, secrets)  # Pulumi runs programs in the project folder
    except StackConfigError as exc:
        raise pulumi.RunError(
            f"stack {stack!r}: {len(exc.diagnostics)} problem(s); nothing was deployed\n"
            + "\n".join(d.format() for d in exc.diagnostics)
        ) from None
    for warning in plan.warnings:
        pulumi.log.warn(warning.format())
    deploy(plan)

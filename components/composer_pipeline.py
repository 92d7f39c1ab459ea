"""Cloud Composer deployment of one compiled pipeline: environment (created, shared or looked up), the DAG
file in the environment's DAG folder, its Secret Manager entries, and Cloud Monitoring alert policies.

Thin: every decision (DAG source, connection and variable names, roles, stale window) comes from
`pipespec.targets.composer.compile.CompiledDag`; this module only turns it into resources.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp
from pulumi import Input, Output, ResourceOptions

from pipespec.environment import Environment
from pipespec.targets.composer.compile import ALERT_TOPIC_PLACEHOLDER, CompiledDag
from pipespec.targets.composer.settings import ComposerStack

TYPE = "pipespec:composer:Pipeline"
ENV_TYPE = "pipespec:composer:Environment"
SECRETS_BACKEND = "airflow.providers.google.cloud.secrets.secret_manager.CloudSecretManagerBackend"
SECRETS_KWARGS = {"connections_prefix": "airflow-connections", "variables_prefix": "airflow-variables", "sep": "-"}
RUN_COUNT = "composer.googleapis.com/workflow/run_count"
_SIZES = {"small": "ENVIRONMENT_SIZE_SMALL", "medium": "ENVIRONMENT_SIZE_MEDIUM", "large": "ENVIRONMENT_SIZE_LARGE"}


def labels(env: Environment) -> dict[str, str]:
    """GCP labels: lowercase letters, digits, '_' and '-', at most 63 characters."""

    def clean(text: str) -> str:
        return re.sub(r"[^a-z0-9_-]", "_", text.lower())[:63]

    return {clean(k): clean(v) for k, v in sorted({**env.tags, "pipespec-environment": env.name}.items())}


def split_gcs_prefix(prefix: str) -> tuple[str, str]:
    """`gs://bucket/dags` -> (`bucket`, `dags`)."""
    if not prefix.startswith("gs://"):
        raise ValueError(f"not a gs:// prefix: {prefix!r}")
    bucket, _, path = prefix[len("gs://") :].partition("/")
    return bucket, path.strip("/")


@dataclass
class ComposerEnvironmentArgs:
    stack: ComposerStack
    environment: Environment
    roles: Sequence[str] = ()  # union of the DAGs' CompiledDag.roles


class ComposerEnvironment(pulumi.ComponentResource):
    """A Composer 2 or 3 environment with its service account; share one between pipelines of a stack."""

    dag_gcs_prefix: Output[str]
    airflow_uri: Output[str]
    service_account_email: Output[str]

    def __init__(self, name: str, args: ComposerEnvironmentArgs, opts: ResourceOptions | None = None) -> None:
        super().__init__(ENV_TYPE, name, None, opts)
        stack, env = args.stack, args.environment
        child = ResourceOptions(parent=self)
        project = stack.project
        members: list[pulumi.Resource] = []
        if stack.service_account:
            email: Output[str] = Output.from_input(stack.service_account)
        else:
            account = gcp.serviceaccount.Account(
                f"{name}-sa",
                account_id=f"composer-{stack.environment_name}"[:30].rstrip("-"),
                display_name=f"Cloud Composer {stack.environment_name} ({env.name})",
                project=project,
                opts=child,
            )
            email = account.email
            # Composer's service agent must be allowed to act for a user-managed environment account.
            number = gcp.organizations.get_project_output(project_id=project).number
            members.append(
                gcp.serviceaccount.IAMMember(
                    f"{name}-sa-agent",
                    service_account_id=account.name,
                    role="roles/composer.ServiceAgentV2Ext",
                    member=number.apply(
                        lambda n: f"serviceAccount:service-{n}@cloudcomposer-accounts.iam.gserviceaccount.com"
                    ),
                    opts=child,
                )
            )
        for role in sorted({"roles/composer.worker", *args.roles}):
            members.append(
                gcp.projects.IAMMember(
                    f"{name}-{role.removeprefix('roles/').replace('.', '-')}",
                    project=project or gcp.organizations.get_project_output().project_id,
                    role=role,
                    member=email.apply(lambda e: f"serviceAccount:{e}"),
                    opts=child,
                )
            )
        overrides: dict[str, Input[str]] = {}
        if stack.secret_manager_backend:
            overrides = {"secrets-backend": SECRETS_BACKEND, "secrets-backend_kwargs": json.dumps(SECRETS_KWARGS)}
        protect = env.protect if stack.protect is None else stack.protect
        composer = gcp.composer.Environment(
            f"{name}-environment",
            name=stack.environment_name,
            region=stack.region,
            project=project,
            labels=labels(env),
            config=gcp.composer.EnvironmentConfigArgs(
                environment_size=_SIZES[stack.environment_size],
                software_config=gcp.composer.EnvironmentConfigSoftwareConfigArgs(
                    image_version=stack.image,
                    airflow_config_overrides=overrides or None,
                    pypi_packages=dict(sorted(stack.pypi_packages.items())) or None,
                ),
                node_config=gcp.composer.EnvironmentConfigNodeConfigArgs(service_account=email),
            ),
            opts=ResourceOptions(parent=self, protect=protect, depends_on=members),
        )
        self.environment = composer
        self.dag_gcs_prefix = composer.config.apply(lambda c: c.dag_gcs_prefix or "")
        self.airflow_uri = composer.config.apply(lambda c: c.airflow_uri or "")
        self.service_account_email = email
        self.register_outputs(
            {"name": composer.name, "dagGcsPrefix": self.dag_gcs_prefix, "airflowUri": self.airflow_uri}
        )


@dataclass
class ComposerPipelineArgs:
    compiled: CompiledDag
    stack: ComposerStack
    environment: Environment
    alert_topic: Input[str] | None = None  # projects/<p>/topics/<t>, from the GCP alerting component
    notification_channels: Sequence[Input[str]] = field(default_factory=list)
    shared_environment: ComposerEnvironment | None = None  # else created (create_environment) or looked up


class ComposerPipeline(pulumi.ComponentResource):
    def __init__(self, name: str, args: ComposerPipelineArgs, opts: ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        compiled, stack = args.compiled, args.stack
        child = ResourceOptions(parent=self)
        if args.shared_environment is not None:
            prefix, uri = args.shared_environment.dag_gcs_prefix, args.shared_environment.airflow_uri
        elif stack.create_environment:
            env_args = ComposerEnvironmentArgs(stack, args.environment, compiled.roles)
            created = ComposerEnvironment(f"{name}-env", env_args, child)
            prefix, uri = created.dag_gcs_prefix, created.airflow_uri
        else:
            found = gcp.composer.get_environment_output(
                name=stack.environment_name,
                project=stack.project,
                region=stack.region,
                opts=pulumi.InvokeOptions(parent=self),
            )
            prefix = found.configs.apply(lambda cs: cs[0].dag_gcs_prefix)
            uri = found.configs.apply(lambda cs: cs[0].airflow_uri)

        source = self._source(compiled, args.alert_topic)
        location = prefix.apply(split_gcs_prefix)
        self.dag_object = gcp.storage.BucketObject(
            f"{name}-dag",
            bucket=location.apply(lambda bp: bp[0]),
            name=location.apply(lambda bp: f"{bp[1]}/{compiled.filename}" if bp[1] else compiled.filename),
            content=source,
            content_type="text/x-python",
            opts=child,
        )
        self._secrets(name, compiled, stack, child)
        self.policies = self._policies(name, compiled, stack, args)
        self.register_outputs(
            {
                "dagId": compiled.dag_id,
                "dagObject": self.dag_object.name,
                "bucket": self.dag_object.bucket,
                "airflowUri": uri,
            }
        )

    @staticmethod
    def _source(compiled: CompiledDag, topic: Input[str] | None) -> Output[str]:
        if "AlertTopic" not in compiled.placeholders:
            return Output.from_input(compiled.source)
        if topic is None:
            raise ValueError(
                f"{compiled.dag_id}: the DAG publishes alerts to ${{AlertTopic}}: pass alert_topic "
                "(the GCP alerting component's topic id) or set composer.alert_topic in the stack config"
            )
        return Output.from_input(topic).apply(lambda t: compiled.source.replace(ALERT_TOPIC_PLACEHOLDER, t))

    def _secrets(self, name: str, compiled: CompiledDag, stack: ComposerStack, child: ResourceOptions) -> None:
        """Airflow variables (bearer tokens) and HTTP connections, read by Airflow's Secret Manager backend."""
        config = pulumi.Config("pipespec")
        values: dict[str, tuple[str, Output[str]]] = {}
        for variable, key in compiled.secret_variables.items():
            values[variable] = (f"airflow-variables-{variable}", config.require_secret(key))
        for conn_id, base_url in compiled.http_connections.items():
            conn = json.dumps({"conn_type": "http", "host": base_url}, sort_keys=True)
            values[conn_id] = (f"airflow-connections-{conn_id}", Output.from_input(conn))
        for key, (secret_id, data) in sorted(values.items()):
            secret = gcp.secretmanager.Secret(
                f"{name}-{key}",
                secret_id=secret_id,
                project=stack.project,
                replication=gcp.secretmanager.SecretReplicationArgs(auto=gcp.secretmanager.SecretReplicationAutoArgs()),
                opts=child,
            )
            gcp.secretmanager.SecretVersion(f"{name}-{key}-value", secret=secret.id, secret_data=data, opts=child)

    def _policies(
        self, name: str, compiled: CompiledDag, stack: ComposerStack, args: ComposerPipelineArgs
    ) -> dict[str, gcp.monitoring.AlertPolicy]:
        dag = compiled.dag_id
        where = (
            f'resource.labels.workflow_name = "{dag}" AND resource.labels.environment_name = "{stack.environment_name}"'
        )
        child = ResourceOptions(parent=self)
        out = {
            "failed": gcp.monitoring.AlertPolicy(
                f"{name}-failed-runs",
                display_name=f"Composer DAG {dag}: failed run",
                combiner="OR",
                conditions=[
                    gcp.monitoring.AlertPolicyConditionArgs(
                        display_name=f"{dag} run failed",
                        condition_threshold=gcp.monitoring.AlertPolicyConditionConditionThresholdArgs(
                            filter=f'resource.type = "cloud_composer_workflow" AND metric.type = "{RUN_COUNT}" '
                            f'AND metric.labels.state = "failed" AND {where}',
                            comparison="COMPARISON_GT",
                            threshold_value=0,
                            duration="0s",
                            aggregations=[
                                gcp.monitoring.AlertPolicyConditionConditionThresholdAggregationArgs(
                                    alignment_period="300s", per_series_aligner="ALIGN_SUM"
                                )
                            ],
                        ),
                    )
                ],
                notification_channels=list(args.notification_channels),
                user_labels=labels(args.environment),
                project=stack.project,
                opts=child,
            )
        }
        if compiled.stale_after_s:
            window = f"{compiled.stale_after_s}s"
            series = (
                'composer_googleapis_com:workflow_run_count{monitored_resource="cloud_composer_workflow",'
                f'workflow_name="{dag}",environment_name="{stack.environment_name}",state="success"}}'
            )
            out["stale"] = gcp.monitoring.AlertPolicy(
                f"{name}-stale-data",
                display_name=f"Composer DAG {dag}: no successful run in {window}",
                combiner="OR",
                conditions=[
                    gcp.monitoring.AlertPolicyConditionArgs(
                        display_name=f"{dag} data is stale",
                        condition_prometheus_query_language=(
                            gcp.monitoring.AlertPolicyConditionConditionPrometheusQueryLanguageArgs(
                                # No success sample in the window (schedule gap + SLA), or successes summing to 0.
                                query=f"absent_over_time({series}[{window}]) or sum(increase({series}[{window}])) < 1",
                                duration="0s",
                                evaluation_interval="300s",
                            )
                        ),
                    )
                ],
                notification_channels=list(args.notification_channels),
                user_labels=labels(args.environment),
                project=stack.project,
                opts=child,
            )
        return out

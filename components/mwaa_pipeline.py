"""Amazon MWAA deployment of compiled pipelines: the environment (created, shared or looked up by name),
each DAG file under its bucket's `dags/` prefix, the secrets its HTTP tasks read, and the execution
role's policy for what its tasks call.

Thin: every decision (DAG source, requirements, policy documents, secret names) comes from
`pipespec.targets.mwaa.compile`; this module fills in the `${...}` placeholders and maps the
documents onto pulumi-aws resources.

Placeholders: `${AlertTopicArn}` -> `alert_topic_arn`; `${SourceBucketArn}` -> the environment's bucket;
`${SecretArn:<name>}` -> the secret created here; `${Partition}` / `${Region}` / `${Account}` -> the provider's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
from pulumi import Input, Output, ResourceOptions

from pipespec.environment import Environment
from pipespec.notify_plan import bounded
from pipespec.targets.mwaa.compile import (
    ALERT_TOPIC_PLACEHOLDER,
    CompiledMwaa,
    airflow_configuration,
    requirements_txt,
)
from pipespec.targets.mwaa.iam import environment_policy
from pipespec.targets.mwaa.stack import MwaaStack

from .alerting.channels import aws_tags

TYPE = "pipespec:aws:MwaaPipeline"
ENV_TYPE = "pipespec:aws:MwaaEnvironment"
DAGS = "dags"
REQUIREMENTS = "requirements.txt"
PLACEHOLDER = re.compile(r"\$\{([A-Za-z]+(?::[^}]*)?)\}")
ASSUME = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": ["airflow-env.amazonaws.com", "airflow.amazonaws.com"]},
            "Action": "sts:AssumeRole",
        }
    ],
}


class MwaaDeployError(ValueError):
    """The compiled pipeline cannot deploy with these arguments."""


def substitute(text: str, values: Mapping[str, str]) -> str:
    """Replace every `${Name}` / `${Name:key}`; an unknown one is an error, never left in place."""

    def one(match: re.Match[str]) -> str:
        if match.group(1) not in values:
            raise MwaaDeployError(f"no value for placeholder {match.group(0)}")
        return values[match.group(1)]

    return PLACEHOLDER.sub(one, text)


def _bucket_name(arn: str) -> str:
    return arn.split(":::", 1)[-1]


def _account_values() -> Output[dict[str, str]]:
    identity, region, partition = aws.get_caller_identity_output(), aws.get_region_output(), aws.get_partition_output()
    return Output.all(identity.account_id, region.region, partition.partition).apply(
        lambda v: {"Account": v[0], "Region": v[1], "Partition": v[2]}
    )


@dataclass
class MwaaEnvironmentArgs:
    stack: MwaaStack
    environment: Environment
    requirements: str  # requirements_txt(stack, every CompiledMwaa the environment runs)


class MwaaEnvironment(pulumi.ComponentResource):
    """An MWAA environment with its versioned DAG bucket, requirements.txt and execution role."""

    bucket: Output[str]
    execution_role_arn: Output[str]
    execution_role_name: Output[str]
    webserver_url: Output[str]

    def __init__(self, name: str, args: MwaaEnvironmentArgs, opts: ResourceOptions | None = None) -> None:
        stack, env = args.stack, args.environment
        _check_network(stack)
        super().__init__(ENV_TYPE, name, None, opts)
        protect = env.protect if stack.protect is None else stack.protect
        child, kept = ResourceOptions(parent=self), ResourceOptions(parent=self, protect=protect)
        tags = aws_tags(env)
        slug = re.sub(r"[^a-z0-9-]", "-", stack.environment_name.lower())
        bucket = aws.s3.Bucket(  # MWAA only reads buckets whose names start with "airflow-"
            f"{name}-bucket",
            bucket_prefix=bounded(f"airflow-{slug}-", 37),
            force_destroy=not protect,
            tags=tags,
            opts=kept,
        )
        versioning = aws.s3.BucketVersioning(
            f"{name}-bucket", bucket=bucket.bucket, versioning_configuration={"status": "Enabled"}, opts=child
        )
        public = aws.s3.BucketPublicAccessBlock(
            f"{name}-bucket",
            bucket=bucket.bucket,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-execution",
            name=bounded(f"mwaa-{stack.environment_name}-execution", 64),
            assume_role_policy=json.dumps(ASSUME, sort_keys=True),
            tags=tags,
            opts=child,
        )
        document = json.dumps(environment_policy(stack), sort_keys=True)
        policy = aws.iam.RolePolicy(
            f"{name}-execution",
            role=role.name,
            policy=Output.all(_account_values(), bucket.arn).apply(
                lambda v: substitute(document, {**v[0], "SourceBucketArn": v[1]})
            ),
            opts=child,
        )
        requirements = aws.s3.BucketObjectv2(
            f"{name}-requirements",
            bucket=bucket.bucket,
            key=REQUIREMENTS,
            content=args.requirements,
            content_type="text/plain",
            opts=ResourceOptions(parent=self, depends_on=[versioning]),
        )
        level = stack.log_level  # all five log groups, airflow-<environment>-<type>
        logging = aws.mwaa.EnvironmentLoggingConfigurationArgs(
            dag_processing_logs=aws.mwaa.EnvironmentLoggingConfigurationDagProcessingLogsArgs(
                enabled=True, log_level=level
            ),
            scheduler_logs=aws.mwaa.EnvironmentLoggingConfigurationSchedulerLogsArgs(enabled=True, log_level=level),
            task_logs=aws.mwaa.EnvironmentLoggingConfigurationTaskLogsArgs(enabled=True, log_level=level),
            webserver_logs=aws.mwaa.EnvironmentLoggingConfigurationWebserverLogsArgs(enabled=True, log_level=level),
            worker_logs=aws.mwaa.EnvironmentLoggingConfigurationWorkerLogsArgs(enabled=True, log_level=level),
        )
        environment = aws.mwaa.Environment(
            f"{name}-environment",
            name=stack.environment_name,
            airflow_version=stack.airflow_version,
            environment_class=stack.environment_class,
            min_workers=stack.min_workers,
            max_workers=stack.max_workers,
            execution_role_arn=role.arn,
            source_bucket_arn=bucket.arn,
            dag_s3_path=DAGS,
            requirements_s3_path=REQUIREMENTS,
            requirements_s3_object_version=requirements.version_id,
            network_configuration=aws.mwaa.EnvironmentNetworkConfigurationArgs(
                subnet_ids=list(stack.subnet_ids), security_group_ids=list(stack.security_group_ids)
            ),
            webserver_access_mode=stack.webserver_access_mode,
            logging_configuration=logging,
            airflow_configuration_options=airflow_configuration(stack) or None,
            kms_key=stack.kms_key_arn,
            weekly_maintenance_window_start=stack.weekly_maintenance_window_start,
            tags=tags,
            opts=ResourceOptions(parent=self, protect=protect, depends_on=[policy, public]),
        )
        self.environment = environment
        self.bucket = bucket.bucket
        self.execution_role_arn = role.arn
        self.execution_role_name = role.name
        self.webserver_url = environment.webserver_url
        self.register_outputs(
            {"name": environment.name, "bucket": bucket.bucket, "executionRoleArn": role.arn, "url": self.webserver_url}
        )


@dataclass
class MwaaPipelineArgs:
    compiled: CompiledMwaa
    stack: MwaaStack
    environment: Environment
    alert_topic_arn: Input[str] | None = None  # AwsAlerting.topic_arn(deployed name)
    shared_environment: MwaaEnvironment | None = None  # else created (create_environment) or looked up by name


class MwaaPipeline(pulumi.ComponentResource):
    """One DAG on MWAA; `execution_role_arn` is what publishes its alerts (for `AwsAlerting.allow_publishers`)."""

    execution_role_arn: Output[str]

    def __init__(self, name: str, args: MwaaPipelineArgs, opts: ResourceOptions | None = None) -> None:
        compiled, stack, env = args.compiled, args.stack, args.environment
        if compiled.missing_stack:
            keys = ", ".join(f"pipespec:mwaa.{k}" for k in compiled.missing_stack)
            raise MwaaDeployError(f"{compiled.dag_id} was compiled without a stack; set {keys} and compile again")
        if ALERT_TOPIC_PLACEHOLDER[2:-1] in compiled.placeholders and args.alert_topic_arn is None:
            raise MwaaDeployError(
                f"{compiled.dag_id}: the DAG publishes alerts to {ALERT_TOPIC_PLACEHOLDER}: pass alert_topic_arn "
                "(AwsAlerting.topic_arn) or set mwaa.alert_topic_arn in the stack config"
            )
        if args.shared_environment is None and stack.create_environment:
            _check_network(stack)  # before anything is registered
        super().__init__(TYPE, name, None, opts)
        child = ResourceOptions(parent=self)
        manage_role = True
        if args.shared_environment is not None or stack.create_environment:
            shared = args.shared_environment or MwaaEnvironment(
                f"{name}-env", MwaaEnvironmentArgs(stack, env, requirements_txt(stack, [compiled])), child
            )
            bucket, prefix = shared.bucket, Output.from_input(DAGS)
            role_arn, role_name, url = shared.execution_role_arn, shared.execution_role_name, shared.webserver_url
        else:  # an existing environment: its bucket, DAG folder and role, read by name
            found = aws.mwaa.Environment.get(f"{name}-env", stack.environment_name, opts=child)
            found.airflow_version.apply(lambda v: _same_version(v, stack))
            bucket = found.source_bucket_arn.apply(_bucket_name)
            prefix = found.dag_s3_path.apply(lambda p: (p or DAGS).strip("/"))
            role_arn, url = found.execution_role_arn, found.webserver_url
            role_name = role_arn.apply(lambda arn: arn.rsplit("/", 1)[-1])
            manage_role = stack.manage_existing_role

        values: dict[str, Input[str]] = {"AlertTopicArn": args.alert_topic_arn or stack.alert_topic_arn or ""}
        values.update({f"SecretArn:{n}": arn for n, arn in self._secrets(name, compiled, env, child).items()})
        depends: list[pulumi.Resource] = []
        statements = compiled.task_policy["Statement"]
        if statements and manage_role:
            document = json.dumps(compiled.task_policy, sort_keys=True)
            depends.append(
                aws.iam.RolePolicy(
                    f"{name}-tasks",
                    name=bounded(f"pipespec-{compiled.dag_id}", 128),
                    role=role_name,
                    policy=Output.all(_account_values(), Output.all(**values)).apply(
                        lambda v: substitute(document, {**v[0], **v[1]})
                    ),
                    opts=child,
                )
            )
        elif statements:
            pulumi.log.warn(
                f"{compiled.dag_id}: manage_existing_role is false: attach the DAG's task policy "
                f"({len(statements)} statements, `pipespec render --target mwaa`) to the execution role yourself",
                resource=self,
            )
        source = Output.from_input(values["AlertTopicArn"]).apply(
            lambda topic: compiled.source.replace(ALERT_TOPIC_PLACEHOLDER, topic)
        )
        # The DAG appears once its tasks may call what they call.
        self.dag_object = aws.s3.BucketObjectv2(
            f"{name}-dag",
            bucket=bucket,
            key=prefix.apply(lambda p: f"{p}/{compiled.filename}" if p else compiled.filename),
            content=source,
            content_type="text/x-python",
            opts=ResourceOptions(parent=self, depends_on=depends),
        )
        self.execution_role_arn = role_arn
        self.register_outputs(
            {
                "dagId": compiled.dag_id,
                "dagObject": self.dag_object.key,
                "bucket": self.dag_object.bucket,
                "executionRoleArn": role_arn,
                "webserverUrl": url,
            }
        )

    @staticmethod
    def _secrets(name: str, compiled: CompiledMwaa, env: Environment, child: ResourceOptions) -> dict[str, Output[str]]:
        """Airflow variables (bearer tokens, secret end to end) and HTTP connections for the secrets backend."""
        config = pulumi.Config("pipespec")
        out: dict[str, Output[str]] = {}
        for s in compiled.secrets:
            stem = f"{name}-{s.name.rsplit('/', 1)[-1]}"
            secret = aws.secretsmanager.Secret(
                stem,
                name=s.name,
                description=f"pipespec: Airflow {s.name.split('/')[1][:-1]} of DAG {compiled.dag_id}",
                recovery_window_in_days=7 if env.protect else 0,  # names can be reused at once outside prod
                tags=aws_tags(env),
                opts=child,
            )
            value: Input[str] = config.require_secret(s.config_key) if s.config_key else s.text or ""
            aws.secretsmanager.SecretVersion(stem, secret_id=secret.id, secret_string=value, opts=child)
            out[s.name] = secret.arn
        return out


def _check_network(stack: MwaaStack) -> None:
    missing = stack.network_problems()
    if missing:
        raise MwaaDeployError(
            f"MWAA environment {stack.environment_name!r} cannot be created without {'; '.join(missing)} "
            "(pipespec:mwaa in the stack config), or set create_environment: false to use an existing one"
        )


def _same_version(found: Any, stack: MwaaStack) -> None:
    """The DAG flavour follows the stack's airflow_version: refuse an environment running another one."""
    if found and found != stack.airflow_version:
        raise MwaaDeployError(
            f"MWAA environment {stack.environment_name!r} runs Airflow {found}, but pipespec:mwaa.airflow_version "
            f"is {stack.airflow_version!r}: set it to {found!r} so the DAGs match the environment"
        )

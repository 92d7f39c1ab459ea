"""MwaaPipeline under the Pulumi mock engine: environment (or lookup), DAG and requirements objects, IAM, secrets."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from pulumi.runtime import mocks
from test_mwaa_support import AWS_MEDALLION, ECS_STACK, NETWORK, ROOT, compile_for, load_ir, medallion_ir, stack

from components import synth
from components.mwaa_pipeline import (
    MwaaDeployError,
    MwaaEnvironment,
    MwaaEnvironmentArgs,
    MwaaPipeline,
    MwaaPipelineArgs,
)
from components.synth import ACCOUNT, REGION, Registered, SynthRun, run_pulumi
from pipespec.environment import Deployment, Environment
from pipespec.targets.mwaa.compile import CompiledMwaa, compile_mwaa, requirements_txt
from pipespec.targets.mwaa.iam import WILDCARDS
from pipespec.targets.mwaa.stack import MwaaStack

TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:aws_medallion-alerts"
TOKEN = "s3cr3t-bearer-token"
SECRETS = {"pipespec:pbiBearerToken": TOKEN}
ROLE = "aws:iam/rolePolicy:RolePolicy"
OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2"
ENV = "aws:mwaa/environment:Environment"


def _deploy(
    compiled: CompiledMwaa, settings: MwaaStack, env: Environment | None = None, topic: str | None = TOPIC
) -> SynthRun:
    env = env or Environment(name="prod", protect=True, tags={"team": "data"})

    def program() -> None:
        MwaaPipeline("aws_medallion", MwaaPipelineArgs(compiled, settings, env, alert_topic_arn=topic))

    return run_pulumi(program, config=SECRETS, secret_keys=tuple(SECRETS))


def _created(**settings: Any) -> tuple[CompiledMwaa, MwaaStack, SynthRun]:
    values = {**ECS_STACK, **NETWORK, "environment_name": "data-prod", **settings}
    compiled = compile_for(load_ir(AWS_MEDALLION), env=Environment(name="prod", protect=True), **values)
    settings_model = stack(**values)
    return compiled, settings_model, _deploy(compiled, settings_model)


def _policy(r: Registered) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(r.plain("policy"))
    return document


def test_created_environment_gets_the_stack_settings_and_reads_the_bucket() -> None:
    _, _, run = _created(environment_class="mw1.medium", max_workers=5, webserver_access_mode="PUBLIC_ONLY")
    env = run.one(ENV)
    bucket = run.one("aws:s3/bucket:Bucket")
    role = run.one("aws:iam/role:Role")
    inputs = env.inputs
    assert env.protect is True and bucket.protect is True
    assert inputs["name"] == "data-prod" and inputs["airflowVersion"] == "3.3.1"
    assert inputs["environmentClass"] == "mw1.medium" and inputs["maxWorkers"] == 5
    assert inputs["webserverAccessMode"] == "PUBLIC_ONLY"
    assert inputs["networkConfiguration"] == {
        "subnetIds": NETWORK["subnet_ids"],
        "securityGroupIds": NETWORK["security_group_ids"],
    }
    assert inputs["sourceBucketArn"] == f"arn:aws:s3:::{bucket.name}" and inputs["dagS3Path"] == "dags"
    assert inputs["executionRoleArn"] == f"arn:aws:iam::{ACCOUNT}:role/mwaa-data-prod-execution"
    assert inputs["requirementsS3Path"] == "requirements.txt"
    options = env.plain("airflowConfigurationOptions")  # pulumi-aws keeps these secret
    assert env.has_secret("airflowConfigurationOptions") and options["secrets.backend"].endswith(
        "SecretsManagerBackend"
    )
    assert all(v == {"enabled": True, "logLevel": "INFO"} for v in inputs["loggingConfiguration"].values())
    assert len(inputs["loggingConfiguration"]) == 5
    assert bucket.inputs["bucketPrefix"].startswith("airflow-data-prod-")  # MWAA reads only airflow-* buckets
    assert run.one("aws:s3/bucketVersioning:BucketVersioning").inputs["versioningConfiguration"] == {
        "status": "Enabled"
    }
    block = run.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    assert all(
        block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Principal"]["Service"]
    assert trust == ["airflow-env.amazonaws.com", "airflow.amazonaws.com"]
    # The environment starts once its role may read the bucket and the bucket is private.
    policies = {r.name: r for r in run.by_type(ROLE)}
    assert policies["aws_medallion-env-execution"].urn in env.dependencies
    assert run.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").urn in env.dependencies


def test_dag_and_requirements_objects_are_in_the_environment_bucket() -> None:
    compiled, settings, run = _created()
    bucket = run.one("aws:s3/bucket:Bucket").name
    objects = {r.inputs["key"]: r for r in run.by_type(OBJECT)}
    assert set(objects) == {"dags/aws_medallion.py", "requirements.txt"}
    assert all(o.inputs["bucket"] == bucket for o in objects.values())
    dag = objects["dags/aws_medallion.py"].plain("content")
    assert dag == compiled.source.replace("${AlertTopicArn}", TOPIC) and "${" not in dag
    assert f'ALERT_TOPIC_ARN = "{TOPIC}"' in dag
    assert objects["requirements.txt"].plain("content") == requirements_txt(settings, [compiled])
    assert "apache-airflow-providers-amazon>=9.34.0,<10" in objects["requirements.txt"].plain("content")
    # The DAG appears only once its tasks may call what they call.
    tasks = {r.name: r for r in run.by_type(ROLE)}["aws_medallion-tasks"]
    assert tasks.urn in objects["dags/aws_medallion.py"].dependencies


def test_execution_role_policies_name_exact_arns_and_wildcards_only_where_aws_allows_nothing_else() -> None:
    _, _, run = _created()
    policies = {r.name: _policy(r) for r in run.by_type(ROLE)}
    env = {s["Sid"]: s for s in policies["aws_medallion-env-execution"]["Statement"]}
    bucket = run.one("aws:s3/bucket:Bucket").name
    assert env["WriteEnvironmentLogs"]["Resource"] == [f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:airflow-data-prod-*"]
    assert env["ReadDagsAndRequirements"]["Resource"] == [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]
    assert env["PublishEnvironmentMetrics"]["Resource"] == [f"arn:aws:airflow:{REGION}:{ACCOUNT}:environment/data-prod"]
    tasks = {s["Sid"]: s for s in policies["aws_medallion-tasks"]["Statement"]}
    assert tasks["PublishAlerts"]["Resource"] == [TOPIC]
    assert f"arn:aws:glue:{REGION}:{ACCOUNT}:job/ingest-crm" in tasks["RunGlueJobs"]["Resource"]
    assert tasks["RunEcsTasks"]["Resource"] == [f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/pipespec-runner:7"]
    secret_arns = {
        r.inputs["name"]: f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secretsmanager/{r.inputs['name']}"
        for r in run.by_type("aws:secretsmanager/secret:Secret")
    }
    assert tasks["ReadAirflowSecrets"]["Resource"] == sorted(secret_arns.values())
    for document in policies.values():
        text = json.dumps(document)
        assert "${" not in text
        for s in document["Statement"]:
            for arn in [s["Resource"]] if isinstance(s.get("Resource"), str) else s.get("Resource", []):
                if arn == "*":
                    assert set(s["Action"]) <= set(WILDCARDS), s
                else:
                    parts = arn.split(":", 5)
                    # The Celery queue's account is MWAA's own, the one documented exception.
                    assert "*" not in "".join(parts[1:4]) and ("*" not in parts[4] or s["Sid"].startswith("UseCelery"))
                    assert "*" not in parts[5][:-2], arn


def test_http_secrets_go_to_secrets_manager_and_the_token_stays_secret() -> None:
    _, _, run = _created()
    secrets = {r.inputs["name"]: r for r in run.by_type("aws:secretsmanager/secret:Secret")}
    assert set(secrets) == {
        "airflow/connections/pipespec_http_aws_medallion_api_powerbi_com",
        "airflow/variables/pipespec_secret_aws_medallion_pbiBearerToken",
    }
    versions = {r.name: r for r in run.by_type("aws:secretsmanager/secretVersion:SecretVersion")}
    token = versions["aws_medallion-pipespec_secret_aws_medallion_pbiBearerToken"]
    assert token.has_secret("secretString") and token.plain("secretString") == TOKEN
    assert TOKEN not in json.dumps(token.redacted())
    conn = versions["aws_medallion-pipespec_http_aws_medallion_api_powerbi_com"]
    assert json.loads(conn.plain("secretString")) == {"conn_type": "http", "host": "https://api.powerbi.com"}
    dag = next(r for r in run.by_type(OBJECT) if r.inputs["key"].endswith(".py"))
    assert TOKEN not in dag.plain("content")


def _read_state(self: Any, args: mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
    """What the AWS provider returns when reading an existing MWAA environment by name."""
    if args.typ == ENV and args.resource_id:
        name = args.resource_id
        return name, {
            "name": name,
            "airflowVersion": "3.3.1",
            "sourceBucketArn": f"arn:aws:s3:::airflow-{name}-bucket",
            "dagS3Path": "dags/",
            "executionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/service-role/{name}-execution",
            "webserverUrl": f"{name}.airflow.example",
        }
    return ORIGINAL(self, args)


ORIGINAL = synth._Mocks.new_resource


def test_existing_environment_is_looked_up_by_name_and_its_role_gets_the_task_policy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(synth._Mocks, "new_resource", _read_state)
    settings = stack(**ECS_STACK, create_environment=False, environment_name="shared-airflow")
    compiled = compile_for(load_ir(AWS_MEDALLION), **ECS_STACK)
    run = _deploy(compiled, settings)
    assert run.by_type(ENV) == [] and run.by_type("aws:s3/bucket:Bucket") == []  # read, not created
    (dag,) = run.by_type(OBJECT)  # no requirements.txt: the environment's owner manages it
    assert dag.inputs["bucket"] == "airflow-shared-airflow-bucket" and dag.inputs["key"] == "dags/aws_medallion.py"
    (tasks,) = run.by_type(ROLE)
    assert tasks.inputs["role"] == "shared-airflow-execution"
    # A stack that says 3.0.6 for an environment running 3.3.1 would upload a DAG of the wrong flavour.
    older = stack("3.0.6", **ECS_STACK, create_environment=False, environment_name="shared-airflow")
    with pytest.raises(Exception, match=r"runs Airflow 3\.3\.1"):
        _deploy(compile_for(load_ir(AWS_MEDALLION), "3.0.6", **ECS_STACK), older)


def test_a_shared_environment_serves_several_pipelines_with_the_union_of_their_requirements() -> None:
    settings = stack(**ECS_STACK, **NETWORK)
    first = compile_for(load_ir(AWS_MEDALLION), **ECS_STACK)
    second = compile_for(medallion_ir(), **ECS_STACK)
    env = Environment(name="staging")

    def program() -> None:
        shared = MwaaEnvironment(
            "mwaa", MwaaEnvironmentArgs(settings, env, requirements_txt(settings, [first, second]))
        )
        for name, compiled in (("first", first), ("second", second)):
            MwaaPipeline(
                name, MwaaPipelineArgs(compiled, settings, env, alert_topic_arn=TOPIC, shared_environment=shared)
            )

    run = run_pulumi(program, config=SECRETS, secret_keys=tuple(SECRETS))
    assert len(run.by_type(ENV)) == 1 and len(run.by_type("aws:iam/role:Role")) == 1
    keys = sorted(r.inputs["key"] for r in run.by_type(OBJECT))
    assert keys == ["dags/aws_medallion.py", "dags/medallion_daily_refresh.py", "requirements.txt"]
    requirements = next(r for r in run.by_type(OBJECT) if r.inputs["key"] == "requirements.txt").plain("content")
    assert "aws_medallion, medallion_daily_refresh" in requirements
    roles = {r.inputs["role"] for r in run.by_type(ROLE)}
    assert roles == {"mwaa-pipespec-execution"}  # each pipeline adds its own policy to the one execution role
    names = sorted(r.inputs.get("name", "") for r in run.by_type(ROLE))
    assert names == ["", "pipespec-aws_medallion", "pipespec-medallion_daily_refresh"]


def test_dev_environment_is_not_protected_and_an_airflow2_release_is_used() -> None:
    compiled = compile_for(medallion_ir(), "2.10.3")
    run = _deploy(compiled, stack("2.10.3", **NETWORK), Environment(name="dev", name_prefix="dev_"))
    env = run.one(ENV)
    assert env.protect is False and env.inputs["airflowVersion"] == "2.10.3"
    requirements = next(r for r in run.by_type(OBJECT) if r.inputs["key"] == "requirements.txt").plain("content")
    assert "constraints-2.10.3/constraints-3.11.txt" in requirements and "providers-standard" not in requirements


def test_missing_topic_or_network_is_a_clear_error() -> None:
    compiled = compile_for(medallion_ir())
    with pytest.raises(MwaaDeployError, match="alert_topic_arn"):
        _deploy(compiled, stack(**NETWORK), topic=None)
    with pytest.raises(MwaaDeployError, match="subnet_ids"):
        _deploy(compiled, stack())
    fixed = compile_for(medallion_ir(), alert_topic_arn=TOPIC, **NETWORK)
    run = _deploy(fixed, stack(alert_topic_arn=TOPIC, **NETWORK), topic=None)
    assert f'ALERT_TOPIC_ARN = "{TOPIC}"' in next(
        r for r in run.by_type(OBJECT) if r.inputs["key"].endswith(".py")
    ).plain("content")


def test_a_dag_rendered_without_a_stack_is_refused_with_the_settings_to_set() -> None:
    loose = compile_mwaa(load_ir(AWS_MEDALLION), Deployment(Environment(), stack(**NETWORK)), strict=False)
    with pytest.raises(MwaaDeployError, match=r"pipespec:mwaa\.glue_role_arn"):
        _deploy(loose, stack(**NETWORK))


def test_resources_are_children_of_the_component_and_named_after_the_pipeline() -> None:
    _, _, run = _created()
    component = run.one("pipespec:aws:MwaaPipeline")
    environment = run.one("pipespec:aws:MwaaEnvironment")
    assert environment.parent == component.urn
    assert all(r.parent for r in run.resources if r.type != "pipespec:aws:MwaaPipeline")
    assert all(r.name.startswith("aws_medallion") for r in run.resources)


def test_component_type_checks_against_the_provider_sdk() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--follow-imports=silent",
            "--cache-dir",
            ".mypy_cache",
            "components/mwaa_pipeline.py",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr

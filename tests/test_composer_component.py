"""ComposerPipeline under the Pulumi mock engine: environment (or lookup), DAG object, secrets, policies."""

from __future__ import annotations

from typing import Any

import pytest
from test_composer_support import ROOT, compile_for, load_ir

from components.composer_pipeline import (
    ComposerEnvironment,
    ComposerEnvironmentArgs,
    ComposerPipeline,
    ComposerPipelineArgs,
    split_gcs_prefix,
)
from components.synth import Registered, SynthRun, run_pulumi
from pipespec.environment import Environment
from pipespec.targets.composer.settings import ComposerStack

TOPIC = "projects/mock-project/topics/medallion-alerts"
TOKEN = "s3cr3t-bearer-token"


def _ir():  # type: ignore[no-untyped-def]
    text = (ROOT / "pipelines" / "medallion_daily_refresh.yaml").read_text(encoding="utf-8")
    return load_ir(text, "pipelines/medallion_daily_refresh.yaml")


def _run(stack: ComposerStack, env: Environment | None = None, **extra: Any) -> SynthRun:
    env = env or Environment(name="prod", protect=True, tags={"Team": "Data Eng"})
    compiled = compile_for(
        _ir(), stack.airflow_version, **{k: v for k, v in stack.model_dump().items() if k != "airflow_version"}
    )

    def program() -> None:
        ComposerPipeline(
            "medallion",
            ComposerPipelineArgs(
                compiled=compiled,
                stack=stack,
                environment=env,
                alert_topic=extra.get("alert_topic", TOPIC),
                notification_channels=["projects/mock-project/notificationChannels/email-data"],
            ),
        )

    return run_pulumi(program, config={"pipespec:pbiBearerToken": TOKEN}, secret_keys=("pipespec:pbiBearerToken",))


def test_created_environment_has_the_stack_config_and_is_protected_in_prod() -> None:
    run = _run(ComposerStack(environment_name="data-prod", environment_size="medium", project="mock-project"))
    env = run.one("gcp:composer/environment:Environment")
    assert env.protect is True
    inputs = env.inputs
    assert inputs["name"] == "data-prod" and inputs["region"] == "us-central1"
    software = inputs["config"]["softwareConfig"]
    assert software["imageVersion"] == "composer-3-airflow-3"
    assert software["airflowConfigOverrides"]["secrets-backend"].endswith("CloudSecretManagerBackend")
    assert inputs["config"]["environmentSize"] == "ENVIRONMENT_SIZE_MEDIUM"
    account = run.one("gcp:serviceaccount/account:Account")
    assert (
        inputs["config"]["nodeConfig"]["serviceAccount"]
        == f"{account.inputs['accountId']}@mock-project.iam.gserviceaccount.com"
    )
    assert inputs["labels"] == {"pipespec-environment": "prod", "team": "data_eng"}
    roles = {r.inputs["role"] for r in run.by_type("gcp:projects/iAMMember:IAMMember")}
    assert {
        "roles/composer.worker",
        "roles/pubsub.publisher",
        "roles/logging.logWriter",
        "roles/secretmanager.secretAccessor",
    } <= roles
    agent = run.one("gcp:serviceaccount/iAMMember:IAMMember")
    assert agent.inputs["role"] == "roles/composer.ServiceAgentV2Ext"
    assert agent.inputs["member"] == "serviceAccount:service-123456789@cloudcomposer-accounts.iam.gserviceaccount.com"
    # The environment waits for its service account's roles.
    member_urns = {r.urn for r in run.by_type("gcp:projects/iAMMember:IAMMember")}
    assert member_urns <= set(env.dependencies)


def test_dev_environment_is_not_protected_and_airflow2_image_is_used() -> None:
    stack = ComposerStack(airflow_version="2", image_version="composer-2.13.1-airflow-2.10.5")
    run = _run(stack, Environment(name="dev"))
    env = run.one("gcp:composer/environment:Environment")
    assert env.protect is False
    assert env.inputs["config"]["softwareConfig"]["imageVersion"] == "composer-2.13.1-airflow-2.10.5"


def test_dag_object_holds_the_compiled_source_with_the_topic_filled_in() -> None:
    stack = ComposerStack()
    run = _run(stack)
    obj = run.one("gcp:storage/bucketObject:BucketObject")
    assert obj.inputs["bucket"] == "medallion-env-environment-bucket"
    assert obj.inputs["name"] == "dags/medallion_daily_refresh.py"
    expected = compile_for(_ir()).source.replace("${AlertTopic}", TOPIC)
    # pulumi-gcp declares BucketObject.content secret, so the DAG source never shows in plain state.
    assert obj.has_secret("content")
    assert obj.plain("content") == expected
    assert f'ALERT_TOPIC = "{TOPIC}"' in expected and "${" not in expected


def test_existing_environment_is_looked_up_not_created() -> None:
    run = _run(ComposerStack(create_environment=False, environment_name="shared-env"))
    assert run.by_type("gcp:composer/environment:Environment") == []
    assert run.by_type("gcp:serviceaccount/account:Account") == []
    obj = run.one("gcp:storage/bucketObject:BucketObject")
    assert obj.inputs["bucket"] == "shared-env-bucket" and obj.inputs["name"] == "dags/medallion_daily_refresh.py"


def test_bearer_token_goes_to_secret_manager_and_stays_secret() -> None:
    run = _run(ComposerStack())
    secrets = {r.inputs["secretId"]: r for r in run.by_type("gcp:secretmanager/secret:Secret")}
    variable = "airflow-variables-pipespec_secret_medallion_daily_refresh_pbiBearerToken"
    connection = "airflow-connections-pipespec_http_medallion_daily_refresh_api_powerbi_com"
    assert set(secrets) == {variable, connection}
    versions = {r.name: r for r in run.by_type("gcp:secretmanager/secretVersion:SecretVersion")}
    token = versions["medallion-pipespec_secret_medallion_daily_refresh_pbiBearerToken-value"]
    assert token.has_secret("secretData") and token.plain("secretData") == TOKEN
    assert TOKEN not in str(token.redacted())
    conn = versions["medallion-pipespec_http_medallion_daily_refresh_api_powerbi_com-value"]
    assert conn.plain("secretData") == '{"conn_type": "http", "host": "https://api.powerbi.com"}'
    dag = run.one("gcp:storage/bucketObject:BucketObject")
    assert TOKEN not in dag.plain("content")


def _policy(run: SynthRun, name: str) -> Registered:
    return run.one("gcp:monitoring/alertPolicy:AlertPolicy", name)


def test_alert_policies_for_failed_runs_and_stale_data() -> None:
    run = _run(ComposerStack(environment_name="data-prod"))
    failed = _policy(run, "medallion-failed-runs").inputs
    threshold = failed["conditions"][0]["conditionThreshold"]
    assert 'metric.type = "composer.googleapis.com/workflow/run_count"' in threshold["filter"]
    assert 'metric.labels.state = "failed"' in threshold["filter"]
    assert 'resource.labels.workflow_name = "medallion_daily_refresh"' in threshold["filter"]
    assert 'resource.labels.environment_name = "data-prod"' in threshold["filter"]
    assert threshold["comparison"] == "COMPARISON_GT" and threshold["thresholdValue"] == 0
    assert failed["notificationChannels"] == ["projects/mock-project/notificationChannels/email-data"]
    stale = _policy(run, "medallion-stale-data").inputs
    query = stale["conditions"][0]["conditionPrometheusQueryLanguage"]["query"]
    assert "[100800s]" in query and 'workflow_name="medallion_daily_refresh"' in query and 'state="success"' in query
    assert stale["notificationChannels"] == failed["notificationChannels"]


def test_missing_alert_topic_is_a_clear_error() -> None:
    with pytest.raises(Exception, match="alert_topic"):
        _run(ComposerStack(), alert_topic=None)


def test_stack_alert_topic_needs_no_placeholder() -> None:
    stack = ComposerStack(alert_topic="projects/p/topics/fixed")
    run = _run(stack, alert_topic=None)
    content = run.one("gcp:storage/bucketObject:BucketObject").plain("content")
    assert 'ALERT_TOPIC = "projects/p/topics/fixed"' in content


def test_a_shared_environment_serves_several_pipelines() -> None:
    stack = ComposerStack(environment_name="shared")
    ir = _ir()
    compiled = compile_for(ir)
    other = compile_for(
        load_ir(
            (ROOT / "pipelines" / "medallion_daily_refresh.yaml")
            .read_text()
            .replace("name: medallion_daily_refresh", "name: second_pipeline")
        )
    )

    def program() -> None:
        env = Environment(name="staging")
        shared = ComposerEnvironment(
            "shared", ComposerEnvironmentArgs(stack, env, sorted({*compiled.roles, *other.roles}))
        )
        for name, c in (("first", compiled), ("second", other)):
            ComposerPipeline(name, ComposerPipelineArgs(c, stack, env, alert_topic=TOPIC, shared_environment=shared))

    run = run_pulumi(program, config={"pipespec:pbiBearerToken": TOKEN}, secret_keys=("pipespec:pbiBearerToken",))
    assert len(run.by_type("gcp:composer/environment:Environment")) == 1
    names = sorted(r.inputs["name"] for r in run.by_type("gcp:storage/bucketObject:BucketObject"))
    assert names == ["dags/medallion_daily_refresh.py", "dags/second_pipeline.py"]


def test_resources_are_children_of_the_component() -> None:
    run = _run(ComposerStack())
    component = run.one("pipespec:composer:Pipeline")
    obj = run.one("gcp:storage/bucketObject:BucketObject")
    assert obj.parent == component.urn
    assert all(r.parent for r in run.resources if r.type != "pipespec:composer:Pipeline")


def test_split_gcs_prefix() -> None:
    assert split_gcs_prefix("gs://bucket-1/dags") == ("bucket-1", "dags")
    assert split_gcs_prefix("gs://bucket-1") == ("bucket-1", "")
    with pytest.raises(ValueError):
        split_gcs_prefix("/home/airflow/gcs/dags")

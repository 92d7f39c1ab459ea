"""The Step Functions component under Pulumi mocks: what pulumi-aws would receive, least privilege, secrets."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from components import synth
from components.stepfunctions_pipeline import (
    StepFunctionsDeployError,
    StepFunctionsPipeline,
    StepFunctionsPipelineArgs,
)
from components.synth import Registered, SynthRun, run_pulumi
from pipespec.environment import Deployment, Environment
from pipespec.project import load_pipeline
from pipespec.targets.stepfunctions.compile import CompiledPipeline, compile_pipeline
from pipespec.targets.stepfunctions.iam import WILDCARD_ONLY
from pipespec.targets.stepfunctions.stack import StepFunctionsStack

ROOT = Path(__file__).resolve().parent.parent
TOPIC = "arn:aws:sns:us-east-1:123456789012:prod_medallion_daily_refresh-alerts"
STACK = StepFunctionsStack(
    ecs_cluster="data",
    ecs_task_definition="etl:3",
    ecs_container_name="etl",
    ecs_subnets=["subnet-1"],
    ecs_security_groups=["sg-1"],
    ecs_pass_roles=["arn:aws:iam::123456789012:role/etl-task", "arn:aws:iam::123456789012:role/etl-exec"],
    glue_role_arn="arn:aws:iam::123456789012:role/glue-jobs",
    parameters={"workspace_id": "w1", "dataset_id": "d1"},
    tracing=True,
)
PROD = Environment(name="prod", name_prefix="prod_", protect=True, tags={"team": "data"})
TOKEN = "pbi-token-value-123"
_synth_fake_outputs = synth._fake_outputs
SFN = "aws:sfn/stateMachine:StateMachine"
POLICY = "aws:iam/rolePolicy:RolePolicy"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def compiled(spec: str, env: Environment = PROD, stack: StepFunctionsStack = STACK) -> CompiledPipeline:
    ir = load_pipeline(ROOT / "pipelines" / spec, ["stepfunctions"]).ir
    assert ir is not None
    return compile_pipeline(ir, Deployment(env, stack))


def _fake_outputs(type_token: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """components.synth's outputs plus the `secretArn` AWS computes for an EventBridge connection
    (the shared mock does not fake it yet; without it the policy would name an empty resource)."""
    out = _synth_fake_outputs(type_token, name, inputs)
    if type_token == "aws:cloudwatch/eventConnection:EventConnection":
        out["arn"] = f"arn:aws:events:us-east-1:123456789012:connection/{inputs['name']}/0f5c"
        out["secretArn"] = (
            f"arn:aws:secretsmanager:us-east-1:123456789012:secret:events!connection/{inputs['name']}-Ab1"
        )
    return out


def deploy(c: CompiledPipeline, name: str = "medallion") -> SynthRun:
    def program() -> None:
        import pulumi

        p = StepFunctionsPipeline(name, StepFunctionsPipelineArgs(c, TOPIC))
        pulumi.export("state_machine_arn", p.state_machine_arn)
        pulumi.export("role_arn", p.role_arn)
        pulumi.export("alarm_arns", p.alarm_arns)

    with mock.patch.object(synth, "_fake_outputs", _fake_outputs):
        return run_pulumi(program, config={"pipespec:pbiBearerToken": TOKEN}, secret_keys=("pipespec:pbiBearerToken",))


@pytest.fixture(scope="module")
def medallion() -> tuple[CompiledPipeline, SynthRun]:
    c = compiled("medallion_daily_refresh.yaml")
    return c, deploy(c)


def statements(resource: Registered) -> list[dict[str, Any]]:
    doc = json.loads(resource.plain("policy"))
    assert doc["Version"] == "2012-10-17"
    out: list[dict[str, Any]] = doc["Statement"]
    return out


def test_medallion_deploys_every_resource_named_after_the_pipeline(
    medallion: tuple[CompiledPipeline, SynthRun],
) -> None:
    _, run = medallion
    names = sorted((r.type, r.name) for r in run.resources)
    assert names == [
        ("aws:cloudwatch/eventConnection:EventConnection", "medallion-connection-semantic_model_refresh"),
        ("aws:cloudwatch/logGroup:LogGroup", "medallion-logs"),
        (ALARM, "medallion-alarm-failed"),
        (ALARM, "medallion-alarm-stale"),
        (ALARM, "medallion-alarm-timed-out"),
        ("aws:iam/role:Role", "medallion-role"),
        ("aws:iam/role:Role", "medallion-scheduler-role"),
        (POLICY, "medallion-policy"),
        (POLICY, "medallion-scheduler-policy"),
        ("aws:scheduler/schedule:Schedule", "medallion-schedule"),
        (SFN, "medallion-machine"),
        ("pipespec:aws:StepFunctionsPipeline", "medallion"),
    ]
    component = run.one("pipespec:aws:StepFunctionsPipeline")
    assert all(r.parent == component.urn for r in run.resources if r is not component)


def test_state_machine_gets_the_compiled_definition_with_placeholders_filled(
    medallion: tuple[CompiledPipeline, SynthRun],
) -> None:
    c, run = medallion
    machine = run.one(SFN)
    role = run.one("aws:iam/role:Role", "medallion-role")
    logs = run.one("aws:cloudwatch/logGroup:LogGroup")
    definition = machine.plain("definition")
    assert "${" not in definition
    expected = c.main.text.replace("${AlertTopicArn}", TOPIC).replace(
        "${ConnectionArn:semantic_model_refresh}",
        "arn:aws:events:us-east-1:123456789012:connection/prod_medallion_daily_refresh-semantic_model_refresh/0f5c",
    )
    assert definition == expected  # the rendered document, byte for byte, with deploy-time values
    assert machine.inputs["name"] == "prod_medallion_daily_refresh"
    assert machine.inputs["type"] == "STANDARD"
    assert machine.inputs["roleArn"] == "arn:aws:iam::123456789012:role/prod_medallion_daily_refresh-sfn"
    assert machine.inputs["loggingConfiguration"] == {
        "includeExecutionData": False,
        "level": "ERROR",
        "logDestination": "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/states/"
        "prod_medallion_daily_refresh:*",
    }
    assert machine.inputs["tracingConfiguration"] == {"enabled": True}
    assert machine.inputs["tags"] == {"pipespec:pipeline": "medallion_daily_refresh", "team": "data"}
    policy = run.one(POLICY, "medallion-policy")
    assert policy.urn in machine.dependencies  # the role may deliver logs before the machine is created
    assert role.inputs["name"] == "prod_medallion_daily_refresh-sfn"
    assert logs.inputs["retentionInDays"] == 30 and logs.protect  # prod protects the logs
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "states.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    assert run.outputs["state_machine_arn"].endswith(":stateMachine:prod_medallion_daily_refresh")


def test_role_policy_names_exactly_what_the_tasks_use(medallion: tuple[CompiledPipeline, SynthRun]) -> None:
    _, run = medallion
    by_sid = {s["Sid"]: s for s in statements(run.one(POLICY, "medallion-policy"))}
    assert by_sid["PublishAlerts"]["Resource"] == [TOPIC]
    assert by_sid["RunEcsTasks"]["Resource"] == ["arn:aws:ecs:us-east-1:123456789012:task-definition/etl:3"]
    assert by_sid["RunEcsTasks"]["Condition"] == {
        "ArnEquals": {"ecs:cluster": ["arn:aws:ecs:us-east-1:123456789012:cluster/data"]}
    }
    assert by_sid["WatchAndStopEcsTasks"]["Resource"] == ["arn:aws:ecs:us-east-1:123456789012:task/data/*"]
    assert by_sid["PassEcsTaskRoles"]["Resource"] == sorted(STACK.ecs_pass_roles)
    assert by_sid["ManagedRulesForSyncJobs"]["Resource"] == [
        "arn:aws:events:us-east-1:123456789012:rule/StepFunctionsGetEventsForECSTaskRule"
    ]
    http = by_sid["CallHttpSemanticModelRefresh"]
    assert http["Condition"]["StringLike"] == {
        "states:HTTPEndpoint": "https://api.powerbi.com/v1.0/myorg/groups/w1/datasets/d1/refreshes"
    }
    assert http["Resource"] == ["arn:aws:states:us-east-1:123456789012:stateMachine:prod_medallion_daily_refresh"]
    assert "XRayHasNoResourceLevelPermissions" in by_sid  # tracing is on in this stack
    connection = "prod_medallion_daily_refresh-semantic_model_refresh"
    assert by_sid["UseConnectionSemanticModelRefresh"]["Resource"] == [
        f"arn:aws:events:us-east-1:123456789012:connection/{connection}/0f5c"
    ]
    assert by_sid["ReadConnectionSecretSemanticModelRefresh"]["Resource"] == [
        f"arn:aws:secretsmanager:us-east-1:123456789012:secret:events!connection/{connection}-Ab1"
    ]


def _no_needless_wildcards(run: SynthRun) -> None:
    for policy in run.by_type(POLICY):
        for s in statements(policy):
            resources = [s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"]
            for arn in resources:
                assert "${" not in arn
                if arn == "*":
                    # only actions without resource-level permissions, each statement saying so
                    assert set(s["Action"]) <= set(WILDCARD_ONLY), s
                    assert "NoResourceLevelPermissions" in s["Sid"]
                else:
                    parts = arn.split(":")
                    assert parts[0] == "arn" and "*" not in parts[1:5], arn  # partition/service/region/account


def test_policy_documents_have_no_wildcard_where_an_arn_is_possible(
    medallion: tuple[CompiledPipeline, SynthRun],
) -> None:
    _no_needless_wildcards(medallion[1])
    _no_needless_wildcards(deploy(compiled("glue_medallion_refresh.yaml"), "glue"))


def test_schedule_runs_exactly_this_machine_in_the_spec_timezone(medallion: tuple[CompiledPipeline, SynthRun]) -> None:
    _, run = medallion
    schedule = run.one("aws:scheduler/schedule:Schedule")
    machine_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:prod_medallion_daily_refresh"
    assert schedule.inputs["scheduleExpression"] == "cron(0 3 * * ? *)"
    assert schedule.inputs["scheduleExpressionTimezone"] == "UTC"
    assert schedule.inputs["state"] == "ENABLED"
    assert schedule.inputs["groupName"] == "default"
    assert schedule.inputs["flexibleTimeWindow"] == {"mode": "OFF"}
    assert schedule.inputs["target"]["arn"] == machine_arn
    scheduler_role = run.one("aws:iam/role:Role", "medallion-scheduler-role")
    assert schedule.inputs["target"]["roleArn"] == f"arn:aws:iam::123456789012:role/{scheduler_role.inputs['name']}"
    (allow,) = statements(run.one(POLICY, "medallion-scheduler-policy"))
    assert allow["Action"] == ["states:StartExecution"] and allow["Resource"] == [machine_arn]
    trust = json.loads(scheduler_role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Condition"]["ArnLike"]["aws:SourceArn"] == [
        "arn:aws:scheduler:us-east-1:123456789012:schedule/default/prod_medallion_daily_refresh"
    ]


def test_paused_stacks_deploy_the_schedule_disabled() -> None:
    run = deploy(compiled("medallion_daily_refresh.yaml", Environment(name="dev", pause_schedules=True)))
    assert run.one("aws:scheduler/schedule:Schedule").inputs["state"] == "DISABLED"


def test_alarms_watch_failures_timeouts_and_stale_data_and_route_to_the_topic(
    medallion: tuple[CompiledPipeline, SynthRun],
) -> None:
    _, run = medallion
    alarms = {r.name.removeprefix("medallion-alarm-"): r.redacted() for r in run.by_type(ALARM)}
    machine_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:prod_medallion_daily_refresh"
    for key, metric in (("failed", "ExecutionsFailed"), ("timed-out", "ExecutionsTimedOut")):
        a = alarms[key]
        assert (a["metricName"], a["namespace"], a["statistic"]) == (metric, "AWS/States", "Sum")
        assert a["comparisonOperator"] == "GreaterThanThreshold" and a["threshold"] == 0
        assert a["dimensions"] == {"StateMachineArn": machine_arn}
        assert a["alarmActions"] == [TOPIC] and a["treatMissingData"] == "notBreaching"
    stale = alarms["stale"]
    assert stale["metricName"] == "ExecutionsSucceeded"
    assert stale["comparisonOperator"] == "LessThanThreshold" and stale["threshold"] == 1
    # daily at 03:00 with a 4h SLA: no success in 28 hours means stale data
    assert (stale["period"], stale["evaluationPeriods"], stale["datapointsToAlarm"]) == (3600, 28, 28)
    assert stale["treatMissingData"] == "breaching"
    described = json.loads(stale["alarmDescription"])
    assert described["event"] == "sla_miss" and described["pipeline"] == "prod_medallion_daily_refresh"
    assert sorted(run.outputs["alarm_arns"]) == ["failed", "stale", "timed-out"]


def test_the_http_token_stays_a_secret_end_to_end(medallion: tuple[CompiledPipeline, SynthRun]) -> None:
    _, run = medallion
    connection = run.one("aws:cloudwatch/eventConnection:EventConnection")
    assert connection.has_secret("authParameters")
    assert connection.plain("authParameters") == {"apiKey": {"key": "Authorization", "value": f"Bearer {TOKEN}"}}
    assert connection.inputs["authorizationType"] == "API_KEY"
    for r in run.resources:
        assert TOKEN not in json.dumps(r.redacted(), default=str)


def test_glue_tasks_with_a_script_get_their_glue_job() -> None:
    c = compiled("glue_medallion_refresh.yaml")
    run = deploy(c, "glue")
    jobs = {r.name: r.inputs for r in run.by_type("aws:glue/job:Job")}
    assert sorted(jobs) == ["glue-glue-bronze_crm", "glue-glue-bronze_orders", "glue-glue-silver_transformation"]
    job = jobs["glue-glue-bronze_crm"]
    assert job["name"] == "prod_glue_medallion_refresh-bronze_crm"
    assert job["command"] == {
        "name": "glueetl",
        "pythonVersion": "3",
        "scriptLocation": "s3://company-glue-scripts/bronze/crm_ingestion.py",
    }
    assert (job["glueVersion"], job["workerType"], job["numberOfWorkers"]) == ("4.0", "G.1X", 5)
    assert job["roleArn"] == STACK.glue_role_arn and job["maxRetries"] == 0
    (glue,) = [s for s in statements(run.one(POLICY, "glue-policy")) if s["Sid"] == "RunGlueJobs"]
    assert glue["Resource"] == sorted(
        f"arn:aws:glue:us-east-1:123456789012:job/{n}"
        for n in (
            "gold-dimensional-load",
            "prod_glue_medallion_refresh-bronze_crm",
            "prod_glue_medallion_refresh-bronze_orders",
            "prod_glue_medallion_refresh-silver_transformation",
        )
    )
    definition = run.one(SFN).plain("definition")
    assert '"JobName":"gold-dimensional-load"' in definition


def test_missing_stack_settings_stop_the_deployment_with_their_config_keys() -> None:
    c = compiled("medallion_daily_refresh.yaml", stack=StepFunctionsStack())
    with pytest.raises(StepFunctionsDeployError, match=r"pipespec:stepfunctions\.ecs_subnets"):
        deploy(c)


def test_component_type_checks_against_the_provider_sdk() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--follow-imports=silent", "components/stepfunctions_pipeline.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr

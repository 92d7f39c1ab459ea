"""`GlueWorkflow` under Pulumi mocks: the inputs the AWS provider would receive.

The workflow's triggers, read back from the registered `aws.glue.Trigger` inputs, reproduce the
spec's dependency edges exactly (the Glue medallion pipeline and random DAGs); the role policy has
no wildcard resource; alert rules publish the pipespec alert to the pipeline's topic.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from test_glue_compile import dags, spec_edges, spec_text

from components.glue_workflow import GlueDeployError, GlueWorkflow, GlueWorkflowArgs
from components.synth import SynthRun, run_pulumi
from pipespec.environment import Deployment, Environment
from pipespec.ir import PipelineIR
from pipespec.project import load_pipeline, load_string
from pipespec.targets.glue.compile import CompiledWorkflow, compile_workflow
from pipespec.targets.glue.stack import GlueStack

ROOT = Path(__file__).resolve().parents[1]
MEDALLION = ROOT / "pipelines" / "glue_workflow_medallion.yaml"
TOPIC = "arn:aws:sns:us-east-1:123456789012:prod_glue_workflow_medallion-alerts"
TRIGGER = "aws:glue/trigger:Trigger"


def medallion() -> PipelineIR:
    loaded = load_pipeline(MEDALLION, targets=["glue"])
    assert loaded.ir is not None and loaded.ok
    return loaded.ir


def deploy(compiled: CompiledWorkflow, topic: str | None = TOPIC) -> SynthRun:
    return run_pulumi(lambda: GlueWorkflow("glue", GlueWorkflowArgs(compiled, alert_topic_arn=topic)))


def deployed_edges(run: SynthRun, existing: dict[str, str]) -> tuple[set[str], set[tuple[str, str]]]:
    """(tasks the start trigger starts, edges), read from the provider inputs only."""
    tasks = dict(existing)  # Glue job / crawler name -> task id
    for kind in ("job:Job", "crawler:Crawler"):
        for r in run.by_type(f"aws:glue/{kind}"):
            tasks[r.inputs["name"]] = r.name.split("-", 2)[2]  # logical names are <component>-<kind>-<task>

    def node(item: dict[str, Any]) -> str:
        return tasks[item.get("jobName") or item["crawlerName"]]

    roots: set[str] = set()
    edges: set[tuple[str, str]] = set()
    for r in run.by_type(TRIGGER):
        actions = [node(a) for a in r.inputs["actions"]]
        if r.inputs["type"] != "CONDITIONAL":
            roots |= set(actions)
            continue
        (target,) = actions
        edges |= {(node(c), target) for c in r.inputs["predicate"]["conditions"]}
    return roots, edges


def test_medallion_deploys_a_workflow_whose_triggers_are_the_spec_edges() -> None:
    ir = medallion()
    run = deploy(compile_workflow(ir))
    assert deployed_edges(run, {}) == spec_edges(ir)
    counts = {t: len(run.by_type(t)) for t in {r.type for r in run.resources}}
    assert counts == {
        "pipespec:aws:GlueWorkflow": 1,
        "aws:glue/workflow:Workflow": 1,
        "aws:glue/job:Job": 6,
        "aws:glue/crawler:Crawler": 2,
        TRIGGER: 7,
        "aws:iam/role:Role": 1,
        "aws:iam/rolePolicy:RolePolicy": 1,
        "aws:cloudwatch/eventRule:EventRule": 15,
        "aws:cloudwatch/eventTarget:EventTarget": 15,
    }
    component = run.one("pipespec:aws:GlueWorkflow")
    assert all(r.parent == component.urn for r in run.resources if r is not component)
    start = run.one(TRIGGER, "glue-start")
    assert (
        start.inputs["schedule"] == "cron(30 6 * * ? *)" and start.inputs["workflowName"] == "glue_workflow_medallion"
    )
    fct = run.one(TRIGGER, "glue-trigger-gold_fct_orders")
    assert fct.inputs["predicate"]["logical"] == "AND"
    # Conditions name the created jobs through their outputs: the trigger waits for them to exist.
    assert any(d.endswith("glue-job-silver_orders") for d in fct.dependencies)


def test_job_and_crawler_inputs_come_from_the_spec() -> None:
    run = deploy(compile_workflow(medallion()))
    orders = run.one("aws:glue/job:Job", "glue-job-silver_orders").redacted()
    assert orders["command"] == {
        "name": "glueetl",
        "pythonVersion": "3",
        "scriptLocation": "s3://company-glue-scripts/silver/orders.py",
    }
    assert (orders["workerType"], orders["numberOfWorkers"], orders["glueVersion"]) == ("G.1X", 10, "4.0")
    assert (orders["maxRetries"], orders["timeout"], orders["notificationProperty"]) == (
        1,
        120,
        {"notifyDelayAfter": 50},
    )
    assert orders["roleArn"] == "arn:aws:iam::123456789012:role/glue_workflow_medallion-glue"
    crawler = run.one("aws:glue/crawler:Crawler", "glue-crawler-bronze_catalog").redacted()
    assert crawler["databaseName"] == "bronze" and crawler["recrawlPolicy"] == {
        "recrawlBehavior": "CRAWL_NEW_FOLDERS_ONLY"
    }
    assert [t["path"] for t in crawler["s3Targets"]] == [
        "s3://company-lake/bronze/crm/",
        "s3://company-lake/bronze/orders/",
    ]
    start = run.one(TRIGGER, "glue-start").redacted()
    assert start["actions"][0] == {
        "arguments": {"--source_system": "crm"},
        "jobName": "glue_workflow_medallion-bronze_crm",
        "timeout": 60,
    }


def test_role_policy_is_filled_in_and_has_no_wildcard_resource() -> None:
    run = deploy(compile_workflow(medallion()))
    policy = json.loads(run.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    assert "${" not in json.dumps(policy)
    for statement in policy["Statement"]:
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        assert all(r.startswith("arn:aws:") for r in resources), statement
    logs = next(s for s in policy["Statement"] if s["Sid"] == "WriteGlueLogs")
    assert "arn:aws:logs:us-east-1:123456789012:log-group:/aws-glue/jobs/*" in logs["Resource"]
    trust = json.loads(run.one("aws:iam/role:Role").inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "glue.amazonaws.com"}


def test_alert_rules_publish_the_alert_to_the_topic_and_are_exposed() -> None:
    compiled = compile_workflow(medallion(), Deployment(Environment(name="prod", name_prefix="prod_"), GlueStack()))
    run = deploy(compiled)
    rule = run.one("aws:cloudwatch/eventRule:EventRule", "glue-alert-silver_orders-timeout")
    pattern = json.loads(rule.inputs["eventPattern"])
    assert pattern == {
        "detail": {"jobName": ["prod_glue_workflow_medallion-silver_orders"], "state": ["TIMEOUT"]},
        "detail-type": ["Glue Job State Change"],
        "source": ["aws.glue"],
    }
    target = run.one("aws:cloudwatch/eventTarget:EventTarget", "glue-alert-silver_orders-timeout")
    assert (
        target.inputs["arn"] == TOPIC and target.inputs["rule"] == "prod_glue_workflow_medallion-silver_orders-timeout"
    )
    template = target.inputs["inputTransformer"]["inputTemplate"]
    assert '"event": "timeout"' in template and '"environment": "prod"' in template


def test_alert_rule_arns_are_outputs_for_the_topic_policy() -> None:
    compiled = compile_workflow(medallion())

    def program() -> None:
        import pulumi

        wf = GlueWorkflow("glue", GlueWorkflowArgs(compiled, alert_topic_arn=TOPIC))
        pulumi.export("rules", wf.alert_rule_arns)
        pulumi.export("workflow", wf.workflow_name)

    run = run_pulumi(program)
    assert run.outputs["workflow"] == "glue_workflow_medallion"
    assert len(run.outputs["rules"]) == 15
    # By rule name, each the ARN of that rule (the mock engine's ARN format ends with the name).
    assert all(arn.startswith("arn:aws:") and arn.endswith(f"/{n}") for n, arn in run.outputs["rules"].items())
    assert "glue_workflow_medallion-silver_orders-sla-miss" in run.outputs["rules"]


def test_paused_environment_disables_the_schedule_and_protect_keeps_the_workflow() -> None:
    env = Environment(name="dev", name_prefix="dev_", pause_schedules=True, protect=True, tags={"team": "data"})
    run = deploy(compile_workflow(medallion(), Deployment(env, GlueStack())))
    start = run.one(TRIGGER, "glue-start").inputs
    assert (start["enabled"], start["startOnCreation"], start["name"]) == (
        False,
        False,
        "dev_glue_workflow_medallion-start",
    )
    assert all(t.inputs["enabled"] for t in run.by_type(TRIGGER) if t.name != "glue-start")
    assert run.one("aws:glue/workflow:Workflow").protect
    assert all(r.protect for r in run.by_type("aws:glue/job:Job") + run.by_type("aws:glue/crawler:Crawler"))
    assert not run.one("aws:iam/role:Role").protect
    assert run.one("aws:glue/workflow:Workflow").inputs["tags"]["team"] == "data"


def test_existing_role_from_stack_means_no_iam_resources() -> None:
    arn = "arn:aws:iam::123456789012:role/data-platform-glue"
    run = deploy(compile_workflow(medallion(), Deployment(Environment(), GlueStack(role_arn=arn))))
    assert not run.by_type("aws:iam/role:Role") and not run.by_type("aws:iam/rolePolicy:RolePolicy")
    assert {j.inputs["roleArn"] for j in run.by_type("aws:glue/job:Job")} == {arn}


def test_missing_alert_topic_fails_before_any_resource() -> None:
    compiled = compile_workflow(medallion())
    with pytest.raises(GlueDeployError, match="15 alert rule"):
        GlueWorkflow("glue", GlueWorkflowArgs(compiled, alert_topic_arn=None))


def _ir(text: str) -> PipelineIR:
    loaded = load_string(text, "prop.yaml", targets=["glue"])
    assert loaded.ir is not None and loaded.ok, [d.format() for d in loaded.diagnostics]
    return loaded.ir


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dags(max_tasks=10))
def test_random_dags_deploy_triggers_that_are_exactly_the_spec_edges(case: Any) -> None:
    deps, rules, crawlers, existing = case
    ir = _ir(spec_text(deps, rules, crawlers, existing))
    run = deploy(compile_workflow(ir))
    assert deployed_edges(run, {f"existing-{t}": t for t in existing}) == spec_edges(ir)
    assert len(run.by_type(TRIGGER)) == 1 + sum(1 for t in deps.values() if t)

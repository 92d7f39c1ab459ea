"""The Databricks component under the Pulumi mock engine: assertions on what the provider receives."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pulumi
import pytest

from components.databricks_job import TYPE_TOKEN, DatabricksJob, DatabricksJobArgs, PlaceholderError
from components.synth import SynthRun, redact, run_pulumi
from pipespec.environment import Deployment, Environment
from pipespec.ir import PipelineIR
from pipespec.project import load_pipeline, load_string
from pipespec.targets.databricks.compile import CompiledJob, substitute
from pipespec.targets.databricks.settings import DatabricksCluster, DatabricksRunAs
from pipespec.targets.databricks.stack import DatabricksStack
from pipespec.targets.databricks.target import TARGET

ROOT = Path(__file__).resolve().parents[1]
MEDALLION = ROOT / "pipelines" / "medallion_daily_refresh.yaml"
LAKEHOUSE = ROOT / "tests" / "golden" / "databricks" / "specs" / "lakehouse_ops.yaml"
JOB = "databricks:index/job:Job"
SECRETS = {"pipespec:pbiBearerToken": "pbi-token-value"}
CLUSTER = DatabricksCluster(spark_version="15.4.x-scala2.12", node_type_id="i3.xlarge", num_workers=4)
DESTINATIONS = {"ops_slack": "dest-slack-uuid", "leads_teams": "dest-teams-uuid"}


def _ir(path: Path = MEDALLION, text: str | None = None) -> PipelineIR:
    loaded = load_string(text, str(path), ["databricks"]) if text is not None else load_pipeline(path, ["databricks"])
    assert loaded.ok and loaded.ir is not None, [d.format() for d in loaded.diagnostics]
    return loaded.ir


def deploy(
    compiled: CompiledJob,
    destinations: dict[str, str] | None = None,
    job_ids: dict[str, str] | None = None,
) -> SynthRun:
    def program() -> None:
        job = DatabricksJob(
            compiled.pipeline,
            DatabricksJobArgs(
                compiled,
                destination_ids={k: pulumi.Output.from_input(v) for k, v in (destinations or {}).items()},
                job_ids=dict(job_ids or {}),
            ),
        )
        pulumi.export("job_id", job.job_id)
        pulumi.export("url", job.url)

    return run_pulumi(program, config=SECRETS, secret_keys=tuple(SECRETS))


_PLURALS = {
    "dependsOns": "depends_on",
    "onFailures": "on_failure",
    "onSuccesses": "on_success",
    "onStarts": "on_start",
    "onDurationWarningThresholdExceededs": "on_duration_warning_threshold_exceeded",
}
_GIT = {"url": "git_url", "provider": "git_provider", "branch": "git_branch", "tag": "git_tag", "commit": "git_commit"}


def _snake(key: str) -> str:
    return _PLURALS.get(key) or re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower()


def to_api(value: Any, parent: str = "") -> Any:
    """Mock inputs (camelCase, provider plurals) back to Jobs API settings, to compare with the compiler's."""
    if isinstance(value, dict):
        if parent == "git_source":
            return {_GIT[k]: v for k, v in value.items()}
        keys = {k: _snake(k) for k in value if k not in ("tags", "sparkConf", "baseParameters", "parameters")}
        out = {keys.get(k, _snake(k)): to_api(v, keys.get(k, _snake(k))) for k, v in value.items()}
        for raw in ("tags", "sparkConf", "baseParameters"):
            if raw in value:
                out[_snake(raw)] = value[raw]  # maps keyed by user strings: keys are not field names
        if isinstance(value.get("parameters"), dict):
            out["parameters"] = value["parameters"]
        return out
    if isinstance(value, list):
        return [to_api(v, parent) for v in value]
    return value


def _task(run: SynthRun, key: str) -> dict[str, Any]:
    job = run.one(JOB)
    return next(t for t in redact(job.inputs)["tasks"] if t["taskKey"] == key)


def test_medallion_deploys_one_job_with_the_specs_tasks_retries_schedule_health_and_alerts() -> None:
    run = deploy(TARGET.compile(_ir()))
    assert len(run.by_type(JOB)) == 1
    job = run.one(JOB, "medallion_daily_refresh")
    inputs = redact(job.inputs)
    tasks = {t["taskKey"]: t for t in inputs["tasks"]}
    assert sorted(tasks) == sorted(
        [
            "bronze_ingest_crm", "bronze_ingest_orders", "bronze_ingest_products", "silver_transform",
            "silver_quality_check", "gold_dim_customer", "gold_dim_product", "gold_dim_date",
            "gold_fct_order_line", "gold_quality_check", "semantic_model_refresh",
        ]
    )  # fmt: skip
    deps = {k: sorted(d["taskKey"] for d in t.get("dependsOns", [])) for k, t in tasks.items()}
    assert deps["silver_transform"] == ["bronze_ingest_crm", "bronze_ingest_orders", "bronze_ingest_products"]
    assert deps["gold_fct_order_line"] == ["gold_dim_customer", "gold_dim_date", "gold_dim_product"]
    assert deps["semantic_model_refresh"] == ["gold_quality_check"]
    assert deps["bronze_ingest_crm"] == []
    assert all(tasks[k]["runIf"] == "ALL_SUCCESS" for k in tasks if deps[k])
    # 3 retries, 5m -> 10m -> 20m in the spec: Databricks waits the mean, 700 s, before each.
    assert tasks["silver_transform"]["maxRetries"] == 3
    assert tasks["silver_transform"]["minRetryIntervalMillis"] == 700_000
    assert tasks["silver_transform"]["retryOnTimeout"] is False
    # Quality gates are not retried (bad data is not transient).
    assert "maxRetries" not in tasks["silver_quality_check"]
    assert tasks["gold_dim_date"]["timeoutSeconds"] == 3600
    assert inputs["schedule"] == {
        "quartzCronExpression": "0 0 3 * * ?",
        "timezoneId": "UTC",
        "pauseStatus": "UNPAUSED",
    }
    assert inputs["maxConcurrentRuns"] == 1
    assert inputs["timeoutSeconds"] == 6 * 3600
    assert inputs["health"] == {"rules": [{"metric": "RUN_DURATION_SECONDS", "op": "GREATER_THAN", "value": 14400}]}
    assert inputs["emailNotifications"] == {
        "onFailures": ["data-team@company.com"],
        "onDurationWarningThresholdExceededs": ["data-team@company.com"],
    }
    assert "webhookNotifications" not in inputs  # the spec routes only to an email channel
    dbt = tasks["silver_transform"]["dbtTask"]
    assert dbt["commands"] == ["dbt deps", "dbt run --select staging --target prod"]
    assert run.outputs["job_id"] == "medallion_daily_refresh-id"


def test_the_mapping_loses_nothing_the_compiler_wrote() -> None:
    for path in (MEDALLION, LAKEHOUSE):
        for stack in (DatabricksStack(), DatabricksStack(serverless=False, default_cluster=CLUSTER)):
            compiled = TARGET.compile(_ir(path), Deployment(Environment(name="prod"), stack))
            ids: dict[str, Any] = {f"destination:{k}": v for k, v in DESTINATIONS.items()}
            ids["job:medallion_daily_refresh"] = 4242
            run = deploy(compiled, DESTINATIONS, {"medallion_daily_refresh": "4242"})
            assert to_api(redact(run.one(JOB).inputs)) == substitute(compiled.settings, ids)


def test_placeholders_become_deployed_destination_and_job_ids() -> None:
    run = deploy(TARGET.compile(_ir(LAKEHOUSE)), DESTINATIONS, {"medallion_daily_refresh": "4242"})
    inputs = redact(run.one(JOB).inputs)
    assert inputs["webhookNotifications"]["onFailures"] == [{"id": "dest-slack-uuid"}]
    assert inputs["webhookNotifications"]["onStarts"] == [{"id": "dest-teams-uuid"}]
    assert _task(run, "run_medallion")["runJobTask"] == {"jobId": 4242}
    assert _task(run, "publish_report")["webhookNotifications"]["onFailures"] == [{"id": "dest-slack-uuid"}]
    assert "${" not in str(inputs)


def test_a_missing_destination_or_pipeline_fails_before_anything_is_created() -> None:
    compiled = TARGET.compile(_ir(LAKEHOUSE))
    with pytest.raises(PlaceholderError) as err:
        deploy(compiled, {"ops_slack": "x"}, {})
    assert "notification channel 'leads_teams'" in str(err.value)
    assert "pipeline 'medallion_daily_refresh' (not deployed in this stack" in str(err.value)


def test_task_secrets_stay_secret_and_the_job_waits_for_them_and_the_runner() -> None:
    run = deploy(TARGET.compile(_ir()))
    secret = run.one("databricks:index/secret:Secret")
    assert secret.has_secret("stringValue")
    assert secret.plain("stringValue") == "pbi-token-value"
    assert secret.inputs["key"] == "pbiBearerToken"
    assert run.one("databricks:index/secretScope:SecretScope").inputs["name"] == "medallion_daily_refresh"
    runner = run.one("databricks:index/workspaceFile:WorkspaceFile")
    assert runner.inputs["path"] == "/Shared/pipespec/medallion_daily_refresh/pipespec_runner.py"
    job = run.one(JOB)
    assert {secret.urn, runner.urn} <= set(job.dependencies)
    params = _task(run, "semantic_model_refresh")["sparkPythonTask"]["parameters"]
    assert params[params.index("--token-secret") + 1] == "medallion_daily_refresh/pbiBearerToken"
    assert "pbi-token-value" not in str(redact(job.inputs))
    assert all(r.parent == run.one(TYPE_TOKEN).urn for r in run.resources if r.type != TYPE_TOKEN)


def test_run_as_principal_may_read_the_scope() -> None:
    stack = DatabricksStack(run_as=DatabricksRunAs(service_principal_name="sp-app-id"))
    run = deploy(TARGET.compile(_ir(), Deployment(Environment(), stack)))
    acl = run.one("databricks:index/secretAcl:SecretAcl")
    assert (acl.inputs["principal"], acl.inputs["permission"]) == ("sp-app-id", "READ")
    assert redact(run.one(JOB).inputs)["runAs"] == {"servicePrincipalName": "sp-app-id"}


def test_group_permissions_are_one_permissions_resource_on_the_job() -> None:
    run = deploy(TARGET.compile(_ir(LAKEHOUSE)), DESTINATIONS, {"medallion_daily_refresh": "1"})
    perms = run.one("databricks:index/permissions:Permissions", "lakehouse_ops-permissions")
    assert perms.inputs["jobId"] == "lakehouse_ops-id"
    assert perms.inputs["accessControls"] == [
        {"groupName": "analysts", "permissionLevel": "CAN_VIEW"},
        {"groupName": "data-engineers", "permissionLevel": "CAN_MANAGE_RUN"},
    ]


def _retries_changed(text: str) -> str:
    old = "  silver_transform:\n    kind: dbt\n"
    assert old in text
    return text.replace(old, old + "    retries: {count: 5, delay: 2m, backoff: fixed}\n")


def test_changing_one_tasks_retries_changes_only_that_task() -> None:
    text = MEDALLION.read_text(encoding="utf-8")
    before = deploy(TARGET.compile(_ir(text=text)))
    after = deploy(TARGET.compile(_ir(text=_retries_changed(text))))
    assert [r.urn for r in before.sorted()] == [r.urn for r in after.sorted()]
    for old, new in zip(before.sorted(), after.sorted(), strict=True):
        if old.type != JOB:
            assert redact(old.inputs) == redact(new.inputs), old.urn
    old_job, new_job = redact(before.one(JOB).inputs), redact(after.one(JOB).inputs)
    changed = [a["taskKey"] for a, b in zip(old_job["tasks"], new_job["tasks"], strict=True) if a != b]
    assert changed == ["silver_transform"]
    assert {k for k in old_job if old_job[k] != new_job[k]} == {"tasks"}
    task = _task(after, "silver_transform")
    assert (task["maxRetries"], task["minRetryIntervalMillis"]) == (5, 120_000)


def test_adding_a_task_adds_no_resource() -> None:
    text = MEDALLION.read_text(encoding="utf-8")
    extra = (
        text
        + "  vacuum_bronze:\n    kind: notebook\n    path: /Workspace/ops/vacuum\n    depends_on: [silver_transform]\n"
    )
    before, after = deploy(TARGET.compile(_ir(text=text))), deploy(TARGET.compile(_ir(text=extra)))
    assert [r.urn for r in before.sorted()] == [r.urn for r in after.sorted()]
    assert len(redact(after.one(JOB).inputs)["tasks"]) == len(redact(before.one(JOB).inputs)["tasks"]) + 1


def test_dev_stack_prefixes_pauses_and_shrinks_clusters_prod_does_not() -> None:
    ir = _ir(LAKEHOUSE)
    dev = Deployment(
        Environment(name="dev", name_prefix="dev_", pause_schedules=True),
        DatabricksStack(serverless=False, cluster_policy_id="dev-small-policy", num_workers=1),
    )
    prod = Deployment(Environment(name="prod", protect=True), DatabricksStack(serverless=False))
    ids = {"medallion_daily_refresh": "7"}
    dev_job = deploy(TARGET.compile(ir, dev), DESTINATIONS, ids).one(JOB)
    prod_run = deploy(TARGET.compile(ir, prod), DESTINATIONS, ids)
    prod_job = prod_run.one(JOB)
    d, p = redact(dev_job.inputs), redact(prod_job.inputs)
    assert (d["name"], p["name"]) == ("dev_lakehouse_ops", "lakehouse_ops")
    assert (d["trigger"]["pauseStatus"], p["trigger"]["pauseStatus"]) == ("PAUSED", "UNPAUSED")
    dev_clusters = {c["jobClusterKey"]: c["newCluster"] for c in d["jobClusters"]}
    prod_clusters = {c["jobClusterKey"]: c["newCluster"] for c in p["jobClusters"]}
    assert all(c["policyId"] == "dev-small-policy" and c["numWorkers"] == 1 for c in dev_clusters.values())
    assert all("autoscale" not in c for c in dev_clusters.values())
    assert prod_clusters["etl"]["autoscale"] == {"minWorkers": 2, "maxWorkers": 8}
    assert "policyId" not in prod_clusters["etl"]
    assert (dev_job.protect, prod_job.protect) == (False, True)
    runner = next(f for f in d["tasks"] if f["taskKey"] == "ping_catalog")["sparkPythonTask"]["pythonFile"]
    assert runner == "/Shared/pipespec/dev_lakehouse_ops/pipespec_runner.py"


def test_schedule_pause_follows_the_environment() -> None:
    ir = _ir()
    dev = deploy(TARGET.compile(ir, Deployment(Environment(name_prefix="dev_", pause_schedules=True))))
    assert redact(dev.one(JOB).inputs)["schedule"]["pauseStatus"] == "PAUSED"
    assert redact(dev.one(JOB).inputs)["name"] == "dev_medallion_daily_refresh"


def test_url_output_uses_the_stacks_workspace_url() -> None:
    stack = DatabricksStack(workspace_url="https://adb-123.azuredatabricks.net/")
    run = deploy(TARGET.compile(_ir(), Deployment(Environment(), stack)))
    assert run.outputs["url"] == "https://adb-123.azuredatabricks.net/jobs/medallion_daily_refresh-id"
    assert deploy(TARGET.compile(_ir())).outputs["url"].startswith("https://mock.cloud.databricks.com/")

"""The dbt Cloud component under Pulumi mocks: jobs, completion triggers and notifications exactly as
compiled, ids filled in; and mypy checks the component against pulumi-dbtcloud."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from components.dbtcloud_jobs import DbtCloudDeployError, DbtCloudJobs, DbtCloudJobsArgs
from components.synth import SynthRun, run_pulumi
from pipespec.environment import Deployment, Environment
from pipespec.project import load_string
from pipespec.targets.dbtcloud.compile import CompiledDbtCloud
from pipespec.targets.dbtcloud.target import TARGET, DbtCloudStack

ROOT = Path(__file__).resolve().parent.parent
JOB = "dbtcloud:index/job:Job"
TRIGGER = "dbtcloud:index/jobCompletionTrigger:JobCompletionTrigger"
NOTIFICATION = "dbtcloud:index/notification:Notification"
IDS = DbtCloudStack(project_id=101, environment_id=202, notification_user_id=7, deferring_environment_id=303)


def medallion_dbt_part() -> str:
    data = yaml.safe_load((ROOT / "pipelines" / "medallion_daily_refresh.yaml").read_text(encoding="utf-8"))
    dbt = {k: v for k, v in data["tasks"].items() if v["kind"] == "dbt"}
    for task in dbt.values():
        task["depends_on"] = [d for d in task.get("depends_on", []) if d in dbt]
    data["tasks"], data["targets"] = dbt, {"dbtcloud": {}}
    return yaml.safe_dump(data, sort_keys=False)


def compiled(text: str, stack: DbtCloudStack = IDS, env: Environment | None = None) -> CompiledDbtCloud:
    loaded = load_string(text, "spec.yaml", targets=["dbtcloud"])
    assert loaded.ir is not None and loaded.ok, [d.format() for d in loaded.diagnostics]
    return TARGET.compile(loaded.ir, Deployment(env or Environment(), stack))


def deploy(c: CompiledDbtCloud) -> SynthRun:
    return run_pulumi(lambda: DbtCloudJobs(c.pipeline, DbtCloudJobsArgs(c)))


def test_medallion_dbt_part_is_one_job_with_the_compiled_arguments() -> None:
    c = compiled(medallion_dbt_part(), env=Environment(name="prod", name_prefix="prod_"))
    run = deploy(c)
    component = run.one("pipespec:dbtcloud:Jobs", "medallion_daily_refresh")
    job = run.one(JOB, "medallion_daily_refresh-silver_transform")
    assert job.parent == component.urn
    assert job.redacted() == {
        "name": "prod_medallion_daily_refresh",
        "description": c.jobs[0]["description"],
        "projectId": 101,
        "environmentId": 202,
        "executeSteps": c.jobs[0]["execute_steps"],
        "targetName": "prod",
        "numThreads": 4,
        "generateDocs": False,
        "deferringEnvironmentId": 303,
        "execution": {"timeoutSeconds": 18000},
        "triggers": {"schedule": True, "githubWebhook": False, "gitProviderWebhook": False, "onMerge": False},
        "scheduleType": "custom_cron",
        "scheduleCron": "0 3 * * *",
    }
    note = run.one(NOTIFICATION, "medallion_daily_refresh-notify-data_team-data-team-company-com")
    assert note.redacted() == {
        "userId": 7,
        "notificationType": 4,
        "externalEmail": "data-team@company.com",
        "onFailures": ["medallion_daily_refresh-silver_transform-id"],
        "onSuccesses": [],
    }
    assert run.by_type(TRIGGER) == [] and run.by_type("dbtcloud:index/project:Project") == []


def test_jobs_are_chained_by_completion_triggers_named_after_their_keys() -> None:
    text = """
apiVersion: pipespec/v1
name: chain
owner: t
targets: {dbtcloud: {}}
tasks:
  seed: {kind: dbt, command: seed}
  stg: {kind: dbt, command: run, select: staging, depends_on: [seed]}
  snap: {kind: dbt, command: snapshot, depends_on: [seed]}
  fix: {kind: dbt, command: run, select: repair, depends_on: [stg], trigger_rule: one_failed}
"""
    run = deploy(compiled(text))
    triggers = {r.name: r.redacted() for r in run.by_type(TRIGGER)}
    assert triggers == {
        "chain-stg-after-seed": {
            "jobId": "chain-stg-id",
            "triggerJobId": "chain-seed-id",
            "projectId": 101,
            "statuses": ["success"],
        },
        "chain-snap-after-seed": {
            "jobId": "chain-snap-id",
            "triggerJobId": "chain-seed-id",
            "projectId": 101,
            "statuses": ["success"],
        },
        "chain-fix-after-stg": {
            "jobId": "chain-fix-id",
            "triggerJobId": "chain-stg-id",
            "projectId": 101,
            "statuses": ["error"],
        },
    }
    jobs = {r.name: r.inputs for r in run.by_type(JOB)}
    assert jobs["chain-seed"]["triggers"]["schedule"] is False  # no schedule in the spec
    assert "scheduleCron" not in jobs["chain-stg"]


def test_project_and_environment_are_created_when_the_stack_names_none() -> None:
    c = compiled(
        medallion_dbt_part(),
        DbtCloudStack(notification_user_id=7, deployment_type="production"),
        Environment(name="prod", name_prefix="prod_", protect=True),
    )
    run = deploy(c)
    project = run.one("dbtcloud:index/project:Project", "medallion_daily_refresh-project")
    env = run.one("dbtcloud:index/environment:Environment", "medallion_daily_refresh-environment")
    assert project.inputs == {"name": "prod_pipespec"} and project.protect
    assert env.redacted() == {
        "projectId": "medallion_daily_refresh-project-id",
        "name": "prod",
        "type": "deployment",
        "dbtVersion": "latest",
        "deploymentType": "production",
    }
    job = run.one(JOB)
    assert job.inputs["projectId"] == "medallion_daily_refresh-project-id"
    assert env.urn in job.dependencies  # the job waits for its environment


def test_missing_stack_settings_fail_before_any_resource() -> None:
    c = compiled(medallion_dbt_part(), DbtCloudStack(project_id=1, environment_id=2))  # no notification user
    with pytest.raises(DbtCloudDeployError, match=r"pipespec:dbtcloud\.notification_user_id"):
        DbtCloudJobs("m", DbtCloudJobsArgs(c))


def test_component_type_checks_against_pulumi_dbtcloud() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "components/dbtcloud_jobs.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_stack_that_asks_for_dbt_cloud_plans_and_deploys_it() -> None:
    """Stack config -> plan -> the Pulumi program, under mocks (skipped until the program wires the target)."""
    from pipespec.plan import plan_stack

    values = {
        "environment": {"name": "dev", "name_prefix": "dev_", "pause_schedules": True},
        "pipelines": {"dbt_daily_refresh": ["dbtcloud"]},
        "dbtcloud": {"project_id": 101, "environment_id": 202, "notification_user_id": 7, "threads": 2},
    }
    plan = plan_stack(ROOT, "dev", values, frozenset())
    [unit] = plan.units
    assert unit.target == "dbtcloud" and unit.deployment.settings == DbtCloudStack(
        project_id=101, environment_id=202, notification_user_id=7, threads=2
    )
    assert [d.filename for d in unit.documents] == ["dbt_daily_refresh.dbtcloud.json"]

    from components import program

    if not hasattr(program._Program, "dbtcloud"):
        pytest.skip("components/program.py does not deploy the dbtcloud target yet")
    run = run_pulumi(lambda: program.deploy(plan))
    job = run.one(JOB, "dbt_daily_refresh-source_freshness")
    assert job.inputs["name"] == "dev_dbt_daily_refresh" and job.inputs["numThreads"] == 2
    assert job.inputs["triggers"]["schedule"] is False  # the dev stack pauses schedules

"""Helpers shared by the MWAA tests: specs that use every MWAA operator, compile helpers, the Airflow venvs."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_composer_support import ROOT, airflow_python, random_spec

from pipespec.environment import Deployment, Environment
from pipespec.ir import PipelineIR
from pipespec.project import load_string
from pipespec.targets.mwaa.compile import CompiledMwaa, compile_mwaa
from pipespec.targets.mwaa.stack import MwaaStack

MEDALLION = ROOT / "pipelines" / "medallion_daily_refresh.yaml"
# Which test venv stands in for an MWAA release: the same Airflow major (tests/airflow via scripts/airflow-venv.sh).
VENV_FOR = {"3.3.1": "3", "2.10.3": "2"}

# The article's medallion DAG the AWS way: Glue ingestion (one existing job, two the DAG creates), dbt on
# ECS, Athena gates with `check`, the Power BI refresh over HTTP and a downstream pipeline.
AWS_MEDALLION = """
apiVersion: pipespec/v1
name: aws_medallion
owner: data-engineering
schedule: {cron: "0 3 * * *", timezone: Europe/Berlin}
sla: 4h
timeout: 6h
defaults:
  retries: {count: 2, delay: 5m, backoff: exponential, max_delay: 30m}
  timeout: 1h
channels:
  data_team: {type: email, addresses: [data-team@company.com]}
  oncall: {type: slack, webhook_url_secret: oncallSlackWebhook}
notify:
  on_failure: [data_team, oncall]
  on_sla_miss: [data_team]
tasks:
  bronze_crm: {kind: glue, job_name: ingest-crm, arguments: {day: "{{ ds }}"}}
  bronze_orders: {kind: glue, script: "s3://company-etl/jobs/orders.py"}
  bronze_products:
    kind: glue
    script: "s3://company-etl/jobs/products.py"
    targets: {mwaa: {glue: {job_type: python_shell, python_shell_capacity: 1}}}
  silver_transform:
    kind: dbt
    command: run
    select: staging
    target: prod
    depends_on: [bronze_crm, bronze_orders, bronze_products]
  silver_gate:
    kind: sql
    query: "SELECT COUNT(*) > 0 FROM silver.orders WHERE day = DATE '{{ ds }}'"
    check: true
    quality_gate: true
    depends_on: [silver_transform]
  gold_facts: {kind: sql, file: sql/gold_facts.sql, depends_on: [silver_gate]}
  publish_report: {kind: shell, command: "python3 -m report --day {{ ds }}", depends_on: [gold_facts]}
  semantic_refresh:
    kind: http
    url: https://api.powerbi.com/v1.0/myorg/groups/{workspace_id}/datasets/{dataset_id}/refreshes
    body: {notifyOption: MailOnFailure}
    auth: {type: bearer, token_secret: pbiBearerToken}
    depends_on: [gold_facts]
  downstream: {kind: pipeline, pipeline: finance_refresh, depends_on: [semantic_refresh]}
  cleanup: {kind: shell, command: "echo cleanup", depends_on: [publish_report], trigger_rule: all_done}
targets:
  mwaa: {athena_database: analytics, athena_output_location: "s3://company-athena-results/mwaa/"}
"""

ECS_STACK: dict[str, Any] = {
    "ecs_cluster": "data-pipelines",
    "ecs_task_definition": "pipespec-runner:7",
    "ecs_container_name": "runner",
    "ecs_subnets": ["subnet-0aaa1111", "subnet-0bbb2222"],
    "ecs_security_groups": ["sg-0ccc3333"],
    "ecs_pass_roles": ["arn:aws:iam::123456789012:role/runner-execution", "arn:aws:iam::123456789012:role/runner-task"],
    "glue_role_arn": "arn:aws:iam::123456789012:role/glue-jobs",
    "athena_data_buckets": ["company-lake"],
}
NETWORK: dict[str, Any] = {"subnet_ids": ["subnet-0aaa1111", "subnet-0bbb2222"], "security_group_ids": ["sg-0mwaa"]}


def load_ir(text: str, file: str = "<test>") -> PipelineIR:
    loaded = load_string(text, file, targets=["mwaa"])
    errors = [d for d in loaded.diagnostics if d.is_error]
    assert loaded.ir is not None and not errors, errors
    return loaded.ir


def with_mwaa(text: str, settings: str = "{}") -> str:
    """A spec without a `targets:` block, deploying to MWAA."""
    assert "\ntargets:" not in text
    return text.rstrip("\n") + f"\ntargets:\n  mwaa: {settings}\n"


def medallion_ir() -> PipelineIR:
    return load_ir(with_mwaa(MEDALLION.read_text(encoding="utf-8")), "pipelines/medallion_daily_refresh.yaml")


def stack(version: str = "3.3.1", **settings: Any) -> MwaaStack:
    return MwaaStack(airflow_version=version, **settings)  # type: ignore[arg-type]


def compile_for(
    ir: PipelineIR, version: str = "3.3.1", *, env: Environment | None = None, stand_ins: bool = False, **settings: Any
) -> CompiledMwaa:
    return compile_mwaa(ir, Deployment(env or Environment(), stack(version, **settings)), stand_ins=stand_ins)


def random_mwaa_spec(seed: int) -> str:
    """The Composer tests' random spec, made an MWAA one: Spark becomes a Glue job, Composer settings MWAA's."""
    spec = yaml.safe_load(random_spec(seed))
    for task in spec["tasks"].values():
        if task["kind"] == "spark":
            task.clear()
            task.update({"kind": "glue", "job_name": "nightly-job", "arguments": {"mode": "full"}})
        if "composer" in task.get("targets", {}):
            task["targets"] = {"mwaa": task["targets"]["composer"]}
    spec["targets"] = {"mwaa": {"athena_database": "analytics"}}
    return yaml.safe_dump(spec, sort_keys=True)


def mwaa_python(version: str) -> Path:
    """The venv's python once it has the amazon provider (skip, or fail under PIPESPEC_REQUIRE_AIRFLOW)."""
    python = airflow_python(VENV_FOR[version])
    probe = subprocess.run(
        [str(python), "-c", "import airflow.providers.amazon.aws.hooks.sns"], capture_output=True, timeout=120
    )
    if probe.returncode != 0:
        message = f"{python}: apache-airflow-providers-amazon is not installed (scripts/airflow-venv.sh)"
        if os.environ.get("PIPESPEC_REQUIRE_AIRFLOW"):
            pytest.fail(message)
        pytest.skip(message)
    return python

"""The MWAA flavour of the DAG generator: operators per kind, requirements, IAM from the plans, diagnostics."""

from __future__ import annotations

import ast
import json
import re
import subprocess
from pathlib import Path
from typing import Any, cast

import pytest
from click.testing import CliRunner
from test_mwaa_support import (
    AWS_MEDALLION,
    ECS_STACK,
    ROOT,
    compile_for,
    load_ir,
    medallion_ir,
    random_mwaa_spec,
    stack,
    with_mwaa,
)

from pipespec.alerts import NEXT_STEP, AlertMessage, title
from pipespec.cli import cli
from pipespec.diagnostics import SpecError
from pipespec.environment import Deployment, Environment
from pipespec.project import load_string
from pipespec.stack import StackConfigError, parse_stack_config
from pipespec.targets.composer import templates as composer_templates
from pipespec.targets.composer.compile import compile_dag
from pipespec.targets.composer.settings import ComposerStack
from pipespec.targets.mwaa.compile import airflow_configuration, compile_mwaa, requirements_txt
from pipespec.targets.mwaa.iam import WILDCARDS, environment_policy
from pipespec.targets.mwaa.stack import RELEASES, MwaaStack
from pipespec.targets.registry import get_target


def _calls(source: str) -> dict[str, ast.Call]:
    out: dict[str, ast.Call] = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                if kw.arg == "task_id" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                    out[kw.value.value] = node
    return out


def _operator(call: ast.Call) -> str:
    assert isinstance(call.func, ast.Name)
    return call.func.id


def _kw(call: ast.Call, name: str) -> Any:
    for kw in call.keywords:
        if kw.arg == name:
            return ast.literal_eval(kw.value)
    raise KeyError(name)


def _imports(source: str) -> set[tuple[str, str]]:
    tree = ast.parse(source)
    return {(n.module or "", a.name) for n in tree.body if isinstance(n, ast.ImportFrom) for a in n.names}


def test_each_kind_gets_its_aws_operator_with_the_spec_arguments() -> None:
    compiled = compile_for(load_ir(AWS_MEDALLION), **ECS_STACK)
    calls = _calls(compiled.source)
    ops = {tid: _operator(call) for tid, call in calls.items()}
    assert ops == {
        "bronze_crm": "GlueJobOperator",
        "bronze_orders": "GlueJobOperator",
        "bronze_products": "GlueJobOperator",
        "silver_transform": "EcsRunTaskOperator",
        "silver_gate": "AthenaCheckOperator",
        "gold_facts": "AthenaOperator",
        "publish_report": "EcsRunTaskOperator",
        "cleanup": "EcsRunTaskOperator",
        "semantic_refresh": "HttpOperator",
        "downstream": "TriggerDagRunOperator",
    }
    crm, orders, products = calls["bronze_crm"], calls["bronze_orders"], calls["bronze_products"]
    assert _kw(crm, "job_name") == "ingest-crm" and _kw(crm, "script_args") == {"--day": "{{ ds }}"}
    with pytest.raises(KeyError):  # an existing job is run, never created or changed
        _kw(crm, "create_job_kwargs")
    assert _kw(orders, "job_name") == "aws_medallion-bronze_orders"
    assert _kw(orders, "iam_role_arn") == ECS_STACK["glue_role_arn"] and _kw(orders, "update_config") is True
    assert _kw(orders, "create_job_kwargs") == {"GlueVersion": "4.0", "NumberOfWorkers": 2, "WorkerType": "G.1X"}
    assert _kw(products, "create_job_kwargs")["Command"]["Name"] == "pythonshell"
    assert _kw(products, "create_job_kwargs")["MaxCapacity"] == 1.0
    dbt = calls["silver_transform"]
    assert _kw(dbt, "overrides") == {
        "containerOverrides": [{"command": ["dbt", "run", "--select", "staging", "--target", "prod"], "name": "runner"}]
    }
    assert _kw(dbt, "cluster") == "data-pipelines" and _kw(dbt, "task_definition") == "pipespec-runner:7"
    assert _kw(dbt, "launch_type") == "FARGATE"
    assert _kw(dbt, "network_configuration")["awsvpcConfiguration"]["subnets"] == ECS_STACK["ecs_subnets"]
    gate = calls["silver_gate"]
    assert _kw(gate, "database") == "analytics" and _kw(gate, "workgroup") == "primary"
    assert _kw(gate, "output_location") == "s3://company-athena-results/mwaa/" and _kw(gate, "deferrable") is False
    assert _kw(gate, "retries") == 0  # a quality gate is not retried
    assert _kw(calls["gold_facts"], "query") == "sql/gold_facts.sql"  # a template file, like Composer's
    assert _kw(calls["downstream"], "trigger_dag_id") == "finance_refresh"
    # The check operator is defined in the file on top of the provider's operator, which is what is imported.
    imports = _imports(compiled.source)
    assert ("airflow.providers.amazon.aws.operators.athena", "AthenaOperator") in imports
    assert not any(name == "AthenaCheckOperator" for _, name in imports)
    assert "class AthenaCheckOperator(AthenaOperator):" in compiled.source
    assert compiled.created_glue_jobs == {
        "bronze_orders": "aws_medallion-bronze_orders",
        "bronze_products": "aws_medallion-bronze_products",
    }


def test_commands_run_on_the_workers_without_an_ecs_setup_and_sql_on_redshift_by_stack_setting() -> None:
    ir = load_ir(AWS_MEDALLION)
    redshift: dict[str, Any] = {
        "sql_engine": "redshift",
        "redshift_cluster_identifier": "dwh",
        "redshift_database": "prod",
    }
    compiled = compile_for(ir, **redshift, redshift_db_user="airflow", glue_role_arn=ECS_STACK["glue_role_arn"])
    calls = _calls(compiled.source)
    assert _operator(calls["silver_transform"]) == "BashOperator"
    assert _kw(calls["silver_transform"], "bash_command") == "dbt run --select staging --target prod"
    assert _operator(calls["gold_facts"]) == "RedshiftDataOperator"
    gate = calls["silver_gate"]
    assert _operator(gate) == "RedshiftDataCheckOperator" and _kw(gate, "return_sql_result") is True
    assert _kw(gate, "cluster_identifier") == "dwh" and _kw(gate, "db_user") == "airflow"
    assert "class RedshiftDataCheckOperator(RedshiftDataOperator):" in compiled.source
    assert "class AthenaCheckOperator" not in compiled.source  # only the helpers a plan asks for


def test_shared_operators_and_runtime_come_from_the_one_generator() -> None:
    """bash / http / trigger plans and the alert callbacks are the Composer generator's, not a copy."""
    ir = medallion_ir()
    mwaa = compile_for(ir).source
    composer = compile_dag(ir, Deployment(Environment(), ComposerStack(airflow_version="3"))).source
    assert composer_templates.CALLBACKS.strip() in mwaa and composer_templates.CALLBACKS.strip() in composer
    assert composer_templates.RETRY_POLICY.strip() in mwaa
    for tid in ("silver_transform", "semantic_model_refresh"):
        assert ast.dump(_calls(mwaa)[tid]) == ast.dump(_calls(composer)[tid])
    assert "PubSubHook" not in mwaa and "SnsHook" in mwaa
    assert '"platform": "mwaa"' in mwaa


def test_versions_import_from_where_they_live_and_requirements_list_exactly_those_providers() -> None:
    ir = load_ir(AWS_MEDALLION)
    for version, standard in (("3.3.1", True), ("3.0.6", True), ("2.10.3", False), ("2.11.0", False)):
        compiled = compile_for(ir, version, **ECS_STACK)
        modules = {m for m, _ in _imports(compiled.source)} | {"airflow.providers.amazon.aws.hooks.sns"}
        providers = {m.split(".")[2] for m in modules if m.startswith("airflow.providers.")}
        assert (
            set(compiled.providers) == providers == ({"amazon", "http", "standard"} if standard else {"amazon", "http"})
        )
        text = requirements_txt(stack(version), [compiled])
        release = RELEASES[version]
        assert f"constraints-{version}/constraints-{release.python}.txt" in text
        lines = [line for line in text.splitlines() if line.startswith("apache-airflow-providers-")]
        assert [line.split(">=")[0].removeprefix("apache-airflow-providers-") for line in lines] == sorted(providers)
        for line in lines:  # each range starts at what this MWAA release installs and stops before the next major
            name, rest = line.removeprefix("apache-airflow-providers-").split(">=")
            low, high = rest.split(",<")
            assert low == release.providers[name] and int(high) == int(low.split(".")[0]) + 1
    assert "airflow.sdk" in {m for m, _ in _imports(compile_for(ir, "3.3.1", **ECS_STACK).source)}
    assert ("airflow", "DAG") in _imports(compile_for(ir, "2.10.3", **ECS_STACK).source)


def test_environment_requirements_are_the_union_of_its_dags_plus_extra_packages() -> None:
    bash_only = load_ir(
        with_mwaa("apiVersion: pipespec/v1\nname: tiny\nowner: o\ntasks:\n  a: {kind: shell, command: x}\n")
    )
    tiny, medallion = compile_for(bash_only), compile_for(medallion_ir())
    assert tiny.providers == ("amazon", "standard")  # SnsHook in the alert code, bash from standard
    text = requirements_txt(stack(pypi_packages={"dbt-athena": ">=1.8,<2"}), [tiny, medallion])
    assert "apache-airflow-providers-http>=6.0.5,<7" in text and "dbt-athena>=1.8,<2" in text
    assert "tiny" in text and "medallion_daily_refresh" in text
    assert requirements_txt(stack(), [tiny]).count("apache-airflow-providers-") == 2


@pytest.mark.parametrize("seed", range(12))
def test_random_specs_are_valid_formatted_python(seed: int, tmp_path: Path) -> None:
    ir = load_ir(random_mwaa_spec(seed))
    files = []
    for version in ("3.3.1", "2.10.3"):
        for stand_ins in (False, True):
            compiled = compile_for(ir, version, stand_ins=stand_ins)
            path = tmp_path / f"v{version}_{int(stand_ins)}_{compiled.filename}"
            path.write_text(compiled.source, encoding="utf-8")
            files.append(str(path))
            assert set(_calls(compiled.source)) == {t.id for t in ir.tasks}
    ruff = str(ROOT / ".venv" / "bin" / "ruff")
    fmt = subprocess.run(
        [ruff, "format", "--check", "--isolated", "--line-length", "120", *files], capture_output=True, text=True
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
    lint = subprocess.run([ruff, "check", "--isolated", "--select", "F,E9", *files], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout


def test_output_is_deterministic_and_the_environment_overlay_applies() -> None:
    ir = load_ir(AWS_MEDALLION)
    assert compile_for(ir, **ECS_STACK).source == compile_for(ir, **ECS_STACK).source
    dev = Environment(name="dev", name_prefix="dev_", pause_schedules=True)
    compiled = compile_for(ir, env=dev, **ECS_STACK)
    assert compiled.dag_id == "dev_aws_medallion" and compiled.filename == "dev_aws_medallion.py"
    assert "is_paused_upon_creation=True," in compiled.source
    assert 'ENVIRONMENT = "dev"' in compiled.source
    calls = _calls(compiled.source)
    assert _kw(calls["bronze_orders"], "job_name") == "dev_aws_medallion-bronze_orders"  # one job per environment
    assert _kw(calls["downstream"], "trigger_dag_id") == "dev_finance_refresh"
    assert "is_paused_upon_creation=False," in compile_for(ir, **ECS_STACK).source


def test_alert_topic_placeholder_subjects_and_the_sns_routing_attribute() -> None:
    compiled = compile_for(load_ir(AWS_MEDALLION), env=Environment(name="prod"), **ECS_STACK)
    assert compiled.placeholders == ("AlertTopicArn",)
    assert re.findall(r"\$\{(\w+)\}", compiled.source) == ["AlertTopicArn"]
    fixed = compile_for(load_ir(AWS_MEDALLION), alert_topic_arn="arn:aws:sns:eu-west-1:123456789012:t", **ECS_STACK)
    assert fixed.placeholders == () and "${" not in fixed.source
    namespace: dict[str, Any] = {}
    start = compiled.source.index("ALERT_SUBJECTS = ")
    exec(compiled.source[start : compiled.source.index("PIPELINE_SLA_S")], namespace)
    subjects = namespace["ALERT_SUBJECTS"]
    for event in NEXT_STEP:  # the runtime's `{task}` substitution gives pipespec.alerts.title exactly
        task_subject = subjects[event].replace("{task}", ".silver_gate")
        message = {"event": event, "pipeline": "aws_medallion", "task": "silver_gate", "environment": "prod"}
        assert task_subject == title(cast(AlertMessage, message))
    assert 'attributes = {"channels": sorted(set(channels))}' in compiled.source


def test_task_policy_names_exactly_what_the_tasks_call() -> None:
    compiled = compile_for(load_ir(AWS_MEDALLION), **ECS_STACK)
    sids = {s["Sid"]: s for s in compiled.task_policy["Statement"]}
    glue = "arn:${Partition}:glue:${Region}:${Account}:job/"
    assert sids["RunGlueJobs"]["Resource"] == [
        f"{glue}aws_medallion-bronze_orders",
        f"{glue}aws_medallion-bronze_products",
        f"{glue}ingest-crm",
    ]
    assert sids["CreateAndUpdateGlueJobs"]["Resource"] == [
        f"{glue}aws_medallion-bronze_orders",
        f"{glue}aws_medallion-bronze_products",
    ]
    assert sids["PassGlueJobRole"]["Condition"] == {"StringEquals": {"iam:PassedToService": "glue.amazonaws.com"}}
    assert sids["RunEcsTasks"]["Resource"] == [
        "arn:${Partition}:ecs:${Region}:${Account}:task-definition/pipespec-runner:7"
    ]
    assert sids["PassEcsTaskRoles"]["Resource"] == sorted(ECS_STACK["ecs_pass_roles"])
    assert sids["RunAthenaQueries"]["Resource"] == ["arn:${Partition}:athena:${Region}:${Account}:workgroup/primary"]
    assert "arn:${Partition}:s3:::company-athena-results/*" in sids["AthenaResultsAndData"]["Resource"]
    assert sids["PublishAlerts"]["Resource"] == ["${AlertTopicArn}"]
    assert sids["ReadAirflowSecrets"]["Resource"] == [
        "${SecretArn:airflow/connections/pipespec_http_aws_medallion_api_powerbi_com}",
        "${SecretArn:airflow/variables/pipespec_secret_aws_medallion_pbiBearerToken}",
    ]
    _no_needless_wildcards(compiled.task_policy)
    # A DAG of shell tasks on the workers calls nothing in AWS but its alert topic.
    bash_only = compile_for(medallion_ir())
    assert [s["Sid"] for s in bash_only.task_policy["Statement"]] == ["PublishAlerts", "ReadAirflowSecrets"]


def _no_needless_wildcards(policy: dict[str, Any]) -> None:
    """`*` alone only for actions without resource-level permissions; inside an ARN only as its last
    segment (objects of a named bucket, tasks of a named cluster, any revision of a named family)."""
    for s in policy["Statement"]:
        resources = s["Resource"]
        for arn in [resources] if isinstance(resources, str) else resources:
            if arn == "*":
                assert set(s["Action"]) <= set(WILDCARDS), s
            elif "*" in arn:
                parts = arn.split(":", 5)
                assert parts[0] == "arn" and "*" not in "".join(parts[1:5]), arn  # partition/service/region/account
                assert parts[5].endswith(("/*", ":*")) and "*" not in parts[5][:-2], arn


def test_environment_policy_is_scoped_to_its_bucket_log_groups_and_environment() -> None:
    policy = environment_policy(MwaaStack(environment_name="data-prod"))
    sids = {s["Sid"]: s for s in policy["Statement"]}
    assert sids["WriteEnvironmentLogs"]["Resource"] == [
        "arn:${Partition}:logs:${Region}:${Account}:log-group:airflow-data-prod-*"
    ]
    assert sids["ReadDagsAndRequirements"]["Resource"] == ["${SourceBucketArn}", "${SourceBucketArn}/*"]
    assert sids["PublishEnvironmentMetrics"]["Resource"] == [
        "arn:${Partition}:airflow:${Region}:${Account}:environment/data-prod"
    ]
    assert sids["NoBucketListing"]["Effect"] == "Deny"
    assert sids["UseAwsOwnedQueueKeyViaSqs"]["NotResource"] == "arn:${Partition}:kms:*:${Account}:key/*"
    wild = sorted(a for s in policy["Statement"] if s.get("Resource") == "*" for a in s["Action"])
    assert wild == ["cloudwatch:PutMetricData", "logs:DescribeLogGroups", "s3:GetAccountPublicAccessBlock"]
    cmk = environment_policy(MwaaStack(kms_key_arn="arn:aws:kms:eu-west-1:123456789012:key/abc"))
    assert {s["Sid"]: s for s in cmk["Statement"]}["UseEnvironmentKey"]["Resource"] == [
        "arn:aws:kms:eu-west-1:123456789012:key/abc"
    ]


def test_missing_stack_settings_are_diagnostics_with_location_and_hint() -> None:
    ir = load_ir(
        with_mwaa(
            """apiVersion: pipespec/v1
name: needs
owner: o
tasks:
  q: {kind: sql, query: "SELECT 1"}
  c: {kind: shell, command: x, targets: {mwaa: {operator: ecs}}}
  g: {kind: glue, script: "s3://b/j.py"}
"""
        )
    )
    with pytest.raises(SpecError) as caught:
        compile_mwaa(ir, Deployment(Environment(), MwaaStack()))
    by_task = {d.path[1]: d for d in caught.value.diagnostics}
    assert set(by_task) == {"q", "c", "g"} and all(d.code == "PS490" and d.target == "mwaa" for d in by_task.values())
    assert "athena_database" in by_task["q"].hint and by_task["q"].line == 5
    assert "ecs_cluster" in by_task["c"].message and "glue_role_arn" in by_task["g"].hint
    # Without a stack (`pipespec render`), what only a stack can give is a named placeholder instead.
    loose = compile_mwaa(ir, Deployment(Environment(), MwaaStack()), strict=False)
    assert loose.missing_stack == (
        "athena_database",
        "ecs_cluster",
        "ecs_container_name",
        "ecs_subnets",
        "ecs_task_definition",
        "glue_role_arn",
    )
    calls = _calls(loose.source)
    assert _kw(calls["q"], "database") == "${Stack:athena_database}"
    assert _kw(calls["g"], "iam_role_arn") == "${Stack:glue_role_arn}"
    summary = get_target("mwaa").summary(ir)
    assert summary[-1].startswith("stack settings to set before deploying: athena_database, ecs_cluster")


def test_created_glue_jobs_take_task_then_pipeline_settings_then_glue_defaults() -> None:
    text = with_mwaa(
        """apiVersion: pipespec/v1
name: jobs
owner: o
tasks:
  a: {kind: glue, script: "s3://b/a.py"}
  b: {kind: glue, script: "s3://b/b.py", targets: {mwaa: {glue: {number_of_workers: 10}}}}
""",
        "{glue: {worker_type: G.2X, number_of_workers: 4}}",
    )
    calls = _calls(compile_for(load_ir(text), glue_role_arn=ECS_STACK["glue_role_arn"]).source)
    assert _kw(calls["a"], "create_job_kwargs") == {"GlueVersion": "4.0", "NumberOfWorkers": 4, "WorkerType": "G.2X"}
    assert _kw(calls["b"], "create_job_kwargs") == {"GlueVersion": "4.0", "NumberOfWorkers": 10, "WorkerType": "G.2X"}


def test_connection_pool_and_queue_come_from_the_mwaa_settings() -> None:
    text = with_mwaa(
        """apiVersion: pipespec/v1
name: placed
owner: o
tasks:
  a: {kind: glue, job_name: j, targets: {mwaa: {pool: glue_slots, queue: heavy}, composer: {pool: other}}}
  b: {kind: shell, command: x, depends_on: [a]}
""",
        "{aws_conn_id: aws_data}",
    )
    compiled = compile_for(load_ir(text))
    calls = _calls(compiled.source)
    assert _kw(calls["a"], "aws_conn_id") == "aws_data" and 'AWS_CONN_ID = "aws_data"' in compiled.source
    assert _kw(calls["a"], "pool") == "glue_slots" and _kw(calls["a"], "queue") == "heavy"
    with pytest.raises(KeyError):
        _kw(calls["b"], "pool")


def test_target_diagnostics_for_what_mwaa_cannot_do() -> None:
    text = with_mwaa(
        """apiVersion: pipespec/v1
name: limits
owner: o
triggers: [{type: file_arrival, path: "s3://b/in/"}]
tasks:
  s: {kind: spark, main: "s3://b/x.py"}
  q: {kind: sql, query: x, targets: {mwaa: {operator: glue}}}
  r: {kind: shell, command: x, retries: {count: 2, backoff: exponential}, timeout: 5m}
"""
    )
    loaded = load_string(text, "spec.yaml", ["mwaa"])
    codes = {d.code: d for d in loaded.diagnostics if d.target == "mwaa"}
    spark = codes["PS400"]
    assert spark.is_error and "Glue job" in spark.hint and spark.path == ("tasks", "s", "kind")
    # Limits are checked once every kind is supported.
    fixed = load_string(text.replace('  s: {kind: spark, main: "s3://b/x.py"}\n', ""), "spec.yaml", ["mwaa"])
    codes = {d.code: d for d in fixed.diagnostics if d.target == "mwaa"}
    assert codes["PS491"].is_error and codes["PS491"].path == ("tasks", "q", "targets", "mwaa", "operator")
    assert "athena" in codes["PS491"].hint and codes["PS491"].line == 6  # the task's line
    assert not codes["PS493"].is_error and "3.3.1" in codes["PS493"].message
    assert "PS494" in codes and "PS496" in codes


def test_stack_settings_are_strict_and_checked_in_the_stack_config() -> None:
    with pytest.raises(ValueError, match="exactly two private subnets"):
        MwaaStack(subnet_ids=["subnet-1"])
    with pytest.raises(ValueError, match="cluster"):
        MwaaStack(redshift_cluster_identifier="a", redshift_workgroup_name="b")
    assert MwaaStack().network_problems() and not MwaaStack(create_environment=False).network_problems()
    with pytest.raises(StackConfigError) as caught:
        parse_stack_config(
            {"pipelines": {"p": ["mwaa"]}, "mwaa": {"environmnet_class": "mw1.small", "airflow_version": "2.4.3"}}
        )
    messages = {(d.path, d.message) for d in caught.value.diagnostics}
    assert any(p == ("mwaa", "environmnet_class") and "unknown setting" in m for p, m in messages)
    assert any(p == ("mwaa", "airflow_version") for p, _ in messages)
    hints = " ".join(d.hint for d in caught.value.diagnostics)
    assert "environment_class" in hints
    config = parse_stack_config({"pipelines": {"p": ["mwaa"]}, "mwaa": {"airflow_version": "2.11.0"}})
    assert config.deployment("mwaa").settings == MwaaStack(airflow_version="2.11.0")
    options = airflow_configuration(MwaaStack())
    assert options["secrets.backend"].endswith("SecretsManagerBackend")
    assert json.loads(options["secrets.backend_kwargs"])["connections_lookup_pattern"] == "^pipespec_"


def test_cli_render_writes_dag_requirements_and_policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = tmp_path / "aws_medallion.yaml"
    spec.write_text(
        AWS_MEDALLION.replace(
            'bronze_orders: {kind: glue, script: "s3://company-etl/jobs/orders.py"}',
            "bronze_orders: {kind: glue, job_name: orders}",
        ).replace(
            """  bronze_products:
    kind: glue
    script: "s3://company-etl/jobs/products.py"
    targets: {mwaa: {glue: {job_type: python_shell, python_shell_capacity: 1}}}
""",
            "  bronze_products: {kind: glue, job_name: products}\n",
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["render", str(spec), "--target", "mwaa", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "aws_medallion.iam.json",
        "aws_medallion.py",
        "aws_medallion.requirements.txt",
    ]
    ir = load_string(spec.read_text(), str(spec), ["mwaa"]).ir
    assert ir is not None
    rendered = {r.filename: r.content for r in get_target("mwaa").render(ir)}
    for path in out.iterdir():
        assert path.read_text(encoding="utf-8") == rendered[path.name]
    assert "placeholders filled at deploy time: ${AlertTopicArn}" in result.output
    # A job the DAG creates needs the stack's role: without a stack it is a placeholder, and the summary says so.
    full = tmp_path / "full.yaml"
    full.write_text(AWS_MEDALLION, encoding="utf-8")
    result = CliRunner().invoke(cli, ["render", str(full), "--target", "mwaa", "--out", str(tmp_path / "full")])
    assert result.exit_code == 0, result.output
    assert "stack settings to set before deploying: glue_role_arn" in result.output
    assert 'iam_role_arn="${Stack:glue_role_arn}"' in (tmp_path / "full" / "aws_medallion.py").read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text(AWS_MEDALLION.replace('script: "s3://company-etl/jobs/orders.py"', "script: jobs/orders.py"))
    failing = CliRunner().invoke(cli, ["render", str(bad), "--target", "mwaa", "--out", str(out)])
    assert failing.exit_code != 0 and "PS492" in failing.output and "Traceback" not in failing.output

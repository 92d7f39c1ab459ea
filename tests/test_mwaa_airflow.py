"""Real Apache Airflow with the real amazon provider imports, serializes and runs the MWAA DAG files.

Which Airflow runs them is the stack's `airflow_version`: 3.3.1 (the default, checked in `.venv-airflow3`)
and 2.10.3 (`.venv-airflow2`). Import facts come from the Composer tests' harness (tests/airflow/check_dag.py
and the helpers of test_composer_support); the in-venv probes below exercise the provider's SNS hook and the
check operators with botocore's Stubber, which validates every call against the real service model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_composer_support import AIRFLOW_SCRIPTS, airflow_env, expected_facts, run_json
from test_mwaa_support import (
    AWS_MEDALLION,
    ECS_STACK,
    compile_for,
    load_ir,
    medallion_ir,
    mwaa_python,
    random_mwaa_spec,
    with_mwaa,
)

from pipespec.alerts import ALERT_FIELDS, MAX_CAUSE_CHARS, NEXT_STEP
from pipespec.environment import Environment
from pipespec.ir import PipelineIR
from pipespec.notify_plan import email_text, normalize, sns_message, sns_message_attributes

VERSIONS = ("3.3.1", "2.10.3")
TOPIC = "arn:aws:sns:eu-west-1:123456789012:aws_medallion-alerts"
REDSHIFT: dict[str, Any] = {
    "sql_engine": "redshift",
    "redshift_workgroup_name": "analytics",
    "redshift_database": "dev",
}
AWS_OPERATORS = {
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


@pytest.fixture(scope="module", params=VERSIONS, ids=lambda v: f"mwaa{v}")
def airflow(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    version: str = request.param
    return {"version": version, "python": mwaa_python(version), "home": tmp_path_factory.mktemp(f"mwaa{version}")}


def _write(dags: Path, compiled_source: str, filename: str) -> Path:
    dags.mkdir(exist_ok=True)
    (dags / "sql").mkdir(exist_ok=True)
    (dags / "sql" / "gold_facts.sql").write_text("SELECT 1\n", encoding="utf-8")  # the spec's template file
    path = dags / filename
    path.write_text(compiled_source.replace("${AlertTopicArn}", TOPIC), encoding="utf-8")
    return path


def _probe(airflow: dict[str, Any], tmp_path: Path, script: str, *args: str) -> dict[str, Any]:
    path = tmp_path / "probe.py"
    path.write_text(script, encoding="utf-8")
    env = airflow_env(airflow["home"], tmp_path)
    return run_json([str(airflow["python"]), str(path), *args], env)


def test_dags_import_with_the_specs_tasks_edges_and_operators(airflow: dict[str, Any], tmp_path: Path) -> None:
    dags = tmp_path / "dags"
    irs: list[tuple[PipelineIR, dict[str, Any]]] = [
        (load_ir(AWS_MEDALLION), ECS_STACK),
        (medallion_ir(), {}),
        *((load_ir(random_mwaa_spec(seed)), {}) for seed in range(8)),
    ]
    expected: dict[str, dict[str, Any]] = {}
    paused = Environment(name="dev", pause_schedules=True)
    for ir, settings in irs:
        compiled = compile_for(ir, airflow["version"], env=paused, **settings)
        _write(dags, compiled.source, compiled.filename)
        expected[compiled.dag_id] = expected_facts(ir, compiled.dag) | {"is_paused_upon_creation": True}
        expected[compiled.dag_id]["delays"] = {t.id: [float(d) for d in t.retry.delays()] for t in ir.tasks}
    report = run_json(
        [str(airflow["python"]), str(AIRFLOW_SCRIPTS / "check_dag.py"), str(dags)], airflow_env(airflow["home"], dags)
    )
    assert report["import_errors"] == {}
    assert report["airflow_version"].split(".")[0] == airflow["version"].split(".")[0]
    assert set(report["dags"]) == set(expected)
    for dag_id, facts in expected.items():
        loaded = report["dags"][dag_id]
        assert set(loaded["tasks"]) == set(facts["tasks"]), dag_id
        for key, value in facts.items():
            if key not in ("tasks", "delays"):
                assert loaded[key] == value, (dag_id, key)
        for tid, task_facts in facts["tasks"].items():
            assert {k: loaded["tasks"][tid][k] for k in task_facts} == task_facts, (dag_id, tid)
            policy = loaded["tasks"][tid]["policy"]
            if policy is not None:  # Airflow 3.3+ (MWAA 3.3.1): the spec's retry delays exactly
                assert policy["delays_s"] == facts["delays"][tid], (dag_id, tid)
    tasks = report["dags"]["aws_medallion"]["tasks"]
    assert {tid: t["operator"] for tid, t in tasks.items()} == AWS_OPERATORS
    assert all(t["on_failure_callbacks"] == 1 for t in tasks.values())  # failure alerts per task, to SNS


SERIALIZE = """
import json, os, sys
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
try:
    from airflow.dag_processing.dagbag import DagBag
except ImportError:
    from airflow.models.dagbag import DagBag
try:  # Airflow 3
    from airflow.serialization.serialized_objects import DagSerialization as Serialization
except ImportError:
    from airflow.serialization.serialized_objects import SerializedDAG as Serialization
bag = DagBag(dag_folder=sys.argv[1], safe_mode=False)
out = {}
for dag_id, dag in sorted(bag.dags.items()):
    back = Serialization.from_dict(Serialization.to_dict(dag))
    out[dag_id] = {t.task_id: getattr(t, "task_type", type(t).__name__) for t in back.tasks}
print(json.dumps({"import_errors": {k: str(v) for k, v in bag.import_errors.items()}, "dags": out}))
"""


def test_dags_with_check_operators_serialize_as_the_scheduler_stores_them(
    airflow: dict[str, Any], tmp_path: Path
) -> None:
    dags = tmp_path / "dags"
    athena = compile_for(load_ir(AWS_MEDALLION), airflow["version"], **ECS_STACK)
    _write(dags, athena.source, athena.filename)
    redshift_ir = load_ir(AWS_MEDALLION.replace("name: aws_medallion", "name: aws_redshift"))
    redshift = compile_for(redshift_ir, airflow["version"], **ECS_STACK, **REDSHIFT)
    _write(dags, redshift.source, redshift.filename)
    report = _probe(airflow, tmp_path, SERIALIZE, str(dags))
    assert report["import_errors"] == {}
    assert report["dags"]["aws_medallion"] == AWS_OPERATORS
    assert report["dags"]["aws_redshift"]["silver_gate"] == "RedshiftDataCheckOperator"
    assert report["dags"]["aws_redshift"]["gold_facts"] == "RedshiftDataOperator"


LOAD = """
import importlib.util, json, os, sys
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.pop("PIPESPEC_ALERTS_FILE", None)  # the real path, not the test hook
import botocore.session
from botocore.stub import Stubber


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def stubbed(service, region="eu-west-1"):
    client = botocore.session.get_session().create_client(
        service, region_name=region, aws_access_key_id="k", aws_secret_access_key="s"
    )
    return client, Stubber(client)
"""

PUBLISH = (
    LOAD
    + """
from airflow.providers.amazon.aws.hooks.sns import SnsHook

published = []


def get_conn(self):
    client, stub = stubbed("sns", self.region_name)
    stub.add_response("publish", {"MessageId": "m-1"})  # the call is validated against the SNS model first
    stub.activate()
    record = lambda params, **_: published.append(
        {"region": client.meta.region_name, "conn": self.aws_conn_id, "params": dict(params)}
    )
    client.meta.events.register("provide-client-params.sns.Publish", record)
    return client


SnsHook.get_conn = get_conn
module = load(sys.argv[1], "generated_dag")
module._on_failure(("oncall", "data_team"))({"exception": RuntimeError("boom " * 1000), "ti": None})
print(json.dumps({"published": published}, sort_keys=True))
"""
)


def test_alerts_go_to_sns_through_the_real_hook_as_the_pipespec_contract(
    airflow: dict[str, Any], tmp_path: Path
) -> None:
    compiled = compile_for(load_ir(AWS_MEDALLION), airflow["version"], env=Environment(name="prod"), **ECS_STACK)
    dag_file = _write(tmp_path / "dags", compiled.source, compiled.filename)
    (call,) = _probe(airflow, tmp_path, PUBLISH, str(dag_file))["published"]
    assert call["region"] == "eu-west-1" and call["conn"] == "aws_default"  # the topic's region
    params = call["params"]
    assert params["TargetArn"] == TOPIC and params["MessageStructure"] == "json"
    body = json.loads(json.loads(params["Message"])["default"])
    assert set(body) == set(ALERT_FIELDS)
    assert body["event"] == "failure" and body["platform"] == "mwaa" and body["pipeline"] == "aws_medallion"
    assert body["environment"] == "prod" and body["error"] == "RuntimeError"
    assert len(body["cause"]) == MAX_CAUSE_CHARS and body["next"] == NEXT_STEP["failure"]
    # What a formatter reads equals pipespec's own rendering of the same alert.
    assert normalize(body) == json.loads(json.loads(sns_message(body))["default"])
    assert params["Subject"] == email_text(body)[0] == "[prod] aws_medallion FAILED"
    assert params["MessageAttributes"] == sns_message_attributes(["oncall", "data_team"])


CHECKS = (
    LOAD
    + """
from airflow.providers.amazon.aws.hooks.athena import AthenaHook
from airflow.providers.amazon.aws.operators.athena import AthenaOperator
from airflow.providers.amazon.aws.operators.redshift_data import RedshiftDataOperator

athena_dag, redshift_dag = load(sys.argv[1], "athena_dag"), load(sys.argv[2], "redshift_dag")
AthenaOperator.execute = lambda self, context: "qid-1"  # the query ran; the check reads its results
HEADER = {"Data": [{"VarCharValue": "ok"}]}


def outcome(op):
    try:
        op.execute({})
        return "passed"
    except ValueError as exc:
        return "failed: " + str(exc)


def athena(values):
    client, stub = stubbed("athena")
    execution = {"QueryExecution": {"QueryExecutionId": "qid-1", "Status": {"State": "SUCCEEDED"}}}
    stub.add_response("get_query_execution", execution, {"QueryExecutionId": "qid-1"})
    rows = [HEADER] + ([{"Data": [{} if v is None else {"VarCharValue": v} for v in values]}] if values else [])
    asked = {"QueryExecutionId": "qid-1", "MaxResults": 2}  # the check reads the header and the first row only
    stub.add_response("get_query_results", {"ResultSet": {"Rows": rows}}, asked)
    stub.activate()
    AthenaHook.get_conn = lambda self: client
    op = athena_dag.AthenaCheckOperator(task_id="gate", query="SELECT 1", database="d", deferrable=False)
    result = outcome(op)
    stub.assert_no_pending_responses()
    return result


def redshift(records):
    RedshiftDataOperator.execute = lambda self, context: [{"Records": records, "TotalNumRows": len(records)}]
    op = redshift_dag.RedshiftDataCheckOperator(task_id="gate", sql="SELECT 1", database="d", workgroup_name="w")
    return outcome(op)


print(json.dumps({
    "athena": {
        "true": athena(["true"]), "false": athena(["false"]), "count": athena(["12"]), "zero": athena(["0"]),
        "null": athena([None]), "no_rows": athena([]), "two_columns": athena(["true", "false"]),
    },
    "redshift": {
        "true": redshift([[{"booleanValue": True}]]), "false": redshift([[{"booleanValue": False}]]),
        "count": redshift([[{"longValue": 3}]]), "null": redshift([[{"isNull": True}]]), "no_rows": redshift([]),
    },
}, sort_keys=True))
"""
)


def test_check_operators_pass_only_when_every_value_of_the_first_row_is_true(
    airflow: dict[str, Any], tmp_path: Path
) -> None:
    athena = compile_for(load_ir(AWS_MEDALLION), airflow["version"], **ECS_STACK)
    redshift_ir = load_ir(AWS_MEDALLION.replace("name: aws_medallion", "name: aws_redshift"))
    redshift = compile_for(redshift_ir, airflow["version"], **ECS_STACK, **REDSHIFT)
    first = _write(tmp_path / "a", athena.source, athena.filename)
    second = _write(tmp_path / "r", redshift.source, redshift.filename)
    report = _probe(airflow, tmp_path, CHECKS, str(first), str(second))
    passed = {engine: sorted(k for k, v in cases.items() if v == "passed") for engine, cases in report.items()}
    assert passed == {"athena": ["count", "true"], "redshift": ["count", "true"]}
    assert "returned no rows" in report["athena"]["no_rows"] and "returned no rows" in report["redshift"]["no_rows"]
    assert "check failed" in report["athena"]["two_columns"]


RUN_SPEC = """
apiVersion: pipespec/v1
name: retry_demo
owner: qa
channels:
  ops: {type: email, addresses: [ops@example.com]}
  pager: {type: webhook, url_secret: pagerUrl}
notify:
  on_failure: [ops, pager]
  on_retry: [ops]
defaults:
  retries: {count: 2, delay: 1s}
tasks:
  flaky: {kind: shell, command: "exit 0"}
  broken: {kind: glue, job_name: nightly}
  after_broken: {kind: shell, command: "exit 0", depends_on: [broken]}
  cleanup: {kind: shell, command: "exit 0", depends_on: [broken], trigger_rule: all_done}
"""


@pytest.mark.slow
def test_dag_test_retries_then_stops_downstream_and_publishes_one_failure(
    airflow: dict[str, Any], tmp_path: Path
) -> None:
    migrate = __import__("subprocess").run(
        [str(airflow["python"].parent / "airflow"), "db", "migrate"],
        env=airflow_env(airflow["home"], airflow["home"]),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert migrate.returncode == 0, migrate.stderr[-2000:]
    compiled = compile_for(load_ir(with_mwaa(RUN_SPEC)), airflow["version"], stand_ins=True)
    dag_file = _write(tmp_path / "dags", compiled.source, compiled.filename)
    stand_ins, alerts = tmp_path / "stand_ins.json", tmp_path / "alerts.jsonl"
    stand_ins.write_text(json.dumps({"flaky": "fail_once", "broken": "fail"}), encoding="utf-8")
    env = airflow_env(
        airflow["home"], dag_file.parent, PIPESPEC_STAND_INS=str(stand_ins), PIPESPEC_ALERTS_FILE=str(alerts)
    )
    result = run_json([str(airflow["python"]), str(AIRFLOW_SCRIPTS / "run_dag.py"), str(dag_file)], env)
    states = result["task_states"]
    assert result["run_state"] == "failed"
    assert states["flaky"] == "success" and result["tries"]["flaky"] == 2
    assert states["broken"] == "failed" and result["tries"]["broken"] == 3
    assert states["after_broken"] == "upstream_failed" and states["cleanup"] == "success"
    sent = [json.loads(line) for line in alerts.read_text().splitlines()]
    failures = [a for a in sent if a["message"]["event"] == "failure"]
    assert len(failures) == 1 and failures[0]["message"]["task"] == "broken"
    assert failures[0]["message"]["platform"] == "mwaa" and failures[0]["topic"] == TOPIC
    assert failures[0]["message_attributes"] == {"channels": ["ops", "pager"]}
    assert failures[0]["subject"] == "[dev] retry_demo.broken FAILED"
    retries = sorted(
        (a["message"]["task"], tuple(a["message_attributes"]["channels"]))
        for a in sent
        if a["message"]["event"] == "retry"
    )
    assert retries == [("broken", ("ops",)), ("broken", ("ops",)), ("flaky", ("ops",))]

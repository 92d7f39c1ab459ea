"""Real Apache Airflow (2.10 and 3.x, in their own venvs) imports and runs the generated DAGs.

Each check runs a script from tests/airflow/ inside `.venv-airflow{2,3}` (scripts/airflow-venv.sh).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from test_composer_support import (
    AIRFLOW_SCRIPTS,
    ROOT,
    airflow_env,
    airflow_python,
    compile_for,
    expected_facts,
    load_ir,
    random_spec,
    run_json,
)

from pipespec.alerts import ALERT_FIELDS, MAX_CAUSE_CHARS, NEXT_STEP
from pipespec.ir import PipelineIR
from pipespec.project import load_pipeline


def project_pipelines() -> list[PipelineIR]:
    """Every spec in pipelines/ that deploys to composer and is valid for it."""
    out = []
    for path in sorted((ROOT / "pipelines").glob("*.yaml")):
        loaded = load_pipeline(path, ["composer"])
        if loaded.ok and loaded.ir is not None and "composer" in loaded.ir.targets:
            out.append(loaded.ir)
    return out


VERSIONS = ("2", "3")
RANDOM_SEEDS = range(12)

RUN_SPEC = """
apiVersion: pipespec/v1
name: {name}
owner: qa
channels:
  ops: {{type: email, addresses: [ops@example.com]}}
notify:
  on_failure: [ops]
  on_retry: [ops]
defaults:
  retries: {{count: 2, delay: 1s}}
tasks:
  flaky: {{kind: shell, command: "exit 0"}}
  after_flaky: {{kind: shell, command: "exit 0", depends_on: [flaky]}}
  broken: {{kind: shell, command: "exit 1"}}
  after_broken: {{kind: shell, command: "exit 0", depends_on: [broken]}}
  last: {{kind: shell, command: "exit 0", depends_on: [after_broken]}}
  cleanup: {{kind: shell, command: "exit 0", depends_on: [broken], trigger_rule: all_done}}
targets:
  composer: {{}}
"""


@pytest.fixture(scope="module", params=VERSIONS, ids=lambda v: f"airflow{v}")
def airflow(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    version: str = request.param
    python = airflow_python(version)
    home = tmp_path_factory.mktemp(f"airflow{version}-home")
    return {"version": version, "python": python, "home": home}


def _check(airflow: dict[str, Any], dags: Path) -> dict[str, Any]:
    env = airflow_env(airflow["home"], dags)
    return run_json([str(airflow["python"]), str(AIRFLOW_SCRIPTS / "check_dag.py"), str(dags)], env)


def _assert_facts(expected: dict[str, Any], loaded: dict[str, Any], dag_id: str) -> None:
    assert set(loaded["tasks"]) == set(expected["tasks"]), dag_id
    for key, value in expected.items():
        if key in ("tasks", "delays", "retry_on_timeout"):
            continue
        assert loaded[key] == value, (dag_id, key)
    for tid, facts in expected["tasks"].items():
        got = {k: loaded["tasks"][tid][k] for k in facts}
        assert got == facts, (dag_id, tid)
        policy = loaded["tasks"][tid]["policy"]
        if policy is not None:  # Airflow 3.3+: the generated policy reproduces RetryPolicy.delays() exactly
            assert policy["delays_s"] == [float(d) for d in expected["delays"][tid]], (dag_id, tid)
            assert policy["on_timeout"] == ("retry" if expected["retry_on_timeout"][tid] else "fail"), (dag_id, tid)


def test_project_and_random_pipelines_import_with_exact_facts(airflow: dict[str, Any], tmp_path: Path) -> None:
    dags = tmp_path / "dags"
    dags.mkdir()
    expected: dict[str, dict[str, Any]] = {}
    irs = project_pipelines()
    assert irs, "no pipeline in pipelines/ deploys to composer"
    irs += [load_ir(random_spec(seed)) for seed in RANDOM_SEEDS]
    for ir in irs:
        assert ir is not None
        compiled = compile_for(ir, airflow["version"])
        (dags / compiled.filename).write_text(compiled.source, encoding="utf-8")
        expected[compiled.dag_id] = expected_facts(ir, compiled)
        expected[compiled.dag_id]["delays"] = {t.id: list(t.retry.delays()) for t in ir.tasks}
        expected[compiled.dag_id]["retry_on_timeout"] = {t.id: t.retry.retry_on_timeout for t in ir.tasks}
    report = _check(airflow, dags)
    assert report["import_errors"] == {}
    assert report["airflow_version"].startswith(airflow["version"] + ".")
    assert set(report["dags"]) == set(expected)
    for dag_id, facts in expected.items():
        _assert_facts(facts, report["dags"][dag_id], dag_id)
    policies = [t["policy"] for d in report["dags"].values() for t in d["tasks"].values() if t["policy"]]
    major_minor = tuple(int(x) for x in report["airflow_version"].split(".")[:2])
    assert bool(policies) == (major_minor >= (3, 3))  # Airflow 3.3+ has retry_policy; older lines do not


def test_operators_per_kind_on_real_airflow(airflow: dict[str, Any], tmp_path: Path) -> None:
    dags = tmp_path / "dags"
    dags.mkdir()
    ir = load_pipeline(ROOT / "pipelines" / "medallion_daily_refresh.yaml").ir
    assert ir is not None
    compiled = compile_for(ir, airflow["version"])
    (dags / compiled.filename).write_text(compiled.source, encoding="utf-8")
    dag = _check(airflow, dags)["dags"]["medallion_daily_refresh"]
    tasks = dag["tasks"]
    # SLA (4h): native sla on the leaf + sla_miss_callback on 2.10; a run-end check on 3 (no SLA API).
    assert dag["has_sla_miss_callback"] == (airflow["version"] == "2")
    assert tasks["semantic_model_refresh"]["sla_s"] == (14400.0 if airflow["version"] == "2" else None)
    assert dag["on_success_callbacks"] == (1 if airflow["version"] == "3" else 0)
    assert dag["on_failure_callbacks"] == 1  # reports a run timeout (dagrun_timeout 6h) only
    assert tasks["semantic_model_refresh"]["operator"] == "HttpOperator"
    assert tasks["silver_transform"]["operator"] == "BashOperator"
    # Failure alerts are per task; gates do not retry, so they carry no retry callback.
    assert all(t["on_failure_callbacks"] == 1 for t in tasks.values())
    assert tasks["silver_quality_check"]["retries"] == 0
    # Airflow 3.3+ gets the exact retry policy; older lines fall back to Airflow's own backoff.
    report_version = tuple(int(x) for x in _check(airflow, dags)["airflow_version"].split(".")[:2])
    assert tasks["bronze_ingest_crm"]["has_retry_policy"] == (report_version >= (3, 3))


@pytest.fixture(scope="module")
def migrated(airflow: dict[str, Any]) -> dict[str, Any]:
    """The module's throwaway metadata DB, migrated once (`dag.test()` needs it)."""
    migrate = subprocess.run(
        [str(airflow["python"].parent / "airflow"), "db", "migrate"],
        env=airflow_env(airflow["home"], airflow["home"]),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert migrate.returncode == 0, migrate.stderr[-2000:]
    return airflow


def _run_dag(
    migrated: dict[str, Any], tmp_path: Path, source: str, filename: str, stand_ins: dict[str, str]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / filename).write_text(source, encoding="utf-8")
    behaviour = tmp_path / "stand_ins.json"
    behaviour.write_text(json.dumps(stand_ins), encoding="utf-8")
    alerts = tmp_path / "alerts.jsonl"
    env = airflow_env(migrated["home"], dags, PIPESPEC_STAND_INS=str(behaviour), PIPESPEC_ALERTS_FILE=str(alerts))
    result = run_json([str(migrated["python"]), str(AIRFLOW_SCRIPTS / "run_dag.py"), str(dags / filename)], env)
    sent = [json.loads(line) for line in alerts.read_text().splitlines()] if alerts.exists() else []
    return result, sent


SLA_SPEC = """
apiVersion: pipespec/v1
name: sla_demo
owner: qa
sla: 1s
channels:
  ops: {type: email, addresses: [ops@example.com]}
notify:
  on_sla_miss: [ops]
tasks:
  slow: {kind: shell, command: "exit 0", sla: 1s}
  fast: {kind: shell, command: "exit 0", depends_on: [slow]}
targets:
  composer: {}
"""


@pytest.mark.slow
def test_dag_test_reports_task_and_run_sla_misses_on_airflow3(migrated: dict[str, Any], tmp_path: Path) -> None:
    if migrated["version"] == "2":
        pytest.skip(
            "Airflow 2.10's dag.test() leaves task start_date unset and runs no SLA checks; "
            "on 2.10 the pipeline SLA is the scheduler's sla_miss_callback (checked at import above)"
        )
    compiled = compile_for(load_ir(SLA_SPEC), migrated["version"], stand_ins=True)
    result, sent = _run_dag(migrated, tmp_path, compiled.source, compiled.filename, {"slow": "sleep:2"})
    assert result["run_state"] == "success"
    misses = sorted((a["message"]["task"], a["message"]["event"]) for a in sent)
    assert misses == [("", "sla_miss"), ("slow", "sla_miss")]  # the run's SLA once, the slow task's once
    assert all(a["attributes"]["channels"] == "ops" for a in sent)


@pytest.mark.slow
def test_dag_test_retries_then_stops_downstream_and_alerts_once(migrated: dict[str, Any], tmp_path: Path) -> None:
    airflow = migrated
    home, python = migrated["home"], migrated["python"]
    dags = tmp_path / "dags"
    dags.mkdir()
    name = f"retry_demo_{airflow['version']}"
    compiled = compile_for(load_ir(RUN_SPEC.format(name=name)), airflow["version"], stand_ins=True)
    dag_file = dags / compiled.filename
    dag_file.write_text(compiled.source, encoding="utf-8")
    stand_ins = tmp_path / "stand_ins.json"
    stand_ins.write_text(json.dumps({"flaky": "fail_once", "broken": "fail"}), encoding="utf-8")
    alerts, tries = tmp_path / "alerts.jsonl", tmp_path / "tries.jsonl"
    env = airflow_env(
        home,
        dags,
        PIPESPEC_STAND_INS=str(stand_ins),
        PIPESPEC_ALERTS_FILE=str(alerts),
        PIPESPEC_STAND_IN_LOG=str(tries),
    )
    result = run_json([str(python), str(AIRFLOW_SCRIPTS / "run_dag.py"), str(dag_file)], env)
    states = result["task_states"]
    assert result["run_state"] == "failed"
    assert states["flaky"] == "success" and result["tries"]["flaky"] == 2  # failed once, retried by Airflow
    assert states["after_flaky"] == "success"
    assert states["broken"] == "failed" and result["tries"]["broken"] == 3  # 1 try + 2 retries
    assert states["after_broken"] == "upstream_failed" and states["last"] == "upstream_failed"
    assert states["cleanup"] == "success"  # all_done runs after the failure
    ran = [json.loads(line)["task"] for line in tries.read_text().splitlines()]
    assert "after_broken" not in ran and "last" not in ran
    sent = [json.loads(line) for line in alerts.read_text().splitlines()]
    failures = [a for a in sent if a["message"]["event"] == "failure"]
    assert len(failures) == 1
    message = failures[0]["message"]
    assert message["task"] == "broken" and message["pipeline"] == name and message["platform"] == "composer"
    assert message["error"] == "RuntimeError" and "try 3" in message["cause"]
    assert failures[0]["attributes"]["channels"] == "ops"
    retries = sorted(a["message"]["task"] for a in sent if a["message"]["event"] == "retry")
    assert retries == ["broken", "broken", "flaky"]


def test_alerts_go_to_pubsub_and_cloud_logging_with_the_real_provider(airflow: dict[str, Any], tmp_path: Path) -> None:
    compiled = compile_for(_medallion_for_publish(), airflow["version"], alert_topic="projects/p1/topics/alerts")
    dag_file = tmp_path / compiled.filename
    dag_file.write_text(compiled.source, encoding="utf-8")
    # Composer defines google_cloud_default; here an env-var connection stands in for it.
    env = airflow_env(airflow["home"], tmp_path, AIRFLOW_CONN_GOOGLE_CLOUD_DEFAULT="google-cloud-platform://")
    report = run_json([str(airflow["python"]), str(AIRFLOW_SCRIPTS / "publish_check.py"), str(dag_file)], env)
    (call,) = report["published"]
    assert call["project_id"] == "p1" and call["topic"] == "alerts" and call["conn"] == "google_cloud_default"
    (message,) = call["messages"]
    body = message["data"]
    assert set(body) == set(ALERT_FIELDS)
    assert body["event"] == "failure" and body["platform"] == "composer" and body["error"] == "RuntimeError"
    assert len(body["cause"]) == MAX_CAUSE_CHARS and body["next"] == NEXT_STEP["failure"]
    assert message["attributes"] == {
        "channels": "data,ops",
        "environment": "dev",
        "event": "failure",
        "pipeline": "medallion_daily_refresh",
    }
    (entry,) = report["logged"]
    assert entry["log"] == "pipespec-alerts" and entry["project"] == "p1" and entry["severity"] == "ERROR"
    assert entry["entry"]["channels"] == ["data", "ops"] and entry["entry"]["pipeline"] == "medallion_daily_refresh"


def _medallion_for_publish() -> PipelineIR:
    loaded = load_pipeline(ROOT / "pipelines" / "medallion_daily_refresh.yaml", ["composer"])
    assert loaded.ir is not None
    return loaded.ir

"""The Step Functions compiler: what the ASL says, what it rejects, what it warns about, and its limits."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pipespec.alerts import ALERT_FIELDS
from pipespec.cli import cli
from pipespec.environment import Deployment, Environment
from pipespec.ir import PipelineIR
from pipespec.project import load_pipeline, load_string
from pipespec.targets.stepfunctions.compile import (
    CompiledPipeline,
    CompileOptions,
    StepFunctionsCompileError,
    compile_pipeline,
)
from pipespec.targets.stepfunctions.schedule import longest_gap_s, stale_alarm
from pipespec.targets.stepfunctions.stack import StepFunctionsStack
from pipespec.targets.stepfunctions.target import TARGET

ROOT = Path(__file__).resolve().parent.parent
MEDALLION = ROOT / "pipelines" / "medallion_daily_refresh.yaml"
GOLDEN = ROOT / "tests" / "golden" / "stepfunctions"
STACK = StepFunctionsStack(
    ecs_cluster="data",
    ecs_task_definition="etl:3",
    ecs_container_name="etl",
    ecs_subnets=["subnet-1"],
    ecs_security_groups=["sg-1"],
    ecs_pass_roles=["arn:aws:iam::123456789012:role/etl-task"],
    parameters={"workspace_id": "w1", "dataset_id": "d1"},
)

HEADER = """\
apiVersion: pipespec/v1
name: {name}
owner: tests
targets: {targets}
"""


def load(text: str) -> PipelineIR:
    loaded = load_string(text, "spec.yaml", targets=["stepfunctions"])
    assert loaded.ok, [d.format() for d in loaded.diagnostics]
    assert loaded.ir is not None
    return loaded.ir


def diagnostics(text: str) -> list[Any]:
    return load_string(text, "spec.yaml", targets=["stepfunctions"]).diagnostics


def spec(body: str, name: str = "demo", targets: str = "{stepfunctions: {}}") -> str:
    return HEADER.format(name=name, targets=targets) + body


def medallion(env: Environment | None = None) -> CompiledPipeline:
    ir = load_pipeline(MEDALLION, ["stepfunctions"]).ir
    assert ir is not None
    return compile_pipeline(ir, Deployment(env or Environment(), STACK))


def all_states(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every state of a definition, branches included (names are unique machine-wide)."""
    out: dict[str, dict[str, Any]] = {}
    stack = [definition["States"]]
    while stack:
        states = stack.pop()
        for name, state in states.items():
            assert name not in out, f"duplicate state name {name!r}"
            out[name] = state
            stack.extend(b["States"] for b in state.get("Branches", ()))
    return out


def asl_waits(retrier: dict[str, Any]) -> list[int]:
    """The waits Step Functions applies for a retrier (JitterStrategy NONE), as documented."""
    out = []
    for n in range(retrier["MaxAttempts"]):
        wait = retrier["IntervalSeconds"] * retrier["BackoffRate"] ** n
        if "MaxDelaySeconds" in retrier:
            wait = min(wait, retrier["MaxDelaySeconds"])
        out.append(int(round(wait)))
    return out


# -- structure ------------------------------------------------------------------------------


def test_medallion_tasks_are_task_states_named_by_id_in_the_article_order() -> None:
    compiled = medallion()
    assert len(compiled.machines) == 1
    states = all_states(compiled.main.definition)
    ir = load_pipeline(MEDALLION, ["stepfunctions"]).ir
    assert ir is not None
    for task in ir.tasks:
        assert states[task.id]["Type"] == "Task"
    top = compiled.main.definition["States"]
    bronze = top[compiled.main.definition["StartAt"]]
    assert bronze["Type"] == "Parallel"
    assert sorted(b["StartAt"] for b in bronze["Branches"]) == [
        "bronze_ingest_crm",
        "bronze_ingest_orders",
        "bronze_ingest_products",
    ]
    assert bronze["Next"] == "silver_transform"
    assert top["silver_transform"]["Next"] == "silver_quality_check"
    dims = top[top["silver_quality_check"]["Next"]]
    assert dims["Type"] == "Parallel" and dims["Next"] == "gold_fct_order_line"
    assert top["gold_quality_check"]["Next"] == "semantic_model_refresh"
    assert top["semantic_model_refresh"]["End"] is True
    assert compiled.timing.critical_path_s == compiled.timing.makespan_s == 135 * 60


def test_retries_reproduce_the_spec_delays_and_timeouts() -> None:
    compiled = medallion()
    states = all_states(compiled.main.definition)
    ir = load_pipeline(MEDALLION, ["stepfunctions"]).ir
    assert ir is not None
    for task in ir.tasks:
        state = states[task.id]
        assert state["TimeoutSeconds"] == 3600
        own = [r for r in state.get("Retry", []) if "States.TaskFailed" in r["ErrorEquals"]]
        if task.retry.retries == 0:
            assert not own
            continue
        (retrier,) = own
        assert asl_waits(retrier) == list(task.retry.delays())
        assert "States.Timeout" not in retrier["ErrorEquals"]  # retry_on_timeout is off
    # quality gates are not retried unless they ask (resolve.py), and the ASL agrees
    assert not [r for r in states["silver_quality_check"].get("Retry", []) if "States.TaskFailed" in r["ErrorEquals"]]
    assert asl_waits(
        next(r for r in states["silver_transform"]["Retry"] if "States.TaskFailed" in r["ErrorEquals"])
    ) == [300, 600, 1200]


def test_backoff_cap_and_retry_on_timeout() -> None:
    ir = load(
        spec(
            """tasks:
  a:
    kind: shell
    command: "true"
    timeout: 10m
    retries: {count: 4, delay: 1m, backoff: exponential, backoff_rate: 3, max_delay: 5m, retry_on_timeout: true}
"""
        )
    )
    states = all_states(compile_pipeline(ir).main.definition)
    (retrier,) = [r for r in states["a"]["Retry"] if "States.TaskFailed" in r["ErrorEquals"]]
    assert retrier["ErrorEquals"] == ["States.TaskFailed", "States.Timeout"]
    assert asl_waits(retrier) == list(ir.task("a").retry.delays()) == [60, 180, 300, 300]
    assert retrier["JitterStrategy"] == "NONE"
    assert states["a"]["TimeoutSeconds"] == 600


def test_failure_is_caught_into_an_alert_then_a_fail_state_keeping_the_error() -> None:
    compiled = medallion(Environment(name="prod", name_prefix="prod_"))
    states = all_states(compiled.main.definition)
    task = states["gold_dim_product"]
    (catch,) = task["Catch"]
    assert catch["ErrorEquals"] == ["States.ALL"] and catch["ResultPath"] == "$.failure"
    notify = states[catch["Next"]]
    assert notify["Resource"] == "arn:aws:states:::sns:publish"
    params = notify["Parameters"]
    assert params["TopicArn"] == "${AlertTopicArn}"
    message = {k.removesuffix(".$"): v for k, v in params["Message"].items()}
    assert set(message) == set(ALERT_FIELDS)
    assert message["event"] == "failure"
    assert message["pipeline"] == "prod_medallion_daily_refresh"
    assert message["task"] == "gold_dim_product"
    assert message["environment"] == "prod"
    assert message["platform"] == "stepfunctions"
    assert params["Message"]["error.$"] == "$.failure.Error"
    assert params["Message"]["cause.$"] == "$.failure.Cause"
    assert "$$.Execution.Id" in params["Message"]["run_url.$"]
    assert json.loads(params["MessageAttributes"]["channels"]["StringValue"]) == ["data_team"]
    assert params["Subject"] == "[prod] prod_medallion_daily_refresh.gold_dim_product FAILED"
    fail = states[notify["Next"]]
    assert fail["Type"] == "Fail" and fail["ErrorPath"] == "$.failure.Error"
    assert notify["Catch"][0]["Next"] == notify["Next"]  # a lost alert still fails the run


def test_unrouted_failures_go_straight_to_fail_and_success_alerts_when_routed() -> None:
    ir = load(
        spec(
            """channels: {team: {type: email, addresses: [t@example.com]}}
notify: {on_success: [team], on_start: [team]}
tasks:
  a: {kind: shell, command: "true"}
  b: {kind: shell, command: "true", depends_on: [a], notify: {on_failure: [team], on_success: [team]}}
"""
        )
    )
    d = compile_pipeline(ir).main.definition
    states = all_states(d)
    assert states[states["a"]["Catch"][0]["Next"]]["Type"] == "Fail"
    assert states[states["b"]["Catch"][0]["Next"]]["Resource"].endswith("sns:publish")
    start = states[d["StartAt"]]
    assert start["Parameters"]["Message"]["event"] == "start" and start["Next"] == "a"
    # b's on_success equals the pipeline's: one pipeline-level success alert, at the very end
    end = states[states["b"]["Next"]]
    assert end["Parameters"]["Message"]["event"] == "success" and end["End"] is True
    assert end["Parameters"]["Message"]["task"] == ""


# -- kinds ----------------------------------------------------------------------------------

ATHENA = '{stepfunctions: {athena_database: analytics, athena_output_location: "s3://results/athena/"}}'
KINDS = """tasks:
  py_lambda:
    kind: python
    script: jobs/a.py
    args: ["--day", "1"]
    targets: {stepfunctions: {lambda_function: loader}}
  py_ecs: {kind: python, script: jobs/b.py}
  wheel: {kind: python_wheel, package: etl, entry_point: run}
  sh: {kind: shell, command: "echo hi"}
  dbt_models: {kind: dbt, command: source_freshness, select: [staging], target: prod}
  q: {kind: sql, query: "select 1", check: true}
  spark_job: {kind: spark, main: s3://code/job.jar, main_class: com.x.Job, args: [a]}
  glue_new: {kind: glue, script: s3://scripts/x.py, arguments: {day: "1"}}
  glue_old: {kind: glue, job_name: existing-job}
  call: {kind: http, url: "https://api.example.com/{workspace_id}/run", method: PUT, expect_status: [200, 409]}
  upstream: {kind: pipeline, pipeline: other_pipeline}
"""


def test_each_kind_maps_to_its_service_integration() -> None:
    stack = STACK.model_copy(
        update={
            "emr_application_id": "app1",
            "emr_execution_role_arn": "arn:aws:iam::1:role/emr",
            "glue_role_arn": "arn:aws:iam::1:role/glue",
        }
    )
    compiled = compile_pipeline(load(spec(KINDS, targets=ATHENA)), Deployment(Environment(name_prefix="dev_"), stack))
    states = all_states(compiled.main.definition)
    resource = {t: states[t]["Resource"] for t in ("py_lambda", "py_ecs", "q", "spark_job", "glue_new", "call")}
    assert resource == {
        "py_lambda": "arn:aws:states:::lambda:invoke",
        "py_ecs": "arn:aws:states:::ecs:runTask.sync",
        "q": "arn:aws:states:::athena:startQueryExecution.sync",
        "spark_job": "arn:aws:states:::emr-serverless:startJobRun.sync",
        "glue_new": "arn:aws:states:::glue:startJobRun.sync",
        "call": "arn:aws:states:::http:invoke",
    }
    assert states["upstream"]["Resource"] == "arn:aws:states:::states:startExecution.sync:2"
    assert states["upstream"]["Parameters"]["StateMachineArn"] == "${StateMachineArn:dev_other_pipeline}"
    assert states["py_lambda"]["Parameters"]["FunctionName"] == "loader"
    assert states["py_lambda"]["Parameters"]["Payload"]["args"] == ["--day", "1"]

    def command(task: str) -> list[str]:
        return states[task]["Parameters"]["Overrides"]["ContainerOverrides"][0]["Command"]

    assert command("py_ecs") == ["python", "jobs/b.py"]
    assert command("sh") == ["sh", "-c", "echo hi"]
    assert command("dbt_models") == ["dbt", "source", "freshness", "--select", "staging", "--target", "prod"]
    assert command("wheel")[:2] == ["python", "-c"] and command("wheel")[3] == "run"
    ecs = states["sh"]["Parameters"]
    assert ecs["Cluster"] == "data" and ecs["TaskDefinition"] == "etl:3" and ecs["LaunchType"] == "FARGATE"
    assert ecs["NetworkConfiguration"]["AwsvpcConfiguration"]["Subnets"] == ["subnet-1"]
    assert states["glue_new"]["Parameters"] == {"JobName": "dev_demo-glue_new", "Arguments": {"--day": "1"}}
    assert states["glue_old"]["Parameters"] == {"JobName": "existing-job"}
    assert [j.name for j in compiled.glue_jobs] == ["dev_demo-glue_new"]
    athena = states["q"]["Parameters"]
    assert athena["QueryString"] == "select 1" and athena["QueryExecutionContext"] == {"Database": "analytics"}
    assert athena["ResultConfiguration"] == {"OutputLocation": "s3://results/athena/"}
    # check: the first row must be true, or the task's failure path runs
    fetch = states[states["q"]["Next"]]
    verdict = states[fetch["Next"]]
    assert verdict["Type"] == "Choice" and states[verdict["Default"]]["Next"] == states["q"]["Catch"][-1]["Next"]
    spark = states["spark_job"]["Parameters"]
    assert spark["ApplicationId"] == "app1"
    assert spark["JobDriver"]["SparkSubmit"] == {
        "EntryPoint": "s3://code/job.jar",
        "EntryPointArguments": ["a"],
        "SparkSubmitParameters": "--class com.x.Job",
    }
    http = states["call"]
    assert http["Parameters"]["ApiEndpoint"] == "https://api.example.com/w1/run"
    assert http["Parameters"]["Authentication"] == {"ConnectionArn": "${ConnectionArn:call}"}
    # 409 is an expected answer: not retried, and caught into the success path
    assert http["Retry"][0] == {"ErrorEquals": ["States.Http.StatusCode.409"], "MaxAttempts": 0}
    assert http["Catch"][0]["ErrorEquals"] == ["States.Http.StatusCode.409"]
    assert compiled.pipelines == {"other_pipeline": "dev_other_pipeline"}
    assert compiled.missing_stack == ()


def test_unset_stack_settings_become_placeholders_the_component_refuses() -> None:
    compiled = compile_pipeline(load(spec(KINDS, targets=ATHENA)))
    assert set(compiled.missing_stack) >= {
        "ecs_cluster",
        "ecs_subnets",
        "ecs_task_definition",
        "emr_application_id",
        "glue_role_arn",
        "parameters.workspace_id",
    }
    assert "Stack:ecs_subnets" in compiled.placeholders


@pytest.mark.parametrize(
    ("body", "code", "needle"),
    [
        ("tasks: {nb: {kind: notebook, path: /x}}", "PS400", "'nb' of kind 'notebook'"),
        (
            "tasks: {s: {kind: shell, command: x, targets: {stepfunctions: {integration: glue}}}}",
            "PS463",
            "cannot use the 'glue' integration",
        ),
        (
            "tasks: {s: {kind: python, script: x.py, targets: {stepfunctions: {integration: lambda}}}}",
            "PS463",
            "names no lambda_function",
        ),
        ("tasks: {q: {kind: sql, file: q.sql}}", "PS465", "Athena runs inline query text only"),
        (
            """tasks:
  a: {kind: shell, command: x}
  b: {kind: shell, command: x}
  c: {kind: shell, command: x, depends_on: [a, b], trigger_rule: one_success}
""",
            "PS461",
            "task 'c' runs when one upstream task succeeded",
        ),
        (
            """tasks:
  a: {kind: shell, command: x}
  b: {kind: shell, command: x, depends_on: [a]}
  cleanup: {kind: shell, command: x, depends_on: [a], trigger_rule: all_done}
""",
            "PS461",
            "task 'cleanup' (all_done) does not depend, directly or indirectly, on b",
        ),
        (
            """tasks:
  a: {kind: shell, command: x}
  onfail: {kind: shell, command: x, depends_on: [a], trigger_rule: one_failed}
  after: {kind: shell, command: x, depends_on: [onfail]}
""",
            "PS461",
            "has downstream tasks ['after']",
        ),
        (
            "triggers: [{type: file_arrival, path: s3://b/in/}]\ntasks: {a: {kind: shell, command: x}}",
            "PS467",
            "does not deploy file_arrival triggers",
        ),
    ],
)
def test_what_step_functions_cannot_run_is_an_error_naming_task_and_target(body: str, code: str, needle: str) -> None:
    found = [d for d in diagnostics(spec(body)) if d.code == code]
    assert found, [d.format() for d in diagnostics(spec(body))]
    assert any(needle in d.message for d in found), [d.message for d in found]
    assert all(d.is_error and d.target == "stepfunctions" and d.line > 0 for d in found)


def test_failure_handlers_run_after_the_body_and_none_failed_is_plain() -> None:
    ir = load(
        spec(
            """tasks:
  a: {kind: shell, command: x}
  b: {kind: shell, command: x, depends_on: [a], trigger_rule: none_failed}
  alert_oncall: {kind: shell, command: x, depends_on: [b], trigger_rule: one_failed}
  cleanup: {kind: shell, command: x, depends_on: [b], trigger_rule: all_done}
"""
        )
    )
    d = compile_pipeline(ir).main.definition
    states = all_states(d)
    body = states[d["StartAt"]]
    assert d["StartAt"] == "Run pipeline" and len(body["Branches"]) == 1
    assert body["Catch"][0]["ResultPath"] == "$.failure"
    handlers = states[body["Next"]]
    assert body["Catch"][0]["Next"] == body["Next"]
    starts = sorted(b["StartAt"] for b in handlers["Branches"])
    assert starts == ["alert_oncall: after a failure?", "cleanup"]
    gate = states["alert_oncall: after a failure?"]
    assert gate["Choices"] == [{"Variable": "$.failure", "IsPresent": True, "Next": "alert_oncall"}]
    outcome = states[handlers["Next"]]
    assert states[outcome["Choices"][0]["Next"]] == {
        "Type": "Fail",
        "ErrorPath": "$.failure.Error",
        "CausePath": "$.failure.Cause",
    }


# -- timing, limits, determinism --------------------------------------------------------------

N_GRAPH = """tasks:
  a: {kind: shell, command: x, expected_duration: 10m}
  b: {kind: shell, command: x, expected_duration: 1m}
  c: {kind: shell, command: x, depends_on: [a, b], expected_duration: 1m}
  d: {kind: shell, command: x, depends_on: [b], expected_duration: 10m}
"""


def test_a_non_series_parallel_dag_warns_with_the_added_time_and_the_cli_prints_it(tmp_path: Path) -> None:
    diags = diagnostics(spec(N_GRAPH, "ngraph"))
    (warning,) = [d for d in diags if d.code == "PS460"]
    assert not warning.is_error and warning.target == "stepfunctions"
    assert (
        "critical path 11m" in warning.message
        and "(+1m," in warning.message
        and "not series-parallel" in warning.message
    )
    compiled = compile_pipeline(load(spec(N_GRAPH, "ngraph")))
    assert compiled.timing.critical_path_s == 11 * 60
    assert compiled.timing.makespan_s > compiled.timing.critical_path_s
    path = tmp_path / "ngraph.yaml"
    path.write_text(spec(N_GRAPH, "ngraph"))
    result = CliRunner().invoke(cli, ["render", str(path), "--target", "stepfunctions", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "critical path 11m, Step Functions makespan 12m" in result.output and "state transitions" in result.output
    from_file = load_pipeline(path, ["stepfunctions"]).ir
    assert from_file is not None
    assert (tmp_path / "ngraph.asl.json").read_text() == compile_pipeline(from_file).main.text
    assert not [
        d for d in diagnostics(spec(KINDS, targets=ATHENA)) if d.code == "PS460"
    ]  # series-parallel: exact, no warning


def test_output_is_deterministic_and_ignores_spec_order() -> None:
    body = "tasks:\n" + "\n".join(
        f"  t{i}: {{kind: shell, command: x, depends_on: [{', '.join(f't{j}' for j in range(max(0, i - 3), i))}]}}"
        for i in range(12)
    )
    reordered = "tasks:\n" + "\n".join(reversed(body.splitlines()[1:]))
    first = TARGET.render(load(spec(body)))
    assert first == TARGET.render(load(spec(body)))
    assert first == TARGET.render(load(spec(reordered)))


def layered(n: int, width: int = 8) -> str:
    lines = ["defaults: {retries: 2}", "tasks:"]
    for i in range(n):
        layer = i // width
        deps = [f"t{j:03d}" for j in range((layer - 1) * width, layer * width) if j >= 0 and (i + j) % 3 == 0]
        dep = f", depends_on: [{', '.join(deps)}]" if layer and deps else ""
        lines.append(f"  t{i:03d}: {{kind: shell, command: run {i}{dep}}}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(("max_bytes", "max_events"), [(40_000, 25_000), (1_048_576, 400)])
def test_too_large_pipelines_split_into_nested_machines_within_limits(max_bytes: int, max_events: int) -> None:
    ir = load(spec(layered(96)))
    compiled = compile_pipeline(ir, None, CompileOptions(max_definition_bytes=max_bytes, max_history_events=max_events))
    machines = {m.name: m for m in compiled.machines}
    assert len(machines) > 1
    seen: list[str] = []
    for m in compiled.machines:
        assert m.deployed_bytes <= max_bytes
        assert m.events_worst <= max_events
        seen += m.tasks
        for state in all_states(m.definition).values():
            arn = state.get("Parameters", {}).get("StateMachineArn", "")
            if state.get("Resource", "").endswith("startExecution.sync:2"):
                assert arn.removeprefix("${StateMachineArn:").removesuffix("}") in machines
                assert "Retry" not in state and "Catch" not in state  # never re-run finished tasks
    assert sorted(seen) == sorted(t.id for t in ir.tasks)  # every task exactly once
    # nested machines are named after their tasks: stable and within the 80-character limit
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{1,80}", name) for name in machines)


def test_state_names_stay_unique_and_within_80_characters() -> None:
    long_a, long_b = "a" * 80, "a" * 79 + "b"
    ir = load(
        spec(
            f"""channels: {{team: {{type: email, addresses: [t@example.com]}}}}
notify: {{on_failure: [team]}}
tasks:
  {long_a}: {{kind: shell, command: x}}
  {long_b}: {{kind: shell, command: x}}
  z: {{kind: shell, command: x, depends_on: [{long_a}, {long_b}]}}
"""
        )
    )
    states = all_states(compile_pipeline(ir).main.definition)
    assert long_a in states and long_b in states
    assert all(len(name) <= 80 for name in states)
    helpers = [n for n in states if n not in (long_a, long_b, "z")]
    assert all(" " in n for n in helpers)


def test_stale_alarm_window_follows_schedule_timezone_and_sla() -> None:
    ir = load_pipeline(MEDALLION, ["stepfunctions"]).ir
    assert ir is not None
    alarm = stale_alarm(ir, 0)
    assert alarm is not None and (alarm.window_s, alarm.period_s, alarm.evaluation_periods) == (28 * 3600, 3600, 28)
    berlin = load(spec("schedule: {cron: '0 3 * * *', timezone: Europe/Berlin}\ntasks: {a: {kind: shell, command: x}}"))
    assert berlin.schedule is not None
    assert longest_gap_s(berlin.schedule.cron, "Europe/Berlin") == 25 * 3600  # the autumn DST change
    monthly = load(spec("schedule: {cron: '0 3 1 * *'}\ntasks: {a: {kind: shell, command: x}}"))
    assert stale_alarm(monthly, 600) is None  # beyond CloudWatch's 7-day look-back


def test_render_matches_golden_file() -> None:
    ir = load_pipeline(MEDALLION, ["stepfunctions"]).ir
    assert ir is not None
    (rendered,) = TARGET.render(ir)
    golden = GOLDEN / rendered.filename
    if os.environ.get("PIPESPEC_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(rendered.content, encoding="utf-8")
    assert rendered.content == golden.read_text(encoding="utf-8"), "PIPESPEC_UPDATE_GOLDEN=1 pytest ... to update"


def test_every_shipped_stepfunctions_pipeline_compiles() -> None:
    for path in sorted((ROOT / "pipelines").glob("*.yaml")):
        loaded = load_pipeline(path)
        if loaded.ir is None or "stepfunctions" not in loaded.ir.targets:
            continue
        try:
            compiled = compile_pipeline(loaded.ir, Deployment(Environment(), STACK))
        except StepFunctionsCompileError as exc:  # pragma: no cover - the message is the point
            pytest.fail(str(exc))
        assert compiled.main.deployed_bytes < 1_048_576

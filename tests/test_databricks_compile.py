"""Databricks compiler and checks: mappings, limits and approximations, through the whole spec chain."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pipespec.cli import cli
from pipespec.diagnostics import Diagnostic, Severity
from pipespec.environment import Deployment, Environment
from pipespec.ir import PipelineIR
from pipespec.project import Loaded, load_string
from pipespec.targets.databricks.compile import DatabricksCompileError, compile_job
from pipespec.targets.databricks.stack import DatabricksStack
from pipespec.targets.databricks.target import TARGET

ROOT = Path(__file__).resolve().parents[1]

HEAD = """\
apiVersion: pipespec/v1
name: p
owner: team
triggers: [{type: manual}]
targets: {databricks: {warehouse_id: wh}}
"""


def load(body: str, head: str = HEAD) -> Loaded:
    return load_string(head + textwrap.dedent(body), "spec.yaml", ["databricks"])


def ir_of(body: str, head: str = HEAD) -> PipelineIR:
    loaded = load(body, head)
    assert loaded.ok and loaded.ir is not None, [d.format() for d in loaded.diagnostics]
    return loaded.ir


def codes(loaded: Loaded, severity: Severity | None = None) -> list[str]:
    return [d.code for d in loaded.diagnostics if severity is None or d.severity is severity]


def one(loaded: Loaded, code: str) -> Diagnostic:
    found = [d for d in loaded.diagnostics if d.code == code]
    assert len(found) == 1, [d.format() for d in loaded.diagnostics]
    return found[0]


def tasks(ir: PipelineIR, deployment: Deployment | None = None) -> dict[str, dict[str, Any]]:
    return {t["task_key"]: t for t in compile_job(ir, deployment).settings["tasks"]}


def _many(n: int) -> str:
    lines = ["tasks:"]
    for i in range(n):
        lines += [f"  t{i:04d}:", "    kind: notebook", f"    path: /nb/{i}"]
        if i:
            lines.append(f"    depends_on: [t{i - 1:04d}]")
    return "\n".join(lines) + "\n"


def test_more_than_1000_tasks_is_rejected_with_a_clear_message() -> None:
    loaded = load(_many(1001))
    d = one(loaded, "PS440")
    assert d.is_error and d.target == "databricks"
    assert "has 1001 tasks; a Databricks job holds at most 1000" in d.message
    assert "kind: pipeline" in d.hint
    assert "PS440" not in codes(load(_many(1000)))


def test_exponential_backoff_is_approximated_by_the_mean_with_a_warning_naming_the_delays() -> None:
    body = """
    tasks:
      load:
        kind: python
        script: /x.py
        retries: {count: 3, delay: 5m, backoff: exponential, max_delay: 30m}
      steady:
        kind: python
        script: /y.py
        retries: {count: 3, delay: 5m}
    """
    loaded = load(body)
    d = one(loaded, "PS454")
    assert d.severity is Severity.WARNING
    assert d.path == ("tasks", "load", "retries") and d.line == 8
    assert "waits 5m, 10m, 20m before its 3 retries" in d.message
    assert "11m40s (min_retry_interval_millis=700000)" in d.message
    assert "the same 35m in total" in d.message
    assert loaded.ir is not None
    out = tasks(loaded.ir)
    assert out["load"]["min_retry_interval_millis"] == 700_000
    assert out["steady"]["min_retry_interval_millis"] == 300_000  # fixed: exact, no warning


def test_capped_backoff_counts_the_cap() -> None:
    loaded = load(
        "tasks:\n  a: {kind: python, script: /a.py,\n"
        "      retries: {count: 3, delay: 1m, backoff: exponential, max_delay: 90s}}\n"
    )
    assert "waits 1m, 1m30s, 1m30s before its 3 retries" in one(loaded, "PS454").message


def test_trigger_rules_map_to_run_if() -> None:
    body = """
    tasks:
      a: {kind: python, script: /a.py}
      b: {kind: python, script: /b.py}
      cleanup: {kind: python, script: /c.py, depends_on: [a, b], trigger_rule: all_done}
      alert: {kind: python, script: /d.py, depends_on: [a, b], trigger_rule: one_failed}
      either: {kind: python, script: /e.py, depends_on: [a, b], trigger_rule: one_success}
      all_bad: {kind: python, script: /f.py, depends_on: [a, b], trigger_rule: all_failed}
      no_fail: {kind: python, script: /g.py, depends_on: [a, b], trigger_rule: none_failed}
    """
    out = tasks(ir_of(body))
    assert {k: t.get("run_if") for k, t in out.items()} == {
        "a": None,
        "b": None,
        "cleanup": "ALL_DONE",
        "alert": "AT_LEAST_ONE_FAILED",
        "either": "AT_LEAST_ONE_SUCCESS",
        "all_bad": "ALL_FAILED",
        "no_fail": "NONE_FAILED",
    }


def test_a_failed_gate_blocks_everything_downstream_even_past_an_all_done_task() -> None:
    body = """
    tasks:
      load: {kind: python, script: /l.py}
      gate: {kind: sql, query: SELECT true, check: true, quality_gate: true, depends_on: [load]}
      audit: {kind: python, script: /a.py, depends_on: [gate], trigger_rule: all_done}
      publish: {kind: python, script: /p.py, depends_on: [audit]}
      direct: {kind: python, script: /d.py, depends_on: [gate]}
      on_gate_failure: {kind: python, script: /f.py, depends_on: [gate], trigger_rule: one_failed}
      unrelated: {kind: python, script: /u.py, depends_on: [load]}
    """
    out = tasks(ir_of(body))
    deps = {k: [d["task_key"] for d in t.get("depends_on", [])] for k, t in out.items()}
    assert deps["publish"] == ["audit", "gate"]  # added: audit runs whatever the gate did
    assert out["publish"]["run_if"] == "ALL_SUCCESS"
    assert deps["direct"] == ["gate"]  # blocked through the chain already
    assert deps["audit"] == ["gate"] and out["audit"]["run_if"] == "ALL_DONE"
    assert deps["on_gate_failure"] == ["gate"] and out["on_gate_failure"]["run_if"] == "AT_LEAST_ONE_FAILED"
    assert deps["unrelated"] == ["load"]


def test_a_pipeline_completion_trigger_is_rejected_with_the_fix() -> None:
    head = HEAD.replace("triggers: [{type: manual}]", "triggers: [{type: pipeline, pipeline: upstream}]")
    d = one(load("tasks:\n  a: {kind: python, script: /a.py}\n", head), "PS442")
    assert d.is_error and "cannot be triggered by another job's completion" in d.message
    assert "kind: pipeline" in d.hint and "'upstream'" in d.hint


def test_a_schedule_and_a_file_trigger_cannot_share_a_job() -> None:
    head = HEAD.replace(
        "triggers: [{type: manual}]",
        "schedule: {cron: '0 3 * * *'}\ntriggers: [{type: file_arrival, path: /Volumes/in/}]",
    )
    assert one(load("tasks:\n  a: {kind: python, script: /a.py}\n", head), "PS443").is_error


def test_cron_quartz_cannot_express_is_an_error() -> None:
    head = HEAD.replace("triggers: [{type: manual}]", "schedule: {cron: '0 0 1 * 1'}")
    d = one(load("tasks:\n  a: {kind: python, script: /a.py}\n", head), "PS441")
    assert "Quartz" in d.message and d.hint


def test_schedule_timezone_and_pause() -> None:
    head = HEAD.replace("triggers: [{type: manual}]", "schedule: {cron: '30 6 * * 1-5', timezone: Europe/Berlin}")
    ir = ir_of("tasks:\n  a: {kind: python, script: /a.py}\n", head)
    prod = compile_job(ir).settings["schedule"]
    assert prod == {
        "quartz_cron_expression": "0 30 6 ? * 2-6",
        "timezone_id": "Europe/Berlin",
        "pause_status": "UNPAUSED",
    }
    dev = compile_job(ir, Deployment(Environment(pause_schedules=True))).settings["schedule"]
    assert dev["pause_status"] == "PAUSED"


def test_platform_gaps_are_warnings() -> None:
    head = HEAD + "catchup: true\nmax_active_tasks: 4\n"
    loaded = load("tasks:\n  a: {kind: python, script: /a.py}\n", head)
    assert one(loaded, "PS444").severity is Severity.WARNING
    assert one(loaded, "PS445").severity is Severity.WARNING


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("  a: {kind: python, script: /a.py, targets: {databricks: {cluster: nope}}}\n", "PS447"),
        ("  a: {kind: python, script: a.py, targets: {databricks: {source: GIT}}}\n", "PS449"),
        ("  a: {kind: spark, main: /j/app.jar}\n", "PS452"),
        ("  a: {kind: sql, file: checks/a.sql, check: true}\n", "PS453"),
        ("  a: {kind: dbt, command: run}\n", "PS456"),
    ],
)
def test_spec_level_problems_point_at_the_task(body: str, code: str) -> None:
    d = one(load("tasks:\n" + body), code)
    assert d.path[:2] == ("tasks", "a") and d.line == 7 and d.hint


def test_stack_dependent_problems_raise_with_diagnostics() -> None:
    ir = ir_of(
        "tasks:\n  q: {kind: sql, query: SELECT 1}\n", HEAD.replace("targets: {databricks: {warehouse_id: wh}}", "")
    )
    with pytest.raises(DatabricksCompileError) as err:
        compile_job(ir)
    (d,) = err.value.diagnostics
    assert (d.code, d.line, d.path) == ("PS450", 7, ("tasks", "q", "targets", "databricks", "warehouse_id"))
    assert compile_job(ir, Deployment(settings=DatabricksStack(warehouse_id="w")))  # the stack can supply it
    ir2 = ir_of("tasks:\n  a: {kind: python, script: /a.py}\n")
    with pytest.raises(DatabricksCompileError, match="PS451"):
        compile_job(ir2, Deployment(settings=DatabricksStack(serverless=False)))


def test_notifications_per_event() -> None:
    head = HEAD + textwrap.dedent(
        """\
        sla: 1h
        channels:
          mail: {type: email, addresses: [b@x.io, a@x.io]}
          slack: {type: slack, webhook_url_secret: slackUrl}
        notify: {on_failure: [mail, slack], on_sla_miss: [slack], on_retry: [slack]}
        """
    )
    body = """
    tasks:
      a: {kind: python, script: /a.py, retries: 2}
      b: {kind: python, script: /b.py, sla: 10m, notify: {on_sla_miss: [mail]}}
      c: {kind: python, script: /c.py, notify: {on_failure: [mail]}}
    """
    job = compile_job(ir_of(body, head)).settings
    assert job["email_notifications"] == {"on_failure": ["a@x.io", "b@x.io"]}
    assert job["webhook_notifications"] == {
        "on_failure": [{"id": "${destination:slack}"}],
        "on_duration_warning_threshold_exceeded": [{"id": "${destination:slack}"}],
    }
    out = {t["task_key"]: t for t in job["tasks"]}
    # on_retry: every failed attempt alerts the retry channels.
    assert out["a"]["webhook_notifications"] == {"on_failure": [{"id": "${destination:slack}"}]}
    assert out["a"]["notification_settings"] == {"alert_on_last_attempt": False}
    # task SLA: a task health rule and its own on_sla_miss routing.
    assert out["b"]["health"]["rules"][0]["value"] == 600
    assert out["b"]["email_notifications"] == {"on_duration_warning_threshold_exceeded": ["a@x.io", "b@x.io"]}
    # a task overriding on_failure is told once, on the last attempt.
    assert out["c"]["email_notifications"] == {"on_failure": ["a@x.io", "b@x.io"]}
    assert out["c"]["notification_settings"] == {"alert_on_last_attempt": True}


def test_dbt_commands() -> None:
    body = """
    tasks:
      fresh: {kind: dbt, command: source_freshness, project_dir: /d}
      full: {kind: dbt, command: build, select: [a, "tag:x y"], exclude: b, full_refresh: true, project_dir: /d}
      tst: {kind: dbt, command: test, vars: {n: 1, w: "a b"}, target: prod, project_dir: /d}
    """
    out = tasks(ir_of(body))
    assert out["fresh"]["dbt_task"]["commands"] == ["dbt deps", "dbt source freshness"]
    assert out["full"]["dbt_task"]["commands"][1] == "dbt build --select a 'tag:x y' --exclude b --full-refresh"
    assert out["tst"]["dbt_task"]["commands"][1] == """dbt test --target prod --vars '{"n":1,"w":"a b"}'"""
    assert out["tst"]["dbt_task"]["warehouse_id"] == "wh"
    # dbt test has no --full-refresh: the spec says so instead of silently dropping it
    bad = load("""
    tasks:
      tst: {kind: dbt, command: test, full_refresh: true, project_dir: /d}
    """)
    assert any("full_refresh applies to dbt build, run, seed, not test" in d.message for d in bad.diagnostics)


def test_http_task_uses_the_runner_without_embedding_secrets() -> None:
    body = """
    tasks:
      call:
        kind: http
        url: https://api.x.io/{ws}/items/{item}
        auth: {token_secret: "api:token"}
    """
    stack = DatabricksStack(parameters={"ws": "W1"})
    job = compile_job(ir_of(body), Deployment(settings=stack))
    params = job.settings["tasks"][0]["spark_python_task"]["parameters"]
    assert params[params.index("--token-secret") + 1] == "p/api_token"
    assert "--param" in params and "ws={{job.parameters.ws}}" in params
    assert job.settings["parameters"] == [{"default": "", "name": "item"}, {"default": "W1", "name": "ws"}]
    assert [(s.config_key, s.scope, s.key) for s in job.secrets] == [("api:token", "p", "api_token")]
    assert [f.path for f in job.files] == ["/Shared/pipespec/p/pipespec_runner.py"]


def test_too_many_tags_with_the_environments() -> None:
    ir = ir_of("tasks:\n  a: {kind: python, script: /a.py}\n")
    env = Environment(tags={f"k{i}": "v" for i in range(25)})
    with pytest.raises(DatabricksCompileError, match="26 tags"):
        compile_job(ir, Deployment(env))


def test_render_is_deterministic_sorted_and_independent_of_spec_order() -> None:
    body_a = "tasks:\n  b: {kind: python, script: /b.py, depends_on: [a]}\n  a: {kind: notebook, path: /a}\n"
    body_b = "tasks:\n  a: {kind: notebook, path: /a}\n  b: {kind: python, script: /b.py, depends_on: [a]}\n"
    first = TARGET.render(ir_of(body_a))
    assert [r.content for r in first] == [r.content for r in TARGET.render(ir_of(body_b))]
    text = first[0].content
    assert text.endswith("}\n") and text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"


def test_cli_render_writes_the_job_settings(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "render",
            str(ROOT / "pipelines" / "medallion_daily_refresh.yaml"),
            "--target",
            "databricks",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    job = json.loads((tmp_path / "medallion_daily_refresh.job.json").read_text())
    assert job["name"] == "medallion_daily_refresh" and len(job["tasks"]) == 11
    assert (tmp_path / "medallion_daily_refresh.pipespec_runner.py").exists()

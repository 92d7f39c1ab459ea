"""The Fabric compiler: one activity per task with the spec's dependencies and retries, the
failure path to Teams / email with the alert contract, schedules, limits and placeholders."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pipespec.alerts import ALERT_FIELDS
from pipespec.cli import cli
from pipespec.diagnostics import SpecError
from pipespec.environment import Deployment, Environment
from pipespec.ir import PipelineIR
from pipespec.project import load_string
from pipespec.targets.fabric.compile import CONDITIONS, compile_fabric
from pipespec.targets.fabric.target import TARGET, FabricStack

ROOT = Path(__file__).resolve().parent.parent
MEDALLION = (ROOT / "pipelines" / "medallion_daily_refresh.yaml").read_text(encoding="utf-8")
FABRIC_SPEC = (ROOT / "pipelines" / "fabric_medallion_refresh.yaml").read_text(encoding="utf-8")


def load(text: str) -> tuple[PipelineIR, list[str]]:
    loaded = load_string(text, "spec.yaml", targets=["fabric"])
    assert loaded.ir is not None, [d.format() for d in loaded.diagnostics]
    return loaded.ir, [d.format() for d in loaded.diagnostics if d.target == "fabric"]


def medallion() -> PipelineIR:
    ir, found = load(MEDALLION + "\ntargets: {fabric: {}}\n")
    assert not any("error[" in d for d in found), found
    return ir


def activities(ir: PipelineIR, deployment: Deployment | None = None) -> dict[str, dict[str, Any]]:
    compiled = compile_fabric(ir, deployment or Deployment())
    assert not compiled.diagnostics, [d.format() for d in compiled.diagnostics]
    return {a["name"]: a for a in compiled.content["properties"]["activities"]}


def spec(tasks: str, extra: str = "") -> str:
    return f"apiVersion: pipespec/v1\nname: p\nowner: t\ntargets: {{fabric: {{}}}}\n{extra}\ntasks:\n{tasks}"


def test_medallion_has_one_activity_per_task_with_exactly_its_dependencies_and_retries() -> None:
    ir = medallion()
    acts = activities(ir)
    for task in ir.tasks:
        act = acts[task.id]
        deps = {d["activity"]: d["dependencyConditions"] for d in act["dependsOn"]}
        assert deps == {d: ["Succeeded"] for d in task.depends_on}, task.id
        assert act["policy"]["retry"] == task.retry.retries
        assert act["policy"]["timeout"] == "0.01:00:00"
    # 5m, 10m, 20m exponential: Fabric waits one interval, the mean, so the total wait is the spec's
    assert acts["bronze_ingest_crm"]["policy"]["retryIntervalInSeconds"] == 700
    assert acts["silver_quality_check"]["policy"]["retry"] == 0  # quality gates are not retried
    kinds = {n: a["type"] for n, a in acts.items() if n in {t.id for t in ir.tasks}}
    assert kinds["bronze_ingest_crm"] == "SparkJobDefinition"
    assert (
        acts["bronze_ingest_crm"]["typeProperties"]["sparkJobDefinitionId"] == "${item:SparkJobDefinition/ingest_crm}"
    )
    assert kinds["silver_transform"] == "TridentNotebook"
    params = acts["silver_transform"]["typeProperties"]["parameters"]
    assert params == {"dbt_command": {"value": "dbt run --select staging --target prod", "type": "string"}}
    refresh = acts["semantic_model_refresh"]
    assert refresh["type"] == "PBISemanticModelRefresh"
    assert refresh["typeProperties"]["groupId"] == "${param:workspace_id}"
    assert refresh["externalReferences"] == {"connection": "${connection:powerbi}"}


def test_fixed_delays_are_reproduced_exactly() -> None:
    ir, found = load(spec("  a: {kind: notebook, path: nb/a, retries: {count: 4, delay: 2m}, timeout: 90m}\n"))
    act = activities(ir)["a"]
    assert act["policy"]["retry"] == 4 and act["policy"]["retryIntervalInSeconds"] == 120
    assert act["policy"]["timeout"] == "0.01:30:00"
    assert not [f for f in found if "PS434" in f and "warning" in f]


def test_exponential_and_too_short_delays_are_reported() -> None:
    ir, found = load(
        spec(
            "  a: {kind: notebook, path: a, retries: {count: 3, delay: 1m, backoff: exponential}}\n"
            "  b: {kind: notebook, path: b, retries: {count: 2, delay: 10s}}\n"
        )
    )
    acts = activities(ir)
    assert acts["a"]["policy"]["retryIntervalInSeconds"] == 140 and acts["b"]["policy"]["retryIntervalInSeconds"] == 30
    assert any("'a' waits 1m, 2m, 4m" in f and "2m20s" in f for f in found)
    assert any("'b' waits 10s, 10s" in f and "30s" in f for f in found)


def test_trigger_rules_become_dependency_conditions() -> None:
    tasks = "".join(
        f"  t_{rule}: {{kind: notebook, path: x, depends_on: [a], trigger_rule: {rule}}}\n" for rule in CONDITIONS
    )
    ir, _ = load(spec("  a: {kind: notebook, path: a}\n" + tasks))
    acts = activities(ir)
    for rule, conditions in CONDITIONS.items():
        assert acts[f"t_{rule}"]["dependsOn"] == [{"activity": "a", "dependencyConditions": conditions}]
    _, found = load(
        spec(
            "  a: {kind: notebook, path: a}\n  b: {kind: notebook, path: b}\n"
            "  h: {kind: notebook, path: h, depends_on: [a, b], trigger_rule: one_failed}\n"
        )
    )
    assert any("PS435" in f and "runs it when all of them failed" in f for f in found)


def test_failure_path_notifies_each_channel_then_fails_the_run() -> None:
    ir, _ = load(FABRIC_SPEC)
    acts = activities(ir)
    task = "gold_fct_order_line"
    teams = acts[f"notify_failure_{task}_teams_data"]
    email = acts[f"notify_failure_{task}_data_team"]
    for act in (teams, email):
        assert act["dependsOn"] == [{"activity": task, "dependencyConditions": ["Failed"]}]
    assert teams["type"] == "WebActivity" and teams["externalReferences"] == {"connection": "${connection:teams_data}"}
    assert email["type"] == "Office365Email" and email["typeProperties"]["to"] == "data-team@company.com"
    fail = acts[f"fail_{task}"]
    assert fail["type"] == "Fail"
    assert {d["activity"]: d["dependencyConditions"] for d in fail["dependsOn"]} == {
        teams["name"]: ["Completed"],
        email["name"]: ["Completed"],
    }
    # the Teams body is the alert contract as an Adaptive Card; the error is inserted at run time, JSON-escaped
    body = teams["typeProperties"]["body"]
    assert body["type"] == "Expression"
    error = re.search(r"@\{replace\(.*?activity\('gold_fct_order_line'\)\.error\.message.*?\}", body["value"])
    assert error is not None
    card = json.loads(body["value"].replace(error.group(0), "ERR"))
    facts = {f["title"]: f["value"] for f in card["attachments"][0]["content"]["body"][1]["facts"]}
    assert facts == {
        "Pipeline": "fabric_medallion_refresh",
        "Task": task,
        "Environment": "dev",
        "Platform": "fabric",
        "Error": "ERR",
    }
    assert "@{pipeline().RunId}" in body["value"]
    # every task's failure is caught, and nothing else depends on a task's failure
    assert sum(a["type"] == "Fail" for a in acts.values()) == len(ir.tasks)


def test_alert_fields_follow_the_contract_for_webhooks() -> None:
    text = spec(
        "  a: {kind: notebook, path: a}\n",
        "channels:\n  hook: {type: webhook, url_secret: hookUrl}\nnotify: {on_failure: [hook], on_success: [hook]}\n",
    )
    ir, _ = load(text)
    acts = activities(ir, Deployment(Environment(name="prod", name_prefix="prod_")))
    value = acts["notify_failure_a_hook"]["typeProperties"]["body"]["value"]
    payload = json.loads(re.sub(r"@\{replace\(.*?\)\}", "ERR", value))
    assert set(payload) <= {*ALERT_FIELDS, "title"}
    assert payload["pipeline"] == "prod_p" and payload["event"] == "failure" and payload["environment"] == "prod"
    success = acts["notify_success_hook"]
    assert success["dependsOn"] == [{"activity": "a", "dependencyConditions": ["Succeeded"]}]
    assert json.loads(success["typeProperties"]["body"]["value"])["event"] == "success"


@pytest.mark.parametrize(
    ("cron", "timezone", "expected"),
    [
        ("0 3 * * *", "UTC", [{"type": "Daily", "times": ["03:00"]}]),
        (
            "15 6,18 * * 1-5",
            "Europe/Berlin",
            [
                {
                    "type": "Weekly",
                    "times": ["06:15", "18:15"],
                    "weekdays": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
                }
            ],
        ),
        (
            "0 2 1,15 */3 *",
            "America/New_York",
            [
                {
                    "type": "Monthly",
                    "recurrence": 3,
                    "times": ["02:00"],
                    "occurrence": {"occurrenceType": "DayOfMonth", "dayOfMonth": d},
                }
                for d in (1, 15)
            ],
        ),
        ("*/5 * * * *", "UTC", [{"type": "Cron", "interval": 5}]),
    ],
)
def test_cron_becomes_fabric_schedules(cron: str, timezone: str, expected: list[dict[str, Any]]) -> None:
    ir, _ = load(spec("  a: {kind: notebook, path: a}\n", f"schedule: {{cron: '{cron}', timezone: {timezone}}}\n"))
    compiled = compile_fabric(ir, Deployment())
    configs = [s["configuration"] for s in compiled.schedules]
    assert [{k: v for k, v in c.items() if k in e} for c, e in zip(configs, expected, strict=True)] == expected
    zone = {"UTC": "UTC", "Europe/Berlin": "W. Europe Standard Time", "America/New_York": "Eastern Standard Time"}
    assert {c["localTimeZoneId"] for c in configs} == {zone[timezone]}
    assert all(s["enabled"] for s in compiled.schedules)


def test_paused_stacks_deploy_disabled_schedules() -> None:
    ir, _ = load(spec("  a: {kind: notebook, path: a}\n", "schedule: {cron: '0 3 * * *'}\n"))
    compiled = compile_fabric(ir, Deployment(Environment(name="dev", pause_schedules=True)))
    assert [s["enabled"] for s in compiled.schedules] == [False]


@pytest.mark.parametrize(
    ("cron", "why"),
    [("0 3 1 * 1", "day of the month OR the weekday"), ("0 3 * 6 1", "weekdays of some months")],
)
def test_schedules_fabric_cannot_express_are_errors(cron: str, why: str) -> None:
    _, found = load(spec("  a: {kind: notebook, path: a}\n", f"schedule: {{cron: '{cron}'}}\n"))
    assert any("error[PS433]" in f and why in f for f in found), found


def test_unsupported_kinds_and_activities_are_errors_with_hints() -> None:
    _, found = load(spec("  a: {kind: shell, command: ls}\n"))
    assert any("cannot run on Microsoft Fabric" in f and "notebook or Spark job definition" in f for f in found)
    _, found = load(spec("  a: {kind: sql, file: q.sql}\n  b: {kind: sql, query: 'select 1', check: true}\n"))
    assert any("PS431" in f and "inline SQL only" in f for f in found)
    assert any("PS431" in f and "THROW" in f for f in found)
    _, found = load(spec("  a: {kind: notebook, path: a, targets: {fabric: {activity: web}}}\n"))
    assert any("PS431" in f and "cannot run as a Fabric web activity" in f and "copy, notebook" in f for f in found)
    _, found = load(spec("  a: {kind: notebook, path: a}\n", "triggers: [{type: file_arrival, path: 's3://b/'}]\n"))
    assert any("error[PS430]" in f and "Activator" in f for f in found)


def test_too_many_activities_is_an_error() -> None:
    tasks = "".join(f"  t{i:03d}: {{kind: notebook, path: n}}\n" for i in range(45))
    text = spec(tasks, "channels:\n  mail: {type: email, addresses: [a@b.co]}\nnotify: {on_failure: [mail]}\n")
    _, found = load(text)
    assert any("error[PS432]" in f and "135 Fabric activities" in f for f in found)


def test_stack_settings_fill_connections_and_parameters() -> None:
    ir = medallion()
    stack = FabricStack(
        connections={
            "powerbi": "11111111-2222-3333-4444-555555555555",
            "office365": "66666666-2222-3333-4444-555555555555",
        },
        parameters={"workspace_id": "ws-1", "dataset_id": "ds-1"},
    )
    compiled = TARGET.compile(ir, Deployment(Environment(), stack))
    assert compiled.missing_stack == ()
    assert compiled.substitutions["connection:powerbi"] == "11111111-2222-3333-4444-555555555555"
    assert compiled.substitutions["param:dataset_id"] == "ds-1"
    bare = TARGET.compile(ir)
    assert bare.missing_stack == (
        "connections.office365",
        "connections.powerbi",
        "parameters.dataset_id",
        "parameters.workspace_id",
    )
    assert "${workspaceId}" in bare.content_text() and "workspaceId" in bare.placeholders


def test_render_is_deterministic_and_independent_of_task_order() -> None:
    ir, _ = load(FABRIC_SPEC)
    first = [r.content for r in TARGET.render(ir)]
    assert first == [r.content for r in TARGET.render(ir)]
    head, _, tasks = FABRIC_SPEC.partition("tasks:\n")
    blocks = re.split(r"\n(?=  [a-z])", tasks.strip("\n"))
    reordered, _ = load(head + "tasks:\n" + "\n".join(reversed(blocks)) + "\n")
    assert [r.content for r in TARGET.render(reordered)] == first


def test_cli_render_writes_the_pipeline_json(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "render",
            str(ROOT / "pipelines" / "fabric_medallion_refresh.yaml"),
            "--target",
            "fabric",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    content = json.loads((tmp_path / "fabric_medallion_refresh.pipeline-content.json").read_text())
    assert {a["name"] for a in content["properties"]["activities"]} >= {"bronze_crm_copy", "semantic_model_refresh"}
    schedules = json.loads((tmp_path / "fabric_medallion_refresh.schedules.json").read_text())
    assert schedules[0]["configuration"]["type"] == "Daily"


def test_compile_errors_raise_with_every_diagnostic() -> None:
    ir, _ = load(spec("  a: {kind: sql, file: a.sql}\n  b: {kind: sql, file: b.sql}\n"))
    with pytest.raises(SpecError) as exc:
        TARGET.render(ir)
    assert len(exc.value.diagnostics) == 2


def test_an_every_n_minutes_schedule_starts_at_the_utc_instant_of_local_midnight() -> None:
    text = spec("  a: {kind: notebook, path: a}\n", "schedule: {cron: '*/10 * * * *', timezone: Asia/Kolkata}\n")
    ir, _ = load(text)
    [schedule] = compile_fabric(ir, Deployment()).schedules
    config = schedule["configuration"]
    assert (config["type"], config["interval"], config["localTimeZoneId"]) == ("Cron", 10, "India Standard Time")
    assert config["startDateTime"] == "2023-12-31T18:30:00"  # 2024-01-01 00:00 at UTC+05:30

"""Random valid specs compile to job settings the Databricks SDK reads back without loss.

Specs are generated as YAML text and go through the whole chain (loader, models, validation,
resolve, target checks), so what is tested is what a user's spec would produce.
"""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_databricks_golden import assert_round_trips, deployed_ids

from pipespec.environment import Deployment, Environment
from pipespec.project import load_string
from pipespec.targets.databricks.compile import RUN_IF, compile_job, substitute
from pipespec.targets.databricks.settings import DatabricksCluster
from pipespec.targets.databricks.stack import DatabricksStack

IDS = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)
DURATIONS = st.sampled_from(["30s", "1m", "5m", "10m", "1h", "2h"])
CRONS = st.sampled_from(["0 3 * * *", "*/15 * * * *", "0 0 1 * *", "30 6 * * 1-5", "0 */2 * * 0,6", "@hourly"])
ZONES = st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo"])
RULES = st.sampled_from(sorted(RUN_IF))


def _kind(draw: st.DrawFn, tid: str) -> dict[str, Any]:
    kind = draw(st.sampled_from(["python", "python_wheel", "sql", "dbt", "notebook", "spark", "http", "pipeline"]))
    args = draw(st.lists(st.sampled_from(["--full", "--date", "2024-01-01", "x y"]), max_size=3))
    if kind == "python":
        return {"kind": kind, "script": f"/Workspace/jobs/{tid}.py", "args": args}
    if kind == "python_wheel":
        wheel = draw(st.sampled_from([None, "/Volumes/main/w/pkg-1.0-py3-none-any.whl"]))
        return {"kind": kind, "package": "pkg", "entry_point": "main", "args": args} | (
            {"wheel": wheel} if wheel else {}
        )
    if kind == "sql":
        src = (
            {"query": f"SELECT count(*) > 0 FROM t_{tid}"}
            if draw(st.booleans())
            else {"file": f"/Workspace/q/{tid}.sql"}
        )
        params = draw(st.dictionaries(st.sampled_from(["env", "day"]), st.sampled_from(["a", "b c"]), max_size=2))
        return {"kind": kind, "check": draw(st.booleans()), "parameters": params, **src}
    if kind == "dbt":
        command = draw(st.sampled_from(["run", "test", "build", "source_freshness", "seed", "snapshot"]))
        return {
            "kind": kind,
            "command": command,
            "select": draw(st.lists(st.sampled_from(["staging", "tag:nightly", "+fct_orders"]), max_size=2)),
            "full_refresh": command in ("run", "build", "seed") and draw(st.booleans()),
            "vars": draw(st.dictionaries(st.sampled_from(["a", "b"]), st.integers(0, 9), max_size=2)),
            "project_dir": "/Workspace/dbt",
        }
    if kind == "notebook":
        params = draw(st.dictionaries(st.sampled_from(["p", "q"]), st.sampled_from(["1", "{{job.id}}"]), max_size=2))
        return {"kind": kind, "path": f"/Workspace/nb/{tid}", "parameters": params}
    if kind == "spark":
        if draw(st.booleans()):
            return {"kind": kind, "main": "/Volumes/main/j/app.jar", "main_class": "com.acme.App", "args": args}
        return {"kind": kind, "main": f"/Workspace/spark/{tid}.py", "args": args}
    if kind == "http":
        auth = {"auth": {"token_secret": "apiToken"}} if draw(st.booleans()) else {}
        url = draw(st.sampled_from(["https://api.example.com/x", "https://api.example.com/{ws}/refresh"]))
        return {"kind": kind, "url": url, "body": {"n": 1}, **auth}
    return {"kind": kind, "pipeline": "upstream_pipeline"}


@st.composite
def specs(draw: st.DrawFn) -> dict[str, Any]:
    ids = draw(st.lists(IDS, min_size=1, max_size=12, unique=True))
    channels = {
        "mail": {"type": "email", "addresses": ["a@x.io"]},
        "slack": {"type": "slack", "webhook_url_secret": "slackUrl"},
        "hook": {"type": "webhook", "url_secret": "hookUrl"},
    }
    names = st.lists(st.sampled_from(sorted(channels)), min_size=1, max_size=3, unique=True)
    tasks: dict[str, Any] = {}
    for i, tid in enumerate(ids):
        task = _kind(draw, tid)
        deps = draw(st.lists(st.sampled_from(ids[:i]), max_size=3, unique=True)) if i else []
        if deps:
            task["depends_on"] = deps
        gate = draw(st.booleans()) and task["kind"] in ("sql", "dbt")
        if gate:
            task["quality_gate"] = True
        elif len(deps) > 0 and draw(st.booleans()):
            task["trigger_rule"] = draw(RULES)
        if draw(st.booleans()):
            task["retries"] = {
                "count": draw(st.integers(0, 5)),
                "delay": draw(DURATIONS),
                "backoff": draw(st.sampled_from(["fixed", "exponential"])),
                "max_delay": draw(st.sampled_from(["5m", "1h"])),
                "retry_on_timeout": draw(st.booleans()),
            }
        if draw(st.booleans()):
            task["sla"] = draw(DURATIONS)
        if draw(st.booleans()):
            task["notify"] = {
                draw(st.sampled_from(["on_failure", "on_retry", "on_success", "on_sla_miss"])): draw(names)
            }
        tasks[tid] = task
    spec: dict[str, Any] = {
        "apiVersion": "pipespec/v1",
        "name": "random_pipeline",
        "owner": "team",
        "tags": draw(st.lists(st.sampled_from(["a", "b", "daily"]), max_size=3, unique=True)),
        "max_active_runs": draw(st.integers(1, 5)),
        "channels": channels,
        "notify": {"on_failure": ["mail", "slack", "hook"], "on_start": draw(names), "on_sla_miss": draw(names)},
        "defaults": {"timeout": draw(DURATIONS)},
        "targets": {"databricks": {"warehouse_id": "wh1"}},
        "tasks": tasks,
    }
    if draw(st.booleans()):
        spec["sla"] = "3h"
        spec["timeout"] = "4h"
    trigger = draw(st.sampled_from(["schedule", "file", "table", "manual"]))
    if trigger == "schedule":
        spec["schedule"] = {"cron": draw(CRONS), "timezone": draw(ZONES), "paused": draw(st.booleans())}
    elif trigger == "file":
        spec["triggers"] = [{"type": "file_arrival", "path": "/Volumes/main/in/", "min_interval": "5m"}]
    elif trigger == "table":
        spec["triggers"] = [{"type": "table_update", "tables": ["main.a.b", "main.a.c"], "condition": "all_updated"}]
    else:
        spec["triggers"] = [{"type": "manual"}]
    return spec


STACKS = st.builds(
    DatabricksStack,
    serverless=st.booleans(),
    default_cluster=st.just(DatabricksCluster(spark_version="15.4.x-scala2.12", node_type_id="m5.large")),
    num_workers=st.sampled_from([None, 1]),
    cluster_policy_id=st.sampled_from([None, "POLICY1"]),
)
ENVS = st.builds(Environment, name=st.sampled_from(["dev", "prod"]), name_prefix=st.sampled_from(["", "dev_"]),
                 pause_schedules=st.booleans())  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=specs(), stack=STACKS, env=ENVS)
def test_random_specs_round_trip_and_keep_the_spec(
    spec: dict[str, Any], stack: DatabricksStack, env: Environment
) -> None:
    loaded = load_string(yaml.safe_dump(spec, sort_keys=False), targets=["databricks"])
    assert loaded.ok and loaded.ir is not None, [d.format() for d in loaded.diagnostics if d.is_error]
    job = compile_job(loaded.ir, Deployment(env, stack))
    assert_round_trips(substitute(job.settings, deployed_ids(job.placeholders)))

    by_key = {t["task_key"]: t for t in job.settings["tasks"]}
    assert set(by_key) == set(spec["tasks"])
    for tid, task in spec["tasks"].items():
        out = by_key[tid]
        assert set(task.get("depends_on", [])) <= {d["task_key"] for d in out.get("depends_on", [])}
        count = (task.get("retries") or {}).get("count", 0)
        assert out.get("max_retries", 0) == count
        if task.get("trigger_rule") and task.get("depends_on"):
            assert out["run_if"] == RUN_IF[task["trigger_rule"]]
    assert job.name == env.name_prefix + "random_pipeline"
    for block in ("schedule", "trigger"):
        if block in job.settings and env.pause_schedules:
            assert job.settings[block]["pause_status"] == "PAUSED"

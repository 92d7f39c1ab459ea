"""Helpers shared by the Composer tests: spec builders, the Airflow venvs, expected DAG facts from the IR."""

from __future__ import annotations

import json
import os
import random
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipespec.environment import Deployment, Environment
from pipespec.ir import PipelineIR
from pipespec.project import load_string
from pipespec.targets.composer.compile import CompiledDag, compile_dag
from pipespec.targets.composer.settings import ComposerStack

ROOT = Path(__file__).resolve().parents[1]
AIRFLOW_SCRIPTS = ROOT / "tests" / "airflow"


def load_ir(text: str, file: str = "<test>") -> PipelineIR:
    loaded = load_string(text, file, targets=["composer"])
    errors = [d for d in loaded.diagnostics if d.is_error]
    assert loaded.ir is not None and not errors, errors
    return loaded.ir


def compile_for(ir: PipelineIR, version: str = "3", *, stand_ins: bool = False, **stack: Any) -> CompiledDag:
    settings = ComposerStack(airflow_version=version, **stack)  # type: ignore[arg-type]
    return compile_dag(ir, Deployment(Environment(), settings), stand_ins=stand_ins)


def airflow_python(version: str) -> Path:
    """The Airflow venv's python, or skip (fail when PIPESPEC_REQUIRE_AIRFLOW is set, as in CI)."""
    python = ROOT / f".venv-airflow{version}" / "bin" / "python"
    if not python.exists():
        if os.environ.get("PIPESPEC_REQUIRE_AIRFLOW"):
            pytest.fail(f"{python} is missing: run scripts/airflow-venv.sh {version}")
        pytest.skip(
            f"Airflow {version} venv absent (scripts/airflow-venv.sh {version}); set PIPESPEC_REQUIRE_AIRFLOW=1 to fail"
        )
    return python


def airflow_env(home: Path, dags: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "PIPESPEC_"))}
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(dags),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__UNIT_TEST_MODE="False",
        **extra,
    )
    return env


def run_json(cmd: list[str], env: dict[str, str], timeout: float = 300) -> dict[str, Any]:
    """Run a script in the Airflow venv; its JSON report is the last line of stdout."""
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    assert lines, f"no JSON report (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def expected_facts(ir: PipelineIR, compiled: CompiledDag) -> dict[str, Any]:
    """What Airflow must load for this pipeline (check_dag.py's report shape)."""
    tasks: dict[str, Any] = {}
    for t in ir.tasks:
        retry = t.retry
        tasks[t.id] = {
            "upstream": sorted(t.depends_on),
            "trigger_rule": t.trigger_rule,
            "retries": retry.retries,
            "retry_delay_s": float(retry.delay_s) if retry.retries else None,
            "retry_exponential": retry.exponential if retry.retries else None,
            "max_retry_delay_s": float(retry.max_delay_s) if retry.retries and retry.max_delay_s else None,
            "execution_timeout_s": float(t.timeout_s) if t.timeout_s else None,
            "owner": ir.owner,
        }
    tz = ir.schedule.timezone if ir.schedule else "UTC"
    facts: dict[str, Any] = {
        "schedule": " ".join(ir.schedule.cron.source.split()) if ir.schedule else None,
        "timezone": tz,
        "catchup": ir.catchup,
        "max_active_runs": ir.max_active_runs,
        "dagrun_timeout_s": float(ir.timeout_s) if ir.timeout_s else None,
        "tags": sorted(ir.tags),
        "tasks": tasks,
    }
    if ir.schedule:
        facts["schedule_timezone"] = tz
    if ir.max_active_tasks:
        facts["max_active_tasks"] = ir.max_active_tasks
    return facts


_ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney"]
_CRONS = ["0 3 * * *", "*/15 * * * *", "30 6 * * 1-5", "0 0 1 * *", "15 2,14 * * *", "0 5 * * SUN"]
_RULES = ["all_success", "all_done", "one_failed", "all_failed", "none_failed", "one_success"]


def random_spec(seed: int, n_tasks: int | None = None) -> str:
    """A random valid spec exercising every Composer kind, retries, timeouts, trigger rules and time zones."""
    rnd = random.Random(seed)
    n = n_tasks or rnd.randint(1, 14)
    ids = [f"t{i}_{rnd.choice(['load', 'clean', 'x.y', 'a-b', 'json', 'dag'])}" for i in range(n)]
    tasks: dict[str, Any] = {}
    for i, tid in enumerate(ids):
        kind = rnd.choice(
            ["shell", "python", "dbt", "sql", "sql_check", "http", "spark", "pipeline", "notebook", "wheel"]
        )
        choices: dict[str, dict[str, Any]] = {
            "shell": {"kind": "shell", "command": f"echo {tid} && exit 0"},
            "python": {"kind": "python", "script": f"/jobs/{i}.py", "args": ["--day", "{{ ds }}"]},
            "dbt": {"kind": "dbt", "command": rnd.choice(["run", "test", "source_freshness"]), "select": ["a", "b"]},
            "sql": {"kind": "sql", "query": "SELECT 1", "parameters": {"day": "2024-01-01"}},
            "sql_check": {"kind": "sql", "query": "SELECT COUNT(*) > 0 FROM t", "check": True},
            "http": {"kind": "http", "url": "https://api.example.com/v1/{item}/go", "body": {"k": 'it\'s "q"'}},
            "spark": {"kind": "spark", "main": "gs://b/job.py", "args": ["--x"]},
            "pipeline": {"kind": "pipeline", "pipeline": "upstream_pipe"},
            "notebook": {"kind": "notebook", "path": "gs://b/n.ipynb", "parameters": {"p": "1"}},
            "wheel": {"kind": "python_wheel", "package": "pkg", "entry_point": "main", "wheel": "gs://b/p.whl"},
        }
        task = choices[kind]
        deps = sorted(rnd.sample(ids[:i], k=min(i, rnd.randint(0, 3))))
        if deps:
            task["depends_on"] = deps
            if rnd.random() < 0.3:
                task["trigger_rule"] = rnd.choice(_RULES)
        if rnd.random() < 0.5:
            task["retries"] = {
                "count": rnd.randint(0, 4),
                "delay": f"{rnd.randint(1, 20)}m",
                "backoff": rnd.choice(["fixed", "exponential"]),
                "max_delay": "1h",
                "retry_on_timeout": rnd.random() < 0.3,
            }
        if rnd.random() < 0.4:
            task["timeout"] = f"{rnd.randint(1, 90)}m"
        if rnd.random() < 0.2:
            task["targets"] = {"composer": {"pool": "etl", "queue": "q1"}}
        tasks[tid] = task
    spec: dict[str, Any] = {
        "apiVersion": "pipespec/v1",
        "name": f"random_{seed}",
        "owner": rnd.choice(["data", "team-x"]),
        "tags": sorted(rnd.sample(["a", "b", "nightly", "pii"], k=rnd.randint(0, 3))),
        "max_active_runs": rnd.randint(1, 3),
        "catchup": rnd.random() < 0.3,
        "defaults": {"retries": {"count": rnd.randint(0, 3), "delay": "2m"}, "timeout": "2h"},
        "channels": {"ops": {"type": "email", "addresses": ["ops@example.com"]}},
        "notify": {"on_failure": ["ops"], "on_retry": ["ops"]} if rnd.random() < 0.7 else {},
        "tasks": tasks,
        "targets": {"composer": {"dataproc_cluster": "c1", "gcp_project": "p1"}},
    }
    if rnd.random() < 0.8:
        spec["schedule"] = {"cron": rnd.choice(_CRONS), "timezone": rnd.choice(_ZONES)}
    if rnd.random() < 0.5:
        spec["timeout"] = "8h"
        spec["sla"] = "3h"
        spec["notify"]["on_sla_miss"] = ["ops"]
    if rnd.random() < 0.3:
        spec["max_active_tasks"] = rnd.randint(1, 20)
    return yaml.safe_dump(spec, sort_keys=True)

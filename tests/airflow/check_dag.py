"""Runs INSIDE an Airflow venv: import one generated DAG file and print what Airflow loaded, as JSON.

    python tests/airflow/check_dag.py <dag_file.py> [<expected.json>]

The report has the import errors, the parse time, and per DAG the facts pipespec promises: tasks,
edges, schedule, timezone, retries, timeouts, trigger rules, callbacks. With an expected JSON file
(same shape, any subset of keys) it exits 1 on a difference and lists the differences.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import timedelta
from typing import Any

os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")


def _seconds(value: Any) -> float | None:
    return value.total_seconds() if isinstance(value, timedelta) else value


def _dagbag(path: str) -> Any:
    try:  # Airflow 3
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:  # Airflow 2
        from airflow.models.dagbag import DagBag
    return DagBag(dag_folder=path, safe_mode=False)


def _callbacks(value: Any) -> int:
    if value is None:
        return 0
    return len(value) if isinstance(value, list) else 1


def _policy(task: Any) -> dict[str, Any] | None:
    """What the task's retry policy (Airflow 3.3+) decides: the delay before each retry, and on a timeout."""
    policy = getattr(task, "retry_policy", None)
    if policy is None or not task.retries:
        return None
    from airflow.sdk.exceptions import AirflowTaskTimeout

    tries = task.retries + 1
    delays = [policy.evaluate(RuntimeError("x"), n, tries).retry_delay.total_seconds() for n in range(1, tries)]
    on_timeout = policy.evaluate(AirflowTaskTimeout("t"), 1, tries).action.value
    return {"delays_s": delays, "on_timeout": on_timeout}


def _expression(timetable: Any) -> str | None:
    if not timetable.can_be_scheduled:
        return None
    for attr in ("expression", "_expression", "summary"):  # Airflow 3 sdk / Airflow 2 / fallback
        if isinstance(getattr(timetable, attr, None), str):
            return str(getattr(timetable, attr))
    return repr(timetable)


def _tz_name(tz: Any) -> str | None:
    return None if tz is None else str(getattr(tz, "name", tz))


def describe(dag: Any) -> dict[str, Any]:
    tasks = {}
    for task in sorted(dag.tasks, key=lambda t: t.task_id):
        backoff = task.retry_exponential_backoff
        tasks[task.task_id] = {
            "operator": type(task).__name__,
            "upstream": sorted(task.upstream_task_ids),
            "trigger_rule": str(getattr(task.trigger_rule, "value", task.trigger_rule)),
            "retries": task.retries,
            "retry_delay_s": _seconds(task.retry_delay) if task.retries else None,
            "retry_exponential": bool(backoff) if task.retries else None,
            "max_retry_delay_s": _seconds(task.max_retry_delay) if task.retries else None,
            "execution_timeout_s": _seconds(task.execution_timeout),
            "has_retry_policy": getattr(task, "retry_policy", None) is not None,
            "policy": _policy(task),
            "sla_s": _seconds(getattr(task, "sla", None)),
            "on_failure_callbacks": _callbacks(task.on_failure_callback),
            "on_retry_callbacks": _callbacks(task.on_retry_callback),
            "on_success_callbacks": _callbacks(task.on_success_callback),
            "pool": task.pool,
            "queue": task.queue,
            "owner": task.owner,
        }
    timetable = dag.timetable
    return {
        "schedule": _expression(timetable),
        "schedule_timezone": _tz_name(getattr(timetable, "_timezone", None) or getattr(timetable, "timezone", None)),
        "timezone": _tz_name(dag.timezone),
        "start_date": dag.start_date.isoformat() if dag.start_date else None,
        "catchup": dag.catchup,
        "max_active_runs": dag.max_active_runs,
        "max_active_tasks": dag.max_active_tasks,
        "dagrun_timeout_s": _seconds(dag.dagrun_timeout),
        "tags": sorted(dag.tags),
        "description": dag.description,
        "is_paused_upon_creation": dag.is_paused_upon_creation,
        "has_sla_miss_callback": getattr(dag, "sla_miss_callback", None) is not None,
        "on_success_callbacks": _callbacks(getattr(dag, "on_success_callback", None)),
        "on_failure_callbacks": _callbacks(getattr(dag, "on_failure_callback", None)),
        "tasks": tasks,
    }


def diff(expected: Any, actual: Any, path: str = "") -> list[str]:
    if isinstance(expected, dict) and isinstance(actual, dict):
        out: list[str] = []
        for key in sorted(expected):
            if key not in actual:
                out.append(f"{path}.{key}: missing")
            else:
                out += diff(expected[key], actual[key], f"{path}.{key}")
        if "tasks" in expected and isinstance(expected.get("tasks"), dict):
            extra = sorted(set(actual.get("tasks", {})) - set(expected["tasks"]))
            out += [f"{path}.tasks.{t}: unexpected task" for t in extra]
        return out
    return [] if expected == actual else [f"{path}: expected {expected!r}, got {actual!r}"]


def main() -> int:
    path = sys.argv[1]
    started = time.perf_counter()
    bag = _dagbag(path)
    parse_s = time.perf_counter() - started
    report = {
        "airflow_version": __import__("airflow").__version__,
        "import_errors": {k: str(v) for k, v in bag.import_errors.items()},
        "parse_s": parse_s,
        "dags": {dag_id: describe(dag) for dag_id, dag in sorted(bag.dags.items())},
    }
    if len(sys.argv) > 2:
        with open(sys.argv[2], encoding="utf-8") as f:
            expected = json.load(f)
        report["differences"] = diff(expected, report["dags"])
    print(json.dumps(report, sort_keys=True, default=str))
    return 1 if report["import_errors"] or report.get("differences") else 0


if __name__ == "__main__":
    sys.exit(main())

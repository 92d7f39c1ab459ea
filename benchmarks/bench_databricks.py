"""Benchmark: Databricks compile time for 10 -> 1,000-task specs, against validating the same spec.

Run ``.venv/bin/python benchmarks/bench_databricks.py`` (``--quick`` for fewer repeats).
Each spec is generated with a fixed seed (mixed task kinds, gates, retries, routing) as YAML
text. Baseline: ``load_string`` on that text (YAML parse, models, validation, resolve and the
Databricks checks), measured in the same run; compile is ``compile_job`` and render adds the
JSON document. Times are medians; the ratio column is compile / baseline. Nothing asserts on
wall-clock time.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipespec.project import load_string
from pipespec.targets.databricks.compile import compile_job
from pipespec.targets.databricks.target import TARGET

SEED = 20240611
SIZES = (10, 50, 100, 250, 500, 1000)


def make_spec(n: int, rng: random.Random) -> str:
    tasks: dict[str, Any] = {}
    for i in range(n):
        tid = f"t{i:04d}"
        kind = rng.choice(["python", "notebook", "dbt", "sql", "http", "python_wheel"])
        templates: dict[str, dict[str, Any]] = {
            "python": {"kind": "python", "script": f"/jobs/{tid}.py", "args": ["--day", "{{job.start_time.iso_date}}"]},
            "notebook": {"kind": "notebook", "path": f"/nb/{tid}", "parameters": {"p": "1"}},
            "dbt": {"kind": "dbt", "command": "run", "select": [f"m_{i}"], "project_dir": "/dbt"},
            "sql": {"kind": "sql", "query": f"SELECT count(*) > 0 FROM t{i}", "check": rng.random() < 0.3},
            "http": {"kind": "http", "url": "https://api.example.com/{ws}/refresh", "body": {"i": i}},
            "python_wheel": {"kind": "python_wheel", "package": "pkg", "entry_point": "main"},
        }
        task = templates[kind]
        if i:
            window = list(range(max(0, i - 20), i))
            task["depends_on"] = sorted({f"t{j:04d}" for j in rng.sample(window, min(len(window), rng.randint(1, 3)))})
            if rng.random() < 0.05:
                task["trigger_rule"] = "all_done"
        if kind in ("sql", "dbt") and rng.random() < 0.1 and "trigger_rule" not in task:
            task["quality_gate"] = True
        if rng.random() < 0.3:
            task["retries"] = {"count": rng.randint(1, 4), "delay": "1m", "backoff": "exponential"}
        if rng.random() < 0.1:
            task["sla"] = "30m"
        tasks[tid] = task
    spec = {
        "apiVersion": "pipespec/v1",
        "name": f"bench_{n}",
        "owner": "bench",
        "schedule": {"cron": "0 3 * * *", "timezone": "UTC"},
        "sla": "6h",
        "channels": {
            "mail": {"type": "email", "addresses": ["a@x.io"]},
            "slack": {"type": "slack", "webhook_url_secret": "s"},
        },
        "notify": {"on_failure": ["mail", "slack"], "on_sla_miss": ["slack"]},
        "defaults": {"retries": {"count": 2, "delay": "5m"}, "timeout": "1h"},
        "targets": {"databricks": {"warehouse_id": "wh"}},
        "tasks": tasks,
    }
    return yaml.safe_dump(spec, sort_keys=False)


def median_time(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 repeats instead of 9")
    repeats = 3 if parser.parse_args().quick else 9
    rng = random.Random(SEED)
    print(f"Databricks compile vs validation (median of {repeats}; seed {SEED})")
    header = (
        f"{'tasks':>6} {'validate ms':>12} {'compile ms':>11} {'render ms':>10} "
        f"{'compile/validate':>17} {'µs/task':>8} {'JSON KiB':>9}"
    )
    print(header)
    print("-" * len(header))
    ratios = []
    for n in SIZES:
        text = make_spec(n, rng)
        loaded = load_string(text, f"bench_{n}.yaml", ["databricks"])
        assert loaded.ok and loaded.ir is not None, [d.format() for d in loaded.diagnostics if d.is_error]
        ir = loaded.ir
        validate = median_time(lambda: load_string(text, f"bench_{n}.yaml", ["databricks"]), repeats)  # noqa: B023
        compile_s = median_time(lambda: compile_job(ir), repeats)  # noqa: B023
        render_s = median_time(lambda: TARGET.render(ir), repeats)  # noqa: B023
        size = len(TARGET.render(ir)[0].content.encode()) / 1024
        ratios.append(compile_s / validate)
        print(
            f"{n:>6} {validate * 1e3:>12.2f} {compile_s * 1e3:>11.2f} {render_s * 1e3:>10.2f} "
            f"{compile_s / validate:>17.3f} {compile_s / n * 1e6:>8.1f} {size:>9.1f}"
        )
    print(f"\ncompile/validate ratio: geometric mean {statistics.geometric_mean(ratios):.3f}, max {max(ratios):.3f}")


if __name__ == "__main__":
    main()

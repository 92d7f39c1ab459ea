"""Parse time of a pipespec-generated DAG file vs dag-factory loading the same pipeline from YAML.

    .venv/bin/python benchmarks/bench_composer.py [--sizes 10,100,1000] [--repeat 5] [--airflow 3]

Phase 1 (project venv): build a pipeline of N shell tasks (random DAG, seeded), render it with the
Composer compiler, and write the same pipeline as a dag-factory YAML file plus its loader .py.
Phase 2 (inside the Airflow venv, `--measure`): with Airflow and the operators already imported,
time `DagBag(<file>)` for each file — what Composer's DAG processor does on every parse — and print
a table with the ratio dag-factory / pipespec, all in the same run. dag-factory's own code
generator is measured when the installed version has one (1.x has `lint` and `convert` only).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Literal, cast

ROOT = Path(__file__).resolve().parents[1]


def _spec(n: int, seed: int = 7) -> dict[str, Any]:
    rnd = random.Random(seed)
    tasks: dict[str, Any] = {}
    for i in range(n):
        task: dict[str, Any] = {"kind": "shell", "command": f"echo step {i}"}
        if i:
            task["depends_on"] = sorted({f"t{j:04d}" for j in rnd.sample(range(i), k=min(i, rnd.randint(1, 3)))})
        tasks[f"t{i:04d}"] = task
    return {
        "apiVersion": "pipespec/v1",
        "name": f"bench_{n}",
        "owner": "bench",
        "schedule": {"cron": "0 3 * * *", "timezone": "UTC"},
        "defaults": {"retries": {"count": 2, "delay": "5m"}, "timeout": "1h"},
        "tasks": tasks,
        "targets": {"composer": {}},
    }


def _dagfactory_yaml(spec: dict[str, Any], version: str) -> dict[str, Any]:
    bash = (
        "airflow.providers.standard.operators.bash.BashOperator"
        if version == "3"
        else ("airflow.operators.bash.BashOperator")
    )
    tasks = {}
    for tid, task in spec["tasks"].items():
        entry: dict[str, Any] = {"operator": bash, "bash_command": task["command"]}
        if task.get("depends_on"):
            entry["dependencies"] = task["depends_on"]
        tasks[tid] = entry
    return {
        f"{spec['name']}_dagfactory": {
            "default_args": {
                "owner": "bench",
                "start_date": "2024-01-01",
                "retries": 2,
                "retry_delay_sec": 300,
                "execution_timeout_secs": 3600,
            },
            "schedule": "0 3 * * *",
            "catchup": False,
            "tasks": tasks,
        }
    }


def prepare(out: Path, sizes: list[int], version: Literal["2", "3"]) -> dict[str, dict[str, str]]:
    import yaml

    from pipespec.environment import Deployment
    from pipespec.project import load_string
    from pipespec.targets.composer.compile import compile_dag
    from pipespec.targets.composer.settings import ComposerStack

    files: dict[str, dict[str, str]] = {}
    for n in sizes:
        spec = _spec(n)
        loaded = load_string(yaml.safe_dump(spec), f"bench_{n}.yaml", ["composer"])
        assert loaded.ir is not None, loaded.diagnostics
        compiled = compile_dag(loaded.ir, Deployment(settings=ComposerStack(airflow_version=version)))
        folder = out / str(n)
        folder.mkdir(parents=True)
        generated = folder / compiled.filename
        generated.write_text(compiled.source, encoding="utf-8")
        config = folder / f"bench_{n}.dagfactory.yml"
        config.write_text(yaml.safe_dump(_dagfactory_yaml(spec, version), sort_keys=True), encoding="utf-8")
        loader = folder / f"bench_{n}_dagfactory.py"
        loader.write_text(
            "# dag-factory loader (the DAG file a dag-factory user deploys)\n"
            "from airflow.sdk import DAG  # noqa: F401  (lets DAG discovery safe mode pick this file)\n"
            "import dagfactory\n\n"
            f"dagfactory.load_yaml_dags(globals_dict=globals(), config_filepath={str(config)!r})\n"
            if version == "3"
            else "# dag-factory loader\nfrom airflow import DAG  # noqa: F401\nimport dagfactory\n\n"
            f"dagfactory.load_yaml_dags(globals_dict=globals(), config_filepath={str(config)!r})\n",
            encoding="utf-8",
        )
        files[str(n)] = {"pipespec": str(generated), "dag-factory": str(loader), "yaml": str(config)}
    return files


# ── Phase 2: inside the Airflow venv ─────────────────────────────────────────────────────────


def _parse_s(path: str, repeat: int) -> tuple[float, int, int]:
    try:
        from airflow.dag_processing.dagbag import DagBag  # type: ignore[import-not-found]
    except ImportError:
        from airflow.models.dagbag import DagBag  # type: ignore[import-not-found]
    times, tasks, errors = [], 0, 0
    for _ in range(repeat):
        started = time.perf_counter()
        bag = DagBag(dag_folder=path, safe_mode=False)
        times.append(time.perf_counter() - started)
        tasks = sum(len(d.tasks) for d in bag.dags.values())
        errors = len(bag.import_errors)
    return statistics.median(times), tasks, errors


def _dagfactory_generator() -> str | None:
    """The name of dag-factory's code generator command, if this version has one."""
    try:
        from dagfactory.__main__ import app  # type: ignore[import-not-found]
    except ImportError:
        return None
    names = {getattr(c, "name", None) or c.callback.__name__ for c in app.registered_commands if c.callback}
    found = sorted(n for n in names if n in {"generate", "codegen", "render", "export"})
    return found[0] if found else None


def measure(files: dict[str, dict[str, str]], repeat: int) -> dict[str, Any]:
    # Warm the imports both sides share, so the numbers are the files' own parse cost.
    import importlib
    import importlib.metadata as md

    for module in ("airflow", "pendulum", "dagfactory"):
        importlib.import_module(module)
    try:  # the operator both files use
        importlib.import_module("airflow.providers.standard.operators.bash")
    except ImportError:
        importlib.import_module("airflow.operators.bash")

    rows = {}
    for n, paths in files.items():
        _parse_s(paths["pipespec"], 1)  # warm-up: provider imports, module caches
        _parse_s(paths["dag-factory"], 1)
        rows[n] = {name: _parse_s(paths[name], repeat) for name in ("pipespec", "dag-factory")}
    generator = _dagfactory_generator()
    return {
        "airflow": md.version("apache-airflow"),
        "dag_factory": md.version("dag-factory"),
        "generator": generator,
        "rows": rows,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--airflow", default="3", choices=["2", "3"], help="which Airflow venv (needs dag-factory)")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:  # phase 2, in the Airflow venv
        files = json.loads(Path(args.measure).read_text(encoding="utf-8"))
        print(json.dumps(measure(files, args.repeat)))
        return 0
    python = ROOT / f".venv-airflow{args.airflow}" / "bin" / "python"
    if not python.exists():
        print(f"missing {python}: run scripts/airflow-venv.sh {args.airflow}", file=sys.stderr)
        return 2
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        files = prepare(Path(tmp) / "dags", sizes, cast(Literal["2", "3"], args.airflow))
        manifest = Path(tmp) / "files.json"
        manifest.write_text(json.dumps(files), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        env.update(
            AIRFLOW_HOME=str(Path(tmp) / "home"),
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
            DO_NOT_TRACK="1",  # dag-factory telemetry off (no network here)
            SCARF_NO_ANALYTICS="1",
            AIRFLOW__DAG_FACTORY__ENABLE_TELEMETRY="False",
        )
        cmd = [str(python), __file__, "--measure", str(manifest), "--repeat", str(args.repeat)]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
        if proc.returncode or not lines:
            print(proc.stdout[-3000:], proc.stderr[-3000:], file=sys.stderr)
            return 1
        result = json.loads(lines[-1])
    print(f"Airflow {result['airflow']}, dag-factory {result['dag_factory']}; median of {args.repeat} DagBag parses")
    print(f"{'tasks':>6} | {'pipespec file':>14} | {'dag-factory YAML':>16} | {'ratio df/ps':>11} | errors")
    print("-" * 66)
    for n, row in result["rows"].items():
        ps, df = row["pipespec"], row["dag-factory"]
        assert ps[1] == df[1] == int(n), f"task counts differ: {ps[1]} vs {df[1]} (expected {n})"
        ratio = df[0] / ps[0] if ps[0] else float("nan")
        print(f"{n:>6} | {ps[0] * 1000:>11.1f} ms | {df[0] * 1000:>13.1f} ms | {ratio:>10.2f}x | {ps[2]}/{df[2]}")
    generator = result["generator"]
    if generator is None:
        print(f"dag-factory {result['dag_factory']} has no code generator (its CLI has lint and convert): not measured")
    else:
        print(f"dag-factory generator command found: {generator!r} (not yet wired into this benchmark)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

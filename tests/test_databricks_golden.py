"""Golden job settings for every spec that targets Databricks, and their SDK round trip.

Specs: every file in pipelines/ listing the databricks target, plus the fixtures in
tests/golden/databricks/specs/. Each is rendered for two stacks (serverless, job clusters).
Regenerate after an intended change with `PIPESPEC_UPDATE_GOLDEN=1 pytest tests/test_databricks_golden.py`
and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from databricks.sdk.service.jobs import JobSettings

from pipespec.environment import Deployment, Environment
from pipespec.project import load_pipeline
from pipespec.targets.databricks.compile import compile_job, substitute
from pipespec.targets.databricks.settings import DatabricksCluster
from pipespec.targets.databricks.stack import DatabricksStack
from pipespec.targets.databricks.target import TARGET
from pipespec.targets.databricks.tasks import runner_source

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "databricks"
UPDATE = os.environ.get("PIPESPEC_UPDATE_GOLDEN") == "1"

STACKS = {
    "serverless": DatabricksStack(),
    "clusters": DatabricksStack(
        serverless=False,
        default_cluster=DatabricksCluster(spark_version="15.4.x-scala2.12", node_type_id="i3.xlarge", num_workers=2),
        warehouse_id="stack-warehouse",
    ),
}


def _specs() -> list[Path]:
    found = []
    for path in sorted((ROOT / "pipelines").glob("*.y*ml")) + sorted((GOLDEN / "specs").glob("*.y*ml")):
        loaded = load_pipeline(path, targets=["databricks"])
        if loaded.ir is not None and "databricks" in loaded.ir.targets:
            found.append(path)
    return found


SPECS = _specs()
CASES = [(spec, stack) for spec in SPECS for stack in STACKS]


def _deployment(stack: str) -> Deployment:
    return Deployment(Environment(name="prod"), STACKS[stack])


def test_the_flagship_pipeline_and_fixtures_are_covered() -> None:
    names = {p.stem for p in SPECS}
    assert {"medallion_daily_refresh", "lakehouse_ops"} <= names


@pytest.mark.parametrize(("spec", "stack"), CASES, ids=[f"{s.stem}-{k}" for s, k in CASES])
def test_render_matches_golden(spec: Path, stack: str) -> None:
    loaded = load_pipeline(spec, targets=["databricks"])
    assert loaded.ok and loaded.ir is not None, [d.format() for d in loaded.diagnostics]
    rendered = TARGET.render(loaded.ir, _deployment(stack))
    assert rendered[0].filename == f"{loaded.ir.name}.job.json"
    folder = GOLDEN / stack
    for doc in rendered:
        if doc.filename.endswith(".pipespec_runner.py"):
            assert doc.content == runner_source()  # static: tested in test_databricks_runner.py
            continue
        path = folder / doc.filename
        if UPDATE:
            folder.mkdir(parents=True, exist_ok=True)
            path.write_text(doc.content, encoding="utf-8")
        assert path.exists(), f"no golden {path}: run with PIPESPEC_UPDATE_GOLDEN=1"
        assert doc.content == path.read_text(encoding="utf-8"), f"{path} differs: review, then regenerate"


def test_no_stale_golden_files() -> None:
    expected = set()
    for spec, stack in CASES:
        ir = load_pipeline(spec, targets=["databricks"]).ir
        assert ir is not None
        expected |= {f"{stack}/{d.filename}" for d in TARGET.render(ir, _deployment(stack))}
    found = {str(p.relative_to(GOLDEN)) for k in STACKS for p in (GOLDEN / k).glob("*")}
    assert found <= expected, f"golden files no spec produces: {sorted(found - expected)}"


def _diff(a: Any, b: Any, path: str = "") -> list[str]:
    """Every place two JSON values differ (types included: 1 vs 1.0 vs '1')."""
    if type(a) is not type(b):
        return [f"{path}: {a!r} != {b!r}"]
    if isinstance(a, dict):
        out = [f"{path}.{k}: only on one side" for k in sorted(set(a) ^ set(b))]
        return out + [x for k in sorted(set(a) & set(b)) for x in _diff(a[k], b[k], f"{path}.{k}")]
    if isinstance(a, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items != {len(b)}"]
        return [x for i, (p, q) in enumerate(zip(a, b, strict=True)) for x in _diff(p, q, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def deployed_ids(placeholders: tuple[str, ...]) -> dict[str, Any]:
    """Plausible deploy-time values: numeric job ids, UUID destination ids."""
    return {
        p: (1000 + i if p.startswith("job:") else f"00000000-0000-4000-8000-{i:012d}")
        for i, p in enumerate(placeholders)
    }


def assert_round_trips(settings: dict[str, Any]) -> None:
    """from_dict drops unknown keys and bad enum values silently: compare deeply, both ways."""
    again = JobSettings.from_dict(settings).as_dict()
    problems = _diff(settings, again)
    assert not problems, "lost in the SDK round trip:\n" + "\n".join(problems)


@pytest.mark.parametrize(("spec", "stack"), CASES, ids=[f"{s.stem}-{k}" for s, k in CASES])
def test_settings_round_trip_through_the_sdk(spec: Path, stack: str) -> None:
    ir = load_pipeline(spec, targets=["databricks"]).ir
    assert ir is not None
    job = compile_job(ir, _deployment(stack))
    assert_round_trips(substitute(job.settings, deployed_ids(job.placeholders)))


def test_round_trip_check_catches_a_bad_enum_and_an_unknown_key() -> None:
    ir = load_pipeline(ROOT / "pipelines" / "medallion_daily_refresh.yaml", targets=["databricks"]).ir
    assert ir is not None
    settings = compile_job(ir).settings
    bad = {**settings, "tasks": [{**settings["tasks"][-1], "run_if": "WHEN_I_FEEL_LIKE_IT"}]}
    with pytest.raises(AssertionError, match="run_if"):
        assert_round_trips(bad)
    with pytest.raises(AssertionError, match="max_concurent_runs"):
        assert_round_trips({**settings, "max_concurent_runs": 1})

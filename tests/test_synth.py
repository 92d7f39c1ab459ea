"""Offline synth of the real program: deterministic, overlay-exact, local in its changes, and
all-or-nothing when the input is broken (issue 8)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipespec.review import SynthOutput, compare, to_markdown

ROOT = Path(__file__).resolve().parent.parent
STACKS = ("dev", "staging", "prod")


def synth(project: Path, stack: str, out: Path, seed: str = "0") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    return subprocess.run(
        [sys.executable, "-m", "pipespec", "synth", "--stack", stack, "--out", str(out), "--project-dir", str(project)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def copy_project(tmp: Path) -> Path:
    dest = tmp / "project"
    dest.mkdir()
    for name in ("Pulumi.yaml", "__main__.py", *(f"Pulumi.{s}.yaml" for s in STACKS)):
        shutil.copy(ROOT / name, dest / name)
    shutil.copytree(ROOT / "pipelines", dest / "pipelines")
    return dest


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("synth")
    out: dict[str, Path] = {}
    for stack in STACKS:
        proc = synth(ROOT, stack, base / stack, seed="1")
        assert proc.returncode == 0, proc.stderr[-3000:]
        out[stack] = base / stack
    return out


@pytest.mark.parametrize("stack", STACKS)
def test_synth_is_byte_identical_across_hash_seeds(stack: str, shipped: dict[str, Path], tmp_path: Path) -> None:
    proc = synth(ROOT, stack, tmp_path / "again", seed="4242")
    assert proc.returncode == 0, proc.stderr[-3000:]
    first = sorted(p.relative_to(shipped[stack]) for p in shipped[stack].rglob("*") if p.is_file())
    second = sorted(p.relative_to(tmp_path / "again") for p in (tmp_path / "again").rglob("*") if p.is_file())
    assert first == second
    for rel in first:
        assert (shipped[stack] / rel).read_bytes() == (tmp_path / "again" / rel).read_bytes(), rel


def test_resources_json_has_the_documented_shape(shipped: dict[str, Path]) -> None:
    resources = json.loads((shipped["dev"] / "resources.json").read_text())
    urns = [r["urn"] for r in resources]
    assert urns == sorted(urns) and len(set(urns)) == len(urns)
    assert {"urn", "type", "name", "parent", "inputs"} <= set(resources[0])
    types = {r["type"] for r in resources}
    for expected in (
        "aws:sfn/stateMachine:StateMachine",
        "databricks:index/job:Job",
        "gcp:storage/bucketObject:BucketObject",
        "aws:glue/workflow:Workflow",
        "aws:sns/topic:Topic",
    ):
        assert expected in types
    text = (shipped["dev"] / "resources.json").read_text()
    assert "synth-secret" not in text and "dev-demo" not in text  # secrets never leak
    assert '"[secret]"' in text
    docs = {str(p.relative_to(shipped["dev"] / "documents")) for p in (shipped["dev"] / "documents").rglob("*.*")}
    assert {"databricks/medallion_daily_refresh.job.json", "stepfunctions/medallion_daily_refresh.asl.json"} <= docs


def _normalize_overlay(value: Any, prefix: str) -> Any:
    """Undo the documented overlay: the name prefix and paused schedules."""
    if isinstance(value, dict):
        return {k: _normalize_overlay(v, prefix) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalize_overlay(v, prefix) for v in value]
    if isinstance(value, str) and prefix:
        return value.replace(prefix, "")
    return value


def test_overlay_changes_exactly_names_pause_state_and_tags(tmp_path: Path) -> None:
    """Two stacks that differ only in the environment overlay differ only in what it governs."""
    project = copy_project(tmp_path)
    dev = yaml.safe_load((project / "Pulumi.dev.yaml").read_text())
    overlay_off = json.loads(json.dumps(dev))
    overlay_off["config"]["pipespec:environment"] = {
        "name": "dev",
        "tags": {"environment": "dev", "managed-by": "pipespec"},
    }
    (project / "Pulumi.plain.yaml").write_text(yaml.safe_dump(overlay_off))
    assert synth(project, "dev", tmp_path / "a").returncode == 0
    proc = synth(project, "plain", tmp_path / "b")
    assert proc.returncode == 0, proc.stderr[-2000:]
    a = SynthOutput.read(tmp_path / "a", normalize_stack=True)
    b = SynthOutput.read(tmp_path / "b", normalize_stack=True)
    a_by_name = {re.sub(r"dev_", "", urn): r for urn, r in a.resources.items()}
    assert set(a_by_name) == set(b.resources)
    allowed = re.compile(
        r"(paused|pauseStatus|pause_status|state|enabled|isPaused|is_paused_upon_creation|startOnCreation|triggers\.schedule$|PAUSED|UNPAUSED)",
        re.I,
    )
    for urn, r in a_by_name.items():
        left = _normalize_overlay(r["inputs"], "dev_")
        right = b.resources[urn]["inputs"]
        if left == right:
            continue
        diff = [p for p in _paths(left, right) if not allowed.search(p)]
        assert not diff, f"{urn}: unexpected differences {diff}"


def _paths(a: Any, b: Any, at: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        for k in sorted(set(a) | set(b)):
            out += _paths(a.get(k), b.get(k), f"{at}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [p for i, (x, y) in enumerate(zip(a, b, strict=True)) for p in _paths(x, y, f"{at}[{i}]")]
    if isinstance(a, str) and isinstance(b, str) and a != b and a.startswith(("{", "[")):
        try:
            return _paths(json.loads(a), json.loads(b), at + "(json)")
        except json.JSONDecodeError:
            pass
    if isinstance(a, str) and isinstance(b, str) and "\n" in a:  # DAG source: compare line by line
        return [f"{at}:{line}" for line in sorted(set(a.splitlines()) ^ set(b.splitlines()))]
    return [] if a == b else [at]


def test_editing_one_task_changes_only_that_pipelines_resources(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    assert synth(project, "dev", tmp_path / "before").returncode == 0
    spec = project / "pipelines" / "glue_medallion_refresh.yaml"
    text = spec.read_text()
    spec.write_text(text.replace("    expected_duration: 20m\n", "    expected_duration: 20m\n    retries: 5\n", 1))
    assert synth(project, "dev", tmp_path / "after").returncode == 0
    result = compare(SynthOutput.read(tmp_path / "before"), SynthOutput.read(tmp_path / "after"))
    assert not result.added and not result.removed
    assert result.changed, "the edit must show up"
    for urn in result.changed:
        assert "glue_medallion_refresh" in urn, f"unrelated resource changed: {urn}"
    assert result.docs_changed and all("glue_medallion_refresh" in doc for doc in result.docs_changed)
    assert "stepfunctions/glue_medallion_refresh.asl.json" in result.docs_changed
    markdown = to_markdown(result, "PR")
    assert "glue_medallion_refresh" in markdown and "```diff" in markdown


def test_diff_shows_dag_changes_as_mermaid(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    assert synth(project, "dev", tmp_path / "before").returncode == 0
    spec = project / "pipelines" / "medallion_daily_refresh.yaml"
    spec.write_text(
        spec.read_text()
        + "  notify_done:\n    kind: python\n    script: done.py\n    depends_on: [semantic_model_refresh]\n"
    )
    assert synth(project, "dev", tmp_path / "after").returncode == 0
    proc = subprocess.run(
        [sys.executable, "-m", "pipespec", "diff", str(tmp_path / "before"), str(tmp_path / "after")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0
    assert "#### DAG changes: `medallion_daily_refresh`" in proc.stdout
    assert "class notify_done added" in proc.stdout and "```mermaid" in proc.stdout


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda c: c.pop("pipespec:pipelines"), "pipespec:pipelines: missing"),
        (
            lambda c: c.update({"pipespec:pipelines": {"medallion_daily_refresh": ["databrick"]}}),
            "did you mean 'databricks'",
        ),
        (lambda c: c.pop("pipespec:pbiBearerToken"), "needs the secret pipespec:pbiBearerToken"),
        (lambda c: c.update({"pipespec:stepfunctions": {"log_retention": 3}}), "unknown setting 'log_retention'"),
    ],
)
def test_broken_stack_config_registers_nothing(tmp_path: Path, edit: Any, expected: str) -> None:
    project = copy_project(tmp_path)
    data = yaml.safe_load((project / "Pulumi.dev.yaml").read_text())
    edit(data["config"])
    (project / "Pulumi.dev.yaml").write_text(yaml.safe_dump(data))
    proc = synth(project, "dev", tmp_path / "out")
    assert proc.returncode == 1
    assert expected in proc.stderr and "nothing was registered" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out" / "resources.json").exists()


def test_program_itself_refuses_a_bad_spec_before_registering(tmp_path: Path) -> None:
    """The same guard inside `pulumi up`: the program raises RunError and registers nothing."""
    import pulumi

    from components.synth import run_program_file

    project = copy_project(tmp_path)
    (project / "pipelines" / "broken.yaml").write_text("apiVersion: pipespec/v1\nname: b\nowner: o\ntasks: {}\n")
    with pytest.raises(pulumi.RunError, match="at least one task"):
        run_program_file(
            project / "__main__.py",
            config={"pipespec:pipelines": {"glue_workflow_medallion": ["glue"]}},
            stack="dev",
        )


def test_stack_comparison_shows_what_promotion_changes() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pipespec", "diff", "--stack", "staging", "--stack", "prod", "--project-dir", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    assert out.startswith("### What promoting staging → prod changes")
    # staging shares one topic-per-pipeline layout with prod but prefixes names and sizes clusters differently
    assert "to change" in out and "`inputs.name`" in out
    assert "databricks:index/job:Job" in out  # prod runs job clusters, staging serverless


def test_diff_needs_two_folders_or_two_stacks(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pipespec", "diff", str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2 and "give two synth folders" in proc.stderr

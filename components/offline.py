"""`pipespec synth`: run the real Pulumi program offline and write what it would deploy.

Output folder:
- `resources.json` — every registered resource, sorted by URN: `urn`, `type`, `name`,
  `parent`, `inputs` (secrets replaced by "[secret]"), `dependencies`, `protect`;
- `outputs.json` — stack outputs, secrets redacted;
- `documents/<target>/…` — the compiled documents the components deployed;
- `dags.json` — pipeline -> task -> dependencies (for DAG pictures in `pipespec diff`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipespec.plan import StackPlan, plan_stack
from pipespec.stack import NAMESPACE, namespace_values, read_stack_file

from .synth import SynthRun, redact, run_program_file


@dataclass
class SynthResult:
    plan: StackPlan
    run: SynthRun
    out_dir: Path


def _dump(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def synth(project_dir: Path, stack: str, out_dir: Path) -> SynthResult:
    """Plan (raises StackConfigError with every problem, nothing registered), run, write."""
    values, secret_keys = read_stack_file(project_dir, stack)
    ns_values = namespace_values(values)
    ns_secrets = frozenset(k.split(":", 1)[1] for k in secret_keys if k.startswith(f"{NAMESPACE}:"))
    plan = plan_stack(project_dir, stack, ns_values, ns_secrets)
    project = _project_name(project_dir)
    old_cwd = os.getcwd()
    try:
        run = run_program_file(
            project_dir / "__main__.py", config=values, secret_keys=tuple(secret_keys), project=project, stack=stack
        )
    finally:
        os.chdir(old_cwd)
    write(plan, run, out_dir)
    return SynthResult(plan, run, out_dir)


def _project_name(project_dir: Path) -> str:
    import yaml

    data = yaml.safe_load((project_dir / "Pulumi.yaml").read_text(encoding="utf-8")) or {}
    return str(data.get("name", "pipespec"))


def write(plan: StackPlan, run: SynthRun, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    docs = out_dir / "documents"
    if docs.exists():
        for old in sorted(docs.rglob("*"), reverse=True):
            old.unlink() if old.is_file() else old.rmdir()
    resources = [
        {
            "urn": r.urn,
            "type": r.type,
            "name": r.name,
            "parent": r.parent,
            "inputs": r.redacted(),
            "dependencies": list(r.dependencies),
            "protect": r.protect,
        }
        for r in run.sorted()
    ]
    (out_dir / "resources.json").write_text(_dump(resources), encoding="utf-8")
    (out_dir / "outputs.json").write_text(_dump(redact(run.outputs)), encoding="utf-8")
    dags = {
        name: {t.id: list(t.depends_on) for t in ir.tasks}
        for name, ir in sorted(plan.pipelines.items())
        if name in plan.config.pipelines
    }
    (out_dir / "dags.json").write_text(_dump(dags), encoding="utf-8")
    for unit in plan.units:
        folder = docs / unit.target
        folder.mkdir(parents=True, exist_ok=True)
        for doc in unit.documents:
            (folder / doc.filename).write_text(doc.content, encoding="utf-8")


def tree_lines(run: SynthRun) -> list[str]:
    """Resources as an indented tree by parent, for the terminal."""
    children: dict[str, list[Any]] = {}
    for r in run.sorted():
        children.setdefault(r.parent, []).append(r)
    lines: list[str] = []

    def walk(parent: str, depth: int) -> None:
        for r in sorted(children.get(parent, []), key=lambda x: (x.type, x.name)):
            lines.append(f"{'  ' * depth}{r.type}  {r.name}" + ("  [protected]" if r.protect else ""))
            walk(r.urn, depth + 1)

    walk(run.stack_urn, 0)
    return lines

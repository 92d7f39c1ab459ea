"""Every definition the compiler generates passes two independent ASL validators.

`statelint` (PyPI, the port of AWS Labs' linter) and `asl-validator` (npm, JSON-schema and path
checks, CLI `--json-path`) read the shipped pipelines, a spec with every task kind, failure
handlers, split pipelines and random DAGs, both as rendered (placeholders) and as deployed
(placeholders substituted the way the component does it).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from statelint.linter import Linter  # type: ignore[import-untyped]

from components.stepfunctions_pipeline import substitute
from pipespec.environment import Deployment, Environment
from pipespec.project import load_pipeline, load_string
from pipespec.targets.stepfunctions.asl import TaskStub
from pipespec.targets.stepfunctions.compile import PLACEHOLDER, CompiledPipeline, CompileOptions, compile_pipeline
from pipespec.targets.stepfunctions.stack import StepFunctionsStack

ROOT = Path(__file__).resolve().parent.parent
STACK = StepFunctionsStack(
    ecs_cluster="data",
    ecs_task_definition="etl:3",
    ecs_container_name="etl",
    ecs_subnets=["subnet-1", "subnet-2"],
    ecs_security_groups=["sg-1"],
    ecs_pass_roles=["arn:aws:iam::123456789012:role/etl-task"],
    emr_application_id="00f1",
    emr_execution_role_arn="arn:aws:iam::123456789012:role/emr",
    glue_role_arn="arn:aws:iam::123456789012:role/glue",
    parameters={"workspace_id": "w1", "dataset_id": "d1"},
)
EVERY_KIND = """apiVersion: pipespec/v1
name: every_kind
owner: tests
targets: {stepfunctions: {athena_database: analytics}}
channels: {team: {type: email, addresses: [t@example.com]}}
notify: {on_failure: [team], on_success: [team], on_start: [team]}
defaults: {retries: {count: 2, delay: 30s, backoff: exponential, max_delay: 2m}, timeout: 30m}
tasks:
  py_lambda: {kind: python, script: a.py, targets: {stepfunctions: {lambda_function: loader}}}
  py_ecs: {kind: python, script: b.py, depends_on: [py_lambda]}
  wheel: {kind: python_wheel, package: etl, entry_point: run, depends_on: [py_lambda]}
  sh: {kind: shell, command: "echo hi", depends_on: [py_ecs, wheel]}
  dbt_models: {kind: dbt, command: build, select: [staging], depends_on: [sh]}
  q: {kind: sql, query: "select true", check: true, depends_on: [sh]}
  spark_job: {kind: spark, main: s3://code/job.py, depends_on: [q]}
  glue_new: {kind: glue, script: s3://scripts/x.py, depends_on: [q, dbt_models]}
  call: {kind: http, url: "https://api.example.com/{workspace_id}", expect_status: [200, 409], depends_on: [glue_new]}
  upstream: {kind: pipeline, pipeline: other_pipeline, depends_on: [call, spark_job]}
  on_fail: {kind: shell, command: page, depends_on: [upstream], trigger_rule: one_failed}
  cleanup: {kind: shell, command: rm, depends_on: [upstream], trigger_rule: all_done}
"""


def _random_spec(rng: random.Random, n: int, name: str) -> str:
    lines = [
        "apiVersion: pipespec/v1",
        f"name: {name}",
        "owner: tests",
        "targets: {stepfunctions: {}}",
        "channels: {team: {type: email, addresses: [t@example.com]}}",
        "notify: {on_failure: [team]}",
        "defaults: {retries: 1}",
        "tasks:",
    ]
    for i in range(n):
        deps = [f"t{j:03d}" for j in range(max(0, i - 6), i) if rng.random() < 0.35]
        dep = f", depends_on: [{', '.join(deps)}]" if deps else ""
        lines.append(f"  t{i:03d}: {{kind: shell, command: run, expected_duration: {rng.randint(1, 40)}m{dep}}}")
    return "\n".join(lines) + "\n"


def _compile(text: str, options: CompileOptions | None = None) -> CompiledPipeline:
    loaded = load_string(text, "spec.yaml", targets=["stepfunctions"])
    assert loaded.ir is not None and loaded.ok, [d.format() for d in loaded.diagnostics]
    return compile_pipeline(loaded.ir, Deployment(Environment(name_prefix="dev_"), STACK), options)


def _deployed(text: str) -> str:
    values = {}
    for m in PLACEHOLDER.finditer(text):
        key = m.group(0)[2:-1]
        kind, _, arg = key.partition(":")
        values[key] = {
            "AlertTopicArn": "arn:aws:sns:eu-west-1:123456789012:dev_alerts",
            "StateMachineArn": f"arn:aws:states:eu-west-1:123456789012:stateMachine:{arg}",
            "ConnectionArn": f"arn:aws:events:eu-west-1:123456789012:connection/{arg}/0f5c",
        }.get(kind, "x")
    return substitute(text, values)


@pytest.fixture(scope="module")
def corpus() -> dict[str, str]:
    out: dict[str, str] = {}

    def add(label: str, compiled: CompiledPipeline) -> None:
        for m in compiled.machines:
            out[f"{label}/{m.name}"] = m.text
            out[f"{label}/{m.name}.deployed"] = _deployed(m.text)

    for path in sorted((ROOT / "pipelines").glob("*.yaml")):
        ir = load_pipeline(path).ir
        if ir is not None and "stepfunctions" in ir.targets:
            add(path.stem, compile_pipeline(ir, Deployment(Environment(), STACK)))
            add(f"{path.stem}-nostack", compile_pipeline(ir))
            add(f"{path.stem}-stub", compile_pipeline(ir, None, CompileOptions(stub=TaskStub("stub"))))
    add("every_kind", _compile(EVERY_KIND))
    add("every_kind-split", _compile(EVERY_KIND, CompileOptions(max_definition_bytes=24_000)))
    rng = random.Random(20240601)
    for i in range(30):
        add(f"random{i}", _compile(_random_spec(rng, rng.randint(2, 40), f"random{i}")))
    add("random-split", _compile(_random_spec(rng, 120, "bigger"), CompileOptions(max_definition_bytes=60_000)))
    return out


def test_corpus_covers_every_integration_and_split_machines(corpus: dict[str, str]) -> None:
    text = "\n".join(corpus.values())
    for resource in (
        "lambda:invoke",
        "ecs:runTask.sync",
        "athena:startQueryExecution.sync",
        "athena:getQueryResults",
        "emr-serverless:startJobRun.sync",
        "glue:startJobRun.sync",
        "http:invoke",
        "states:startExecution.sync:2",
        "sns:publish",
    ):
        assert f"arn:aws:states:::{resource}" in text
    assert len([k for k in corpus if k.startswith("every_kind-split/")]) > 2


def test_statelint_accepts_every_definition(corpus: dict[str, str]) -> None:
    problems = {label: Linter.validate(text) for label, text in corpus.items()}
    assert {label: p for label, p in problems.items() if p} == {}


def _asl_validator() -> str | None:
    for candidate in (
        os.environ.get("ASL_VALIDATOR"),
        str(ROOT / "node_modules" / ".bin" / "asl-validator"),
        "/tmp/npmtools/node_modules/.bin/asl-validator",
        shutil.which("asl-validator"),
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def test_asl_validator_accepts_every_definition(corpus: dict[str, str], tmp_path: Path) -> None:
    tool = _asl_validator()
    if tool is None:
        if os.environ.get("PIPESPEC_REQUIRE_JS"):
            pytest.fail("asl-validator is not installed: run `npm ci` (scripts/bootstrap.sh --with-js)")
        pytest.skip("asl-validator is not installed: run `npm ci` (package.json pins asl-validator)")
    args: list[str] = [tool]
    for i, (_label, text) in enumerate(sorted(corpus.items())):
        path = tmp_path / f"{i:03d}.asl.json"
        path.write_text(text, encoding="utf-8")
        json.loads(text)
        args += ["--json-path", str(path)]
    result = subprocess.run(args, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert result.stdout.count("is valid") == len(corpus)

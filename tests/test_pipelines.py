"""The shipped pipelines say what the article says, and the IR resolves defaults once."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from pipespec.dag import critical_path
from pipespec.project import load_pipeline, load_project, load_string

ROOT = Path(__file__).resolve().parent.parent
PIPELINES = ROOT / "pipelines"
SPECS = sorted(PIPELINES.glob("*.yaml"))


def test_every_shipped_pipeline_is_valid_without_warnings() -> None:
    results = load_project([PIPELINES])
    assert len(results) >= 2
    for r in results:
        assert r.ok, [d.format() for d in r.diagnostics]
        assert not [d for d in r.diagnostics if d.severity.value == "error"]


def test_medallion_pipeline_is_the_article_dag_task_for_task() -> None:
    ir = load_pipeline(PIPELINES / "medallion_daily_refresh.yaml").ir
    assert ir is not None
    deps = {t.id: set(t.depends_on) for t in ir.tasks}
    bronze = {"bronze_ingest_crm", "bronze_ingest_orders", "bronze_ingest_products"}
    dims = {"gold_dim_customer", "gold_dim_product", "gold_dim_date"}
    assert deps == {
        **{b: set() for b in bronze},
        "silver_transform": bronze,
        "silver_quality_check": {"silver_transform"},
        **{d: {"silver_quality_check"} for d in dims},
        "gold_fct_order_line": dims,
        "gold_quality_check": {"gold_fct_order_line"},
        "semantic_model_refresh": {"gold_quality_check"},
    }
    assert ir.schedule is not None and ir.schedule.cron.source == "0 3 * * *"
    assert ir.max_active_runs == 1 and ir.catchup is False and ir.sla_s == 4 * 3600
    assert ir.notify.on_failure == ("data_team",)
    assert ir.channels["data_team"].addresses == ["data-team@company.com"]  # type: ignore[union-attr]
    crm = ir.task("bronze_ingest_crm")
    assert crm.retry.delays() == (300, 600, 1200)  # 5, 10, 20 minutes
    assert {t.id for t in ir.tasks if t.quality_gate} == {"silver_quality_check", "gold_quality_check"}
    refresh = ir.task("semantic_model_refresh")
    assert refresh.kind == "http" and "api.powerbi.com" in refresh.spec.url  # type: ignore[union-attr]
    assert ir.tags == ("production", "medallion", "daily")


def test_quality_gates_do_not_inherit_retries_but_may_ask_for_them() -> None:
    text = """
apiVersion: pipespec/v1
name: p
owner: t
defaults: {retries: {count: 3, delay: 5m, backoff: exponential, max_delay: 8m}}
tasks:
  a: {kind: python, script: a.py}
  g: {kind: python, script: g.py, quality_gate: true, depends_on: [a]}
  h: {kind: python, script: h.py, quality_gate: true, depends_on: [a], retries: 1}
  b: {kind: python, script: b.py, depends_on: [g], retries: {count: 4}}
"""
    ir = load_string(text).ir
    assert ir is not None
    assert ir.task("a").retry.delays() == (300, 480, 480)  # capped at max_delay
    assert ir.task("g").retry.retries == 0
    assert ir.task("h").retry.delays() == (60,)  # its own count, built-in delay
    assert ir.task("b").retry.delays() == (300, 480, 480, 480)  # inherits field by field


def test_task_notify_replaces_pipeline_routing_per_event() -> None:
    text = """
apiVersion: pipespec/v1
name: p
owner: t
channels:
  mail: {type: email, addresses: [a@b.co]}
  slack: {type: slack, webhook_url_secret: slackHook}
notify: {on_failure: [mail], on_success: [mail]}
tasks:
  a: {kind: python, script: a.py, notify: {on_failure: [slack], on_retry: [slack]}}
  b: {kind: python, script: b.py}
"""
    ir = load_string(text).ir
    assert ir is not None
    assert ir.task("a").notify.events() == {
        "on_success": ("mail",),
        "on_failure": ("slack",),
        "on_retry": ("slack",),
    }
    assert ir.task("b").notify == ir.notify


def test_tasks_are_in_stable_topological_order() -> None:
    ir = load_pipeline(PIPELINES / "medallion_daily_refresh.yaml").ir
    assert ir is not None
    ids = [t.id for t in ir.tasks]
    assert ids[:3] == ["bronze_ingest_crm", "bronze_ingest_orders", "bronze_ingest_products"]
    cp = critical_path(ir.deps, ir.durations)
    assert cp.path[0] == "bronze_ingest_orders" and cp.path[-1] == "semantic_model_refresh"


def test_schema_file_is_current_and_accepts_every_shipped_spec() -> None:
    from pipespec.schema import schema_text

    committed = (PIPELINES / "pipeline.schema.json").read_text(encoding="utf-8")
    assert committed == schema_text(), "run: pipespec schema --out pipelines/pipeline.schema.json"
    schema = json.loads(committed)
    for spec in SPECS:
        data = yaml.safe_load(spec.read_text(encoding="utf-8"))
        data = json.loads(json.dumps(data, default=str))  # dates as strings, as editors see them
        jsonschema.validate(data, schema)
        assert spec.read_text(encoding="utf-8").startswith("# yaml-language-server: $schema=./pipeline.schema.json")


@pytest.mark.parametrize("spec", SPECS, ids=[s.stem for s in SPECS])
def test_schema_rejects_a_typo_an_editor_should_flag(spec: Path) -> None:
    schema = json.loads((PIPELINES / "pipeline.schema.json").read_text(encoding="utf-8"))
    data = json.loads(json.dumps(yaml.safe_load(spec.read_text(encoding="utf-8")), default=str))
    data["shedule"] = data.pop("schedule", {"cron": "0 3 * * *"})
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)

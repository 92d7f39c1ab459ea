"""The Glue compiler, read back from the rendered document: the workflow's triggers reproduce the
spec's dependency edges exactly, a simulated run starts what the trigger rules say, the UTC
schedule fires when the spec's local schedule does, and the role names only what the spec names.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.alerting.formatter.handler import alert_from_record
from pipespec.alerts import ALERT_FIELDS, title
from pipespec.environment import Deployment, Environment
from pipespec.ir import PipelineIR
from pipespec.notify_plan import normalize
from pipespec.project import load_pipeline, load_string
from pipespec.targets.glue.compile import GlueCompileError, compile_workflow
from pipespec.targets.glue.stack import GlueStack
from pipespec.targets.glue.target import TARGET, timing

ROOT = Path(__file__).resolve().parents[1]
MEDALLION = ROOT / "pipelines" / "glue_workflow_medallion.yaml"
Deps = dict[str, list[str]]
RULES_MULTI = ("all_success", "all_success", "all_success", "one_success", "one_failed", "none_failed", "all_failed")
RULES_SINGLE = (*RULES_MULTI, "all_done")


# ── Spec generation and reading the document back ──────────────────────────────────────


def spec_text(
    deps: Deps,
    rules: dict[str, str] | None = None,
    crawlers: frozenset[str] = frozenset(),
    existing: frozenset[str] = frozenset(),
    header: str = "",
) -> str:
    rules = rules or {}
    lines = [
        "apiVersion: pipespec/v1",
        "name: prop",
        "owner: tests",
        "targets: {glue: {}}",
        "channels: {team: {type: email, addresses: [t@example.com]}}",
        "notify: {on_failure: [team]}",
        header,
        "tasks:",
    ]
    for t in sorted(deps):
        fields = ["kind: glue"]
        if t in crawlers:
            fields.append(f"job_name: crawl_{t}")
            fields.append(f"targets: {{glue: {{crawler: {{database: db_{t}, s3_targets: ['s3://lake/{t}/']}}}}}}")
        elif t in existing:
            fields.append(f"job_name: existing-{t}")
        else:
            fields.append(f"script: s3://scripts/{t}.py")
        if deps[t]:
            fields.append(f"depends_on: [{', '.join(sorted(deps[t]))}]")
        if t in rules:
            fields.append(f"trigger_rule: {rules[t]}")
        lines.append(f"  {t}: {{{', '.join(fields)}}}")
    return "\n".join(line for line in lines if line) + "\n"


def load_ir(text: str) -> PipelineIR:
    loaded = load_string(text, "prop.yaml", targets=["glue"])
    assert loaded.ir is not None and loaded.ok, [d.format() for d in loaded.diagnostics]
    return loaded.ir


def names_to_tasks(doc: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(kind, Glue name) -> task id, from the document's jobs, existing jobs and crawlers."""
    out = {("job", j["Name"]): j["Task"] for j in doc["Jobs"] + doc["ExistingJobs"]}
    out.update({("crawler", c["Name"]): c["Task"] for c in doc["Crawlers"]})
    return out


def _node(item: dict[str, Any]) -> tuple[str, str]:
    return ("crawler", item["CrawlerName"]) if "CrawlerName" in item else ("job", item["JobName"])


def edges_of(doc: dict[str, Any]) -> tuple[set[str], set[tuple[str, str]]]:
    """(tasks the start trigger starts, dependency edges) as the triggers express them."""
    tasks = names_to_tasks(doc)
    start, *conditional = doc["Triggers"]
    assert start["Type"] in ("SCHEDULED", "ON_DEMAND") and "Predicate" not in start
    roots = {tasks[_node(a)] for a in start["Actions"]}
    edges: set[tuple[str, str]] = set()
    for trig in conditional:
        assert trig["Type"] == "CONDITIONAL" and len(trig["Actions"]) == 1
        target = tasks[_node(trig["Actions"][0])]
        edges |= {(tasks[_node(c)], target) for c in trig["Predicate"]["Conditions"]}
    return roots, edges


def spec_edges(ir: PipelineIR) -> tuple[set[str], set[tuple[str, str]]]:
    return {t.id for t in ir.tasks if not t.depends_on}, {(d, t.id) for t in ir.tasks for d in t.depends_on}


@st.composite
def dags(draw: st.DrawFn, max_tasks: int = 12) -> tuple[Deps, dict[str, str], frozenset[str], frozenset[str]]:
    n = draw(st.integers(1, max_tasks))
    ids = [f"t{i:02d}" for i in range(n)]
    order = draw(st.permutations(ids))  # topological order independent of id order
    deps: Deps = {t: [] for t in ids}
    for j, v in enumerate(order):
        for u in order[:j]:
            if draw(st.floats(0, 1)) < 0.3:
                deps[v].append(u)
    rules = {t: draw(st.sampled_from(RULES_SINGLE if len(deps[t]) == 1 else RULES_MULTI)) for t in ids if deps[t]}
    roots = [t for t in ids if not deps[t]]
    crawlers = frozenset(t for t in ids if draw(st.floats(0, 1)) < 0.2 and (t not in roots or roots.index(t) < 2))
    existing = frozenset(t for t in ids if t not in crawlers and draw(st.floats(0, 1)) < 0.2)
    return deps, rules, crawlers, existing


# ── Edges: exactly the spec's, nothing more ────────────────────────────────────────────


def test_medallion_triggers_are_exactly_the_spec_edges() -> None:
    loaded = load_pipeline(MEDALLION, targets=["glue"])
    assert loaded.ir is not None and loaded.ok, [d.format() for d in loaded.diagnostics]
    doc = TARGET.compile(loaded.ir).document
    assert edges_of(doc) == spec_edges(loaded.ir)
    assert edges_of(doc)[1] == {
        ("bronze_crm", "bronze_catalog"),
        ("bronze_orders", "bronze_catalog"),
        ("bronze_catalog", "silver_customers"),
        ("bronze_catalog", "silver_orders"),
        ("silver_customers", "gold_dim_customer"),
        ("silver_customers", "gold_fct_orders"),
        ("silver_orders", "gold_fct_orders"),
        ("gold_dim_customer", "gold_catalog"),
        ("gold_fct_orders", "gold_catalog"),
    }
    assert [c["Name"] for c in doc["Crawlers"]] == ["bronze_catalog", "gold_catalog"]
    assert len(doc["Triggers"]) == 1 + 6 and doc["Triggers"][0]["Schedule"] == "cron(30 6 * * ? *)"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dags())
def test_random_dags_triggers_are_exactly_the_spec_edges(case: tuple[Deps, dict[str, str], Any, Any]) -> None:
    deps, rules, crawlers, existing = case
    ir = load_ir(spec_text(deps, rules, crawlers, existing))
    doc = compile_workflow(ir).document
    assert edges_of(doc) == spec_edges(ir)
    started = [_node(a) for t in doc["Triggers"] for a in t["Actions"]]
    assert len(started) == len(set(started)) == len(deps)  # every task started by exactly one trigger


# ── What a run starts: simulate Glue's triggers on the document ───────────────────────


def simulate(doc: dict[str, Any], outcome: dict[str, str]) -> set[str]:
    """Tasks a workflow run starts when each task ends in `outcome[task]` (SUCCEEDED / FAILED / TIMEOUT)."""
    tasks = names_to_tasks(doc)
    start, *conditional = doc["Triggers"]
    ran: set[str] = set()
    events: set[tuple[tuple[str, str], str]] = set()
    queue = [tasks[_node(a)] for a in start["Actions"]]
    fired: set[str] = set()
    while queue:
        task = queue.pop()
        assert task not in ran, f"{task} started twice"
        ran.add(task)
        key = next(k for k, v in tasks.items() if v == task)
        events.add((key, outcome[task]))
        for trig in conditional:
            if trig["Name"] in fired:
                continue
            held = [
                (_node(c), c.get("State") or c.get("CrawlState")) in events for c in trig["Predicate"]["Conditions"]
            ]
            if all(held) if trig["Predicate"]["Logical"] == "AND" else any(held):
                fired.add(trig["Name"])
                queue.append(tasks[_node(trig["Actions"][0])])
    return ran


def expected_runs(ir: PipelineIR, outcome: dict[str, str]) -> set[str]:
    """The spec's rules over upstreams that ran (Glue never sees a task that did not run), with the
    documented approximation: all_failed over several upstreams counts FAILED, not TIMEOUT."""
    ran: set[str] = set()
    for t in ir.tasks:
        ups = [(u in ran, outcome[u]) for u in t.depends_on]
        ok = [r and o == "SUCCEEDED" for r, o in ups]
        bad = [r and o in ("FAILED", "TIMEOUT") for r, o in ups]
        runs = {
            "all_success": all(ok),
            "none_failed": all(ok),
            "one_success": any(ok),
            "one_failed": any(bad),
            "all_failed": all(bad) if len(ups) == 1 else all(r and o == "FAILED" for r, o in ups),
            "all_done": all(r for r, _ in ups),
        }[t.trigger_rule]
        if not t.depends_on or runs:
            ran.add(t.id)
    return ran


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dags(), st.data())
def test_a_simulated_run_starts_what_the_trigger_rules_say(case: Any, data: st.DataObject) -> None:
    deps, rules, crawlers, existing = case
    ir = load_ir(spec_text(deps, rules, crawlers, existing))
    doc = compile_workflow(ir).document
    outcome = {
        t: data.draw(st.sampled_from(["SUCCEEDED", "FAILED"] if t in crawlers else ["SUCCEEDED", "FAILED", "TIMEOUT"]))
        for t in sorted(deps)
    }
    assert simulate(doc, outcome) == expected_runs(ir, outcome)


def test_failure_handler_runs_after_a_failure_and_not_after_success() -> None:
    deps = {"load": [], "transform": ["load"], "on_error": ["transform"], "publish": ["transform"]}
    ir = load_ir(spec_text(deps, {"on_error": "one_failed"}))
    doc = compile_workflow(ir).document
    every = dict.fromkeys(deps, "SUCCEEDED")
    assert simulate(doc, every) == {"load", "transform", "publish"}
    assert simulate(doc, {**every, "transform": "TIMEOUT"}) == {"load", "transform", "on_error"}
    handler = next(t for t in doc["Triggers"] if t.get("Task") == "on_error")
    assert handler["Predicate"]["Logical"] == "ANY"
    assert {c["State"] for c in handler["Predicate"]["Conditions"]} == {"FAILED", "TIMEOUT"}


# ── Jobs, retries, timeouts, environment ───────────────────────────────────────────────


def test_job_settings_resolve_task_then_pipeline_then_stack_and_the_stack_caps_workers() -> None:
    text = spec_text({"a": [], "b": ["a"]}).replace("targets: {glue: {}}", "targets: {glue: {number_of_workers: 8}}")
    text = text.replace("script: s3://scripts/a.py", "script: s3://scripts/a.py, targets: {glue: {worker_type: G.2X}}")
    text += "defaults: {retries: 3, timeout: 90s}\n"
    ir = load_ir(text)
    stack = GlueStack(default_worker_type="G.4X", default_glue_version="5.0", max_number_of_workers=6)
    jobs = {j["Task"]: j for j in compile_workflow(ir, Deployment(Environment(), stack)).document["Jobs"]}
    assert (jobs["a"]["WorkerType"], jobs["b"]["WorkerType"]) == ("G.2X", "G.4X")
    assert jobs["a"]["NumberOfWorkers"] == 6 and jobs["a"]["GlueVersion"] == "5.0"
    assert jobs["a"]["MaxRetries"] == 3 and jobs["a"]["Timeout"] == 2  # 90 s rounds up to 2 minutes
    warnings = {d.code for d in load_string(text, "w.yaml", ["glue"]).diagnostics}
    assert {"PS485", "PS486"} <= warnings


def test_environment_prefix_names_everything_and_existing_jobs_keep_their_names() -> None:
    ir = load_ir(spec_text({"a": [], "b": ["a"], "c": ["b"]}, crawlers=frozenset({"b"}), existing=frozenset({"c"})))
    doc = compile_workflow(ir, Deployment(Environment(name="prod", name_prefix="prod_"), GlueStack())).document
    assert doc["Workflow"]["Name"] == "prod_prop"
    assert [j["Name"] for j in doc["Jobs"]] == ["prod_prop-a"]
    assert [c["Name"] for c in doc["Crawlers"]] == ["prod_crawl_b"]
    assert doc["ExistingJobs"] == [{"Name": "existing-c", "Task": "c"}]
    assert {t["Name"] for t in doc["Triggers"]} == {"prod_prop-start", "prod_prop-run-b", "prod_prop-run-c"}
    assert doc["Workflow"]["Tags"] == {"pipespec-environment": "prod", "pipespec:pipeline": "prop"}


def test_render_is_deterministic_and_independent_of_task_order() -> None:
    deps = {"x": [], "y": ["x"], "z": ["x"], "w": ["y", "z"]}
    ir = load_ir(spec_text(deps))
    text = spec_text(deps)
    head, _, body = text.partition("tasks:\n")
    shuffled = head + "tasks:\n" + "".join(reversed(body.splitlines(keepends=True)))
    first = TARGET.render(ir)
    assert first == TARGET.render(ir) == TARGET.render(load_ir(shuffled))
    assert first[0].filename == "prop.glue.json" and json.loads(first[0].content)["Workflow"]["Name"] == "prop"


def test_name_too_long_with_the_environment_prefix_is_a_compile_error() -> None:
    ir = load_ir(spec_text({"t" + "x" * 240: []}))
    with pytest.raises(GlueCompileError) as exc:
        compile_workflow(ir, Deployment(Environment(name_prefix="development_"), GlueStack()))
    assert {d.code for d in exc.value.diagnostics} == {"PS489"}


# ── IAM: exactly the named scripts and paths ───────────────────────────────────────────


def test_role_policy_names_exactly_the_scripts_and_paths_and_no_wildcard_resource() -> None:
    loaded = load_pipeline(MEDALLION, targets=["glue"])
    assert loaded.ir is not None
    policy = compile_workflow(loaded.ir).document["Role"]["Policy"]
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    for statement in policy["Statement"]:
        resources = [statement["Resource"]] if isinstance(statement["Resource"], str) else statement["Resource"]
        assert "*" not in resources and all(r.startswith("arn:${Partition}:") for r in resources)
    scripts = {t.spec.script for t in loaded.ir.tasks if getattr(t.spec, "script", None)}  # type: ignore[union-attr]
    assert {r.replace("arn:${Partition}:s3:::", "s3://") for r in by_sid["ReadScripts"]["Resource"]} == scripts
    assert "arn:${Partition}:s3:::company-landing/crm/*" in by_sid["ReadData"]["Resource"]
    assert "arn:${Partition}:s3:::company-lake/gold/fct_orders/*" in by_sid["WriteData"]["Resource"]
    assert not any("silver/customers" in r for r in by_sid["ReadData"]["Resource"])  # written: already readable
    assert by_sid["ListCompanyLanding"]["Condition"] == {
        "StringLike": {"s3:prefix": ["crm", "crm/*", "orders", "orders/*"]}
    }
    catalog = by_sid["ReadWriteCatalog"]["Resource"]
    assert "arn:${Partition}:glue:${Region}:${Account}:table/bronze/*" in catalog and len(catalog) == 5


def test_the_only_wildcard_is_put_metric_data_limited_to_the_glue_namespace() -> None:
    ir = load_ir(spec_text({"a": []}))
    policy = compile_workflow(ir, Deployment(Environment(), GlueStack(job_metrics=True))).document["Role"]["Policy"]
    wild = [s for s in policy["Statement"] if s["Resource"] == "*"]
    assert wild == [
        {
            "Action": ["cloudwatch:PutMetricData"],
            "Condition": {"StringEquals": {"cloudwatch:namespace": "Glue"}},
            "Effect": "Allow",
            "Resource": "*",
            "Sid": "PutMetricDataHasNoResourceLevelPermissions",
        }
    ]


def test_existing_role_from_the_stack_replaces_the_created_one() -> None:
    arn = "arn:aws:iam::123456789012:role/data-platform-glue"
    doc = compile_workflow(load_ir(spec_text({"a": []})), Deployment(Environment(), GlueStack(role_arn=arn))).document
    assert doc["Role"] is None and doc["RoleArn"] == arn and doc["Jobs"][0]["Role"] == arn


# ── Alerts: the pipespec alert contract, from a Glue event ─────────────────────────────


def transform(template: str, paths: dict[str, str], event: dict[str, Any]) -> Any:
    """EventBridge's input transformer: each <var> replaced by its JSON-path value (escaped in strings)."""

    def value(path: str) -> str:
        node: Any = event
        for key in path.removeprefix("$.").split("."):
            node = node[key]
        return json.dumps(node)[1:-1]

    return json.loads(re.sub(r"<([a-z]+)>", lambda m: value(paths[m.group(1)]), template))


def test_a_failed_job_event_becomes_a_pipespec_alert() -> None:
    loaded = load_pipeline(MEDALLION, targets=["glue"])
    assert loaded.ir is not None
    doc = compile_workflow(loaded.ir, Deployment(Environment(name="prod", name_prefix="prod_"), GlueStack())).document
    rule = next(r for r in doc["AlertRules"] if (r["Task"], r["Event"]) == ("silver_orders", "failure"))
    event: dict[str, Any] = {
        "source": "aws.glue",
        "detail-type": "Glue Job State Change",
        "region": "eu-west-1",
        "detail": {
            "jobName": "prod_glue_workflow_medallion-silver_orders",
            "state": "FAILED",
            "jobRunId": "jr_abc",
            "message": 'Py4JJavaError: "orders" table not found',
        },
    }
    assert rule["EventPattern"]["detail"] == {"jobName": [event["detail"]["jobName"]], "state": ["FAILED"]}
    alert = transform(rule["Target"]["InputTemplate"], rule["Target"]["InputPathsMap"], event)
    assert list(alert) == list(ALERT_FIELDS)
    assert alert["pipeline"] == "prod_glue_workflow_medallion" and alert["task"] == "silver_orders"
    assert alert["error"] == "Glue job FAILED" and alert["cause"] == event["detail"]["message"]
    assert alert["run_url"].endswith("#/job/prod_glue_workflow_medallion-silver_orders/run/jr_abc")
    assert "retries failed runs of this job up to 1 time(s)" in alert["next"]
    assert normalize(alert)["event"] == "failure"
    # What the AWS formatter Lambda reads from the SNS record EventBridge delivers.
    delivered = alert_from_record({"Sns": {"Message": json.dumps(alert)}})
    assert (
        delivered is not None
        and title(normalize(delivered)) == "[prod] prod_glue_workflow_medallion.silver_orders FAILED"
    )
    sla = next(r for r in doc["AlertRules"] if r["Event"] == "sla_miss")
    assert sla["Task"] == "silver_orders" and sla["EventPattern"]["detail-type"] == ["Glue Job Run Status"]
    crawler = {r["Event"] for r in doc["AlertRules"] if r["Task"] == "bronze_catalog"}
    assert crawler == {"failure"}


def test_summary_compares_with_step_functions() -> None:
    loaded = load_pipeline(MEDALLION, targets=["glue"])
    assert loaded.ir is not None
    t = timing(loaded.ir)
    assert t.critical_path_s == 100 * 60 and t.stepfunctions_makespan_s == 110 * 60
    lines = TARGET.summary(loaded.ir)
    assert lines[0].startswith("critical path 1h40m, Glue workflow makespan 1h40m (+0s")
    assert lines[1] == "Step Functions on the same DAG: makespan 1h50m (+10m (10.0%): the DAG is not series-parallel)"
